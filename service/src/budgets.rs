//! Budgets per group: actual and forecast spend against an amount, alerts when a
//! threshold is crossed (once per threshold and period), signed webhooks with
//! retries, and the budget state that requests by the group's members carry as
//! `portcullis:BudgetStatus` (`ok`, `forecast-exceeded`, `exceeded`) and
//! `portcullis:BudgetUsedPercent`, so a policy can stop costly actions once a group
//! is over budget.
//!
//! Seeing a budget is `budgets:ViewBudget` and setting it `budgets:ModifyBudget`,
//! both on the group's ARN. The current period is the one holding the newest
//! billing data, so an account whose exports lag still gets its alerts.

use model::costs::{AlertRow, BudgetForm, BudgetRow, BudgetStanding, BudgetsPage};
use store::budgets::{Budget, BudgetState};
use time::{Date, Duration, Month};

use crate::caller::Caller;
use crate::error::ServiceError;
use crate::money::{decimal, units, UNIT};
use crate::Service;

pub const VIEW: &str = "budgets:ViewBudget";
pub const MODIFY: &str = "budgets:ModifyBudget";

/// A budget as the pages show it, with its evaluated state when there is one.
fn budget_row(b: Budget, states: &[BudgetState]) -> BudgetRow {
    let state = states
        .iter()
        .find(|s| s.group_id == b.group_id)
        .map(|s| BudgetStanding {
            period: format!("{} to {}", s.period_start, s.period_end - Duration::days(1)),
            actual: s.actual.clone(),
            forecast: s.forecast.clone(),
            forecast_low: s.forecast_low.clone(),
            forecast_high: s.forecast_high.clone(),
            method: s.method.clone(),
            status: s.status.clone(),
            used_percent: s.used_percent.clone(),
        });
    BudgetRow {
        group: b.group_name,
        period: b.period,
        amount: b.amount,
        currency: b.currency,
        actual_thresholds: joined(&b.actual_thresholds),
        forecast_thresholds: joined(&b.forecast_thresholds),
        webhook_url: b.webhook_url.unwrap_or_default(),
        email_to: b.email_to.join(", "),
        state,
    }
}

/// Webhook attempts before a delivery is given up.
const MAX_ATTEMPTS: i32 = 6;

/// The period of a budget that holds `day`: [start, end) .
pub fn period_of(period: &str, day: Date) -> (Date, Date) {
    let (year, month) = (day.year(), u8::from(day.month()));
    let (start_month, months) = match period {
        "quarterly" => ((month - 1) / 3 * 3 + 1, 3),
        "yearly" => (1, 12),
        _ => (month, 1),
    };
    let start = first_of(year, start_month);
    (start, add_months(start, months))
}

fn first_of(year: i32, month: u8) -> Date {
    Date::from_calendar_date(year, Month::try_from(month).unwrap_or(Month::January), 1)
        .unwrap_or(Date::MIN)
}

fn add_months(date: Date, months: u8) -> Date {
    let index = date.year() * 12 + i32::from(u8::from(date.month())) - 1 + i32::from(months);
    first_of(index.div_euclid(12), (index.rem_euclid(12) + 1) as u8)
}

fn thresholds(field: &'static str, text: &str) -> Result<Vec<i16>, ServiceError> {
    let mut out = Vec::new();
    for part in text.split([',', ' ']).filter(|p| !p.trim().is_empty()) {
        let value: i16 = part.trim().trim_end_matches('%').parse().map_err(|_| {
            ServiceError::invalid(
                field,
                format!(
                    "{part:?} is not a whole percentage; write thresholds such as 50, 80, 100."
                ),
            )
        })?;
        if !(1..=1000).contains(&value) {
            return Err(ServiceError::invalid(
                field,
                "Thresholds are percentages of the budget from 1 to 1000.",
            ));
        }
        if !out.contains(&value) {
            out.push(value);
        }
    }
    out.sort_unstable();
    Ok(out)
}

