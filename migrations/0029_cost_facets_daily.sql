-- Spend per day by what only cost keys hold (availability zone, creator, every tag key
-- cost_facets holds), over all groups together: the explorer's per-day questions by
-- such a dimension, asked by someone who sees every group, read a few rows per day
-- instead of every key's daily sums. It does not depend on the rules (every cost
-- counts once, whatever its shares), so a rule change keeps it; it is rebuilt with the
-- rollups when billing data changed, which cost_facets_daily_source tells.
CREATE TABLE cost_facets_daily (
    day             DATE NOT NULL,
    -- 'zone', 'creator' or 'tag:' and the normalised tag key, as in cost_facets.
    facet           TEXT NOT NULL,
    value           TEXT NOT NULL,
    billed_cost     NUMERIC NOT NULL,
    effective_cost  NUMERIC NOT NULL
);
CREATE INDEX cost_facets_daily_facet ON cost_facets_daily (facet, day);

-- The imports (id, billing account, period) the table above was built from; no row
-- until it is first built (readers then use the per-key sums).
CREATE TABLE cost_facets_daily_source (
    one_row  BOOLEAN PRIMARY KEY DEFAULT true CHECK (one_row),
    imports  TEXT NOT NULL
);
