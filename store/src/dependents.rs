//! Deletions as AWS's API does them: refused while something still depends on the
//! entity (keys, memberships, policies), checked and deleted in one transaction under
//! the entity's row lock.

use sqlx::Row;

use crate::{AuditEntry, Store, StoreError};

impl Store {
    /// Deletes a user that has nothing left, as AWS's `DeleteUser` does: refused with
    /// what still hangs on it (checked under the user's row lock, which key creation
    /// also takes).
    pub async fn delete_unused_user(&self, id: &str, audit: &AuditEntry) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(
            "SELECT password_hash IS NOT NULL AS login, mfa_enabled,
                    EXISTS (SELECT 1 FROM access_keys WHERE user_id = u.id) AS keys,
                    EXISTS (SELECT 1 FROM ssh_public_keys WHERE user_id = u.id) AS ssh_keys,
                    EXISTS (SELECT 1 FROM signing_certificates WHERE user_id = u.id)
                      AS signing_certificates,
                    EXISTS (SELECT 1 FROM service_specific_credentials WHERE user_id = u.id)
                      AS service_credentials,
                    EXISTS (SELECT 1 FROM group_members WHERE user_id = u.id) AS groups,
                    EXISTS (SELECT 1 FROM user_policies WHERE user_id = u.id)
                      OR EXISTS (SELECT 1 FROM user_roles WHERE user_id = u.id) AS attached,
                    EXISTS (SELECT 1 FROM inline_policies WHERE user_id = u.id) AS inline
             FROM users u WHERE id = $1 AND NOT is_root FOR UPDATE",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound {
                what: "user",
                name: id.into(),
            });
        };
        let checks = [
            ("login", "delete login profile"),
            ("keys", "delete access keys"),
            ("ssh_keys", "delete SSH public keys"),
            ("signing_certificates", "delete signing certificates"),
            ("service_credentials", "delete service specific credentials"),
            ("mfa_enabled", "delete MFA device"),
            ("groups", "remove user from all groups"),
            ("attached", "detach all policies"),
            ("inline", "delete policies"),
        ];
        for (column, what) in checks {
            if row.try_get::<bool, _>(column)? {
                return Err(StoreError::Dependents(what));
            }
        }
        sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.commit_and_announce(tx, audit).await
    }

    /// Deletes a group with no members and no policies, as AWS's `DeleteGroup` does.
    pub async fn delete_unused_group(
        &self,
        id: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(
            "SELECT EXISTS (SELECT 1 FROM group_members WHERE group_id = g.id) AS members,
                    EXISTS (SELECT 1 FROM group_policies WHERE group_id = g.id)
                      OR EXISTS (SELECT 1 FROM group_roles WHERE group_id = g.id) AS attached,
                    EXISTS (SELECT 1 FROM inline_policies WHERE group_id = g.id) AS inline
             FROM groups g WHERE id = $1 FOR UPDATE",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound {
                what: "group",
                name: id.into(),
            });
        };
        for (column, what) in [
            ("members", "remove users from group"),
            ("attached", "detach all policies"),
            ("inline", "delete policies"),
        ] {
            if row.try_get::<bool, _>(column)? {
                return Err(StoreError::Dependents(what));
            }
        }
        sqlx::query("DELETE FROM groups WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.commit_and_announce(tx, audit).await
    }

    /// Deletes a role with no policies left (AWS's `DeleteRole`); a role still given
    /// to users or groups (Portcullis's roles-as-bundles) is refused the same way.
    pub async fn delete_unused_role(&self, id: &str, audit: &AuditEntry) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(
            "SELECT EXISTS (SELECT 1 FROM role_policies WHERE role_id = r.id) AS attached,
                    EXISTS (SELECT 1 FROM inline_policies WHERE role_id = r.id) AS inline,
                    EXISTS (SELECT 1 FROM user_roles WHERE role_id = r.id)
                      OR EXISTS (SELECT 1 FROM group_roles WHERE role_id = r.id) AS given,
                    EXISTS (SELECT 1 FROM instance_profiles WHERE role_id = r.id) AS profiles
             FROM roles r WHERE id = $1 FOR UPDATE",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound {
                what: "role",
                name: id.into(),
            });
        };
        for (column, what) in [
            ("profiles", "remove roles from instance profile"),
            ("attached", "detach all policies"),
            ("inline", "delete policies"),
            (
                "given",
                "take the role back from the users and groups it is given to",
            ),
        ] {
            if row.try_get::<bool, _>(column)? {
                return Err(StoreError::Dependents(what));
            }
        }
        sqlx::query("DELETE FROM roles WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.commit_and_announce(tx, audit).await
    }
}
