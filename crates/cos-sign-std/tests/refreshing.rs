//! `RefreshingProvider`: one flight shared by all callers, the old key served while a refresh
//! runs, backoff after failures, bounded sync waits, and the async view (polled here with
//! `block_on_until`, std having no runtime).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cos_sign_std::clock::Clock;
use cos_sign_std::credentials::{
    Credentials, CredentialsError, CredentialsFuture, CredentialsProvider, FetchCredentials,
    RefreshingProvider, block_on_until,
};

/// A fetcher answering from a script, slowly, counting its calls.
#[derive(Debug, Default)]
struct Script {
    calls: AtomicUsize,
    delay: Mutex<Duration>,
    /// Expiry (unix seconds) of the keys it hands out; `None`: it fails.
    expiry: Mutex<Option<u64>>,
    never: Mutex<bool>,
}

impl FetchCredentials for Script {
    fn source(&self) -> String {
        "script".into()
    }
    fn fetch(&self) -> CredentialsFuture<'_> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let delay = *self.delay.lock().unwrap();
        let expiry = *self.expiry.lock().unwrap();
        let never = *self.never.lock().unwrap();
        Box::pin(async move {
            if never {
                std::future::pending::<()>().await;
            }
            std::thread::sleep(delay);
            match expiry {
                Some(e) => Ok(Credentials::new(format!("AKID{n}"), "k")
                    .with_token("t")
                    .with_expiry(UNIX_EPOCH + Duration::from_secs(e))),
                None => Err(CredentialsError::Io {
                    source: "script".into(),
                    detail: format!("down ({n})"),
                }),
            }
        })
    }
}

fn script(expiry: Option<u64>, delay_ms: u64) -> Arc<Script> {
    let s = Script::default();
    *s.expiry.lock().unwrap() = expiry;
    *s.delay.lock().unwrap() = Duration::from_millis(delay_ms);
    Arc::new(s)
}

const NOW: i64 = 1_700_000_000;

#[test]
fn concurrent_sync_callers_cause_one_fetch() {
    let s = script(Some(NOW as u64 + 3600), 150);
    let p = Arc::new(RefreshingProvider::from_arc(s.clone()).with_clock(Clock::fixed(NOW)));
    let n = 8;
    let barrier = Arc::new(Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (p, b) = (p.clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                p.credentials().unwrap().secret_id().to_owned()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), "AKID1");
    }
    assert_eq!(s.calls.load(Ordering::SeqCst), 1);
    assert_eq!(p.fetches(), 1);
}

