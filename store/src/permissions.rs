//! Policy attachments. Every change that can alter what someone may do notifies every
//! server process (see [`crate::changes`]), which drops its compiled policies.

use crate::audit::AuditEntry;
use crate::{Store, StoreError};

/// The templates are named like AWS-managed policies and live in code.
pub const TEMPLATE_ARN_PREFIX: &str = "arn:aws:iam::aws:policy/";

/// AWS's quota of managed policies per user or group.
pub const MAX_ATTACHED: i64 = 10;

/// A policy that applies to an identity, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EffectivePolicy {
    /// The managed policy's name, or the inline policy's.
    pub name: String,
    /// The managed policy's ARN; `None` for an inline policy.
    pub policy_arn: Option<String>,
    /// How it reaches the identity: `Attached directly`, `Group readers`,
    /// `Role Auditor`, `Role Auditor through group readers`.
    pub via: String,
    /// Whether it is attached to (or embedded in) the identity itself.
    pub direct: bool,
    /// The document: an inline policy's, or the default version of a customer-managed
    /// policy; `None` for the templates, which live in code.
    pub document: Option<String>,
}

/// Everything that decides what an identity may do: its policies and, when set, its
/// permissions boundary.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Permissions {
    pub policies: Vec<EffectivePolicy>,
    pub boundary: Option<EffectivePolicy>,
}

impl Permissions {
    /// Adds one row of the permission queries: a policy, or the boundary.
    fn push_row(&mut self, row: PermissionRow) {
        let (_, name, policy_arn, via, direct, boundary, document) = row;
        let policy = EffectivePolicy {
            name,
            policy_arn,
            via,
            direct,
            document,
        };
        if boundary {
            self.boundary = Some(policy);
        } else {
            self.policies.push(policy);
        }
    }
}

pub use model::Holder;

fn table(holder: Holder) -> &'static str {
    match holder {
        Holder::User => "user_policies",
        Holder::Group => "group_policies",
        Holder::Role => "role_policies",
    }
}

/// The column that names a holder in its link tables.
pub(crate) fn key(holder: Holder) -> &'static str {
    match holder {
        Holder::User => "user_id",
        Holder::Group => "group_id",
        Holder::Role => "role_id",
    }
}

