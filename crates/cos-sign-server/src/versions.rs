//! Object versions, as COS answers them for a bucket that never had versioning enabled (the
//! only kind this server keeps; GET Bucket versioning says so): each object is its one
//! version, `null`, and the latest.
//!
//! - GET Bucket Object versions (`GET /?versions`): the objects as `<Version>` entries with
//!   `<VersionId>null</VersionId>` and `<IsLatest>true</IsLatest>`, with `prefix`,
//!   `delimiter`, `encoding-type`, `max-keys` (at most 1,000) and the `key-marker` /
//!   `version-id-marker` pair of the previous page's `NextKeyMarker` / `NextVersionIdMarker`.
//! - `versionId=null` on an object request names the object itself; another version id is
//!   400 `InvalidArgument` (there is no other version). The routing table reads it.

use hyper::{Response, StatusCode};

use super::State;
use super::bucket::{
    Entry, Listing, MAX_KEYS, invalid_argument, listed, listing_xml, owner, page, storage_class,
    xml_response,
};
use super::error::CosError;
use super::request::VerifiedRequest;
use super::response::{Body, Ctx};
use super::xml::iso8601;

/// The version id of every object on this server.
pub(crate) const NULL: &str = "null";

/// 400 `InvalidArgument` for a version id other than `null`.
pub(crate) fn invalid_version() -> CosError {
    invalid_argument("Invalid version id specified.")
}

/// GET Bucket Object versions.
pub(crate) async fn list(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
) -> Result<Response<Body>, CosError> {
    let bucket = vreq.bucket.as_str();
    let key_marker = vreq.param("key-marker").unwrap_or("");
    let version_marker = vreq.param("version-id-marker").unwrap_or("");
    if !version_marker.is_empty() {
        if key_marker.is_empty() {
            return Err(invalid_argument(
                "A version-id-marker cannot be specified without a key-marker.",
            ));
        }
        if version_marker != NULL {
            return Err(invalid_version());
        }
    }
    let l = Listing::parse(vreq, "max-keys", MAX_KEYS)?;
    let objects = listed(state, bucket, l.prefix).await?;
    let keys: Vec<&str> = objects.iter().map(|(k, _)| k.as_str()).collect();
    // A key's only version is `null`: the page after a key (its `null` version or all of
    // its versions) starts at the next key.
    let (entries, next) = page(&keys, l.prefix, l.delimiter, key_marker, l.max);
    let owner = owner(bucket);

    let mut x = listing_xml(
        "ListVersionsResult",
        ("Name", bucket),
        "EncodingType",
        l.url,
    );
    x.field("Prefix", &l.enc(l.prefix))
        .field("KeyMarker", &l.enc(key_marker))
        .field("VersionIdMarker", version_marker)
        .field("MaxKeys", &l.max.to_string());
    l.delimiter_field(&mut x);
    x.field("IsTruncated", if next.is_some() { "true" } else { "false" });
    if let Some(n) = next {
        let after_key = entries.last().is_some_and(|e| matches!(e, Entry::Key(_)));
        x.field("NextKeyMarker", &l.enc(n))
            .field("NextVersionIdMarker", if after_key { NULL } else { "" });
    }
    l.entry_prefixes(&mut x, &entries);
    for e in &entries {
        let Entry::Key(i) = e else { continue };
        let Some((key, meta)) = objects.get(*i) else {
            continue;
        };
        x.open("Version")
            .field("Key", &l.enc(key))
            .field("VersionId", NULL)
            .field("IsLatest", "true")
            .field("LastModified", &iso8601(meta.modified))
            .field("ETag", &format!("\"{}\"", meta.etag))
            .field("Size", &meta.len.to_string())
            .field("StorageClass", storage_class(&meta.headers))
            .person("Owner", owner)
            .close("Version");
    }
    Ok(xml_response(ctx, StatusCode::OK, x.finish()))
}
