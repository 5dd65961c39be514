//! DELETE Multiple Objects: `POST /?delete` with an XML list of keys and its `Content-MD5`.
//! An `<Object>`'s `<VersionId>` may be `null`, the only version of an object here (see
//! `versions`), echoed in its `<Deleted>`; another id is that key's 400 `InvalidArgument`.

use super::aws_chunked::ReqBody;
use hyper::{Response, StatusCode};

use super::State;
use super::body::read_checked_body;
use super::bucket::xml_response;
use super::error::CosError;
use super::multipart::MAX_XML_BODY;
use super::request::{VerifiedRequest, check_key};
use super::response::{Body, Ctx, Refused};
use super::versions;
use super::xml::{XmlOut, malformed, parse};

/// Most keys one request may delete.
pub(crate) const MAX_OBJECTS: usize = 1000;

/// One `<Object>` of a `<Delete>` body: its key and version id.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Named {
    pub key: String,
    pub version: Option<String>,
}

/// The objects and the quiet flag of a `<Delete>` body.
pub(crate) fn delete_list(body: &[u8]) -> Result<(bool, Vec<Named>), CosError> {
    let root = parse(body)?;
    if root.name != "Delete" {
        return Err(malformed());
    }
    let quiet = match root.child("Quiet").map(|q| q.text.trim()) {
        None => false,
        Some(q) if q.eq_ignore_ascii_case("true") => true,
        Some(q) if q.eq_ignore_ascii_case("false") => false,
        Some(_) => return Err(malformed()),
    };
    let keys = root
        .all("Object")
        .map(|o| {
            let key = o
                .child("Key")
                .map(|k| k.text.clone())
                .ok_or_else(malformed)?;
            let version = o.child("VersionId").map(|v| v.text.clone());
            Ok(Named { key, version })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if keys.is_empty() || keys.len() > MAX_OBJECTS {
        return Err(malformed());
    }
    Ok((quiet, keys))
}

/// POST Bucket?delete.
pub(crate) async fn delete(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
    body: ReqBody,
) -> Result<Response<Body>, Refused> {
    let body = read_checked_body(state, vreq, body, MAX_XML_BODY, true).await?;
    let (quiet, keys) = delete_list(&body)?;
    let mut x = XmlOut::new("DeleteResult");
    for Named { key, version } in &keys {
        let result = match check_key(key) {
            Err(e) => Err(e),
            Ok(()) if version.as_deref().is_some_and(|v| v != versions::NULL) => {
                Err(versions::invalid_version())
            }
            Ok(()) if key.is_empty() => Err(CosError::new(
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                "The key is empty.",
            )),
            Ok(()) => state
                .store
                .delete(&vreq.bucket, key)
                .await
                .map_err(|e| CosError::internal(format!("delete failed: {e}"))),
        };
        match result {
            Ok(()) if quiet => {}
            Ok(()) => {
                x.open("Deleted").field("Key", key);
                if let Some(v) = version {
                    x.field("VersionId", v);
                }
                x.close("Deleted");
            }
            Err(e) => {
                x.open("Error").field("Key", key);
                if let Some(v) = version {
                    x.field("VersionId", v);
                }
                x.field("Code", e.code)
                    .field("Message", &e.message)
                    .close("Error");
            }
        }
    }
    Ok(xml_response(ctx, StatusCode::OK, x.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_bodies() {
        let (quiet, keys) = delete_list(
            b"<Delete><Quiet>true</Quiet><Object><Key>a</Key></Object><Object><Key>b&amp;c</Key></Object></Delete>",
        )
        .unwrap();
        assert!(quiet);
        let named = |key: &str, version: Option<&str>| Named {
            key: key.to_owned(),
            version: version.map(str::to_owned),
        };
        assert_eq!(keys, [named("a", None), named("b&c", None)]);
        let (_, keys) = delete_list(
            b"<Delete><Object><Key>a</Key><VersionId>null</VersionId></Object></Delete>",
        )
        .unwrap();
        assert_eq!(keys, [named("a", Some("null"))]);
        let (quiet, _) = delete_list(b"<Delete><Object><Key>a</Key></Object></Delete>").unwrap();
        assert!(!quiet);
        assert!(delete_list(b"<Delete></Delete>").is_err());
        assert!(delete_list(b"<Delete><Object></Object></Delete>").is_err());
        assert!(
            delete_list(b"<Delete><Quiet>maybe</Quiet><Object><Key>a</Key></Object></Delete>")
                .is_err()
        );
        let many = format!(
            "<Delete>{}</Delete>",
            "<Object><Key>k</Key></Object>".repeat(1001)
        );
        assert!(delete_list(many.as_bytes()).is_err());
    }
}
