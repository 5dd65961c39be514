//! Limits and hostile numbers over raw TCP: slow-header connections are closed by the header
//! timeout while signed requests are served; the connection cap; EntityTooLarge (declared
//! and streamed), the memory-store cap, KeyTooLong, refused bodies read to their end up to the drain limit (so a client writing its whole
//! body first gets the answer), not past it;
//! clock offsets of i64::MAX / i64::MIN answer instead of panicking; orphaned temporary files
//! removed when the store opens; long keys stored apart.

mod server_common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cos_sign_server::limits::DRAIN_LIMIT;
use cos_sign_server::{self as server, Limits, ServerHandle};
use server_common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn limits() -> Limits {
    Limits {
        header_read_timeout: Duration::from_secs(2),
        body_idle_timeout: Duration::from_secs(2),
        ..Limits::default()
    }
}

async fn start(l: Limits) -> ServerHandle {
    server::spawn(config().limits(l))
        .await
        .expect("server starts")
}

/// A signed PUT head (Authorization over host), as bytes, for `len` body bytes.
fn put_head(key: &str, len: u64, extra: &str) -> String {
    let auth = authorization("PUT", key, &[], &[("host", HOST)], ID, KEY, window());
    format!(
        "PUT {} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {auth}\r\nContent-Length: {len}\r\n{extra}\r\n",
        url_path(key)
    )
}

fn get_head(key: &str) -> String {
    let auth = authorization("GET", key, &[], &[("host", HOST)], ID, KEY, window());
    format!(
        "GET {} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {auth}\r\nConnection: close\r\n\r\n",
        url_path(key)
    )
}

/// Sends `bytes`, reads until the server closes or `wait` passes; returns what was read.
async fn exchange(addr: std::net::SocketAddr, bytes: &[u8], wait: Duration) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let _ = s.write_all(bytes).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(wait, s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

fn status_and_code(resp: &str) -> (u16, String) {
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, xml_field(resp, "Code").unwrap_or_default())
}

