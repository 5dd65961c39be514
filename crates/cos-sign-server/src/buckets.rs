//! The life of a bucket: PUT Bucket (create), DELETE Bucket, GET Service (list buckets).
//!
//! Buckets still exist implicitly: every valid name can be written and read without being
//! created (see `bucket`), and HEAD Bucket answers 200 for any of them but one that DELETE
//! Bucket deleted and nothing created or wrote to since (404 `NoSuchBucket`). On top of that a
//! bucket is *known* when PUT Bucket created it, or once an object or a multipart upload
//! was written to it (as on COS, where a bucket that held objects stays until DELETE
//! Bucket), or while it holds objects or uploads (a disk store written before writes were
//! recorded). Its creation is recorded among its settings (`bucket_config`, the setting
//! `bucket`: the time and the region), so on disk it survives a restart.
//!
//! - PUT Bucket: 200 for a bucket not known yet, recorded as created now, in the region its
//!   Host names (else the server's region, [`crate::Config::region`]), with the ACL of its
//!   `x-cos-acl`/`x-cos-grant-*` headers if any; 409 `BucketAlreadyOwnedByYou` for a known
//!   one (its ACL unchanged).
//! - DELETE Bucket: 409 `BucketNotEmpty` while it holds objects or uploads; 404
//!   `NoSuchBucket` when it is not known; else 204, its record and every setting (ACL, CORS
//!   rules, tags) removed, so a new PUT Bucket answers 200 and finds it `private`.
//! - GET Service (`service.cos.myqcloud.com`, `cos.<region>.myqcloud.com`, or a host that
//!   names no bucket when no default bucket is set): `ListAllMyBucketsResult` with every
//!   known bucket in UTF-8 byte order of names. A created bucket has its recorded time and
//!   region; one known only by what it holds has its oldest object's (or upload's) time and
//!   the server's region. Filters: the regional host, `region`, `create-time` with `range`
//!   (`lt`, `gt`, `lte`, `gte`), paging with `marker` and `max-keys` (default and at most
//!   2,000); `tagkey` with `tagvalue` (both or neither, else 400 `InvalidArgument`): only
//!   buckets carrying that tag (`bucket_tagging`).
//!
//! PUT and DELETE Bucket take one server-wide lock around their check and change, so they
//! never interleave; an object written while a DELETE Bucket runs may land after its check
//! (the bucket is then known again, by that object).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hyper::{Method, Response, StatusCode};

use super::State;
use super::acl::{self, Acl, Resource};
use super::bucket::{invalid_argument, max_param, region_of_host, xml_response};
use super::bucket_tagging::tagged_buckets;
use super::error::CosError;
use super::request::{ServiceHost, VerifiedRequest, digits, service_host, valid_bucket};
use super::response::{Body, Ctx, empty_answer, no_content};
use super::xml::{XmlOut, iso8601};

/// The name of a bucket's creation record among its settings.
const RECORD: &str = "bucket";
/// The setting DELETE Bucket leaves behind: HEAD Bucket answers 404 until the bucket is
/// created or written to again.
const DELETED: &str = "deleted";
/// The default and largest `max-keys` of GET Service.
const MAX_BUCKETS: usize = 2000;

/// What PUT Bucket recorded: when, and in which region.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Record {
    /// Unix seconds, the server's clock.
    created: u64,
    region: String,
}

impl Record {
    /// `created <unix seconds> <region>`.
    fn stored(&self) -> String {
        format!("created {} {}\n", self.created, self.region)
    }

    /// The stored record `text`; a damaged one counts as a record from the epoch, in the
    /// server's region (the bucket stays known).
    fn read(text: &str, state: &State) -> Self {
        Self::parse(text).unwrap_or_else(|| Record {
            created: 0,
            region: state.region.clone(),
        })
    }

    fn parse(text: &str) -> Option<Self> {
        let mut words = text.split_whitespace();
        if words.next() != Some("created") {
            return None;
        }
        let created = digits(words.next()?)?;
        let region = words.next()?.to_owned();
        Some(Self { created, region })
    }
}

/// A bucket as GET Service lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Listed {
    created: SystemTime,
    region: String,
}

fn storage(e: std::io::Error) -> CosError {
    CosError::storage(e)
}

