//! Requests without a valid signature that try to reach more than COS gives them: tags set
//! through an anonymous write.

mod server_common;

use cos_sign_server as server;
use server_common::*;

fn object_url(key: &str) -> String {
    format!("http://{HOST}{}", url_path(key))
}

/// Makes the default bucket `public-read-write` with a signed PUT Bucket acl.
async fn open_bucket_to_writes(c: &reqwest::Client) {
    let resp = c
        .put(signed("PUT", "", &[("acl", "")]))
        .header("x-cos-acl", "public-read-write")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
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
        let (status, code, body) = error_of(resp).await;
        assert_eq!(
            (status, code.as_str()),
            (403, "AccessDenied"),
            "{key} {tagging:?}"
        );
        assert_eq!(
            xml_field(&body, "Message").as_deref(),
            Some("Access Denied.")
        );
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
