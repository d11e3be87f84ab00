//! Password hashing on a bounded blocking pool.
//!
//! argon2id with OWASP's parameters (the `argon2` crate's defaults: m=19 MiB, t=2, p=1)
//! costs 15–40 ms of CPU. It never runs on the async workers: one dedicated thread per
//! core hashes, a bounded number of callers may wait, and beyond that the caller gets
//! [`HashError::Busy`] to show "busy, retry" instead of queueing without end. Unknown users are verified against a dummy hash so that a
//! wrong name takes as long as a wrong password.

use std::sync::Arc;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher as _, SaltString};
use argon2::Argon2;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum HashError {
    #[error("The server is busy checking other sign-ins; try again in a moment.")]
    Busy,
    #[error("password hashing failed: {0}")]
    Internal(String),
}

type Job = Box<dyn FnOnce() + Send>;

/// The shared hashing pool: a fixed set of threads fed through a bounded queue.
///
/// Dedicated threads (not tokio's elastic blocking pool) keep argon2's 19 MiB working
/// memory to one buffer per worker: glibc keeps freed memory per thread arena, so
/// hashing on an ever-changing set of threads would let resident memory grow with the
/// number of threads that ever hashed.
#[derive(Clone)]
pub struct PasswordHasher {
    jobs: std::sync::mpsc::SyncSender<Job>,
    dummy: Arc<str>,
}

impl PasswordHasher {
    /// `workers` hashes at once (one per core), `queue` more callers may wait.
    pub fn new(workers: usize, queue: usize) -> Result<PasswordHasher, HashError> {
        let dummy = hash_now("portcullis dummy password for unknown users")?;
        let (jobs, receiver) = std::sync::mpsc::sync_channel::<Job>(queue);
        let receiver = Arc::new(std::sync::Mutex::new(receiver));
        for i in 0..workers.max(1) {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || loop {
                    let job = match receiver.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                })
                .map_err(|e| HashError::Internal(e.to_string()))?;
        }
        Ok(PasswordHasher {
            jobs,
            dummy: dummy.into(),
        })
    }

    /// One worker per core, and a queue of 32 per core.
    pub fn for_this_machine() -> Result<PasswordHasher, HashError> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        PasswordHasher::new(cores, cores * 32)
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let (done, result) = tokio::sync::oneshot::channel();
        let span = tracing::Span::current();
        let job: Job = Box::new(move || {
            let _ = done.send(span.in_scope(job));
        });
        self.jobs.try_send(job).map_err(|e| match e {
            std::sync::mpsc::TrySendError::Full(_) => HashError::Busy,
            std::sync::mpsc::TrySendError::Disconnected(_) => {
                HashError::Internal("the hashing threads stopped".into())
            }
        })?;
        result.await.map_err(|e| HashError::Internal(e.to_string()))
    }

    /// Hashes a new password (PHC string with its own salt).
    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        self.run(move || hash_now(&password)).await?
    }

    /// Verifies `password` against `hash`; with no hash (unknown user, no console
    /// password) it verifies against the dummy and answers false, taking the same time.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, HashError> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy.to_string());
        let ok = self.run(move || verify_now(&password, &hash)).await?;
        Ok(ok && known)
    }
}

fn hash_now(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError::Internal(e.to_string()))
}

thread_local! {
    /// argon2's working memory, kept per thread: allocating (and zero-filling) 19 MiB
    /// afresh for every verification costs page faults that showed up as a fifth of the
    /// server's CPU under sign-in load.
    static MEMORY: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Verifies `password` against a PHC-format argon2 hash, comparing in constant time.
pub fn verify_now(password: &str, hash: &str) -> bool {
    use argon2::{Algorithm, Params, Version};
    use subtle::ConstantTimeEq;
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let mut salt_buffer = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buffer) else {
        return false;
    };
    let blocks = params.block_count();
    let argon = Argon2::new(algorithm, version, params);
    let mut computed = vec![0u8; expected.len()];
    let done = MEMORY.with(|memory| {
        let Ok(mut memory) = memory.try_borrow_mut() else {
            return false;
        };
        if memory.len() < blocks {
            memory.resize(blocks, argon2::Block::default());
        }
        match memory.get_mut(..blocks) {
            Some(blocks) => argon
                .hash_password_into_with_memory(password.as_bytes(), salt, &mut computed, blocks)
                .is_ok(),
            None => false,
        }
    });
    done && bool::from(computed.as_slice().ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_unknown_users_fail() {
        let hasher = PasswordHasher::new(2, 4).unwrap();
        let hash = hasher.hash("Correct horse 1".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hasher
            .verify("Correct horse 1".into(), Some(hash.clone()))
            .await
            .unwrap());
        assert!(!hasher.verify("wrong".into(), Some(hash)).await.unwrap());
        assert!(!hasher
            .verify("portcullis dummy password for unknown users".into(), None)
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn refuses_beyond_the_queue() {
        let hasher = PasswordHasher::new(1, 1).unwrap();
        let attempts: Vec<_> = (0..8)
            .map(|_| {
                let h = hasher.clone();
                tokio::spawn(async move { h.hash("x".into()).await })
            })
            .collect();
        let mut busy = 0;
        for a in attempts {
            if a.await.unwrap() == Err(HashError::Busy) {
                busy += 1;
            }
        }
        assert!(busy >= 1, "some attempts must be refused as busy");
    }
}
