//! Account settings: the password policy, lockout and session lifetimes.

use identity::PasswordPolicy;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::audit::{commit_and_announce, AuditEntry};
use crate::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSettings {
    pub password_policy: PasswordPolicy,
    /// Failed sign-ins in a row before the account locks, 1–100.
    pub lockout_threshold: i16,
    /// How long a lock lasts, 1–1440 minutes.
    pub lockout_minutes: i16,
    /// Sign out after this much inactivity, 5–1440 minutes.
    pub session_idle_minutes: i16,
    /// Sign out after this long whatever happens, 1–720 hours.
    pub session_max_hours: i16,
    /// Console sign-in only from these CIDR ranges (checked by the caller, which
    /// knows CIDRs); empty allows any address.
    pub sign_in_ranges: Vec<String>,
    /// The regions the console offers; the chosen one is `aws:RequestedRegion`.
    pub regions: Vec<String>,
    /// Availability zones, each in one of `regions`.
    pub availability_zones: Vec<String>,
}

impl Default for AccountSettings {
    fn default() -> Self {
        AccountSettings {
            password_policy: PasswordPolicy::default(),
            lockout_threshold: 5,
            lockout_minutes: 15,
            session_idle_minutes: 60,
            session_max_hours: 12,
            sign_in_ranges: Vec::new(),
            regions: [
                "us-east-1",
                "us-west-2",
                "eu-west-1",
                "eu-central-1",
                "ap-southeast-1",
            ]
            .map(String::from)
            .to_vec(),
            availability_zones: [
                "us-east-1a",
                "us-east-1b",
                "us-east-1c",
                "us-west-2a",
                "us-west-2b",
                "eu-west-1a",
                "eu-west-1b",
                "eu-central-1a",
                "eu-central-1b",
                "ap-southeast-1a",
                "ap-southeast-1b",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

impl AccountSettings {
    /// Checks every field's range; the error names the field.
    pub fn validate(&self) -> Result<(), identity::PolicyFieldError> {
        self.password_policy.validate()?;
        let check = |value: i16, range: std::ops::RangeInclusive<i16>, field: &str, unit: &str| {
            if range.contains(&value) {
                Ok(())
            } else {
                Err(identity::PolicyFieldError {
                    field: field.to_string(),
                    message: format!(
                        "must be between {} and {} {unit}",
                        range.start(),
                        range.end()
                    ),
                })
            }
        };
        check(
            self.lockout_threshold,
            1..=100,
            "lockout_threshold",
            "failed attempts",
        )?;
        check(self.lockout_minutes, 1..=1440, "lockout_minutes", "minutes")?;
        check(
            self.session_idle_minutes,
            5..=1440,
            "session_idle_minutes",
            "minutes",
        )?;
        check(
            self.session_max_hours,
            1..=720,
            "session_max_hours",
            "hours",
        )?;
        let invalid = |field: &str, message: String| identity::PolicyFieldError {
            field: field.to_string(),
            message,
        };
        if self.regions.is_empty() {
            return Err(invalid("regions", "List at least one region.".into()));
        }
        for region in &self.regions {
            if !is_region(region) {
                return Err(invalid(
                    "regions",
                    format!("\"{region}\" is not a region name such as eu-west-1."),
                ));
            }
        }
        for zone in &self.availability_zones {
            let region = zone.get(..zone.len().saturating_sub(1)).unwrap_or_default();
            let letter = zone.chars().last().unwrap_or(' ');
            if !letter.is_ascii_lowercase() || !is_region(region) {
                return Err(invalid(
                    "availability_zones",
                    format!("\"{zone}\" is not an availability zone name such as eu-west-1a."),
                ));
            }
            if !self.regions.iter().any(|r| r == region) {
                return Err(invalid(
                    "availability_zones",
                    format!("\"{zone}\" is in {region}, which is not in the list of regions."),
                ));
            }
        }
        Ok(())
    }
}

/// `us-east-1`, `ap-southeast-2`, `us-gov-west-1`: letters, dash-separated, then a number.
fn is_region(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() >= 3
        && parts
            .iter()
            .rev()
            .skip(1)
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

const COLUMNS: &str = "minimum_password_length, require_symbols, require_numbers, require_uppercase_characters,
    require_lowercase_characters, allow_users_to_change_password, max_password_age, password_reuse_prevention,
    hard_expiry, lockout_threshold, lockout_minutes, session_idle_minutes, session_max_hours,
    sign_in_ranges, regions, availability_zones";

fn from_row(row: &sqlx::postgres::PgRow) -> Result<AccountSettings, sqlx::Error> {
    let small = |name: &str| -> Result<i16, sqlx::Error> { row.try_get::<i16, _>(name) };
    Ok(AccountSettings {
        password_policy: PasswordPolicy {
            minimum_password_length: u8::try_from(small("minimum_password_length")?).unwrap_or(8),
            require_symbols: row.try_get("require_symbols")?,
            require_numbers: row.try_get("require_numbers")?,
            require_uppercase_characters: row.try_get("require_uppercase_characters")?,
            require_lowercase_characters: row.try_get("require_lowercase_characters")?,
            allow_users_to_change_password: row.try_get("allow_users_to_change_password")?,
            max_password_age: row
                .try_get::<Option<i16>, _>("max_password_age")?
                .and_then(|v| u16::try_from(v).ok()),
            password_reuse_prevention: row
                .try_get::<Option<i16>, _>("password_reuse_prevention")?
                .and_then(|v| u8::try_from(v).ok()),
            hard_expiry: row.try_get("hard_expiry")?,
        },
        lockout_threshold: small("lockout_threshold")?,
        lockout_minutes: small("lockout_minutes")?,
        session_idle_minutes: small("session_idle_minutes")?,
        session_max_hours: small("session_max_hours")?,
        sign_in_ranges: row.try_get("sign_in_ranges")?,
        regions: row.try_get("regions")?,
        availability_zones: row.try_get("availability_zones")?,
    })
}

pub(crate) async fn insert(
    conn: &mut sqlx::PgConnection,
    s: &AccountSettings,
) -> Result<(), StoreError> {
    let p = &s.password_policy;
    sqlx::query(&format!(
        "INSERT INTO account_settings ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)
         ON CONFLICT (one_row) DO UPDATE SET
           minimum_password_length = EXCLUDED.minimum_password_length,
           require_symbols = EXCLUDED.require_symbols,
           require_numbers = EXCLUDED.require_numbers,
           require_uppercase_characters = EXCLUDED.require_uppercase_characters,
           require_lowercase_characters = EXCLUDED.require_lowercase_characters,
           allow_users_to_change_password = EXCLUDED.allow_users_to_change_password,
           max_password_age = EXCLUDED.max_password_age,
           password_reuse_prevention = EXCLUDED.password_reuse_prevention,
           hard_expiry = EXCLUDED.hard_expiry,
           lockout_threshold = EXCLUDED.lockout_threshold,
           lockout_minutes = EXCLUDED.lockout_minutes,
           session_idle_minutes = EXCLUDED.session_idle_minutes,
           session_max_hours = EXCLUDED.session_max_hours,
           sign_in_ranges = EXCLUDED.sign_in_ranges,
           regions = EXCLUDED.regions,
           availability_zones = EXCLUDED.availability_zones"
    ))
    .bind(i16::from(p.minimum_password_length))
    .bind(p.require_symbols)
    .bind(p.require_numbers)
    .bind(p.require_uppercase_characters)
    .bind(p.require_lowercase_characters)
    .bind(p.allow_users_to_change_password)
    .bind(p.max_password_age.map(|v| i16::try_from(v).unwrap_or(i16::MAX)))
    .bind(p.password_reuse_prevention.map(i16::from))
    .bind(p.hard_expiry)
    .bind(s.lockout_threshold)
    .bind(s.lockout_minutes)
    .bind(s.session_idle_minutes)
    .bind(s.session_max_hours)
    .bind(&s.sign_in_ranges)
    .bind(&s.regions)
    .bind(&s.availability_zones)
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// The account's settings (defaults before setup); cached while this process
    /// hears change notifications.
    pub async fn settings(&self) -> Result<AccountSettings, StoreError> {
        let generation = match self.settings_cache.get() {
            Ok(settings) => return Ok(settings),
            Err(generation) => generation,
        };
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM account_settings"))
            .fetch_optional(self.pool())
            .await?;
        let settings = match row {
            Some(row) => from_row(&row)?,
            None => AccountSettings::default(),
        };
        self.settings_cache.offer(generation, &settings);
        Ok(settings)
    }

    /// Changes the settings under a row lock, so two areas changed at once (say,
    /// sessions and regions) both land: `change` gets the current settings and
    /// returns the new ones, or refuses.
    pub async fn change_settings<E>(
        &self,
        change: impl FnOnce(AccountSettings) -> Result<AccountSettings, E>,
        audit: &AuditEntry,
    ) -> Result<Result<(), E>, StoreError> {
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM account_settings FOR UPDATE"
        ))
        .fetch_optional(&mut *tx)
        .await?;
        let current = match row {
            Some(row) => from_row(&row)?,
            None => AccountSettings::default(),
        };
        let changed = match change(current) {
            Ok(changed) => changed,
            Err(e) => return Ok(Err(e)),
        };
        insert(&mut tx, &changed).await?;
        commit_and_announce(tx, audit).await?;
        self.settings_cache.invalidate();
        Ok(Ok(()))
    }

    /// Replaces the settings; validated by the caller.
    pub async fn update_settings(
        &self,
        settings: &AccountSettings,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        insert(&mut tx, settings).await?;
        commit_and_announce(tx, audit).await?;
        self.settings_cache.invalidate();
        Ok(())
    }
}
