//! APPEND Object (`POST /<key>?append&position=N`): appendable objects, positions, normal
//! objects, Content-MD5, limits, both stores, a restart, and racing appends.

mod server_common;

use cos_sign_server::{Limits, ServerHandle};
use server_common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The answer to appending `data` at `position` of `key`, with `headers` (unsigned).
async fn append_with(
    client: &reqwest::Client,
    key: &str,
    position: &str,
    data: &[u8],
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = client
        .post(signed(
            "POST",
            key,
            &[("append", ""), ("position", position)],
        ))
        .body(data.to_vec());
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    req.send().await.unwrap()
}

async fn append(
    client: &reqwest::Client,
    key: &str,
    position: u64,
    data: &[u8],
) -> reqwest::Response {
    append_with(client, key, &position.to_string(), data, &[]).await
}

/// Appends `data` at `position` and checks the answer: 200, the next position, and the
/// ETag `whole` (the MD5 of the whole object).
async fn append_ok(client: &reqwest::Client, key: &str, position: u64, data: &[u8], whole: &[u8]) {
    let resp = append(client, key, position, data).await;
    assert_eq!(resp.status(), 200, "{:?}", resp.text().await);
    let next = position + data.len() as u64;
    assert_eq!(
        resp.headers()["x-cos-next-append-position"],
        next.to_string().as_str()
    );
    assert_eq!(
        resp.headers()["etag"],
        format!("\"{}\"", md5_hex(whole)).as_str()
    );
}

/// Status, body and headers of a GET (or HEAD) of `key`.
async fn fetch(client: &reqwest::Client, method: &str, key: &str) -> reqwest::Response {
    let url = presigned_url(method, key, window());
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    client.request(m, url).send().await.unwrap()
}

async fn body_of(client: &reqwest::Client, key: &str) -> (u16, Vec<u8>) {
    let resp = fetch(client, "GET", key).await;
    (resp.status().as_u16(), resp.bytes().await.unwrap().to_vec())
}

fn object_type(resp: &reqwest::Response) -> Option<&str> {
    resp.headers()
        .get("x-cos-object-type")
        .map(|v| v.to_str().unwrap())
}

async fn creates_and_appends(handle: &ServerHandle) {
    let c = proxy_client(handle);
    let headers = [
        ("content-type", "text/plain"),
        ("x-cos-meta-author", "ada"),
        ("cache-control", "no-cache"),
    ];
    let resp = append_with(&c, "log.txt", "0", b"hello ", &headers).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-cos-next-append-position"], "6");
    assert_eq!(
        resp.headers()["etag"],
        format!("\"{}\"", md5_hex(b"hello ")).as_str()
    );
    // A later append's metadata is neither checked nor applied.
    let later = [
        ("content-type", "image/png"),
        ("x-cos-meta-author", "bob"),
        ("x-cos-storage-class", "NOT-A-CLASS"),
    ];
    let resp = append_with(&c, "log.txt", "6", b"world", &later).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-cos-next-append-position"], "11");
    append_ok(&c, "log.txt", 11, b"", b"hello world").await;
    append_ok(&c, "log.txt", 11, b"!", b"hello world!").await;

    let resp = fetch(&c, "GET", "log.txt").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(object_type(&resp), Some("appendable"));
    assert_eq!(resp.headers()["content-type"], "text/plain");
    assert_eq!(resp.headers()["x-cos-meta-author"], "ada");
    assert_eq!(resp.headers()["cache-control"], "no-cache");
    assert_eq!(
        resp.headers()["etag"],
        format!("\"{}\"", md5_hex(b"hello world!")).as_str()
    );
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"hello world!");
    // The next position is HEAD's Content-Length.
    let resp = fetch(&c, "HEAD", "log.txt").await;
    assert_eq!(resp.headers()["content-length"], "12");
    assert_eq!(object_type(&resp), Some("appendable"));
    // A range of it reads as any object's.
    let resp = c
        .get(presigned_url("GET", "log.txt", window()))
        .header("range", "bytes=6-10")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 206);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"world");
}

#[tokio::test]
async fn appends_build_an_appendable_object_in_memory() {
    let handle = start_memory().await;
    creates_and_appends(&handle).await;
}

