//! List Multipart Uploads ([`Bucket::list_uploads`]): the unfinished multipart uploads of a
//! bucket, a page at a time, so they can be resumed or aborted
//! ([`Bucket::abort_multipart`]).
//!
//! The answer is read as every other XML answer: within the client's timeouts and at most
//! 8 MiB. Keys travel URL-encoded (`encoding-type=url`), so any key comes back as it was
//! uploaded.

use cos_sign_std::method::Method;

use crate::bucket::{Bucket, url_decoded};
use crate::error::ClientError;

/// The most uploads one List Multipart Uploads page holds (COS's default and cap of
/// `max-uploads`).
pub const MAX_UPLOADS_PER_PAGE: u32 = 1000;

/// An unfinished multipart upload, as List Multipart Uploads reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadSummary {
    /// The key the upload will write.
    pub key: String,
    /// `UploadId`: what Upload Part, Complete and Abort name it by.
    pub upload_id: String,
    /// `Initiated` as COS writes it (ISO 8601, `2024-01-02T03:04:05.000Z`).
    pub initiated: String,
    /// `StorageClass` (`STANDARD`...), when given.
    pub storage_class: String,
}

/// One page of List Multipart Uploads ([`Bucket::list_uploads`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadPage {
    /// The uploads of the page, by key, then upload id.
    pub uploads: Vec<UploadSummary>,
    /// Where the next page starts, `(key marker, upload id marker)` (give it to
    /// [`ListUploadsOptions::after`]); `None` on the last page.
    pub next: Option<(String, String)>,
}

/// What [`Bucket::list_uploads`] lists: a prefix, where to start, and a page size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListUploadsOptions {
    prefix: Option<String>,
    key_marker: Option<String>,
    upload_id_marker: Option<String>,
    max_uploads: Option<u32>,
}

impl ListUploadsOptions {
    /// Every unfinished upload, in pages of up to 1,000.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only uploads whose key starts with `prefix`.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Start after this key (`key-marker`): its uploads, and those of earlier keys, are
    /// left out.
    #[must_use]
    pub fn key_marker(mut self, key: impl Into<String>) -> Self {
        self.key_marker = Some(key.into());
        self
    }

    /// With [`key_marker`](Self::key_marker): start after this upload of that key
    /// (`upload-id-marker`), so the key's later uploads are listed.
    #[must_use]
    pub fn upload_id_marker(mut self, upload_id: impl Into<String>) -> Self {
        self.upload_id_marker = Some(upload_id.into());
        self
    }

    /// Start where a previous page ended ([`UploadPage::next`]).
    #[must_use]
    pub fn after(self, next: (String, String)) -> Self {
        let (key, id) = next;
        let with_key = self.key_marker(key);
        if id.is_empty() {
            with_key
        } else {
            with_key.upload_id_marker(id)
        }
    }

    /// At most `n` uploads a page; COS allows up to [`MAX_UPLOADS_PER_PAGE`].
    #[must_use]
    pub fn max_uploads(mut self, n: u32) -> Self {
        self.max_uploads = Some(n);
        self
    }
}

impl Bucket {
    /// One page of List Multipart Uploads (`GET /?uploads`): the unfinished uploads after
    /// `opts`' markers, by key then upload id. Loop while [`UploadPage::next`] is set:
    ///
    /// ```no_run
    /// # async fn demo(bucket: cos_sign_http::Bucket) -> Result<(), cos_sign_http::ClientError> {
    /// use cos_sign_http::ListUploadsOptions;
    /// let mut opts = ListUploadsOptions::new().prefix("backups/");
    /// loop {
    ///     let page = bucket.list_uploads(&opts).await?;
    ///     for u in &page.uploads {
    ///         bucket.abort_multipart(&u.key, &u.upload_id).await?;
    ///     }
    ///     match page.next {
    ///         Some(next) => opts = opts.after(next),
    ///         None => break,
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// Signing, HTTP, a timeout, COS's error answer; an answer that is no
    /// `ListMultipartUploadsResult`, whose keys are not URL-encoded UTF-8, or that says it is
    /// truncated with no marker to go on from.
    pub async fn list_uploads(&self, opts: &ListUploadsOptions) -> Result<UploadPage, ClientError> {
        let resp = self
            .call(true, || {
                let mut req = self
                    .client()
                    .bucket_request(Method::Get, self.name())?
                    .build()?;
                {
                    let mut q = req.url_mut().query_pairs_mut();
                    q.append_pair("uploads", "");
                    let pairs = [
                        ("prefix", opts.prefix.as_deref()),
                        ("key-marker", opts.key_marker.as_deref()),
                        ("upload-id-marker", opts.upload_id_marker.as_deref()),
                    ];
                    for (name, value) in pairs {
                        if let Some(v) = value {
                            q.append_pair(name, v);
                        }
                    }
                    if let Some(n) = opts.max_uploads {
                        q.append_pair("max-uploads", &n.to_string());
                    }
                    q.append_pair("encoding-type", "url");
                }
                Ok(req)
            })
            .await?;
        let status = resp.status().as_u16();
        let text = crate::client::read_answer(resp).await?;
        parse_uploads(&text).map_err(|detail| ClientError::UnexpectedAnswer { status, detail })
    }
}

