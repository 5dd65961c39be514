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
//! - GET Bucket (List Objects, v1 and v2), GET Bucket Object versions, HEAD Bucket and List
//!   Multipart Uploads: when the
//!   bucket grants AllUsers `READ` (the ACL overview's bucket table: READ, "列出对象",
//!   allows "GetBucket，HeadBucket，GetBucketObjectVersions，ListMultipartUploads").
//! - The writes a bucket's `WRITE` allows, when the bucket grants it to AllUsers
//!   (`public-read-write`, which only a signed PUT Bucket acl or PUT Bucket can set). COS's
//!   ACL overview (<https://cloud.tencent.com/document/product/436/30752>, "操作 Permission",
//!   the bucket table) lists them: WRITE, "上传、覆盖和删除对象", allows "PutObject,
//!   PutObjectCopy, PostObject, InitiateMultipartUpload, UploadPart, UploadPartCopy,
//!   CompleteMultipartUpload, DeleteObject"; and AllUsers "代表了任何人都可以无需授权而访问资源，
//!   无论请求已签名或者未签名" (anyone, signed or not). Served unsigned here:
//!   - PUT Object, DELETE Object;
//!   - PUT Object - Copy and Upload Part - Copy, when the source is one an unsigned GET
//!     could read (it grants AllUsers `READ` itself, or through its bucket when its ACL is
//!     `default`), else 403 and nothing is written; a missing source is 404 only where its
//!     bucket grants AllUsers `READ`. A source with tags is refused too: the copy would
//!     carry them, and tags are their own permission (below);
//!   - Initiate Multipart Upload, Upload Part, Complete Multipart Upload. Conservatively, a
//!     part or a Complete reaches only an upload that an unsigned request initiated: an
//!     upload the owner started with a signed request is 403 to it (nothing in COS's pages
//!     says a stranger may add parts to, or complete, the owner's upload, and the bucket's
//!     owner would lose the say over its object).
//!
//!   None of them may set an ACL (`x-cos-acl`, `x-cos-grant-*`: that needs `WRITE_ACP`) nor
//!   tags (`x-cos-tagging`, or a copy's `x-cos-tagging-directive`, sent at all: tags are
//!   their own permission, `PutObjectTagging`, which no ACL grants; an unsigned
//!   `PUT ?tagging` is refused too). The rest is as signed: the size limits, `Content-MD5`,
//!   the part rules. Abort Multipart Upload and List Parts are not in the list (nor under
//!   READ) and stay refused: an unsigned upload that is never completed is removed by the
//!   server's upload expiry.
//!
//! Everything else (every other sub-resource, `?acl` and `?tagging` included, other
//! buckets' settings) is refused as an unsigned request always was: 403 `AccessDenied`,
//! "Access Denied.". So is POST Object (the form upload) without
//! its signature, in a public-read-write bucket as well: although WRITE names PostObject, the
//! POST Object page (<https://cloud.tencent.com/document/product/436/14690>, "签名保护")
//! marks `policy`, `q-sign-algorithm`, `q-ak`, `q-key-time` and `q-signature` required
//! ("是否必选: 是") and says nothing of an unsigned form; such a form is refused by
//! `post_object` before anything is stored. APPEND Object (`POST ?append`) too: WRITE's
//! list does not name AppendObject, and no COS page says an anonymous append is served.

use super::aws_chunked::ReqBody;
use hyper::HeaderMap;
use hyper::Response;

use super::State;
use super::acl::{self, Acl, Permission, Resource};
use super::error::CosError;
use super::request::VerifiedRequest;
use super::response::{Body, Ctx, Refused, closing_if, discard};
use super::routes::{Op, op_of};
use super::{bucket, copy, multipart, object_ops, tagging};

fn denied() -> CosError {
    CosError::access_denied("Access Denied.")
}