async fn read_back(addr: std::net::SocketAddr, key: &str) -> String {
    exchange(addr, get_head(key).as_bytes(), Duration::from_secs(10)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_header_connections_are_closed_while_signed_requests_are_served() {
    const SLOW: usize = 250;
    let timeout = Duration::from_secs(2);
    let handle = start(limits()).await;
    let addr = handle.addr;
    let started = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..SLOW {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(b"PUT /slow HTTP/1.1\r\nHost: ")
            .await
            .expect("half a head");
        slow.push(s);
    }
    // Meanwhile a signed upload and its read-back are served.
    let body = b"served meanwhile";
    let mut req =
        put_head("meanwhile.txt", body.len() as u64, "Connection: close\r\n").into_bytes();
    req.extend_from_slice(body);
    let put = exchange(addr, &req, Duration::from_secs(10)).await;
    assert_eq!(status_and_code(&put).0, 200, "{put}");
    let got = read_back(addr, "meanwhile.txt").await;
    assert!(
        got.starts_with("HTTP/1.1 200") && got.ends_with("served meanwhile"),
        "{got}"
    );
    let served_after = started.elapsed();
    assert!(served_after < timeout, "served after {served_after:?}");

    // Every slow connection is closed by the server (EOF) within the timeout plus slack.
    let mut closed = 0;
    let deadline = timeout + Duration::from_secs(3);
    for mut s in slow {
        let left = deadline.saturating_sub(started.elapsed());
        let mut buf = Vec::new();
        if let Ok(Ok(_)) = tokio::time::timeout(left, s.read_to_end(&mut buf)).await {
            closed += 1;
        }
    }
    let elapsed = started.elapsed();
    eprintln!(
        "slow-header connections: {SLOW} opened, {closed} closed by the server after {elapsed:?} (timeout {timeout:?}); signed PUT+GET served after {served_after:?}"
    );
    assert_eq!(closed, SLOW);
    assert!(elapsed < deadline);
    handle.shutdown().await;
}

#[tokio::test]
async fn connections_past_the_cap_wait_and_are_then_served() {
    let handle = start(Limits {
        max_connections: 2,
        ..limits()
    })
    .await;
    let addr = handle.addr;
    // Two idle keep-alive connections hold both slots.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET").await.unwrap();
        held.push(s);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let got = read_back(addr, "none").await;
    // Served only once the header timeout freed a slot: it waited, then got its answer.
    assert_eq!(
        status_and_code(&got),
        (404, "NoSuchKey".to_owned()),
        "{got}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    drop(held);
    handle.shutdown().await;
}

#[tokio::test]
async fn entity_too_large_declared_and_streamed() {
    let handle = start(Limits {
        max_object_size: 1000,
        ..limits()
    })
    .await;
    let addr = handle.addr;
    // Declared: refused before the body is read.
    let resp = exchange(
        addr,
        put_head("big", 1001, "").as_bytes(),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(
        status_and_code(&resp),
        (400, "EntityTooLarge".to_owned()),
        "{resp}"
    );
    // Chunked: refused once past the limit; nothing stored.
    let auth = authorization("PUT", "big", &[], &[("host", HOST)], ID, KEY, window());
    let mut req = format!(
        "PUT /big HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {auth}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    for _ in 0..3 {
        req.extend_from_slice(b"190\r\n");
        req.extend_from_slice(&[b'x'; 400]);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let resp = exchange(addr, &req, Duration::from_secs(5)).await;
    assert_eq!(
        status_and_code(&resp),
        (400, "EntityTooLarge".to_owned()),
        "{resp}"
    );
    let got = read_back(addr, "big").await;
    assert_eq!(
        status_and_code(&got),
        (404, "NoSuchKey".to_owned()),
        "{got}"
    );
    // At the limit: stored.
    let mut req = put_head("fits", 1000, "Connection: close\r\n").into_bytes();
    req.extend_from_slice(&[b'y'; 1000]);
    let resp = exchange(addr, &req, Duration::from_secs(5)).await;
    assert_eq!(status_and_code(&resp).0, 200, "{resp}");
    handle.shutdown().await;
}

#[tokio::test]
async fn memory_store_cap_refuses_instead_of_growing() {
    let handle = start(Limits {
        memory_store_cap: 3000,
        ..limits()
    })
    .await;
    let addr = handle.addr;
    let put = |key: &'static str, n: usize| {
        let mut req = put_head(key, n as u64, "Connection: close\r\n").into_bytes();
        req.extend(std::iter::repeat_n(b'z', n));
        async move { exchange(addr, &req, Duration::from_secs(5)).await }
    };
    assert_eq!(status_and_code(&put("a", 2000).await).0, 200);
    let resp = put("b", 1500).await;
    assert_eq!(
        status_and_code(&resp),
        (400, "EntityTooLarge".to_owned()),
        "{resp}"
    );
    // Replacing an object frees its bytes; deleting too.
    assert_eq!(status_and_code(&put("b", 1000).await).0, 200);
    let auth = authorization("DELETE", "a", &[], &[("host", HOST)], ID, KEY, window());
    let del = format!(
        "DELETE /a HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {auth}\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(
        status_and_code(&exchange(addr, del.as_bytes(), Duration::from_secs(5)).await).0,
        204
    );
    assert_eq!(status_and_code(&put("c", 2000).await).0, 200);
    handle.shutdown().await;
}

#[tokio::test]
async fn keys_over_850_bytes_are_too_long() {
    let handle = start(limits()).await;
    let addr = handle.addr;
    for (n, expect) in [(850usize, 200u16), (851, 400)] {
        let key = "k".repeat(n);
        let mut req = put_head(&key, 2, "Connection: close\r\n").into_bytes();
        req.extend_from_slice(b"ok");
        let resp = exchange(addr, &req, Duration::from_secs(5)).await;
        let (status, code) = status_and_code(&resp);
        assert_eq!(status, expect, "{resp}");
        if expect == 400 {
            assert_eq!(code, "KeyTooLong");
        }
    }
    // Multi-byte: 284 × 3 bytes = 852 bytes.
    let key = "腾".repeat(284);
    let resp = exchange(
        addr,
        put_head(&key, 0, "").as_bytes(),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(status_and_code(&resp), (400, "KeyTooLong".to_owned()));
    handle.shutdown().await;
}

/// A signed-wrong PUT head declaring `len` body bytes.
fn refused_head(len: u64) -> String {
    let auth = authorization("PUT", "x", &[], &[("host", HOST)], ID, "wrong", window());
    format!(
        "PUT /x HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {auth}\r\nContent-Length: {len}\r\n\r\n"
    )
}

#[tokio::test]
async fn a_refused_request_is_not_read_past_the_drain_limit() {
    let handle = start(limits()).await;
    let addr = handle.addr;
    // Bad signature, four times the drain limit declared: the answer comes, then the
    // connection closes, while the client has sent only a little of the body.
    let declared = 4 * DRAIN_LIMIT;
    let s = TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = s.into_split();
    wr.write_all(refused_head(declared).as_bytes())
        .await
        .unwrap();
    // Send until the server answers and closes; count what went through.
    let writer = tokio::spawn(async move {
        let chunk = vec![b'a'; 64 * 1024];
        let mut sent = 0u64;
        while sent < declared {
            match tokio::time::timeout(Duration::from_secs(3), wr.write_all(&chunk)).await {
                Ok(Ok(())) => sent += chunk.len() as u64,
                _ => break,
            }
        }
        sent
    });
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), rd.read_to_end(&mut out)).await;
    let sent = writer.await.unwrap();
    let text = String::from_utf8_lossy(&out);
    assert_eq!(
        status_and_code(&text),
        (403, "SignatureDoesNotMatch".to_owned()),
        "{text}"
    );
    assert!(
        text.to_ascii_lowercase().contains("connection: close"),
        "{text}"
    );
    // The server stopped early: far less than the declared body went through (socket
    // buffers hold a few MiB at most).
    assert!(sent < 2 * DRAIN_LIMIT, "sent {sent}");
    handle.shutdown().await;
}

/// A client that writes its whole body before it reads (as reqwest and requests do) gets the
/// answer to a refused upload of a usual size, not a broken pipe: the server reads the body
/// to its end, answers, and keeps the connection for the next request.
#[tokio::test]
async fn a_refused_body_under_the_drain_limit_is_read_and_answered() {
    let handle = start(limits()).await;
    let addr = handle.addr;
    let len = DRAIN_LIMIT - 1024 * 1024;
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut req = refused_head(len).into_bytes();
    req.resize(req.len() + len as usize, b'a');
    tokio::time::timeout(Duration::from_secs(20), s.write_all(&req))
        .await
        .expect("the body is read while it is sent")
        .expect("no broken pipe: the whole body was taken");
    // The same connection then serves a second request.
    s.write_all(
        format!("GET /none HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&out);
    assert_eq!(
        status_and_code(&text),
        (403, "SignatureDoesNotMatch".to_owned()),
        "{text}"
    );
    // Two answers: the refusal, which keeps the connection, then the unsigned GET's.
    let second = text.rfind("HTTP/1.1 ").unwrap_or(0);
    let first = text.get(..second).unwrap_or_default().to_ascii_lowercase();
    assert!(second > 0 && !first.contains("connection: close"), "{text}");
    let last = text.get(second..).unwrap_or_default();
    assert!(last.contains("<Code>AccessDenied</Code>"), "{text}");
    handle.shutdown().await;
}

#[tokio::test]
async fn extreme_clock_offsets_answer_without_panicking() {
    for offset in [i64::MAX, i64::MIN, i64::MAX - 1, -1_000_000_000_000] {
        let handle = server::spawn(config().clock_offset(offset).limits(limits()))
            .await
            .unwrap();
        let resp = read_back(handle.addr, "k").await;
        let (status, code) = status_and_code(&resp);
        assert_eq!(status, 403, "offset {offset}: {resp}");
        let expected = if offset > 0 {
            "AccessDenied"
        } else {
            "RequestTimeTooSkewed"
        };
        assert_eq!(code, expected, "offset {offset}");
        assert!(
            resp.contains("\r\nDate: ") || resp.contains("\r\ndate: "),
            "{resp}"
        );
        handle.shutdown().await;
    }
}

#[test]
fn offset_clock_saturates() {
    let now = SystemTime::now();
    let far = server::offset_clock(now, i64::MAX);
    assert_eq!(
        far,
        UNIX_EPOCH + Duration::from_secs(server::MAX_CLOCK_SECS)
    );
    assert_eq!(server::offset_clock(now, i64::MAX - 1), far);
    assert_eq!(server::offset_clock(now, i64::MIN), UNIX_EPOCH);
    assert_eq!(
        server::offset_clock(UNIX_EPOCH, 10),
        UNIX_EPOCH + Duration::from_secs(10)
    );
    assert_eq!(server::offset_clock(UNIX_EPOCH, -10), UNIX_EPOCH);
    // The HTTP date of the saturated clock is still written (no panic).
    let _ = httpdate::fmt_http_date(far);
}

#[tokio::test]
async fn orphaned_temporary_files_are_removed_on_open() {
    let dir = TempDir::new("orphans");
    let bucket = dir.path().join(BUCKET);
    std::fs::create_dir_all(&bucket).unwrap();
    std::fs::write(bucket.join(".tmp-123-4"), b"half an upload").unwrap();
    std::fs::write(bucket.join(".tmp-999-0"), b"").unwrap();
    let handle = start_disk(dir.path()).await;
    assert!(
        dir.bucket_files().iter().all(|f| !f.starts_with(".tmp-")),
        "{:?}",
        dir.bucket_files()
    );
    // Long keys that share a 200-byte prefix are stored apart and read back as themselves.
    let addr = handle.addr;
    let a = format!("{}{}", "p".repeat(300), "a");
    let b = format!("{}{}", "p".repeat(300), "b");
    for (k, v) in [(&a, "AAA"), (&b, "BBB")] {
        let mut req = put_head(k, 3, "Connection: close\r\n").into_bytes();
        req.extend_from_slice(v.as_bytes());
        let resp = exchange(addr, &req, Duration::from_secs(5)).await;
        assert_eq!(status_and_code(&resp).0, 200, "{resp}");
    }
    assert!(read_back(addr, &a).await.ends_with("AAA"));
    assert!(read_back(addr, &b).await.ends_with("BBB"));
    handle.shutdown().await;
}

/// Key times at the ends of u64 are compared, never added to: no overflow, typed answers.
#[tokio::test]
async fn extreme_key_times_answer_without_panicking() {
    use cos_sign_core::KeyTime;
    let handle = start(limits()).await;
    let addr = handle.addr;
    let cases = [
        (KeyTime::new(0, u64::MAX), 404, "NoSuchKey"),
        (
            KeyTime::new(u64::MAX, u64::MAX),
            403,
            "RequestTimeTooSkewed",
        ),
        (KeyTime::new(0, 0), 403, "AccessDenied"),
    ];
    for (kt, status, code) in cases {
        let auth = authorization("GET", "none", &[], &[("host", HOST)], ID, KEY, kt);
        let req = format!(
            "GET /none HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {auth}\r\nConnection: close\r\n\r\n"
        );
        let resp = exchange(addr, req.as_bytes(), Duration::from_secs(5)).await;
        assert_eq!(
            status_and_code(&resp),
            (status, code.to_owned()),
            "{kt:?}: {resp}"
        );
    }
    // A time past u64 is a malformed Authorization, not a wrap-around.
    let auth = authorization("GET", "none", &[], &[("host", HOST)], ID, KEY, window());
    let kt = window();
    let over = auth.replace(
        &format!("q-key-time={};{}", kt.start(), kt.end()),
        "q-key-time=0;18446744073709551616",
    );
    assert_ne!(over, auth);
    let req = format!(
        "GET /none HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {over}\r\nConnection: close\r\n\r\n"
    );
    let resp = exchange(addr, req.as_bytes(), Duration::from_secs(5)).await;
    assert_eq!(
        status_and_code(&resp),
        (400, "InvalidArgument".to_owned()),
        "{resp}"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn a_silent_body_times_out_and_nothing_is_stored() {
    let handle = start(Limits {
        body_idle_timeout: Duration::from_secs(1),
        ..limits()
    })
    .await;
    let addr = handle.addr;
    let mut req = put_head("stalled", 10, "").into_bytes();
    req.extend_from_slice(b"abc");
    let started = Instant::now();
    let resp = exchange(addr, &req, Duration::from_secs(8)).await;
    let waited = started.elapsed();
    assert_eq!(
        status_and_code(&resp),
        (400, "RequestTimeout".to_owned()),
        "{resp}"
    );
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    let got = read_back(addr, "stalled").await;
    assert_eq!(
        status_and_code(&got),
        (404, "NoSuchKey".to_owned()),
        "{got}"
    );
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overwrites_count_the_replaced_object_as_freed() {
    let cap = 3000;
    let handle = start(Limits {
        memory_store_cap: cap,
        ..limits()
    })
    .await;
    let addr = handle.addr;
    let put = move |key: String, n: usize| {
        let mut req = put_head(&key, n as u64, "Connection: close\r\n").into_bytes();
        req.extend(std::iter::repeat_n(b'o', n));
        async move { status_and_code(&exchange(addr, &req, Duration::from_secs(10)).await) }
    };
    // One key overwritten again and again near the cap: each time the old bytes are freed.
    for n in [2000, 2000, 2500, 1000, 2900] {
        assert_eq!(
            put("one".into(), n).await.0,
            200,
            "overwrite with {n} bytes"
        );
    }
    // Racing overwrites and deletes, in whatever order they land: afterwards, with every
    // object deleted, the whole cap is free again.
    let mut tasks = Vec::new();
    for i in 0..24usize {
        let key = format!("race-{}", i % 3);
        tasks.push(tokio::spawn(put(key, 400 + (i * 37) % 700)));
    }
    for t in tasks {
        let (status, code) = t.await.unwrap();
        assert!(
            status == 200 || (status, code.as_str()) == (400, "EntityTooLarge"),
            "{status} {code}"
        );
    }
    for key in ["one", "race-0", "race-1", "race-2"] {
        let auth = authorization("DELETE", key, &[], &[("host", HOST)], ID, KEY, window());
        let del = format!(
            "DELETE /{key} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {auth}\r\nConnection: close\r\n\r\n"
        );
        let resp = exchange(addr, del.as_bytes(), Duration::from_secs(5)).await;
        assert_eq!(status_and_code(&resp).0, 204);
    }
    assert_eq!(put("full".into(), cap as usize).await.0, 200);
    assert_eq!(put("one-more".into(), 1).await.0, 400);
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn part_reuploads_count_the_replaced_part_as_freed() {
    let cap = 3000;
    let handle = start(Limits {
        memory_store_cap: cap,
        ..limits()
    })
    .await;
    let addr = handle.addr;
    let client = proxy_client(&handle);
    let key = "parts.bin";
    // Part `number` of upload `id`, `n` bytes of `fill`, over its own connection.
    let part = move |id: String, number: u32, n: usize, fill: u8| {
        let number = number.to_string();
        let params = [("partNumber", number.as_str()), ("uploadId", id.as_str())];
        let q = presigned_query("PUT", key, &params, &[("host", HOST)], ID, KEY, window());
        let mut req = format!(
            "PUT {}?{q} HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n",
            url_path(key)
        )
        .into_bytes();
        req.extend(std::iter::repeat_n(fill, n));
        async move { status_and_code(&exchange(addr, &req, Duration::from_secs(10)).await) }
    };
    let abort = |id: String| {
        let req = client.delete(signed("DELETE", key, &[("uploadId", &id)]));
        async move { req.send().await.unwrap().status().as_u16() }
    };
    let too_large = (400, "EntityTooLarge".to_owned());
    // One part uploaded again and again near the cap: each time the old bytes are freed.
    let id = initiate(&client, key).await;
    for n in [2000, 2000, 2500, 1000, 2900] {
        assert_eq!(
            part(id.clone(), 1, n, b'a').await.0,
            200,
            "part of {n} bytes"
        );
    }
    assert_eq!(part(id.clone(), 2, 101, b'b').await, too_large);
    assert_eq!(part(id.clone(), 2, 100, b'b').await.0, 200);
    // Racing uploads of the same part numbers, in whatever order they land: afterwards, with
    // the upload aborted, the whole cap is free again.
    let mut tasks = Vec::new();
    for i in 0..24usize {
        tasks.push(tokio::spawn(part(
            id.clone(),
            1 + (i % 3) as u32,
            400 + (i * 37) % 700,
            b'r',
        )));
    }
    for t in tasks {
        let (status, code) = t.await.unwrap();
        assert!(
            status == 200 || (status, &code) == (too_large.0, &too_large.1),
            "{status} {code}"
        );
    }
    assert_eq!(abort(id.clone()).await, 204);
    let id = initiate(&client, key).await;
    assert_eq!(part(id.clone(), 1, cap as usize, b'c').await.0, 200);
    assert_eq!(part(id.clone(), 2, 1, b'c').await, too_large);
    // Complete: the object's bytes count in the store, the parts' are freed.
    let etag = format!("\"{}\"", md5_hex(&vec![b'c'; cap as usize]));
    let resp = complete(&client, key, &id, &[etag]).await;
    assert_eq!(resp.status(), 200);
    let id = initiate(&client, key).await;
    assert_eq!(part(id.clone(), 1, cap as usize, b'd').await.0, 200);
    assert_eq!(abort(id).await, 204);
    let resp = client
        .put(signed("PUT", "another", &[]))
        .body(vec![b'e'; 1])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await.1, "EntityTooLarge");
    handle.shutdown().await;
}
