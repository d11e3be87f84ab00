//! Budgets, their evaluated state, alerts and webhook deliveries.

use sqlx::Row;
use time::{Date, OffsetDateTime};

use crate::audit::{commit, record, AuditEntry};
use crate::{Store, StoreError};

/// A group's budget as stored; the webhook key stays sealed.
#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    pub group_id: String,
    pub group_name: String,
    pub period: String,
    pub amount: String,
    pub currency: String,
    pub actual_thresholds: Vec<i16>,
    pub forecast_thresholds: Vec<i16>,
    pub webhook_url: Option<String>,
    pub webhook_key: Option<identity::secret_box::Sealed>,
    /// Addresses alerts are e-mailed to.
    pub email_to: Vec<String>,
}

/// The evaluation of one budget.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BudgetState {
    pub group_id: String,
    pub period_start: Date,
    pub period_end: Date,
    pub actual: String,
    pub forecast: String,
    pub forecast_low: String,
    pub forecast_high: String,
    pub method: String,
    pub status: String,
    pub used_percent: String,
}

/// An alert that fired.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BudgetAlert {
    pub id: i64,
    pub group_id: String,
    pub group_name: String,
    pub period_start: Date,
    pub kind: String,
    pub threshold: i16,
    pub budget: String,
    pub value: String,
    pub fired_at: OffsetDateTime,
}

/// A webhook waiting to be sent (or sent again).
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: i64,
    pub url: String,
    pub body: String,
    pub attempts: i32,
    pub key: Option<identity::secret_box::Sealed>,
}

/// A delivery as the console lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DeliveryRecord {
    pub id: i64,
    pub alert_id: i64,
    pub url: String,
    pub state: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
}

fn sealed(
    row: &sqlx::postgres::PgRow,
) -> Result<Option<identity::secret_box::Sealed>, sqlx::Error> {
    let key_id: Option<String> = row.try_get("webhook_key_id")?;
    let nonce: Option<Vec<u8>> = row.try_get("webhook_nonce")?;
    let ciphertext: Option<Vec<u8>> = row.try_get("webhook_ciphertext")?;
    Ok(match (key_id, nonce, ciphertext) {
        (Some(key_id), Some(nonce), Some(ciphertext)) => Some(identity::secret_box::Sealed {
            key_id,
            nonce,
            ciphertext,
        }),
        _ => None,
    })
}