fn joined(values: &[i16]) -> String {
    values
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Service {
    /// Budgets and alerts of the groups the caller may see the budgets of.
    pub async fn budgets(&self, caller: &Caller) -> Result<BudgetsPage, ServiceError> {
        let groups = self.store.list_groups().await?;
        let arns: Vec<String> = groups.iter().map(|g| g.arn.clone()).collect();
        let viewable = self.allowed_each(caller, VIEW, &arns).await?;
        let editable = self.allowed_each(caller, MODIFY, &arns).await?;
        if !viewable.iter().chain(&editable).any(|a| *a) {
            // No group's budget to show or set: the refusal names what would be needed.
            self.authorize(caller, VIEW, &crate::authz::arn::groups(&caller.account_id))
                .await?;
        }
        let visible: Vec<&str> = groups
            .iter()
            .zip(&viewable)
            .filter(|(_, v)| **v)
            .map(|(g, _)| g.id.as_str())
            .collect();
        let states = self.store.budget_states().await?;
        let budgets = self
            .store
            .budgets()
            .await?
            .into_iter()
            .filter(|b| visible.contains(&b.group_id.as_str()))
            .map(|b| budget_row(b, &states))
            .collect();
        let alerts = self
            .store
            .budget_alerts(50)
            .await?
            .into_iter()
            .filter(|a| visible.contains(&a.group_id.as_str()))
            .map(alert_row)
            .collect();
        Ok(BudgetsPage {
            budgets,
            alerts,
            editable: groups
                .iter()
                .zip(&editable)
                .filter(|(_, e)| **e)
                .map(|(g, _)| g.name.clone())
                .collect(),
        })
    }

    /// One group's budget and where it stands, if it has one and the caller may see it.
    pub async fn group_budget(
        &self,
        caller: &Caller,
        group: &store::Group,
    ) -> Result<Option<BudgetRow>, ServiceError> {
        let viewable = self
            .allowed_each(caller, VIEW, std::slice::from_ref(&group.arn))
            .await?;
        if !viewable.first().copied().unwrap_or(false) {
            return Ok(None);
        }
        let states = self.store.budget_states().await?;
        Ok(self
            .store
            .budgets()
            .await?
            .into_iter()
            .find(|b| b.group_id == group.id)
            .map(|b| budget_row(b, &states)))
    }

    /// Sets a group's budget (replacing one it had), then evaluates it at once.
    pub async fn set_budget(&self, caller: &Caller, form: &BudgetForm) -> Result<(), ServiceError> {
        if form.group.trim().is_empty() {
            return Err(ServiceError::invalid("group", "Choose a group."));
        }
        let (group, permit) = self.group_for(caller, MODIFY, &form.group).await?;
        let period = match form.period.trim() {
            "" | "monthly" => "monthly",
            "quarterly" => "quarterly",
            "yearly" => "yearly",
            other => {
                return Err(ServiceError::invalid(
                    "period",
                    format!(
                        "{other:?} is not a budget period; choose monthly, quarterly or yearly."
                    ),
                ))
            }
        };
        let amount = spend::Amount::parse(&form.amount)
            .filter(|a| !a.is_negative() && !a.is_zero() && !a.as_str().contains(['e', 'E']))
            .ok_or_else(|| {
                ServiceError::invalid(
                    "amount",
                    "Enter the budget as an amount greater than 0, such as 2500 or 2500.50.",
                )
            })?;
        if units(amount.as_str()) > 1_000_000_000_000 * UNIT {
            return Err(ServiceError::invalid(
                "amount",
                "A budget can be at most 1,000,000,000,000.",
            ));
        }
        let actual = thresholds("actual_thresholds", &form.actual_thresholds)?;
        let forecast = thresholds("forecast_thresholds", &form.forecast_thresholds)?;
        if actual.is_empty() && forecast.is_empty() {
            return Err(ServiceError::invalid(
                "actual_thresholds",
                "Give at least one threshold, such as 80, 100.",
            ));
        }
        let url = form.webhook_url.trim();
        let webhook_url = if url.is_empty() {
            None
        } else {
            let ok = (url.starts_with("https://") || url.starts_with("http://"))
                && url.len() <= 2048
                && !url.chars().any(|c| c.is_whitespace() || c.is_control());
            if !ok {
                return Err(ServiceError::invalid(
                    "webhook_url",
                    "The webhook must be an http:// or https:// URL without spaces.",
                ));
            }
            Some(url.to_string())
        };
        let secret = form.webhook_secret.trim();
        let existing = self
            .store
            .budgets()
            .await?
            .into_iter()
            .find(|b| b.group_id == group.id);
        let has_key = existing.as_ref().is_some_and(|b| b.webhook_key.is_some());
        let webhook_key = if secret.is_empty() {
            if webhook_url.is_some() && !has_key {
                return Err(ServiceError::invalid(
                    "webhook_secret",
                    "Give the webhook a signing secret of at least 16 characters.",
                ));
            }
            None
        } else {
            if secret.len() < 16 {
                return Err(ServiceError::invalid(
                    "webhook_secret",
                    "The signing secret needs at least 16 characters.",
                ));
            }
            Some(
                self.secrets
                    .seal(secret.as_bytes())
                    .map_err(ServiceError::internal)?,
            )
        };
        let mut email_to = Vec::new();
        for address in form
            .email_to
            .split([',', ';', ' '])
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            model::validate::email(address).map_err(|m| ServiceError::invalid("email_to", m))?;
            if address.chars().any(|c| "<>\"".contains(c)) {
                return Err(ServiceError::invalid(
                    "email_to",
                    "Enter addresses such as pm@example.com, separated by commas.",
                ));
            }
            if !email_to
                .iter()
                .any(|a: &String| a.eq_ignore_ascii_case(address))
            {
                email_to.push(address.to_string());
            }
        }
        if email_to.len() > 10 {
            return Err(ServiceError::invalid(
                "email_to",
                "Alerts can go to at most 10 addresses.",
            ));
        }
        let currency = self
            .store
            .cost_currencies()
            .await?
            .into_iter()
            .next()
            .unwrap_or_else(|| "USD".to_string());
        let budget = Budget {
            group_id: group.id.clone(),
            group_name: group.name.clone(),
            period: period.to_string(),
            amount: amount.as_str().to_string(),
            currency,
            actual_thresholds: actual,
            forecast_thresholds: forecast,
            webhook_url,
            webhook_key,
            email_to,
        };
        let audit = permit.audit(
            caller,
            format!(
                "budget {} {} {} for {}",
                budget.period, budget.amount, budget.currency, group.name
            ),
        );
        self.store.put_budget(&budget, &audit).await?;
        self.evaluate_budgets().await?;
        Ok(())
    }

    pub async fn delete_budget(&self, caller: &Caller, group: &str) -> Result<(), ServiceError> {
        let (group, permit) = self.group_for(caller, MODIFY, group).await?;
        self.store
            .delete_budget(
                &group.id,
                &permit.audit(caller, format!("removed the budget of {}", group.name)),
            )
            .await?;
        Ok(())
    }

    /// Evaluates every budget against the newest billing data and records alerts
    /// (each threshold once per period) with their webhook deliveries.
    pub async fn evaluate_budgets(&self) -> Result<usize, ServiceError> {
        let Some((_, last)) = self.store.cost_days().await? else {
            return Ok(0);
        };
        let now = self.clock.now();
        let mut fired = 0;
        for budget in self.store.budgets().await? {
            let (state, crossed) = self.evaluate(&budget, last).await?;
            let group = budget.group_name.clone();
            let currency = budget.currency.clone();
            let amount = budget.amount.clone();
            let period_start = state.period_start;
            fired += self
                .store
                .record_budget_state(
                    &state,
                    &crossed,
                    &budget,
                    now,
                    |id, kind, threshold, value| {
                        serde_json::json!({
                            "type": "budget.threshold_crossed",
                            "alert_id": id,
                            "group": group,
                            "period_start": period_start.to_string(),
                            "kind": kind,
                            "threshold_percent": threshold,
                            "value": value,
                            "budget": amount,
                            "currency": currency,
                        })
                        .to_string()
                    },
                )
                .await?
                .len();
        }
        Ok(fired)
    }

    async fn evaluate(
        &self,
        budget: &Budget,
        last: Date,
    ) -> Result<(BudgetState, Vec<(&'static str, i16, String)>), ServiceError> {
        let (start, end) = period_of(&budget.period, last);
        let through = last + Duration::days(1);
        let actual = units(
            &self
                .store
                .group_spend(&budget.group_id, start, through)
                .await?,
        );
        let elapsed = (through - start).whole_days().max(1);
        let length = (end - start).whole_days().max(1);
        let run_rate = actual * i128::from(length) / i128::from(elapsed);
        // The same days of the previous period, scaled by how that period ended.
        let (previous_start, _) = period_of(&budget.period, start - Duration::days(1));
        let previous_same = units(
            &self
                .store
                .group_spend(
                    &budget.group_id,
                    previous_start,
                    previous_start + Duration::days(elapsed),
                )
                .await?,
        );
        let previous_full = units(
            &self
                .store
                .group_spend(&budget.group_id, previous_start, start)
                .await?,
        );
        let mut forecasts = vec![run_rate];
        let mut method = format!(
            "run rate: {} days of {} so far, scaled to the whole period",
            elapsed, length
        );
        if previous_same > 0 && previous_full > 0 && elapsed < length {
            forecasts.push(actual * previous_full / previous_same);
            method.push_str("; and the previous period's same days scaled to how it ended; the forecast is their mean, the range their spread");
        }
        let forecast = forecasts.iter().sum::<i128>() / forecasts.len() as i128;
        let low = forecasts.iter().copied().min().unwrap_or(forecast);
        let high = forecasts.iter().copied().max().unwrap_or(forecast);
        let amount = units(&budget.amount).max(1);
        let status = if actual >= amount {
            "exceeded"
        } else if forecast >= amount {
            "forecast-exceeded"
        } else {
            "ok"
        };
        let used = actual * 100 * UNIT / amount;
        let mut crossed = Vec::new();
        for threshold in &budget.actual_thresholds {
            if actual * 100 >= amount * i128::from(*threshold) {
                crossed.push(("actual", *threshold, decimal(actual)));
            }
        }
        for threshold in &budget.forecast_thresholds {
            if forecast * 100 >= amount * i128::from(*threshold) {
                crossed.push(("forecast", *threshold, decimal(forecast)));
            }
        }
        Ok((
            BudgetState {
                group_id: budget.group_id.clone(),
                period_start: start,
                period_end: end,
                actual: decimal(actual),
                forecast: decimal(forecast),
                forecast_low: decimal(low),
                forecast_high: decimal(high),
                method,
                status: status.to_string(),
                used_percent: decimal(used),
            },
            crossed,
        ))
    }

    /// Sends the webhook deliveries that are due: JSON POSTs signed with
    /// HMAC-SHA256 over `TIMESTAMP.BODY` (header `X-Portcullis-Signature:
    /// t=TIMESTAMP,v1=HEX`), retried with doubling delays, every attempt recorded.
    pub async fn deliver_webhooks(&self) -> Result<usize, ServiceError> {
        let now = self.clock.now();
        let due = self.store.due_deliveries(now, 60).await?;
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(ServiceError::internal)?;
        let mut delivered = 0;
        for delivery in due {
            if let Some(addresses) = delivery.url.strip_prefix("mailto:") {
                let error = self.mail_alert(addresses, &delivery.body).await.err();
                let retry_at = (error.is_some() && delivery.attempts + 1 < MAX_ATTEMPTS)
                    .then(|| now + backoff(delivery.attempts));
                if error.is_none() {
                    delivered += 1;
                }
                self.store
                    .record_delivery(delivery.id, now, None, error.as_deref(), retry_at)
                    .await?;
                continue;
            }
            let key = match &delivery.key {
                Some(sealed) => self.secrets.open(sealed).map_err(ServiceError::internal)?,
                None => Vec::new(),
            };
            let timestamp = now.unix_timestamp();
            let signature = sign(&key, timestamp, &delivery.body);
            let outcome = client
                .post(&delivery.url)
                .header("content-type", "application/json")
                .header("user-agent", "Portcullis-Webhook/1")
                .header(
                    "x-portcullis-signature",
                    format!("t={timestamp},v1={signature}"),
                )
                .body(delivery.body.clone())
                .send()
                .await;
            let (status, error) = match outcome {
                Ok(response) if response.status().is_success() => {
                    (Some(i32::from(response.status().as_u16())), None)
                }
                Ok(response) => (
                    Some(i32::from(response.status().as_u16())),
                    Some(format!("the receiver answered {}", response.status())),
                ),
                Err(e) => (None, Some(format!("cannot reach the receiver: {e}"))),
            };
            let retry_at = (error.is_some() && delivery.attempts + 1 < MAX_ATTEMPTS)
                .then(|| now + backoff(delivery.attempts));
            if error.is_none() {
                delivered += 1;
            }
            self.store
                .record_delivery(delivery.id, now, status, error.as_deref(), retry_at)
                .await?;
        }
        Ok(delivered)
    }

    /// E-mails one alert (its JSON `body`) through the configured relay.
    async fn mail_alert(&self, addresses: &str, body: &str) -> Result<(), String> {
        let Some(smtp) = &self.options.smtp else {
            return Err("e-mail is not configured (set PORTCULLIS_SMTP)".into());
        };
        let alert: serde_json::Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
        let text = |key: &str| {
            alert
                .get(key)
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                })
                .unwrap_or_default()
        };
        let subject = format!(
            "Budget alert: {} crossed {}% of its budget ({} spend)",
            text("group"),
            text("threshold_percent"),
            text("kind")
        );
        let message = format!(
            "The {} spend of group {} is {} {}, past {}% of its budget of {} {} for the period from {}.\n\nSee the budgets page of the Portcullis console.\n",
            text("kind"),
            text("group"),
            model::costs::money(&text("value")),
            text("currency"),
            text("threshold_percent"),
            model::costs::money(&text("budget")),
            text("currency"),
            text("period_start"),
        );
        let to: Vec<String> = addresses.split(',').map(str::to_string).collect();
        crate::mail::send(smtp, &to, &subject, &message)
            .await
            .map_err(|e| e.to_string())
    }

    /// Webhook deliveries, newest first (for the console and tests).
    pub async fn webhook_deliveries(
        &self,
    ) -> Result<Vec<store::budgets::DeliveryRecord>, ServiceError> {
        Ok(self.store.deliveries(100).await?)
    }
}

