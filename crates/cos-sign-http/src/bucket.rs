//! [`Bucket`]: a handle on one bucket of a [`Client`]; every object call takes a key.

use std::time::Instant;

use bytes::Bytes;
use cos_sign_std::method::Method;
use cos_sign_std::signer::{PresignedRequest, SignOptions};
use reqwest::Url;
use reqwest::header::{self, HeaderMap};

use crate::client::{Client, GetOutput, ObjectMeta, Remake, UploadOutput};
use crate::error::{ClientError, CosError};
use crate::options::TransferOptions;

/// A bucket of a [`Client`] (`client.bucket("examplebucket-1250000000")`). Cheap to clone.
///
/// ```no_run
/// # async fn demo(client: cos_sign_http::Client) -> Result<(), cos_sign_http::ClientError> {
/// use cos_sign_http::TransferOptions;
/// let bucket = client.bucket("examplebucket-1250000000");
/// bucket
///     .put_with("notes/a.txt", "hello", TransferOptions::new().content_type("text/plain"))
///     .await?;
/// let meta = bucket.head("notes/a.txt").await?;
/// assert_eq!(meta.content_length, Some(5));
/// bucket.download_file("notes/a.txt", "/tmp/a.txt", TransferOptions::new()).await?;
/// bucket.delete("notes/a.txt").await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Bucket {
    client: Client,
    name: String,
}

/// A part of a multipart upload, as List Parts reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PartInfo {
    /// `PartNumber` (from 1).
    pub part_number: u32,
    /// `ETag` without quotes (the part's MD5).
    pub etag: String,
    /// `Size` in bytes.
    pub size: u64,
}

impl Client {
    /// A handle on `bucket` (`examplebucket-1250000000`): object calls by key.
    pub fn bucket(&self, bucket: impl Into<String>) -> Bucket {
        Bucket::new(self.clone(), bucket.into())
    }
}

impl Bucket {
    pub(crate) fn new(client: Client, name: String) -> Self {
        Self { client, name }
    }

    /// The bucket name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The URL of the object `key`.
    ///
    /// # Errors
    /// No signer, a bad bucket or key.
    pub fn object_url(&self, key: &str) -> Result<Url, ClientError> {
        self.client.object_url(&self.name, key)
    }

    /// A request builder for `method` on `key` (see [`Client::object_request`]).
    ///
    /// # Errors
    /// No signer, a bad bucket or key.
    pub fn request(
        &self,
        method: Method,
        key: &str,
    ) -> Result<reqwest::RequestBuilder, ClientError> {
        self.client.object_request(method, &self.name, key)
    }

    /// A pre-signed request for `method` on `key`: the URL, the method, the headers to send,
    /// and when it expires.
    ///
    /// ```
    /// use cos_sign_http::{Client, Method};
    /// use cos_sign_std::{config::Endpoint, credentials::{Credentials, StaticProvider}};
    /// use cos_sign_std::signer::SignOptions;
    /// let client = Client::builder()
    ///     .credentials(StaticProvider::new(Credentials::new("AKIDexample", "secret")), Endpoint::from_region("ap-beijing")?)
    ///     .build()?;
    /// let p = client.bucket("examplebucket-1250000000").presign(Method::Put, "a.txt", &SignOptions::default())?;
    /// assert_eq!(p.method, Method::Put);
    /// assert!(p.url.starts_with("https://examplebucket-1250000000.cos.ap-beijing.myqcloud.com/a.txt?q-sign-algorithm=sha1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// No signer or credentials, a bad bucket or key.
    pub fn presign(
        &self,
        method: Method,
        key: &str,
        opts: &SignOptions,
    ) -> Result<PresignedRequest, ClientError> {
        Ok(self
            .client
            .signer()?
            .presign(method, &self.name, key, opts)?)
    }

