//! Bounded retries with exponential backoff and full jitter, and what is worth retrying.
//!
//! A request is retried when it is idempotent (every method but `POST`, plus the multipart
//! calls that are safe to repeat: upload part, complete), its body can be built again (bytes
//! in memory, a file; never a caller's stream), and the failure is transient: a connection
//! error or a timeout before the answer, a 5xx, a 429, or COS's `SlowDown`. The wait before
//! retry `n` (from 0) is a uniformly random duration in `0 ..= min(max_delay, base * 2^n)`.

use std::time::Duration;

use crate::error::{ClientError, CosError};

/// How many times and how long to wait. `RetryPolicy::none()` disables retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 3).
    pub max_retries: u32,
    /// The backoff base (default 200 ms).
    pub base_delay: Duration,
    /// The largest wait (default 5 s).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// No retries.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// With this many retries.
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// With this backoff base and cap.
    pub fn delays(mut self, base: Duration, max: Duration) -> Self {
        self.base_delay = base;
        self.max_delay = max.max(base);
        self
    }

    /// The cap of the wait before retry `attempt` (0-based): `min(max, base * 2^attempt)`.
    pub fn cap(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt).unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .map_or(self.max_delay, |d| d.min(self.max_delay))
    }

    /// The wait before retry `attempt`: full jitter below [`cap`](RetryPolicy::cap).
    pub fn delay(&self, attempt: u32) -> Duration {
        let cap = self.cap(attempt);
        let nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

/// Whether COS's answer is transient: 5xx, 429, or `SlowDown`.
pub fn is_transient_answer(e: &CosError) -> bool {
    e.status >= 500 || e.status == 429 || e.code == "SlowDown"
}

/// Whether a failure before any answer is transient: a connection error or a timeout.
pub(crate) fn is_transient_failure(e: &ClientError) -> bool {
    matches!(e, ClientError::Http(_) | ClientError::Timeout { .. })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let p = RetryPolicy::default().delays(Duration::from_millis(100), Duration::from_secs(1));
        assert_eq!(p.cap(0), Duration::from_millis(100));
        assert_eq!(p.cap(1), Duration::from_millis(200));
        assert_eq!(p.cap(3), Duration::from_millis(800));
        assert_eq!(p.cap(4), Duration::from_secs(1));
        assert_eq!(p.cap(40), Duration::from_secs(1));
        let waits: Vec<Duration> = (0..200).map(|_| p.delay(2)).collect();
        assert!(waits.iter().all(|d| *d <= Duration::from_millis(400)));
        let distinct: std::collections::BTreeSet<_> = waits.iter().collect();
        assert!(distinct.len() > 100, "jitter spreads the waits");
        assert_eq!(RetryPolicy::none().max_retries, 0);
    }

    #[test]
    fn transient_answers() {
        let e = |status, code: &str| {
            let body = format!("<Error><Code>{code}</Code></Error>");
            CosError::from_response(status, &Default::default(), &body, false)
        };
        assert!(is_transient_answer(&e(500, "InternalError")));
        assert!(is_transient_answer(&e(503, "SlowDown")));
        assert!(is_transient_answer(&e(429, "TooManyRequests")));
        assert!(is_transient_answer(&e(400, "SlowDown")));
        assert!(!is_transient_answer(&e(403, "AccessDenied")));
        assert!(!is_transient_answer(&e(404, "NoSuchKey")));
    }
}
