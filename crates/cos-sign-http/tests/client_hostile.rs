//! Servers that lie: listings whose markers stand still, go back, or lead nowhere must end
//! with an error after a bounded number of requests, never loop; an honest listing that
//! leaves out its marker still goes on to the end.

mod client_common;

use std::time::Duration;

use client_common::*;
use cos_sign_http::{Client, ClientError, RetryPolicy, Timeouts};

/// A client in IP mode on `addr`, with short timeouts and no retries.
fn client(addr: std::net::SocketAddr) -> Client {
    Client::builder()
        .signer(ip_signer(addr, permanent()))
        .no_proxy()
        .timeouts(Timeouts::default().request(Duration::from_secs(20)))
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

/// The value of `name` in the query of a request target.
fn query_value(target: &str, name: &str) -> Option<String> {
    let (_, q) = target.split_once('?')?;
    q.split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A List Parts page of parts `numbers` (1 byte each), truncated when `truncated`, with
/// `next` as its NextPartNumberMarker when given.
fn parts_page(numbers: &[u32], truncated: bool, next: Option<u32>) -> Vec<u8> {
    let mut xml = format!(
        "<ListPartsResult><Bucket>{BUCKET}</Bucket><UploadId>u</UploadId>\
         <IsTruncated>{truncated}</IsTruncated>"
    );
    if let Some(n) = next {
        xml.push_str(&format!("<NextPartNumberMarker>{n}</NextPartNumberMarker>"));
    }
    for n in numbers {
        xml.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>\"e{n}\"</ETag><Size>1</Size></Part>"
        ));
    }
    xml.push_str("</ListPartsResult>");
    xml.into_bytes()
}

/// After this many requests every stand-in below answers a last page, so that a client that
/// would loop forever ends (and fails the test's count) instead of hanging it.
const CAP: usize = 40;

/// A stand-in answering List Parts with `page(marker)` (the `part-number-marker` asked,
/// if any), until [`CAP`] requests.
fn list_parts_stand_in(page: impl Fn(Option<u32>) -> Vec<u8> + Send + Sync + 'static) -> StandIn {
    let n = std::sync::atomic::AtomicUsize::new(0);
    StandIn::start(move |req| {
        if n.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= CAP {
            return Reply::new(200, parts_page(&[], false, None));
        }
        let marker = query_value(&req.path, "part-number-marker").and_then(|m| m.parse().ok());
        Reply::new(200, page(marker))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_parts_that_does_not_move_on_is_an_error() {
    type Page = fn(Option<u32>) -> Vec<u8>;
    let cases: [(&str, Page); 3] = [
        // The marker goes back: 2, then 1, then 2...
        ("backwards", |m| match m {
            None => parts_page(&[1, 2], true, Some(2)),
            Some(2) => parts_page(&[3], true, Some(1)),
            Some(_) => parts_page(&[2], true, Some(2)),
        }),
        // The same marker again.
        ("standing still", |m| match m {
            None => parts_page(&[1], true, Some(1)),
            Some(_) => parts_page(&[2], true, Some(1)),
        }),
        // Empty truncated pages whose markers creep on, one part number at a time.
        ("empty pages", |m| {
            parts_page(&[], true, Some(m.unwrap_or(0) + 1))
        }),
    ];
    for (what, page) in cases {
        let s = list_parts_stand_in(page);
        let got = client(s.addr).bucket(BUCKET).list_parts("obj", "u").await;
        match &got {
            Err(ClientError::UnexpectedAnswer {
                status: 200,
                detail,
            }) => {
                assert!(detail.contains("does not move on"), "{what}: {detail}");
            }
            other => panic!("{what}: {other:?} after {} requests", s.count()),
        }
        assert!(s.count() <= 3, "{what}: {} requests", s.count());
    }

    // Markers past COS's 10,000 parts.
    let s = list_parts_stand_in(|m| {
        let n = m.unwrap_or(9_998) + 1;
        parts_page(&[n], true, Some(n))
    });
    let e = client(s.addr)
        .bucket(BUCKET)
        .list_parts("obj", "u")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("at most 10000 parts"), "{e}");
    assert!(s.count() <= 3, "{} requests", s.count());
}

/// An honest truncated page without NextPartNumberMarker: the listing goes on after its
/// last part (instead of stopping early and reporting fewer parts than the upload has).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_parts_goes_on_after_the_last_part_without_a_marker() {
    let s = list_parts_stand_in(|m| match m {
        None => parts_page(&[1, 2], true, None),
        Some(2) => parts_page(&[3], false, None),
        Some(other) => panic!("asked after {other}"),
    });
    let parts = client(s.addr)
        .bucket(BUCKET)
        .list_parts("obj", "u")
        .await
        .unwrap();
    let numbers: Vec<u32> = parts.iter().map(|p| p.part_number).collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert_eq!(s.count(), 2);
}

/// Complete Multipart Upload answered `200 OK` with COS's `<Error>` body (COS does that when
/// it fails after it started to answer): an error with COS's code, never a success.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_inside_a_200_complete_is_an_error() {
    let body = "<?xml version='1.0' encoding='utf-8' ?>\n<Error>\n\t<Code>InternalError</Code>\n\
                \t<Message>We encountered an internal error. Please try again.</Message>\n</Error>";
    let s = StandIn::start(move |_| Reply::new(200, body));
    let e = client(s.addr)
        .bucket(BUCKET)
        .complete_multipart("obj", "u", &[(1, "e1".to_owned())])
        .await
        .unwrap_err();
    assert_eq!(
        e.cos().map(|c| c.code.as_str()),
        Some("InternalError"),
        "{e:?}"
    );
}

