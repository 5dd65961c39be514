//! Big files against the local server's multipart and Range support: multipart uploads with
//! parallel parts, an upload interrupted (the service fails mid-way) and then resumed from
//! List Parts, abort on failure, parallel ranged downloads checked before the rename.

mod client_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use client_common::*;
use cos_sign_http::{ClientError, RetryPolicy, TransferOptions};

const MIB: u64 = 1 << 20;

fn write(dir: &std::path::Path, name: &str, data: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

/// Progress calls: only growing, ending at the total.
fn check_progress(calls: &[(u64, Option<u64>)], total: u64) {
    assert!(!calls.is_empty());
    assert!(calls.windows(2).all(|w| w[0].0 <= w[1].0), "{calls:?}");
    assert_eq!(calls.last().unwrap(), &(total, Some(total)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_upload_and_ranged_download_round_trip() {
    let server = start(config()).await;
    let client = proxy_client(server.addr, Some(cos_signer(permanent())));
    let bucket = client.bucket(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let data = bytes((5 * MIB + 12_345) as usize, 7);
    let src = write(dir.path(), "src.bin", &data);

    let mut up = Vec::new();
    let out = bucket
        .upload_file(
            "big/multi.bin",
            &src,
            TransferOptions::new()
                .part_size(MIB)
                .multipart_threshold(MIB)
                .concurrency(3)
                .content_type("application/x-test")
                .metadata("origin", "multipart")
                .progress(|d, t| up.push((d, t))),
        )
        .await
        .unwrap();
    assert_eq!(
        (out.parts, out.parts_skipped, out.bytes),
        (6, 0, data.len() as u64)
    );
    assert!(out.upload_id.is_some());
    check_progress(&up, data.len() as u64);
    // A multipart ETag is not an MD5: `<md5 of the part MD5s>-<parts>`.
    let etag = out.meta.etag.clone().unwrap();
    assert!(etag.ends_with("-6"), "{etag}");
    let head = bucket.head("big/multi.bin").await.unwrap();
    assert_eq!(head.content_length, Some(data.len() as u64));
    assert_eq!(head.content_type.as_deref(), Some("application/x-test"));
    assert_eq!(
        head.metadata,
        [("origin".to_owned(), "multipart".to_owned())]
    );
    assert_eq!(
        &bucket.get("big/multi.bin").await.unwrap().body[..],
        &data[..]
    );

    // Ranged download: 6 ranges, length checked (no MD5 to check for a multipart ETag).
    let dst = dir.path().join("back.bin");
    let mut down = Vec::new();
    let got = bucket
        .download_file(
            "big/multi.bin",
            &dst,
            TransferOptions::new()
                .part_size(MIB)
                .multipart_threshold(MIB)
                .concurrency(4)
                .progress(|d, t| down.push((d, t))),
        )
        .await
        .unwrap();
    assert_eq!(
        (got.ranges, got.bytes, got.md5_checked),
        (6, data.len() as u64, false)
    );
    assert_eq!(got.md5, md5_hex(&data));
    check_progress(&down, data.len() as u64);
    assert_eq!(std::fs::read(&dst).unwrap(), data);

    // A simple upload (below the threshold) has an MD5 ETag: the ranged download checks it.
    let out = bucket
        .upload_file("big/simple.bin", &src, TransferOptions::new())
        .await
        .unwrap();
    assert_eq!(
        (out.parts, out.meta.etag.as_deref()),
        (0, Some(md5_hex(&data).as_str()))
    );
    let dst2 = dir.path().join("back2.bin");
    let got = bucket
        .download_file(
            "big/simple.bin",
            &dst2,
            TransferOptions::new()
                .part_size(MIB)
                .multipart_threshold(MIB),
        )
        .await
        .unwrap();
    assert_eq!((got.ranges, got.md5_checked), (6, true));
    assert_eq!(std::fs::read(&dst2).unwrap(), data);
    // Only the source and the two downloads: no temporary file left.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_multipart_upload_is_resumed_from_list_parts() {
    let server = start(config()).await;
    let to = server.addr;
    // A proxy in front of the server that goes down for parts 4 and up while `down` is set.
    let down = Arc::new(AtomicBool::new(true));
    let flag = down.clone();
    let proxy = StandIn::start(move |req| {
        let part: u32 = req
            .path
            .split(['?', '&'])
            .find_map(|kv| kv.strip_prefix("partNumber="))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        if flag.load(Ordering::SeqCst) && part >= 4 {
            return Reply::new(503, "<Error><Code>ServiceUnavailable</Code></Error>");
        }
        forward(req, to)
    });
    let flaky = cos_sign_http::Client::builder()
        .signer(cos_signer(permanent()))
        .proxy(reqwest::Proxy::http(proxy.url()).unwrap())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = bytes((6 * MIB - 1000) as usize, 11);
    let src = write(dir.path(), "src.bin", &data);
    let opts = || {
        TransferOptions::new()
            .part_size(MIB)
            .multipart_threshold(MIB)
            .concurrency(1)
    };
    let e = flaky
        .bucket(BUCKET)
        .upload_file("resume.bin", &src, opts().keep_incomplete(true))
        .await
        .unwrap_err();
    let ClientError::MultipartIncomplete { upload_id, source } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(source.cos().unwrap().status, 503);
    assert_eq!(e.cos().unwrap().code, "ServiceUnavailable");
    // COS has parts 1..=3.
    let direct = proxy_client(server.addr, Some(cos_signer(permanent())));
    let bucket = direct.bucket(BUCKET);
    let parts = bucket.list_parts("resume.bin", upload_id).await.unwrap();
    let numbers: Vec<u32> = parts.iter().map(|p| p.part_number).collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert_eq!(parts[0].etag, md5_hex(&data[..MIB as usize]));
    assert!(bucket.head("resume.bin").await.is_err(), "not complete yet");

    // The service is back: resume sends only parts 4..=6.
    down.store(false, Ordering::SeqCst);
    let before = proxy.count();
    let mut calls = Vec::new();
    let out = flaky
        .bucket(BUCKET)
        .upload_file(
            "resume.bin",
            &src,
            opts()
                .resume(upload_id.clone())
                .progress(|d, t| calls.push((d, t))),
        )
        .await
        .unwrap();
    assert_eq!((out.parts, out.parts_skipped), (6, 3));
    check_progress(&calls, data.len() as u64);
    let sent: Vec<String> = proxy.seen.lock().unwrap()[before..]
        .iter()
        .map(|s| format!("{} {}", s.method, s.path.split('?').nth(1).unwrap_or("")))
        .collect();
    let part_puts = sent
        .iter()
        .filter(|s| s.starts_with("PUT partNumber="))
        .count();
    assert_eq!(part_puts, 3, "{sent:?}");
    assert_eq!(&bucket.get("resume.bin").await.unwrap().body[..], &data[..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_multipart_upload_is_aborted() {
    let server = start(config()).await;
    let to = server.addr;
    let proxy = StandIn::start(move |req| {
        if req.path.contains("partNumber=2") {
            return Reply::new(500, "<Error><Code>InternalError</Code></Error>");
        }
        forward(req, to)
    });
    let client = cos_sign_http::Client::builder()
        .signer(cos_signer(permanent()))
        .proxy(reqwest::Proxy::http(proxy.url()).unwrap())
        .retry(RetryPolicy::default().max_retries(2).delays(
            std::time::Duration::from_millis(10),
            std::time::Duration::from_millis(50),
        ))
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = bytes((3 * MIB) as usize, 5);
    let src = write(dir.path(), "src.bin", &data);
    let e = client
        .bucket(BUCKET)
        .upload_file(
            "aborted.bin",
            &src,
            TransferOptions::new()
                .part_size(MIB)
                .multipart_threshold(MIB)
                .concurrency(1),
        )
        .await
        .unwrap_err();
    assert_eq!(e.cos().unwrap().code, "InternalError");
    let seen: Vec<String> = proxy
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| format!("{} {}", s.method, s.path.split('?').nth(1).unwrap_or("")))
        .collect();
    // Part 2 was tried 1 + 2 times (a 500 on an upload part is retried), then the upload
    // was aborted.
    assert_eq!(
        seen.iter()
            .filter(|s| s.starts_with("PUT partNumber=2&"))
            .count(),
        3,
        "{seen:?}"
    );
    let last = seen.last().unwrap();
    assert!(last.starts_with("DELETE uploadId="), "{seen:?}");
    let id = last.trim_start_matches("DELETE uploadId=");
    let direct = proxy_client(server.addr, Some(cos_signer(permanent())));
    let e = direct
        .bucket(BUCKET)
        .list_parts("aborted.bin", id)
        .await
        .unwrap_err();
    assert_eq!(e.cos().unwrap().code, "NoSuchUpload");
}

/// A download of a Range the caller asks for (`TransferOptions::header("Range", ..)`) of an
/// object above the multipart threshold is that one ranged GET: the bytes asked for, not the
/// parallel engine's ranges sent with a second Range header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_asked_for_is_one_ranged_get() {
    let server = start(config()).await;
    let client = proxy_client(server.addr, Some(cos_signer(permanent())));
    let bucket = client.bucket(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let data = bytes((3 * MIB) as usize, 31);
    bucket.put("big/ranged.bin", data.clone()).await.unwrap();
    let dst = dir.path().join("part.bin");
    let out = bucket
        .download_file(
            "big/ranged.bin",
            &dst,
            TransferOptions::new()
                .header("Range", "bytes=1048570-1048589")
                .part_size(MIB)
                .multipart_threshold(MIB),
        )
        .await
        .unwrap();
    assert_eq!(out.ranges, 0);
    assert!(!out.md5_checked && !out.crc64_checked);
    assert_eq!(std::fs::read(&dst).unwrap(), &data[1_048_570..1_048_590]);
    server.shutdown().await;
}
