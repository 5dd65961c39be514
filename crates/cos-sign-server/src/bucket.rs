//! Bucket operations: GET Bucket (List Objects, version 1), GET Bucket location.
//!
//! Buckets exist implicitly: every valid bucket name names a bucket, empty until an object is
//! written to it. HEAD Bucket, PUT Bucket, DELETE Bucket and GET Service, which tell created
//! and deleted buckets from the others, are in `buckets`.

use hyper::header;
use hyper::{Response, StatusCode};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::State;
use super::error::CosError;
use super::request::{VerifiedRequest, digits};
use super::response::{Body, Ctx, empty, full};
use super::store::Meta;
use super::xml::{XmlOut, iso8601};

/// The default and largest `max-keys`.
pub(crate) const MAX_KEYS: usize = 1000;

/// What `encoding-type=url` encodes: everything but `A-Z a-z 0-9 - _ . ~ /`.
const URL_ENCODED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

pub(crate) fn xml_response(ctx: &Ctx, status: StatusCode, body: Vec<u8>) -> Response<Body> {
    let len = body.len();
    ctx.base(status)
        .header(header::CONTENT_TYPE, "application/xml")
        .header(header::CONTENT_LENGTH, len)
        .body(if ctx.head { empty() } else { full(body) })
        .unwrap_or_else(|_| Response::new(empty()))
}

pub(crate) fn invalid_argument(message: impl Into<String>) -> CosError {
    CosError::new(StatusCode::BAD_REQUEST, "InvalidArgument", message)
}

/// GET Bucket location: the region the request's host names
/// (`<bucket>.cos.<region>.myqcloud.com`, or `.tencentcos.cn`); a host that names none (an
/// IP address, `localhost`) gets `NotImplemented`, as this server has no region of its own.
pub(crate) fn location(ctx: &Ctx, vreq: &VerifiedRequest) -> Result<Response<Body>, CosError> {
    let region = region_of_host(&vreq.host).ok_or_else(|| {
        super::error::not_implemented("location (the request's host names no region)")
    })?;
    let mut x = XmlOut::new("LocationConstraint");
    x.text(region);
    Ok(xml_response(ctx, StatusCode::OK, x.finish()))
}

/// GET Bucket versioning: this server keeps one version of each object and cannot enable
/// versioning (PUT Bucket versioning is `NotImplemented`), so every bucket answers as COS
/// answers for one that never had it enabled: a `VersioningConfiguration` without `Status`.
pub(crate) fn versioning(ctx: &Ctx) -> Response<Body> {
    xml_response(
        ctx,
        StatusCode::OK,
        XmlOut::new("VersioningConfiguration").finish(),
    )
}

/// The region of a COS host `<bucket>.cos.<region>.<domain>` (`cos-internal.` too), its port
/// and a trailing dot ignored.
pub(crate) fn region_of_host(host: &str) -> Option<&str> {
    let name = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    let labels: Vec<&str> = name.trim_end_matches('.').split('.').collect();
    match labels.as_slice() {
        [_, "cos" | "cos-internal", region, "myqcloud", "com"]
        | [_, "cos" | "cos-internal", region, "tencentcos", "cn"]
            if *region != "accelerate"
                && !region.is_empty()
                && region
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') =>
        {
            Some(region)
        }
        _ => None,
    }
}

/// `max-keys` (or `max-uploads`, `max-parts`): default and cap `max`.
pub(crate) fn max_param(vreq: &VerifiedRequest, name: &str, max: usize) -> Result<usize, CosError> {
    match vreq.param(name) {
        None => Ok(max),
        Some(v) => digits(v)
            .map(|n| usize::try_from(n).map_or(max, |n| n.min(max)))
            .ok_or_else(|| invalid_argument(format!("{name} must be a number."))),
    }
}

/// Whether `encoding-type=url` was asked (any other value is refused).
pub(crate) fn url_encoding(vreq: &VerifiedRequest) -> Result<bool, CosError> {
    match vreq.param("encoding-type") {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("url") => Ok(true),
        Some(_) => Err(invalid_argument("encoding-type may only be url.")),
    }
}

/// A value as written in a listing: percent-encoded under `encoding-type=url`.
pub(crate) fn enc(url: bool, v: &str) -> String {
    if url {
        utf8_percent_encode(v, URL_ENCODED).to_string()
    } else {
        v.to_owned()
    }
}

/// The params of a key listing (List Objects, List Multipart Uploads): `prefix`,
/// `delimiter`, the page size, `encoding-type`.
pub(crate) struct Listing<'a> {
    pub prefix: &'a str,
    pub delimiter: &'a str,
    pub max: usize,
    pub url: bool,
}

