//! How request values are read, as S3 reads them: numbers are plain ASCII digits (a `+` is
//! refused) and saturate past 64 bits in a `Range`; `If-Range` decides whether a `Range` applies;
//! listings page to their end (an empty page is not truncated, the next marker advances).

mod server_common;

use server_common::*;

/// Status and `Code` of a signed request's answer.
async fn status_code(resp: reqwest::Response) -> (u16, String) {
    let (status, code, _) = error_of(resp).await;
    (status, code)
}

/// Asserts `resp` is 400 InvalidArgument, for `param=value`.
async fn assert_invalid(resp: reqwest::Response, param: &str, value: &str) {
    assert_eq!(
        status_code(resp).await,
        (400, "InvalidArgument".to_owned()),
        "{param}={value}"
    );
}

#[tokio::test]
async fn numbers_are_plain_digits() {
    let handle = start_memory().await;
    let client = proxy_client(&handle);
    let key = "numbers.bin";
    let id = initiate(&client, key).await;
    for (param, value) in [
        ("partNumber", "+1"),
        ("partNumber", " 1"),
        ("partNumber", "1e0"),
    ] {
        let resp = client
            .put(signed("PUT", key, &[(param, value), ("uploadId", &id)]))
            .body("x")
            .send()
            .await
            .unwrap();
        assert_invalid(resp, param, value).await;
    }
    // Nothing was stored under part 1.
    let resp = client
        .get(signed("GET", key, &[("uploadId", &id)]))
        .send()
        .await
        .unwrap();
    assert!(!resp.text().await.unwrap().contains("<Part>"));
    for (param, value) in [("part-number-marker", "+0"), ("max-parts", "+1")] {
        let resp = client
            .get(signed("GET", key, &[("uploadId", &id), (param, value)]))
            .send()
            .await
            .unwrap();
        assert_invalid(resp, param, value).await;
    }
    for (param, value) in [("max-uploads", "+1"), ("max-keys", "+1")] {
        let sub: &[(&str, &str)] = if param == "max-uploads" {
            &[("uploads", ""), (param, value)]
        } else {
            &[(param, value)]
        };
        let resp = client.get(signed("GET", "", sub)).send().await.unwrap();
        assert_invalid(resp, param, value).await;
    }
    // A huge marker is a number past every part.
    let resp = client
        .get(signed(
            "GET",
            key,
            &[("uploadId", &id), ("part-number-marker", &"9".repeat(30))],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    handle.shutdown().await;
}

/// A server in memory, a client through it, and bytes 0..100 stored at `key`: the server's
/// handle, the client, the bytes and the ETag of the PUT.
async fn hundred_bytes_at(
    key: &str,
) -> (
    cos_sign_server::ServerHandle,
    reqwest::Client,
    Vec<u8>,
    String,
) {
    let handle = start_memory().await;
    let client = proxy_client(&handle);
    let data: Vec<u8> = (0..100u8).collect();
    let etag = put_object(&client, key, &data).await;
    (handle, client, data, etag)
}

#[tokio::test]
async fn range_numbers_past_64_bits() {
    let (handle, client, data, _) = hundred_bytes_at("big-range.bin").await;
    let huge = "9".repeat(40);
    let get = |range: String| {
        client
            .get(signed("GET", "big-range.bin", &[]))
            .header("range", range)
            .send()
    };
    // A first byte past the object: 416.
    let resp = get(format!("bytes={huge}-")).await.unwrap();
    assert_eq!(resp.headers()["content-range"], "bytes */100");
    assert_eq!(status_code(resp).await, (416, "InvalidRange".to_owned()));
    // A last byte past the object: clamped.
    let resp = get(format!("bytes=90-{huge}")).await.unwrap();
    assert_eq!(resp.status(), 206);
    assert_eq!(resp.headers()["content-range"], "bytes 90-99/100");
    assert_eq!(resp.bytes().await.unwrap().to_vec(), data[90..].to_vec());
    // A suffix longer than the object: all of it, as a range.
    let resp = get(format!("bytes=-{huge}")).await.unwrap();
    assert_eq!(resp.status(), 206);
    assert_eq!(resp.headers()["content-range"], "bytes 0-99/100");
    // A signed number is no number: the header is ignored.
    let resp = get("bytes=+1-2".to_owned()).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.unwrap().len(), 100);
    handle.shutdown().await;
}

#[tokio::test]
async fn if_range_serves_the_range_only_while_it_holds() {
    let (handle, client, data, etag) = hundred_bytes_at("if-range.bin").await;
    assert_eq!(etag, format!("\"{}\"", md5_hex(&data)));
    let resp = client
        .head(signed("HEAD", "if-range.bin", &[]))
        .send()
        .await
        .unwrap();
    let last_modified = resp.headers()["last-modified"].to_str().unwrap().to_owned();
    let modified = httpdate::parse_http_date(&last_modified).unwrap();
    let earlier = httpdate::fmt_http_date(modified - std::time::Duration::from_secs(1));
    let later = httpdate::fmt_http_date(modified + std::time::Duration::from_secs(60));
    let weak = format!("W/{etag}");
    let cases = [
        (etag.as_str(), 206),
        (last_modified.as_str(), 206),
        (later.as_str(), 200),
        ("\"0123456789abcdef0123456789abcdef\"", 200),
        (weak.as_str(), 200),
        (earlier.as_str(), 200),
        ("not a date", 200),
    ];
    for (if_range, status) in cases {
        let resp = client
            .get(signed("GET", "if-range.bin", &[]))
            .header("range", "bytes=10-19")
            .header("if-range", if_range)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), status, "If-Range: {if_range}");
        let body = resp.bytes().await.unwrap().to_vec();
        if status == 206 {
            assert_eq!(body, data[10..20].to_vec(), "If-Range: {if_range}");
        } else {
            assert_eq!(body, data, "If-Range: {if_range}");
        }
    }
    handle.shutdown().await;
}

