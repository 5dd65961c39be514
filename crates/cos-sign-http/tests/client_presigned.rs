//! Streaming transfers through pre-signed URLs (made by cos-sign-std's `Signer`) against the
//! local server reached as an HTTP proxy, the URLs keeping the real COS host.

mod client_common;

use std::time::Duration;

use client_common::*;
use cos_sign_http::TransferOptions;
use cos_sign_std::method::Method;
use cos_sign_std::signer::SignOptions;

#[tokio::test]
async fn presigned_upload_and_download_of_20_mib() {
    let server = start(config()).await;
    let signer = cos_signer(temporary());
    // No signer in the client: pre-signed URLs carry everything.
    let client = proxy_client(server.addr, None);
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("big.bin");
    let data = bytes(20 * 1024 * 1024 + 123, 42);
    std::fs::write(&src, &data).unwrap();
    let total = data.len() as u64;

    let put_url = signer
        .presign(Method::Put, BUCKET, "big/file.bin", &SignOptions::default())
        .unwrap()
        .url;
    assert!(put_url.starts_with(
        "http://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/big/file.bin?q-sign-algorithm=sha1"
    ));
    let mut up = Progress::default();
    let out = client
        .upload_presigned(&put_url, &src, TransferOptions::new().progress(up.record()))
        .await
        .unwrap();
    up.check(total);
    assert!(up.calls.len() > 5, "progress is reported while uploading");
    assert_eq!(out.bytes, total);
    assert_eq!(out.meta.etag.as_deref(), Some(md5_hex(&data).as_str()));

    let get_url = signer
        .presign(Method::Get, BUCKET, "big/file.bin", &SignOptions::default())
        .unwrap()
        .url;
    let dst = dir.path().join("sub").join("copy.bin");
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let mut down = Progress::default();
    let got = client
        .download_presigned(
            &get_url,
            &dst,
            TransferOptions::new().progress(down.record()),
        )
        .await
        .unwrap();
    down.check(total);
    assert!(
        down.calls.len() > 5,
        "progress is reported while downloading"
    );
    assert_eq!(got.bytes, total);
    assert!(got.md5_checked);
    assert_eq!(got.md5, md5_hex(&data));
    assert_eq!(file_md5(&dst), md5_hex(&data));
    // Nothing else in the target folder (the temporary file was renamed).
    assert_eq!(
        std::fs::read_dir(dir.path().join("sub")).unwrap().count(),
        1
    );

    // A Range asked by the caller: the 206's bytes, neither the object's MD5 ETag nor its
    // CRC-64 compared with them (both are the whole object's).
    let part = dir.path().join("part.bin");
    let got = client
        .download_presigned(
            &get_url,
            &part,
            TransferOptions::new().header("Range", "bytes=1000-1999"),
        )
        .await
        .unwrap();
    assert_eq!(got.bytes, 1000);
    assert!(!got.md5_checked && !got.crc64_checked);
    assert_eq!(std::fs::read(&part).unwrap(), &data[1000..2000]);
}

#[tokio::test]
async fn tampered_and_expired_urls_are_refused() {
    let server = start(config()).await;
    let signer = cos_signer(permanent());
    let client = proxy_client(server.addr, None);
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("f.txt");
    std::fs::write(&src, b"payload").unwrap();

    let url = signer
        .presign(Method::Put, BUCKET, "t.txt", &SignOptions::default())
        .unwrap()
        .url;
    // Another key.
    let other = url.replace("/t.txt?", "/u.txt?");
    let e = client
        .upload_presigned(&other, &src, TransferOptions::new())
        .await
        .unwrap_err();
    let cos = e.cos().expect("COS error");
    assert_eq!(
        (cos.status, cos.code.as_str()),
        (403, "SignatureDoesNotMatch")
    );
    assert!(
        cos.format_string
            .as_deref()
            .unwrap()
            .starts_with("put\n/u.txt\n")
    );
    assert!(cos.string_to_sign.is_some());
    // One signature byte changed.
    let pos = url.find("q-signature=").unwrap() + "q-signature=".len();
    let mut bytes = url.clone().into_bytes();
    bytes[pos] = if bytes[pos] == b'0' { b'1' } else { b'0' };
    let flipped = String::from_utf8(bytes).unwrap();
    let e = client
        .upload_presigned(&flipped, &src, TransferOptions::new())
        .await
        .unwrap_err();
    assert_eq!(e.cos().unwrap().code, "SignatureDoesNotMatch");
    // Used with another method.
    let e = client
        .download_presigned(&url, dir.path().join("x"), TransferOptions::new())
        .await
        .unwrap_err();
    assert_eq!(e.cos().unwrap().code, "SignatureDoesNotMatch");
    assert!(!dir.path().join("x").exists());
    // Expired: the server's clock is ahead by an hour.
    let late = start(config().clock_offset(3600)).await;
    let late_client = proxy_client(late.addr, None);
    let short = signer
        .presign(
            Method::Put,
            BUCKET,
            "t.txt",
            &SignOptions::default().expires(Duration::from_secs(60)),
        )
        .unwrap()
        .url;
    let e = late_client
        .upload_presigned(&short, &src, TransferOptions::new())
        .await
        .unwrap_err();
    assert_eq!(e.cos().unwrap().code, "AccessDenied");
    // The untampered URL works.
    client
        .upload_presigned(&url, &src, TransferOptions::new())
        .await
        .unwrap();
}

#[tokio::test]
async fn bad_urls_are_client_errors() {
    let client = cos_sign_http::Client::builder().build().unwrap();
    let e = client
        .upload_presigned("ftp://x/y", "/nonexistent", TransferOptions::new())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("scheme ftp"), "{e}");
    let e = client
        .download_presigned("not a url", "/tmp/x", TransferOptions::new())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("bad URL"), "{e}");
    // Signed calls need a signer.
    let e = client.bucket(BUCKET).get("k").await.unwrap_err();
    assert!(e.to_string().contains("no signer"), "{e}");
}

/// A stand-in that announces `len` bytes, sends `sent` of them, then stalls.
pub fn stalling_server(len: usize, sent: usize) -> std::net::SocketAddr {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { break };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n");
            let _ = s.write_all(&vec![7u8; sent]);
            let _ = s.flush();
            open.push(s);
        }
    });
    addr
}

#[tokio::test]
async fn a_cancelled_or_cut_download_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let client = cos_sign_http::Client::builder().build().unwrap();
    // Cancelled: the future is dropped midway.
    let addr = stalling_server(1_000_000, 200_000);
    let target = dir.path().join("cancelled.bin");
    let got = tokio::time::timeout(
        Duration::from_millis(500),
        client.download_presigned(&format!("http://{addr}/a"), &target, TransferOptions::new()),
    )
    .await;
    assert!(got.is_err(), "timed out");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // Cut: the server closes early.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let cut = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        if let Some(Ok(mut s)) = listener.incoming().next() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nshort");
        }
    });
    let e = client
        .download_presigned(
            &format!("http://{cut}/a"),
            dir.path().join("cut.bin"),
            TransferOptions::new(),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, cos_sign_http::ClientError::Http(_)), "{e}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
