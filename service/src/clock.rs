//! The time source: real in production, set by tests, so TOTP steps, lockout windows,
//! password ages and session limits are decided without sleeping.

use std::sync::Arc;

use time::OffsetDateTime;

#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> OffsetDateTime + Send + Sync>);

impl Clock {
    pub fn system() -> Clock {
        Clock(Arc::new(OffsetDateTime::now_utc))
    }

    pub fn from_fn(f: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(f))
    }

    /// Now, to the microsecond (PostgreSQL keeps no more, so a time read back compares
    /// equal to the one written).
    pub fn now(&self) -> OffsetDateTime {
        let now = (self.0)();
        now.replace_nanosecond(now.nanosecond() / 1000 * 1000)
            .unwrap_or(now)
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

/// A clock tests move by hand.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<std::sync::Mutex<OffsetDateTime>>);

impl ManualClock {
    pub fn starting_at(at: OffsetDateTime) -> ManualClock {
        ManualClock(Arc::new(std::sync::Mutex::new(at)))
    }

    pub fn advance(&self, by: time::Duration) {
        let mut at = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *at += by;
    }

    pub fn clock(&self) -> Clock {
        let at = self.0.clone();
        Clock::from_fn(move || *at.lock().unwrap_or_else(|e| e.into_inner()))
    }
}
