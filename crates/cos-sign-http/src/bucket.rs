//! [`Bucket`]: a handle on one bucket of a [`Client`]; every object call takes a key.

use std::time::Instant;

use bytes::Bytes;
use cos_sign_std::method::Method;
use cos_sign_std::signer::{PresignedRequest, SignOptions};
use futures_util::TryStreamExt;
use md5::{Digest, Md5};
use reqwest::Url;
use reqwest::header::{self, HeaderMap};

use crate::client::{Client, GetOutput, ObjectMeta, Remake, UploadOutput};
use crate::crc::BodyHash;
use crate::error::{ClientError, CosError, Crc64Check};
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

/// An object as List Objects reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectSummary {
    /// The key.
    pub key: String,
    /// `Size` in bytes.
    pub size: u64,
    /// `ETag` without quotes (an MD5, or `<hex>-<parts>` for a multipart upload).
    pub etag: String,
    /// `LastModified` as COS writes it (ISO 8601, `2024-01-02T03:04:05.000Z`).
    pub last_modified: String,
    /// `StorageClass` (`STANDARD`, `STANDARD_IA`...).
    pub storage_class: String,
}

/// One page of List Objects ([`Bucket::list_objects`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListPage {
    /// The objects of the page, in key order.
    pub objects: Vec<ObjectSummary>,
    /// The common prefixes (with a delimiter: the "folders" up to it).
    pub common_prefixes: Vec<String>,
    /// Where the next page starts (give it to [`ListOptions::marker`]); `None` on the last
    /// page.
    pub next_marker: Option<String>,
}

/// What [`Bucket::list_objects`] lists: a prefix, a delimiter, a marker to start after, and
/// a page size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    prefix: Option<String>,
    delimiter: Option<String>,
    marker: Option<String>,
    max_keys: Option<u32>,
}

impl ListOptions {
    /// Every object, in pages of up to 1,000.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only keys that start with `prefix`.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Keys with `delimiter` after the prefix are rolled up into common prefixes (`/`: one
    /// level of "folders").
    #[must_use]
    pub fn delimiter(mut self, delimiter: impl Into<String>) -> Self {
        self.delimiter = Some(delimiter.into());
        self
    }

    /// Start after this key (a previous page's [`ListPage::next_marker`]).
    #[must_use]
    pub fn marker(mut self, marker: impl Into<String>) -> Self {
        self.marker = Some(marker.into());
        self
    }

    /// At most `n` entries (objects and common prefixes) a page; COS allows up to 1,000.
    #[must_use]
    pub fn max_keys(mut self, n: u32) -> Self {
        self.max_keys = Some(n);
        self
    }
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
    /// No signer or credentials, a bad bucket or key (the key `/` too: see
    /// [`Client::object_url`]).
    pub fn presign(
        &self,
        method: Method,
        key: &str,
        opts: &SignOptions,
    ) -> Result<PresignedRequest, ClientError> {
        crate::client::check_object_key(key)?;
        Ok(self
            .client
            .signer()?
            .presign(method, &self.name, key, opts)?)
    }

    /// Sends what `build` makes (rebuilt for a retry), signed.
    pub(crate) async fn call(
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
    /// allow-list are signed). When COS answers with `x-cos-hash-crc64ecma`, it must be the
    /// CRC-64 of `body`.
    ///
    /// # Errors
    /// Signing, HTTP, a timeout, COS's error answer, [`ClientError::Crc64`].
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
        let sent = cos_sign_core::crc64::checksum(&body);
        crate::crc::check_answer(Crc64Check::Upload, &resp, sent)?;
        if let Some(p) = opts.progress_mut() {
            p(len, Some(len));
        }
        Ok(UploadOutput::single(resp.headers(), len))
    }

