//! DELETE Multiple Objects: `POST /?delete` with an XML list of keys and its `Content-MD5`.

use super::aws_chunked::ReqBody;
use hyper::{Response, StatusCode};

use super::State;
use super::body::read_checked_body;
use super::bucket::xml_response;
use super::error::CosError;
use super::multipart::MAX_XML_BODY;
use super::request::{VerifiedRequest, check_key};
use super::response::{Body, Ctx, Refused};
use super::xml::{XmlOut, malformed, parse};

/// Most keys one request may delete.
pub(crate) const MAX_OBJECTS: usize = 1000;

/// The keys and the quiet flag of a `<Delete>` body.
pub(crate) fn delete_list(body: &[u8]) -> Result<(bool, Vec<String>), CosError> {
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
        .map(|o| o.child("Key").map(|k| k.text.clone()).ok_or_else(malformed))
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
    for key in &keys {
        let result = match check_key(key) {
            Err(e) => Err(e),
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
                x.open("Deleted").field("Key", key).close("Deleted");
            }
            Err(e) => {
                x.open("Error")
                    .field("Key", key)
                    .field("Code", e.code)
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
        assert_eq!(keys, ["a", "b&c"]);
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
