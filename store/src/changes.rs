//! Change notifications, and the process-local copies they keep fresh.
//!
//! Every committed change that another server process may have cached (attachments,
//! memberships, deleted users and groups, account settings) sends `NOTIFY` on one
//! channel inside its own transaction, so the notification arrives exactly when the
//! change commits, at every process. A process caches only while it is listening:
//! without the listener it could not know when its copy went stale.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use sqlx::postgres::PgListener;

use crate::{Store, StoreError};

/// Called when something cached may have changed.
type Callback = Arc<dyn Fn() + Send + Sync>;

/// The callbacks of [`Store::watch_changes`].
#[derive(Default)]
pub(crate) struct Callbacks(Mutex<Vec<Callback>>);

impl std::fmt::Debug for Callbacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.0.lock().map(|v| v.len()).unwrap_or(0);
        write!(f, "Callbacks({count})")
    }
}

/// The channel every server process listens on.
pub const CHANNEL: &str = "portcullis_changes";

pub(crate) async fn notify(conn: &mut sqlx::PgConnection) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(CHANNEL)
        .execute(conn)
        .await?;
    Ok(())
}

/// A cached copy of one value, dropped on every change notification.
///
/// The generation guards the race between a read from the database and a
/// notification arriving meanwhile: a value read before the notification is not kept.
#[derive(Debug)]
pub(crate) struct Snapshot<T> {
    inner: Mutex<(u64, Option<T>)>,
    live: Arc<AtomicBool>,
}

impl<T: Clone> Snapshot<T> {
    pub(crate) fn new(live: Arc<AtomicBool>) -> Self {
        Snapshot {
            inner: Mutex::new((0, None)),
            live,
        }
    }

    /// The cached value, or the generation to hand back to [`Snapshot::offer`].
    pub(crate) fn get(&self) -> Result<T, u64> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match &inner.1 {
            Some(value) if self.live.load(Ordering::Acquire) => Ok(value.clone()),
            _ => Err(inner.0),
        }
    }

    /// Keeps `value`, read from the database during `generation`, unless a change
    /// arrived since.
    pub(crate) fn offer(&self, generation: u64, value: &T) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.0 == generation && self.live.load(Ordering::Acquire) {
            inner.1 = Some(value.clone());
        }
    }

    pub(crate) fn invalidate(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.0 += 1;
        inner.1 = None;
    }
}

impl Store {
    /// Keeps this process's caches fresh and calls `on_change` whenever anything that
    /// may be cached changes in any server process, and once after each (re)connect,
    /// since changes may have been missed while disconnected.
    pub fn watch_changes(&self, on_change: impl Fn() + Send + Sync + 'static) {
        let on_change: Callback = Arc::new(on_change);
        self.on_change
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(on_change.clone());
        let store = self.clone();
        tokio::spawn(async move {
            loop {
                match PgListener::connect_with(store.pool()).await {
                    Ok(mut listener) => {
                        if listener.listen(CHANNEL).await.is_ok() {
                            store.forget(true);
                            on_change();
                            while listener.recv().await.is_ok() {
                                store.forget(true);
                                on_change();
                            }
                        }
                    }
                    Err(e) => tracing::warn!("change listener: {e}"),
                }
                store.forget(false);
                on_change();
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        });
    }

    /// After this process committed a change: its own copies go at once, before the
    /// notification comes back from the database.
    pub(crate) fn changed_here(&self) {
        self.settings_cache.invalidate();
        let callbacks = self
            .on_change
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for callback in callbacks {
            callback();
        }
    }

    /// Drops every cached copy; `listening` says whether new copies may be kept.
    fn forget(&self, listening: bool) {
        self.listening.store(listening, Ordering::Release);
        self.settings_cache.invalidate();
    }
}