#[tokio::test]
async fn appends_build_an_appendable_object_on_disk() {
    let dir = TempDir::new("append");
    let handle = start_disk(dir.path()).await;
    creates_and_appends(&handle).await;
    assert!(
        !dir.bucket_files().iter().any(|n| n.starts_with(".tmp-")),
        "{:?}",
        dir.bucket_files()
    );
}

#[tokio::test]
async fn a_wrong_position_is_409_and_changes_nothing() {
    let handle = start_memory().await;
    let c = proxy_client(&handle);
    // No object: only position 0 creates one.
    let (status, code, _) = error_of(append(&c, "p", 3, b"abc").await).await;
    assert_eq!((status, code.as_str()), (409, "PositionNotEqualToLength"));
    assert_eq!(body_of(&c, "p").await.0, 404);
    append_ok(&c, "p", 0, b"abc", b"abc").await;
    for wrong in [0, 2, 4, u64::MAX] {
        let (status, code, _) = error_of(append(&c, "p", wrong, b"x").await).await;
        assert_eq!(
            (status, code.as_str()),
            (409, "PositionNotEqualToLength"),
            "{wrong}"
        );
    }
    // Past 64 bits, a position is still a number, larger than any object.
    let resp = append_with(&c, "p", "99999999999999999999999", b"x", &[]).await;
    assert_eq!(error_of(resp).await.1, "PositionNotEqualToLength");
    assert_eq!(body_of(&c, "p").await, (200, b"abc".to_vec()));
}

#[tokio::test]
async fn malformed_requests_are_refused_before_anything_is_stored() {
    let handle = start_memory().await;
    let c = proxy_client(&handle);
    for position in ["", "-1", "+1", " 1", "1.0", "abc"] {
        let resp = append_with(&c, "m", position, b"x", &[]).await;
        let (status, code, _) = error_of(resp).await;
        assert_eq!(
            (status, code.as_str()),
            (400, "InvalidArgument"),
            "{position:?}"
        );
    }
    // No position at all.
    let resp = c
        .post(signed("POST", "m", &[("append", "")]))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await.1, "InvalidArgument");
    let resp = append_with(&c, "m", "0", b"x", &[("content-md5", "not base64")]).await;
    assert_eq!(error_of(resp).await.1, "InvalidDigest");
    // An invalid storage class on the first append, as on PUT.
    let resp = append_with(&c, "m", "0", b"x", &[("x-cos-storage-class", "COLD")]).await;
    assert_eq!(error_of(resp).await.1, "InvalidStorageClass");
    assert_eq!(body_of(&c, "m").await.0, 404);
    // `append` on another method is not APPEND Object.
    let resp = c
        .put(signed("PUT", "m", &[("append", ""), ("position", "0")]))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await.0, 501);
    assert_eq!(body_of(&c, "m").await.0, 404);
}

/// A chunked body (no Content-Length) is 411, as COS documents.
#[tokio::test]
async fn a_body_without_content_length_is_411() {
    let handle = start_memory().await;
    let params = [("append", ""), ("position", "0")];
    let auth = authorization("POST", "c", &params, &[("host", HOST)], ID, KEY, window());
    let mut s = tokio::net::TcpStream::connect(handle.addr).await.unwrap();
    let req = format!(
        "POST /c?append&position=0 HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {auth}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 411 "), "{out}");
    assert!(out.contains("<Code>MissingContentLength</Code>"), "{out}");
    let c = proxy_client(&handle);
    assert_eq!(body_of(&c, "c").await.0, 404);
}

#[tokio::test]
async fn content_md5_is_checked_when_sent() {
    let handle = start_memory().await;
    let c = proxy_client(&handle);
    append_ok(&c, "d", 0, b"one", b"one").await;
    // The MD5 of the part appended, not of the whole object.
    let wrong = md5_base64(b"onetwo");
    let resp = append_with(&c, "d", "3", b"two", &[("content-md5", &wrong)]).await;
    let (status, code, _) = error_of(resp).await;
    assert_eq!((status, code.as_str()), (400, "BadDigest"));
    assert_eq!(body_of(&c, "d").await, (200, b"one".to_vec()));
    let right = md5_base64(b"two");
    let resp = append_with(&c, "d", "3", b"two", &[("content-md5", &right)]).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(body_of(&c, "d").await, (200, b"onetwo".to_vec()));
}

