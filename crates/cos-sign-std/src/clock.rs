//! The time signatures are computed for: the system clock or a fixed instant, plus a skew
//! offset that can be corrected at run time (for example from a server's `Date` after
//! `RequestTimeTooSkewed`) through a shared reference.
//!
//! ```
//! use cos_sign_std::clock::Clock;
//! let clock = Clock::fixed(1_700_000_000);
//! clock.set_skew(-30);
//! assert_eq!(clock.now(), 1_699_999_970);
//! ```

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    System,
    Fixed(i64),
}

/// A clock in unix seconds with an adjustable skew.
///
/// ```
/// use cos_sign_std::clock::Clock;
/// let clock = Clock::fixed(1_700_000_000);
/// assert_eq!(clock.now(), 1_700_000_000);
/// clock.set_skew(-30); // the server's Date said the local clock is 30 s ahead
/// assert_eq!(clock.now(), 1_699_999_970);
/// ```
#[derive(Debug)]
pub struct Clock {
    base: Base,
    skew: AtomicI64,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self {
            base: Base::System,
            skew: AtomicI64::new(0),
        }
    }

    /// Always `unix_secs` (plus the skew).
    pub fn fixed(unix_secs: i64) -> Self {
        Self {
            base: Base::Fixed(unix_secs),
            skew: AtomicI64::new(0),
        }
    }

    /// The same clock with this skew.
    pub fn with_skew(self, skew_secs: i64) -> Self {
        self.set_skew(skew_secs);
        self
    }

    /// Sets the offset added to the base time (seconds; negative when the local clock is
    /// ahead).
    pub fn set_skew(&self, skew_secs: i64) {
        self.skew.store(skew_secs, Ordering::Relaxed);
    }

    /// Adds to the offset.
    pub fn adjust_skew(&self, delta_secs: i64) {
        self.skew.fetch_add(delta_secs, Ordering::Relaxed);
    }

    /// The current offset.
    pub fn skew(&self) -> i64 {
        self.skew.load(Ordering::Relaxed)
    }

    /// Whether this is the system clock (not fixed).
    pub fn is_system(&self) -> bool {
        self.base == Base::System
    }

    /// Now, in unix seconds (`int(time.time())` + skew).
    pub fn now(&self) -> i64 {
        let base = match self.base {
            Base::System => system_secs(SystemTime::now()),
            Base::Fixed(t) => t,
        };
        base.saturating_add(self.skew())
    }

    /// Now as a `SystemTime`.
    pub fn now_system_time(&self) -> SystemTime {
        from_unix_secs(self.now())
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl Clone for Clock {
    fn clone(&self) -> Self {
        Self {
            base: self.base,
            skew: AtomicI64::new(self.skew()),
        }
    }
}

/// Unix seconds of a `SystemTime` (floored; negative before 1970).
pub(crate) fn system_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let d = e.duration();
            let s = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            if d.subsec_nanos() > 0 {
                s.saturating_neg().saturating_sub(1)
            } else {
                s.saturating_neg()
            }
        }
    }
}

/// The `SystemTime` of unix seconds.
pub(crate) fn from_unix_secs(s: i64) -> SystemTime {
    if s >= 0 {
        UNIX_EPOCH + Duration::from_secs(s.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_secs(s.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skew_through_shared_ref() {
        let c = Clock::fixed(100);
        let r = &c;
        r.set_skew(5);
        assert_eq!(c.now(), 105);
        r.adjust_skew(-10);
        assert_eq!(c.now(), 95);
        assert_eq!(c.clone().now(), 95);
        let s = Clock::system();
        let now = system_secs(SystemTime::now());
        assert!((s.now() - now).abs() <= 1);
        assert_eq!(system_secs(from_unix_secs(-5)), -5);
    }
}