/// A head that never ends (one header line growing forever) is refused after a bounded
/// read, quickly, instead of being buffered without limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_head_is_refused() {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = sent.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { break };
            let counter = counter.clone();
            std::thread::spawn(move || {
                let _ = read_request(&mut s);
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nX-Pad: ");
                let pad = [b'a'; 64 * 1024];
                // Until the client hangs up, or 256 MiB.
                for _ in 0..4096 {
                    if s.write_all(&pad).is_err() {
                        break;
                    }
                    counter.fetch_add(pad.len(), std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
    });
    let t = std::time::Instant::now();
    let e = client(addr).bucket(BUCKET).get("k").await.unwrap_err();
    assert!(matches!(e, ClientError::Http(_)), "{e:?}");
    assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
    let n = sent.load(std::sync::atomic::Ordering::SeqCst);
    assert!(n < 64 << 20, "{n} bytes of head read before giving up");
}

/// `Content-Encoding: gzip` is not decoded (no gzip bomb can grow in memory or on disk):
/// the bytes are the object's as stored, and checked against its MD5 ETag as they are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_answers_are_not_inflated() {
    // Bytes said to be gzip (a client that decoded them would fail on them, or inflate them).
    let gz: &[u8] = &[
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xed, 0xc1, 0x01, 0x0d, 0x00,
        0x00, 0x00, 0xc2, 0xa0, 0xf7, 0x4f, 0x6d, 0x0e, 0x37, 0xa0, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x80, 0xab, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00,
    ];
    let etag = format!("\"{}\"", md5_hex(gz));
    let body = gz.to_vec();
    let s = StandIn::start(move |_| {
        Reply::new(200, body.clone())
            .header("Content-Encoding", "gzip")
            .header("ETag", &etag)
    });
    let got = client(s.addr).bucket(BUCKET).get("k").await.unwrap();
    assert_eq!(&got.body[..], gz);
    let dir = tempfile::tempdir().unwrap();
    let out = client(s.addr)
        .bucket(BUCKET)
        .download_file(
            "k",
            dir.path().join("o"),
            cos_sign_http::TransferOptions::new(),
        )
        .await
        .unwrap();
    assert!(out.md5_checked);
    assert_eq!(std::fs::read(dir.path().join("o")).unwrap(), gz);
}

/// An error answer with a body of many MiB: at most 1 MiB of it is read, the error is COS's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_error_body_is_cut_short() {
    let mut body = b"<Error><Code>AccessDenied</Code><Message>no</Message></Error><!--".to_vec();
    body.resize(64 << 20, b'x');
    let s = StandIn::start(move |_| Reply::new(403, body.clone()));
    let t = std::time::Instant::now();
    let e = client(s.addr).bucket(BUCKET).get("k").await.unwrap_err();
    assert_eq!(
        e.cos().map(|c| c.code.as_str()),
        Some("AccessDenied"),
        "{e:?}"
    );
    assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
}