#[tokio::test]
async fn normal_objects_are_not_appendable_and_writes_make_objects_normal() {
    let handle = start_memory().await;
    let c = proxy_client(&handle);
    put_object(&c, "n", b"normal").await;
    let resp = fetch(&c, "HEAD", "n").await;
    assert_eq!(object_type(&resp), None);
    for position in [0, 6] {
        let (status, code, _) = error_of(append(&c, "n", position, b"x").await).await;
        assert_eq!((status, code.as_str()), (409, "ObjectNotAppendable"));
    }
    assert_eq!(body_of(&c, "n").await, (200, b"normal".to_vec()));

    // PUT over an appendable object makes it normal.
    append_ok(&c, "a", 0, b"abc", b"abc").await;
    put_object(&c, "a", b"put").await;
    let resp = fetch(&c, "HEAD", "a").await;
    assert_eq!(object_type(&resp), None);
    assert_eq!(
        error_of(append(&c, "a", 3, b"x").await).await.1,
        "ObjectNotAppendable"
    );

    // So does Complete Multipart Upload.
    append_ok(&c, "m", 0, b"abc", b"abc").await;
    let id = initiate(&c, "m").await;
    let etag = upload_part(&c, "m", &id, 1, b"part".to_vec()).await;
    assert_eq!(complete(&c, "m", &id, &[etag]).await.status(), 200);
    assert_eq!(object_type(&fetch(&c, "HEAD", "m").await), None);
    assert_eq!(
        error_of(append(&c, "m", 4, b"x").await).await.1,
        "ObjectNotAppendable"
    );

    // And a copy onto it; but an appendable object cannot be copied.
    append_ok(&c, "src", 0, b"appendable", b"appendable").await;
    append_ok(&c, "dst", 0, b"x", b"x").await;
    let source = format!("{HOST}/n");
    let resp = c
        .put(signed("PUT", "dst", &[]))
        .header("x-cos-copy-source", &source)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(object_type(&fetch(&c, "HEAD", "dst").await), None);
    assert_eq!(body_of(&c, "dst").await, (200, b"normal".to_vec()));
    let resp = c
        .put(signed("PUT", "copy", &[]))
        .header("x-cos-copy-source", format!("{HOST}/src"))
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_of(resp).await;
    assert_eq!((status, code.as_str()), (403, "InvalidObjectState"));
    assert_eq!(body_of(&c, "copy").await.0, 404);
    // Upload Part - Copy of it as well.
    let id = initiate(&c, "parts").await;
    let resp = c
        .put(signed(
            "PUT",
            "parts",
            &[("partNumber", "1"), ("uploadId", &id)],
        ))
        .header("x-cos-copy-source", format!("{HOST}/src"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await.1, "InvalidObjectState");
    // A deleted appendable object can be created again by an append at 0.
    let resp = c.delete(signed("DELETE", "src", &[])).send().await.unwrap();
    assert_eq!(resp.status(), 204);
    append_ok(&c, "src", 0, b"new", b"new").await;
}

#[tokio::test]
async fn unsigned_appends_are_refused() {
    let handle = start_memory().await;
    let c = proxy_client(&handle);
    let resp = c
        .post(format!("http://{HOST}/u?append&position=0"))
        .body("x")
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_of(resp).await;
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert_eq!(body_of(&c, "u").await.0, 404);
}

#[tokio::test]
async fn appends_keep_to_the_size_limits() {
    let limits = Limits {
        max_object_size: 10,
        memory_store_cap: 16,
        ..Limits::default()
    };
    let handle = cos_sign_server::spawn(config().limits(limits))
        .await
        .unwrap();
    let c = proxy_client(&handle);
    append_ok(&c, "big", 0, b"123456", b"123456").await;
    // The object would pass 10 bytes.
    let (status, code, _) = error_of(append(&c, "big", 6, b"12345").await).await;
    assert_eq!((status, code.as_str()), (400, "EntityTooLarge"));
    append_ok(&c, "big", 6, b"1234", b"1234561234").await;
    // In the memory store the replaced bytes count as freed: 10 + 6 fit in 16 ...
    append_ok(&c, "other", 0, b"abcdef", b"abcdef").await;
    // ... and 10 + 7 do not.
    append_ok(&c, "big", 10, b"", b"1234561234").await;
    let (status, code, _) = error_of(append(&c, "other", 6, b"g").await).await;
    assert_eq!((status, code.as_str()), (400, "EntityTooLarge"));
    assert_eq!(body_of(&c, "big").await, (200, b"1234561234".to_vec()));
    assert_eq!(body_of(&c, "other").await, (200, b"abcdef".to_vec()));
}

/// Appends survive a restart of the disk store, with their type, and go on from there.
#[tokio::test]
async fn disk_appends_survive_a_restart() {
    let dir = TempDir::new("append-restart");
    let handle = start_disk(dir.path()).await;
    let c = proxy_client(&handle);
    append_ok(&c, "r/log", 0, b"first;", b"first;").await;
    append_ok(&c, "r/log", 6, b"second;", b"first;second;").await;
    handle.shutdown().await;

    let handle = start_disk(dir.path()).await;
    let c = proxy_client(&handle);
    let resp = fetch(&c, "HEAD", "r/log").await;
    assert_eq!(object_type(&resp), Some("appendable"));
    assert_eq!(resp.headers()["content-length"], "13");
    append_ok(&c, "r/log", 13, b"third", b"first;second;third").await;
    assert_eq!(
        body_of(&c, "r/log").await,
        (200, b"first;second;third".to_vec())
    );
}

/// An ACL set on an appendable object stays through later appends, which write a new object
/// each (one set while an append is under way: the store's `commit_over` tests).
async fn acl_stays(handle: &ServerHandle) {
    let c = proxy_client(handle);
    append_ok(&c, "pub", 0, b"a", b"a").await;
    let resp = c
        .put(signed("PUT", "pub", &[("acl", "")]))
        .header("x-cos-acl", "public-read")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    append_ok(&c, "pub", 1, b"b", b"ab").await;
    let resp = c.get(format!("http://{HOST}/pub")).send().await.unwrap();
    assert_eq!(
        resp.status(),
        200,
        "an unsigned GET of a public-read object"
    );
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"ab");
}

