//! Round trips against the local server with requests signed by cos-sign-core: Authorization
//! header and pre-signed URLs, in memory and on disk; UTF-8 metadata returned as stored.

mod server_common;

use cos_sign_server::{self as server, Config, Credential};
use server_common::*;

async fn header_round_trip(handle: &cos_sign_server::ServerHandle) {
    let client = proxy_client(handle);
    let key = "dir/hello 腾讯云 +%&=.txt";
    let data = b"hello from cos-sign-core\n".repeat(100);
    let md5 = md5_base64(&data);
    let len = data.len().to_string();
    let url = format!("http://{HOST}{}", url_path(key));

    let headers = [
        ("host", HOST),
        ("content-type", "text/plain"),
        ("content-md5", md5.as_str()),
        ("content-length", len.as_str()),
    ];
    let auth = authorization("PUT", key, &[], &headers, ID, KEY, window());
    let resp = client
        .put(&url)
        .header("authorization", auth)
        .header("content-type", "text/plain")
        .header("content-md5", &md5)
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["etag"], format!("\"{}\"", md5_hex(&data)));
    assert!(!resp.headers()["x-cos-request-id"].is_empty());
    assert!(httpdate::parse_http_date(resp.headers()["date"].to_str().unwrap()).is_ok());

    // `method` on the object, signed over `host` only.
    let send = |method: &str| {
        let auth = authorization(method, key, &[], &[("host", HOST)], ID, KEY, window());
        client
            .request(method.parse().unwrap(), &url)
            .header("authorization", auth)
            .send()
    };
    let resp = send("GET").await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/plain");
    assert_eq!(resp.headers()["content-length"], len.as_str());
    assert_eq!(resp.headers()["etag"], format!("\"{}\"", md5_hex(&data)));
    assert!(httpdate::parse_http_date(resp.headers()["last-modified"].to_str().unwrap()).is_ok());
    assert_eq!(resp.bytes().await.unwrap(), data);

    let resp = send("HEAD").await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-length"], len.as_str());

    let resp = send("DELETE").await.unwrap();
    assert_eq!(resp.status(), 204);

    let resp = send("GET").await.unwrap();
    let (status, code, body) = error_of(resp).await;
    assert_eq!((status, code.as_str()), (404, "NoSuchKey"));
    assert_eq!(
        xml_field(&body, "Resource").unwrap(),
        format!("{HOST}{}", url_path(key))
    );
    assert!(body.starts_with("<?xml version='1.0' encoding='utf-8' ?>\n<Error>"));

    let resp = send("HEAD").await.unwrap();
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn header_auth_round_trip_in_memory() {
    let handle = start_memory().await;
    header_round_trip(&handle).await;
    handle.shutdown().await;
}

#[tokio::test]
async fn header_auth_round_trip_on_disk() {
    let dir = TempDir::new("roundtrip");
    let handle = start_disk(dir.path()).await;
    header_round_trip(&handle).await;
    assert!(dir.bucket_files().is_empty(), "{:?}", dir.bucket_files());
    handle.shutdown().await;
}