/// Locks the holder's row, so changes to what it holds serialize (quotas stay
/// exact under parallel requests); `NotFound` when it is gone.
pub(crate) async fn lock_holder(
    conn: &mut sqlx::PgConnection,
    holder: Holder,
    id: &str,
) -> Result<(), StoreError> {
    let sql = match holder {
        Holder::User => "SELECT id FROM users WHERE NOT is_root AND id = $1 FOR UPDATE",
        Holder::Group => "SELECT id FROM groups WHERE id = $1 FOR UPDATE",
        Holder::Role => "SELECT id FROM roles WHERE id = $1 FOR UPDATE",
    };
    let found: Option<String> = sqlx::query_scalar(sql)
        .bind(id)
        .fetch_optional(conn)
        .await?;
    found.map(|_| ()).ok_or_else(|| StoreError::NotFound {
        what: holder.what(),
        name: id.into(),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    #[error("Cannot exceed quota for PoliciesPerUser: {MAX_ATTACHED}. A {0} can have at most {MAX_ATTACHED} managed policies attached; detach one first.")]
    QuotaReached(&'static str),
    #[error("A {what} can hold at most {limit} characters of inline policies (not counting white space); this one would bring it to {total}. Shorten it, or use a managed policy.")]
    InlineQuota {
        what: &'static str,
        limit: usize,
        total: usize,
    },
    #[error("Policy {0} does not exist or is not attachable.")]
    NoSuchPolicy(String),
    #[error("Groups have no permissions boundary; set one on the users or roles instead.")]
    NoBoundary,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AttachError {
    fn from(e: sqlx::Error) -> Self {
        AttachError::Store(StoreError::Database(e))
    }
}

impl Store {
    /// Attaches `arn` to the user, group or role `id`, within AWS's quota.
    pub async fn attach_policy(
        &self,
        holder: Holder,
        id: &str,
        arn: &str,
        audit: &AuditEntry,
    ) -> Result<(), AttachError> {
        let mut tx = self.pool().begin().await?;
        lock_holder(&mut tx, holder, id).await?;
        hold_policy(&mut tx, arn).await?;
        // The holder's row is locked, so two parallel attaches cannot pass the quota.
        let count: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {} WHERE {} = $1",
            table(holder),
            key(holder)
        ))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let inserted = sqlx::query(&format!(
            "INSERT INTO {} ({}, policy_arn) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            table(holder),
            key(holder)
        ))
        .bind(id)
        .bind(arn)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 1 && count >= MAX_ATTACHED {
            return Err(AttachError::QuotaReached(holder.what()));
        }
        self.commit_and_announce(tx, audit).await?;
        Ok(())
    }

    /// Detaches `arn` from the user, group or role `id`.
    pub async fn detach_policy(
        &self,
        holder: Holder,
        id: &str,
        arn: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        lock_holder(&mut tx, holder, id).await?;
        let removed = sqlx::query(&format!(
            "DELETE FROM {} WHERE {} = $1 AND policy_arn = $2",
            table(holder),
            key(holder)
        ))
        .bind(id)
        .bind(arn)
        .execute(&mut *tx)
        .await?;
        if removed.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "attached policy",
                name: arn.into(),
            });
        }
        self.commit_and_announce(tx, audit).await?;
        Ok(())
    }

    /// Everything that applies to a user: its own policies, its groups', the roles
    /// given to it or to its groups, and its permissions boundary.
    pub async fn user_permissions(&self, user_id: &str) -> Result<Permissions, StoreError> {
        self.permissions(&ONE_USER, user_id).await
    }

    /// What applies in a session of a role: the role's own policies and boundary.
    pub async fn role_permissions(&self, role_id: &str) -> Result<Permissions, StoreError> {
        self.permissions(&ONE_ROLE, role_id).await
    }

    /// The policies attached to or embedded in the user, group or role `id` itself,
    /// and its boundary (groups have none).
    pub async fn own_permissions(
        &self,
        holder: Holder,
        id: &str,
    ) -> Result<Permissions, StoreError> {
        match holder {
            Holder::User => self.user_permissions(id).await.map(|mut p| {
                p.policies.retain(|p| p.direct);
                p
            }),
            Holder::Group => self.permissions(GROUP_PERMISSIONS, id).await,
            Holder::Role => self.role_permissions(id).await,
        }
    }

    /// What applies to every IAM user and every role, by id, read in two statements
    /// (for "who can do this?", which weighs everyone at once).
    pub async fn everyones_permissions(
        &self,
    ) -> Result<std::collections::HashMap<String, Permissions>, StoreError> {
        let mut everyone: std::collections::HashMap<String, Permissions> = Default::default();
        for sql in [EVERY_USER.as_str(), EVERY_ROLE.as_str()] {
            let rows: Vec<PermissionRow> = sqlx::query_as(sql).fetch_all(self.pool()).await?;
            for row in rows {
                everyone.entry(row.0.clone()).or_default().push_row(row);
            }
        }
        Ok(everyone)
    }

    async fn permissions(&self, sql: &str, id: &str) -> Result<Permissions, StoreError> {
        let rows: Vec<PermissionRow> = sqlx::query_as(sql).bind(id).fetch_all(self.pool()).await?;
        let mut permissions = Permissions::default();
        for row in rows {
            permissions.push_row(row);
        }
        Ok(permissions)
    }

    /// Sets (`Some`) or removes (`None`) the permissions boundary of the user or
    /// role `id`.
    pub async fn set_boundary(
        &self,
        holder: Holder,
        id: &str,
        arn: Option<&str>,
        audit: &AuditEntry,
    ) -> Result<(), AttachError> {
        let table = match holder {
            Holder::User => "users",
            Holder::Role => "roles",
            Holder::Group => return Err(AttachError::NoBoundary),
        };
        let mut tx = self.pool().begin().await?;
        lock_holder(&mut tx, holder, id).await?;
        if let Some(arn) = arn {
            hold_policy(&mut tx, arn).await?;
        }
        sqlx::query(&format!(
            "UPDATE {table} SET boundary_arn = $2 WHERE id = $1"
        ))
        .bind(id)
        .bind(arn)
        .execute(&mut *tx)
        .await?;
        self.commit_and_announce(tx, audit).await?;
        Ok(())
    }

    /// Adds or replaces an inline policy, keeping the holder's inline policies within
    /// `limit` characters (not counting white space), as AWS counts them.
    pub async fn put_inline_policy(
        &self,
        holder: Holder,
        id: &str,
        policy_name: &str,
        document: &str,
        limit: usize,
        audit: &AuditEntry,
    ) -> Result<(), AttachError> {
        let mut tx = self.pool().begin().await?;
        lock_holder(&mut tx, holder, id).await?;
        let others: i64 = sqlx::query_scalar(&format!(
            "SELECT coalesce(sum(length(regexp_replace(document, '\\s', '', 'g'))), 0)::bigint
             FROM inline_policies WHERE {} = $1 AND lower(name) <> lower($2)",
            key(holder)
        ))
        .bind(id)
        .bind(policy_name)
        .fetch_one(&mut *tx)
        .await?;
        let total = usize::try_from(others).unwrap_or(usize::MAX)
            + document.chars().filter(|c| !c.is_whitespace()).count();
        if total > limit {
            return Err(AttachError::InlineQuota {
                what: holder.what(),
                limit,
                total,
            });
        }
        let updated = sqlx::query(&format!(
            "UPDATE inline_policies SET document = $3, updated_at = $4
             WHERE {} = $1 AND lower(name) = lower($2)",
            key(holder)
        ))
        .bind(id)
        .bind(policy_name)
        .bind(document)
        .bind(audit.at)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            sqlx::query(&format!(
                "INSERT INTO inline_policies ({}, name, document, updated_at) VALUES ($1, $2, $3, $4)",
                key(holder)
            ))
            .bind(id)
            .bind(policy_name)
            .bind(document)
            .bind(audit.at)
            .execute(&mut *tx)
            .await?;
        }
        self.commit_and_announce(tx, audit).await?;
        Ok(())
    }

    /// Deletes an inline policy of the user, group or role `id`.
    pub async fn delete_inline_policy(
        &self,
        holder: Holder,
        id: &str,
        policy_name: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        lock_holder(&mut tx, holder, id).await?;
        let deleted = sqlx::query(&format!(
            "DELETE FROM inline_policies WHERE {} = $1 AND lower(name) = lower($2)",
            key(holder)
        ))
        .bind(id)
        .bind(policy_name)
        .execute(&mut *tx)
        .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "inline policy",
                name: policy_name.into(),
            });
        }
        self.commit_and_announce(tx, audit).await?;
        Ok(())
    }
}