/// An alert as pages show it.
pub(crate) fn alert_row(alert: store::budgets::BudgetAlert) -> AlertRow {
    AlertRow {
        group: alert.group_name,
        period: alert.period_start.to_string(),
        kind: alert.kind,
        threshold: alert.threshold,
        value: alert.value,
        budget: alert.budget,
        fired_at: crate::format::date(alert.fired_at),
    }
}

/// 10 s, 20 s, 40 s, … after the failed attempt.
fn backoff(attempts: i32) -> Duration {
    Duration::seconds(10 << attempts.clamp(0, 10))
}

/// Hex HMAC-SHA256 of `TIMESTAMP.BODY`.
pub fn sign(key: &[u8], timestamp: i64, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = match Hmac::<sha2::Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a request by a user carries about their billing group's budget.
pub(crate) async fn budget_context(
    service: &Service,
    user_id: &str,
) -> Result<Option<(String, String)>, ServiceError> {
    Ok(service.store.budget_state_of_user(user_id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn periods() {
        assert_eq!(
            period_of("monthly", date!(2024 - 09 - 18)),
            (date!(2024 - 09 - 01), date!(2024 - 10 - 01))
        );
        assert_eq!(
            period_of("quarterly", date!(2024 - 11 - 18)),
            (date!(2024 - 10 - 01), date!(2025 - 01 - 01))
        );
        assert_eq!(
            period_of("yearly", date!(2024 - 11 - 18)),
            (date!(2024 - 01 - 01), date!(2025 - 01 - 01))
        );
        assert_eq!(
            period_of("monthly", date!(2024 - 12 - 31)).1,
            date!(2025 - 01 - 01)
        );
    }

    #[test]
    fn thresholds_parse_and_refuse() {
        assert_eq!(thresholds("t", "100, 50 80%").unwrap(), vec![50, 80, 100]);
        assert!(thresholds("t", "0").is_err());
        assert!(thresholds("t", "abc").is_err());
    }

    #[test]
    fn signatures_are_hmac_sha256() {
        // RFC 4231 test case 2 shape: key "Jefe".
        let sig = sign(b"Jefe", 1, "x");
        assert_eq!(sig.len(), 64);
        assert_ne!(sig, sign(b"Jefe", 2, "x"));
    }
}