#[tokio::test]
async fn presigned_put_get_through_proxy_on_disk() {
    let dir = TempDir::new("presigned");
    let handle = start_disk(dir.path()).await;
    let client = proxy_client(&handle);
    let key = "presigned/a b+c ./d 品.bin";
    let mut data = vec![0u8; 300_000];
    Rng::new(7).fill(&mut data);

    let resp = client
        .put(presigned_url("PUT", key, window()))
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["etag"], format!("\"{}\"", md5_hex(&data)));
    assert_eq!(
        dir.bucket_files(),
        vec!["presigned%2Fa%20b%2Bc%20.%2Fd%20%E5%93%81.bin".to_owned()]
    );

    let resp = client
        .get(presigned_url("GET", key, window()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/octet-stream");
    assert_eq!(resp.bytes().await.unwrap(), data);
    handle.shutdown().await;
}

#[tokio::test]
async fn params_are_decoded_as_forms_and_all_are_seen() {
    let handle = start_memory().await;
    let client = proxy_client(&handle);
    let key = "params.txt";
    let put = presigned_url("PUT", key, window());
    assert_eq!(
        client.put(put).body("p").send().await.unwrap().status(),
        200
    );

    let params = [
        ("response-content-type", "text/plain; a b+c"),
        ("x-flag", ""),
    ];
    let q = presigned_query("GET", key, &params, &[("host", HOST)], ID, KEY, window());
    assert!(
        q.ends_with("&response-content-type=text%2Fplain%3B+a+b%2Bc&x-flag="),
        "{q}"
    );
    let url = format!("http://{HOST}/{key}?{q}");
    let resp = client.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/plain; a b+c");
    // The same value with %20 for the spaces is the same param.
    let url20 = url.replace("%3B+a+b", "%3B%20a%20b");
    assert_ne!(url20, url);
    assert_eq!(client.get(&url20).send().await.unwrap().status(), 200);
    // A param value without `=` is the empty value.
    let bare = url.replace("&x-flag=", "&x-flag");
    assert_ne!(bare, url);
    assert_eq!(client.get(&bare).send().await.unwrap().status(), 200);
    handle.shutdown().await;
}

#[tokio::test]
async fn host_is_compared_as_received_with_its_port() {
    let handle = start_memory().await;
    let client = direct_client();
    let host_port = handle.addr.to_string();
    let url = format!("{}/k.txt", handle.url());
    // Signed with the host as sent (IP and port): accepted, stored in the default bucket.
    let auth = authorization(
        "PUT",
        "k.txt",
        &[],
        &[("host", &host_port)],
        ID,
        KEY,
        window(),
    );
    let resp = client
        .put(&url)
        .header("authorization", auth)
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // Signed without the port, as the SDK does for an IP: refused.
    let auth = authorization(
        "GET",
        "k.txt",
        &[],
        &[("host", "127.0.0.1")],
        ID,
        KEY,
        window(),
    );
    let resp = client
        .get(&url)
        .header("authorization", auth)
        .send()
        .await
        .unwrap();
    let (status, code, body) = error_of(resp).await;
    assert_eq!((status, code.as_str()), (403, "SignatureDoesNotMatch"));
    assert!(
        xml_field(&body, "FormatString")
            .unwrap()
            .ends_with(&format!("\nhost=127.0.0.1%3A{}\n", handle.addr.port()))
    );
    // The object is in the default bucket: the bucket's own host finds it.
    let auth = authorization("GET", "k.txt", &[], &[("host", HOST)], ID, KEY, window());
    let resp = proxy_client(&handle)
        .get(format!("http://{HOST}/k.txt"))
        .header("authorization", auth)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "x");
    handle.shutdown().await;
}

#[tokio::test]
async fn temporary_key_with_token_header_or_param() {
    let handle = start_memory().await;
    let client = proxy_client(&handle);
    let url = format!("http://{HOST}/tmp.txt");
    let headers = [("host", HOST), ("x-cos-security-token", TOKEN)];
    let auth = authorization("PUT", "tmp.txt", &[], &headers, TMP_ID, TMP_KEY, window());
    let resp = client
        .put(&url)
        .header("authorization", auth)
        .header("x-cos-security-token", TOKEN)
        .body("tmp")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    let params = [("x-cos-security-token", TOKEN)];
    let q = presigned_query(
        "GET",
        "tmp.txt",
        &params,
        &[("host", HOST)],
        TMP_ID,
        TMP_KEY,
        window(),
    );
    let resp = client.get(format!("{url}?{q}")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "tmp");
    handle.shutdown().await;
}