#[tokio::test]
async fn an_acl_stays_through_appends() {
    let handle = start_memory().await;
    acl_stays(&handle).await;
    let dir = TempDir::new("append-acl");
    let handle = start_disk(dir.path()).await;
    acl_stays(&handle).await;
}

/// Appends racing at one position: exactly one lands, the others are 409; readers meanwhile
/// see the object before or after, never a part of an append.
async fn racing_appends(handle: &ServerHandle) {
    const N: usize = 6;
    const LEN: usize = 256 * 1024;
    let c = proxy_client(handle);
    let base = vec![7u8; 1000];
    append_ok(&c, "race", 0, &base, &base).await;
    let bodies: Vec<Vec<u8>> = (0..N)
        .map(|i| {
            let mut b = vec![0u8; LEN];
            Rng::new(i as u64 + 1).fill(&mut b);
            b
        })
        .collect();
    let reader = {
        let c = c.clone();
        tokio::spawn(async move {
            let mut lens = Vec::new();
            for _ in 0..30 {
                let (status, body) = body_of(&c, "race").await;
                assert_eq!(status, 200);
                lens.push(body.len());
            }
            lens
        })
    };
    let tasks: Vec<_> = bodies
        .iter()
        .cloned()
        .map(|b| {
            let c = c.clone();
            tokio::spawn(async move { append(&c, "race", 1000, &b).await })
        })
        .collect();
    let mut won = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        let resp = t.await.unwrap();
        if resp.status() == 200 {
            won.push(i);
        } else {
            let (status, code, _) = error_of(resp).await;
            assert_eq!((status, code.as_str()), (409, "PositionNotEqualToLength"));
        }
    }
    assert_eq!(won.len(), 1, "exactly one append lands: {won:?}");
    for len in reader.await.unwrap() {
        assert!(len == 1000 || len == 1000 + LEN, "a torn read: {len}");
    }
    let (_, body) = body_of(&c, "race").await;
    let mut want = base.clone();
    want.extend_from_slice(&bodies[won[0]]);
    assert!(
        body == want,
        "the object is the base and the winner's bytes"
    );
}

#[tokio::test]
async fn racing_appends_in_memory() {
    let handle = start_memory().await;
    racing_appends(&handle).await;
}

#[tokio::test]
async fn racing_appends_on_disk() {
    let dir = TempDir::new("append-race");
    let handle = start_disk(dir.path()).await;
    racing_appends(&handle).await;
    assert!(!dir.bucket_files().iter().any(|n| n.starts_with(".tmp-")));
}