/// A parallel download whose ranges are answered wrongly fails and leaves nothing: a 200
/// with the whole object instead of a 206, a Content-Range other than the one asked, an
/// object whose size changed since HEAD, a range body longer than asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_range_answers_fail_the_parallel_download() {
    const SIZE: usize = 3 << 20;
    type Answer = fn(&[u8], usize, usize) -> Reply;
    let cases: [(&str, Answer); 4] = [
        ("200 instead of 206", |d, _, _| Reply::new(200, d.to_vec())),
        ("another range", |d, a, b| {
            Reply::new(206, d[a..=b].to_vec()).header(
                "Content-Range",
                &format!("bytes {}-{}/{SIZE}", a + 1, b + 1),
            )
        }),
        ("another size", |d, a, b| {
            Reply::new(206, d[a..=b].to_vec())
                .header("Content-Range", &format!("bytes {a}-{b}/{}", SIZE + 1))
        }),
        ("a longer body", |d, a, b| {
            Reply::new(206, d[a..=(b + 10).min(SIZE - 1)].to_vec())
                .header("Content-Range", &format!("bytes {a}-{b}/{SIZE}"))
        }),
    ];
    for (what, answer) in cases {
        let data = std::sync::Arc::new(bytes(SIZE, 5));
        let d = data.clone();
        let s = StandIn::start(move |req| {
            if req.method == "HEAD" {
                return Reply::new(200, "").head_len(SIZE as u64);
            }
            let r = req.header("range").unwrap().trim_start_matches("bytes=");
            let (a, b) = r.split_once('-').unwrap();
            answer(&d, a.parse().unwrap(), b.parse().unwrap())
        });
        let dir = tempfile::tempdir().unwrap();
        let dst = dir.path().join("out.bin");
        std::fs::write(&dst, b"old").unwrap();
        let e = client(s.addr)
            .bucket(BUCKET)
            .download_file(
                "obj",
                &dst,
                cos_sign_http::TransferOptions::new()
                    .part_size(1 << 20)
                    .multipart_threshold(1 << 20),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                ClientError::UnexpectedAnswer { .. } | ClientError::Length { .. }
            ),
            "{what}: {e:?}"
        );
        assert_eq!(std::fs::read(&dst).unwrap(), b"old", "{what}");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "{what}: no temporary file"
        );
    }
}

/// A credentials service answering megabytes (announced or chunked), or JSON that is not a
/// key, is refused after 64 KiB at most, quickly, naming the source and no secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_or_malformed_credentials_answers_are_refused() {
    use cos_sign_http::providers::{CvmRole, Sts, StsAction};
    use cos_sign_std::credentials::{CredentialsProvider, StaticProvider};
    let mut huge = br#"{"TmpSecretId":"AKIDx","TmpSecretKey":"hushhush","Token":""#.to_vec();
    huge.resize(16 << 20, b'a');
    huge.extend_from_slice(br#"","ExpiredTime":4102444800,"Code":"Success"}"#);
    let answers = [
        ("announced", Reply::new(200, huge.clone())),
        ("chunked", Reply::new(200, huge).chunked()),
        ("deep", Reply::new(200, "[".repeat(60_000))),
        (
            "not a key",
            Reply::new(200, r#"{"TmpSecretId":7,"TmpSecretKey":"hushhush"}"#),
        ),
        ("a list", Reply::new(200, "[1,2,3]")),
    ];
    for (what, reply) in answers {
        let s = StandIn::start(move |_| reply.clone());
        let t = std::time::Instant::now();
        let e = CvmRole::new()
            .with_base_url(format!("{}{BASE}", s.url()))
            .with_role("r")
            .provider()
            .credentials_async()
            .await
            .unwrap_err()
            .to_string();
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "{what}: {:?}",
            t.elapsed()
        );
        assert!(e.contains("CVM metadata"), "{what}: {e}");
        assert!(!e.contains("hushhush"), "{what}: {e}");
        if what == "announced" || what == "chunked" {
            assert!(e.contains("larger than 65536 bytes"), "{what}: {e}");
        }
    }
    // STS too.
    let mut huge = br#"{"Response":{"Credentials":{"TmpSecretKey":""#.to_vec();
    huge.resize(16 << 20, b'a');
    let s = StandIn::start(move |_| Reply::new(200, huge.clone()).chunked());
    let e = Sts::new(
        StaticProvider::new(permanent()),
        StsAction::AssumeRole {
            role_arn: "qcs::cam::uin/1:roleName/r".into(),
            session_name: "s".into(),
            policy: None,
        },
    )
    .with_endpoint_url(s.url())
    .provider()
    .credentials_async()
    .await
    .unwrap_err()
    .to_string();
    assert!(e.contains("larger than 65536 bytes"), "{e}");
}
