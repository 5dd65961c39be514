//! `x-cos-hash-crc64ecma`: the local server sends the CRC-64 of each object and part, and the
//! client checks it on a GET, a one-shot and a ranged download (the ranges' CRCs combined),
//! a PUT (bytes, stream, file, pre-signed URL), Upload Part, each part of a multipart upload and its Complete. Through a
//! stand-in proxy that changes the header on chosen answers, each check fails with
//! [`ClientError::Crc64`], a download leaves the destination as it was and no temporary
//! file, and a multipart upload is aborted (or kept, when asked). An answer without the
//! header is not checked.

mod client_common;

use std::net::SocketAddr;

use client_common::*;
use cos_sign_core::crc64::checksum;
use cos_sign_http::{Client, ClientError, Crc64Check, Method, RetryPolicy, TransferOptions};
use cos_sign_std::signer::SignOptions;

const MIB: usize = 1 << 20;
const CRC: &str = "x-cos-hash-crc64ecma";

/// Transfers in parts of 1 MiB above 1 MiB.
fn parts() -> TransferOptions<'static> {
    TransferOptions::new()
        .part_size(MIB as u64)
        .multipart_threshold(MIB as u64)
        .concurrency(2)
}

/// A client reaching `addr` as its proxy, without retries.
fn through(addr: SocketAddr) -> Client {
    Client::builder()
        .signer(cos_signer(permanent()))
        .proxy(reqwest::Proxy::http(format!("http://{addr}")).unwrap())
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

/// What the stand-in does to the CRC header of an answer it picks.
#[derive(Clone, Copy)]
enum Change {
    /// One bit flipped.
    Flip,
    /// Removed (an older server).
    Drop,
}

/// A proxy in front of the server at `to` that applies `change` to the CRC header of the
/// answers to the requests `pick` selects.
fn tampering(
    to: SocketAddr,
    change: Change,
    pick: impl Fn(&Seen) -> bool + Send + Sync + 'static,
) -> StandIn {
    StandIn::start(move |req| {
        let mut reply = forward(req, to);
        if pick(req) {
            match change {
                Change::Flip => {
                    for (k, v) in &mut reply.headers {
                        if k.eq_ignore_ascii_case(CRC) {
                            *v = (v.parse::<u64>().unwrap() ^ 1).to_string();
                        }
                    }
                }
                Change::Drop => reply.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(CRC)),
            }
        }
        reply
    })
}

fn crc_error(e: &ClientError) -> (Crc64Check, u64, u64) {
    match e {
        ClientError::Crc64 { check, cos, local } => (*check, *cos, *local),
        e => panic!("not a CRC-64 error: {e:?}"),
    }
}