/// An append cut off mid-body changes nothing and leaves no temporary file.
#[tokio::test]
async fn a_cut_append_changes_nothing() {
    let dir = TempDir::new("append-cut");
    let handle = start_disk(dir.path()).await;
    let c = proxy_client(&handle);
    append_ok(&c, "cut", 0, b"kept", b"kept").await;
    let params = [("append", ""), ("position", "4")];
    let auth = authorization("POST", "cut", &params, &[("host", HOST)], ID, KEY, window());
    let mut s = tokio::net::TcpStream::connect(handle.addr).await.unwrap();
    let head = format!(
        "POST /cut?append&position=4 HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {auth}\r\n\
         Content-Length: 1000000\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&[b'x'; 300_000]).await.unwrap();
    s.flush().await.unwrap();
    // The append is under way: a temporary file holds the object and what came of the body.
    let t = std::time::Instant::now();
    while !dir.bucket_files().iter().any(|n| n.starts_with(".tmp-")) {
        assert!(t.elapsed().as_secs() < 5, "{:?}", dir.bucket_files());
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    drop(s);
    let t = std::time::Instant::now();
    while dir.bucket_files().iter().any(|n| n.starts_with(".tmp-")) {
        assert!(t.elapsed().as_secs() < 5, "{:?}", dir.bucket_files());
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(body_of(&c, "cut").await, (200, b"kept".to_vec()));
    append_ok(&c, "cut", 4, b"!", b"kept!").await;
}

/// SSE-COS asked for by the first append is kept and echoed by every append, as PUT echoes it.
#[tokio::test]
async fn encryption_of_the_first_append_is_echoed_by_all() {
    let handle = start_memory().await;
    let c = proxy_client(&handle);
    let sse = [("x-cos-server-side-encryption", "AES256")];
    let resp = append_with(&c, "sse", "0", b"a", &sse).await;
    assert_eq!(resp.headers()["x-cos-server-side-encryption"], "AES256");
    let resp = append(&c, "sse", 1, b"b").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-cos-server-side-encryption"], "AES256");
    let resp = fetch(&c, "HEAD", "sse").await;
    assert_eq!(resp.headers()["x-cos-server-side-encryption"], "AES256");
    let plain = append(&c, "plain", 0, b"a").await;
    assert_eq!(plain.headers().get("x-cos-server-side-encryption"), None);
}

/// A signed PUT or append refused from its head alone (a Content-MD5 that is not one, an
/// append at the wrong position) is answered at once to a client that waits for
/// `100 Continue`: before, the server sent `100 Continue` and read the body it would not
/// use.
#[tokio::test]
async fn refusals_known_from_the_head_send_no_100_continue() {
    let handle = start_memory().await;
    let client = proxy_client(&handle);
    let ok = append(&client, "log", 0, b"abc").await;
    assert_eq!(ok.status(), 200);
    let put = signed("PUT", "k", &[]);
    let wrong = signed("POST", "log", &[("append", ""), ("position", "7")]);
    let cases = [
        (
            "PUT",
            put.as_str(),
            "Content-MD5: not-an-md5\r\n",
            "400 InvalidDigest",
        ),
        ("POST", wrong.as_str(), "", "409 PositionNotEqualToLength"),
    ];
    for (method, url, extra, expected) in cases {
        let (status, code) = expected.split_once(' ').unwrap();
        let target = url.split_once(HOST).unwrap().1;
        let stream = tokio::net::TcpStream::connect(handle.addr).await.unwrap();
        let (mut read, mut write) = stream.into_split();
        let head = format!(
            "{method} {target} HTTP/1.1\r\nHost: {HOST}\r\n{extra}Content-Length: 100000\r\n\
             Expect: 100-continue\r\n\r\n"
        );
        write.write_all(head.as_bytes()).await.unwrap();
        let mut got = Vec::new();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(3),
            read.read_to_end(&mut got),
        )
        .await;
        let answer = String::from_utf8_lossy(&got);
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status} "))
                && answer.contains(&format!("<Code>{code}</Code>")),
            "{expected}: {answer:?}"
        );
        assert!(!answer.contains("100 Continue"), "{answer:?}");
        drop(write);
    }
    handle.shutdown().await;
}
