//! Buckets themselves: PUT Bucket ([`Bucket::create_bucket`]), DELETE Bucket
//! ([`Bucket::delete_bucket`]) and GET Service ([`Client::list_buckets`]).
//!
//! COS's refusals are [`ClientError::Cos`] with COS's code, as for every other call:
//! `BucketAlreadyOwnedByYou` (409) for a bucket that exists, `BucketNotEmpty` (409) for a
//! bucket that still holds objects or multipart uploads, `NoSuchBucket` (404). Answers are
//! read within the client's timeouts and at most 8 MiB, as the other XML answers.

use reqwest::Url;
use reqwest::header;

use crate::bucket::Bucket;
use crate::client::{Client, Remake, http_method, read_answer};
use crate::error::ClientError;
use cos_sign_std::method::Method;

/// The most buckets one GET Service page lists (COS's default and cap of `max-keys`).
pub const MAX_BUCKETS_PER_PAGE: u32 = 2000;

/// A bucket as GET Service lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BucketSummary {
    /// `Name` (`examplebucket-1250000000`).
    pub name: String,
    /// `Location`: the region (`ap-guangzhou`).
    pub region: String,
    /// `CreationDate` as COS writes it (`2019-05-24T11:20:10Z`).
    pub creation_date: String,
    /// `BucketType` (`cos`), when given.
    pub bucket_type: Option<String>,
}

/// One page of GET Service ([`Client::list_buckets`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BucketList {
    /// The owner's id (`qcs::cam::uin/<uin>:uin/<uin>`), when given.
    pub owner: Option<String>,
    /// The buckets, in name order.
    pub buckets: Vec<BucketSummary>,
    /// Where the next page starts (give it to [`ListBucketsOptions::marker`]); `None` on
    /// the last page.
    pub next_marker: Option<String>,
}

/// What [`Client::list_buckets`] lists: every region (the host
/// `service.cos.myqcloud.com`), or one region; a marker to start after; a page size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListBucketsOptions {
    region: Option<String>,
    marker: Option<String>,
    max_keys: Option<u32>,
}

impl ListBucketsOptions {
    /// Every bucket of every region, in pages of up to 2,000.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only the buckets of `region` (COS's `region` param; the host stays the service's).
    #[must_use]
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Start after this bucket name (a previous page's [`BucketList::next_marker`]).
    #[must_use]
    pub fn marker(mut self, marker: impl Into<String>) -> Self {
        self.marker = Some(marker.into());
        self
    }

    /// At most `n` buckets a page (COS allows up to [`MAX_BUCKETS_PER_PAGE`]).
    #[must_use]
    pub fn max_keys(mut self, n: u32) -> Self {
        self.max_keys = Some(n);
        self
    }
}

impl Client {
    /// GET Service: one page of the account's buckets, from `service.cos.myqcloud.com`
    /// (`service.cos.tencentcos.cn` when the endpoint is on `tencentcos.cn`). In IP mode the
    /// URL names the IP and `Host` the service host.
    ///
    /// ```no_run
    /// # async fn demo(client: cos_sign_http::Client) -> Result<(), cos_sign_http::ClientError> {
    /// use cos_sign_http::ListBucketsOptions;
    /// let mut opts = ListBucketsOptions::new();
    /// loop {
    ///     let page = client.list_buckets(&opts).await?;
    ///     for b in &page.buckets {
    ///         println!("{} {} {}", b.name, b.region, b.creation_date);
    ///     }
    ///     match page.next_marker {
    ///         Some(m) => opts = opts.marker(m),
    ///         None => break,
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// Signing, HTTP, a timeout, COS's error answer; an answer that says it is truncated with
    /// no marker to go on from.
    pub async fn list_buckets(&self, opts: &ListBucketsOptions) -> Result<BucketList, ClientError> {
        let remake: Remake<'_> = Box::new(move || {
            let mut req = self.service_request()?.build()?;
            {
                let mut q = req.url_mut().query_pairs_mut();
                if let Some(r) = &opts.region {
                    q.append_pair("region", r);
                }
                if let Some(m) = &opts.marker {
                    q.append_pair("marker", m);
                }
                if let Some(n) = opts.max_keys {
                    q.append_pair("max-keys", &n.to_string());
                }
            }
            Ok(Some(req))
        });
        let resp = self.send(remake, true, true).await?;
        let status = resp.status().as_u16();
        let text = read_answer(resp).await?;
        parse_service(&text).map_err(|detail| ClientError::UnexpectedAnswer { status, detail })
    }

    /// A GET to the service host's `/` (see [`list_buckets`](Client::list_buckets)).
    fn service_request(&self) -> Result<reqwest::RequestBuilder, ClientError> {
        let endpoint = self.signer()?.endpoint();
        let sign_err = |e: cos_sign_std::config::ConfigError| ClientError::Sign(e.into());
        let regional = endpoint.host(None).map_err(sign_err)?;
        let authority = endpoint.url_authority(None).map_err(sign_err)?;
        let domain = if regional.ends_with(".tencentcos.cn") {
            "tencentcos.cn"
        } else {
            "myqcloud.com"
        };
        let service = format!("service.cos.{domain}");
        let ip_mode = authority != regional;
        let url_host = if ip_mode { &authority } else { &service };
        let url = Url::parse(&format!("{}://{url_host}/", endpoint.scheme()))
            .map_err(|e| ClientError::InvalidRequest(format!("service URL: {e}")))?;
        let req = self.http().request(http_method(Method::Get), url);
        Ok(if ip_mode {
            req.header(header::HOST, service)
        } else {
            req
        })
    }
}