#[tokio::test]
async fn bad_digest_stores_nothing() {
    let dir = TempDir::new("baddigest");
    for handle in [start_memory().await, start_disk(dir.path()).await] {
        let client = proxy_client(&handle);
        let key = "digest.txt";
        let wrong = md5_base64(b"something else");
        let headers = [("host", HOST), ("content-md5", wrong.as_str())];
        let auth = authorization("PUT", key, &[], &headers, ID, KEY, window());
        let resp = client
            .put(format!("http://{HOST}/{key}"))
            .header("authorization", auth)
            .header("content-md5", &wrong)
            .body("the body")
            .send()
            .await
            .unwrap();
        let (status, code, _) = error_of(resp).await;
        assert_eq!((status, code.as_str()), (400, "BadDigest"));

        let headers = [("host", HOST), ("content-md5", "not base64!")];
        let auth = authorization("PUT", key, &[], &headers, ID, KEY, window());
        let resp = client
            .put(format!("http://{HOST}/{key}"))
            .header("authorization", auth)
            .header("content-md5", "not base64!")
            .body("the body")
            .send()
            .await
            .unwrap();
        let (status, code, _) = error_of(resp).await;
        assert_eq!((status, code.as_str()), (400, "InvalidDigest"));

        let resp = client
            .get(presigned_url("GET", key, window()))
            .send()
            .await
            .unwrap();
        assert_eq!(error_of(resp).await.1, "NoSuchKey");
        handle.shutdown().await;
    }
    assert!(dir.bucket_files().is_empty(), "{:?}", dir.bucket_files());
}

#[tokio::test]
async fn unsigned_unknown_method_and_no_bucket() {
    let handle = start_memory().await;
    let client = proxy_client(&handle);
    let resp = client.get(format!("http://{HOST}/x")).send().await.unwrap();
    let (status, code, body) = error_of(resp).await;
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert!(xml_field(&body, "RequestId").is_some_and(|r| !r.is_empty()));
    assert!(xml_field(&body, "TraceId").is_some());

    let resp = client
        .patch(format!("http://{HOST}/x"))
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_of(resp).await;
    assert_eq!((status, code.as_str()), (405, "MethodNotAllowed"));
    handle.shutdown().await;

    // Without a default bucket an IP host names no bucket.
    let config =
        Config::new("127.0.0.1:0".parse().unwrap()).credential(Credential::permanent(ID, KEY));
    let handle = server::spawn(config).await.unwrap();
    let host = handle.addr.to_string();
    let auth = authorization("GET", "x", &[], &[("host", &host)], ID, KEY, window());
    let resp = direct_client()
        .get(format!("{}/x", handle.url()))
        .header("authorization", auth)
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_of(resp).await;
    assert_eq!((status, code.as_str()), (404, "NoSuchBucket"));
    handle.shutdown().await;
}

#[tokio::test]
async fn clock_offset_expires_or_skews() {
    for (offset, code, message) in [
        (1000, "AccessDenied", "Request has expired"),
        (
            -1000,
            "RequestTimeTooSkewed",
            "The difference between the request time and the server's time is too large.",
        ),
    ] {
        let handle = server::spawn(config().clock_offset(offset)).await.unwrap();
        let resp = proxy_client(&handle)
            .get(presigned_url("GET", "x", window()))
            .send()
            .await
            .unwrap();
        let date = httpdate::parse_http_date(resp.headers()["date"].to_str().unwrap()).unwrap();
        let server_now = date
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!((server_now - (now() as i64 + offset)).abs() < 5);
        let (status, got, body) = error_of(resp).await;
        assert_eq!((status, got.as_str()), (403, code));
        assert_eq!(xml_field(&body, "Message").unwrap(), message);
        handle.shutdown().await;
    }
}

#[test]
fn credential_specs_and_debug_hide_secrets() {
    let c = Credential::parse("AKIDx:Sup3rS3cret:T0k:3n").unwrap();
    assert!(c.is_temporary());
    assert_eq!(c.secret_id(), "AKIDx");
    let shown = format!("{c:?}");
    assert!(shown.contains("AKIDx"), "{shown}");
    assert!(
        !shown.contains("Sup3rS3cret") && !shown.contains("T0k"),
        "{shown}"
    );
    assert!(!Credential::parse("AKIDx:key").unwrap().is_temporary());
    assert!(Credential::parse("AKIDx").is_err());
    assert!(Credential::parse(":key").is_err());
    let config = config();
    assert!(!format!("{config:?}").contains(KEY));
    assert!(!format!("{config:?}").contains(TOKEN));
}

