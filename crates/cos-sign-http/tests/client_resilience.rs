//! Never hangs, retries what is transient: a stalling server (plain and ranged downloads)
//! fails with a typed read-idle timeout and leaves no temporary file; 5xx, 429, `SlowDown`
//! and a dropped connection are retried with backoff for idempotent requests, never for a
//! POST, a stream body, or a refusal.

mod client_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use client_common::*;
use cos_sign_http::{Client, ClientError, RetryPolicy, TimeoutKind, Timeouts, TransferOptions};

fn short() -> Timeouts {
    Timeouts::default()
        .read_idle(Duration::from_millis(300))
        .request(Duration::from_secs(5))
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .max_retries(3)
        .delays(Duration::from_millis(10), Duration::from_millis(40))
}

/// A client in IP mode on `addr`, with short timeouts.
fn client(addr: std::net::SocketAddr) -> Client {
    Client::builder()
        .signer(ip_signer(addr, permanent()))
        .no_proxy()
        .timeouts(short())
        .retry(quick_retries())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_download_times_out_and_leaves_no_file() {
    // 1 MiB announced, 64 KiB sent, then silence.
    let stall = StandIn::start(|_| Reply::new(200, vec![7u8; 1 << 20]).stall_after(64 << 10));
    let c = client(stall.addr);
    let dir = tempfile::tempdir().unwrap();
    let dst = dir.path().join("out.bin");
    let t = Instant::now();
    let e = c
        .download_presigned(
            &format!("{}/obj", stall.url()),
            &dst,
            TransferOptions::new(),
        )
        .await
        .unwrap_err();
    let took = t.elapsed();
    eprintln!("stalled plain download failed after {took:?}");
    assert!(
        matches!(
            e,
            ClientError::Timeout {
                kind: TimeoutKind::ReadIdle,
                after
            } if after == Duration::from_millis(300)
        ),
        "{e:?}"
    );
    assert!(e.is_timeout());
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no temporary file"
    );
    assert_eq!(stall.count(), 1, "a body timeout is not retried");

    // Silence before the answer: a read-idle timeout too, retried (nothing was received).
    let silent = StandIn::start(|_| Reply::new(200, "late").delay(Duration::from_secs(30)));
    let t = Instant::now();
    let e = client(silent.addr)
        .bucket(BUCKET)
        .get("k")
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            ClientError::Timeout {
                kind: TimeoutKind::ReadIdle,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(silent.count(), 4, "1 + 3 retries");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());

    // The whole-request limit.
    let slow = StandIn::start(|_| Reply::new(200, "late").delay(Duration::from_secs(30)));
    let c = Client::builder()
        .signer(ip_signer(slow.addr, permanent()))
        .no_proxy()
        .timeouts(Timeouts::default().request(Duration::from_millis(300)))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = c.bucket(BUCKET).get("k").await.unwrap_err();
    assert!(
        matches!(
            e,
            ClientError::Timeout {
                kind: TimeoutKind::Request,
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_range_fails_the_parallel_download_cleanly() {
    const SIZE: usize = 3 << 20;
    let data = Arc::new(bytes(SIZE, 3));
    let d = data.clone();
    let stall = StandIn::start(move |req| {
        if req.method == "HEAD" {
            return Reply::new(200, "")
                .head_len(SIZE as u64)
                .header("ETag", "\"abc-3\"");
        }
        let range = req
            .header("range")
            .unwrap()
            .trim_start_matches("bytes=")
            .to_owned();
        let (a, b) = range.split_once('-').unwrap();
        let (a, b): (usize, usize) = (a.parse().unwrap(), b.parse().unwrap());
        let r = Reply::new(206, d[a..=b].to_vec())
            .header("Content-Range", &format!("bytes {a}-{b}/{SIZE}"))
            .header("ETag", "\"abc-3\"");
        if a == 1 << 20 { r.stall_after(1000) } else { r }
    });
    let dir = tempfile::tempdir().unwrap();
    let dst = dir.path().join("out.bin");
    let t = Instant::now();
    let e = client(stall.addr)
        .bucket(BUCKET)
        .download_file(
            "obj",
            &dst,
            TransferOptions::new()
                .part_size(1 << 20)
                .multipart_threshold(1 << 20),
        )
        .await
        .unwrap_err();
    eprintln!("stalled ranged download failed after {:?}", t.elapsed());
    assert!(
        matches!(
            e,
            ClientError::Timeout {
                kind: TimeoutKind::ReadIdle,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(t.elapsed() < Duration::from_secs(3));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no temporary file"
    );
}

/// A stand-in answering `script[i]` to request `i` (the last one after that).
fn scripted(script: Vec<Reply>) -> StandIn {
    let n = Arc::new(AtomicUsize::new(0));
    StandIn::start(move |_| {
        let i = n.fetch_add(1, Ordering::SeqCst);
        script[i.min(script.len() - 1)].clone()
    })
}

fn cos_error(status: u16, code: &str) -> Reply {
    Reply::new(
        status,
        format!("<Error><Code>{code}</Code><Message>m</Message></Error>"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_are_retried_with_backoff() {
    // 503 SlowDown, 429, a dropped connection, 500: then the answer.
    let s = scripted(vec![
        cos_error(503, "SlowDown"),
        cos_error(429, "TooManyRequests"),
        Reply::hang_up(),
        Reply::new(200, "finally").header("ETag", "\"e\""),
    ]);
    let got = client(s.addr).bucket(BUCKET).get("k").await.unwrap();
    assert_eq!(&got.body[..], b"finally");
    assert_eq!(s.count(), 4);

    // The budget runs out: the last answer is the error.
    let s = scripted(vec![cos_error(500, "InternalError")]);
    let e = client(s.addr).bucket(BUCKET).head("k").await.unwrap_err();
    assert_eq!(e.cos().unwrap().status, 500);
    assert_eq!(s.count(), 4, "1 + 3 retries");

    // Bytes in memory are replayed for a PUT.
    let s = scripted(vec![cos_error(503, "SlowDown"), Reply::new(200, "")]);
    client(s.addr)
        .bucket(BUCKET)
        .put("k", "body")
        .await
        .unwrap();
    let seen = s.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|r| r.method == "PUT" && r.body == b"body"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_not_retried() {
    // A refusal.
    let s = scripted(vec![cos_error(403, "AccessDenied"), Reply::new(200, "")]);
    let e = client(s.addr).bucket(BUCKET).get("k").await.unwrap_err();
    assert_eq!(e.cos().unwrap().code, "AccessDenied");
    assert_eq!(s.count(), 1);

    // A POST (Initiate Multipart Upload).
    let s = scripted(vec![cos_error(503, "SlowDown"), Reply::new(200, "")]);
    let e = client(s.addr)
        .bucket(BUCKET)
        .initiate_multipart("k", &TransferOptions::new())
        .await
        .unwrap_err();
    assert_eq!(e.cos().unwrap().code, "SlowDown");
    assert_eq!(s.count(), 1);

    // A body that cannot be replayed (a caller's stream).
    let s = scripted(vec![cos_error(503, "SlowDown"), Reply::new(200, "")]);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![Ok(b"abc".to_vec())];
    let e = client(s.addr)
        .bucket(BUCKET)
        .put_stream(
            "k",
            futures_util::stream::iter(chunks),
            Some(3),
            TransferOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.cos().unwrap().code, "SlowDown");
    assert_eq!(s.count(), 1);

    // Retries switched off.
    let s = scripted(vec![cos_error(503, "SlowDown"), Reply::new(200, "")]);
    let c = Client::builder()
        .signer(ip_signer(s.addr, permanent()))
        .no_proxy()
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    assert!(c.bucket(BUCKET).get("k").await.is_err());
    assert_eq!(s.count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_are_checked_before_the_rename() {
    const SIZE: usize = 3 << 20;
    let data = Arc::new(bytes(SIZE, 9));
    // An MD5 ETag that is not the MD5 of the bytes served.
    let wrong = md5_hex(b"other bytes");
    let (d, w) = (data.clone(), wrong.clone());
    let s = StandIn::start(move |req| {
        let etag = format!("\"{w}\"");
        if req.method == "HEAD" {
            return Reply::new(200, "")
                .head_len(SIZE as u64)
                .header("ETag", &etag);
        }
        match req.header("range") {
            Some(r) => {
                let (a, b) = r.trim_start_matches("bytes=").split_once('-').unwrap();
                let (a, b): (usize, usize) = (a.parse().unwrap(), b.parse().unwrap());
                Reply::new(206, d[a..=b].to_vec())
                    .header("Content-Range", &format!("bytes {a}-{b}/{SIZE}"))
                    .header("ETag", &etag)
            }
            None => Reply::new(200, d.to_vec()).header("ETag", &etag),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let dst = dir.path().join("out.bin");
    let bucket = client(s.addr).bucket(BUCKET);
    for threshold in [1u64 << 20, 64 << 20] {
        let e = bucket
            .download_file(
                "obj",
                &dst,
                TransferOptions::new()
                    .part_size(1 << 20)
                    .multipart_threshold(threshold),
            )
            .await
            .unwrap_err();
        match &e {
            ClientError::Integrity { expected, actual } => {
                assert_eq!(expected, &wrong);
                assert_eq!(actual, &md5_hex(&data));
            }
            e => panic!("{e:?}"),
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no file");
    }
}

/// Only the answer a call asks for is a success: a redirect is not followed, a `204` or a
/// `206` to a GET without `Range` is not the object. None is retried; a download leaves
/// nothing; an error's text shows no control character.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unexpected_answers_are_errors() {
    let redirect = Reply::new(302, "page").header("Location", "http://elsewhere.example/k");
    let partial = Reply::new(206, "abcd").header("Content-Range", "bytes 0-3/100");
    for (reply, status, says) in [
        (redirect, 302, "a redirect to http://elsewhere.example/k"),
        (Reply::new(204, ""), 204, "No Content"),
        (partial, 206, "Partial Content"),
    ] {
        let s = scripted(vec![reply]);
        let c = client(s.addr);
        let e = c.bucket(BUCKET).get("k").await.unwrap_err();
        match &e {
            ClientError::UnexpectedAnswer {
                status: got,
                detail,
            } => {
                assert_eq!(*got, status);
                assert!(detail.contains(says), "{detail}");
            }
            e => panic!("{e:?}"),
        }
        let dir = tempfile::tempdir().unwrap();
        let url = format!("http://{}/k", s.addr);
        let e = c
            .download_presigned(&url, dir.path().join("o"), TransferOptions::new())
            .await
            .unwrap_err();
        assert!(matches!(e, ClientError::UnexpectedAnswer { .. }), "{e:?}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no file");
        assert_eq!(s.count(), 2, "{status}: not retried");
    }
    // A Range asked for: its 206 is the answer.
    let s = scripted(vec![
        Reply::new(206, "abcd").header("Content-Range", "bytes 0-3/100"),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{}/k", s.addr);
    let got = client(s.addr)
        .download_presigned(
            &url,
            dir.path().join("o"),
            TransferOptions::new().header("Range", "bytes=0-3"),
        )
        .await
        .unwrap();
    assert_eq!(got.bytes, 4);
    // Terminal escapes in an error answer are shown escaped.
    let s = scripted(vec![Reply::new(
        403,
        "<Error><Code>AccessDenied</Code><Message>\u{1b}[2Jok\u{7}</Message></Error>",
    )]);
    let e = client(s.addr).bucket(BUCKET).get("k").await.unwrap_err();
    let text = e.to_string();
    assert_eq!(e.cos().unwrap().message, "\u{1b}[2Jok\u{7}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(text.contains("\\u{1b}[2Jok\\u{7}"), "{text}");
}

/// The XML answers a call parses (here Initiate's) are read to 8 MiB at most: a bigger one,
/// announced or chunked, is an unexpected answer, not gigabytes in memory. One a little
/// under the limit is read and parsed.
#[tokio::test]
async fn oversized_answers_are_not_read() {
    let huge = |n: usize| {
        let mut b = b"<InitiateMultipartUploadResult><UploadId>u1</UploadId><Pad>".to_vec();
        b.resize(n, b'x');
        b.extend_from_slice(b"</Pad></InitiateMultipartUploadResult>");
        b
    };
    for reply in [
        Reply::new(200, huge(9 << 20)),
        Reply::new(200, huge(9 << 20)).chunked(),
    ] {
        let s = scripted(vec![reply]);
        let e = client(s.addr)
            .bucket(BUCKET)
            .initiate_multipart("k", &TransferOptions::new())
            .await
            .unwrap_err();
        match &e {
            ClientError::UnexpectedAnswer { status, detail } => {
                assert_eq!(*status, 200);
                assert!(detail.contains("more than 8 MiB"), "{detail}");
            }
            e => panic!("{e:?}"),
        }
    }
    let s = scripted(vec![Reply::new(200, huge(7 << 20)).chunked()]);
    let id = client(s.addr)
        .bucket(BUCKET)
        .initiate_multipart("k", &TransferOptions::new())
        .await
        .unwrap();
    assert_eq!(id, "u1");
}

/// `get` reads an object into memory only up to its limit, whether the size is declared or
/// the bytes just keep coming (chunked); below the limit the whole object arrives.
#[tokio::test]
async fn gets_into_memory_stop_at_their_limit() {
    for reply in [
        Reply::new(200, vec![b'a'; 4096]),
        Reply::new(200, vec![b'a'; 4096]).chunked(),
    ] {
        let s = scripted(vec![reply]);
        let e = client(s.addr)
            .bucket(BUCKET)
            .get_at_most("k", 4095)
            .await
            .unwrap_err();
        match &e {
            ClientError::UnexpectedAnswer { status, detail } => {
                assert_eq!(*status, 200);
                assert!(detail.contains("more than the 4095 bytes"), "{detail}");
            }
            e => panic!("{e:?}"),
        }
    }
    let s = scripted(vec![Reply::new(200, vec![b'a'; 4096]).chunked()]);
    let got = client(s.addr)
        .bucket(BUCKET)
        .get_at_most("k", 4096)
        .await
        .unwrap();
    assert_eq!(got.body.len(), 4096);
}
