//! Store errors, phrased for the person who caused them where a person did.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("A {what} named \"{name}\" already exists (names are case-insensitive).")]
    Duplicate { what: &'static str, name: String },
    #[error("No {what} named \"{name}\" exists.")]
    NotFound { what: &'static str, name: String },
    #[error("Policy \"{policy}\" already has {max} versions. Delete a version you no longer need first.", max = crate::policies::MAX_VERSIONS)]
    VersionLimit { policy: String },
    #[error("v{version} is the default version of \"{policy}\". Make another version the default first.")]
    DefaultVersion { policy: String, version: i32 },
    #[error("Policy \"{policy}\" is attached to {attached_to}. Detach it first.")]
    InUse { policy: String, attached_to: String },
    /// AWS's `DeleteConflict` wording: "Cannot delete entity, must delete access keys
    /// first."
    #[error("Cannot delete entity, must {0} first.")]
    Dependents(&'static str),
    /// AWS's `LimitExceeded` wording for a third access key.
    #[error("Cannot exceed quota for AccessKeysPerUser: 2")]
    AccessKeyLimit,
    #[error("The account is already set up.")]
    AlreadySetUp,
    #[error("The import was stopped before its end; nothing was written.")]
    ImportStopped,
    #[error("Import #{id} is {state}, not active; only an active import can be rolled back.")]
    ImportNotActive { id: i64, state: String },
    #[error("cannot encode billing data: {0}")]
    Encoding(String),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// Maps a unique violation to `Duplicate`, anything else to `Database`.
    pub(crate) fn unique(error: sqlx::Error, what: &'static str, name: &str) -> StoreError {
        if let sqlx::Error::Database(db) = &error {
            if db.is_unique_violation() {
                return StoreError::Duplicate {
                    what,
                    name: name.to_string(),
                };
            }
        }
        StoreError::Database(error)
    }
}
