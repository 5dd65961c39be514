//! Object calls through `cos_sign_http::Client` against the local server (loopback):
//! permanent and temporary keys, IP mode and proxy mode, bytes, files and streams.

mod client_common;

use client_common::*;
use cos_sign_http::Method;
use cos_sign_http::{Client, ClientError as Error, TransferOptions};

async fn round_trip(client: &Client, key: &str, body: &[u8]) {
    let put = client.bucket(BUCKET).put(key, body.to_vec()).await.unwrap();
    assert_eq!(put.meta.etag.as_deref(), Some(md5_hex(body).as_str()));
    assert!(put.meta.request_id.is_some());

    let got = client.bucket(BUCKET).get(key).await.unwrap();
    assert_eq!(&got.body[..], body);
    assert_eq!(got.meta.content_length, Some(body.len() as u64));

    let head = client.bucket(BUCKET).head(key).await.unwrap();
    assert_eq!(head.content_length, Some(body.len() as u64));
    assert_eq!(head.etag.as_deref(), Some(md5_hex(body).as_str()));

    client.bucket(BUCKET).delete(key).await.unwrap();
    let e = client.bucket(BUCKET).get(key).await.unwrap_err();
    let cos = e.cos().expect("a COS error");
    assert_eq!((cos.status, cos.code.as_str()), (404, "NoSuchKey"));
    assert!(cos.request_id.is_some());
    let e = client.bucket(BUCKET).head(key).await.unwrap_err();
    let cos = e.cos().expect("a COS error");
    assert_eq!((cos.status, cos.code.as_str()), (404, "NoSuchResource"));
}

#[tokio::test]
async fn bytes_permanent_key_through_proxy() {
    let server = start(config()).await;
    let client = proxy_client(server.addr, Some(cos_signer(permanent())));
    round_trip(&client, "hello.txt", b"hello, COS").await;
    round_trip(&client, "dir/a b+c~%ü/./x.bin", &bytes(70_000, 1)).await;
    round_trip(&client, "empty", b"").await;
}

#[tokio::test]
async fn bytes_temporary_key_ip_mode() {
    let server = start(config()).await;
    let client = ip_client(server.addr, temporary());
    round_trip(&client, "tmp/key.txt", b"temporary").await;
    // Neither the client nor a signed request shows the secret key or the token.
    let shown = format!("{client:?}");
    assert!(shown.contains(TMP_ID) && !shown.contains(TMP_KEY) && !shown.contains(TOKEN));

    // The same key without its token is refused: the client really sends it.
    let signer = client.signer().unwrap();
    let mut req = client
        .object_request(Method::Get, BUCKET, "tmp/key.txt")
        .unwrap()
        .build()
        .unwrap();
    client.sign_request(&mut req).unwrap();
    assert!(req.headers().contains_key("x-cos-security-token"));
    let shown = format!("{req:?}");
    assert!(
        !shown.contains(TOKEN) && !shown.contains("q-signature"),
        "{shown}"
    );
    req.headers_mut().remove("x-cos-security-token");
    let resp = client.http().execute(req).await.unwrap();
    assert_eq!(resp.status(), 403);
    assert!(signer.credentials().unwrap().token().is_some());
}

#[tokio::test]
async fn unknown_and_wrong_keys_are_typed_errors() {
    let server = start(config()).await;
    let wrong = proxy_client(
        server.addr,
        Some(cos_signer(cos_sign_std::credentials::Credentials::new(
            ID,
            "not-the-secret",
        ))),
    );
    let e = wrong.bucket(BUCKET).put("a/b.txt", "x").await.unwrap_err();
    let cos = e.cos().expect("a COS error");
    assert_eq!(
        (cos.status, cos.code.as_str()),
        (403, "SignatureDoesNotMatch")
    );
    let sts = cos.string_to_sign.as_deref().expect("StringToSign kept");
    let fs = cos.format_string.as_deref().expect("FormatString kept");
    assert!(sts.starts_with("sha1\n"), "{sts:?}");
    assert!(fs.starts_with("put\n/a/b.txt\n"), "{fs:?}");
    assert!(fs.contains("host=examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com"));
    // StringToSign = sha1 \n key-time \n sha1(FormatString) \n
    let lines: Vec<&str> = sts.split('\n').collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[2].len(), 40);
    // No secret in the error's text.
    assert!(!e.to_string().contains("not-the-secret"));
    assert!(!format!("{e:?}").contains("not-the-secret"));

    let unknown = proxy_client(
        server.addr,
        Some(cos_signer(cos_sign_std::credentials::Credentials::new(
            "AKIDnobody",
            "whatever",
        ))),
    );
    let e = unknown.bucket(BUCKET).get("a").await.unwrap_err();
    assert_eq!(e.cos().unwrap().code, "InvalidAccessKeyId");
}

