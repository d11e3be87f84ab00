//! Account settings: the password policy, lockout and session lifetimes.

use identity::PasswordPolicy;
use sqlx::Row;

use crate::audit::AuditEntry;
use crate::{Store, StoreError};

pub use model::settings::AccountSettings;

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
        self.commit_and_announce(tx, audit).await?;
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
        self.commit_and_announce(tx, audit).await?;
        self.settings_cache.invalidate();
        Ok(())
    }
}

impl Store {
    /// The account's alias, if it has one.
    pub async fn account_alias(&self) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT alias FROM account_alias")
            .fetch_optional(self.pool())
            .await?)
    }

    /// Sets the alias, replacing the one the account had (it has at most one).
    pub async fn create_account_alias(
        &self,
        alias: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO account_alias (one_row, alias) VALUES (TRUE, $1)
             ON CONFLICT (one_row) DO UPDATE SET alias = $1",
        )
        .bind(alias)
        .execute(&mut *tx)
        .await?;
        crate::audit::commit(tx, audit).await
    }

    /// Removes the alias `alias`; `NotFound` when it is not the account's.
    pub async fn delete_account_alias(
        &self,
        alias: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let deleted = sqlx::query("DELETE FROM account_alias WHERE alias = $1")
            .bind(alias)
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "account alias",
                name: alias.into(),
            });
        }
        crate::audit::commit(tx, audit).await
    }
}