impl<'a> Listing<'a> {
    /// The params of `vreq`; the page size is `max_name` (default and cap `cap`).
    pub(crate) fn parse(
        vreq: &'a VerifiedRequest,
        max_name: &str,
        cap: usize,
    ) -> Result<Self, CosError> {
        Ok(Self {
            prefix: vreq.param("prefix").unwrap_or(""),
            delimiter: vreq.param("delimiter").unwrap_or(""),
            max: max_param(vreq, max_name, cap)?,
            url: url_encoding(vreq)?,
        })
    }

    /// A value as this listing writes it (see [`enc`]).
    pub(crate) fn enc(&self, v: &str) -> String {
        enc(self.url, v)
    }

    /// `<Delimiter>`, when one was given.
    pub(crate) fn delimiter_field(&self, x: &mut XmlOut) {
        if !self.delimiter.is_empty() {
            x.field("Delimiter", &self.enc(self.delimiter));
        }
    }

    /// A `Contents` element for each key among `entries` (indexes into `objects`), with an
    /// `Owner` when one is given.
    pub(crate) fn contents(
        &self,
        x: &mut XmlOut,
        entries: &[Entry<'_>],
        objects: &[(String, Meta)],
        owner: Option<&str>,
    ) {
        for e in entries {
            let Entry::Key(i) = e else { continue };
            let Some((key, meta)) = objects.get(*i) else {
                continue;
            };
            x.open("Contents")
                .field("Key", &self.enc(key))
                .field("LastModified", &iso8601(meta.modified))
                .field("ETag", &format!("\"{}\"", meta.etag))
                .field("Size", &meta.len.to_string());
            if let Some(owner) = owner {
                x.person("Owner", owner);
            }
            x.field("StorageClass", storage_class(&meta.headers))
                .close("Contents");
        }
    }

    /// A `<CommonPrefixes>` element for each prefix among `entries`.
    pub(crate) fn entry_prefixes(&self, x: &mut XmlOut, entries: &[Entry<'_>]) {
        self.common_prefixes(
            x,
            entries.iter().filter_map(|e| match e {
                Entry::Prefix(p) => Some(*p),
                Entry::Key(_) => None,
            }),
        );
    }

    /// A `<CommonPrefixes>` element for each of `prefixes`.
    pub(crate) fn common_prefixes<'p>(
        &self,
        x: &mut XmlOut,
        prefixes: impl IntoIterator<Item = &'p str>,
    ) {
        for p in prefixes {
            x.open("CommonPrefixes")
                .field("Prefix", &self.enc(p))
                .close("CommonPrefixes");
        }
    }
}

/// The start of a listing's XML: `root`, then `bucket` (its element and the name) and,
/// under `encoding-type=url`, `<encoding>url</encoding>` (the three listings of COS spell
/// these elements each their own way).
pub(crate) fn listing_xml(
    root: &'static str,
    bucket: (&str, &str),
    encoding: &str,
    url: bool,
) -> XmlOut {
    let mut x = XmlOut::new(root);
    x.field(bucket.0, bucket.1);
    if url {
        x.field(encoding, "url");
    }
    x
}

/// One entry of a listing: a key, or a common prefix.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Entry<'a> {
    Key(usize),
    Prefix(&'a str),
}

/// The common prefix `key` is listed under: `key` up to and including the first
/// `delimiter` after `prefix` (`None`: no delimiter, or none after the prefix).
pub(crate) fn common_prefix<'a>(key: &'a str, prefix: &str, delimiter: &str) -> Option<&'a str> {
    if delimiter.is_empty() {
        return None;
    }
    let at = key.get(prefix.len()..)?.find(delimiter)?;
    key.get(..prefix.len() + at + delimiter.len())
}

/// The owner of a bucket as listings name it: its APPID (`<name>-<appid>`).
pub(crate) fn owner(bucket: &str) -> &str {
    bucket.rsplit('-').next().unwrap_or(bucket)
}

/// The storage class stored with an object (`STANDARD` when none was given).
pub(crate) fn storage_class(headers: &[(String, String)]) -> &str {
    headers
        .iter()
        .find(|(n, _)| n == "x-cos-storage-class")
        .map_or("STANDARD", |(_, v)| v.as_str())
}

/// The page of a sorted key list after `marker`, grouped by `delimiter`: its entries, and
/// the next marker when more remain.
pub(crate) fn page<'a>(
    keys: &'a [&'a str],
    prefix: &str,
    delimiter: &str,
    marker: &str,
    max: usize,
) -> (Vec<Entry<'a>>, Option<&'a str>) {
    let mut out = Vec::new();
    let mut last: Option<&'a str> = None;
    for (i, key) in keys.iter().enumerate() {
        let key: &'a str = key;
        if !key.starts_with(prefix) || key.as_bytes() <= marker.as_bytes() {
            continue;
        }
        let entry = match common_prefix(key, prefix, delimiter) {
            // Every key under a prefix at or before the marker was listed with it.
            Some(cp) if cp.as_bytes() <= marker.as_bytes() => continue,
            Some(cp) if out.last() == Some(&Entry::Prefix(cp)) => continue,
            Some(cp) => Entry::Prefix(cp),
            None => Entry::Key(i),
        };
        if out.len() == max {
            return (out, last);
        }
        last = Some(match entry {
            Entry::Prefix(p) => p,
            Entry::Key(_) => key,
        });
        out.push(entry);
    }
    (out, None)
}