    /// Sends what `build` makes (rebuilt for a retry), signed.
    async fn call(
        &self,
        idempotent: bool,
        build: impl Fn() -> Result<reqwest::Request, ClientError> + Send,
    ) -> Result<reqwest::Response, ClientError> {
        let remake: Remake<'_> = Box::new(move || build().map(Some));
        self.client.send(remake, true, idempotent).await
    }

    /// PUT Object from bytes in memory.
    ///
    /// # Errors
    /// Signing, HTTP, a timeout, or COS's error answer.
    pub async fn put(
        &self,
        key: &str,
        body: impl Into<Bytes>,
    ) -> Result<UploadOutput, ClientError> {
        self.put_with(key, body, TransferOptions::new()).await
    }

    /// PUT Object from bytes with options (headers, metadata, content type; headers of the
    /// allow-list are signed).
    ///
    /// # Errors
    /// Signing, HTTP, a timeout, or COS's error answer.
    pub async fn put_with(
        &self,
        key: &str,
        body: impl Into<Bytes>,
        mut opts: TransferOptions<'_>,
    ) -> Result<UploadOutput, ClientError> {
        let body: Bytes = body.into();
        let len = body.len() as u64;
        let headers = opts.request_headers()?;
        let resp = self
            .call(true, || {
                Ok(self
                    .request(Method::Put, key)?
                    .headers(headers.clone())
                    .header(header::CONTENT_LENGTH, len)
                    .body(body.clone())
                    .build()?)
            })
            .await?;
        if let Some(p) = opts.progress_mut() {
            p(len, Some(len));
        }
        Ok(UploadOutput::single(resp.headers(), len))
    }

    /// PUT Object from a stream of byte chunks. With `content_length` the request carries it
    /// (COS requires it for PUT Object); without, the body is sent chunked. Never retried
    /// (the stream cannot be replayed).
    ///
    /// # Errors
    /// Signing, HTTP, the stream's error, a timeout, or COS's error answer.
    pub async fn put_stream<S>(
        &self,
        key: &str,
        stream: S,
        content_length: Option<u64>,
        opts: TransferOptions<'_>,
    ) -> Result<UploadOutput, ClientError>
    where
        S: futures_util::TryStream + Send + 'static,
        S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
        Bytes: From<S::Ok>,
    {
        let mut req = self
            .request(Method::Put, key)?
            .headers(opts.request_headers()?);
        if let Some(n) = content_length {
            req = req.header(header::CONTENT_LENGTH, n);
        }
        let mut once = Some(req.body(reqwest::Body::wrap_stream(stream)).build()?);
        let remake: Remake<'_> = Box::new(move || Ok(once.take()));
        let resp = self.client.send(remake, true, true).await?;
        Ok(UploadOutput::single(
            resp.headers(),
            content_length.unwrap_or(0),
        ))
    }

    /// GET Object into memory.
    ///
    /// # Errors
    /// Signing, HTTP, a timeout, or COS's error answer.
    pub async fn get(&self, key: &str) -> Result<GetOutput, ClientError> {
        let started = Instant::now();
        let resp = self
            .call(true, || Ok(self.request(Method::Get, key)?.build()?))
            .await?;
        crate::client::check_get(&resp, false)?;
        let meta = ObjectMeta::from_headers(resp.headers());
        let body = resp
            .bytes()
            .await
            .map_err(|e| self.client.transport_error(e, started))?;
        Ok(GetOutput { body, meta })
    }

    /// HEAD Object. A missing object is [`ClientError::Cos`] with code `NoSuchResource` (as
    /// qcloud_cos names it; HEAD answers have no body).
    ///
    /// # Errors
    /// Signing, HTTP, a timeout, or COS's error answer.
    pub async fn head(&self, key: &str) -> Result<ObjectMeta, ClientError> {
        let resp = self
            .call(true, || Ok(self.request(Method::Head, key)?.build()?))
            .await?;
        Ok(ObjectMeta::from_headers(resp.headers()))
    }

