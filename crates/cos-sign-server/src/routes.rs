//! The routing table: which operation a verified request asks for.
//!
//! Every request reaches this table only after its signature verified (see `handler`); the
//! table picks the operation from the method, whether the path names an object, the
//! sub-resource params and the copy-source header. Sub-resources this server does not keep
//! (versioning, lifecycle, ...) get COS's `NotImplemented`. A request that names no bucket
//! (a service host) can only be GET Service. Unsigned requests never reach it (they go to
//! `anonymous`); one that did would be refused.

use super::aws_chunked::ReqBody;
use hyper::header::HeaderMap;
use hyper::{Method, Response};

use super::State;
use super::error::not_implemented;
use super::request::VerifiedRequest;
use super::response::{Body, Ctx, Refused, closing_if, discard};
use super::{
    acl, append, bucket, bucket_tagging, buckets, copy, cors_ops, delete_multiple, list_v2,
    multipart, object_ops, tagging, versions,
};

/// The operations of this server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    HeadBucket,
    BucketLocation,
    GetBucketVersioning,
    /// GET of a bucket configuration this server cannot set: its entry of [`NEVER_SET`].
    NeverSet(&'static (&'static str, &'static str, &'static str)),
    ListVersions,
    /// A `versionId` other than `null` (every object is its version `null`).
    InvalidVersion,
    ListObjects,
    ListObjectsV2,
    PutBucket,
    DeleteBucket,
    ListUploads,
    DeleteMultiple,
    GetObject,
    PutObject,
    Append,
    CopyObject,
    DeleteObject,
    Initiate,
    UploadPart,
    UploadPartCopy,
    Complete,
    Abort,
    ListParts,
    GetTagging,
    PutTagging,
    DeleteTagging,
    GetCors,
    PutCors,
    DeleteCors,
    GetObjectAcl,
    PutObjectAcl,
    GetBucketAcl,
    PutBucketAcl,
    GetBucketTagging,
    PutBucketTagging,
    DeleteBucketTagging,
    NotImplemented(&'static str),
}

/// Sub-resources (query params) of COS operations this server does not implement.
pub(crate) const UNSUPPORTED: [&str; 32] = [
    "accelerate",
    "analytics",
    "domain",
    "domaincertificate",
    "encryption",
    "imageInspect",
    "intelligenttiering",
    "inventory",
    "lifecycle",
    "live",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "origin",
    "policy",
    "referer",
    "rename",
    "replication",
    "requestPayment",
    "response-control",
    "restore",
    "retention",
    "select",
    "style",
    "symlink",
    "torrent",
    "versioning",
    "vod",
    "website",
    "ci-process",
    "image_process",
];

/// Bucket configurations this server cannot set (their PUT is `NotImplemented`): a GET of
/// one answers as COS answers for a bucket that never had it, 404 with the code the official
/// SDKs read as "none" (cos-nodejs-sdk-v5 turns each into an empty configuration): the
/// sub-resource, the code, the message.
pub(crate) const NEVER_SET: [(&str, &str, &str); 6] = [
    (
        "lifecycle",
        "NoSuchLifecycleConfiguration",
        "The lifecycle configuration does not exist.",
    ),
    (
        "website",
        "NoSuchWebsiteConfiguration",
        "The specified bucket does not have a website configuration.",
    ),
    (
        "referer",
        "NoSuchRefererConfiguration",
        "The specified bucket does not have a referer configuration.",
    ),
    (
        "encryption",
        "NoSuchEncryptionConfiguration",
        "The server side encryption configuration was not found.",
    ),
    (
        "policy",
        "NoSuchPolicy",
        "The specified bucket does not have a bucket policy.",
    ),
    (
        "replication",
        "ReplicationConfigurationnotFoundError",
        "The replication configuration was not found.",
    ),
];