/// PUT `key` with `x-cos-meta-city` as raw UTF-8 bytes, then GET and HEAD it back.
async fn utf8_metadata_round_trip(handle: &cos_sign_server::ServerHandle) {
    let client = proxy_client(handle);
    let key = "utf8-meta.txt";
    let city = "北京 Zürich";
    let value = reqwest::header::HeaderValue::from_bytes(city.as_bytes()).unwrap();
    let resp = client
        .put(signed("PUT", key, &[]))
        .header("x-cos-meta-city", value)
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    for method in ["GET", "HEAD"] {
        let resp = client
            .request(method.parse().unwrap(), signed(method, key, &[]))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{method}");
        assert_eq!(
            resp.headers()["x-cos-meta-city"].as_bytes(),
            city.as_bytes(),
            "{method}"
        );
    }
}

#[tokio::test]
async fn utf8_metadata_is_returned_as_stored() {
    let handle = start_memory().await;
    utf8_metadata_round_trip(&handle).await;
    handle.shutdown().await;
    let dir = TempDir::new("utf8-meta");
    let handle = start_disk(dir.path()).await;
    utf8_metadata_round_trip(&handle).await;
    handle.shutdown().await;
}

/// The HTTP headers an upload stores, each sent with an empty value.
const EMPTY_HEADERS: [&str; 6] = [
    "content-type",
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
];

/// GET and HEAD of `key` (checked 200): no stored header comes back empty, and the
/// Content-Type is COS's default.
async fn check_no_empty_headers(client: &reqwest::Client, key: &str) {
    for method in ["GET", "HEAD"] {
        let resp = client
            .request(method.parse().unwrap(), signed(method, key, &[]))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{method} {key}");
        assert_eq!(
            resp.headers()["content-type"],
            "application/octet-stream",
            "{method} {key}"
        );
        for name in &EMPTY_HEADERS[1..] {
            assert!(
                resp.headers().get(*name).is_none(),
                "{method} {key}: {name}: {:?}",
                resp.headers().get(*name)
            );
        }
    }
}

/// The Node.js SDK (cos-nodejs-sdk-v5) sends `Cache-Control:` empty with every PUT Object,
/// Initiate Multipart Upload and PUT Object - Copy that has none, so that no proxy's value is
/// stored: an HTTP header sent empty stores nothing. PUT, Initiate and Copy with `Replaced`
/// each store through the same rule.
async fn empty_headers_round_trip(handle: &cos_sign_server::ServerHandle) {
    let client = proxy_client(handle);
    let with_empty = |rb: reqwest::RequestBuilder| {
        EMPTY_HEADERS
            .iter()
            .fold(rb, |rb, name| rb.header(*name, ""))
    };
    let resp = with_empty(client.put(signed("PUT", "empty/put", &[])))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    check_no_empty_headers(&client, "empty/put").await;

    let resp = with_empty(client.post(signed("POST", "empty/multipart", &[("uploads", "")])))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let id = xml_field(&resp.text().await.unwrap(), "UploadId").expect("an UploadId");
    let etag = upload_part(&client, "empty/multipart", &id, 1, "y").await;
    let resp = complete(&client, "empty/multipart", &id, &[etag]).await;
    assert_eq!(resp.status(), 200);
    check_no_empty_headers(&client, "empty/multipart").await;

    put_object(&client, "empty/source", b"z").await;
    let resp = with_empty(client.put(signed("PUT", "empty/copy", &[])))
        .header("x-cos-copy-source", format!("{HOST}/empty/source"))
        .header("x-cos-metadata-directive", "Replaced")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    check_no_empty_headers(&client, "empty/copy").await;
}