#[test]
fn old_key_is_served_while_the_one_refresh_runs() {
    // Expires in 100 s: inside the 300 s margin.
    let s = script(Some(NOW as u64 + 100), 0);
    let p = Arc::new(
        RefreshingProvider::from_arc(s.clone())
            .with_clock(Clock::fixed(NOW))
            .with_backoff(Duration::from_millis(50), Duration::from_secs(1)),
    );
    assert_eq!(p.credentials().unwrap().secret_id(), "AKID1");
    // A key that arrived inside the margin is refreshed once the first backoff has passed.
    std::thread::sleep(Duration::from_millis(80));
    *s.delay.lock().unwrap() = Duration::from_millis(400);
    *s.expiry.lock().unwrap() = Some(NOW as u64 + 3600);
    let leader = {
        let p = p.clone();
        std::thread::spawn(move || p.credentials().unwrap().secret_id().to_owned())
    };
    std::thread::sleep(Duration::from_millis(100));
    // The refresh is in flight: others get the old, still valid key at once.
    let t = Instant::now();
    for _ in 0..5 {
        assert_eq!(p.credentials().unwrap().secret_id(), "AKID1");
    }
    assert!(
        t.elapsed() < Duration::from_millis(200),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(leader.join().unwrap(), "AKID2");
    assert_eq!(p.credentials().unwrap().secret_id(), "AKID2");
    assert_eq!(s.calls.load(Ordering::SeqCst), 2);
}

#[test]
fn failures_back_off_and_keep_the_valid_key() {
    let s = script(Some(NOW as u64 + 100), 0);
    let p = RefreshingProvider::from_arc(s.clone())
        .with_clock(Clock::fixed(NOW))
        .with_backoff(Duration::from_millis(300), Duration::from_secs(5));
    assert_eq!(p.credentials().unwrap().secret_id(), "AKID1");
    std::thread::sleep(Duration::from_millis(350));
    *s.expiry.lock().unwrap() = None; // the service goes down
    for _ in 0..10 {
        assert_eq!(p.credentials().unwrap().secret_id(), "AKID1");
    }
    assert_eq!(
        s.calls.load(Ordering::SeqCst),
        2,
        "one failed fetch, then backoff"
    );
    std::thread::sleep(Duration::from_millis(350));
    assert_eq!(p.credentials().unwrap().secret_id(), "AKID1");
    assert_eq!(
        s.calls.load(Ordering::SeqCst),
        3,
        "retried after the backoff"
    );
    // Second failure: the backoff doubled (600 ms), so 350 ms later still no fetch.
    std::thread::sleep(Duration::from_millis(350));
    p.credentials().unwrap();
    assert_eq!(s.calls.load(Ordering::SeqCst), 3);

    // With no valid key the error comes back, with no fetch during the backoff.
    let s = script(None, 0);
    let p = RefreshingProvider::from_arc(s.clone())
        .with_backoff(Duration::from_secs(10), Duration::from_secs(10));
    let e1 = p.credentials().unwrap_err();
    let e2 = p.credentials().unwrap_err();
    assert_eq!(e1, e2);
    assert_eq!(
        e1.to_string(),
        "cannot read credentials from script: down (1)"
    );
    assert_eq!(s.calls.load(Ordering::SeqCst), 1);
}

#[test]
fn sync_waits_are_bounded() {
    let s = script(Some(NOW as u64 + 3600), 0);
    *s.never.lock().unwrap() = true;
    let p = Arc::new(
        RefreshingProvider::from_arc(s.clone())
            .with_wait_limit(Duration::from_millis(200))
            .with_backoff(Duration::from_millis(1), Duration::from_millis(1)),
    );
    let waiter = {
        let p = p.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            let t = Instant::now();
            (p.credentials(), t.elapsed())
        })
    };
    let t = Instant::now();
    let e = p.credentials().unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(2));
    assert_eq!(
        e,
        CredentialsError::Timeout {
            source: "script".into(),
            after: Duration::from_millis(200)
        }
    );
    let (r, waited) = waiter.join().unwrap();
    assert!(waited < Duration::from_secs(2));
    assert!(matches!(r, Err(CredentialsError::Timeout { .. })), "{r:?}");
}

#[test]
fn async_callers_share_one_flight_and_a_dropped_leader_hands_over() {
    let s = script(Some(NOW as u64 + 3600), 0);
    let p = RefreshingProvider::from_arc(s.clone()).with_clock(Clock::fixed(NOW));
    let deadline = Instant::now() + Duration::from_secs(5);
    // A leader polled once then dropped: the flight is released.
    {
        *s.never.lock().unwrap() = true;
        let mut f = p.credentials_async();
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        assert!(f.as_mut().poll(&mut cx).is_pending());
    }
    *s.never.lock().unwrap() = false;
    let c = block_on_until(p.credentials_async(), deadline)
        .unwrap()
        .unwrap();
    assert_eq!(c.secret_id(), "AKID2");
    let c = block_on_until(p.credentials_async(), deadline)
        .unwrap()
        .unwrap();
    assert_eq!(c.secret_id(), "AKID2", "cached");
    let c = block_on_until(p.refresh(), deadline).unwrap().unwrap();
    assert_eq!(c.secret_id(), "AKID3", "forced");
    assert_eq!(p.fetches(), 3);
    let _ = SystemTime::now();
}

/// A service that hands out a key already inside the margin, or past its expiry by this
/// clock (one behind the service's), is not asked again on every call: the key is served and
/// the next fetch waits for the first backoff.
#[test]
fn a_key_near_or_past_its_expiry_is_not_fetched_on_every_call() {
    for expiry in [NOW as u64 + 100, NOW as u64 - 100] {
        let s = script(Some(expiry), 0);
        let p = RefreshingProvider::from_arc(s.clone())
            .with_clock(Clock::fixed(NOW))
            .with_backoff(Duration::from_millis(300), Duration::from_secs(5));
        for _ in 0..20 {
            assert_eq!(p.credentials().unwrap().secret_id(), "AKID1");
        }
        assert_eq!(s.calls.load(Ordering::SeqCst), 1, "expiry {expiry}");
        std::thread::sleep(Duration::from_millis(350));
        assert_eq!(p.credentials().unwrap().secret_id(), "AKID2");
        assert_eq!(s.calls.load(Ordering::SeqCst), 2);
    }
}
