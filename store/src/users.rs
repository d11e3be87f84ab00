//! The root user and IAM users: creation, lookup, listing, passwords, sign-in counters
//! and MFA state.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::{postgres::PgRow, Row};
use time::OffsetDateTime;

use crate::audit::{commit, record, AuditEntry};
use crate::ids::unique_id;
use crate::settings::{insert as insert_settings, AccountSettings};
use crate::{Page, Store, StoreError};

/// A user as the console and the sign-in path need it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub is_root: bool,
    pub name: String,
    pub email: Option<String>,
    pub arn: String,
    pub password_hash: Option<String>,
    pub password_changed_at: Option<OffsetDateTime>,
    pub password_reset_required: bool,
    pub failed_sign_ins: i32,
    pub locked_until: Option<OffsetDateTime>,
    pub last_sign_in_at: Option<OffsetDateTime>,
    pub mfa_enabled: bool,
    pub mfa_key_id: Option<String>,
    pub mfa_nonce: Option<Vec<u8>>,
    pub mfa_ciphertext: Option<Vec<u8>>,
    pub mfa_last_step: Option<i64>,
    /// When the MFA device was enabled (AWS's `EnableDate`).
    pub mfa_enabled_at: Option<OffsetDateTime>,
    /// The device's name when it was created through the API; `None`: the user's
    /// own name, as the console names devices.
    pub mfa_device_name: Option<String>,
    /// The device's path when it was created under one; `None`: `/`.
    #[serde(default)]
    pub mfa_device_path: Option<String>,
    /// Clock drift of the device in 30-second steps, measured by a resync.
    pub mfa_drift_steps: i32,
    pub tags: BTreeMap<String, String>,
    /// The permissions boundary's ARN, if set.
    pub boundary_arn: Option<String>,
    /// Raised whenever the password or MFA changes (and by "sign out everywhere"):
    /// a console session started under an older epoch is over.
    pub session_epoch: i64,
    pub created_at: OffsetDateTime,
}

impl User {
    /// How pages name this user: `root`, or the IAM user name.
    pub fn display_name(&self) -> &str {
        if self.is_root {
            "root"
        } else {
            &self.name
        }
    }

    /// The name in the MFA device's serial number (`arn:aws:iam::ACCOUNT:mfa/NAME`).
    pub fn mfa_device(&self) -> &str {
        self.mfa_device_name
            .as_deref()
            .unwrap_or_else(|| self.display_name())
    }

    /// The MFA device's serial number: `arn:aws:iam::ACCOUNT:mfa/PATH/NAME`.
    pub fn mfa_serial(&self, account: &str) -> String {
        let path = self.mfa_device_path.as_deref().unwrap_or("/");
        format!("arn:aws:iam::{account}:mfa{path}{}", self.mfa_device())
    }
}

/// A row of the users table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: String,
    pub name: String,
    pub arn: String,
    pub has_password: bool,
    pub mfa_enabled: bool,
    pub groups: i64,
    pub last_sign_in_at: Option<OffsetDateTime>,
    pub password_changed_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

pub use model::users::UserSort;

/// Search, sort and page for the users list.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UserQuery {
    pub search: String,
    pub sort: UserSort,
    pub descending: bool,
    /// 0-based.
    pub page: i64,
    pub per_page: i64,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    /// `/` or `/a/b/`: part of the ARN.
    pub path: String,
    pub password_hash: Option<String>,
    pub password_reset_required: bool,
    pub tags: BTreeMap<String, String>,
    /// A permissions boundary set at creation (AWS's `CreateUser` takes one).
    pub boundary_arn: Option<String>,
}

/// A second factor offered at sign-in or to remove a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MfaFactor {
    /// A TOTP code, as its time step (accepted only if newer than the last one).
    Step(i64),
    /// A recovery code, as its digest (accepted once).
    RecoveryCode(String),
}

/// The budget of sign-in attempts of the client's network (see [`crate::throttle`]).
#[derive(Debug, Clone, Default)]
pub struct SignInLimit {
    /// The network an attempt counts against; `None` counts nothing.
    pub network: Option<String>,
    pub limit: u32,
    pub window_seconds: i64,
}

/// The start of a sign-in: whether the network is over its budget, and who is
/// signing in with what the attempt may do.
#[derive(Debug, Clone)]
pub struct SignInStart {
    pub throttled: bool,
    pub found: Option<(User, SignInRecord)>,
}

