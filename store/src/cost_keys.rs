//! Every cost key with costs, read once per version of the billing data.
//!
//! A rule preview and a rule change both place every key (hundreds of thousands at
//! ten million line items), and reading and parsing them is most of a preview's time.
//! Keys never change once written; which keys have costs, and their all-time sums,
//! change only when the imports holding data do. So a process keeps the last keys it
//! read beside the [`DataVersion`] they were read at, and hands them out again while
//! the database still shows that version. The version is read in the caller's own
//! transaction, so a copy is never used against data it was not read from, whichever
//! server instance imported or rolled back since. An unused copy is dropped after a
//! while: it is large, and previews come in bursts while someone edits rules.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::{PgConnection, Row};
use tokio::sync::Mutex;

use crate::StoreError;

/// How long an unused copy is kept.
const KEEP_UNUSED: Duration = Duration::from_secs(600);

/// A key's id, its columns, and its all-time billed cost (for proportional splits).
pub type KeyWithCost = (i64, spend::CostKey, f64);

/// Which imports hold billing data: each (import, billing account, period) held.
/// Import ids are never reused, so equal versions mean equal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataVersion(pub(crate) String);

impl DataVersion {
    /// The version `conn` sees now.
    pub(crate) async fn read(conn: &mut PgConnection) -> Result<DataVersion, StoreError> {
        let text: String = sqlx::query_scalar(
            "SELECT coalesce(string_agg(import_id::text || ':' || billing_account_id || ':' || billing_period_start::text,
                 ',' ORDER BY billing_account_id, billing_period_start), '')
             FROM cost_import_scopes",
        )
        .fetch_one(&mut *conn)
        .await?;
        Ok(DataVersion(text))
    }
}

struct Copy {
    version: DataVersion,
    keys: Arc<Vec<KeyWithCost>>,
    used: Instant,
}

/// The process's copy of the keys; cheap to clone (shared).
#[derive(Clone)]
pub(crate) struct KeyCache {
    copy: Arc<Mutex<Option<Copy>>>,
    keep_unused: Duration,
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache")
            .field("keep_unused", &self.keep_unused)
            .finish_non_exhaustive()
    }
}

impl Default for KeyCache {
    fn default() -> KeyCache {
        KeyCache::keeping(KEEP_UNUSED)
    }
}

impl KeyCache {
    fn keeping(keep_unused: Duration) -> KeyCache {
        KeyCache {
            copy: Arc::default(),
            keep_unused,
        }
    }

    /// The keys as `conn` sees them: the copy when it is of the data `conn` sees,
    /// otherwise read (while others asking wait for that one read).
    pub(crate) async fn keys(
        &self,
        conn: &mut PgConnection,
    ) -> Result<Arc<Vec<KeyWithCost>>, StoreError> {
        let version = DataVersion::read(conn).await?;
        let mut copy = self.copy.lock().await;
        if let Some(held) = copy.as_mut().filter(|held| held.version == version) {
            held.used = Instant::now();
            return Ok(held.keys.clone());
        }
        *copy = None;
        let keys = Arc::new(read_keys(conn).await?);
        self.hold(&mut copy, version, keys.clone());
        Ok(keys)
    }

    /// Holds a new copy, and drops it once unused for a while: a task watches it,
    /// and ends with it (or once a newer copy replaced it, which has its own).
    fn hold(&self, copy: &mut Option<Copy>, version: DataVersion, keys: Arc<Vec<KeyWithCost>>) {
        let watched = Arc::downgrade(&keys);
        *copy = Some(Copy {
            version,
            keys,
            used: Instant::now(),
        });
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let cache = Arc::downgrade(&self.copy);
        let keep = self.keep_unused;
        runtime.spawn(async move {
            let mut wait = keep;
            loop {
                tokio::time::sleep(wait).await;
                let Some(cache) = cache.upgrade() else { return };
                let mut copy = cache.lock().await;
                let Some(held) = copy.as_ref() else { return };
                if !std::ptr::eq(Arc::as_ptr(&held.keys), watched.as_ptr()) {
                    return;
                }
                let idle = held.used.elapsed();
                if idle >= keep {
                    *copy = None;
                    return;
                }
                wait = keep - idle;
            }
        });
    }
}

/// Every key with costs, streamed so only the keys are held, never every row beside.
async fn read_keys(conn: &mut PgConnection) -> Result<Vec<KeyWithCost>, StoreError> {
    let mut rows = sqlx::query(
        "SELECT k.id, k.billing_account_id, k.sub_account_id, k.provider, k.service_name, k.region_id,
                k.availability_zone, k.resource_id, k.charge_category, k.currency, k.tags::text AS tags, k.created_by,
                t.billed::float8 AS billed
         FROM cost_keys k
         JOIN (SELECT key_id, sum(billed_cost) AS billed FROM cost_key_monthly GROUP BY key_id) t ON t.key_id = k.id",
    )
    .fetch(&mut *conn);
    let mut keys = Vec::new();
    while let Some(row) = futures_util::TryStreamExt::try_next(&mut rows).await? {
        let tags: String = row.try_get("tags")?;
        keys.push((
            row.try_get("id")?,
            spend::CostKey {
                billing_account_id: row.try_get("billing_account_id")?,
                sub_account_id: row.try_get("sub_account_id")?,
                provider: row.try_get("provider")?,
                service_name: row.try_get("service_name")?,
                region_id: row.try_get("region_id")?,
                availability_zone: row.try_get("availability_zone")?,
                resource_id: row.try_get("resource_id")?,
                charge_category: row.try_get("charge_category")?,
                currency: row.try_get("currency")?,
                tags: serde_json::from_str(&tags).unwrap_or_default(),
                created_by: row.try_get("created_by")?,
            },
            row.try_get("billed")?,
        ));
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(text: &str) -> DataVersion {
        DataVersion(text.to_string())
    }

    async fn held(cache: &KeyCache) -> Option<String> {
        cache
            .copy
            .lock()
            .await
            .as_ref()
            .map(|held| held.version.0.clone())
    }

    #[tokio::test]
    async fn an_unused_copy_is_dropped_and_a_used_one_kept() {
        let cache = KeyCache::keeping(Duration::from_millis(200));
        {
            let mut copy = cache.copy.lock().await;
            cache.hold(&mut copy, version("1:a:2024-09-01"), Arc::default());
        }
        // Used again before the limit: kept past it.
        tokio::time::sleep(Duration::from_millis(120)).await;
        cache.copy.lock().await.as_mut().unwrap().used = Instant::now();
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(held(&cache).await.as_deref(), Some("1:a:2024-09-01"));
        // Then left alone: dropped.
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(held(&cache).await, None);
    }

    #[tokio::test]
    async fn a_replaced_copy_keeps_its_own_watch() {
        let cache = KeyCache::keeping(Duration::from_millis(200));
        {
            let mut copy = cache.copy.lock().await;
            cache.hold(&mut copy, version("1:a:2024-09-01"), Arc::default());
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
        {
            let mut copy = cache.copy.lock().await;
            cache.hold(&mut copy, version("2:a:2024-09-01"), Arc::default());
        }
        // The first watch ends without touching the newer copy, whose own watch has
        // not run out yet.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(held(&cache).await.as_deref(), Some("2:a:2024-09-01"));
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(held(&cache).await, None);
    }
}