/// The names in `dir`, sorted.
fn names(dir: &std::path::Path) -> Vec<String> {
    let mut n: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    n.sort();
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crcs_are_checked_on_every_transfer() {
    let server = start(config()).await;
    let client = proxy_client(server.addr, Some(cos_signer(permanent())));
    let bucket = client.bucket(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let data = bytes(3 * MIB + 12_345, 21);
    let src = dir.path().join("src.bin");
    std::fs::write(&src, &data).unwrap();
    let want = checksum(&data);

    // PUT from bytes, and a multipart upload: COS's CRC is the bytes'.
    let out = bucket.put("crc/put.bin", data.clone()).await.unwrap();
    assert_eq!(out.meta.crc64, Some(want));
    let out = bucket
        .upload_file("crc/multi.bin", &src, parts())
        .await
        .unwrap();
    assert_eq!((out.parts, out.meta.crc64), (4, Some(want)));
    assert!(out.meta.etag.unwrap().ends_with("-4"));
    assert_eq!(
        bucket.head("crc/multi.bin").await.unwrap().crc64,
        Some(want)
    );

    // The multipart object by ranges: no MD5 to check, the CRC is.
    let dst = dir.path().join("back.bin");
    let got = bucket
        .download_file("crc/multi.bin", &dst, parts())
        .await
        .unwrap();
    assert_eq!(
        (got.ranges, got.md5_checked, got.crc64_checked),
        (4, false, true)
    );
    assert_eq!(std::fs::read(&dst).unwrap(), data);
    // In one GET, and in memory.
    let got = bucket
        .download_file("crc/multi.bin", &dst, TransferOptions::new())
        .await
        .unwrap();
    assert_eq!((got.ranges, got.crc64_checked), (0, true));
    let got = bucket.get("crc/multi.bin").await.unwrap();
    assert_eq!(got.meta.crc64, Some(want));
    // A Range asked by the caller: the header is the whole object's, not checked.
    let got = bucket
        .download_file(
            "crc/multi.bin",
            dir.path().join("head.bin"),
            TransferOptions::new().header("Range", "bytes=0-9"),
        )
        .await
        .unwrap();
    assert_eq!((got.bytes, got.crc64_checked), (10, false));

    // Without the header (an older server): nothing to check, no error.
    let older = tampering(server.addr, Change::Drop, |_| true);
    let c = through(older.addr);
    let got = c
        .bucket(BUCKET)
        .download_file("crc/multi.bin", &dst, parts())
        .await
        .unwrap();
    assert_eq!((got.ranges, got.crc64_checked), (4, false));
    c.bucket(BUCKET)
        .upload_file("crc/older.bin", &src, parts())
        .await
        .unwrap();
    c.bucket(BUCKET).put("crc/older", "x").await.unwrap();
    assert_eq!(
        &c.bucket(BUCKET).get("crc/older").await.unwrap().body[..],
        b"x"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_crc_fails_a_get_and_a_one_shot_download() {
    let server = start(config()).await;
    let direct = proxy_client(server.addr, Some(cos_signer(permanent())));
    let data = bytes(200_000, 22);
    direct
        .bucket(BUCKET)
        .put("crc/one", data.clone())
        .await
        .unwrap();
    let proxy = tampering(server.addr, Change::Flip, |r| r.method == "GET");
    let bucket = through(proxy.addr).bucket(BUCKET);

    let e = bucket.get("crc/one").await.unwrap_err();
    assert_eq!(
        crc_error(&e),
        (Crc64Check::Download, checksum(&data) ^ 1, checksum(&data))
    );
    assert!(
        e.to_string()
            .starts_with("CRC-64 mismatch: the bytes received"),
        "{e}"
    );

    let dir = tempfile::tempdir().unwrap();
    let dst = dir.path().join("out.bin");
    std::fs::write(&dst, b"old").unwrap();
    let e = bucket
        .download_file("crc/one", &dst, TransferOptions::new())
        .await
        .unwrap_err();
    assert_eq!(crc_error(&e).0, Crc64Check::Download);
    assert_eq!(std::fs::read(&dst).unwrap(), b"old", "left as it was");
    assert_eq!(names(dir.path()), ["out.bin"], "no temporary file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_crc_fails_a_ranged_download_of_a_multipart_object() {
    let server = start(config()).await;
    let direct = proxy_client(server.addr, Some(cos_signer(permanent())));
    let dir = tempfile::tempdir().unwrap();
    let data = bytes(3 * MIB + 777, 23);
    let src = dir.path().join("src.bin");
    std::fs::write(&src, &data).unwrap();
    direct
        .bucket(BUCKET)
        .upload_file("crc/ranged", &src, parts())
        .await
        .unwrap();
    let dst = dir.path().join("out.bin");
    std::fs::write(&dst, b"old").unwrap();

    // Every answer says the same wrong CRC: the ranges' CRCs, combined, differ from it.
    let proxy = tampering(server.addr, Change::Flip, |_| true);
    let e = through(proxy.addr)
        .bucket(BUCKET)
        .download_file("crc/ranged", &dst, parts())
        .await
        .unwrap_err();
    assert_eq!(
        crc_error(&e),
        (Crc64Check::Download, checksum(&data) ^ 1, checksum(&data))
    );
    let ranges = proxy
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.header("range").is_some())
        .count();
    assert_eq!(ranges, 4, "the download went by ranges");
    assert_eq!(std::fs::read(&dst).unwrap(), b"old", "left as it was");
    assert_eq!(
        names(dir.path()),
        ["out.bin", "src.bin"],
        "no temporary file"
    );

    // One range's answer says another CRC than the others: the object changed meanwhile.
    let from = format!("bytes={}-", 2 * MIB);
    let proxy = tampering(server.addr, Change::Flip, move |r| {
        r.header("range").is_some_and(|v| v.starts_with(&from))
    });
    let e = through(proxy.addr)
        .bucket(BUCKET)
        .download_file("crc/ranged", &dst, parts())
        .await
        .unwrap_err();
    match &e {
        ClientError::UnexpectedAnswer { status, detail } => {
            assert_eq!(*status, 206);
            assert!(
                detail.contains("the object changed during the download"),
                "{detail}"
            );
        }
        e => panic!("{e:?}"),
    }
    assert_eq!(std::fs::read(&dst).unwrap(), b"old", "left as it was");
    assert_eq!(
        names(dir.path()),
        ["out.bin", "src.bin"],
        "no temporary file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_crc_fails_a_put() {
    let server = start(config()).await;
    let proxy = tampering(server.addr, Change::Flip, |r| r.method == "PUT");
    let bucket = through(proxy.addr).bucket(BUCKET);
    let data = bytes(100_000, 24);
    let sent = checksum(&data);

    let e = bucket.put("crc/put", data.clone()).await.unwrap_err();
    assert_eq!(crc_error(&e), (Crc64Check::Upload, sent ^ 1, sent));
    assert!(
        e.to_string().starts_with("CRC-64 mismatch: the bytes sent"),
        "{e}"
    );

    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        data.chunks(30_000).map(|c| Ok(c.to_vec())).collect();
    let e = bucket
        .put_stream(
            "crc/stream",
            futures_util::stream::iter(chunks),
            Some(data.len() as u64),
            TransferOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(crc_error(&e), (Crc64Check::Upload, sent ^ 1, sent));

    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src.bin");
    std::fs::write(&src, &data).unwrap();
    let e = bucket
        .upload_file("crc/file", &src, TransferOptions::new())
        .await
        .unwrap_err();
    assert_eq!(crc_error(&e), (Crc64Check::Upload, sent ^ 1, sent));

    // Through a pre-signed URL.
    let url = bucket
        .presign(Method::Put, "crc/presigned", &SignOptions::default())
        .unwrap()
        .url;
    let e = bucket
        .client()
        .upload_presigned(&url, &src, TransferOptions::new())
        .await
        .unwrap_err();
    assert_eq!(crc_error(&e), (Crc64Check::Upload, sent ^ 1, sent));

    // Upload Part from bytes.
    let id = bucket
        .initiate_multipart("crc/part", &TransferOptions::new())
        .await
        .unwrap();
    let e = bucket
        .upload_part("crc/part", &id, 1, data.clone())
        .await
        .unwrap_err();
    assert_eq!(crc_error(&e), (Crc64Check::Part(1), sent ^ 1, sent));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_crc_fails_a_multipart_upload() {
    let server = start(config()).await;
    let direct = proxy_client(server.addr, Some(cos_signer(permanent())));
    let dir = tempfile::tempdir().unwrap();
    let data = bytes(3 * MIB + 99, 25);
    let src = dir.path().join("src.bin");
    std::fs::write(&src, &data).unwrap();
    let part2 = checksum(&data[MIB..2 * MIB]);

    // A part's answer: the upload fails and is aborted.
    let proxy = tampering(server.addr, Change::Flip, |r| {
        r.method == "PUT" && r.path.contains("partNumber=2&")
    });
    let e = through(proxy.addr)
        .bucket(BUCKET)
        .upload_file("crc/parts", &src, parts().concurrency(1))
        .await
        .unwrap_err();
    assert_eq!(crc_error(&e), (Crc64Check::Part(2), part2 ^ 1, part2));
    assert!(e.to_string().starts_with("part 2: CRC-64 mismatch"), "{e}");
    let seen: Vec<String> = proxy
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| format!("{} {}", s.method, s.path.split('?').nth(1).unwrap_or("")))
        .collect();
    assert!(
        seen.last().unwrap().starts_with("DELETE uploadId="),
        "{seen:?}"
    );
    assert!(
        !seen.iter().any(|s| s.starts_with("POST uploadId=")),
        "not completed"
    );
    assert!(direct.bucket(BUCKET).head("crc/parts").await.is_err());

    // Kept when asked: resumable, the CRC error as the cause.
    let e = through(proxy.addr)
        .bucket(BUCKET)
        .upload_file("crc/parts", &src, parts().keep_incomplete(true))
        .await
        .unwrap_err();
    let ClientError::MultipartIncomplete { source, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(crc_error(source).0, Crc64Check::Part(2));

    // Complete's answer: the parts' CRCs, combined in order, are not what it says.
    let proxy = tampering(server.addr, Change::Flip, |r| {
        r.method == "POST" && r.path.contains("uploadId=")
    });
    let whole = checksum(&data);
    let e = through(proxy.addr)
        .bucket(BUCKET)
        .upload_file("crc/complete", &src, parts())
        .await
        .unwrap_err();
    assert_eq!(crc_error(&e), (Crc64Check::Complete, whole ^ 1, whole));
    assert!(
        e.to_string()
            .starts_with("CRC-64 mismatch: the parts sent have together"),
        "{e}"
    );
}
