-- Spend per group and day by what only cost keys hold (availability zone, creator,
-- every tag key cost_facets holds): a project manager's per-day questions by such a
-- dimension for their groups (a dashboard's zones by day, the explorer by a tag per
-- day) read a few rows a day instead of every key's daily sums. Rebuilt with the other
-- per-group rollups, by imports, rule changes and rollbacks; cost_group_facets_monthly
-- is this summed by month, and the same over every group is this summed over groups
-- (a key's shares add up to exactly 1), so it replaces cost_facets_daily.
CREATE TABLE cost_group_facets_daily (
    day             DATE NOT NULL,
    -- NULL: Unallocated.
    group_id        TEXT,
    -- 'zone', 'creator' or 'tag:' and the normalised tag key, as in cost_facets.
    facet           TEXT NOT NULL,
    -- '' where the key has no such tag (or no zone, or no creator).
    value           TEXT NOT NULL,
    billed_cost     NUMERIC NOT NULL,
    effective_cost  NUMERIC NOT NULL
);
CREATE INDEX cost_group_facets_daily_facet ON cost_group_facets_daily (facet, day);

DROP TABLE cost_facets_daily;

-- The imports cost_resources_monthly (the one rollup left that does not depend on the
-- rules) was built from.
ALTER TABLE cost_facets_daily_source RENAME TO cost_data_rollups_source;

-- No facets until the rollups are built again, which the server does when it starts
-- (readers use the per-key sums until then, which give the same answers).
DELETE FROM cost_facets;
