-- A tag key as allocation rules match it (spend::item::normalise_tag_key): trimmed of
-- white space (Rust's `char::is_whitespace`), ASCII letters lower-cased, a leading
-- `user:` (CUR's prefix for user-defined tags) dropped and the rest trimmed again.
-- One definition for every query, so SQL and the rules never disagree on a key
-- written in another case, with stray spaces or with non-ASCII letters.
-- One expression, so PostgreSQL inlines it into the queries that call it.
CREATE FUNCTION cost_tag_key(key TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT regexp_replace(
        translate(
            btrim(key, E' \t\n\u000B\f\r\u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u2028\u2029\u202F\u205F\u3000'),
            'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'),
        E'^user:[ \t\n\u000B\f\r\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*', '')
$$;

-- Spend per group and month by what only cost keys hold and dashboards group by: the
-- availability zone, the creating principal, and every tag key with few values
-- (matched as allocation matches keys: trimmed, any case, without `user:`). Rebuilt
-- with cost_group_daily, in the same transaction, so a month's zone or tag breakdown
-- reads a few hundred rows instead of every key's sums.
CREATE TABLE cost_group_facets_monthly (
    month           DATE NOT NULL,
    -- NULL: Unallocated.
    group_id        TEXT,
    -- 'zone', 'creator' or 'tag:' and the normalised tag key.
    facet           TEXT NOT NULL,
    -- '' where the key has no such tag (or no zone, or no creator).
    value           TEXT NOT NULL,
    billed_cost     NUMERIC NOT NULL,
    effective_cost  NUMERIC NOT NULL
);
CREATE INDEX cost_group_facets_monthly_facet ON cost_group_facets_monthly (facet, month);

-- Which facets the table above holds, and 'resource' for the one below (a tag key
-- with many values, or with values that are not text, is left to the per-key sums).
-- Empty until the first allocation after this migration (made when the server
-- migrates): readers then use the per-key sums, which give the same answers.
CREATE TABLE cost_facets (
    facet  TEXT PRIMARY KEY
);

-- Spend per group and month by resource (top resources on every dashboard).
CREATE TABLE cost_group_resources_monthly (
    month           DATE NOT NULL,
    group_id        TEXT,
    resource_id     TEXT NOT NULL,
    billed_cost     NUMERIC NOT NULL,
    effective_cost  NUMERIC NOT NULL
);
-- A month's largest resources of one group are the first rows of this index.
CREATE INDEX cost_group_resources_monthly_top ON cost_group_resources_monthly
    (month, group_id, billed_cost DESC, resource_id);

-- The same summed over groups: a month's largest resources of all are the first rows.
CREATE TABLE cost_resources_monthly (
    month           DATE NOT NULL,
    resource_id     TEXT NOT NULL,
    billed_cost     NUMERIC NOT NULL,
    effective_cost  NUMERIC NOT NULL
);
CREATE INDEX cost_resources_monthly_top ON cost_resources_monthly
    (month, billed_cost DESC, resource_id);