/// What a sign-in attempt may do, decided atomically before the password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInRecord {
    /// The attempt is counted; go on and verify.
    Counted,
    /// Locked (or the attempt would pass the threshold): refuse without verifying.
    Locked,
}

const USER_COLUMNS: &str = "id, is_root, name, email, arn, password_hash, password_changed_at, password_reset_required,
    failed_sign_ins, locked_until, last_sign_in_at, mfa_enabled, mfa_key_id, mfa_nonce, mfa_ciphertext,
    mfa_last_step, mfa_enabled_at, mfa_device_name, mfa_device_path, mfa_drift_steps, tags, boundary_arn, session_epoch,
    created_at";

fn user_from_row(row: &PgRow) -> Result<User, sqlx::Error> {
    let tags: serde_json::Value = row.try_get("tags")?;
    Ok(User {
        id: row.try_get("id")?,
        is_root: row.try_get("is_root")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        arn: row.try_get("arn")?,
        password_hash: row.try_get("password_hash")?,
        password_changed_at: row.try_get("password_changed_at")?,
        password_reset_required: row.try_get("password_reset_required")?,
        failed_sign_ins: row.try_get("failed_sign_ins")?,
        locked_until: row.try_get("locked_until")?,
        last_sign_in_at: row.try_get("last_sign_in_at")?,
        mfa_enabled: row.try_get("mfa_enabled")?,
        mfa_key_id: row.try_get("mfa_key_id")?,
        mfa_nonce: row.try_get("mfa_nonce")?,
        mfa_ciphertext: row.try_get("mfa_ciphertext")?,
        mfa_last_step: row.try_get("mfa_last_step")?,
        mfa_enabled_at: row.try_get("mfa_enabled_at")?,
        mfa_device_name: row.try_get("mfa_device_name")?,
        mfa_device_path: row.try_get("mfa_device_path")?,
        mfa_drift_steps: row.try_get("mfa_drift_steps")?,
        tags: serde_json::from_value(tags).unwrap_or_default(),
        boundary_arn: row.try_get("boundary_arn")?,
        session_epoch: row.try_get("session_epoch")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// The account id, once set up.
    pub async fn account_id(&self) -> Result<Option<String>, StoreError> {
        if let Some(id) = self.account.get() {
            return Ok(Some(id.clone()));
        }
        let id: Option<String> = sqlx::query_scalar("SELECT id FROM account")
            .fetch_optional(self.pool())
            .await?;
        if let Some(id) = &id {
            let _ = self.account.set(id.clone());
        }
        Ok(id)
    }

    /// First run: creates the account `account`, its settings and the root user, in
    /// one transaction; a second attempt (another tab, another server) is refused.
    pub async fn set_up(
        &self,
        account: &str,
        email: &str,
        password_hash: &str,
        now: OffsetDateTime,
        audit: &AuditEntry,
    ) -> Result<User, StoreError> {
        let mut tx = self.pool().begin().await?;
        // Serialize concurrent setups.
        sqlx::query("LOCK TABLE account IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
        let exists: Option<String> = sqlx::query_scalar("SELECT id FROM account")
            .fetch_optional(&mut *tx)
            .await?;
        let row = match exists {
            // Bootstrapped for automation: root exists without a password until now.
            Some(existing) => sqlx::query(&format!(
                "UPDATE users SET email = $2, password_hash = $3, password_changed_at = $4
                 WHERE is_root AND id = $1 AND password_hash IS NULL RETURNING {USER_COLUMNS}"
            ))
            .bind(&existing)
            .bind(email)
            .bind(password_hash)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::AlreadySetUp)?,
            None => {
                sqlx::query("INSERT INTO account (id) VALUES ($1)")
                    .bind(account)
                    .execute(&mut *tx)
                    .await?;
                insert_settings(&mut tx, &AccountSettings::default()).await?;
                sqlx::query(&format!(
                    "INSERT INTO users (id, is_root, name, email, arn, password_hash, password_changed_at)
                     VALUES ($1, TRUE, 'root', $2, $3, $4, $5) RETURNING {USER_COLUMNS}"
                ))
                .bind(account)
                .bind(email)
                .bind(format!("arn:aws:iam::{account}:root"))
                .bind(password_hash)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?
            }
        };
        let root = user_from_row(&row)?;
        sqlx::query("INSERT INTO password_history (user_id, hash, created_at) VALUES ($1, $2, $3)")
            .bind(&root.id)
            .bind(password_hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        record(&mut tx, audit).await?;
        tx.commit().await?;
        self.set_up_seen
            .store(true, std::sync::atomic::Ordering::Release);
        Ok(root)
    }

    /// Whether first-run setup is done (root has a password). Once true it stays
    /// true, so each process asks the database only until then.
    pub async fn is_set_up(&self) -> Result<bool, StoreError> {
        if self.set_up_seen.load(std::sync::atomic::Ordering::Acquire) {
            return Ok(true);
        }
        let done: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM users WHERE is_root AND password_hash IS NOT NULL)",
        )
        .fetch_one(self.pool())
        .await?;
        if done {
            self.set_up_seen
                .store(true, std::sync::atomic::Ordering::Release);
        }
        Ok(done)
    }

    /// For automation: creates the account `account` with a root that has no password
    /// yet (first-run setup gives it one), unless an account exists. Returns root.
    pub async fn bootstrap_account(&self, account: &str) -> Result<User, StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("LOCK TABLE account IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
        let exists: Option<String> = sqlx::query_scalar("SELECT id FROM account")
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            sqlx::query("INSERT INTO account (id) VALUES ($1)")
                .bind(account)
                .execute(&mut *tx)
                .await?;
            insert_settings(&mut tx, &AccountSettings::default()).await?;
            sqlx::query("INSERT INTO users (id, is_root, name, arn) VALUES ($1, TRUE, 'root', $2)")
                .bind(account)
                .bind(format!("arn:aws:iam::{account}:root"))
                .execute(&mut *tx)
                .await?;
        }
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE is_root"))
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(user_from_row(&row)?)
    }

    /// The root user, by email (case-insensitive).
    pub async fn root_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE is_root AND lower(email) = lower($1)"
        ))
        .bind(email)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| user_from_row(&r)).transpose()?)
    }

    /// The root user, once set up.
    pub async fn root(&self) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE is_root"))
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| user_from_row(&r)).transpose()?)
    }

    /// An IAM user by name (case-insensitive).
    pub async fn user_by_name(&self, name: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE NOT is_root AND lower(name) = lower($1)"
        ))
        .bind(name)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| user_from_row(&r)).transpose()?)
    }

    /// Every IAM user, by name (for questions about everyone, such as "who can do
    /// this?").
    pub async fn all_users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE NOT is_root ORDER BY lower(name)"
        ))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(user_from_row).collect::<Result<_, _>>()?)
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| user_from_row(&r)).transpose()?)
    }

    /// IAM users (not root), searched, sorted and paged in SQL so 10,000 users list fast.
    pub async fn list_users(&self, query: &UserQuery) -> Result<Page<UserSummary>, StoreError> {
        let per_page = query.per_page.clamp(1, 200);
        let offset = query.page.max(0) * per_page;
        let order = match (query.sort, query.descending) {
            (UserSort::Name, false) => "lower(u.name) ASC",
            (UserSort::Name, true) => "lower(u.name) DESC",
            (UserSort::Created, false) => "u.created_at ASC, lower(u.name)",
            (UserSort::Created, true) => "u.created_at DESC, lower(u.name)",
            (UserSort::LastSignIn, false) => "u.last_sign_in_at ASC NULLS FIRST, lower(u.name)",
            (UserSort::LastSignIn, true) => "u.last_sign_in_at DESC NULLS LAST, lower(u.name)",
        };
        let pattern = format!(
            "%{}%",
            query
                .search
                .trim()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let total: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM users u WHERE NOT u.is_root AND u.name ILIKE $1",
        )
        .bind(&pattern)
        .fetch_one(self.pool())
        .await?;
        // The page is cut first and the group counts computed for its rows only: in one
        // SELECT, PostgreSQL would count groups for every row the OFFSET skips.
        let rows = sqlx::query(&format!(
            "SELECT u.id, u.name, u.arn, u.password_hash IS NOT NULL AS has_password, u.mfa_enabled,
                    (SELECT count(*) FROM group_members m WHERE m.user_id = u.id) AS groups,
                    u.last_sign_in_at, u.password_changed_at, u.created_at
             FROM (SELECT * FROM users u WHERE NOT u.is_root AND u.name ILIKE $1
                   ORDER BY {order} LIMIT $2 OFFSET $3) u
             ORDER BY {order}"
        ))
        .bind(&pattern)
        .bind(per_page)
        .bind(offset)
        .fetch_all(self.pool())
        .await?;
        let items = rows
            .iter()
            .map(|row| {
                Ok(UserSummary {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    arn: row.try_get("arn")?,
                    has_password: row.try_get("has_password")?,
                    mfa_enabled: row.try_get("mfa_enabled")?,
                    groups: row.try_get("groups")?,
                    last_sign_in_at: row.try_get("last_sign_in_at")?,
                    password_changed_at: row.try_get("password_changed_at")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(Page { items, total })
    }

    /// Renames or moves the user `id` (`arn` is its new ARN, path and name). Caches
    /// are told: the user's ARN is in every decision about it. A device enrolled in the
    /// console is named after the user: it keeps the old name, so its serial stays.
    pub async fn rename_user(
        &self,
        id: &str,
        new: &str,
        arn: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let updated = sqlx::query(
            "UPDATE users SET name = $2, arn = $3,
                        mfa_device_name = CASE WHEN mfa_key_id IS NOT NULL
                                               THEN coalesce(mfa_device_name, name)
                                               ELSE mfa_device_name END
                 WHERE id = $1 AND NOT is_root",
        )
        .bind(id)
        .bind(new)
        .bind(arn)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "user", new))?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "user",
                name: id.into(),
            });
        }
        self.commit_and_announce(tx, audit).await
    }

    /// Creates an IAM user (name already validated), with its audit row.
    pub async fn create_user(
        &self,
        account: &str,
        user: &NewUser,
        now: OffsetDateTime,
        audit: &AuditEntry,
    ) -> Result<User, StoreError> {
        let mut tx = self.pool().begin().await?;
        if let Some(boundary) = &user.boundary_arn {
            if !crate::permissions::policy_exists(&mut tx, boundary).await? {
                return Err(StoreError::NotFound {
                    what: "policy",
                    name: boundary.clone(),
                });
            }
        }
        let id = unique_id("AIDA");
        let arn = format!("arn:aws:iam::{account}:user{}{}", user.path, user.name);
        let row = sqlx::query(&format!(
            "INSERT INTO users (id, name, arn, password_hash, password_changed_at, password_reset_required, tags, boundary_arn)
             VALUES ($1, $2, $3, $4, CASE WHEN $4::text IS NULL THEN NULL ELSE $7 END, $5, $6, $8)
             RETURNING {USER_COLUMNS}"
        ))
        .bind(&id)
        .bind(&user.name)
        .bind(&arn)
        .bind(&user.password_hash)
        .bind(user.password_reset_required)
        .bind(serde_json::to_value(&user.tags).unwrap_or_default())
        .bind(now)
        .bind(&user.boundary_arn)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "user", &user.name))?;
        if let Some(hash) = &user.password_hash {
            sqlx::query(
                "INSERT INTO password_history (user_id, hash, created_at) VALUES ($1, $2, $3)",
            )
            .bind(&id)
            .bind(hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        if user.boundary_arn.is_some() {
            self.commit_and_announce(tx, audit).await?;
        } else {
            commit(tx, audit).await?;
        }
        Ok(user_from_row(&row)?)
    }

    /// Deletes a user with its memberships and credentials (cascading), audited.
    pub async fn delete_user(&self, id: &str, audit: &AuditEntry) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let deleted = sqlx::query("DELETE FROM users WHERE NOT is_root AND id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "user",
                name: id.into(),
            });
        }
        self.commit_and_announce(tx, audit).await?;
        Ok(())
    }

    /// The last `count` password hashes of a user, newest first (reuse prevention).
    pub async fn password_history(
        &self,
        user_id: &str,
        count: i64,
    ) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT hash FROM password_history WHERE user_id = $1 ORDER BY created_at DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(count)
        .fetch_all(self.pool())
        .await?)
    }

    /// Sets a new password hash, remembers it, sets whether a change is required,
    /// clears the lockout and ends the user's other sessions; returns the new session
    /// epoch (for the session that made the change itself, if it goes on).
    pub async fn set_password(
        &self,
        user_id: &str,
        hash: &str,
        reset_required: bool,
        now: OffsetDateTime,
        audit: &AuditEntry,
    ) -> Result<i64, StoreError> {
        let mut tx = self.pool().begin().await?;
        let epoch: Option<i64> = sqlx::query_scalar(
            "UPDATE users SET password_hash = $2, password_changed_at = $4, password_reset_required = $3,
                 failed_sign_ins = 0, locked_until = NULL, session_epoch = session_epoch + 1
             WHERE id = $1 RETURNING session_epoch",
        )
        .bind(user_id)
        .bind(hash)
        .bind(reset_required)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(epoch) = epoch else {
            return Err(StoreError::NotFound {
                what: "user",
                name: user_id.into(),
            });
        };
        sqlx::query("INSERT INTO password_history (user_id, hash, created_at) VALUES ($1, $2, $3)")
            .bind(user_id)
            .bind(hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        commit(tx, audit).await?;
        Ok(epoch)
    }

    /// Ends every console session of a user ("sign out everywhere"); returns the new
    /// epoch.
    pub async fn end_sessions(&self, user_id: &str, audit: &AuditEntry) -> Result<i64, StoreError> {
        let mut tx = self.pool().begin().await?;
        let epoch: Option<i64> = sqlx::query_scalar(
            "UPDATE users SET session_epoch = session_epoch + 1 WHERE id = $1 RETURNING session_epoch",
        )
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let epoch = epoch.ok_or_else(|| StoreError::NotFound {
            what: "user",
            name: user_id.into(),
        })?;
        commit(tx, audit).await?;
        Ok(epoch)
    }

    /// Finds who is signing in (the root by email when `identity` is an address, else
    /// an IAM user by name) and counts the attempt, in one round trip and one commit:
    /// first against the client network's budget (`limit`), then against the user's
    /// lockout. Counting happens before the password is checked, in one atomic
    /// statement: a locked user, or one whose attempts in flight already reach the
    /// threshold, is refused, so parallel attempts cannot exceed the limit. Users
    /// without a console password are never counted, and nothing is counted for a
    /// throttled network.
    pub async fn begin_sign_in(
        &self,
        identity: &str,
        threshold: i16,
        limit: &SignInLimit,
        now: OffsetDateTime,
    ) -> Result<SignInStart, StoreError> {
        let row = sqlx::query(&format!(
            "WITH throttle AS (
                INSERT INTO sign_in_throttle AS t (network, window_start, attempts)
                SELECT $5, $4, 1 WHERE $5::text IS NOT NULL
                ON CONFLICT (network) DO UPDATE SET
                  attempts = CASE WHEN t.window_start <= $4 - make_interval(secs => $7) THEN 1 ELSE t.attempts + 1 END,
                  window_start = CASE WHEN t.window_start <= $4 - make_interval(secs => $7) THEN $4 ELSE t.window_start END
                RETURNING attempts
             ), allowed AS (
                SELECT coalesce((SELECT attempts FROM throttle), 0) <= $6 AS ok
             ), target AS (
                (SELECT id, 0 AS rank FROM users WHERE $3 AND is_root AND lower(email) = lower($1))
                UNION ALL
                (SELECT id, 1 AS rank FROM users WHERE NOT is_root AND lower(name) = lower($1))
                ORDER BY rank LIMIT 1
             ), counted AS ({COUNT_ATTEMPT} FROM target WHERE u.id = target.id
                 AND u.password_hash IS NOT NULL {COUNT_GUARD}
                 AND (SELECT ok FROM allowed) RETURNING u.id)
             SELECT a.ok AS allowed, EXISTS (SELECT 1 FROM counted) AS counted, u.*
             FROM allowed a LEFT JOIN (SELECT {USER_COLUMNS} FROM users WHERE id = (SELECT id FROM target)) u ON TRUE"
        ))
        .bind(identity)
        .bind(i32::from(threshold))
        .bind(identity.contains('@'))
        .bind(now)
        .bind(&limit.network)
        .bind(i64::from(limit.limit))
        .bind(limit.window_seconds as f64)
        .fetch_one(self.pool())
        .await?;
        let throttled = !row.try_get::<bool, _>("allowed")?;
        let found = match row.try_get::<Option<String>, _>("id")? {
            None => None,
            Some(_) => {
                let record = if row.try_get::<bool, _>("counted")? {
                    SignInRecord::Counted
                } else {
                    SignInRecord::Locked
                };
                Some((user_from_row(&row)?, record))
            }
        };
        Ok(SignInStart { throttled, found })
    }

    /// Counts one more attempt at a user's credentials (a second factor, or the
    /// current password before a change) exactly as [`Store::begin_sign_in`] counts a
    /// password: atomically, refused when locked or at the threshold. Wrong guesses
    /// then go to [`Store::fail_sign_in`], so every kind of guess feeds one lockout.
    pub async fn begin_attempt(
        &self,
        user_id: &str,
        threshold: i16,
        now: OffsetDateTime,
    ) -> Result<SignInRecord, StoreError> {
        let counted: Option<String> = sqlx::query_scalar(&format!(
            "{COUNT_ATTEMPT} WHERE u.id = $1 {COUNT_GUARD} RETURNING u.id"
        ))
        .bind(user_id)
        .bind(i32::from(threshold))
        .bind(false)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        Ok(if counted.is_some() {
            SignInRecord::Counted
        } else {
            SignInRecord::Locked
        })
    }

    /// A wrong password or code: the attempt stays counted; at the threshold the user
    /// locks. Records the audit entry in the same statement (its detail gains
    /// "; account locked" when this failure locked the user); returns whether it did.
    pub async fn fail_sign_in(
        &self,
        user_id: &str,
        threshold: i16,
        lock_minutes: i16,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let locked = crate::audit::bind_entry(
            sqlx::query(
            "WITH failed AS (
                UPDATE users SET locked_until = CASE WHEN failed_sign_ins >= $9 THEN $7 + make_interval(mins => $10) ELSE locked_until END
                WHERE id = $8 RETURNING locked_until IS NOT NULL AND locked_until > $7 AS locked
             ), logged AS (
                INSERT INTO audit_log (actor, action, target, source_ip, outcome, detail, at)
                SELECT $1, $2, $3, $4, $5, $6 || CASE WHEN COALESCE((SELECT locked FROM failed), false) THEN '; account locked' ELSE '' END, $7
             )
             SELECT locked FROM failed",
            ),
            audit,
        )
        .bind(user_id)
        .bind(i32::from(threshold))
        .bind(i32::from(lock_minutes))
        .fetch_optional(self.pool())
        .await?;
        Ok(match locked {
            Some(row) => row.try_get::<bool, _>("locked")?,
            None => false,
        })
    }

    /// A completed sign-in: clears the counter, records the sign-in time and the audit
    /// entry, in one statement.
    pub async fn succeed_sign_in(
        &self,
        user_id: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        crate::audit::bind_entry(
            sqlx::query(
                "WITH signed_in AS (
                    UPDATE users SET failed_sign_ins = 0, locked_until = NULL, last_sign_in_at = $7 WHERE id = $8
                 )
                 INSERT INTO audit_log (actor, action, target, source_ip, outcome, detail, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            ),
            audit,
        )
        .bind(user_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A right password while a second factor is still due: this attempt's count is
    /// taken back (a right password is not a failure), but earlier failures stay, so
    /// wrong codes and wrong passwords keep adding up to one lockout. Writes the audit
    /// entry in the same statement.
    pub async fn password_accepted(
        &self,
        user_id: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        crate::audit::bind_entry(
            sqlx::query(
                "WITH released AS (
                    UPDATE users SET failed_sign_ins = greatest(failed_sign_ins - 1, 0) WHERE id = $8
                 )
                 INSERT INTO audit_log (actor, action, target, source_ip, outcome, detail, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            ),
            audit,
        )
        .bind(user_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The second factor of a sign-in: consumes the TOTP step (only if newer than the
    /// last one) or the recovery code, and completes the sign-in (counter cleared,
    /// sign-in time, audit row), all in one transaction. `false`, with nothing
    /// written, when the factor was already used.
    pub async fn complete_mfa_sign_in(
        &self,
        user_id: &str,
        factor: &MfaFactor,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        if !consume_factor(&mut tx, user_id, factor, audit.at).await? {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE users SET failed_sign_ins = 0, locked_until = NULL, last_sign_in_at = $2 WHERE id = $1",
        )
        .bind(user_id)
        .bind(audit.at)
        .execute(&mut *tx)
        .await?;
        commit(tx, audit).await?;
        Ok(true)
    }

    /// Unlocks a user (admin action).
    pub async fn unlock_user(&self, user_id: &str, audit: &AuditEntry) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("UPDATE users SET failed_sign_ins = 0, locked_until = NULL WHERE id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        commit(tx, audit).await?;
        Ok(())
    }

    /// Stores a sealed, not yet confirmed TOTP seed, audited.
    pub async fn stage_mfa(
        &self,
        user_id: &str,
        key_id: &str,
        nonce: &[u8],
        ciphertext: &[u8],
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let staged = sqlx::query(
            "UPDATE users SET mfa_key_id = $2, mfa_nonce = $3, mfa_ciphertext = $4, mfa_last_step = NULL
             WHERE id = $1 AND NOT mfa_enabled",
        )
        .bind(user_id)
        .bind(key_id)
        .bind(nonce)
        .bind(ciphertext)
        .execute(&mut *tx)
        .await?;
        if staged.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "user without an MFA device",
                name: user_id.into(),
            });
        }
        commit(tx, audit).await?;
        Ok(())
    }

    /// Turns MFA on with its first accepted step, stores the recovery code hashes and
    /// ends the user's other sessions; returns the new session epoch.
    pub async fn enable_mfa(
        &self,
        user_id: &str,
        step: i64,
        recovery_hashes: &[String],
        audit: &AuditEntry,
    ) -> Result<i64, StoreError> {
        let mut tx = self.pool().begin().await?;
        let epoch: Option<i64> = sqlx::query_scalar(
            "UPDATE users SET mfa_enabled = TRUE, mfa_enabled_at = $3, mfa_last_step = $2,
                 mfa_device_name = NULL, mfa_device_path = NULL, mfa_drift_steps = 0,
                 session_epoch = session_epoch + 1
             WHERE id = $1 AND mfa_ciphertext IS NOT NULL AND NOT mfa_enabled RETURNING session_epoch",
        )
        .bind(user_id)
        .bind(step)
        .bind(audit.at)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(epoch) = epoch else {
            return Err(StoreError::NotFound {
                what: "MFA enrolment",
                name: user_id.into(),
            });
        };
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        // The console names a device after its user: a device of that name left
        // unassigned through the API is replaced, so no two share a serial number,
        // and the new device starts without the old one's tags.
        sqlx::query(
            "DELETE FROM virtual_mfa_devices
             WHERE lower(name) = (SELECT lower(name) FROM users WHERE id = $1)",
        )
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM mfa_device_tags
             WHERE id = (SELECT lower(CASE WHEN is_root THEN 'root' ELSE name END) FROM users WHERE id = $1)",
        )
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO recovery_codes (user_id, code_hash) SELECT $1, unnest($2::text[])",
        )
        .bind(user_id)
        .bind(recovery_hashes)
        .execute(&mut *tx)
        .await?;
        commit(tx, audit).await?;
        Ok(epoch)
    }

    pub async fn unused_recovery_codes(&self, user_id: &str) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(self.pool())
        .await?)
    }

    /// Removes a user's MFA device and recovery codes, and ends their sessions
    /// (an administrator's action, or root's recovery from the shell); returns the
    /// new session epoch.
    pub async fn disable_mfa(&self, user_id: &str, audit: &AuditEntry) -> Result<i64, StoreError> {
        let mut tx = self.pool().begin().await?;
        forget_device_tags(&mut tx, user_id).await?;
        let epoch = disable_mfa_in(&mut tx, user_id).await?;
        commit(tx, audit).await?;
        Ok(epoch)
    }

    /// Removes one's own MFA device, proven with a current code that is consumed in
    /// the same transaction; `None`, with nothing changed, when the code was used.
    pub async fn remove_own_mfa(
        &self,
        user_id: &str,
        factor: &MfaFactor,
        audit: &AuditEntry,
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.pool().begin().await?;
        if !consume_factor(&mut tx, user_id, factor, audit.at).await? {
            return Ok(None);
        }
        sqlx::query("UPDATE users SET failed_sign_ins = 0, locked_until = NULL WHERE id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        forget_device_tags(&mut tx, user_id).await?;
        let epoch = disable_mfa_in(&mut tx, user_id).await?;
        commit(tx, audit).await?;
        Ok(Some(epoch))
    }

    /// Removes a user's console password (AWS's `DeleteLoginProfile`); their console
    /// sessions end. Refused (`NotFound`) when there is none.
    pub async fn delete_login_profile(
        &self,
        user_id: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let changed = sqlx::query(
            "UPDATE users SET password_hash = NULL, password_changed_at = NULL,
                 password_reset_required = FALSE, session_epoch = session_epoch + 1
             WHERE id = $1 AND NOT is_root AND password_hash IS NOT NULL",
        )
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "login profile",
                name: user_id.into(),
            });
        }
        commit(tx, audit).await
    }

    /// Uses a TOTP step as proof of MFA for temporary credentials: accepted once, newer
    /// than the last one used, while MFA is on; a success clears the failure count.
    pub async fn consume_mfa_step(&self, user_id: &str, step: i64) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        if !consume_factor(
            &mut tx,
            user_id,
            &MfaFactor::Step(step),
            OffsetDateTime::now_utc(),
        )
        .await?
        {
            return Ok(false);
        }
        sqlx::query("UPDATE users SET failed_sign_ins = 0, locked_until = NULL WHERE id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// IAM users with a console password, for root's best-practice banner (root should
    /// hand daily work to an IAM user).
    pub async fn console_user_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT count(*) FROM users WHERE NOT is_root AND password_hash IS NOT NULL",
        )
        .fetch_one(self.pool())
        .await?)
    }
}

