//! Requests without a valid signature that try to reach more than COS gives them: tags set
//! through an anonymous write, an anonymous append, and unsigned form uploads that hold a
//! connection or the CPU before their policy is ever checked, or that make a client send a
//! body the server will not use. Raw TCP where the bytes on the wire matter.

mod server_common;

use std::time::{Duration, Instant};

use cos_sign_server::{self as server, Limits};
use server_common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Makes the default bucket `public-read-write` with a signed PUT Bucket acl.
async fn open_bucket_to_writes(c: &reqwest::Client) {
    set_bucket_acl(c, "public-read-write").await;
}

/// The tags of `key` as GET Object tagging (signed) answers them.
async fn tagging_of(c: &reqwest::Client, key: &str) -> String {
    let resp = c
        .get(signed("GET", key, &[("tagging", "")]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "GET {key}?tagging");
    resp.text().await.unwrap()
}

/// An unsigned PUT may write an object into a public-read-write bucket, but setting its
/// tags is PUT Object tagging's permission, which no ACL grants (unsigned `PUT ?tagging` is
/// refused): `x-cos-tagging` on an unsigned PUT is 403 and nothing is written.
#[tokio::test]
async fn unsigned_writes_cannot_set_tags() {
    let handle = server::spawn(config()).await.unwrap();
    let c = proxy_client(&handle);
    put_object(&c, "kept.txt", b"old bytes").await;
    open_bucket_to_writes(&c).await;
    for (key, tagging) in [
        ("kept.txt", "owner=anonymous"),
        ("new.txt", "a=b&c=d"),
        ("new.txt", ""),
    ] {
        let resp = c
            .put(object_url(key))
            .header("x-cos-tagging", tagging)
            .body("anonymous bytes")
            .send()
            .await
            .unwrap();
        assert_denied(resp, &format!("{key} {tagging:?}")).await;
    }
    // Nothing was written: the old object keeps its bytes and has no tags; no new object.
    let old = c.get(object_url("kept.txt")).send().await.unwrap();
    assert_eq!(old.bytes().await.unwrap().as_ref(), b"old bytes");
    assert!(!tagging_of(&c, "kept.txt").await.contains("<Tag>"));
    let new = c.get(object_url("new.txt")).send().await.unwrap();
    assert_eq!(new.status(), 404);
    // Without the header the same unsigned write is served, and stores no tags.
    let resp = c
        .put(object_url("new.txt"))
        .body("anonymous bytes")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(!tagging_of(&c, "new.txt").await.contains("<Tag>"));
    handle.shutdown().await;
}

/// APPEND Object stays refused unsigned, in a public-read-write bucket too. COS's ACL
/// overview lists what a bucket's WRITE allows: PutObject, PutObjectCopy, PostObject,
/// InitiateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload, DeleteObject
/// (<https://cloud.tencent.com/document/product/436/30752>); AppendObject is not among them,
/// and no COS page says an anonymous append is served. Neither a new object nor an
/// appendable one changes.
#[tokio::test]
async fn unsigned_appends_are_refused_in_every_bucket() {
    let handle = server::spawn(config()).await.unwrap();
    let c = proxy_client(&handle);
    // A signed first append: an appendable object of 3 bytes.
    let resp = c
        .post(signed(
            "POST",
            "log.txt",
            &[("append", ""), ("position", "0")],
        ))
        .body("abc")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    for acl in ["private", "public-read", "public-read-write"] {
        set_bucket_acl(&c, acl).await;
        for (key, position) in [("log.txt", "3"), ("new.txt", "0")] {
            let resp = c
                .post(format!("{}?append&position={position}", object_url(key)))
                .body("anonymous")
                .send()
                .await
                .unwrap();
            assert_denied(resp, &format!("{key} at {position} in a {acl} bucket")).await;
        }
    }
    // Nothing was written.
    let resp = c.get(signed("GET", "log.txt", &[])).send().await.unwrap();
    assert_eq!(resp.headers()["x-cos-object-type"], "appendable");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"abc");
    let resp = c.get(signed("GET", "new.txt", &[])).send().await.unwrap();
    assert_eq!(error_of(resp).await.1, "NoSuchKey");
    handle.shutdown().await;
}