fn no_such_bucket(message: &str) -> CosError {
    CosError::new(StatusCode::NOT_FOUND, "NoSuchBucket", message)
}

/// The earliest of two optional times.
fn earliest(a: Option<SystemTime>, b: Option<SystemTime>) -> Option<SystemTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// When the oldest thing `bucket` holds was written: its oldest object, or the oldest
/// multipart upload's initiation; `None` when it holds nothing.
async fn held_since(state: &State, bucket: &str) -> Result<Option<SystemTime>, CosError> {
    let object = state.store.oldest(bucket).await.map_err(storage)?;
    let upload = state
        .parts
        .uploads(bucket)
        .await
        .map_err(storage)?
        .iter()
        .map(|(_, u)| u.initiated)
        .min();
    Ok(earliest(object, upload))
}

/// The record of `bucket`, if it was created or written to ([`Record::read`]).
async fn record_of(state: &State, bucket: &str) -> Result<Option<Record>, CosError> {
    let stored = state.buckets.get(bucket, RECORD).await.map_err(storage)?;
    Ok(stored.map(|text| Record::read(&text, state)))
}

/// Records `bucket` as created now, in the region `host` names (else the server's), unless
/// it is recorded already: called after an object or an upload was written to it, so that
/// it stays known once emptied (`cos-sign rb --force`, and GET Service, see it as COS
/// would). Best effort: the write succeeded, and a record that cannot be written leaves the
/// bucket known only while it holds something.
pub(crate) async fn written(state: &State, bucket: &str, host: &str) {
    if !matches!(record_of(state, bucket).await, Ok(None)) {
        return;
    }
    let _one_at_a_time = state.bucket_lock.lock().await;
    if matches!(record_of(state, bucket).await, Ok(None)) {
        let _ = record(state, bucket, host).await;
    }
}

/// A record of a bucket created now, in the region `host` names (else the server's).
fn record_now(state: &State, host: &str) -> Record {
    Record {
        created: super::unix_secs(state.now()),
        region: region_of_host(host).unwrap_or(&state.region).to_owned(),
    }
}

/// PUT Bucket (see the module docs).
pub(crate) async fn create(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
) -> Result<Response<Body>, CosError> {
    let acl = Acl::from_headers(|n| vreq.header(n), Resource::Bucket)?;
    let bucket = vreq.bucket.as_str();
    let _one_at_a_time = state.bucket_lock.lock().await;
    if record_of(state, bucket).await?.is_some() || held_since(state, bucket).await?.is_some() {
        return Err(CosError::new(
            StatusCode::CONFLICT,
            "BucketAlreadyOwnedByYou",
            "The bucket already exists and is yours.",
        ));
    }
    if let Some(acl) = &acl {
        acl::set_bucket(state, bucket, acl).await?;
    }
    record(state, bucket, &vreq.host).await?;
    Ok(empty_answer(ctx, StatusCode::OK))
}

/// DELETE Bucket (see the module docs).
pub(crate) async fn delete(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
) -> Result<Response<Body>, CosError> {
    let bucket = vreq.bucket.as_str();
    let _one_at_a_time = state.bucket_lock.lock().await;
    if held_since(state, bucket).await?.is_some() {
        return Err(CosError::new(
            StatusCode::CONFLICT,
            "BucketNotEmpty",
            "The bucket you tried to delete is not empty (objects or multipart uploads).",
        ));
    }
    if record_of(state, bucket).await?.is_none() {
        return Err(no_such_bucket("The specified bucket does not exist."));
    }
    state.buckets.clear(bucket).await.map_err(storage)?;
    state
        .buckets
        .put(bucket, DELETED, "")
        .await
        .map_err(storage)?;
    Ok(no_content(ctx))
}

/// Whether DELETE Bucket deleted `bucket` and nothing created or wrote to it since.
async fn deleted(state: &State, bucket: &str) -> Result<bool, CosError> {
    let mark = state.buckets.get(bucket, DELETED).await.map_err(storage)?;
    Ok(mark.is_some())
}

/// Records `bucket` (see [`record_now`]) and lifts a DELETE Bucket's mark.
async fn record(state: &State, bucket: &str, host: &str) -> Result<(), CosError> {
    let stored = record_now(state, host).stored();
    state
        .buckets
        .put(bucket, RECORD, &stored)
        .await
        .map_err(storage)?;
    state.buckets.delete(bucket, DELETED).await.map_err(storage)
}

