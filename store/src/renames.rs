//! Renames of entities whose name is in their ARN (groups, server certificates): the
//! name and the ARN, which carries the path, change together; a name taken in any
//! case is refused.

use crate::audit::{commit, AuditEntry};
use crate::{Store, StoreError};

impl Store {
    /// Sets `name` and `arn` of the row `id` of `table`; `what` names it in errors.
    pub(crate) async fn rename_row(
        &self,
        table: &'static str,
        what: &'static str,
        id: &str,
        new: &str,
        arn: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let updated = sqlx::query(&format!(
            "UPDATE {table} SET name = $2, arn = $3 WHERE id = $1"
        ))
        .bind(id)
        .bind(new)
        .bind(arn)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, what, new))?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what,
                name: id.into(),
            });
        }
        commit(tx, audit).await
    }
}