    /// DELETE Object (COS answers 204 whether or not it existed).
    ///
    /// # Errors
    /// Signing, HTTP, a timeout, or COS's error answer.
    pub async fn delete(&self, key: &str) -> Result<ObjectMeta, ClientError> {
        let resp = self
            .call(true, || Ok(self.request(Method::Delete, key)?.build()?))
            .await?;
        Ok(ObjectMeta::from_headers(resp.headers()))
    }

    /// Initiate Multipart Upload (`POST ?uploads`): the upload id. Not retried.
    ///
    /// # Errors
    /// Signing, HTTP, a timeout, COS's error answer, an answer without `UploadId`.
    pub async fn initiate_multipart(
        &self,
        key: &str,
        opts: &TransferOptions<'_>,
    ) -> Result<String, ClientError> {
        self.initiate_multipart_with(key, opts.request_headers()?)
            .await
    }

    pub(crate) async fn initiate_multipart_with(
        &self,
        key: &str,
        headers: HeaderMap,
    ) -> Result<String, ClientError> {
        let resp = self
            .call(false, || {
                let mut req = self
                    .request(Method::Post, key)?
                    .headers(headers.clone())
                    .build()?;
                req.url_mut().set_query(Some("uploads"));
                Ok(req)
            })
            .await?;
        let status = resp.status().as_u16();
        let text = crate::client::read_answer(resp).await?;
        crate::error::xml_fields(&text)
            .into_iter()
            .find(|(p, v)| p == "UploadId" && !v.is_empty())
            .map(|(_, v)| v)
            .ok_or_else(|| ClientError::UnexpectedAnswer {
                status,
                detail: "Initiate Multipart Upload gave no UploadId".into(),
            })
    }

    pub(crate) fn part_request(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
    ) -> Result<reqwest::RequestBuilder, ClientError> {
        let mut url = self.object_url(key)?;
        url.query_pairs_mut()
            .append_pair("partNumber", &part_number.to_string())
            .append_pair("uploadId", upload_id);
        let req = self.request(Method::Put, key)?.build()?;
        let mut b = self.client.http().put(url);
        // The object request's headers (the bucket's Host in IP mode).
        for (k, v) in req.headers() {
            b = b.header(k, v);
        }
        Ok(b)
    }