/// Every `<name>` value of an XML body, in order.
fn xml_all(body: &str, name: &str) -> Vec<String> {
    let open = format!("<{name}>");
    body.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split(&format!("</{name}>")).next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn listings_page_to_their_end() {
    let handle = start_memory().await;
    let client = proxy_client(&handle);
    let key = "pages/a";
    let id = initiate(&client, key).await;
    upload_part(&client, key, &id, 1, "one").await;
    upload_part(&client, key, &id, 2, "two").await;
    for other in ["pages/d/1", "pages/d/2", "pages/e"] {
        initiate(&client, other).await;
    }
    client
        .put(signed("PUT", "pages/obj", &[]))
        .body("x")
        .send()
        .await
        .unwrap();
    // A page of none: empty and not truncated, for parts, uploads and keys alike.
    for (obj, params) in [
        (key, vec![("uploadId", id.as_str()), ("max-parts", "0")]),
        ("", vec![("uploads", ""), ("max-uploads", "0")]),
        ("", vec![("max-keys", "0")]),
    ] {
        let resp = client
            .get(signed("GET", obj, &params))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let body = resp.text().await.unwrap();
        assert_eq!(
            xml_field(&body, "IsTruncated").as_deref(),
            Some("false"),
            "{params:?}: {body}"
        );
        for entry in ["<Part>", "<Upload>", "<Contents>", "<CommonPrefixes>"] {
            assert!(!body.contains(entry), "{params:?}: {body}");
        }
    }
    // Uploads one a page, grouped by /: each next marker moves on, to the end.
    let (mut key_marker, mut id_marker) = (String::new(), String::new());
    let mut seen = Vec::new();
    for _ in 0..10 {
        let resp = client
            .get(signed(
                "GET",
                "",
                &[
                    ("uploads", ""),
                    ("prefix", "pages/"),
                    ("delimiter", "/"),
                    ("max-uploads", "1"),
                    ("key-marker", &key_marker),
                    ("upload-id-marker", &id_marker),
                ],
            ))
            .send()
            .await
            .unwrap();
        let body = resp.text().await.unwrap();
        seen.extend(xml_all(&body, "Key"));
        seen.extend(xml_all(&body, "Prefix").into_iter().skip(1));
        if xml_field(&body, "IsTruncated").as_deref() != Some("true") {
            key_marker.clear();
            break;
        }
        let next = xml_field(&body, "NextKeyMarker").expect("a NextKeyMarker");
        assert!(next > key_marker, "{next} after {key_marker}: {body}");
        key_marker = next;
        id_marker = xml_field(&body, "NextUploadIdMarker").unwrap_or_default();
    }
    assert!(key_marker.is_empty(), "paging did not end: {seen:?}");
    assert_eq!(seen, ["pages/a", "pages/d/", "pages/e"]);
    handle.shutdown().await;
}
