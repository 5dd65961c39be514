//! Requests without any signature (no `Authorization`, no `q-*` params), as COS serves them:
//! only what the ACLs open to everyone (the AllUsers group), and exactly as a signed request
//! for the same thing would be answered.
//!
//! - GET and HEAD Object: when the object grants AllUsers `READ` (`public-read`), or its ACL
//!   is `default` and its bucket grants it (`public-read`, `public-read-write`). A missing
//!   key in a bucket that grants AllUsers `READ` is 404 `NoSuchKey` (anyone may list it
//!   anyway); elsewhere 403. `Range` and the `If-*` conditions apply; a `response-*` param is
//!   refused ("a request with response-* params must be signed", GET Object,
//!   <https://cloud.tencent.com/document/product/436/7753>).
//! - GET Bucket (List Objects): when the bucket grants AllUsers `READ` (the ACL overview:
//!   READ on a bucket lists and reads its objects).
//! - PUT and DELETE Object: when the bucket grants AllUsers `WRITE` (`public-read-write`,
//!   which only a signed PUT Bucket acl or PUT Bucket can set: the ACL overview says WRITE
//!   "creates, overwrites and deletes any object in the bucket"). Such a PUT may not set an
//!   ACL (`x-cos-acl`, `x-cos-grant-*`: that needs `WRITE_ACP`), nor tags (`x-cos-tagging`,
//!   sent at all: tags are their own permission, `PutObjectTagging`, which no ACL grants; an
//!   unsigned `PUT ?tagging` is refused too).
//!
//! Everything else (every other sub-resource, `?acl` and `?tagging` included, copies,
//! multipart uploads, HEAD Bucket, other buckets' settings) is refused as an unsigned request
//! always was: 403 `AccessDenied`, "Access Denied.". APPEND Object (`POST ?append`) too, in
//! a public-read-write bucket as well: the ACL overview's list of what a bucket's WRITE
//! allows (PutObject, PutObjectCopy, PostObject, InitiateMultipartUpload, UploadPart,
//! UploadPartCopy, CompleteMultipartUpload, DeleteObject,
//! <https://cloud.tencent.com/document/product/436/30752>) does not name AppendObject, and
//! no COS page says an anonymous append is served.

use super::aws_chunked::ReqBody;
use hyper::HeaderMap;
use hyper::Response;

use super::State;
use super::acl::{self, Acl, Permission, Resource};
use super::error::CosError;
use super::request::VerifiedRequest;
use super::response::{Body, Ctx, Refused, closing_if, discard};
use super::routes::{Op, op_of};
use super::{bucket, object_ops, tagging};

fn denied() -> CosError {
    CosError::access_denied("Access Denied.")
}

/// Serves an anonymous request (see the module docs).
pub(crate) async fn dispatch(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
    headers: &HeaderMap,
    body: ReqBody,
) -> Result<Response<Body>, Refused> {
    let (op, params) = op_of(vreq);
    let overrides = params.iter().any(|(k, _)| k.starts_with("response-"));
    if op == Op::PutObject {
        let answer = put(state, ctx, vreq, headers, body).await;
        if answer.is_ok() {
            super::buckets::written(state, &vreq.bucket, &vreq.host).await;
        }
        return answer;
    }
    let close = discard(state, headers, body).await;
    let result = match op {
        Op::GetObject if !overrides => get(state, ctx, vreq).await,
        Op::ListObjects | Op::ListObjectsV2 => match acl::bucket_acl(state, &vreq.bucket).await {
            Ok(b) if b.all_users_may(Permission::Read) => {
                if op == Op::ListObjects {
                    bucket::list_objects(state, ctx, vreq).await
                } else {
                    super::list_v2::list_objects_v2(state, ctx, vreq).await
                }
            }
            Ok(_) => Err(denied()),
            Err(e) => Err(e),
        },
        Op::DeleteObject => match acl::bucket_acl(state, &vreq.bucket).await {
            Ok(b) if b.all_users_may(Permission::Write) => {
                object_ops::delete(state, ctx, vreq).await
            }
            Ok(_) => Err(denied()),
            Err(e) => Err(e),
        },
        _ => Err(denied()),
    };
    closing_if(result, close)
}

/// GET or HEAD Object, decided on the object read.
async fn get(state: &State, ctx: &Ctx, vreq: &VerifiedRequest) -> Result<Response<Body>, CosError> {
    let bucket = acl::bucket_acl(state, &vreq.bucket).await?;
    object_ops::get_if(state, ctx, vreq, |meta| match meta {
        Some(m) if acl::anonymous_may_read(&Acl::of(&m.headers), &bucket) => Ok(()),
        None if bucket.all_users_may(Permission::Read) => Err(CosError::no_such_key()),
        _ => Err(denied()),
    })
    .await
}

/// PUT Object into a bucket that grants AllUsers `WRITE`, without ACL or tagging headers.
async fn put(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
    headers: &HeaderMap,
    body: ReqBody,
) -> Result<Response<Body>, Refused> {
    let sets_acl =
        Acl::from_headers(|n| vreq.header(n), Resource::Object).map_or(true, |a| a.is_some());
    let sets_tags = vreq.header(tagging::STORED_NAME).is_some();
    let refusal = match acl::bucket_acl(state, &vreq.bucket).await {
        Ok(b) if b.all_users_may(Permission::Write) && !sets_acl && !sets_tags => None,
        Ok(_) => Some(denied()),
        Err(e) => Some(e),
    };
    if let Some(error) = refusal {
        let close = discard(state, headers, body).await;
        return Err(Refused { error, close });
    }
    object_ops::put(state, ctx, vreq, body).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::StatusCode;

    #[test]
    fn denial_is_the_unsigned_answer() {
        let e = denied();
        assert_eq!((e.status, e.code), (StatusCode::FORBIDDEN, "AccessDenied"));
        assert_eq!(e.message, "Access Denied.");
    }
}