/// A form upload whose refusal is known from the request head (a content type without a
/// boundary, a Host naming no valid bucket, a header sent twice) is answered at once, without
/// `100 Continue`: a client that waits for it sends no body at all. Before, the server sent
/// `100 Continue` and read up to 16 MiB for 10 s of a body it would not use.
#[tokio::test]
async fn form_refusals_known_from_the_head_send_no_100_continue() {
    let handle = server::spawn(config()).await.unwrap();
    let form = "multipart/form-data; boundary=x";
    let bad_host = "bad_bucket-1250000000.cos.ap-guangzhou.myqcloud.com";
    let cases: [(&str, &str, &str, &str); 3] = [
        (HOST, "multipart/form-data", "", "400 MalformedPOSTRequest"),
        (bad_host, form, "", "404 NoSuchBucket"),
        (
            HOST,
            form,
            "X-Cos-Meta-A: 1\r\nX-Cos-Meta-A: 2\r\n",
            "400 InvalidArgument",
        ),
    ];
    for (host, content_type, extra, expected) in cases {
        let (status, code) = expected.split_once(' ').unwrap();
        let stream = TcpStream::connect(handle.addr).await.unwrap();
        let (mut read, mut write) = stream.into_split();
        let head = format!(
            "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n{extra}\
             Content-Length: 100000\r\nExpect: 100-continue\r\n\r\n"
        );
        write.write_all(head.as_bytes()).await.unwrap();
        let started = Instant::now();
        let answer = answer_within(&mut read, Duration::from_secs(5)).await;
        let elapsed = started.elapsed();
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status} "))
                && answer.contains(&format!("<Code>{code}</Code>")),
            "{expected} after {elapsed:?}: {answer:?}"
        );
        assert!(!answer.contains("100 Continue"), "{answer:?}");
        assert!(elapsed < Duration::from_secs(3), "{expected}: {elapsed:?}");
        drop(write);
    }
    handle.shutdown().await;
}

const BOUNDARY: &str = "----cos-sign-unsigned";

/// The head of an unsigned form upload with a chunked body, and the opening of its `field`
/// (its value follows).
fn form_head(field: &str) -> Vec<u8> {
    let mut out = format!(
        "POST / HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: multipart/form-data; \
         boundary={BOUNDARY}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    out.extend_from_slice(&chunk(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n")
            .as_bytes(),
    ));
    out
}

/// `data` as one chunk of a chunked body.
fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

/// Reads an answer until the server closes the connection or `limit` passes.
async fn answer_within(stream: &mut tokio::net::tcp::OwnedReadHalf, limit: Duration) -> String {
    let mut got = Vec::new();
    let _ = tokio::time::timeout(limit, stream.read_to_end(&mut got)).await;
    String::from_utf8_lossy(&got).into_owned()
}

/// A form upload's fields come before its signature can be checked, from anyone. Sent a
/// byte every 200 ms (well within the body idle timeout), they used to hold the connection
/// for as long as the sender liked; now they must all arrive within the header-read
/// timeout: 400 `RequestTimeout`, and the connection closes.
#[tokio::test]
async fn unsigned_form_fields_cannot_trickle_forever() {
    let limits = Limits {
        header_read_timeout: Duration::from_secs(1),
        ..Limits::default()
    };
    let handle = server::spawn(config().limits(limits)).await.unwrap();
    let stream = TcpStream::connect(handle.addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let started = Instant::now();
    let writer = tokio::spawn(async move {
        write.write_all(&form_head("key")).await?;
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            write.write_all(&chunk(b"a")).await?;
        }
        Ok::<_, std::io::Error>(())
    });
    let answer = answer_within(&mut read, Duration::from_secs(6)).await;
    let elapsed = started.elapsed();
    writer.abort();
    assert!(
        answer.starts_with("HTTP/1.1 400 ") && answer.contains("<Code>RequestTimeout</Code>"),
        "after {elapsed:?}: {answer:?}"
    );
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    // The server still serves others.
    let c = proxy_client(&handle);
    put_object(&c, "after.txt", b"ok").await;
    handle.shutdown().await;
}