/// Counts an attempt on the users row `u` (bind $2 threshold, $4 now): a lock that
/// has run out starts a new count; a locked user, or one at the threshold, is not
/// counted (the caller adds `WHERE`/`FROM` before [`COUNT_GUARD`]).
const COUNT_ATTEMPT: &str = "UPDATE users u SET
    failed_sign_ins = CASE WHEN u.locked_until IS NOT NULL AND u.locked_until <= $4 THEN 1 ELSE u.failed_sign_ins + 1 END,
    locked_until = CASE WHEN u.locked_until IS NOT NULL AND u.locked_until <= $4 THEN NULL ELSE u.locked_until END";

const COUNT_GUARD: &str = "AND (u.locked_until IS NULL OR u.locked_until <= $4)
    AND (u.failed_sign_ins < $2 OR (u.locked_until IS NOT NULL AND u.locked_until <= $4))";

/// Uses a second factor once: a TOTP step newer than the last accepted one, or an
/// unused recovery code.
async fn consume_factor(
    conn: &mut sqlx::PgConnection,
    user_id: &str,
    factor: &MfaFactor,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let done = match factor {
        MfaFactor::Step(step) => sqlx::query(
            "UPDATE users SET mfa_last_step = $2 WHERE id = $1 AND mfa_enabled AND (mfa_last_step IS NULL OR mfa_last_step < $2)",
        )
        .bind(user_id)
        .bind(step)
        .execute(&mut *conn)
        .await?,
        MfaFactor::RecoveryCode(hash) => sqlx::query(
            "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(hash)
        .bind(now)
        .execute(&mut *conn)
        .await?,
    };
    Ok(done.rows_affected() >= 1)
}

/// A user's device removed for good (not kept unassigned) takes its tags with it.
async fn forget_device_tags(tx: &mut sqlx::PgConnection, user_id: &str) -> Result<(), StoreError> {
    sqlx::query(
        "DELETE FROM mfa_device_tags WHERE id = (
             SELECT lower(coalesce(mfa_device_name, CASE WHEN is_root THEN 'root' ELSE name END))
             FROM users WHERE id = $1 AND mfa_enabled)",
    )
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub(crate) async fn disable_mfa_in(
    conn: &mut sqlx::PgConnection,
    user_id: &str,
) -> Result<i64, StoreError> {
    let epoch: Option<i64> = sqlx::query_scalar(
        "UPDATE users SET mfa_enabled = FALSE, mfa_enabled_at = NULL, mfa_key_id = NULL, mfa_nonce = NULL,
             mfa_ciphertext = NULL, mfa_last_step = NULL, mfa_device_name = NULL, mfa_device_path = NULL,
             mfa_drift_steps = 0,
             session_epoch = session_epoch + 1
         WHERE id = $1 RETURNING session_epoch",
    )
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    let epoch = epoch.ok_or_else(|| StoreError::NotFound {
        what: "user",
        name: user_id.into(),
    })?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(epoch)
}
