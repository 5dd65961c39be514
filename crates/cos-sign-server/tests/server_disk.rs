//! On-disk storage: uploads are streamed into a temporary file beside the object and renamed
//! only when complete, so a cut connection or a stopped server leaves no partial object.
//! Also the wire format of responses (header names as COS writes them).

mod server_common;

use std::time::{Duration, Instant};

use server_common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TOTAL: usize = 4 * 1024 * 1024;
const SENT: usize = 700 * 1024;

/// Opens a PUT of `TOTAL` bytes and sends only `SENT` of them.
async fn start_partial_put(addr: std::net::SocketAddr, key: &str) -> TcpStream {
    let auth = authorization("PUT", key, &[], &[("host", HOST)], ID, KEY, window());
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "PUT {} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {auth}\r\nContent-Length: {TOTAL}\r\n\r\n",
        url_path(key)
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut chunk = vec![0u8; SENT];
    Rng::new(3).fill(&mut chunk);
    s.write_all(&chunk).await.unwrap();
    s.flush().await.unwrap();
    s
}

/// Waits until `cond` holds on the bucket's file names (5 s at most).
async fn wait_for(dir: &TempDir, what: &str, cond: impl Fn(&[String]) -> bool) {
    let t = Instant::now();
    while !cond(&dir.bucket_files()) {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "{what}: {:?}",
            dir.bucket_files()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn is_tmp(n: &str) -> bool {
    n.starts_with(".tmp-")
}

/// The size of the temporary file, if there is one.
fn tmp_size(dir: &TempDir) -> Option<u64> {
    let name = dir.bucket_files().into_iter().find(|n| is_tmp(n))?;
    std::fs::metadata(dir.path().join(BUCKET).join(name))
        .ok()
        .map(|m| m.len())
}

async fn get_status(handle: &cos_sign_server::ServerHandle, key: &str) -> (u16, Vec<u8>) {
    let resp = proxy_client(handle)
        .get(presigned_url("GET", key, window()))
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn cut_connection_leaves_no_object() {
    let dir = TempDir::new("partial");
    let handle = start_disk(dir.path()).await;
    let conn = start_partial_put(handle.addr, "partial.bin").await;
    // The body is being streamed to a temporary file in the bucket's folder...
    let t = Instant::now();
    while tmp_size(&dir).unwrap_or(0) < (SENT / 2) as u64 {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "{:?}",
            dir.bucket_files()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!dir.bucket_files().contains(&"partial.bin".to_owned()));
    // ...and is gone, with no object, once the connection is cut.
    drop(conn);
    wait_for(&dir, "temporary file removed", |f| f.is_empty()).await;
    assert_eq!(get_status(&handle, "partial.bin").await.0, 404);
    handle.shutdown().await;
}

#[tokio::test]
async fn cut_overwrite_keeps_the_old_object() {
    let dir = TempDir::new("overwrite");
    let handle = start_disk(dir.path()).await;
    let resp = proxy_client(&handle)
        .put(presigned_url("PUT", "kept.bin", window()))
        .body("old contents")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let conn = start_partial_put(handle.addr, "kept.bin").await;
    wait_for(&dir, "temporary file", |f| f.iter().any(|n| is_tmp(n))).await;
    // While the upload runs, readers see the old object.
    assert_eq!(
        get_status(&handle, "kept.bin").await,
        (200, b"old contents".to_vec())
    );
    drop(conn);
    wait_for(&dir, "temporary file removed", |f| {
        !f.iter().any(|n| is_tmp(n))
    })
    .await;
    assert_eq!(dir.bucket_files(), vec!["kept.bin".to_owned()]);
    assert_eq!(
        get_status(&handle, "kept.bin").await,
        (200, b"old contents".to_vec())
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn server_stopped_mid_upload_leaves_no_object() {
    let dir = TempDir::new("stopped");
    let handle = start_disk(dir.path()).await;
    let _conn = start_partial_put(handle.addr, "stopped.bin").await;
    wait_for(&dir, "temporary file", |f| f.iter().any(|n| is_tmp(n))).await;
    handle.shutdown().await;
    wait_for(&dir, "temporary file removed", |f| f.is_empty()).await;
    // A new server on the same folder has no such object.
    let handle = start_disk(dir.path()).await;
    assert_eq!(get_status(&handle, "stopped.bin").await.0, 404);
    handle.shutdown().await;
}

#[tokio::test]
async fn objects_survive_a_restart() {
    let dir = TempDir::new("restart");
    let handle = start_disk(dir.path()).await;
    let resp = proxy_client(&handle)
        .put(presigned_url("PUT", "a/b.txt", window()))
        .header("content-type", "text/x-test")
        .body("persisted")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    handle.shutdown().await;
    let handle = start_disk(dir.path()).await;
    let resp = proxy_client(&handle)
        .get(presigned_url("GET", "a/b.txt", window()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/x-test");
    assert_eq!(
        resp.headers()["etag"],
        format!("\"{}\"", md5_hex(b"persisted"))
    );
    assert_eq!(resp.text().await.unwrap(), "persisted");
    handle.shutdown().await;
}

/// Reads one response head (up to the blank line) from a raw connection.
async fn read_head(s: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut byte).await.unwrap(), 1, "connection closed");
        buf.push(byte[0]);
    }
    String::from_utf8(buf).unwrap()
}

#[tokio::test]
async fn header_names_are_written_as_cos_writes_them() {
    let handle = start_memory().await;
    let mut s = TcpStream::connect(handle.addr).await.unwrap();
    let auth = authorization("PUT", "case.txt", &[], &[("host", HOST)], ID, KEY, window());
    let req = format!(
        "PUT /case.txt HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {auth}\r\nContent-Length: 2\r\n\r\nhi"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let head = read_head(&mut s).await;
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    for name in [
        "ETag: \"",
        "x-cos-request-id: ",
        "Content-Length: 0",
        "Date: ",
        "Server: ",
    ] {
        assert!(head.contains(&format!("\r\n{name}")), "{name} in {head}");
    }
    let auth = authorization("GET", "case.txt", &[], &[("host", HOST)], ID, KEY, window());
    let req = format!("GET /case.txt HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {auth}\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let head = read_head(&mut s).await;
    for name in [
        "ETag: \"",
        "Content-Length: 2",
        "Content-Type: application/octet-stream",
        "Last-Modified: ",
    ] {
        assert!(head.contains(&format!("\r\n{name}")), "{name} in {head}");
    }
    let mut body = [0u8; 2];
    s.read_exact(&mut body).await.unwrap();
    assert_eq!(&body, b"hi");
    // An absolute-form target (a client using the server as its proxy) names the bucket.
    let req = format!(
        "GET http://{HOST}/case.txt HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {auth}\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let head = read_head(&mut s).await;
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    handle.shutdown().await;
}