    /// PUT Object from a stream of byte chunks. With `content_length` the request carries it
    /// (COS requires it for PUT Object); without, the body is sent chunked. Never retried
    /// (the stream cannot be replayed). The chunks are hashed as they go: COS's
    /// `x-cos-hash-crc64ecma`, when it answers with it, must be their CRC-64.
    ///
    /// # Errors
    /// Signing, HTTP, the stream's error, a timeout, COS's error answer,
    /// [`ClientError::Crc64`].
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
        let hash = BodyHash::shared(false);
        let chunks = stream.into_stream().map_ok(Bytes::from);
        let body = crate::crc::hashed_body(chunks, hash.clone());
        let mut once = Some(req.body(body).build()?);
        let remake: Remake<'_> = Box::new(move || Ok(once.take()));
        let resp = self.client.send(remake, true, true).await?;
        let sent = BodyHash::snapshot(&hash).crc64();
        crate::crc::check_answer(Crc64Check::Upload, &resp, sent)?;
        Ok(UploadOutput::single(
            resp.headers(),
            content_length.unwrap_or(0),
        ))
    }

    /// GET Object into memory, at most [`GET_LIMIT`] bytes (1 GiB; [`Bucket::get_at_most`]
    /// sets another limit, [`Bucket::download_file`] streams to a file). When COS sends
    /// `x-cos-hash-crc64ecma`, it must be the CRC-64 of the bytes received.
    ///
    /// # Errors
    /// Signing, HTTP, a timeout, COS's error answer, [`ClientError::Crc64`], and
    /// [`ClientError::UnexpectedAnswer`] for an object over the limit (not read further).
    pub async fn get(&self, key: &str) -> Result<GetOutput, ClientError> {
        self.get_at_most(key, GET_LIMIT).await
    }

    /// GET Object into memory, refused with [`ClientError::UnexpectedAnswer`] when its
    /// `Content-Length`, or the bytes that arrive, pass `limit`: what a server sends is never
    /// read past it.
    ///
    /// # Errors
    /// As [`Bucket::get`].
    pub async fn get_at_most(&self, key: &str, limit: u64) -> Result<GetOutput, ClientError> {
        let started = Instant::now();
        let resp = self
            .call(true, || Ok(self.request(Method::Get, key)?.build()?))
            .await?;
        crate::client::check_get(&resp, false)?;
        let meta = ObjectMeta::from_headers(resp.headers());
        let status = resp.status().as_u16();
        let cos_crc = crate::crc::reported(status, resp.headers())?;
        let too_big = |size: String| ClientError::UnexpectedAnswer {
            status,
            detail: format!(
                "an object of {size} bytes, more than the {limit} bytes read into memory \
                 (Bucket::download_file streams to a file)"
            ),
        };
        if let Some(n) = resp.content_length().filter(|&n| n > limit) {
            return Err(too_big(n.to_string()));
        }
        let mut body = Vec::new();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream
            .try_next()
            .await
            .map_err(|e| self.client.transport_error(e, started))?
        {
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(too_big("more than that".to_owned()));
            }
            body.extend_from_slice(&chunk);
        }
        let body = Bytes::from(body);
        let got = cos_sign_core::crc64::checksum(&body);
        crate::crc::compare(Crc64Check::Download, cos_crc, got)?;
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

    /// DELETE Multiple Objects (`POST /?delete`): deletes `keys` in requests of at most
    /// [`DELETE_BATCH`] keys (one request for up to 1,000 keys, where [`delete`](Self::delete)
    /// takes one each), and returns for each key, in the order given, what COS reported for
    /// it: `Ok(())` (deleted, or not there: COS reports a missing key as deleted) or its
    /// [`KeyError`]. Each request is retried as a whole (deleting twice is harmless).
    ///
    /// Keys are sent in XML: a key with a character XML 1.0 cannot carry (a control
    /// character other than tab, line feed and carriage return) is refused with
    /// [`ClientError::InvalidRequest`] before anything is sent; delete such a key with
    /// [`delete`](Self::delete).
    ///
    /// # Errors
    /// Such a key; signing, HTTP, a timeout, COS's error answer to a request as a whole (the
    /// keys of the requests before it were deleted); an answer that does not report a key.
    pub async fn delete_objects(
        &self,
        keys: &[&str],
    ) -> Result<Vec<Result<(), KeyError>>, ClientError> {
        if let Some(k) = keys.iter().find(|k| !batch_deletable(k)) {
            return Err(ClientError::InvalidRequest(format!(
                "the key {k:?} has a character XML cannot carry: delete it alone"
            )));
        }
        let mut out = Vec::with_capacity(keys.len());
        for batch in keys.chunks(DELETE_BATCH) {
            let mut xml = String::from("<Delete><Quiet>false</Quiet>");
            for k in batch {
                xml.push_str("<Object><Key>");
                xml.push_str(&xml_text(k));
                xml.push_str("</Key></Object>");
            }
            xml.push_str("</Delete>");
            let md5 = cos_sign_core::policy_base64(&Md5::digest(xml.as_bytes())).to_string();
            let body = Bytes::from(xml);
            let resp = self
                .call(true, || {
                    let mut req = self
                        .client
                        .bucket_request(Method::Post, &self.name)?
                        .header(header::CONTENT_TYPE, "application/xml")
                        .header("Content-MD5", md5.as_str())
                        .header(header::CONTENT_LENGTH, body.len())
                        .body(body.clone())
                        .build()?;
                    req.url_mut().query_pairs_mut().append_pair("delete", "");
                    Ok(req)
                })
                .await?;
            let status = resp.status().as_u16();
            let text = crate::client::read_answer(resp).await?;
            let reported = parse_delete_result(&text);
            for k in batch {
                let r = reported
                    .get(*k)
                    .cloned()
                    .ok_or_else(|| ClientError::UnexpectedAnswer {
                        status,
                        detail: format!("a DeleteResult that does not report the key {k:?}"),
                    })?;
                out.push(r);
            }
        }
        Ok(out)
    }

    /// PUT Object - Copy: copies the object `source_key` of `source_bucket` (a bucket in this
    /// client's region) to `key` of this bucket, on the server side, with its metadata (COS
    /// copies objects up to 5 GiB in one call). Returns the new object's ETag, without
    /// quotes. An error COS reports inside a 200 answer is an error.
    ///
    /// # Errors
    /// Signing, HTTP, a timeout, COS's error answer (`NoSuchKey` for a missing source), or an
    /// answer without an ETag.
    pub async fn copy_from(
        &self,
        source_bucket: &str,
        source_key: &str,
        key: &str,
    ) -> Result<String, ClientError> {
        let endpoint = self.client.signer()?.endpoint().endpoint().to_owned();
        let path = self
            .client
            .object_url(source_bucket, source_key)?
            .path()
            .to_owned();
        let source = format!("{source_bucket}.{endpoint}{path}");
        let resp = self
            .call(true, || {
                Ok(self
                    .request(Method::Put, key)?
                    .header("x-cos-copy-source", source.as_str())
                    .build()?)
            })
            .await?;
        let (status, _, text) = read_success(resp).await?;
        crate::error::xml_fields(&text)
            .into_iter()
            .find(|(p, v)| p == "ETag" && !v.is_empty())
            .map(|(_, v)| v.trim().trim_matches('"').to_owned())
            .ok_or_else(|| ClientError::UnexpectedAnswer {
                status,
                detail: "a copy answer without an ETag".to_owned(),
            })
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

    /// Upload Part from bytes: the part's ETag (checked to be the MD5 of `body`; COS's
    /// `x-cos-hash-crc64ecma`, when it answers with it, checked to be the CRC-64 of `body`).
    ///
    /// # Errors
    /// Signing, HTTP, a timeout, COS's error answer, [`ClientError::Integrity`],
    /// [`ClientError::Crc64`].
    pub async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: impl Into<Bytes>,
    ) -> Result<String, ClientError> {
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
        let crc = cos_sign_core::crc64::checksum(&body);
        crate::crc::check_answer(Crc64Check::Part(part_number), &resp, crc)?;
        Ok(etag)
    }

    /// List Parts of an upload (all pages). Each page must move on: a truncated page holds
    /// parts, and the next one starts after a higher part number, at most [`MAX_PARTS`]
    /// (a server whose markers stand still or go back would be listed forever).
    ///
    /// [`MAX_PARTS`]: crate::options::MAX_PARTS
    ///
    /// # Errors
    /// Signing, HTTP, a timeout, COS's error answer; [`ClientError::UnexpectedAnswer`] for a
    /// listing that does not move on or goes past [`MAX_PARTS`] parts.
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
            let status = resp.status().as_u16();
            let text = crate::client::read_answer(resp).await?;
            let (parts, truncated, next) = parse_parts(&text);
            // Without NextPartNumberMarker, the page's last part is where the next one starts.
            let next = next.or_else(|| parts.last().map(|p| p.part_number));
            let empty = parts.is_empty();
            all.extend(parts);
            if !truncated {
                return Ok(all);
            }
            let limit = crate::options::MAX_PARTS;
            let detail = match next {
                None => "a truncated List Parts page with no marker to go on from".to_owned(),
                Some(n) if empty || marker.is_some_and(|m| n <= m) => format!(
                    "List Parts does not move on: a truncated page would be followed by the \
                     parts after {n} again"
                ),
                Some(n) if u64::from(n) >= limit || all.len() as u64 >= limit => {
                    format!("List Parts goes on past part {n}; an upload has at most {limit} parts")
                }
                Some(n) => {
                    marker = Some(n);
                    continue;
                }
            };
            return Err(ClientError::UnexpectedAnswer { status, detail });
        }
    }

    /// One page of List Objects (GET Bucket): the objects after `opts`' marker, in key order,
    /// and the common prefixes. Keys travel URL-encoded (`encoding-type=url`), so any key
    /// comes back as it was stored. Loop while [`ListPage::next_marker`] is set:
    ///
    /// ```no_run
    /// # async fn demo(bucket: cos_sign_http::Bucket) -> Result<(), cos_sign_http::ClientError> {
    /// use cos_sign_http::ListOptions;
    /// let mut opts = ListOptions::new().prefix("logs/");
    /// loop {
    ///     let page = bucket.list_objects(&opts).await?;
    ///     for o in &page.objects {
    ///         println!("{} {}", o.key, o.size);
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
    /// Signing, HTTP, a timeout, COS's error answer; an answer whose keys are not URL-encoded
    /// UTF-8, or that says it is truncated with no marker to go on from.
    pub async fn list_objects(&self, opts: &ListOptions) -> Result<ListPage, ClientError> {
        let resp = self
            .call(true, || {
                let mut req = self
                    .client
                    .bucket_request(Method::Get, &self.name)?
                    .build()?;
                {
                    let mut q = req.url_mut().query_pairs_mut();
                    let pairs = [
                        ("prefix", opts.prefix.as_deref()),
                        ("delimiter", opts.delimiter.as_deref()),
                        ("marker", opts.marker.as_deref()),
                    ];
                    for (name, value) in pairs {
                        if let Some(v) = value {
                            q.append_pair(name, v);
                        }
                    }
                    if let Some(n) = opts.max_keys {
                        q.append_pair("max-keys", &n.to_string());
                    }
                    q.append_pair("encoding-type", "url");
                }
                Ok(req)
            })
            .await?;
        let status = resp.status().as_u16();
        let text = crate::client::read_answer(resp).await?;
        parse_list(&text).map_err(|detail| ClientError::UnexpectedAnswer { status, detail })
    }

    /// Complete Multipart Upload with `(part number, ETag)` in order. Retried (completing
    /// twice with the same list is harmless). An error inside a 200 answer is an error. The
    /// answer's `x-cos-hash-crc64ecma` (the whole object's) is in the result's
    /// [`ObjectMeta::crc64`], for the caller who knows the parts' CRCs to compare
    /// ([`upload_file`](Self::upload_file) does).
    ///
    /// # Errors
    /// Signing, HTTP, a timeout, COS's error answer.
    pub async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
    ) -> Result<ObjectMeta, ClientError> {
        Ok(self
            .complete_multipart_answer(key, upload_id, parts)
            .await?
            .0)
    }

    /// [`complete_multipart`](Self::complete_multipart), with COS's CRC-64 of the object
    /// when the answer reports it.
    pub(crate) async fn complete_multipart_answer(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
    ) -> Result<(ObjectMeta, Option<u64>), ClientError> {
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
        let (status, headers, text) = read_success(resp).await?;
        let crc = crate::crc::reported(status, &headers)?;
        let mut meta = ObjectMeta::from_headers(&headers);
        if let Some((_, e)) = crate::error::xml_fields(&text)
            .into_iter()
            .find(|(p, _)| p == "ETag")
        {
            meta.etag = Some(e.trim_matches('"').to_owned());
        }
        Ok((meta, crc))
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

/// The status, headers and body of an answer that may hold an error inside a 200 (Complete
/// and Copy: COS may fail after it started to answer); such an error is COS's error.
async fn read_success(resp: reqwest::Response) -> Result<(u16, HeaderMap, String), ClientError> {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = crate::client::read_answer(resp).await?;
    if text.contains("<Error>") {
        return Err(CosError::from_response(status.max(500), &headers, &text, false).into());
    }
    Ok((status, headers, text))
}

/// The most keys [`Bucket::delete_objects`] sends in one request (COS's limit).
pub const DELETE_BATCH: usize = 1000;

/// The most bytes [`Bucket::get`] reads into memory (1 GiB).
pub const GET_LIMIT: u64 = 1 << 30;

/// What COS reported for a key it did not delete ([`Bucket::delete_objects`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    /// COS's error code (`AccessDenied`, ...).
    pub code: String,
    /// Its message.
    pub message: String,
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "COS error {}", self.code)?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