#[tokio::test]
async fn files_streamed_both_ways_with_progress() {
    let server = start(config()).await;
    let client = proxy_client(server.addr, Some(cos_signer(temporary())));
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src.bin");
    let data = bytes(3 * 1024 * 1024 + 17, 7);
    std::fs::write(&src, &data).unwrap();

    let mut up = Progress::default();
    let out = client
        .bucket(BUCKET)
        .upload_file(
            "files/src.bin",
            &src,
            TransferOptions::new().progress(up.record()),
        )
        .await
        .unwrap();
    up.check(data.len() as u64);
    assert_eq!(out.meta.etag.as_deref(), Some(md5_hex(&data).as_str()));

    let dst = dir.path().join("dst.bin");
    let mut down = Progress::default();
    let got = client
        .bucket(BUCKET)
        .download_file(
            "files/src.bin",
            &dst,
            TransferOptions::new().progress(down.record()),
        )
        .await
        .unwrap();
    down.check(data.len() as u64);
    assert!(got.md5_checked);
    assert_eq!(got.md5, md5_hex(&data));
    assert_eq!(std::fs::read(&dst).unwrap(), data);
    // Only the two files: no temporary left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);

    // A missing object leaves no file at all.
    let none = dir.path().join("none.bin");
    let e = client
        .bucket(BUCKET)
        .download_file(
            "files/none",
            &none,
            TransferOptions::new().progress(|_, _| {}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.cos().unwrap().code, "NoSuchKey");
    assert!(!none.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);

    // A missing source file is an I/O error naming it.
    let e = client
        .bucket(BUCKET)
        .upload_file(
            "x",
            dir.path().join("absent"),
            TransferOptions::new().progress(|_, _| {}),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e}");
    assert!(e.to_string().contains("absent"));
}

#[tokio::test]
async fn stream_upload_and_extra_headers() {
    let server = start(config()).await;
    let client = ip_client(server.addr, permanent());
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..10u64).map(|i| Ok(bytes(10_000, i + 1))).collect();
    let all: Vec<u8> = chunks
        .iter()
        .flat_map(|c| c.as_ref().unwrap().clone())
        .collect();
    let out = client
        .bucket(BUCKET)
        .put_stream(
            "stream.bin",
            futures_util::stream::iter(chunks),
            Some(all.len() as u64),
            TransferOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(out.meta.etag.as_deref(), Some(md5_hex(&all).as_str()));
    assert_eq!(
        &client.bucket(BUCKET).get("stream.bin").await.unwrap().body[..],
        &all[..]
    );

    // Signed extra headers: a right Content-MD5 passes, a wrong one is BadDigest.
    use base64::Engine;
    let body = b"with headers";
    let good =
        base64::engine::general_purpose::STANDARD.encode(<md5::Md5 as md5::Digest>::digest(body));
    let out = client
        .bucket(BUCKET)
        .put_with(
            "h.txt",
            body.to_vec(),
            TransferOptions::new()
                .content_type("text/plain")
                .header("Content-MD5", &good)
                .metadata("Note", "one two"),
        )
        .await
        .unwrap();
    assert_eq!(out.meta.etag.as_deref(), Some(md5_hex(body).as_str()));
    let head = client.bucket(BUCKET).head("h.txt").await.unwrap();
    assert_eq!(head.content_type.as_deref(), Some("text/plain"));
    let bad = base64::engine::general_purpose::STANDARD.encode([0u8; 16]);
    let e = client
        .bucket(BUCKET)
        .put_with(
            "h.txt",
            body.to_vec(),
            TransferOptions::new().header("Content-MD5", &bad),
        )
        .await
        .unwrap_err();
    assert_eq!(e.cos().unwrap().code, "BadDigest");
}

#[tokio::test]
async fn sign_request_signs_query_params_and_headers() {
    let server = start(config()).await;
    let client = proxy_client(server.addr, Some(cos_signer(permanent())));
    client.bucket(BUCKET).put("q.txt", "query").await.unwrap();
    let mut url = client.object_url(BUCKET, "q.txt").unwrap();
    url.query_pairs_mut()
        .append_pair("response-content-type", "text/x a+b")
        .append_pair("response-cache-control", "");
    let req = client
        .http()
        .get(url)
        .header("Range", "bytes=0-2")
        .build()
        .unwrap();
    let mut signed = req.try_clone().unwrap();
    client.sign_request(&mut signed).unwrap();
    let auth = signed.headers()["authorization"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(auth.contains("q-header-list=host;range&"), "{auth}");
    assert!(
        auth.contains("q-url-param-list=response-cache-control;response-content-type&"),
        "{auth}"
    );
    let resp = client.execute(req).await.unwrap();
    assert_eq!(resp.status(), 206);
    assert_eq!(&resp.bytes().await.unwrap()[..], b"que");

    // Changing a signed param after signing is caught by the server.
    let mut tampered = signed.try_clone().unwrap();
    let u = tampered
        .url()
        .as_str()
        .replace("response-cache-control=", "response-cache-control=1");
    *tampered.url_mut() = reqwest::Url::parse(&u).unwrap();
    let resp = client.http().execute(tampered).await.unwrap();
    assert_eq!(resp.status(), 403);
}

/// Every page of `opts` (each page at most `opts`' max-keys): the keys, the common prefixes
/// and the number of pages.
async fn list_all(
    bucket: &cos_sign_http::Bucket,
    mut opts: cos_sign_http::ListOptions,
) -> (Vec<String>, Vec<String>, usize) {
    let (mut keys, mut prefixes, mut pages) = (Vec::new(), Vec::new(), 0);
    loop {
        let page = bucket.list_objects(&opts).await.unwrap();
        pages += 1;
        keys.extend(page.objects.iter().map(|o| o.key.clone()));
        prefixes.extend(page.common_prefixes);
        match page.next_marker {
            Some(m) => opts = opts.marker(m),
            None => return (keys, prefixes, pages),
        }
    }
}

/// List Objects pages through a bucket: prefix, delimiter, marker, max-keys; keys with
/// spaces, non-ASCII and a line feed come back as stored; sizes and ETags are the objects'.
#[tokio::test]
async fn list_objects_pages_through_a_bucket() {
    use cos_sign_http::ListOptions;
    let server = start(config()).await;
    let client = proxy_client(server.addr, Some(cos_signer(permanent())));
    let bucket = client.bucket(BUCKET);
    let keys = [
        "l/a.txt",
        "l/b/c.txt",
        "l/b/d.txt",
        "l/e\nf",
        "l/谷 x",
        "other",
    ];
    for (i, k) in keys.iter().enumerate() {
        bucket.put(k, vec![b'x'; i]).await.unwrap();
    }
    // One page: every object under l/, with its size and ETag.
    let page = bucket
        .list_objects(&ListOptions::new().prefix("l/"))
        .await
        .unwrap();
    assert_eq!(page.next_marker, None);
    let got: Vec<(&str, u64)> = page
        .objects
        .iter()
        .map(|o| (o.key.as_str(), o.size))
        .collect();
    assert_eq!(
        got,
        [
            ("l/a.txt", 0),
            ("l/b/c.txt", 1),
            ("l/b/d.txt", 2),
            ("l/e\nf", 3),
            ("l/谷 x", 4)
        ]
    );
    assert_eq!(page.objects[3].etag, md5_hex(b"xxx"));
    assert!(page.objects[0].last_modified.ends_with('Z'));
    // Pages of one: the same keys, in as many pages.
    let (all, prefixes, pages) =
        list_all(&bucket, ListOptions::new().prefix("l/").max_keys(1)).await;
    assert_eq!(all, &keys[..5]);
    assert!(prefixes.is_empty());
    assert_eq!(pages, 5);
    // With a delimiter, in pages of two: l/b/ is one common prefix.
    let (all, prefixes, _) = list_all(
        &bucket,
        ListOptions::new().prefix("l/").delimiter("/").max_keys(2),
    )
    .await;
    assert_eq!(all, ["l/a.txt", "l/e\nf", "l/谷 x"]);
    assert_eq!(prefixes, ["l/b/"]);
    // The whole bucket, through the proxy and in IP mode (Host names the bucket).
    let (all, _, _) = list_all(&bucket, ListOptions::new()).await;
    assert_eq!(all.len(), keys.len());
    let ip = ip_client(server.addr, permanent());
    let (all_ip, _, _) = list_all(&ip.bucket(BUCKET), ListOptions::new()).await;
    assert_eq!(all_ip, all);
}

/// copy_from copies on the server: the ETag and bytes are the source's, metadata kept, a key
/// with spaces and non-ASCII on both sides; a missing source is NoSuchKey.
#[tokio::test]
async fn copy_from_copies_on_the_server() {
    let server = start(config()).await;
    let client = proxy_client(server.addr, Some(cos_signer(permanent())));
    let bucket = client.bucket(BUCKET);
    let body = bytes(100_000, 7);
    bucket
        .put_with(
            "src/a b+谷.bin",
            body.clone(),
            TransferOptions::new().content_type("application/x-test"),
        )
        .await
        .unwrap();
    let etag = bucket
        .copy_from(BUCKET, "src/a b+谷.bin", "dst/c d.bin")
        .await
        .unwrap();
    assert_eq!(etag, md5_hex(&body));
    let got = bucket.get("dst/c d.bin").await.unwrap();
    assert_eq!(&got.body[..], &body[..]);
    assert_eq!(got.meta.content_type.as_deref(), Some("application/x-test"));
    let e = bucket
        .copy_from(BUCKET, "src/none", "dst/x")
        .await
        .unwrap_err();
    let cos = e.cos().expect("a COS error");
    assert_eq!((cos.status, cos.code.as_str()), (404, "NoSuchKey"));
}

/// DELETE Multiple Objects: keys with XML's markup characters, spaces, a tab, line feed and
/// carriage return, non-ASCII, and one not there (reported deleted, as COS does), in one
/// request; more than one batch's worth in requests of at most 1,000; a key XML cannot
/// carry refused before anything is sent.
#[tokio::test]
async fn delete_objects_in_batches() {
    let server = start(config()).await;
    let client = proxy_client(server.addr, Some(cos_signer(permanent())));
    let b = client.bucket(BUCKET);
    let odd = [
        "a&b<c>d\"e'f",
        " lead and trail ",
        "tab\there",
        "line\nfeed",
        "cr\rlf\r\n",
        "谷/ü €",
    ];
    for k in odd {
        b.put(k, k.as_bytes().to_vec()).await.unwrap();
    }
    b.put("stays", b"x".to_vec()).await.unwrap();
    let mut keys: Vec<&str> = odd.to_vec();
    keys.push("never-there");
    let got = b.delete_objects(&keys).await.unwrap();
    assert_eq!(got, vec![Ok(()); keys.len()]);
    let page = b
        .list_objects(&cos_sign_http::ListOptions::new())
        .await
        .unwrap();
    let left: Vec<&str> = page.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(left, ["stays"]);

    // 1,205 keys: two requests.
    let many: Vec<String> = (0..1205).map(|i| format!("m/{i:04}")).collect();
    for k in &many {
        b.put(k, Vec::new()).await.unwrap();
    }
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let got = b.delete_objects(&refs).await.unwrap();
    assert_eq!(got.len(), 1205);
    assert!(got.iter().all(Result::is_ok));
    let page = b
        .list_objects(&cos_sign_http::ListOptions::new().prefix("m/"))
        .await
        .unwrap();
    assert!(page.objects.is_empty(), "{:?}", page.objects.len());

    let e = b.delete_objects(&["stays", "bell\u{7}"]).await.unwrap_err();
    assert!(matches!(e, Error::InvalidRequest(_)), "{e:?}");
    b.head("stays").await.unwrap();
}