impl Store {
    /// Creates or replaces a group's budget. `keep_key` keeps the stored webhook key
    /// when no new one is given.
    pub async fn put_budget(&self, budget: &Budget, audit: &AuditEntry) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let (key_id, nonce, ciphertext) = match &budget.webhook_key {
            Some(s) => (
                Some(s.key_id.clone()),
                Some(s.nonce.clone()),
                Some(s.ciphertext.clone()),
            ),
            None => (None, None, None),
        };
        sqlx::query(
            "INSERT INTO budgets (group_id, period, amount, currency, actual_thresholds, forecast_thresholds,
                 webhook_url, webhook_key_id, webhook_nonce, webhook_ciphertext, updated_at, updated_by, email_to)
             VALUES ($1, $2, $3::numeric, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (group_id) DO UPDATE SET period = EXCLUDED.period, amount = EXCLUDED.amount,
                 currency = EXCLUDED.currency, actual_thresholds = EXCLUDED.actual_thresholds,
                 forecast_thresholds = EXCLUDED.forecast_thresholds, webhook_url = EXCLUDED.webhook_url,
                 webhook_key_id = coalesce(EXCLUDED.webhook_key_id, CASE WHEN EXCLUDED.webhook_url IS NULL THEN NULL ELSE budgets.webhook_key_id END),
                 webhook_nonce = coalesce(EXCLUDED.webhook_nonce, CASE WHEN EXCLUDED.webhook_url IS NULL THEN NULL ELSE budgets.webhook_nonce END),
                 webhook_ciphertext = coalesce(EXCLUDED.webhook_ciphertext, CASE WHEN EXCLUDED.webhook_url IS NULL THEN NULL ELSE budgets.webhook_ciphertext END),
                 updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by, email_to = EXCLUDED.email_to",
        )
        .bind(&budget.group_id)
        .bind(&budget.period)
        .bind(&budget.amount)
        .bind(&budget.currency)
        .bind(&budget.actual_thresholds)
        .bind(&budget.forecast_thresholds)
        .bind(&budget.webhook_url)
        .bind(key_id)
        .bind(nonce)
        .bind(ciphertext)
        .bind(audit.at)
        .bind(&audit.actor)
        .bind((!budget.email_to.is_empty()).then(|| budget.email_to.join(",")))
        .execute(&mut *tx)
        .await?;
        commit(tx, audit).await
    }

    pub async fn delete_budget(
        &self,
        group_id: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM budget_state WHERE group_id = $1")
            .bind(group_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM budgets WHERE group_id = $1")
            .bind(group_id)
            .execute(&mut *tx)
            .await?;
        commit(tx, audit).await
    }

    pub async fn budgets(&self) -> Result<Vec<Budget>, StoreError> {
        let rows = sqlx::query(
            "SELECT b.*, b.amount::text AS amount_text, g.name AS group_name
             FROM budgets b JOIN groups g ON g.id = b.group_id ORDER BY lower(g.name)",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Budget {
                    group_id: row.try_get("group_id")?,
                    group_name: row.try_get("group_name")?,
                    period: row.try_get("period")?,
                    amount: row.try_get("amount_text")?,
                    currency: row.try_get("currency")?,
                    actual_thresholds: row.try_get("actual_thresholds")?,
                    forecast_thresholds: row.try_get("forecast_thresholds")?,
                    webhook_url: row.try_get("webhook_url")?,
                    webhook_key: sealed(row)?,
                    email_to: row
                        .try_get::<Option<String>, _>("email_to")?
                        .map(|t| t.split(',').map(str::to_string).collect())
                        .unwrap_or_default(),
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    pub async fn budget_states(&self) -> Result<Vec<BudgetState>, StoreError> {
        let rows = sqlx::query(
            "SELECT group_id, period_start, period_end, actual::text AS actual, forecast::text AS forecast,
                    forecast_low::text AS forecast_low, forecast_high::text AS forecast_high, method, status,
                    used_percent::text AS used_percent
             FROM budget_state",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(BudgetState {
                    group_id: row.try_get("group_id")?,
                    period_start: row.try_get("period_start")?,
                    period_end: row.try_get("period_end")?,
                    actual: row.try_get("actual")?,
                    forecast: row.try_get("forecast")?,
                    forecast_low: row.try_get("forecast_low")?,
                    forecast_high: row.try_get("forecast_high")?,
                    method: row.try_get("method")?,
                    status: row.try_get("status")?,
                    used_percent: row.try_get("used_percent")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Records an evaluation, and the alerts it crossed (each once per threshold and
    /// period) with a webhook delivery for each when the budget has a webhook.
    /// Returns the alerts that fired now.
    pub async fn record_budget_state(
        &self,
        state: &BudgetState,
        crossed: &[(&'static str, i16, String)],
        budget: &Budget,
        now: OffsetDateTime,
        body: impl Fn(i64, &str, i16, &str) -> String,
    ) -> Result<Vec<i64>, StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO budget_state (group_id, period_start, period_end, actual, forecast, forecast_low,
                 forecast_high, method, status, used_percent, evaluated_at)
             VALUES ($1, $2, $3, $4::numeric, $5::numeric, $6::numeric, $7::numeric, $8, $9, $10::numeric, $11)
             ON CONFLICT (group_id) DO UPDATE SET period_start = EXCLUDED.period_start, period_end = EXCLUDED.period_end,
                 actual = EXCLUDED.actual, forecast = EXCLUDED.forecast, forecast_low = EXCLUDED.forecast_low,
                 forecast_high = EXCLUDED.forecast_high, method = EXCLUDED.method, status = EXCLUDED.status,
                 used_percent = EXCLUDED.used_percent, evaluated_at = EXCLUDED.evaluated_at",
        )
        .bind(&state.group_id)
        .bind(state.period_start)
        .bind(state.period_end)
        .bind(&state.actual)
        .bind(&state.forecast)
        .bind(&state.forecast_low)
        .bind(&state.forecast_high)
        .bind(&state.method)
        .bind(&state.status)
        .bind(&state.used_percent)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let mut fired = Vec::new();
        for (kind, threshold, value) in crossed {
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO budget_alerts (group_id, period_start, kind, threshold, budget, value, fired_at)
                 VALUES ($1, $2, $3, $4, $5::numeric, $6::numeric, $7)
                 ON CONFLICT (group_id, period_start, kind, threshold) DO NOTHING RETURNING id",
            )
            .bind(&state.group_id)
            .bind(state.period_start)
            .bind(kind)
            .bind(threshold)
            .bind(&budget.amount)
            .bind(value)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(id) = id else { continue };
            fired.push(id);
            record(
                &mut tx,
                &AuditEntry {
                    at: now,
                    actor: "portcullis".into(),
                    action: "budgets:BudgetAlert",
                    target: budget.group_name.clone(),
                    source_ip: String::new(),
                    outcome: crate::Outcome::Success,
                    detail: format!(
                        "{kind} spend {value} crossed {threshold}% of {} {}",
                        budget.amount, budget.currency
                    ),
                },
            )
            .await?;
            // A webhook and, when the budget names addresses, an e-mail (`mailto:`).
            let mailto = (!budget.email_to.is_empty())
                .then(|| format!("mailto:{}", budget.email_to.join(",")));
            for url in budget.webhook_url.iter().chain(mailto.iter()) {
                sqlx::query(
                    "INSERT INTO webhook_deliveries (alert_id, url, body, next_attempt_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(id)
                .bind(url)
                .bind(body(id, kind, *threshold, value))
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(fired)
    }

    pub async fn budget_alerts(&self, limit: i64) -> Result<Vec<BudgetAlert>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, a.group_id, g.name AS group_name, a.period_start, a.kind, a.threshold,
                    a.budget::text AS budget, a.value::text AS value, a.fired_at
             FROM budget_alerts a JOIN groups g ON g.id = a.group_id
             ORDER BY a.fired_at DESC, a.id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(BudgetAlert {
                    id: row.try_get("id")?,
                    group_id: row.try_get("group_id")?,
                    group_name: row.try_get("group_name")?,
                    period_start: row.try_get("period_start")?,
                    kind: row.try_get("kind")?,
                    threshold: row.try_get("threshold")?,
                    budget: row.try_get("budget")?,
                    value: row.try_get("value")?,
                    fired_at: row.try_get("fired_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Deliveries due now, claimed so that another server does not send them too.
    pub async fn due_deliveries(
        &self,
        now: OffsetDateTime,
        lease_seconds: i64,
    ) -> Result<Vec<Delivery>, StoreError> {
        let rows = sqlx::query(
            "UPDATE webhook_deliveries d SET next_attempt_at = $1 + make_interval(secs => $2)
             FROM budget_alerts a LEFT JOIN budgets b ON b.group_id = a.group_id
             WHERE d.alert_id = a.id AND d.id IN (
                 SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $1
                 ORDER BY next_attempt_at LIMIT 20 FOR UPDATE SKIP LOCKED)
             RETURNING d.id, d.url, d.body, d.attempts, b.webhook_key_id, b.webhook_nonce, b.webhook_ciphertext",
        )
        .bind(now)
        .bind(lease_seconds as f64)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Delivery {
                    id: row.try_get("id")?,
                    url: row.try_get("url")?,
                    body: row.try_get("body")?,
                    attempts: row.try_get("attempts")?,
                    key: sealed(row)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Records one attempt: delivered, retried at `retry_at`, or given up.
    pub async fn record_delivery(
        &self,
        id: i64,
        now: OffsetDateTime,
        status: Option<i32>,
        error: Option<&str>,
        retry_at: Option<OffsetDateTime>,
    ) -> Result<(), StoreError> {
        let state = match (error, retry_at) {
            (None, _) => "delivered",
            (Some(_), Some(_)) => "pending",
            (Some(_), None) => "failed",
        };
        sqlx::query(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, state = $2, last_status = $3, last_error = $4,
                 next_attempt_at = coalesce($5, next_attempt_at), delivered_at = CASE WHEN $2 = 'delivered' THEN $6 ELSE NULL END
             WHERE id = $1",
        )
        .bind(id)
        .bind(state)
        .bind(status)
        .bind(error)
        .bind(retry_at)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn deliveries(&self, limit: i64) -> Result<Vec<DeliveryRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, alert_id, url, state, attempts, last_status, last_error FROM webhook_deliveries ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(DeliveryRecord {
                    id: row.try_get("id")?,
                    alert_id: row.try_get("alert_id")?,
                    url: row.try_get("url")?,
                    state: row.try_get("state")?,
                    attempts: row.try_get("attempts")?,
                    last_status: row.try_get("last_status")?,
                    last_error: row.try_get("last_error")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// The budget state of a user's billing group (its chosen one, or the first group
    /// joined), for the condition keys of the user's requests.
    pub async fn budget_state_of_user(
        &self,
        user_id: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT s.status, s.used_percent::text AS used FROM users u
             JOIN budget_state s ON s.group_id = coalesce(u.billing_group_id,
                 (SELECT m.group_id FROM group_members m WHERE m.user_id = u.id ORDER BY m.added_at, m.group_id LIMIT 1))
             WHERE u.id = $1",
        )
        .bind(user_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| Ok((row.try_get("status")?, row.try_get("used")?)))
            .transpose()
            .map_err(|e: sqlx::Error| e.into())
    }

    /// Spend of one group over a period (`to` exclusive), exact decimal text.
    pub async fn group_spend(
        &self,
        group_id: &str,
        from: Date,
        to: Date,
    ) -> Result<String, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT coalesce(sum(d.billed_cost * a.share), 0)::text FROM cost_daily d
             JOIN cost_allocations a ON a.key_id = d.key_id
             WHERE a.group_id = $1 AND d.day >= $2 AND d.day < $3",
        )
        .bind(group_id)
        .bind(from)
        .bind(to)
        .fetch_one(self.pool())
        .await?)
    }
}
