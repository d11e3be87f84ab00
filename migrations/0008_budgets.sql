-- Budgets per group, their evaluated state, the alerts they raised (once per
-- threshold and period), and webhook deliveries with their retries.

CREATE TABLE budgets (
    group_id             TEXT PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
    period               TEXT NOT NULL CHECK (period IN ('monthly', 'quarterly', 'yearly')),
    amount               NUMERIC NOT NULL CHECK (amount > 0),
    currency             TEXT NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    actual_thresholds    SMALLINT[] NOT NULL,
    forecast_thresholds  SMALLINT[] NOT NULL,
    webhook_url          TEXT,
    -- Addresses alerts are e-mailed to, comma separated (needs PORTCULLIS_SMTP).
    email_to             TEXT,
    -- The HMAC key webhooks are signed with, sealed with the server key.
    webhook_key_id       TEXT,
    webhook_nonce        BYTEA,
    webhook_ciphertext   BYTEA,
    updated_at           TIMESTAMPTZ NOT NULL,
    updated_by           TEXT NOT NULL
);

-- The last evaluation: what requests by the group's members carry as
-- portcullis:BudgetStatus and portcullis:BudgetUsedPercent.
CREATE TABLE budget_state (
    group_id       TEXT PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
    period_start   DATE NOT NULL,
    period_end     DATE NOT NULL,
    actual         NUMERIC NOT NULL,
    forecast       NUMERIC NOT NULL,
    forecast_low   NUMERIC NOT NULL,
    forecast_high  NUMERIC NOT NULL,
    method         TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('ok', 'forecast-exceeded', 'exceeded')),
    used_percent   NUMERIC NOT NULL,
    evaluated_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE budget_alerts (
    id            BIGSERIAL PRIMARY KEY,
    group_id      TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    period_start  DATE NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('actual', 'forecast')),
    threshold     SMALLINT NOT NULL,
    budget        NUMERIC NOT NULL,
    value         NUMERIC NOT NULL,
    fired_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (group_id, period_start, kind, threshold)
);

CREATE TABLE webhook_deliveries (
    id               BIGSERIAL PRIMARY KEY,
    alert_id         BIGINT NOT NULL REFERENCES budget_alerts (id) ON DELETE CASCADE,
    url              TEXT NOT NULL,
    body             TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    last_status      INTEGER,
    last_error       TEXT,
    delivered_at     TIMESTAMPTZ
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';

-- Spend per group by the dimensions dashboards group by, per day: rebuilt with the
-- placements (in the same transaction), so dashboards never scan line items.
CREATE TABLE cost_group_daily (
    day              DATE NOT NULL,
    group_id         TEXT,
    -- The rule (or split) that placed these costs; NULL when none did.
    rule             TEXT,
    service_name     TEXT NOT NULL,
    sub_account_id   TEXT NOT NULL,
    region_id        TEXT NOT NULL,
    charge_category  TEXT NOT NULL,
    currency         TEXT NOT NULL,
    billed_cost      NUMERIC NOT NULL,
    effective_cost   NUMERIC NOT NULL
);
CREATE INDEX cost_group_daily_day ON cost_group_daily (day);
