-- Line items are only ever deleted a billing period at a time (each period is its own
-- partition), and daily rollups only when an import is replaced or rolled back, so
-- the (account, period) indexes bought little but cost a quarter of every import's
-- COPY time and most of its rollup's.
DROP INDEX IF EXISTS cost_line_items_scope;
DROP INDEX IF EXISTS cost_daily_scope;
