//! Object versions as COS answers them for a bucket that never had versioning enabled: GET
//! Bucket Object versions lists each object as its version `null` (pages, delimiter, URL
//! encoding); `versionId=null` names the object on GET, HEAD, DELETE, tagging and a copy's
//! source; another version id is 400 `InvalidArgument`.

mod server_common;

use cos_sign_server::ServerHandle;
use server_common::*;

async fn versions(c: &reqwest::Client, params: &[(&str, &str)]) -> (u16, String) {
    let mut all = vec![("versions", "")];
    all.extend_from_slice(params);
    let resp = c.get(signed("GET", "", &all)).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// The `<tag>` texts of a listing, in order.
fn all(body: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    body.split(&open)
        .skip(1)
        .filter_map(|s| s.split_once(&close).map(|(v, _)| v.to_owned()))
        .collect()
}

async fn listing(handle: &ServerHandle) {
    let c = proxy_client(handle);
    let keys = ["v/a/1", "v/a/2", "v/b", "v/c d/x", "v/e+中"];
    let mut etags = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        etags.push(put_object(&c, k, &vec![b'x'; i + 1]).await);
    }
    let (status, body) = versions(&c, &[("prefix", "v/")]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<ListVersionsResult>"), "{body}");
    assert_eq!(all(&body, "Key"), keys);
    assert_eq!(all(&body, "VersionId"), ["null"; 5]);
    assert_eq!(all(&body, "IsLatest"), ["true"; 5]);
    assert_eq!(
        all(&body, "ETag"),
        etags
            .iter()
            .map(|e| e.replace('"', "&quot;"))
            .collect::<Vec<_>>()
    );
    assert_eq!(all(&body, "Size"), ["1", "2", "3", "4", "5"]);
    assert_eq!(xml_field(&body, "IsTruncated").as_deref(), Some("false"));
    assert_eq!(xml_field(&body, "Name").as_deref(), Some(BUCKET));

    // Pages of 2, following NextKeyMarker / NextVersionIdMarker.
    let (mut key_marker, mut version_marker) = (String::new(), String::new());
    let mut seen = Vec::new();
    for _ in 0..5 {
        let (status, body) = versions(
            &c,
            &[
                ("prefix", "v/"),
                ("max-keys", "2"),
                ("key-marker", &key_marker),
                ("version-id-marker", &version_marker),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        seen.extend(all(&body, "Key"));
        if xml_field(&body, "IsTruncated").as_deref() == Some("false") {
            break;
        }
        key_marker = xml_field(&body, "NextKeyMarker").unwrap();
        version_marker = xml_field(&body, "NextVersionIdMarker").unwrap();
        assert_eq!(version_marker, "null");
    }
    assert_eq!(seen, keys);

    // A delimiter rolls up "folders"; a page ending at one has an empty NextVersionIdMarker.
    let (_, body) = versions(&c, &[("prefix", "v/"), ("delimiter", "/")]).await;
    assert_eq!(all(&body, "Prefix")[1..], ["v/a/", "v/c d/"]);
    assert_eq!(all(&body, "Key"), ["v/b", "v/e+中"]);
    let (_, body) = versions(
        &c,
        &[("prefix", "v/"), ("delimiter", "/"), ("max-keys", "1")],
    )
    .await;
    assert_eq!(xml_field(&body, "NextKeyMarker").as_deref(), Some("v/a/"));
    assert_eq!(xml_field(&body, "NextVersionIdMarker").as_deref(), Some(""));
    // URL encoding of the keys.
    let (_, body) = versions(&c, &[("prefix", "v/e"), ("encoding-type", "url")]).await;
    assert_eq!(all(&body, "Key"), ["v/e%2B%E4%B8%AD"]);
    assert_eq!(xml_field(&body, "EncodingType").as_deref(), Some("url"));

    // Bad markers.
    for params in [
        &[("version-id-marker", "null")][..],
        &[("key-marker", "v/a"), ("version-id-marker", "abc")],
    ] {
        let resp = c
            .get(signed("GET", "", &[&[("versions", "")], params].concat()))
            .send()
            .await
            .unwrap();
        let (status, code, _) = error_of(resp).await;
        assert_eq!(
            (status, code.as_str()),
            (400, "InvalidArgument"),
            "{params:?}"
        );
    }
}

async fn version_null(handle: &ServerHandle) {
    let c = proxy_client(handle);
    let key = "vn/obj.txt";
    put_object(&c, key, b"the one version").await;
    let null = [("versionId", "null")];
    let resp = c.get(signed("GET", key, &null)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.unwrap(), &b"the one version"[..]);
    let resp = c.head(signed("HEAD", key, &null)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let resp = c
        .get(signed(
            "GET",
            key,
            &[("tagging", ""), ("versionId", "null")],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // Another version id: no such version here.
    for method in ["GET", "HEAD", "DELETE"] {
        let url = signed(method, key, &[("versionId", "MTg0NDUxNzc2ODk3NjQ3MzI")]);
        let resp = c
            .request(method.parse().unwrap(), url)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{method}");
    }
    // Copy from the source's version null; from another version, refused.
    let source = format!("{HOST}{}?versionId=null", url_path(key));
    let resp = c
        .put(signed("PUT", "vn/copy.txt", &[]))
        .header("x-cos-copy-source", source)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = c
        .put(signed("PUT", "vn/copy2.txt", &[]))
        .header(
            "x-cos-copy-source",
            format!("{HOST}{}?versionId=x", url_path(key)),
        )
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_of(resp).await;
    assert_eq!((status, code.as_str()), (400, "InvalidArgument"));
    // DELETE of version null deletes the object.
    let resp = c.delete(signed("DELETE", key, &null)).send().await.unwrap();
    assert_eq!(resp.status(), 204);
    let resp = c.get(signed("GET", key, &[])).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    // DELETE Multiple with version ids.
    put_object(&c, "vn/m1", b"1").await;
    put_object(&c, "vn/m2", b"2").await;
    let body = "<Delete><Object><Key>vn/m1</Key><VersionId>null</VersionId></Object>\
                <Object><Key>vn/m2</Key><VersionId>abc</VersionId></Object></Delete>";
    let resp = c
        .post(signed("POST", "", &[("delete", "")]))
        .header("content-md5", md5_base64(body.as_bytes()))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    assert!(
        text.contains("<Deleted><Key>vn/m1</Key><VersionId>null</VersionId></Deleted>"),
        "{text}"
    );
    assert!(
        text.contains(
            "<Error><Key>vn/m2</Key><VersionId>abc</VersionId><Code>InvalidArgument</Code>"
        ),
        "{text}"
    );
    assert_eq!(
        c.get(signed("GET", "vn/m1", &[]))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        c.get(signed("GET", "vn/m2", &[]))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_in_memory() {
    let handle = start_memory().await;
    listing(&handle).await;
    version_null(&handle).await;
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_on_disk() {
    let dir = TempDir::new("versions");
    let handle = start_disk(dir.path()).await;
    listing(&handle).await;
    version_null(&handle).await;
    handle.shutdown().await;
}
