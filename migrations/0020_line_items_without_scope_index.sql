-- Line items are only ever deleted a billing period at a time (each period is its own
-- partition), so an index on (account, period) bought nothing but cost a quarter of
-- every import's COPY time.
DROP INDEX IF EXISTS cost_line_items_scope;
