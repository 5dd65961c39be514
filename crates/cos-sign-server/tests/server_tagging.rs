//! Object tagging and SSE-COS over raw TCP, with requests signed by cos-sign-core: the
//! `?tagging` operations are verified like every other one, their bodies have a size limit
//! and an idle timeout, tags do not count twice in the memory store's cap, tags and the
//! encryption header survive a restart of the disk store, and the encryption header is
//! echoed by Initiate.

mod server_common;

use std::time::{Duration, Instant};

use cos_sign_server::{self as server, Limits, ServerHandle};
use server_common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TAGS: &str = "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>";

async fn start(l: Limits) -> ServerHandle {
    server::spawn(config().limits(l))
        .await
        .expect("server starts")
}

/// A request head signed with the permanent key over `host` and `params`, `Connection: close`.
fn head(method: &str, key: &str, params: &[(&str, &str)], extra: &str) -> String {
    let auth = authorization(method, key, params, &[("host", HOST)], ID, KEY, window());
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| {
            if v.is_empty() {
                (*k).to_owned()
            } else {
                format!("{k}={v}")
            }
        })
        .collect();
    format!(
        "{method} {}?{} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {auth}\r\nConnection: close\r\n{extra}\r\n",
        url_path(key),
        query.join("&")
    )
}

/// Sends `bytes`, reads until the server closes or `wait` passes.
async fn exchange(addr: std::net::SocketAddr, bytes: &[u8], wait: Duration) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let _ = s.write_all(bytes).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(wait, s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

async fn send(addr: std::net::SocketAddr, head: String, body: &[u8]) -> String {
    let mut req = head.into_bytes();
    req.extend_from_slice(body);
    exchange(addr, &req, Duration::from_secs(10)).await
}

fn status_and_code(resp: &str) -> (u16, String) {
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, xml_field(resp, "Code").unwrap_or_default())
}

/// The value of a response header (name in lowercase), if sent.
fn header_of<'a>(resp: &'a str, name: &str) -> Option<&'a str> {
    let head = resp.split("\r\n\r\n").next().unwrap_or("");
    head.lines().skip(1).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

async fn put_tags(addr: std::net::SocketAddr, key: &str, xml: &str) -> String {
    let extra = format!("Content-Length: {}\r\n", xml.len());
    send(
        addr,
        head("PUT", key, &[("tagging", "")], &extra),
        xml.as_bytes(),
    )
    .await
}

async fn put_with(addr: std::net::SocketAddr, key: &str, body: &[u8], extra: &str) -> String {
    let extra = format!("Content-Length: {}\r\n{extra}", body.len());
    send(addr, head("PUT", key, &[], &extra), body).await
}