    /// Upload Part from bytes: the part's ETag (checked to be the MD5 of `body`).
    ///
    /// # Errors
    /// Signing, HTTP, a timeout, COS's error answer, [`ClientError::Integrity`].
    pub async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: impl Into<Bytes>,
    ) -> Result<String, ClientError> {
        use md5::Digest;
        let body: Bytes = body.into();
        let resp = self
            .call(true, || {
                Ok(self
                    .part_request(key, upload_id, part_number)?
                    .header(header::CONTENT_LENGTH, body.len())
                    .body(body.clone())
                    .build()?)
            })
            .await?;
        let etag = ObjectMeta::from_headers(resp.headers())
            .etag
            .unwrap_or_default();
        let sent = crate::hex(&md5::Md5::digest(&body));
        if !etag.eq_ignore_ascii_case(&sent) {
            return Err(ClientError::Integrity {
                expected: sent,
                actual: etag,
            });
        }
        Ok(etag)
    }

    /// List Parts of an upload (all pages).
    ///
    /// # Errors
    /// Signing, HTTP, a timeout, COS's error answer.
    pub async fn list_parts(
        &self,
        key: &str,
        upload_id: &str,
    ) -> Result<Vec<PartInfo>, ClientError> {
        let mut all = Vec::new();
        let mut marker: Option<u32> = None;
        loop {
            let resp = self
                .call(true, || {
                    let mut req = self.request(Method::Get, key)?.build()?;
                    {
                        let mut q = req.url_mut().query_pairs_mut();
                        q.append_pair("uploadId", upload_id);
                        if let Some(m) = marker {
                            q.append_pair("part-number-marker", &m.to_string());
                        }
                    }
                    Ok(req)
                })
                .await?;
            let text = crate::client::read_answer(resp).await?;
            let (parts, next) = parse_parts(&text);
            all.extend(parts);
            match next {
                Some(n) if Some(n) != marker && all.len() <= 10_000 => marker = Some(n),
                _ => return Ok(all),
            }
        }
    }

    /// Complete Multipart Upload with `(part number, ETag)` in order. Retried (completing
    /// twice with the same list is harmless). An error inside a 200 answer is an error.
    ///
    /// # Errors
    /// Signing, HTTP, a timeout, COS's error answer.
    pub async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
    ) -> Result<ObjectMeta, ClientError> {
        let mut xml = String::from("<CompleteMultipartUpload>");
        for (n, etag) in parts {
            xml.push_str(&format!(
                "<Part><PartNumber>{n}</PartNumber><ETag>\"{}\"</ETag></Part>",
                xml_escape(etag)
            ));
        }
        xml.push_str("</CompleteMultipartUpload>");
        let body = Bytes::from(xml);
        let resp = self
            .call(true, || {
                let mut req = self
                    .request(Method::Post, key)?
                    .header(header::CONTENT_TYPE, "application/xml")
                    .header(header::CONTENT_LENGTH, body.len())
                    .body(body.clone())
                    .build()?;
                req.url_mut()
                    .query_pairs_mut()
                    .append_pair("uploadId", upload_id);
                Ok(req)
            })
            .await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = crate::client::read_answer(resp).await?;
        if text.contains("<Error>") {
            return Err(CosError::from_response(status.max(500), &headers, &text, false).into());
        }
        let mut meta = ObjectMeta::from_headers(&headers);
        if let Some((_, e)) = crate::error::xml_fields(&text)
            .into_iter()
            .find(|(p, _)| p == "ETag")
        {
            meta.etag = Some(e.trim_matches('"').to_owned());
        }
        Ok(meta)
    }

    /// Abort Multipart Upload.
    ///
    /// # Errors
    /// Signing, HTTP, a timeout, COS's error answer.
    pub async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), ClientError> {
        self.call(true, || {
            let mut req = self.request(Method::Delete, key)?.build()?;
            req.url_mut()
                .query_pairs_mut()
                .append_pair("uploadId", upload_id);
            Ok(req)
        })
        .await?;
        Ok(())
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A part as List Parts reports it.
pub(crate) fn parse_parts(xml: &str) -> (Vec<PartInfo>, Option<u32>) {
    let mut parts = Vec::new();
    let mut cur = PartInfo::default();
    let mut truncated = false;
    let mut next = None;
    for (path, text) in crate::error::xml_fields(xml) {
        match path.as_str() {
            "Part/PartNumber" => cur.part_number = text.trim().parse().unwrap_or(0),
            "Part/ETag" => cur.etag = text.trim().trim_matches('"').to_owned(),
            "Part/Size" => cur.size = text.trim().parse().unwrap_or(0),
            "Part" => parts.push(std::mem::take(&mut cur)),
            "IsTruncated" => truncated = text.trim() == "true",
            "NextPartNumberMarker" => next = text.trim().parse().ok(),
            _ => {}
        }
    }
    (parts, if truncated { next } else { None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_parts_xml() {
        let xml = r#"<?xml version="1.0"?><ListPartsResult><Bucket>b</Bucket><UploadId>u</UploadId>
<IsTruncated>true</IsTruncated><NextPartNumberMarker>2</NextPartNumberMarker>
<Part><PartNumber>1</PartNumber><ETag>"aa"</ETag><Size>5</Size></Part>
<Part><PartNumber>2</PartNumber><ETag>&quot;bb&quot;</ETag><Size>6</Size></Part></ListPartsResult>"#;
        let (p, next) = parse_parts(xml);
        assert_eq!(next, Some(2));
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[0].part_number, p[0].etag.as_str(), p[0].size),
            (1, "aa", 5)
        );
        assert_eq!(
            (p[1].part_number, p[1].etag.as_str(), p[1].size),
            (2, "bb", 6)
        );
    }
}
