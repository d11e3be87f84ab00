-- Monthly sums per cost key, kept by imports beside the daily ones: a month's costs
-- by what only keys hold (tags, resources, creators, zones) and every key's total for
-- proportional splits are read from about a thirtieth of the rows. As in cost_daily,
-- one (key, month) may span rows; every reader sums them.
CREATE TABLE cost_key_monthly (
    import_id             BIGINT NOT NULL,
    billing_account_id    TEXT NOT NULL,
    billing_period_start  DATE NOT NULL,
    month                 DATE NOT NULL,
    key_id                BIGINT NOT NULL,
    billed_cost           NUMERIC NOT NULL,
    effective_cost        NUMERIC NOT NULL,
    list_cost             NUMERIC NOT NULL,
    line_items            BIGINT NOT NULL
);
CREATE INDEX cost_key_monthly_month ON cost_key_monthly (month, key_id);

INSERT INTO cost_key_monthly
SELECT import_id, billing_account_id, billing_period_start, date_trunc('month', day)::date, key_id,
       sum(billed_cost), sum(effective_cost), sum(list_cost), sum(line_items)
FROM cost_daily GROUP BY 1, 2, 3, 4, 5;