#[tokio::test]
async fn tagging_operations_are_verified_like_the_others() {
    let handle = start_memory().await;
    let addr = handle.addr;
    assert_eq!(status_and_code(&put_with(addr, "v", b"x", "").await).0, 200);
    // No signature at all.
    let unsigned = format!(
        "PUT /v?tagging HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{TAGS}",
        TAGS.len()
    );
    let resp = exchange(addr, unsigned.as_bytes(), Duration::from_secs(10)).await;
    assert_eq!(
        status_and_code(&resp),
        (403, "AccessDenied".to_owned()),
        "{resp}"
    );
    // Signed for GET, sent as PUT and DELETE: the method is signed.
    let auth = authorization(
        "GET",
        "v",
        &[("tagging", "")],
        &[("host", HOST)],
        ID,
        KEY,
        window(),
    );
    for method in ["PUT", "DELETE"] {
        let forged = format!(
            "{method} /v?tagging HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {auth}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{TAGS}",
            TAGS.len()
        );
        let resp = exchange(addr, forged.as_bytes(), Duration::from_secs(10)).await;
        assert_eq!(
            status_and_code(&resp),
            (403, "SignatureDoesNotMatch".to_owned()),
            "{resp}"
        );
    }
    // A temporary key without its token.
    let auth = authorization(
        "GET",
        "v",
        &[("tagging", "")],
        &[("host", HOST)],
        TMP_ID,
        TMP_KEY,
        window(),
    );
    let no_token = format!(
        "GET /v?tagging HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {auth}\r\nConnection: close\r\n\r\n"
    );
    let resp = exchange(addr, no_token.as_bytes(), Duration::from_secs(10)).await;
    assert_eq!(status_and_code(&resp).0, 403, "{resp}");
    // None of them changed the tags: still none.
    let resp = send(addr, head("GET", "v", &[("tagging", "")], ""), b"").await;
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(
        resp.ends_with("<Tagging><TagSet></TagSet></Tagging>"),
        "{resp}"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn tagging_bodies_have_a_size_limit_and_an_idle_timeout() {
    let handle = start(Limits {
        body_idle_timeout: Duration::from_secs(1),
        ..Limits::default()
    })
    .await;
    let addr = handle.addr;
    assert_eq!(status_and_code(&put_with(addr, "b", b"x", "").await).0, 200);
    // 64 KiB + 1: refused, nothing kept.
    let big = vec![b' '; 64 * 1024 + 1];
    let extra = format!("Content-Length: {}\r\n", big.len());
    let resp = send(addr, head("PUT", "b", &[("tagging", "")], &extra), &big).await;
    assert_eq!(
        status_and_code(&resp),
        (400, "EntityTooLarge".to_owned()),
        "{resp}"
    );
    // A body that stops: RequestTimeout after the idle timeout.
    let extra = format!("Content-Length: {}\r\n", TAGS.len());
    let started = Instant::now();
    let resp = send(
        addr,
        head("PUT", "b", &[("tagging", "")], &extra),
        &TAGS.as_bytes()[..10],
    )
    .await;
    assert_eq!(
        status_and_code(&resp),
        (400, "RequestTimeout".to_owned()),
        "{resp}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    let resp = send(addr, head("GET", "b", &[("tagging", "")], ""), b"").await;
    assert!(!resp.contains("<Tag>"), "{resp}");
    handle.shutdown().await;
}

#[tokio::test]
async fn tags_do_not_count_the_bytes_twice_in_the_memory_store() {
    let handle = start(Limits {
        memory_store_cap: 3000,
        ..Limits::default()
    })
    .await;
    let addr = handle.addr;
    assert_eq!(
        status_and_code(&put_with(addr, "a", &[b'a'; 2000], "").await).0,
        200
    );
    for i in 0..5 {
        let xml = TAGS.replace("<Value>1", &format!("<Value>{i}"));
        assert_eq!(status_and_code(&put_tags(addr, "a", &xml).await).0, 200);
    }
    // 2000 + 1000 fit the cap only if the tag changes left the count at 2000.
    assert_eq!(
        status_and_code(&put_with(addr, "b", &[b'b'; 1000], "").await).0,
        200
    );
    let resp = put_with(addr, "c", b"c", "").await;
    assert_eq!(
        status_and_code(&resp),
        (400, "EntityTooLarge".to_owned()),
        "{resp}"
    );
    // Deleting the tagged object gives its 2000 bytes back once.
    let resp = send(addr, head("DELETE", "a", &[], ""), b"").await;
    assert!(resp.starts_with("HTTP/1.1 204"), "{resp}");
    assert_eq!(
        status_and_code(&put_with(addr, "c", &[b'c'; 2000], "").await).0,
        200
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn disk_store_keeps_tags_and_encryption_across_a_restart() {
    let dir = TempDir::new("tagging");
    let handle = start_disk(dir.path()).await;
    let addr = handle.addr;
    let resp = put_with(
        addr,
        "r/k",
        b"bytes",
        "x-cos-tagging: a=1&b=%E4%B8%AD\r\nx-cos-server-side-encryption: AES256\r\n",
    )
    .await;
    assert_eq!(
        header_of(&resp, "x-cos-server-side-encryption"),
        Some("AES256"),
        "{resp}"
    );
    let etag = header_of(&resp, "etag").unwrap().to_owned();
    handle.shutdown().await;

    let handle = start_disk(dir.path()).await;
    let addr = handle.addr;
    let resp = send(addr, head("GET", "r/k", &[("tagging", "")], ""), b"").await;
    assert!(
        resp.ends_with(
            "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value>中</Value></Tag></TagSet></Tagging>"
        ),
        "{resp}"
    );
    let resp = send(addr, head("GET", "r/k", &[], ""), b"").await;
    assert_eq!(header_of(&resp, "x-cos-tagging-count"), Some("2"), "{resp}");
    assert_eq!(
        header_of(&resp, "x-cos-server-side-encryption"),
        Some("AES256")
    );
    assert_eq!(header_of(&resp, "x-cos-tagging"), None);
    assert!(resp.ends_with("\r\n\r\nbytes"), "{resp}");
    // A tag change keeps the bytes and the ETag, leaves no temporary file, and does not
    // touch the object's file (a tag change costs the same for any size of object).
    let files = dir.bucket_files();
    assert_eq!(files.len(), 1, "{files:?}");
    let file = dir.path().join(BUCKET).join(&files[0]);
    let (before, modified) = (
        std::fs::read(&file).unwrap(),
        std::fs::metadata(&file).unwrap().modified().unwrap(),
    );
    assert_eq!(status_and_code(&put_tags(addr, "r/k", TAGS).await).0, 200);
    let resp = send(addr, head("GET", "r/k", &[], ""), b"").await;
    assert_eq!(header_of(&resp, "etag"), Some(etag.as_str()));
    assert_eq!(header_of(&resp, "x-cos-tagging-count"), Some("1"));
    assert!(resp.ends_with("\r\n\r\nbytes"), "{resp}");
    assert_eq!(dir.bucket_files(), files);
    assert_eq!(std::fs::read(&file).unwrap(), before);
    assert_eq!(
        std::fs::metadata(&file).unwrap().modified().unwrap(),
        modified
    );
    handle.shutdown().await;

    // The changed tags survive a restart; removing them, and then uploading the key again,
    // starts from the upload's own tags (none, then one).
    let handle = start_disk(dir.path()).await;
    let addr = handle.addr;
    let resp = send(addr, head("HEAD", "r/k", &[], ""), b"").await;
    assert_eq!(header_of(&resp, "x-cos-tagging-count"), Some("1"), "{resp}");
    let resp = send(addr, head("DELETE", "r/k", &[("tagging", "")], ""), b"").await;
    assert_eq!(status_and_code(&resp).0, 204, "{resp}");
    let resp = send(addr, head("HEAD", "r/k", &[], ""), b"").await;
    assert_eq!(header_of(&resp, "x-cos-tagging-count"), None, "{resp}");
    assert_eq!(status_and_code(&put_tags(addr, "r/k", TAGS).await).0, 200);
    assert_eq!(
        status_and_code(&put_with(addr, "r/k", b"new", "").await).0,
        200
    );
    let resp = send(addr, head("HEAD", "r/k", &[], ""), b"").await;
    assert_eq!(header_of(&resp, "x-cos-tagging-count"), None, "{resp}");
    let resp = put_with(addr, "r/k", b"newer", "x-cos-tagging: c=3\r\n").await;
    assert_eq!(status_and_code(&resp).0, 200, "{resp}");
    let resp = send(addr, head("GET", "r/k", &[("tagging", "")], ""), b"").await;
    assert!(
        resp.ends_with(
            "<Tagging><TagSet><Tag><Key>c</Key><Value>3</Value></Tag></TagSet></Tagging>"
        ),
        "{resp}"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn initiate_echoes_the_encryption_and_refuses_bad_tags() {
    let handle = start_memory().await;
    let addr = handle.addr;
    let extra = "x-cos-server-side-encryption: AES256\r\nContent-Length: 0\r\n";
    let resp = send(addr, head("POST", "m", &[("uploads", "")], extra), b"").await;
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert_eq!(
        header_of(&resp, "x-cos-server-side-encryption"),
        Some("AES256")
    );
    let extra = "x-cos-tagging: a=1&a=2\r\nContent-Length: 0\r\n";
    let resp = send(addr, head("POST", "m", &[("uploads", "")], extra), b"").await;
    assert_eq!(
        status_and_code(&resp),
        (400, "InvalidTag".to_owned()),
        "{resp}"
    );
    let extra = "x-cos-server-side-encryption: cos/kms\r\nContent-Length: 0\r\n";
    let resp = send(addr, head("POST", "m", &[("uploads", "")], extra), b"").await;
    assert_eq!(
        status_and_code(&resp),
        (501, "NotImplemented".to_owned()),
        "{resp}"
    );
    handle.shutdown().await;
}
