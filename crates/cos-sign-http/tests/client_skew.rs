//! Clock-skew correction: the local server runs with a clock offset, so the client's first
//! signature falls outside its window; the client reads the answer's `Date`, sets the
//! signer clock's skew and retries once.

mod client_common;

use client_common::*;
use cos_sign_http::TransferOptions;

#[tokio::test]
async fn server_behind_gives_request_time_too_skewed_then_retry_succeeds() {
    // The server is an hour behind: our window starts in its future.
    let server = start(config().clock_offset(-3600)).await;
    let client = proxy_client(server.addr, Some(cos_signer(permanent())));
    let signer = client.signer().unwrap();
    assert_eq!(signer.clock().skew(), 0);
    client.bucket(BUCKET).put("skew.txt", "x").await.unwrap();
    let skew = signer.clock().skew();
    assert!((-3605..=-3595).contains(&skew), "skew {skew}");
    // Later calls sign with the corrected clock directly.
    client.bucket(BUCKET).get("skew.txt").await.unwrap();
    assert_eq!(signer.clock().skew(), skew);
}

#[tokio::test]
async fn server_ahead_gives_expired_then_retry_succeeds() {
    let server = start(config().clock_offset(7200)).await;
    let client = proxy_client(server.addr, Some(cos_signer(temporary())));
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f");
    std::fs::write(&f, bytes(300_000, 3)).unwrap();
    // A file upload is replayed from the file.
    client
        .bucket(BUCKET)
        .upload_file("f", &f, TransferOptions::new().progress(|_, _| {}))
        .await
        .unwrap();
    let skew = client.signer().unwrap().clock().skew();
    assert!((7195..=7205).contains(&skew), "skew {skew}");
}

#[tokio::test]
async fn raw_error_without_retry_for_streams() {
    let server = start(config().clock_offset(-3600)).await;
    let client = proxy_client(server.addr, Some(cos_signer(permanent())));
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![Ok(b"abc".to_vec())];
    let e = client
        .bucket(BUCKET)
        .put_stream(
            "s",
            futures_util::stream::iter(chunks),
            Some(3),
            TransferOptions::new(),
        )
        .await
        .unwrap_err();
    let cos = e.cos().expect("COS error");
    assert_eq!(cos.code, "RequestTimeTooSkewed");
    assert!(cos.date.is_some());
    assert_eq!(client.signer().unwrap().clock().skew(), 0);
}

#[tokio::test]
async fn a_persistent_error_is_retried_only_once() {
    // A stand-in that always answers RequestTimeTooSkewed with a Date an hour ahead.
    use std::io::{Read, Write};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { break };
            let mut buf = [0u8; 8192];
            let mut got = Vec::new();
            while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            h.fetch_add(1, Ordering::SeqCst);
            let date = httpdate::fmt_http_date(
                std::time::SystemTime::now() + std::time::Duration::from_secs(3600),
            );
            let body = "<Error><Code>RequestTimeTooSkewed</Code><Message>m</Message></Error>";
            let _ = write!(
                s,
                "HTTP/1.1 403 Forbidden\r\nDate: {date}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let client = proxy_client(addr, Some(cos_signer(permanent())));
    let e = client.bucket(BUCKET).get("k").await.unwrap_err();
    assert_eq!(e.cos().unwrap().code, "RequestTimeTooSkewed");
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    let skew = client.signer().unwrap().clock().skew();
    assert!((3595..=3605).contains(&skew), "skew {skew}");
}
