//! GET Bucket with `list-type=2` (S3's ListObjectsV2, which the AWS SDKs call): the same
//! listing as List Objects v1 (`prefix`, `delimiter`, `max-keys`, `encoding-type=url`, keys in
//! UTF-8 byte order), paged by `continuation-token` (opaque: the base64url of the last key or
//! common prefix of the page before) or `start-after`; `KeyCount` counts the keys and common
//! prefixes of the page; `Owner` only with `fetch-owner=true`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hyper::{Response, StatusCode};

use super::State;
use super::bucket::{Listing, MAX_KEYS, listed, listing_xml, owner, page, xml_response};
use super::error::CosError;
use super::request::VerifiedRequest;
use super::response::{Body, Ctx};

fn bad(message: &str) -> CosError {
    CosError::new(StatusCode::BAD_REQUEST, "InvalidArgument", message)
}

/// The key a continuation token stands for.
fn token_key(token: &str) -> Result<String, CosError> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| bad("The continuation token provided is incorrect."))
}

/// GET Bucket?list-type=2.
pub(crate) async fn list_objects_v2(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
) -> Result<Response<Body>, CosError> {
    if vreq.param("list-type") != Some("2") {
        return Err(bad("list-type must be 2."));
    }
    let bucket = vreq.bucket.as_str();
    let token = vreq.param("continuation-token");
    let start_after = vreq.param("start-after").unwrap_or("");
    let fetch_owner = match vreq.param("fetch-owner") {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(_) => return Err(bad("fetch-owner must be true or false.")),
    };
    let marker = match token {
        Some(t) => token_key(t)?,
        None => start_after.to_owned(),
    };
    let l = Listing::parse(vreq, "max-keys", MAX_KEYS)?;
    let objects = listed(state, bucket, l.prefix).await?;
    let keys: Vec<&str> = objects.iter().map(|(k, _)| k.as_str()).collect();
    let (entries, next) = page(&keys, l.prefix, l.delimiter, &marker, l.max);
    let owner = owner(bucket);

    let mut x = listing_xml("ListBucketResult", ("Name", bucket), "EncodingType", l.url);
    x.field("Prefix", &l.enc(l.prefix));
    if let Some(t) = token {
        x.field("ContinuationToken", t);
    }
    if !start_after.is_empty() {
        x.field("StartAfter", &l.enc(start_after));
    }
    x.field("KeyCount", &entries.len().to_string())
        .field("MaxKeys", &l.max.to_string());
    l.delimiter_field(&mut x);
    x.field("IsTruncated", if next.is_some() { "true" } else { "false" });
    if let Some(n) = next {
        x.field("NextContinuationToken", &URL_SAFE_NO_PAD.encode(n));
    }
    l.contents(&mut x, &entries, &objects, fetch_owner.then_some(owner));
    l.entry_prefixes(&mut x, &entries);
    Ok(xml_response(ctx, StatusCode::OK, x.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_refuse_garbage() {
        let t = URL_SAFE_NO_PAD.encode("a/b c");
        assert_eq!(token_key(&t).ok().as_deref(), Some("a/b c"));
        assert_eq!(
            token_key("***").err().map(|e| e.code),
            Some("InvalidArgument")
        );
    }
}