/// Picks the operation.
pub(crate) fn route(
    method: &Method,
    object: bool,
    params: &[(String, String)],
    copy_source: bool,
) -> Op {
    let has = |n: &str| params.iter().any(|(k, _)| k == n);
    // Reading a bucket's versioning state is answered (never enabled); setting it is not.
    if !object && matches!(method.as_str(), "GET" | "HEAD") && has("versioning") {
        return Op::GetBucketVersioning;
    }
    if !object
        && matches!(method.as_str(), "GET" | "HEAD")
        && let Some(entry) = NEVER_SET.iter().find(|(sub, ..)| has(sub))
    {
        return Op::NeverSet(entry);
    }
    if let Some(sub) = UNSUPPORTED.iter().find(|s| has(s)) {
        return Op::NotImplemented(sub);
    }
    // Versioning was never enabled: `versionId=null` names the object, no other id is one.
    if params
        .iter()
        .any(|(k, v)| k == "versionId" && v != versions::NULL)
    {
        return Op::InvalidVersion;
    }
    match (object, method.as_str()) {
        // APPEND Object is a POST to an object; `append` with anything else is not.
        (true, "POST") if has("append") => Op::Append,
        (_, _) if has("append") => Op::NotImplemented("append"),
        (false, "GET" | "HEAD") if has("cors") => Op::GetCors,
        (false, "PUT") if has("cors") => Op::PutCors,
        (false, "DELETE") if has("cors") => Op::DeleteCors,
        (_, _) if has("cors") => Op::NotImplemented("cors"),
        (true, "GET" | "HEAD") if has("acl") => Op::GetObjectAcl,
        (true, "PUT") if has("acl") => Op::PutObjectAcl,
        (false, "GET" | "HEAD") if has("acl") => Op::GetBucketAcl,
        (false, "PUT") if has("acl") => Op::PutBucketAcl,
        (_, _) if has("acl") => Op::NotImplemented("acl"),
        (false, "GET" | "HEAD") if has("tagging") => Op::GetBucketTagging,
        (false, "PUT") if has("tagging") => Op::PutBucketTagging,
        (false, "DELETE") if has("tagging") => Op::DeleteBucketTagging,
        (false, _) if has("tagging") => Op::NotImplemented("bucket tagging"),
        (true, "GET" | "HEAD") if has("tagging") => Op::GetTagging,
        (true, "PUT") if has("tagging") => Op::PutTagging,
        (true, "DELETE") if has("tagging") => Op::DeleteTagging,
        (true, _) if has("tagging") => Op::NotImplemented("tagging"),
        (false, "GET") if has("versions") => Op::ListVersions,
        (_, _) if has("versions") => Op::NotImplemented("versions"),
        (false, "HEAD") => Op::HeadBucket,
        (false, "GET") if has("uploads") => Op::ListUploads,
        (false, "GET") if has("location") => Op::BucketLocation,
        (false, "GET") if has("list-type") => Op::ListObjectsV2,
        (false, "GET") => Op::ListObjects,
        (false, "PUT") => Op::PutBucket,
        (false, "POST") if has("delete") => Op::DeleteMultiple,
        (false, "DELETE") => Op::DeleteBucket,
        (true, "GET" | "HEAD") if has("uploadId") => Op::ListParts,
        (true, "GET" | "HEAD") => Op::GetObject,
        (true, "PUT") if has("uploadId") || has("partNumber") => {
            if copy_source {
                Op::UploadPartCopy
            } else {
                Op::UploadPart
            }
        }
        (true, "PUT") if copy_source => Op::CopyObject,
        (true, "PUT") => Op::PutObject,
        (true, "POST") if has("uploads") => Op::Initiate,
        (true, "POST") if has("uploadId") => Op::Complete,
        (true, "DELETE") if has("uploadId") => Op::Abort,
        (true, "DELETE") => Op::DeleteObject,
        _ => Op::NotImplemented("this request"),
    }
}

/// The operation a request asks for, and its params (their names and values, decoded).
pub(crate) fn op_of(vreq: &VerifiedRequest) -> (Op, Vec<(String, String)>) {
    let params: Vec<(String, String)> = vreq
        .params()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let op = route(
        &vreq.method,
        !vreq.key.is_empty(),
        &params,
        vreq.header("x-cos-copy-source").is_some(),
    );
    (op, params)
}

