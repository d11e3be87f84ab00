-- The (day, key) and (month, key) indexes of the daily and monthly sums are made per
-- partition instead of through the partitioned tables: an import that brings a new
-- period copies its sums into the new partitions without an index and builds the index
-- once from the rows, which costs about half of growing it row by row (1M line items:
-- 0.36 s of COPY and 0.11 s of index against 0.6 s). Queries plan the same way: a
-- partitioned index is only the pattern for its partitions' indexes.
DROP INDEX cost_daily_day;
DROP INDEX cost_key_monthly_month;

DO $$
DECLARE
    sums RECORD;
    part TEXT;
BEGIN
    FOR sums IN
        SELECT * FROM (VALUES ('cost_daily', 'day', 'day, key_id'),
                              ('cost_key_monthly', 'month', 'month, key_id')) AS t (parent, suffix, columns)
    LOOP
        FOR part IN
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = sums.parent::regclass
        LOOP
            EXECUTE format('CREATE INDEX %I ON %I (%s)', part || '_' || sums.suffix, part, sums.columns);
        END LOOP;
    END LOOP;
END $$;