/// Whether [`Bucket::delete_objects`] can send the key `s`: XML 1.0 can carry each of its
/// characters (as text or a character reference), which excludes the control characters
/// other than tab, line feed and carriage return.
pub fn batch_deletable(s: &str) -> bool {
    !s.chars().any(|c| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{fffe}' | '\u{ffff}')
    })
}

/// `s` as XML text that reads back as `s`: the markup characters escaped, and tab, line feed
/// and carriage return as character references (a parser would turn a carriage return, and
/// a line feed after it, into one line feed).
fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// A `DeleteResult`: each key reported, deleted (`Ok`) or with its error.
fn parse_delete_result(xml: &str) -> std::collections::HashMap<String, Result<(), KeyError>> {
    let mut out = std::collections::HashMap::new();
    let (mut key, mut code, mut message) = (String::new(), String::new(), String::new());
    for (path, text) in crate::error::xml_fields(xml) {
        match path.as_str() {
            "Deleted/Key" | "Error/Key" => key = text,
            "Error/Code" => code = text,
            "Error/Message" => message = text,
            "Deleted" => {
                out.insert(std::mem::take(&mut key), Ok(()));
            }
            "Error" => {
                let e = KeyError {
                    code: std::mem::take(&mut code),
                    message: std::mem::take(&mut message),
                };
                // a key both deleted and failed is taken as failed
                out.insert(std::mem::take(&mut key), Err(e));
            }
            _ => {}
        }
    }
    out
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A value of a listing asked with `encoding-type=url` (a key, a prefix, a marker), decoded;
/// `what` names it in the error.
pub(crate) fn url_decoded(what: &str, v: &str) -> Result<String, String> {
    percent_encoding::percent_decode_str(v)
        .decode_utf8()
        .map(|k| k.into_owned())
        .map_err(|_| format!("a {what} that is not URL-encoded UTF-8"))
}

/// A List Objects answer (`ListBucketResult`, keys URL-encoded) as a page.
fn parse_list(xml: &str) -> Result<ListPage, String> {
    let decode = url_decoded;
    let mut page = ListPage::default();
    let mut cur = ObjectSummary::default();
    let (mut truncated, mut next) = (false, None);
    for (path, text) in crate::error::xml_fields(xml) {
        match path.as_str() {
            "Contents/Key" => cur.key = decode("key", &text)?,
            "Contents/Size" => cur.size = text.trim().parse().unwrap_or(0),
            "Contents/ETag" => cur.etag = text.trim().trim_matches('"').to_owned(),
            "Contents/LastModified" => cur.last_modified = text.trim().to_owned(),
            "Contents/StorageClass" => cur.storage_class = text.trim().to_owned(),
            "Contents" => page.objects.push(std::mem::take(&mut cur)),
            "CommonPrefixes/Prefix" => page.common_prefixes.push(decode("prefix", &text)?),
            "IsTruncated" => truncated = text.trim() == "true",
            "NextMarker" if !text.is_empty() => next = Some(decode("marker", &text)?),
            _ => {}
        }
    }
    if truncated {
        // Without a delimiter COS may leave NextMarker out: the last entry (objects and
        // prefixes come in key order) is the marker.
        let last = page.objects.last().map(|o| &o.key);
        page.next_marker = next.or_else(|| last.max(page.common_prefixes.last()).cloned());
        if page.next_marker.is_none() {
            return Err("a truncated page with no marker to go on from".to_owned());
        }
    }
    Ok(page)
}

/// A List Parts page: its parts, whether it is truncated, and its `NextPartNumberMarker`.
pub(crate) fn parse_parts(xml: &str) -> (Vec<PartInfo>, bool, Option<u32>) {
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
    (parts, truncated, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_objects_xml() {
        let xml = r#"<?xml version="1.0"?><ListBucketResult><Name>b</Name><EncodingType>url</EncodingType>
<Prefix>a%2F</Prefix><IsTruncated>true</IsTruncated>
<Contents><Key>a%2F%E8%B0%B7%20x%0A</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified>
<ETag>&quot;aa&quot;</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass></Contents>
<CommonPrefixes><Prefix>a%2Fd%2F</Prefix></CommonPrefixes></ListBucketResult>"#;
        let page = parse_list(xml).unwrap();
        assert_eq!(page.objects.len(), 1);
        let o = &page.objects[0];
        assert_eq!(
            (o.key.as_str(), o.size, o.etag.as_str()),
            ("a/谷 x\n", 5, "aa")
        );
        assert_eq!(o.last_modified, "2024-01-02T03:04:05.000Z");
        assert_eq!(o.storage_class, "STANDARD");
        assert_eq!(page.common_prefixes, ["a/d/"]);
        // Truncated without NextMarker: the last entry in key order is where the next page
        // starts (COS lists the objects, then the prefixes: here the object is the later
        // key, "谷" after "d"; with a later prefix, the prefix).
        assert_eq!(page.next_marker.as_deref(), Some("a/谷 x\n"));
        let later_prefix = xml.replace("a%2Fd%2F", "a%2F%E9%A1%B9%2F");
        assert_eq!(
            parse_list(&later_prefix).unwrap().next_marker.as_deref(),
            Some("a/项/")
        );
        let with_next = xml.replace(
            "<IsTruncated>true</IsTruncated>",
            "<IsTruncated>true</IsTruncated><NextMarker>z%20z</NextMarker>",
        );
        assert_eq!(
            parse_list(&with_next).unwrap().next_marker.as_deref(),
            Some("z z")
        );
        let done = xml.replace(">true<", ">false<");
        assert_eq!(parse_list(&done).unwrap().next_marker, None);
        assert!(parse_list(&xml.replace("%E8%B0%B7", "%FF")).is_err());
        let empty = "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>";
        assert!(parse_list(empty).is_err());
    }

    #[test]
    fn list_parts_xml() {
        let xml = r#"<?xml version="1.0"?><ListPartsResult><Bucket>b</Bucket><UploadId>u</UploadId>
<IsTruncated>true</IsTruncated><NextPartNumberMarker>2</NextPartNumberMarker>
<Part><PartNumber>1</PartNumber><ETag>"aa"</ETag><Size>5</Size></Part>
<Part><PartNumber>2</PartNumber><ETag>&quot;bb&quot;</ETag><Size>6</Size></Part></ListPartsResult>"#;
        let (p, truncated, next) = parse_parts(xml);
        assert!(truncated);
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