/// Owner, name, ARN (managed only), via, direct, is-boundary, document.
type PermissionRow = (
    String,
    String,
    Option<String>,
    String,
    bool,
    bool,
    Option<String>,
);

/// Holds a customer policy against deletion until the transaction ends. Templates
/// live in code: the caller checks their names.
async fn hold_policy(conn: &mut sqlx::PgConnection, arn: &str) -> Result<(), AttachError> {
    if policy_exists(conn, arn).await? {
        Ok(())
    } else {
        Err(AttachError::NoSuchPolicy(arn.into()))
    }
}

/// [`hold_policy`] as a yes or no.
pub(crate) async fn policy_exists(
    conn: &mut sqlx::PgConnection,
    arn: &str,
) -> Result<bool, StoreError> {
    Ok(arn.starts_with(TEMPLATE_ARN_PREFIX) || crate::policies::hold_for_attach(conn, arn).await?)
}

/// What applies to users: their own policies, their groups', the roles given to them
/// or their groups (managed and inline) and their boundary. Rows: owner, name, ARN
/// (managed only), via, direct, is-boundary, document (a managed policy's default
/// version; none for templates, which live in code). With `one`, only the user `$1`.
fn user_permissions_sql(one: bool) -> String {
    let only = |column: &str| {
        if one {
            format!("AND {column} = $1")
        } else {
            String::new()
        }
    };
    format!(
        "WITH my_groups AS (
            SELECT m.user_id, g.id, g.name FROM group_members m JOIN groups g ON g.id = m.group_id
            WHERE TRUE {members}
         ),
         my_roles AS (
            SELECT ur.user_id, r.id, 'Role ' || r.name AS via
            FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE TRUE {grants}
            UNION ALL
            SELECT g.user_id, r.id, 'Role ' || r.name || ' through group ' || g.name
            FROM group_roles gr JOIN my_groups g ON g.id = gr.group_id JOIN roles r ON r.id = gr.role_id
         ),
         attached AS (
            SELECT user_id AS owner, policy_arn, 'Attached directly' AS via, true AS direct,
                   false AS boundary
            FROM user_policies WHERE TRUE {attached}
            UNION ALL
            SELECT g.user_id, p.policy_arn, 'Group ' || g.name, false, false
            FROM group_policies p JOIN my_groups g ON g.id = p.group_id
            UNION ALL
            SELECT r.user_id, p.policy_arn, r.via, false, false
            FROM role_policies p JOIN my_roles r ON r.id = p.role_id
            UNION ALL
            SELECT id, boundary_arn, 'Permissions boundary', true, true FROM users
            WHERE boundary_arn IS NOT NULL {bounded}
         )
         {MANAGED}
         UNION ALL
         SELECT i.user_id, i.name, NULL, 'Inline', true, false, i.document
         FROM inline_policies i WHERE i.user_id IS NOT NULL {inline}
         UNION ALL
         SELECT g.user_id, i.name, NULL, 'Inline in group ' || g.name, false, false, i.document
         FROM inline_policies i JOIN my_groups g ON g.id = i.group_id
         UNION ALL
         SELECT r.user_id, i.name, NULL, 'Inline in ' || r.via, false, false, i.document
         FROM inline_policies i JOIN my_roles r ON r.id = i.role_id
         {ORDER}",
        members = only("m.user_id"),
        grants = only("ur.user_id"),
        attached = only("user_id"),
        bounded = only("id"),
        inline = only("i.user_id"),
    )
}