/// The objects of `bucket` under `prefix`, in key order, for a listing.
pub(crate) async fn listed(
    state: &State,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<(String, Meta)>, CosError> {
    state
        .store
        .list(bucket, prefix)
        .await
        .map_err(|e| CosError::internal(format!("cannot list the bucket: {e}")))
}

/// GET Bucket (List Objects v1).
pub(crate) async fn list_objects(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
) -> Result<Response<Body>, CosError> {
    let bucket = vreq.bucket.as_str();
    let marker = vreq.param("marker").unwrap_or("");
    let l = Listing::parse(vreq, "max-keys", MAX_KEYS)?;
    let objects = listed(state, bucket, l.prefix).await?;
    let keys: Vec<&str> = objects.iter().map(|(k, _)| k.as_str()).collect();
    let (entries, next) = page(&keys, l.prefix, l.delimiter, marker, l.max);
    let owner = owner(bucket);

    let mut x = listing_xml("ListBucketResult", ("Name", bucket), "EncodingType", l.url);
    x.field("Prefix", &l.enc(l.prefix))
        .field("Marker", &l.enc(marker))
        .field("MaxKeys", &l.max.to_string());
    l.delimiter_field(&mut x);
    x.field("IsTruncated", if next.is_some() { "true" } else { "false" });
    if let Some(n) = next {
        x.field("NextMarker", &l.enc(n));
    }
    l.entry_prefixes(&mut x, &entries);
    l.contents(&mut x, &entries, &objects, Some(owner));
    Ok(xml_response(ctx, StatusCode::OK, x.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_of_host_reads_cos_hosts_only() {
        for (host, region) in [
            (
                "b-1250000000.cos.ap-guangzhou.myqcloud.com",
                Some("ap-guangzhou"),
            ),
            ("b-1.cos.ap-beijing.myqcloud.com:8080", Some("ap-beijing")),
            ("b-1.cos.ap-beijing.myqcloud.com.", Some("ap-beijing")),
            (
                "b-1.cos-internal.ap-shanghai.tencentcos.cn",
                Some("ap-shanghai"),
            ),
            ("b-1.cos.accelerate.myqcloud.com", None),
            ("b-1.cos.AP-X.myqcloud.com", None),
            ("b-1.cos..myqcloud.com", None),
            ("b-1.example.com", None),
            ("127.0.0.1:9000", None),
            ("localhost", None),
            ("[::1]:9000", None),
            ("cos.ap-guangzhou.myqcloud.com", None),
        ] {
            assert_eq!(region_of_host(host), region, "{host}");
        }
    }

    fn names<'a>(keys: &'a [&'a str], entries: &[Entry<'a>]) -> Vec<&'a str> {
        entries
            .iter()
            .map(|e| match e {
                Entry::Key(i) => keys[*i],
                Entry::Prefix(p) => p,
            })
            .collect()
    }

    #[test]
    fn pages_with_delimiter_and_marker() {
        let keys = ["a/1", "a/2", "a/b/3", "b", "c/1", "c/2", "d"];
        let (e, next) = page(&keys, "", "/", "", 1000);
        assert_eq!(names(&keys, &e), ["a/", "b", "c/", "d"]);
        assert_eq!(next, None);
        let (e, next) = page(&keys, "", "/", "", 2);
        assert_eq!(names(&keys, &e), ["a/", "b"]);
        assert_eq!(next, Some("b"));
        let (e, next) = page(&keys, "", "/", "b", 1);
        assert_eq!(names(&keys, &e), ["c/"]);
        assert_eq!(next, Some("c/"));
        let (e, next) = page(&keys, "", "/", "c/", 1);
        assert_eq!(names(&keys, &e), ["d"]);
        assert_eq!(next, None);
        let (e, _) = page(&keys, "a/", "/", "", 1000);
        assert_eq!(names(&keys, &e), ["a/1", "a/2", "a/b/"]);
        let (e, next) = page(&keys, "", "", "a/2", 2);
        assert_eq!(names(&keys, &e), ["a/b/3", "b"]);
        assert_eq!(next, Some("b"));
        let (e, next) = page(&keys, "", "", "", 0);
        assert!(e.is_empty());
        assert_eq!(next, None);
        let (e, _) = page(&keys, "", "", "d", 10);
        assert!(e.is_empty());
    }

    #[test]
    fn url_encoding_keeps_slashes() {
        assert_eq!(enc(true, "a b/+c%中"), "a%20b/%2Bc%25%E4%B8%AD");
        assert_eq!(enc(false, "a b"), "a b");
    }
}
