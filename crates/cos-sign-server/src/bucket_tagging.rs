//! Bucket tags: PUT, GET and DELETE Bucket tagging (`/?tagging`), signed and verified as
//! every other request, and the bucket tags GET Service filters by (`tagkey`/`tagvalue`).
//!
//! COS's rules (PUT Bucket tagging, <https://www.tencentcloud.com/document/api/436/8281>;
//! the bucket tag overview, <https://www.tencentcloud.com/document/product/436/31509>):
//! at most [`MAX_BUCKET_TAGS`] tags per bucket, keys and values as for object tags (see
//! `tagging`: 1 to 128 and 0 to 256 characters of letters, digits, spaces and
//! `+ - _ = / . : @`, keys unique), no key starting with `qcs:` or `project` (kept for the
//! system); a tag that breaks them is 400 `InvalidTag`, a body that is no `Tagging`
//! document 400 `MalformedXML`. PUT answers 204 and replaces every tag. GET answers the
//! same `Tagging` document; on a bucket without tags it is 404 `NoSuchTagSet` (the code the
//! official JavaScript SDKs, cos-js-sdk-v5 and cos-nodejs-sdk-v5, read as "no tags" in
//! getBucketTagging; GET Bucket tagging's page names none). DELETE answers 204, or 404
//! `NoSuchTagSetError` without tags (DELETE Bucket tagging's error table,
//! <https://intl.cloud.tencent.com/document/product/436/8286>).
//!
//! The tags are a bucket setting (`bucket_config`, the setting `tagging`: the GET
//! document, read back through the checks of a PUT body), so they live in memory or on disk
//! with the bucket's ACL and CORS rules, survive a restart, and go when DELETE Bucket
//! removes the bucket's settings.

use super::aws_chunked::ReqBody;
use hyper::{Response, StatusCode};

use super::State;
use super::body::read_checked_body;
use super::bucket::xml_response;
use super::error::CosError;
use super::request::VerifiedRequest;
use super::response::{Body, Ctx, Refused, no_content};
use super::tagging::{TagRules, Tags, stored};

/// Most tags one bucket may have (COS: "up to 50 different tags for a single bucket").
pub(crate) const MAX_BUCKET_TAGS: usize = 50;
/// Largest PUT Bucket tagging body read: fifty tags of the longest keys and values, each
/// character written as a character reference, fit.
pub(crate) const MAX_BUCKET_TAGGING_BODY: usize = 256 * 1024;

/// The name of a bucket's tags among its settings.
const SETTING: &str = "tagging";

/// The rules of bucket tags.
pub(crate) const BUCKET_TAGS: TagRules = TagRules {
    max_tags: MAX_BUCKET_TAGS,
    what: "A bucket",
    reserved: &["qcs:", "project"],
};

/// GET's answer on a bucket without tags (`NoSuchTagSet`), or DELETE's
/// (`NoSuchTagSetError`).
fn no_tag_set(code: &'static str) -> CosError {
    CosError::new(
        StatusCode::NOT_FOUND,
        code,
        "There is no tag set associated with the bucket.",
    )
}

/// The tags of `bucket`, if it has any.
pub(crate) async fn tags_of(state: &State, bucket: &str) -> Result<Option<Tags>, CosError> {
    let text = state
        .buckets
        .get(bucket, SETTING)
        .await
        .map_err(CosError::storage)?;
    text.map(|t| stored(&t, &BUCKET_TAGS)).transpose()
}

/// Every bucket with tags, and its tags (in no particular order).
pub(crate) async fn tagged_buckets(state: &State) -> Result<Vec<(String, Tags)>, CosError> {
    let all = state
        .buckets
        .with_setting(SETTING)
        .await
        .map_err(CosError::storage)?;
    all.into_iter()
        .map(|(bucket, text)| Ok((bucket, stored(&text, &BUCKET_TAGS)?)))
        .collect()
}