#[tokio::test]
async fn empty_headers_store_nothing() {
    let handle = start_memory().await;
    empty_headers_round_trip(&handle).await;
    handle.shutdown().await;
    let dir = TempDir::new("empty-headers");
    let handle = start_disk(dir.path()).await;
    empty_headers_round_trip(&handle).await;
    handle.shutdown().await;
}

/// Unix seconds of an HTTP date, or of an ISO 8601 `LastModified`/`Initiated` (`...Z`).
fn secs_of(text: &str) -> i64 {
    if let Ok(t) = httpdate::parse_http_date(text) {
        return t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    }
    // 2026-12-01T03:22:15.000Z; days since the epoch counted year by year.
    let n: Vec<i64> = text
        .get(..19)
        .unwrap_or_else(|| panic!("not a date: {text}"))
        .split(['-', 'T', ':'])
        .map(|p| p.parse().unwrap())
        .collect();
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mut days: i64 = (1970..n[0]).map(|y| if leap(y) { 366 } else { 365 }).sum();
    let months = [
        31,
        if leap(n[0]) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    days += months[..(n[1] - 1) as usize].iter().sum::<i64>() + n[2] - 1;
    days * 86_400 + n[3] * 3600 + n[4] * 60 + n[5]
}

/// Every time the server reports comes from its clock, offset included: Last-Modified of PUT,
/// copies (their LastModified too), listings' LastModified, Initiated and parts' times.
async fn times_follow_the_clock_offset(handle: &cos_sign_server::ServerHandle, offset: i64) {
    let client = proxy_client(handle);
    let kt = cos_sign_core::KeyTime::sdk_window(now().saturating_add_signed(offset), 300);
    let url = |method: &str, key: &str, params: &[(&str, &str)]| {
        let q = presigned_query(method, key, params, &[("host", HOST)], ID, KEY, kt);
        format!("http://{HOST}{}?{q}", url_path(key))
    };
    let expected = now() as i64 + offset;
    let near = |t: i64, what: &str| assert!((t - expected).abs() < 30, "{what}: {t} vs {expected}");
    let resp = client
        .put(url("PUT", "clock/a", &[]))
        .body("a")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = client
        .put(url("PUT", "clock/copy", &[]))
        .header("x-cos-copy-source", format!("{HOST}/clock/a"))
        .send()
        .await
        .unwrap();
    let body = resp.text().await.unwrap();
    near(secs_of(&xml_field(&body, "LastModified").unwrap()), "copy");
    let resp = client
        .post(url("POST", "clock/mpu", &[("uploads", "")]))
        .send()
        .await
        .unwrap();
    let id = xml_field(&resp.text().await.unwrap(), "UploadId").unwrap();
    let resp = client
        .put(url(
            "PUT",
            "clock/mpu",
            &[("partNumber", "1"), ("uploadId", &id)],
        ))
        .body("p")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    for (u, field, what) in [
        (
            url("GET", "clock/mpu", &[("uploadId", &id)]),
            "LastModified",
            "part",
        ),
        (url("GET", "", &[("uploads", "")]), "Initiated", "initiated"),
        (
            url("GET", "", &[("prefix", "clock/")]),
            "LastModified",
            "listing",
        ),
    ] {
        let body = client.get(u).send().await.unwrap().text().await.unwrap();
        near(secs_of(&xml_field(&body, field).unwrap()), what);
    }
    for key in ["clock/a", "clock/copy"] {
        let resp = client.head(url("HEAD", key, &[])).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        near(
            secs_of(resp.headers()["last-modified"].to_str().unwrap()),
            key,
        );
    }
}

#[tokio::test]
async fn clock_offset_applies_to_every_time() {
    for offset in [-400 * 86_400, 400 * 86_400] {
        let handle = server::spawn(config().clock_offset(offset)).await.unwrap();
        times_follow_the_clock_offset(&handle, offset).await;
        handle.shutdown().await;
        let dir = TempDir::new("clock");
        let handle = server::spawn(config().clock_offset(offset).data_dir(dir.path()))
            .await
            .unwrap();
        times_follow_the_clock_offset(&handle, offset).await;
        handle.shutdown().await;
    }
}