/// A List Multipart Uploads answer (keys URL-encoded) as a page.
fn parse_uploads(xml: &str) -> Result<UploadPage, String> {
    if !xml.contains("<ListMultipartUploadsResult") {
        return Err("not an upload list (ListMultipartUploadsResult)".to_owned());
    }
    let mut page = UploadPage::default();
    let mut cur = UploadSummary::default();
    let (mut truncated, mut next_key, mut next_id) = (false, None, String::new());
    for (path, text) in crate::error::xml_fields(xml) {
        match path.as_str() {
            "Upload/Key" => cur.key = url_decoded("key", &text)?,
            "Upload/UploadId" => cur.upload_id = text.trim().to_owned(),
            "Upload/Initiated" => cur.initiated = text.trim().to_owned(),
            "Upload/StorageClass" => cur.storage_class = text.trim().to_owned(),
            "Upload" => page.uploads.push(std::mem::take(&mut cur)),
            "IsTruncated" => truncated = text.trim() == "true",
            "NextKeyMarker" if !text.is_empty() => {
                next_key = Some(url_decoded("key marker", &text)?);
            }
            "NextUploadIdMarker" => next_id = text.trim().to_owned(),
            _ => {}
        }
    }
    if truncated {
        // Without the markers, the last upload of the page is where the next one starts.
        let last = page.uploads.last();
        page.next = match next_key {
            Some(key) => Some((key, next_id)),
            None => last.map(|u| (u.key.clone(), u.upload_id.clone())),
        };
        if page.next.is_none() {
            return Err("a truncated page with no marker to go on from".to_owned());
        }
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_list_xml() {
        let xml = r#"<?xml version="1.0"?><ListMultipartUploadsResult><Bucket>b</Bucket>
<Encoding-Type>url</Encoding-Type><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>
<NextKeyMarker>a%2F%E8%B0%B7</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker>
<MaxUploads>2</MaxUploads><IsTruncated>true</IsTruncated><Prefix></Prefix>
<Upload><Key>a%2Fb%20c</Key><UploadId>u1</UploadId><StorageClass>STANDARD</StorageClass>
<Initiator><ID>1</ID></Initiator><Initiated>2024-01-02T03:04:05.000Z</Initiated></Upload>
<Upload><Key>a%2F%E8%B0%B7</Key><UploadId>u2</UploadId><Initiated>2024-01-02T03:04:06.000Z</Initiated></Upload>
</ListMultipartUploadsResult>"#;
        let page = parse_uploads(xml).unwrap();
        assert_eq!(page.uploads.len(), 2);
        let u = &page.uploads[0];
        assert_eq!((u.key.as_str(), u.upload_id.as_str()), ("a/b c", "u1"));
        assert_eq!(u.initiated, "2024-01-02T03:04:05.000Z");
        assert_eq!(u.storage_class, "STANDARD");
        assert_eq!(page.uploads[1].key, "a/谷");
        assert_eq!(page.next, Some(("a/谷".to_owned(), "u2".to_owned())));
        // Truncated without markers: the last upload.
        let bare = xml
            .replace("<NextKeyMarker>a%2F%E8%B0%B7</NextKeyMarker>", "")
            .replace("<NextUploadIdMarker>u2</NextUploadIdMarker>", "");
        assert_eq!(
            parse_uploads(&bare).unwrap().next,
            Some(("a/谷".to_owned(), "u2".to_owned()))
        );
        let done = xml.replace(">true<", ">false<");
        assert_eq!(parse_uploads(&done).unwrap().next, None);
        assert!(parse_uploads(&xml.replace("%E8%B0%B7", "%FF")).is_err());
        let empty = "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated></ListMultipartUploadsResult>";
        assert!(parse_uploads(empty).is_err());
        assert!(parse_uploads("<ListBucketResult/>").is_err());
        // Paging options: an empty upload id marker is not sent.
        let o = ListUploadsOptions::new().after(("k".to_owned(), String::new()));
        assert_eq!(
            (o.key_marker.as_deref(), o.upload_id_marker),
            (Some("k"), None)
        );
    }
}