/// GET Bucket tagging (HEAD too, without a body).
pub(crate) async fn get(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
) -> Result<Response<Body>, CosError> {
    let tags = tags_of(state, &vreq.bucket)
        .await?
        .filter(|t| !t.is_empty())
        .ok_or_else(|| no_tag_set("NoSuchTagSet"))?;
    Ok(xml_response(ctx, StatusCode::OK, tags.to_xml()))
}

/// PUT Bucket tagging: the body's tags replace the bucket's; an empty `TagSet` removes
/// them. `Content-MD5` is checked when sent (qcloud_cos sends one).
pub(crate) async fn put(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
    body: ReqBody,
) -> Result<Response<Body>, Refused> {
    let body = read_checked_body(state, vreq, body, MAX_BUCKET_TAGGING_BODY, false).await?;
    let tags = Tags::from_xml_with(&body, &BUCKET_TAGS)?;
    let done = if tags.is_empty() {
        state.buckets.delete(&vreq.bucket, SETTING).await
    } else {
        let text = String::from_utf8_lossy(&tags.to_xml()).into_owned();
        state.buckets.put(&vreq.bucket, SETTING, &text).await
    };
    done.map_err(CosError::storage)?;
    Ok(no_content(ctx))
}

/// DELETE Bucket tagging: 204, or 404 `NoSuchTagSetError` for a bucket without tags.
pub(crate) async fn delete(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
) -> Result<Response<Body>, CosError> {
    if tags_of(state, &vreq.bucket).await?.is_none() {
        return Err(no_tag_set("NoSuchTagSetError"));
    }
    state
        .buckets
        .delete(&vreq.bucket, SETTING)
        .await
        .map_err(CosError::storage)?;
    Ok(no_content(ctx))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(n: usize, key: impl Fn(usize) -> String) -> String {
        let tags: String = (0..n)
            .map(|i| format!("<Tag><Key>{}</Key><Value>v{i}</Value></Tag>", key(i)))
            .collect();
        format!("<Tagging><TagSet>{tags}</TagSet></Tagging>")
    }

    #[test]
    fn bucket_rules_allow_fifty_tags_and_refuse_system_keys() {
        let fifty = body_of(50, |i| format!("k{i}"));
        let tags = Tags::from_xml_with(fifty.as_bytes(), &BUCKET_TAGS).unwrap();
        assert_eq!(tags.len(), 50);
        assert!(tags.has("k49", "v49") && !tags.has("k49", "v48"));
        // Read back from its stored form whole.
        let text = String::from_utf8(tags.to_xml()).unwrap();
        assert_eq!(stored(&text, &BUCKET_TAGS).unwrap(), tags);
        // Object tags stop at ten.
        assert_eq!(
            Tags::from_xml(fifty.as_bytes()).unwrap_err().code,
            "InvalidTag"
        );
        let fifty_one = body_of(51, |i| format!("k{i}"));
        let e = Tags::from_xml_with(fifty_one.as_bytes(), &BUCKET_TAGS).unwrap_err();
        assert_eq!(e.code, "InvalidTag");
        for reserved in ["qcs:x", "project", "projectA"] {
            let b = body_of(1, |_| reserved.to_owned());
            let e = Tags::from_xml_with(b.as_bytes(), &BUCKET_TAGS).unwrap_err();
            assert_eq!(e.code, "InvalidTag", "{reserved}");
        }
        // Allowed elsewhere in the key, and for object tags.
        let b = body_of(1, |_| "my-project".to_owned());
        assert!(Tags::from_xml_with(b.as_bytes(), &BUCKET_TAGS).is_ok());
        let b = body_of(1, |_| "qcs:x".to_owned());
        assert!(Tags::from_xml(b.as_bytes()).is_ok());
        assert_eq!(
            stored("<x/>", &BUCKET_TAGS).unwrap_err().code,
            "InternalError"
        );
    }
}
