//! Bucket calls through `cos_sign_http::Client` against the local server (loopback):
//! create (then 409), delete (409 when not empty, 404 when unknown), list buckets (pages,
//! the region filter) in IP mode and through the server as a proxy, and a stalled answer
//! bounded by the client's timeout.

mod client_common;

use std::time::Duration;

use client_common::*;
use cos_sign_http::{Client, ClientError, ListBucketsOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn code(e: &ClientError) -> (u16, &str) {
    let cos = e.cos().expect("a COS error");
    (cos.status, cos.code.as_str())
}

async fn lifecycle(client: &Client) {
    let b = client.bucket("made-1250000000");
    b.create_bucket().await.unwrap();
    let e = b.create_bucket().await.unwrap_err();
    assert_eq!(code(&e), (409, "BucketAlreadyOwnedByYou"));
    b.put("k", "x").await.unwrap();
    let e = b.delete_bucket().await.unwrap_err();
    assert_eq!(code(&e), (409, "BucketNotEmpty"));
    b.delete("k").await.unwrap();
    b.delete_bucket().await.unwrap();
    let e = b.delete_bucket().await.unwrap_err();
    assert_eq!(code(&e), (404, "NoSuchBucket"));
    // Created again after its deletion.
    b.create_bucket().await.unwrap();

    client
        .bucket("held-1250000000")
        .put("k", "x")
        .await
        .unwrap();
    client
        .bucket("other-1250000000")
        .create_bucket()
        .await
        .unwrap();
    let all = client
        .list_buckets(&ListBucketsOptions::new())
        .await
        .unwrap();
    let names: Vec<&str> = all.buckets.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(
        names,
        ["held-1250000000", "made-1250000000", "other-1250000000"]
    );
    assert_eq!(
        all.owner.as_deref(),
        Some("qcs::cam::uin/1250000000:uin/1250000000")
    );
    for b in &all.buckets {
        assert_eq!(b.region, REGION);
        assert_eq!(b.bucket_type.as_deref(), Some("cos"));
        assert_eq!(b.creation_date.len(), 20, "{b:?}");
    }
    assert_eq!(all.next_marker, None);
    // Pages of one.
    let mut opts = ListBucketsOptions::new().max_keys(1);
    let mut paged = Vec::new();
    loop {
        let page = client.list_buckets(&opts).await.unwrap();
        assert!(page.buckets.len() <= 1);
        paged.extend(page.buckets.into_iter().map(|b| b.name));
        match page.next_marker {
            Some(m) => opts = opts.marker(m),
            None => break,
        }
    }
    assert_eq!(paged, names);
    let elsewhere = ListBucketsOptions::new().region("ap-beijing");
    assert!(
        client
            .list_buckets(&elsewhere)
            .await
            .unwrap()
            .buckets
            .is_empty()
    );
    let here = ListBucketsOptions::new().region(REGION);
    assert_eq!(client.list_buckets(&here).await.unwrap().buckets.len(), 3);
}

#[tokio::test]
async fn buckets_in_ip_mode() {
    let server = start(config()).await;
    lifecycle(&ip_client(server.addr, permanent())).await;
    server.shutdown().await;
}

#[tokio::test]
async fn buckets_through_the_proxy_with_a_temporary_key() {
    let server = start(config()).await;
    lifecycle(&proxy_client(server.addr, Some(cos_signer(temporary())))).await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_wrong_key_is_refused() {
    let server = start(config()).await;
    let creds = cos_sign_std::credentials::Credentials::new(ID, "not the key");
    let client = ip_client(server.addr, creds);
    let e = client
        .list_buckets(&ListBucketsOptions::new())
        .await
        .unwrap_err();
    assert_eq!(code(&e), (403, "SignatureDoesNotMatch"));
    let e = client
        .bucket("x-1250000000")
        .create_bucket()
        .await
        .unwrap_err();
    assert_eq!(code(&e), (403, "SignatureDoesNotMatch"));
    server.shutdown().await;
}

/// A listener that answers GET Service with a head, then stalls.
#[tokio::test]
async fn a_stalled_list_is_bounded_by_the_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n<ListAll")
                    .await;
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
        }
    });
    let client = Client::builder()
        .signer(ip_signer(addr, permanent()))
        .http_client(reqwest::Client::builder().no_proxy().build().unwrap())
        .timeout(Duration::from_millis(500))
        .retry(cos_sign_http::RetryPolicy::none())
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let e = client
        .list_buckets(&ListBucketsOptions::new())
        .await
        .unwrap_err();
    assert!(e.is_timeout() || matches!(e, ClientError::Http(_)), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// The key `/` names no object: its path is the bucket's own (`/`), so a DELETE of it was
/// Delete Bucket, a PUT Create Bucket, a GET the bucket's listing. Every object call, and a
/// pre-signed object URL, refuses it before anything is sent; the bucket stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_slash_is_no_object() {
    use cos_sign_http::{Method, TransferOptions};
    let server = start(config()).await;
    let client = proxy_client(server.addr, Some(cos_signer(permanent())));
    let b = client.bucket("empty-1250000000");
    b.create_bucket().await.unwrap();
    let refused = |e: ClientError| match e {
        ClientError::InvalidRequest(m) => assert!(m.contains("names the bucket"), "{m}"),
        e => panic!("{e:?}"),
    };
    refused(b.delete("/").await.unwrap_err());
    refused(b.put("/", "x").await.unwrap_err());
    refused(b.get("/").await.unwrap_err());
    refused(b.head("/").await.unwrap_err());
    refused(b.copy_from("empty-1250000000", "/", "k").await.unwrap_err());
    refused(b.copy_from("empty-1250000000", "k", "/").await.unwrap_err());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    refused(
        b.download_file("/", &out, TransferOptions::new())
            .await
            .unwrap_err(),
    );
    refused(
        b.presign(Method::Delete, "/", &Default::default())
            .unwrap_err(),
    );
    assert!(!out.exists());
    // The bucket is still there, empty: deleting it as a bucket works.
    b.delete_bucket().await.unwrap();
    server.shutdown().await;
}