/// A field sent as 60,000 one-byte chunks (a chunked body, one frame each) used to make the
/// server search the whole field again for the boundary after every chunk: some 1.8e9 byte
/// comparisons, a minute of CPU in a debug build, before the form's missing signature was
/// noticed. Each byte is now searched once; the refusal comes at once.
#[tokio::test]
async fn unsigned_form_fields_byte_by_byte_cost_linear_time() {
    let handle = server::spawn(config()).await.unwrap();
    let mut body = form_head("x-cos-meta-pad");
    let one = chunk(b"a");
    for _ in 0..60_000 {
        body.extend_from_slice(&one);
    }
    body.extend_from_slice(&chunk(
        format!(
            "\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n\
             --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; \
             filename=\"f\"\r\n\r\nbytes\r\n--{BOUNDARY}--\r\n"
        )
        .as_bytes(),
    ));
    body.extend_from_slice(b"0\r\n\r\n");
    let stream = TcpStream::connect(handle.addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let started = Instant::now();
    // The write half stays open until the answer is read (hyper drops a connection whose
    // client shuts its side down mid-request).
    let writer = tokio::spawn(async move { write.write_all(&body).await.map(|()| write) });
    let answer = answer_within(&mut read, Duration::from_secs(30)).await;
    let elapsed = started.elapsed();
    writer.abort();
    assert!(
        answer.starts_with("HTTP/1.1 403 ") && answer.contains("<Code>AccessDenied</Code>"),
        "after {elapsed:?}: {answer:?}"
    );
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    handle.shutdown().await;
}

/// A signed form upload sent a byte per chunk: each boundary is found however the bytes
/// arrive (split anywhere, a file holding look-alike `\r\n--` runs), and the object stored
/// is exactly the file's bytes.
#[tokio::test]
async fn a_signed_form_sent_byte_by_byte_is_stored_exactly() {
    use base64::Engine;
    let handle = server::spawn(config()).await.unwrap();
    let kt = window();
    let policy = format!(
        r#"{{"expiration":"2099-01-01T00:00:00.000Z","conditions":[{{"bucket":"{BUCKET}"}},["starts-with","$key","up/"]]}}"#
    );
    let signature = cos_sign_core::SigningKey::derive(KEY.as_bytes(), kt)
        .sign_post_policy(policy.as_bytes())
        .signature()
        .to_owned();
    let b64 = base64::engine::general_purpose::STANDARD.encode(policy.as_bytes());
    let kt = kt.to_string();
    let file: Vec<u8> = format!("a\r\n-\r\n--{}\r\n--\r\nx--{BOUNDARY}", &BOUNDARY[..10])
        .into_bytes()
        .into_iter()
        .chain((0..=255u8).cycle().take(700))
        .collect();
    let mut form = Vec::new();
    for (n, v) in [
        ("key", "up/${filename}"),
        ("policy", b64.as_str()),
        ("q-sign-algorithm", "sha1"),
        ("q-ak", ID),
        ("q-key-time", kt.as_str()),
        ("q-signature", signature.as_str()),
    ] {
        form.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{n}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    form.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.bin\"\r\n\r\n"
        )
        .as_bytes(),
    );
    form.extend_from_slice(&file);
    form.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let mut body = format!(
        "POST / HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: multipart/form-data; \
         boundary={BOUNDARY}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for b in &form {
        body.extend_from_slice(&chunk(&[*b]));
    }
    body.extend_from_slice(b"0\r\n\r\n");
    let stream = TcpStream::connect(handle.addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    // The write half stays open until the answer is read (hyper drops a connection whose
    // client shuts its side down mid-request).
    let writer = tokio::spawn(async move { write.write_all(&body).await.map(|()| write) });
    let answer = answer_within(&mut read, Duration::from_secs(30)).await;
    writer.abort();
    assert!(answer.starts_with("HTTP/1.1 204 "), "{answer:?}");
    let c = proxy_client(&handle);
    let resp = c.get(signed("GET", "up/b.bin", &[])).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), file.as_slice());
    handle.shutdown().await;
}