/// HEAD Bucket: 200 for any valid name (buckets exist implicitly), except 404
/// `NoSuchBucket` for one DELETE Bucket deleted and nothing created or wrote to since (so
/// `bucket_exists` after `delete_bucket` answers false, as on COS).
pub(crate) async fn head(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
) -> Result<Response<Body>, CosError> {
    if deleted(state, &vreq.bucket).await? {
        return Err(no_such_bucket("The specified bucket does not exist."));
    }
    Ok(empty_answer(ctx, StatusCode::OK))
}

/// A request that names no bucket: GET Service, or 404 `NoSuchBucket` for anything else.
pub(crate) async fn service(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
) -> Result<Response<Body>, CosError> {
    if vreq.is_sigv4() && !vreq.key.is_empty() {
        return Err(path_style(vreq));
    }
    if vreq.method != Method::GET || !vreq.key.is_empty() {
        return Err(no_such_bucket(
            "The request names no bucket (its Host is a service host, or names none and no \
             default bucket is set): only GET Service (GET /) is answered there.",
        ));
    }
    list(state, ctx, vreq).await
}

/// A SigV4 request on a host that names no bucket, with a path: path-style addressing
/// (`/<bucket>/<key>`), which this server does not serve. On a regional COS host
/// (`cos.<region>.myqcloud.com`), COS's answer for buckets created since 2024-01-01
/// (<https://cloud.tencent.com/document/product/436/102489>): 403 `PathStyleDomainForbidden`.
fn path_style(vreq: &VerifiedRequest) -> CosError {
    if matches!(service_host(&vreq.host), Some(ServiceHost::Regional(_))) {
        return CosError::new(
            StatusCode::FORBIDDEN,
            "PathStyleDomainForbidden",
            "The bucket you are attempting to access must be addressed using COS virtual-styled domain.",
        );
    }
    no_such_bucket(
        "The request names no bucket: path-style addressing (/<bucket>/<key>) is not served; \
         address the bucket in the Host (virtual-hosted style, <bucket>.cos.<region>.myqcloud.com).",
    )
}

/// Every known bucket, by name.
async fn known_buckets(state: &State) -> Result<BTreeMap<String, Listed>, CosError> {
    let mut out = BTreeMap::new();
    for (bucket, text) in state.buckets.with_setting(RECORD).await.map_err(storage)? {
        let record = Record::read(&text, state);
        let listed = Listed {
            created: UNIX_EPOCH + Duration::from_secs(record.created),
            region: record.region,
        };
        out.insert(bucket, listed);
    }
    let mut held = state.store.bucket_names().await.map_err(storage)?;
    held.extend(state.parts.bucket_names().await.map_err(storage)?);
    for bucket in held {
        if out.contains_key(&bucket) || !valid_bucket(&bucket) {
            continue;
        }
        if let Some(since) = held_since(state, &bucket).await? {
            let listed = Listed {
                created: since,
                region: state.region.clone(),
            };
            out.insert(bucket, listed);
        }
    }
    Ok(out)
}

/// The `create-time` and `range` filter: whether a bucket created at `t` passes.
type TimeFilter = Box<dyn Fn(u64) -> bool + Send>;

fn time_filter(vreq: &VerifiedRequest) -> Result<Option<TimeFilter>, CosError> {
    match (vreq.param("create-time"), vreq.param("range")) {
        (None, None) => Ok(None),
        (Some(t), Some(range)) => {
            let at =
                digits(t).ok_or_else(|| invalid_argument("create-time must be unix seconds."))?;
            let f: TimeFilter = match range {
                "lt" => Box::new(move |c| c < at),
                "gt" => Box::new(move |c| c > at),
                "lte" => Box::new(move |c| c <= at),
                "gte" => Box::new(move |c| c >= at),
                _ => return Err(invalid_argument("range must be lt, gt, lte or gte.")),
            };
            Ok(Some(f))
        }
        _ => Err(invalid_argument(
            "create-time and range filter buckets together: give both or neither.",
        )),
    }
}