impl Bucket {
    /// PUT Bucket: creates this bucket, in the client's region. A bucket that exists is
    /// [`ClientError::Cos`] with code `BucketAlreadyOwnedByYou` (409; or
    /// `BucketAlreadyExists` when another account has it). Not retried (a retry of a
    /// creation that landed would answer 409).
    ///
    /// # Errors
    /// Signing, HTTP, a timeout, COS's error answer.
    pub async fn create_bucket(&self) -> Result<(), ClientError> {
        self.bucket_call(Method::Put).await
    }

    /// DELETE Bucket: deletes this bucket, which must be empty: one that holds objects or
    /// unfinished multipart uploads is [`ClientError::Cos`] with code `BucketNotEmpty` (409),
    /// one that does not exist `NoSuchBucket` (404). Not retried (a retry of a deletion
    /// that landed would answer 404).
    ///
    /// # Errors
    /// Signing, HTTP, a timeout, COS's error answer.
    pub async fn delete_bucket(&self) -> Result<(), ClientError> {
        self.bucket_call(Method::Delete).await
    }

    async fn bucket_call(&self, method: Method) -> Result<(), ClientError> {
        let remake: Remake<'_> = Box::new(move || {
            Ok(Some(
                self.client()
                    .bucket_request(method, self.name())?
                    .header(header::CONTENT_LENGTH, 0)
                    .build()?,
            ))
        });
        // The answer has no body to read (200 or 204, empty).
        self.client().send(remake, true, false).await?;
        Ok(())
    }
}

/// A GET Service answer (`ListAllMyBucketsResult`) as a page.
fn parse_service(xml: &str) -> Result<BucketList, String> {
    let mut list = BucketList::default();
    let mut cur = BucketSummary::default();
    let (mut truncated, mut next) = (false, None);
    if !xml.contains("<ListAllMyBucketsResult") {
        return Err("not a bucket list (ListAllMyBucketsResult)".to_owned());
    }
    for (path, text) in crate::error::xml_fields(xml) {
        match path.as_str() {
            "Owner/ID" => list.owner = Some(text.trim().to_owned()),
            "Buckets/Bucket/Name" => cur.name = text.trim().to_owned(),
            "Buckets/Bucket/Location" => cur.region = text.trim().to_owned(),
            "Buckets/Bucket/CreationDate" => cur.creation_date = text.trim().to_owned(),
            "Buckets/Bucket/BucketType" => cur.bucket_type = Some(text.trim().to_owned()),
            "Buckets/Bucket" => list.buckets.push(std::mem::take(&mut cur)),
            "IsTruncated" => truncated = text.trim() == "true",
            "NextMarker" if !text.trim().is_empty() => next = Some(text.trim().to_owned()),
            _ => {}
        }
    }
    if truncated {
        list.next_marker = next.or_else(|| list.buckets.last().map(|b| b.name.clone()));
        if list.next_marker.is_none() {
            return Err("a truncated page with no marker to go on from".to_owned());
        }
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_xml() {
        let xml = r#"<?xml version="1.0"?><ListAllMyBucketsResult>
<Owner><ID>qcs::cam::uin/1:uin/1</ID><DisplayName>1</DisplayName></Owner>
<Buckets><Bucket><Name>a-1</Name><Location>ap-beijing</Location>
<CreationDate>2019-05-24T11:20:10Z</CreationDate><BucketType>cos</BucketType></Bucket>
<Bucket><Name>b-1</Name><Location>ap-guangzhou</Location><CreationDate>2020-01-01T00:00:00Z</CreationDate></Bucket>
</Buckets><IsTruncated>false</IsTruncated></ListAllMyBucketsResult>"#;
        let list = parse_service(xml).unwrap();
        assert_eq!(list.owner.as_deref(), Some("qcs::cam::uin/1:uin/1"));
        assert_eq!(list.buckets.len(), 2);
        let a = &list.buckets[0];
        assert_eq!(
            (a.name.as_str(), a.region.as_str(), a.creation_date.as_str()),
            ("a-1", "ap-beijing", "2019-05-24T11:20:10Z")
        );
        assert_eq!(a.bucket_type.as_deref(), Some("cos"));
        assert_eq!(list.buckets[1].bucket_type, None);
        assert_eq!(list.next_marker, None);
        let truncated = xml.replace(">false<", ">true<");
        assert_eq!(
            parse_service(&truncated).unwrap().next_marker.as_deref(),
            Some("b-1")
        );
        let with_next =
            truncated.replace("<IsTruncated>", "<NextMarker>z-1</NextMarker><IsTruncated>");
        assert_eq!(
            parse_service(&with_next).unwrap().next_marker.as_deref(),
            Some("z-1")
        );
        let empty = "<ListAllMyBucketsResult><Buckets/><IsTruncated>true</IsTruncated></ListAllMyBucketsResult>";
        assert!(parse_service(empty).is_err());
        assert!(parse_service("<html>no</html>").is_err());
    }
}