/// The header of a copy that says where its tags come from (the source's or the request's).
const TAGGING_DIRECTIVE: &str = "x-cos-tagging-directive";

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
    // The writes that read a body: refused before any of it is read.
    if matches!(op, Op::PutObject | Op::UploadPart | Op::Complete) {
        let answer = write_with_body(state, ctx, vreq, headers, body, op).await;
        if answer.is_ok() && op != Op::UploadPart {
            super::buckets::written(state, &vreq.bucket, &vreq.host).await;
        }
        return answer;
    }
    let close = discard(state, headers, body).await;
    let result = match op {
        Op::GetObject if !overrides => get(state, ctx, vreq).await,
        Op::ListObjects
        | Op::ListObjectsV2
        | Op::ListVersions
        | Op::HeadBucket
        | Op::ListUploads => match acl::bucket_acl(state, &vreq.bucket).await {
            Ok(b) if b.all_users_may(Permission::Read) => match op {
                Op::ListObjects => bucket::list_objects(state, ctx, vreq).await,
                Op::ListObjectsV2 => super::list_v2::list_objects_v2(state, ctx, vreq).await,
                Op::HeadBucket => super::buckets::head(state, ctx, vreq).await,
                Op::ListVersions => super::versions::list(state, ctx, vreq).await,
                _ => multipart::list_uploads(state, ctx, vreq).await,
            },
            Ok(_) => Err(denied()),
            Err(e) => Err(e),
        },
        Op::DeleteObject => match bucket_writable(state, vreq).await {
            Ok(()) => object_ops::delete(state, ctx, vreq).await,
            Err(e) => Err(e),
        },
        Op::CopyObject | Op::Initiate | Op::UploadPartCopy => match may_write(state, vreq).await {
            Ok(()) if op == Op::CopyObject => copy::copy(state, ctx, vreq).await,
            Ok(()) if op == Op::Initiate => multipart::initiate(state, ctx, vreq).await,
            Ok(()) => copy::upload_part_copy(state, ctx, vreq).await,
            Err(e) => Err(e),
        },
        _ => Err(denied()),
    };
    if result.is_ok() && matches!(op, Op::CopyObject | Op::Initiate) {
        super::buckets::written(state, &vreq.bucket, &vreq.host).await;
    }
    closing_if(result, close)
}

/// Whether the request's bucket grants AllUsers `WRITE`: 403 `AccessDenied` when not.
async fn bucket_writable(state: &State, vreq: &VerifiedRequest) -> Result<(), CosError> {
    if acl::bucket_acl(state, &vreq.bucket)
        .await?
        .all_users_may(Permission::Write)
    {
        Ok(())
    } else {
        Err(denied())
    }
}

/// Whether an unsigned upload (PUT, Copy, Initiate, Upload Part, Upload Part - Copy,
/// Complete) may go on: its bucket grants AllUsers `WRITE`, and it sets no ACL
/// (`x-cos-acl`, `x-cos-grant-*`, malformed ones too: that needs `WRITE_ACP`) and no tags
/// (`x-cos-tagging` or a copy's `x-cos-tagging-directive`, sent at all: tags are their own
/// permission, which no ACL grants).
async fn may_write(state: &State, vreq: &VerifiedRequest) -> Result<(), CosError> {
    let sets_acl =
        Acl::from_headers(|n| vreq.header(n), Resource::Object).map_or(true, |a| a.is_some());
    let sets_tags =
        vreq.header(tagging::STORED_NAME).is_some() || vreq.header(TAGGING_DIRECTIVE).is_some();
    bucket_writable(state, vreq).await?;
    if sets_acl || sets_tags {
        return Err(denied());
    }
    Ok(())
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

/// PUT Object, Upload Part or Complete (`op`), which read the body, decided by
/// [`may_write`] before any of it is read; a part or a Complete reaches only an upload an
/// unsigned request initiated (`multipart::upload_of`).
async fn write_with_body(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
    headers: &HeaderMap,
    body: ReqBody,
    op: Op,
) -> Result<Response<Body>, Refused> {
    if let Err(error) = may_write(state, vreq).await {
        let close = discard(state, headers, body).await;
        return Err(Refused { error, close });
    }
    match op {
        Op::UploadPart => multipart::upload_part(state, ctx, vreq, body).await,
        Op::Complete => multipart::complete(state, ctx, vreq, body).await,
        _ => object_ops::put(state, ctx, vreq, body).await,
    }
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