/// A key whose last segment is `.` or `..` cannot travel in a URL as it is: URLs drop such
/// segments (`/a/..` is `/`, `/a/.` is `/a/`), so a DELETE of `..` or `a/..` was Delete
/// Bucket, and one of `a/.` deleted the object `a/`. Such keys are refused before anything
/// is sent; the bucket and `a/` stay. A `..` inside a key travels as `..%2F` and is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_ending_in_dot_segments_are_refused() {
    use cos_sign_http::Method;
    let server = start(config()).await;
    let client = proxy_client(server.addr, Some(cos_signer(permanent())));
    let b = client.bucket("dots-1250000000");
    b.create_bucket().await.unwrap();
    b.put("a/", "folder").await.unwrap();
    for key in ["..", ".", "a/..", "a/.", "a/b/..", "/.."] {
        for e in [
            b.delete(key).await.unwrap_err(),
            b.put(key, "x").await.unwrap_err(),
            b.presign(Method::Get, key, &Default::default())
                .unwrap_err(),
        ] {
            match e {
                ClientError::InvalidRequest(m) => {
                    assert!(m.contains("segment"), "{key}: {m}")
                }
                e => panic!("{key}: {e:?}"),
            }
        }
    }
    assert_eq!(&b.get("a/").await.unwrap().body[..], b"folder");
    // Inside a key, `..` is no segment of the URL: the object is its own.
    b.put("a/../x", "inner").await.unwrap();
    assert_eq!(&b.get("a/../x").await.unwrap().body[..], b"inner");
    assert!(b.head("x").await.is_err(), "no object x was made");
    b.delete("a/../x").await.unwrap();
    b.delete("a/").await.unwrap();
    b.delete_bucket().await.unwrap();
    server.shutdown().await;
}
