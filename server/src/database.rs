//! Reaching PostgreSQL: the given `DATABASE_URL`, or the embedded cluster.

use std::os::unix::fs::PermissionsExt;

use identity::secret_box::SecretBox;
use store::cluster::Cluster;
use store::Store;

use crate::config::Config;

/// The store and, in embedded mode, the cluster that must outlive it.
pub struct Database {
    pub store: Store,
    pub cluster: Option<Cluster>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Cluster(#[from] store::cluster::ClusterError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("{0}")]
    Secret(String),
    #[error("file system: {0}")]
    Io(#[from] std::io::Error),
}

pub async fn open(config: &Config) -> Result<Database, StartError> {
    let (store, cluster) = match &config.database_url {
        Some(url) => (Store::connect(url, 20).await?, None),
        None => {
            let (dir, note) = store::cluster::location(&config.data_dir)?;
            if let Some(note) = note {
                tracing::warn!("{note}");
            }
            tracing::info!(dir = %dir.display(), "starting the embedded PostgreSQL");
            let cluster = tokio::task::spawn_blocking(move || Cluster::start(&dir))
                .await
                .map_err(|e| StartError::Secret(e.to_string()))??;
            cluster.ensure_database("portcullis").await?;
            let store = Store::connect_with(cluster.options("portcullis"), 20).await?;
            (store, Some(cluster))
        }
    };
    store.migrate().await?;
    Ok(Database { store, cluster })
}

/// The key that encrypts TOTP seeds: configured, or generated once under the data
/// folder in embedded mode (mode 0600).
pub fn secret_box(config: &Config) -> Result<SecretBox, StartError> {
    let key = match (&config.secret_key, &config.database_url) {
        (Some(key), _) => key.clone(),
        (None, Some(_)) => {
            return Err(StartError::Secret(
                "PORTCULLIS_SECRET_KEY is required with DATABASE_URL (64 hex characters; every server must use the same key). Generate one with: portcullis generate-key".into(),
            ))
        }
        (None, None) => {
            std::fs::create_dir_all(&config.data_dir)?;
            let path = config.data_dir.join("secret.key");
            if !path.exists() {
                std::fs::write(&path, SecretBox::generate_key())?;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
            }
            std::fs::read_to_string(&path)?.trim().to_string()
        }
    };
    SecretBox::new(&[("k1".to_string(), key)])
        .map_err(|e| StartError::Secret(format!("PORTCULLIS_SECRET_KEY: {e}")))
}