/// Runs the operation a verified request asks for. Operations that take no body have what
/// is left of it discarded first.
pub(crate) async fn dispatch(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
    headers: &HeaderMap,
    body: ReqBody,
) -> Result<Response<Body>, Refused> {
    if vreq.anonymous {
        let close = discard(state, headers, body).await;
        let error = super::error::CosError::access_denied("Access Denied.");
        return Err(Refused { error, close });
    }
    if vreq.service {
        let close = discard(state, headers, body).await;
        return closing_if(buckets::service(state, ctx, vreq).await, close);
    }
    let (op, _) = op_of(vreq);
    let answer = run(state, ctx, vreq, headers, body, op).await;
    // A bucket written to is known from then on (`buckets::written`).
    if answer.is_ok()
        && matches!(
            op,
            Op::PutObject | Op::Append | Op::Complete | Op::CopyObject | Op::Initiate
        )
    {
        buckets::written(state, &vreq.bucket, &vreq.host).await;
    }
    answer
}

/// The operation `op` of a verified request.
async fn run(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
    headers: &HeaderMap,
    body: ReqBody,
    op: Op,
) -> Result<Response<Body>, Refused> {
    // Operations that read the request body.
    match op {
        Op::PutObject => return object_ops::put(state, ctx, vreq, body).await,
        Op::Append => return append::append(state, ctx, vreq, body).await,
        Op::PutTagging => return tagging::put(state, ctx, vreq, body).await,
        Op::PutCors => return cors_ops::put(state, ctx, vreq, body).await,
        Op::PutObjectAcl => return acl::put_object(state, ctx, vreq, body).await,
        Op::PutBucketAcl => return acl::put_bucket(state, ctx, vreq, body).await,
        Op::PutBucketTagging => return bucket_tagging::put(state, ctx, vreq, body).await,
        Op::UploadPart => return multipart::upload_part(state, ctx, vreq, body).await,
        Op::Complete => return multipart::complete(state, ctx, vreq, body).await,
        Op::DeleteMultiple => return delete_multiple::delete(state, ctx, vreq, body).await,
        _ => {}
    }
    let close = discard(state, headers, body).await;
    let result = match op {
        Op::HeadBucket => buckets::head(state, ctx, vreq).await,
        Op::BucketLocation => bucket::location(ctx, vreq),
        Op::GetBucketVersioning => Ok(bucket::versioning(ctx)),
        Op::ListVersions => versions::list(state, ctx, vreq).await,
        Op::NeverSet((_, code, message)) => Err(super::error::CosError::new(
            hyper::StatusCode::NOT_FOUND,
            code,
            *message,
        )),
        Op::InvalidVersion => Err(versions::invalid_version()),
        Op::ListObjects => bucket::list_objects(state, ctx, vreq).await,
        Op::ListObjectsV2 => list_v2::list_objects_v2(state, ctx, vreq).await,
        Op::PutBucket => buckets::create(state, ctx, vreq).await,
        Op::DeleteBucket => buckets::delete(state, ctx, vreq).await,
        Op::ListUploads => multipart::list_uploads(state, ctx, vreq).await,
        Op::GetObject => object_ops::get(state, ctx, vreq).await,
        Op::DeleteObject => object_ops::delete(state, ctx, vreq).await,
        Op::Initiate => multipart::initiate(state, ctx, vreq).await,
        Op::Abort => multipart::abort(state, ctx, vreq).await,
        Op::ListParts => multipart::list_parts(state, ctx, vreq).await,
        Op::GetTagging => tagging::get(state, ctx, vreq).await,
        Op::DeleteTagging => tagging::delete(state, ctx, vreq).await,
        Op::GetCors => cors_ops::get(state, ctx, vreq).await,
        Op::DeleteCors => cors_ops::delete(state, ctx, vreq).await,
        Op::GetObjectAcl => acl::get_object(state, ctx, vreq).await,
        Op::GetBucketAcl => acl::get_bucket(state, ctx, vreq).await,
        Op::GetBucketTagging => bucket_tagging::get(state, ctx, vreq).await,
        Op::DeleteBucketTagging => bucket_tagging::delete(state, ctx, vreq).await,
        Op::NotImplemented(what) => Err(not_implemented(what)),
        Op::CopyObject => copy::copy(state, ctx, vreq).await,
        Op::UploadPartCopy => copy::upload_part_copy(state, ctx, vreq).await,
        Op::PutObject
        | Op::Append
        | Op::PutTagging
        | Op::PutCors
        | Op::PutObjectAcl
        | Op::PutBucketAcl
        | Op::PutBucketTagging
        | Op::UploadPart
        | Op::Complete
        | Op::DeleteMultiple => Err(not_implemented("unreachable")),
    };
    closing_if(result, close)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(names: &[&str]) -> Vec<(String, String)> {
        names
            .iter()
            .map(|n| ((*n).to_owned(), String::new()))
            .collect()
    }

    #[test]
    fn routing_table() {
        let r = |m: Method, object, params: &[&str], copy| route(&m, object, &p(params), copy);
        assert_eq!(r(Method::HEAD, false, &[], false), Op::HeadBucket);
        assert_eq!(r(Method::GET, false, &["prefix"], false), Op::ListObjects);
        assert_eq!(r(Method::GET, false, &["uploads"], false), Op::ListUploads);
        assert_eq!(
            r(Method::GET, false, &["list-type", "prefix"], false),
            Op::ListObjectsV2
        );
        assert_eq!(
            r(Method::POST, false, &["delete"], false),
            Op::DeleteMultiple
        );
        assert_eq!(r(Method::PUT, false, &[], false), Op::PutBucket);
        assert_eq!(r(Method::PUT, true, &[], false), Op::PutObject);
        assert_eq!(r(Method::PUT, true, &[], true), Op::CopyObject);
        assert_eq!(
            r(Method::PUT, true, &["partNumber", "uploadId"], false),
            Op::UploadPart
        );
        assert_eq!(
            r(Method::PUT, true, &["partNumber", "uploadId"], true),
            Op::UploadPartCopy
        );
        assert_eq!(r(Method::POST, true, &["uploads"], false), Op::Initiate);
        assert_eq!(r(Method::POST, true, &["uploadId"], false), Op::Complete);
        assert_eq!(r(Method::DELETE, true, &["uploadId"], false), Op::Abort);
        assert_eq!(r(Method::GET, true, &["uploadId"], false), Op::ListParts);
        assert_eq!(r(Method::GET, true, &[], false), Op::GetObject);
        assert_eq!(r(Method::DELETE, true, &[], false), Op::DeleteObject);
        assert_eq!(r(Method::GET, false, &["acl"], false), Op::GetBucketAcl);
        assert_eq!(r(Method::PUT, false, &["acl"], false), Op::PutBucketAcl);
        assert_eq!(r(Method::GET, true, &["acl"], false), Op::GetObjectAcl);
        assert_eq!(r(Method::HEAD, true, &["acl"], false), Op::GetObjectAcl);
        // The sub-resource wins over the upload params, the copy source and tagging.
        assert_eq!(
            r(Method::PUT, true, &["acl", "tagging", "uploadId"], true),
            Op::PutObjectAcl
        );
        assert_eq!(
            r(Method::DELETE, true, &["acl"], false),
            Op::NotImplemented("acl")
        );
        assert_eq!(
            r(Method::PUT, false, &["versioning"], false),
            Op::NotImplemented("versioning")
        );
        assert_eq!(
            r(Method::GET, false, &["versioning"], false),
            Op::GetBucketVersioning
        );
        for entry in &NEVER_SET {
            let sub = entry.0;
            assert_eq!(r(Method::GET, false, &[sub], false), Op::NeverSet(entry));
            assert_eq!(
                r(Method::PUT, false, &[sub], false),
                Op::NotImplemented(sub)
            );
            assert_eq!(r(Method::GET, true, &[sub], false), Op::NotImplemented(sub));
        }
        assert_eq!(
            r(Method::GET, true, &["versioning"], false),
            Op::NotImplemented("versioning")
        );
        assert_eq!(r(Method::PUT, true, &["tagging"], false), Op::PutTagging);
        assert_eq!(r(Method::GET, true, &["tagging"], false), Op::GetTagging);
        assert_eq!(
            r(Method::DELETE, true, &["tagging"], false),
            Op::DeleteTagging
        );
        // The sub-resource wins over the upload params and the copy source.
        assert_eq!(
            r(
                Method::PUT,
                true,
                &["tagging", "partNumber", "uploadId"],
                true
            ),
            Op::PutTagging
        );
        assert_eq!(
            r(Method::DELETE, true, &["tagging", "uploadId"], false),
            Op::DeleteTagging
        );
        assert_eq!(
            r(Method::POST, true, &["tagging"], false),
            Op::NotImplemented("tagging")
        );
        assert_eq!(
            r(Method::GET, false, &["tagging"], false),
            Op::GetBucketTagging
        );
        assert_eq!(
            r(Method::HEAD, false, &["tagging"], false),
            Op::GetBucketTagging
        );
        assert_eq!(
            r(Method::PUT, false, &["tagging"], false),
            Op::PutBucketTagging
        );
        assert_eq!(
            r(Method::POST, false, &["tagging"], false),
            Op::NotImplemented("bucket tagging")
        );
        // Every object is its version `null`.
        assert_eq!(
            r(Method::GET, true, &["tagging", "versionId"], false),
            Op::InvalidVersion
        );
        let null = |names: &[&str]| {
            let mut v = p(names);
            v.push(("versionId".to_owned(), "null".to_owned()));
            v
        };
        assert_eq!(route(&Method::GET, true, &null(&[]), false), Op::GetObject);
        assert_eq!(
            route(&Method::DELETE, true, &null(&[]), false),
            Op::DeleteObject
        );
        assert_eq!(
            route(&Method::GET, true, &null(&["tagging"]), false),
            Op::GetTagging
        );
        assert_eq!(
            r(Method::GET, false, &["versions"], false),
            Op::ListVersions
        );
        assert_eq!(
            r(Method::GET, false, &["versions", "prefix"], false),
            Op::ListVersions
        );
        assert_eq!(
            r(Method::DELETE, false, &["versions"], false),
            Op::NotImplemented("versions")
        );
        assert_eq!(r(Method::PUT, false, &["cors"], false), Op::PutCors);
        assert_eq!(r(Method::GET, false, &["cors"], false), Op::GetCors);
        assert_eq!(r(Method::HEAD, false, &["cors"], false), Op::GetCors);
        assert_eq!(r(Method::DELETE, false, &["cors"], false), Op::DeleteCors);
        assert_eq!(
            r(Method::POST, false, &["cors"], false),
            Op::NotImplemented("cors")
        );
        // An object has no CORS rules of its own; the sub-resource wins over a copy source.
        assert_eq!(
            r(Method::PUT, true, &["cors"], true),
            Op::NotImplemented("cors")
        );
        assert_eq!(r(Method::GET, false, &["cors", "acl"], false), Op::GetCors);
        assert!(matches!(
            r(Method::POST, true, &[], false),
            Op::NotImplemented(_)
        ));
        assert_eq!(r(Method::DELETE, false, &[], false), Op::DeleteBucket);
        // APPEND Object wins over every other sub-resource and the copy source; `append`
        // elsewhere is not implemented (a PUT with it is no PUT Object).
        assert_eq!(
            r(Method::POST, true, &["append", "position"], false),
            Op::Append
        );
        assert_eq!(
            r(Method::POST, true, &["append", "acl", "uploads"], true),
            Op::Append
        );
        for (m, object) in [
            (Method::PUT, true),
            (Method::GET, true),
            (Method::POST, false),
        ] {
            assert_eq!(
                r(m, object, &["append", "position"], false),
                Op::NotImplemented("append")
            );
        }
        assert_eq!(
            r(Method::DELETE, false, &["tagging"], false),
            Op::DeleteBucketTagging
        );
    }
}
