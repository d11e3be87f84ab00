//! Audit rows of reads, written in batches.
//!
//! A change writes its audit row in its own transaction; a read through the API (a
//! `GetUser`, a `GetCallerIdentity`, a refused signature) has no transaction, and
//! writing one row per request would make the audit log the API's bottleneck. These
//! rows wait here and go to the database in one statement a few times a second (and
//! at shutdown), as CloudTrail delivers its events after the fact.

use std::sync::{Arc, Mutex};

use store::AuditEntry;

use crate::{Service, ServiceError};

/// At most this many rows wait; past it a request writes the batch itself.
const MAX_PENDING: usize = 5_000;

#[derive(Clone, Default)]
pub struct AuditBuffer(Arc<Mutex<Vec<AuditEntry>>>);

impl AuditBuffer {
    fn push(&self, entry: AuditEntry) -> bool {
        let mut pending = self.0.lock().unwrap_or_else(|e| e.into_inner());
        pending.push(entry);
        pending.len() >= MAX_PENDING
    }

    fn take(&self) -> Vec<AuditEntry> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Service {
    /// Queues the audit row of a read; written by [`Service::flush_audit`].
    pub async fn audit_later(&self, entry: AuditEntry) -> Result<(), ServiceError> {
        if self.audit_buffer.push(entry) {
            self.flush_audit().await?;
        }
        Ok(())
    }

    /// Writes the queued audit rows in one statement.
    pub async fn flush_audit(&self) -> Result<(), ServiceError> {
        let entries = self.audit_buffer.take();
        if let Err(e) = self.store.audit_many(&entries).await {
            // Put them back for the next attempt rather than lose them.
            let mut pending = self
                .audit_buffer
                .0
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let mut kept = entries;
            kept.append(&mut pending);
            *pending = kept;
            return Err(e.into());
        }
        Ok(())
    }
}
