//! Status changes and deletions of one of a user's own credentials by id (SSH keys,
//! signing certificates): the user named, or without a name the caller, authorized
//! as the action; an id of another user's credential is not found.

use store::owned::Owned;

use crate::{Caller, Service, ServiceError};

/// What to do to the credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OwnedChange {
    Active(bool),
    Delete,
}

impl Service {
    /// Applies `change` to the credential `id` of kind `owned`; `missing` is the
    /// kind's own "cannot be found" error.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn change_owned(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
        action: &'static str,
        owned: Owned,
        id: &str,
        change: OwnedChange,
        missing: fn(&str) -> ServiceError,
    ) -> Result<(), ServiceError> {
        let (user, permit) = self.user_or_own(caller, action, user_name).await?;
        let what = owned.what();
        let result = match change {
            OwnedChange::Active(active) => {
                let status = if active { "Active" } else { "Inactive" };
                let audit = permit.audit(caller, format!("{what} {id} {status}"));
                self.store
                    .set_owned_active(owned, &user.id, id, active, &audit)
                    .await
            }
            OwnedChange::Delete => {
                let audit = permit.audit(caller, format!("{what} {id} deleted"));
                self.store.delete_owned(owned, &user.id, id, &audit).await
            }
        };
        result.map_err(|e| match e {
            store::StoreError::NotFound { .. } => missing(id),
            other => other.into(),
        })
    }
}
