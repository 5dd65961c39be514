//! `CvmRole` (served as `CvmRoleProvider`) against a stand-in metadata service on 127.0.0.1, and its temporary key
//! used for real against the local COS server.

mod client_common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use client_common::*;
use cos_sign_http::Client;
use cos_sign_http::providers::CvmRole;
use cos_sign_std::credentials::CredentialsProvider;
use cos_sign_std::signer::Signer;

/// A stand-in metadata service: path → (status, body), counting hits per path.
#[derive(Clone, Default)]
struct Metadata {
    routes: Arc<Mutex<HashMap<String, (u16, String)>>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    total: Arc<AtomicUsize>,
}

impl Metadata {
    fn set(&self, path: &str, status: u16, body: &str) {
        self.routes
            .lock()
            .unwrap()
            .insert(path.to_owned(), (status, body.to_owned()));
    }

    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    /// Serves on a plain thread (so a blocking fetch from a runtime thread cannot starve it).
    fn start(&self) -> SocketAddr {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let me = self.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { break };
                let mut got = Vec::new();
                let mut buf = [0u8; 4096];
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&got);
                let path = text.split(' ').nth(1).unwrap_or("").to_owned();
                me.total.fetch_add(1, Ordering::SeqCst);
                *me.hits.lock().unwrap().entry(path.clone()).or_default() += 1;
                let (status, body) = me
                    .routes
                    .lock()
                    .unwrap()
                    .get(&path)
                    .cloned()
                    .unwrap_or((404, "not found".to_owned()));
                let _ = write!(
                    s,
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        addr
    }
}

fn role_json(id: &str, key: &str, token: &str, expires_at: u64) -> String {
    format!(
        r#"{{"TmpSecretId":"{id}","TmpSecretKey":"{key}","ExpiredTime":{expires_at},"Expiration":"x","Token":"{token}","Code":"Success"}}"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovers_role_fetches_caches_and_signs_for_real() {
    let md = Metadata::default();
    md.set(BASE, 200, "cos-role\n");
    let exp = unix_now() + 3600;
    md.set(
        &format!("{BASE}cos-role"),
        200,
        &role_json("AKIDcvmTmp1", "cvmSecretOne", "cvm-token-1", exp),
    );
    let addr = md.start();
    let provider = Arc::new(
        CvmRole::new()
            .with_base_url(format!("http://{addr}{BASE}"))
            .provider(),
    );

    // Async refresh.
    let c = provider.refresh().await.unwrap();
    assert_eq!(c.secret_id(), "AKIDcvmTmp1");
    assert_eq!(c.token(), Some("cvm-token-1"));
    assert_eq!(c.expiry(), Some(UNIX_EPOCH + Duration::from_secs(exp)));
    assert_eq!(md.hits(BASE), 1);
    assert_eq!(md.hits(&format!("{BASE}cos-role")), 1);
    // The sync view serves the cache: no more requests.
    let c2 = provider.credentials().unwrap();
    assert_eq!(c2, c);
    assert_eq!(md.total.load(Ordering::SeqCst), 2);
    assert!(!format!("{provider:?}").contains("cvmSecretOne"));

    // The key works against the local server that knows it.
    put_get_with(
        Client::builder().signer(Signer::new(provider.clone(), cos_endpoint())),
        ("AKIDcvmTmp1", "cvmSecretOne", "cvm-token-1"),
        "cvm.txt",
        "from a role",
    )
    .await;
    assert_eq!(md.total.load(Ordering::SeqCst), 2, "signing used the cache");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_fetch_refreshes_near_expiry_and_keeps_a_valid_key_on_failure() {
    let md = Metadata::default();
    let path = format!("{BASE}r1");
    // Expires in 100 s: inside the 5 min margin, so a sync call refetches once the first
    // backoff has passed (100 ms here; a key near its end is not fetched on every call).
    md.set(
        &path,
        200,
        &role_json("AKIDa", "ka", "ta", unix_now() + 100),
    );
    let addr = md.start();
    let provider = CvmRole::new()
        .with_base_url(format!("http://{addr}{BASE}"))
        .with_role("r1")
        .provider()
        .with_backoff(Duration::from_millis(100), Duration::from_secs(10));
    // Sync call from inside a runtime: fetched on its own thread.
    let a = provider.credentials().unwrap();
    assert_eq!(a.secret_id(), "AKIDa");
    assert_eq!(md.hits(&path), 1);
    assert_eq!(md.hits(BASE), 0, "the given role is not discovered");

    md.set(
        &path,
        200,
        &role_json("AKIDb", "kb", "tb", unix_now() + 3600),
    );
    // Within the backoff: the near-expiry key, no fetch.
    assert_eq!(provider.credentials().unwrap().secret_id(), "AKIDa");
    assert_eq!(md.hits(&path), 1);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let b = provider.credentials().unwrap();
    assert_eq!(b.secret_id(), "AKIDb");
    assert_eq!(md.hits(&path), 2);
    // Fresh now: cached.
    provider.credentials().unwrap();
    assert_eq!(md.hits(&path), 2);

    // A provider whose key is near expiry and whose service now fails keeps serving it.
    let md2 = Metadata::default();
    let p2 = format!("{BASE}r2");
    md2.set(&p2, 200, &role_json("AKIDc", "kc", "tc", unix_now() + 100));
    let addr2 = md2.start();
    let provider2 = CvmRole::new()
        .with_base_url(format!("http://{addr2}{BASE}"))
        .with_role("r2")
        .provider()
        .with_backoff(Duration::from_millis(100), Duration::from_secs(10));
    assert_eq!(provider2.credentials().unwrap().secret_id(), "AKIDc");
    md2.set(&p2, 500, "boom");
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(provider2.credentials().unwrap().secret_id(), "AKIDc");
    assert_eq!(md2.hits(&p2), 2);
}

#[tokio::test]
async fn errors_name_the_source_and_no_secret() {
    let md = Metadata::default();
    md.set(BASE, 200, "");
    md.set(
        &format!("{BASE}bad"),
        200,
        r#"{"TmpSecretId":"AKIDx","TmpSecretKey":"hushhush","Code":"Success"}"#,
    );
    md.set(&format!("{BASE}failed"), 200, r#"{"Code":"Failed"}"#);
    let addr = md.start();
    let base = format!("http://{addr}{BASE}");
    let e = CvmRole::new()
        .with_base_url(&base)
        .provider()
        .refresh()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no CAM role"), "{e}");
    let e = CvmRole::new()
        .with_base_url(&base)
        .with_role("bad")
        .provider()
        .refresh()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no Token"), "{e}");
    assert!(e.to_string().contains("CVM metadata"), "{e}");
    assert!(!e.to_string().contains("hushhush"));
    let e = CvmRole::new()
        .with_base_url(&base)
        .with_role("failed")
        .provider()
        .refresh()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Failed"), "{e}");
    let e = CvmRole::new()
        .with_base_url(&base)
        .with_role("missing")
        .provider()
        .refresh()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("404"), "{e}");
    // Nothing listens: a connection error, quickly.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = closed.local_addr().unwrap();
    drop(closed);
    let e = CvmRole::new()
        .with_base_url(format!("http://{dead}/"))
        .with_role("r")
        .with_timeout(Duration::from_secs(2))
        .provider()
        .refresh()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("cannot read credentials"), "{e}");
}