/// The `tagkey` and `tagvalue` filter: the buckets carrying that tag (`None`: no filter).
async fn tag_filter(
    state: &State,
    vreq: &VerifiedRequest,
) -> Result<Option<BTreeSet<String>>, CosError> {
    match (vreq.param("tagkey"), vreq.param("tagvalue")) {
        (None, None) => Ok(None),
        (Some(key), Some(value)) => Ok(Some(
            tagged_buckets(state)
                .await?
                .into_iter()
                .filter(|(_, tags)| tags.has(key, value))
                .map(|(bucket, _)| bucket)
                .collect(),
        )),
        _ => Err(invalid_argument(
            "tagkey and tagvalue filter buckets together: give both or neither.",
        )),
    }
}

/// A creation time as COS writes it in GET Service (`2019-05-24T11:20:10Z`).
fn creation_date(t: SystemTime) -> String {
    iso8601(t).replace(".000Z", "Z")
}

/// GET Service.
async fn list(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
) -> Result<Response<Body>, CosError> {
    let tagged = tag_filter(state, vreq).await?;
    let host_region = match service_host(&vreq.host) {
        Some(ServiceHost::Regional(r)) => Some(r),
        _ => None,
    };
    let param_region = vreq.param("region").filter(|r| !r.is_empty());
    let created = time_filter(vreq)?;
    let marker = vreq.param("marker").unwrap_or("");
    let max = max_param(vreq, "max-keys", MAX_BUCKETS)?;
    let known = known_buckets(state).await?;
    let owner = match &state.owner_uin {
        Some(uin) => Some(acl::owner_id(uin)),
        None => known
            .keys()
            .next()
            .or(state.default_bucket.as_ref())
            .map(|b| acl::owner_of(state, b)),
    };
    let passing: Vec<(&String, &Listed)> = known
        .iter()
        .filter(|(_, l)| host_region.is_none_or(|r| l.region == r))
        .filter(|(_, l)| param_region.is_none_or(|r| l.region == r))
        .filter(|(_, l)| {
            created
                .as_ref()
                .is_none_or(|f| f(super::unix_secs(l.created)))
        })
        .filter(|(name, _)| tagged.as_ref().is_none_or(|t| t.contains(name.as_str())))
        .filter(|(name, _)| name.as_bytes() > marker.as_bytes())
        .collect();
    let page = passing.get(..max.min(passing.len())).unwrap_or_default();
    let truncated = page.len() < passing.len();

    let mut x = XmlOut::new("ListAllMyBucketsResult");
    if let Some(owner) = &owner {
        x.person("Owner", owner);
    }
    x.open("Buckets");
    for (name, l) in page {
        x.open("Bucket")
            .field("Name", name)
            .field("Location", &l.region)
            .field("CreationDate", &creation_date(l.created))
            .field("BucketType", "cos")
            .close("Bucket");
    }
    x.close("Buckets")
        .field("Marker", marker)
        .field("MaxKeys", &max.to_string())
        .field("IsTruncated", if truncated { "true" } else { "false" });
    if truncated {
        let next = page.last().map_or(marker, |(n, _)| n.as_str());
        x.field("NextMarker", next);
    }
    Ok(xml_response(ctx, StatusCode::OK, x.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_and_damage_is_refused() {
        let r = Record {
            created: 1_700_000_000,
            region: "ap-beijing".to_owned(),
        };
        assert_eq!(r.stored(), "created 1700000000 ap-beijing\n");
        assert_eq!(Record::parse(&r.stored()), Some(r));
        for bad in [
            "",
            "created",
            "created x ap-beijing",
            "made 1 r",
            "created 1",
        ] {
            assert_eq!(Record::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn creation_dates_have_no_fraction() {
        let t = UNIX_EPOCH + Duration::from_secs(1_558_696_810);
        assert_eq!(creation_date(t), "2019-05-24T11:20:10Z");
    }

    #[test]
    fn earliest_of_optional_times() {
        let a = UNIX_EPOCH + Duration::from_secs(5);
        let b = UNIX_EPOCH + Duration::from_secs(7);
        assert_eq!(earliest(Some(b), Some(a)), Some(a));
        assert_eq!(earliest(None, Some(b)), Some(b));
        assert_eq!(earliest(Some(a), None), Some(a));
        assert_eq!(earliest(None, None), None);
    }
}
