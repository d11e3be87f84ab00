-- Spend: billing data imported per (billing account, billing period), the keys
-- allocation rules see, daily rollups dashboards read, the rule set, and where each
-- key's cost goes. Money is NUMERIC, never a float.

CREATE TABLE cost_imports (
    id            BIGSERIAL PRIMARY KEY,
    imported_at   TIMESTAMPTZ NOT NULL,
    imported_by   TEXT NOT NULL,
    files         TEXT NOT NULL,
    format        TEXT NOT NULL,
    line_items    BIGINT NOT NULL DEFAULT 0,
    billed_total  NUMERIC NOT NULL DEFAULT 0,
    currencies    TEXT NOT NULL DEFAULT '',
    period_first  DATE,
    period_last   DATE,
    state         TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'replaced', 'rolled_back')),
    ended_at      TIMESTAMPTZ,
    ended_by      TEXT
);

-- Which import holds each (billing account, period): importing it again replaces it.
CREATE TABLE cost_import_scopes (
    billing_account_id    TEXT NOT NULL,
    billing_period_start  DATE NOT NULL,
    import_id             BIGINT NOT NULL REFERENCES cost_imports (id),
    PRIMARY KEY (billing_account_id, billing_period_start)
);
CREATE INDEX cost_import_scopes_import ON cost_import_scopes (import_id);

-- The dimensions rules can match; line items sharing them are placed alike.
CREATE TABLE cost_keys (
    id                  BIGINT PRIMARY KEY,
    billing_account_id  TEXT NOT NULL,
    sub_account_id      TEXT NOT NULL,
    provider            TEXT NOT NULL,
    service_name        TEXT NOT NULL,
    region_id           TEXT NOT NULL,
    availability_zone   TEXT NOT NULL,
    resource_id         TEXT NOT NULL,
    charge_category     TEXT NOT NULL,
    currency            TEXT NOT NULL,
    tags                JSONB NOT NULL,
    created_by          TEXT
);

-- Every line item, partitioned by billing period (partitions are made by imports).
CREATE TABLE cost_line_items (
    import_id             BIGINT NOT NULL,
    billing_period_start  DATE NOT NULL,
    billing_account_id    TEXT NOT NULL,
    key_id                BIGINT NOT NULL,
    charge_period_start   TIMESTAMPTZ NOT NULL,
    charge_period_end     TIMESTAMPTZ NOT NULL,
    billed_cost           NUMERIC NOT NULL,
    effective_cost        NUMERIC NOT NULL,
    list_cost             NUMERIC NOT NULL,
    pricing_quantity      NUMERIC,
    pricing_unit          TEXT NOT NULL,
    charge_description    TEXT NOT NULL,
    service_category      TEXT NOT NULL,
    billing_account_name  TEXT NOT NULL,
    sub_account_name      TEXT NOT NULL,
    resource_name         TEXT NOT NULL
) PARTITION BY RANGE (billing_period_start);
CREATE INDEX cost_line_items_scope ON cost_line_items (billing_account_id, billing_period_start);

-- Daily sums per key, kept exact by imports: what dashboards read.
CREATE TABLE cost_daily (
    import_id             BIGINT NOT NULL,
    billing_account_id    TEXT NOT NULL,
    billing_period_start  DATE NOT NULL,
    day                   DATE NOT NULL,
    key_id                BIGINT NOT NULL,
    billed_cost           NUMERIC NOT NULL,
    effective_cost        NUMERIC NOT NULL,
    list_cost             NUMERIC NOT NULL,
    line_items            BIGINT NOT NULL
);
CREATE INDEX cost_daily_day ON cost_daily (day, key_id);
CREATE INDEX cost_daily_scope ON cost_daily (billing_account_id, billing_period_start);

-- The allocation rule set: one JSON document (spend::RuleSet), versioned.
CREATE TABLE cost_rules (
    one_row     BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one_row),
    document    JSONB NOT NULL,
    version     BIGINT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    updated_by  TEXT NOT NULL
);

-- Where each key's cost goes: shares of one key add up to exactly 1. A NULL group
-- is Unallocated (no rule matched, or the group was deleted since).
CREATE TABLE cost_allocations (
    key_id    BIGINT NOT NULL,
    group_id  TEXT REFERENCES groups (id) ON DELETE SET NULL,
    rule      TEXT,
    share     NUMERIC NOT NULL CHECK (share > 0 AND share <= 1)
);
CREATE INDEX cost_allocations_key ON cost_allocations (key_id);

-- The group a user's resources are billed to (rules that follow aws:createdBy);
-- NULL means the first group the user joined.
ALTER TABLE users ADD COLUMN billing_group_id TEXT REFERENCES groups (id) ON DELETE SET NULL;