/// What applies in a role's sessions: its own policies and boundary. Rows as
/// [`user_permissions_sql`].
fn role_permissions_sql(one: bool) -> String {
    let only = |column: &str| {
        if one {
            format!("AND {column} = $1")
        } else {
            String::new()
        }
    };
    format!(
        "WITH attached AS (
            SELECT role_id AS owner, policy_arn, 'Attached directly' AS via, true AS direct,
                   false AS boundary
            FROM role_policies WHERE TRUE {attached}
            UNION ALL
            SELECT id, boundary_arn, 'Permissions boundary', true, true FROM roles
            WHERE boundary_arn IS NOT NULL {bounded}
         )
         {MANAGED}
         UNION ALL
         SELECT i.role_id, i.name, NULL, 'Inline', true, false, i.document
         FROM inline_policies i WHERE i.role_id IS NOT NULL {inline}
         {ORDER}",
        attached = only("role_id"),
        bounded = only("id"),
        inline = only("i.role_id"),
    )
}

/// A group's own policies and those of the roles given to it. Rows as
/// [`user_permissions_sql`].
const GROUP_PERMISSIONS: &str = "WITH my_roles AS (
        SELECT r.id, 'Role ' || r.name AS via FROM group_roles gr JOIN roles r ON r.id = gr.role_id
        WHERE gr.group_id = $1
     ),
     attached AS (
        SELECT group_id AS owner, policy_arn, 'Attached directly' AS via, true AS direct,
               false AS boundary
        FROM group_policies WHERE group_id = $1
        UNION ALL
        SELECT $1, p.policy_arn, r.via, false, false FROM role_policies p JOIN my_roles r ON r.id = p.role_id
     )
     SELECT a.owner, split_part(a.policy_arn, '/', -1), a.policy_arn, a.via, a.direct, a.boundary, v.document
     FROM attached a
       LEFT JOIN policies p ON p.arn = a.policy_arn
       LEFT JOIN policy_versions v ON v.policy_id = p.id AND v.version = p.default_version
     UNION ALL
     SELECT $1, i.name, NULL, 'Inline', true, false, i.document FROM inline_policies i WHERE i.group_id = $1
     UNION ALL
     SELECT $1, i.name, NULL, 'Inline in ' || r.via, false, false, i.document
     FROM inline_policies i JOIN my_roles r ON r.id = i.role_id
     ORDER BY 5 DESC, 4, 2";

/// The managed rows of a query whose `attached` lists owner and policy ARN.
const MANAGED: &str = "SELECT a.owner, split_part(a.policy_arn, '/', -1), a.policy_arn, a.via,
            a.direct, a.boundary, v.document
     FROM attached a
       LEFT JOIN policies p ON p.arn = a.policy_arn
       LEFT JOIN policy_versions v ON v.policy_id = p.id AND v.version = p.default_version";

/// Direct ones first, then by where they come from and name.
const ORDER: &str = "ORDER BY 5 DESC, 4, 2";

static ONE_USER: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| user_permissions_sql(true));
static EVERY_USER: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| user_permissions_sql(false));
static ONE_ROLE: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| role_permissions_sql(true));
static EVERY_ROLE: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| role_permissions_sql(false));
