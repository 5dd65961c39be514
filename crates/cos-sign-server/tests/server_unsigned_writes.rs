//! The unsigned writes a bucket's WRITE allows beyond PUT and DELETE Object: PUT Object -
//! Copy, Initiate Multipart Upload, Upload Part, Upload Part - Copy and Complete Multipart
//! Upload. COS's ACL overview lists a bucket's WRITE as "PutObject, PutObjectCopy,
//! PostObject, InitiateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
//! DeleteObject" (<https://cloud.tencent.com/document/product/436/30752>). Each is served
//! unsigned where the bucket grants AllUsers WRITE and refused elsewhere; a copy reads only
//! a source an unsigned GET could read; a part or a Complete reaches only an upload an
//! unsigned request initiated; none may set an ACL or tags. What the list does not name
//! (Abort, List Parts) and a form upload without its signature stay refused.

mod server_common;

use cos_sign_server::ServerHandle;
use server_common::*;

/// An unsigned request: `query` as written on the wire (may be empty).
async fn unsigned(
    c: &reqwest::Client,
    method: &str,
    key: &str,
    query: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> reqwest::Response {
    let mut url = object_url(key);
    if !query.is_empty() {
        url = format!("{url}?{query}");
    }
    let mut req = c.request(method.parse().unwrap(), url).body(body);
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    req.send().await.unwrap()
}

/// A signed PUT of `data` at `key` with `headers`.
async fn put_with(c: &reqwest::Client, key: &str, headers: &[(&str, &str)], data: &[u8]) {
    let mut req = c.put(signed("PUT", key, &[])).body(data.to_vec());
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    assert_eq!(req.send().await.unwrap().status(), 200, "PUT {key}");
}

/// The bytes of `key` as a signed GET reads them, or `None` when there is no such object.
async fn object(c: &reqwest::Client, key: &str) -> Option<Vec<u8>> {
    let resp = c.get(signed("GET", key, &[])).send().await.unwrap();
    match resp.status().as_u16() {
        200 => Some(resp.bytes().await.unwrap().to_vec()),
        404 => None,
        s => panic!("GET {key}: {s}"),
    }
}

/// The part numbers of upload `id` of `key`, as a signed List Parts answers them.
async fn part_numbers(c: &reqwest::Client, key: &str, id: &str) -> Vec<String> {
    let resp = c
        .get(signed("GET", key, &[("uploadId", id)]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "List Parts of {key}");
    let xml = resp.text().await.unwrap();
    xml.split("<PartNumber>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_owned())
        .collect()
}

/// Unsigned Initiate of `key`: its upload id (checked 200).
async fn unsigned_initiate(c: &reqwest::Client, key: &str) -> String {
    let resp = unsigned(c, "POST", key, "uploads", &[], Vec::new()).await;
    assert_eq!(resp.status(), 200, "unsigned Initiate of {key}");
    xml_field(&resp.text().await.unwrap(), "UploadId").expect("an UploadId")
}

/// Header names and values.
type Headers<'a> = Vec<(&'a str, &'a str)>;

/// An unsigned request to make: method, key, query, headers, body.
type Call<'a> = (&'a str, &'a str, String, Headers<'a>, Vec<u8>);

fn part_query(n: u32, id: &str) -> String {
    format!("partNumber={n}&uploadId={id}")
}

async fn servers() -> Vec<(ServerHandle, Option<TempDir>)> {
    let dir = TempDir::new("unsigned-writes");
    let disk = start_disk(dir.path()).await;
    vec![(start_memory().await, None), (disk, Some(dir))]
}

const MIB: usize = 1024 * 1024;

/// In a public-read-write bucket an unsigned client copies an object (the bucket's objects
/// are readable by all) and uploads one in parts: Initiate, Upload Part (its Content-MD5
/// checked), Upload Part - Copy, Complete; the objects are what was sent, with the
/// `default` ACL. On both stores (the disk store keeps who initiated an upload in a file).
#[tokio::test]
async fn public_read_write_buckets_take_unsigned_copies_and_multipart_uploads() {
    for (handle, _dir) in servers().await {
        let c = proxy_client(&handle);
        set_bucket_acl(&c, "public-read-write").await;
        put_object(&c, "src.txt", b"source bytes").await;

        let resp = unsigned(
            &c,
            "PUT",
            "copy.txt",
            "",
            &[("x-cos-copy-source", &format!("{HOST}/src.txt"))],
            Vec::new(),
        )
        .await;
        assert_eq!(resp.status(), 200);
        assert!(resp.text().await.unwrap().contains("<CopyObjectResult>"));
        assert_eq!(object(&c, "copy.txt").await.unwrap(), b"source bytes");

        let id = unsigned_initiate(&c, "mp.bin").await;
        let first = vec![b'p'; MIB];
        // A wrong Content-MD5 is checked as on a signed part: 400, no part.
        let resp = unsigned(
            &c,
            "PUT",
            "mp.bin",
            &part_query(1, &id),
            &[("content-md5", &md5_base64(b"other bytes"))],
            first.clone(),
        )
        .await;
        assert_eq!(error_of(resp).await.1, "BadDigest");
        assert!(part_numbers(&c, "mp.bin", &id).await.is_empty());
        let resp = unsigned(
            &c,
            "PUT",
            "mp.bin",
            &part_query(1, &id),
            &[("content-md5", &md5_base64(&first))],
            first.clone(),
        )
        .await;
        assert_eq!(resp.status(), 200);
        let etag1 = resp.headers()["etag"].to_str().unwrap().to_owned();
        assert_eq!(etag1, format!("\"{}\"", md5_hex(&first)));
        let resp = unsigned(
            &c,
            "PUT",
            "mp.bin",
            &part_query(2, &id),
            &[("x-cos-copy-source", &format!("{HOST}/src.txt"))],
            Vec::new(),
        )
        .await;
        assert_eq!(resp.status(), 200);
        let etag2 = xml_field(&resp.text().await.unwrap(), "ETag").unwrap();
        assert_eq!(etag2, format!("\"{}\"", md5_hex(b"source bytes")));
        assert_eq!(part_numbers(&c, "mp.bin", &id).await, ["1", "2"]);
        let resp = unsigned(
            &c,
            "POST",
            "mp.bin",
            &format!("uploadId={id}"),
            &[],
            complete_body(&[&etag1, &etag2]).into_bytes(),
        )
        .await;
        assert_eq!(resp.status(), 200);
        assert!(
            resp.text()
                .await
                .unwrap()
                .contains("<CompleteMultipartUploadResult>")
        );
        let mut expected = first.clone();
        expected.extend_from_slice(b"source bytes");
        assert_eq!(object(&c, "mp.bin").await.unwrap(), expected);
        for key in ["copy.txt", "mp.bin"] {
            let resp = c
                .get(signed("GET", key, &[("acl", "")]))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
            assert_eq!(resp.headers()["x-cos-acl"], "default", "{key}");
        }
        handle.shutdown().await;
    }
}

/// Each new unsigned call is refused in a private and in a public-read bucket: a copy, an
/// Initiate, and a part, a part copy and a Complete of an upload an unsigned request
/// initiated while the bucket was public-read-write. Nothing is written.
#[tokio::test]
async fn unsigned_copies_and_multipart_are_refused_where_the_bucket_grants_no_write() {
    let handle = start_memory().await;
    let c = proxy_client(&handle);
    set_bucket_acl(&c, "public-read-write").await;
    put_object(&c, "src.txt", b"source bytes").await;
    let id = unsigned_initiate(&c, "mp.bin").await;
    let source = format!("{HOST}/src.txt");
    let source = source.as_str();
    for acl in ["private", "public-read"] {
        set_bucket_acl(&c, acl).await;
        let calls: [Call<'_>; 5] = [
            (
                "PUT",
                "copy.txt",
                String::new(),
                vec![("x-cos-copy-source", source)],
                vec![],
            ),
            ("POST", "new.bin", "uploads".to_owned(), vec![], vec![]),
            (
                "PUT",
                "mp.bin",
                part_query(1, &id),
                vec![],
                b"part".to_vec(),
            ),
            (
                "PUT",
                "mp.bin",
                part_query(2, &id),
                vec![("x-cos-copy-source", source)],
                vec![],
            ),
            (
                "POST",
                "mp.bin",
                format!("uploadId={id}"),
                vec![],
                complete_body(&["\"x\""]).into_bytes(),
            ),
        ];
        for (method, key, query, headers, body) in calls {
            let resp = unsigned(&c, method, key, &query, &headers, body).await;
            assert_denied(resp, &format!("{method} {key}?{query} in a {acl} bucket")).await;
        }
    }
    assert_eq!(object(&c, "copy.txt").await, None);
    assert_eq!(object(&c, "mp.bin").await, None);
    assert!(part_numbers(&c, "mp.bin", &id).await.is_empty());
    let resp = c
        .get(signed("GET", "", &[("uploads", "")]))
        .send()
        .await
        .unwrap();
    let uploads = resp.text().await.unwrap();
    assert!(!uploads.contains("new.bin"), "{uploads}");
    handle.shutdown().await;
}

/// An unsigned copy reads only what an unsigned GET could: a private object of the
/// public-read-write bucket, an object of a private bucket, a missing key of a private
/// bucket (403, not 404), and (for tags are their own permission) a tagged object are all
/// refused, whatever the copy-source conditions say, and nothing is written: no object, no
/// part. A missing key where the bucket grants READ is 404, as for GET.
#[tokio::test]
async fn unsigned_copies_from_sources_an_unsigned_get_cannot_read_are_refused() {
    let handle = start_memory().await;
    let c = proxy_client(&handle);
    set_bucket_acl(&c, "public-read-write").await;
    put_with(&c, "secret.txt", &[("x-cos-acl", "private")], b"secret").await;
    put_with(&c, "tagged.txt", &[("x-cos-tagging", "a=b")], b"tagged").await;
    // Another bucket of the same owner, private (the default), holding an object.
    let other = "otherbucket-1250000000.cos.ap-guangzhou.myqcloud.com";
    let q = presigned_query("PUT", "o.txt", &[], &[("host", other)], ID, KEY, window());
    let resp = c
        .put(format!("http://{other}/o.txt?{q}"))
        .body("other bytes")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let id = unsigned_initiate(&c, "mp.bin").await;
    let sources = [
        format!("{HOST}/secret.txt"),
        format!("{other}/o.txt"),
        format!("{other}/missing.txt"),
    ];
    for source in &sources {
        for conditions in [vec![], vec![("x-cos-copy-source-if-match", "\"nope\"")]] {
            let mut headers = vec![("x-cos-copy-source", source.as_str())];
            headers.extend(conditions);
            let resp = unsigned(&c, "PUT", "copy.txt", "", &headers, vec![]).await;
            assert_denied(resp, &format!("copy of {source} {headers:?}")).await;
            let resp = unsigned(&c, "PUT", "mp.bin", &part_query(1, &id), &headers, vec![]).await;
            assert_denied(resp, &format!("part copy of {source} {headers:?}")).await;
        }
    }
    // The tagged object is readable by all (its bucket's READ), but a copy would carry its
    // tags. A part carries none: a part copy of it is not refused for them (not tried here).
    let tagged = format!("{HOST}/tagged.txt");
    let resp = unsigned(
        &c,
        "PUT",
        "copy.txt",
        "",
        &[("x-cos-copy-source", &tagged)],
        vec![],
    )
    .await;
    assert_denied(resp, "copy of a tagged source").await;
    assert_eq!(object(&c, "copy.txt").await, None);
    assert!(part_numbers(&c, "mp.bin", &id).await.is_empty());
    // A missing key of this bucket, which grants READ to all: 404, as GET answers.
    let source = format!("{HOST}/missing.txt");
    let resp = unsigned(
        &c,
        "PUT",
        "copy.txt",
        "",
        &[("x-cos-copy-source", &source)],
        vec![],
    )
    .await;
    assert_eq!(error_of(resp).await.1, "NoSuchKey");
    // Signed, the same copies are served.
    let resp = c
        .put(signed("PUT", "copy.txt", &[]))
        .header("x-cos-copy-source", format!("{HOST}/secret.txt"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    handle.shutdown().await;
}

/// An upload the owner initiated with a signature takes no unsigned part, part copy or
/// Complete, even in a public-read-write bucket: 403, and its parts stay the owner's; an
/// upload of the same key that an unsigned request began takes them. On both stores.
#[tokio::test]
async fn unsigned_requests_cannot_touch_a_signed_upload() {
    for (handle, _dir) in servers().await {
        let c = proxy_client(&handle);
        set_bucket_acl(&c, "public-read-write").await;
        put_object(&c, "src.txt", b"source bytes").await;
        let id = initiate(&c, "owner.bin").await;
        let etag = upload_part(&c, "owner.bin", &id, 1, b"owner's part".to_vec()).await;
        let source = format!("{HOST}/src.txt");
        let calls: [(&str, String, Headers<'_>, Vec<u8>); 4] = [
            ("PUT", part_query(1, &id), vec![], b"stranger".to_vec()),
            ("PUT", part_query(2, &id), vec![], b"stranger".to_vec()),
            (
                "PUT",
                part_query(2, &id),
                vec![("x-cos-copy-source", source.as_str())],
                vec![],
            ),
            (
                "POST",
                format!("uploadId={id}"),
                vec![],
                complete_body(&[&etag]).into_bytes(),
            ),
        ];
        for (method, query, headers, body) in calls {
            let resp = unsigned(&c, method, "owner.bin", &query, &headers, body).await;
            assert_denied(resp, &format!("{method} ?{query} {headers:?}")).await;
        }
        assert_eq!(part_numbers(&c, "owner.bin", &id).await, ["1"]);
        assert_eq!(object(&c, "owner.bin").await, None);
        // The same calls reach an upload of the same key that an unsigned request began.
        let anon = unsigned_initiate(&c, "owner.bin").await;
        let resp = unsigned(
            &c,
            "PUT",
            "owner.bin",
            &part_query(1, &anon),
            &[],
            b"x".to_vec(),
        )
        .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(part_numbers(&c, "owner.bin", &anon).await, ["1"]);
        // The owner completes it with the owner's part.
        assert_eq!(complete(&c, "owner.bin", &id, &[etag]).await.status(), 200);
        assert_eq!(object(&c, "owner.bin").await.unwrap(), b"owner's part");
        handle.shutdown().await;
    }
}

/// ACL and tagging headers on each new unsigned call are refused (403), in a
/// public-read-write bucket, and nothing is written.
#[tokio::test]
async fn acl_and_tagging_headers_on_unsigned_copies_and_multipart_are_refused() {
    let handle = start_memory().await;
    let c = proxy_client(&handle);
    set_bucket_acl(&c, "public-read-write").await;
    put_object(&c, "src.txt", b"source bytes").await;
    let id = unsigned_initiate(&c, "mp.bin").await;
    let etag = {
        let resp = unsigned(
            &c,
            "PUT",
            "mp.bin",
            &part_query(1, &id),
            &[],
            b"part".to_vec(),
        )
        .await;
        assert_eq!(resp.status(), 200);
        resp.headers()["etag"].to_str().unwrap().to_owned()
    };
    let source = format!("{HOST}/src.txt");
    let extras: [(&str, &str); 5] = [
        ("x-cos-acl", "public-read"),
        ("x-cos-acl", "no-such-acl"),
        ("x-cos-grant-read", "id=\"100000000002\""),
        ("x-cos-tagging", "a=b"),
        ("x-cos-tagging-directive", "Copy"),
    ];
    for extra in extras {
        let copy = vec![("x-cos-copy-source", source.as_str()), extra];
        let calls: [Call<'_>; 5] = [
            ("PUT", "copy.txt", String::new(), copy.clone(), vec![]),
            ("POST", "new.bin", "uploads".to_owned(), vec![extra], vec![]),
            (
                "PUT",
                "mp.bin",
                part_query(2, &id),
                vec![extra],
                b"part two".to_vec(),
            ),
            ("PUT", "mp.bin", part_query(3, &id), copy.clone(), vec![]),
            (
                "POST",
                "mp.bin",
                format!("uploadId={id}"),
                vec![extra],
                complete_body(&[&etag]).into_bytes(),
            ),
        ];
        for (method, key, query, headers, body) in calls {
            let resp = unsigned(&c, method, key, &query, &headers, body).await;
            assert_denied(resp, &format!("{method} {key}?{query} {headers:?}")).await;
        }
    }
    assert_eq!(object(&c, "copy.txt").await, None);
    assert_eq!(object(&c, "mp.bin").await, None);
    assert_eq!(part_numbers(&c, "mp.bin", &id).await, ["1"]);
    let resp = c
        .get(signed("GET", "", &[("uploads", "")]))
        .send()
        .await
        .unwrap();
    assert!(!resp.text().await.unwrap().contains("new.bin"));
    handle.shutdown().await;
}

/// What a bucket's WRITE does not name stays refused unsigned in a public-read-write bucket:
/// Abort Multipart Upload and List Parts (of an upload an unsigned request initiated, which
/// stays), and a form upload without its signature (POST Object makes `policy` and the
/// `q-*` fields required), which stores nothing.
#[tokio::test]
async fn unsigned_abort_list_parts_and_unsigned_forms_stay_refused() {
    let handle = start_memory().await;
    let c = proxy_client(&handle);
    set_bucket_acl(&c, "public-read-write").await;
    let id = unsigned_initiate(&c, "mp.bin").await;
    for method in ["DELETE", "GET"] {
        let resp = unsigned(&c, method, "mp.bin", &format!("uploadId={id}"), &[], vec![]).await;
        assert_denied(resp, &format!("{method} ?uploadId")).await;
    }
    assert!(part_numbers(&c, "mp.bin", &id).await.is_empty());
    let boundary = "----unsigned-form";
    let form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nform.txt\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\
         Content-Type: text/plain\r\n\r\nform bytes\r\n--{boundary}--\r\n"
    );
    let resp = c
        .post(format!("http://{HOST}/"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(form)
        .send()
        .await
        .unwrap();
    let (status, code, body) = error_of(resp).await;
    assert_eq!((status, code.as_str()), (403, "AccessDenied"), "{body}");
    assert_eq!(object(&c, "form.txt").await, None);
    handle.shutdown().await;
}

/// The bucket reads the ACL overview lists under a bucket's READ besides GetBucket
/// ("GetBucket，HeadBucket，GetBucketObjectVersions，ListMultipartUploads"): HEAD Bucket, GET
/// Bucket Object versions and List Multipart Uploads, served unsigned where the bucket grants
/// AllUsers READ, refused in a private bucket.
#[tokio::test]
async fn unsigned_head_bucket_and_upload_listing_follow_the_buckets_read() {
    let handle = start_memory().await;
    let c = proxy_client(&handle);
    let resp = c
        .post(signed("POST", "pending.bin", &[("uploads", "")]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let id = xml_field(&resp.text().await.unwrap(), "UploadId").expect("an UploadId");
    for (acl, open) in [
        ("private", false),
        ("public-read", true),
        ("public-read-write", true),
    ] {
        set_bucket_acl(&c, acl).await;
        let head = unsigned(&c, "HEAD", "", "", &[], vec![]).await;
        let list = unsigned(&c, "GET", "", "uploads", &[], vec![]).await;
        let versions = unsigned(&c, "GET", "", "versions", &[], vec![]).await;
        if open {
            assert_eq!(versions.status(), 200, "GET Bucket Object versions, {acl}");
            let text = versions.text().await.unwrap();
            assert!(text.contains("<ListVersionsResult>"), "{text}");
            assert_eq!(head.status(), 200, "HEAD Bucket, {acl}");
            assert_eq!(list.status(), 200, "List Multipart Uploads, {acl}");
            let text = list.text().await.unwrap();
            assert!(text.contains("<ListMultipartUploadsResult"), "{text}");
            assert!(
                text.contains(&format!("<UploadId>{id}</UploadId>")),
                "{text}"
            );
        } else {
            assert_eq!(head.status(), 403, "HEAD Bucket, {acl}");
            assert_denied(list, &format!("List Multipart Uploads, {acl}")).await;
            assert_denied(versions, &format!("GET Bucket Object versions, {acl}")).await;
        }
    }
    handle.shutdown().await;
}
