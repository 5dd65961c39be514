//! The async COS client on `reqwest`: signing, timeouts, retries, and pre-signed transfers.
//! Object calls go through a [`Bucket`](crate::Bucket) handle ([`Client::bucket`]).
//!
//! * **Signing.** [`Client::sign_request`] signs a `reqwest::Request` whose headers are
//!   final: the `host` as it will be sent, every allow-listed header, the URL's
//!   percent-decoded path and form-decoded query params. With a temporary key the
//!   `x-cos-security-token` header is added and signed. Before signing, the client awaits
//!   the provider's async view ([`CredentialsProvider::credentials_async`]) when it was built
//!   with [`ClientBuilder::credentials`], so a refresh never blocks a runtime thread.
//! * **Never hangs.** [`Timeouts`]: connect (10 s), read-idle (30 s: no byte for that long
//!   fails the request, also in the middle of a body), each request (10 min), waiting for
//!   credentials (30 s). A timeout is [`ClientError::Timeout`] with its [`TimeoutKind`].
//! * **Retries.** [`RetryPolicy`] (see [`retry`](crate::retry)): connection errors, timeouts
//!   before the answer, 5xx, 429 and `SlowDown`, for idempotent requests whose body can be
//!   built again, with exponential backoff and jitter. A clock-skew answer
//!   (`RequestTimeTooSkewed`, or "Request has expired" with a `Date` a minute or more away)
//!   is retried once after correcting the signer clock ([`skew_correction`]).
//! * **Files** stream in 256 KiB chunks; downloads go to a temporary file beside the target,
//!   renamed into place only once complete and checked; it is removed on any failure and when
//!   the future is dropped.
//! * **Integrity.** An MD5 ETag is checked against the bytes; COS's `x-cos-hash-crc64ecma`
//!   (CRC-64/XZ, [`cos_sign_core::crc64`]) against the bytes sent by a PUT or a part and the
//!   bytes received by a GET of the whole object ([`ClientError::Crc64`]); an answer without
//!   it is not checked.
//!
//! ```no_run
//! use cos_sign_http::{Client, TransferOptions};
//! use cos_sign_std::config::Endpoint;
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::builder()
//!     .credentials(cos_sign_http::providers::default_chain(), Endpoint::from_region("ap-guangzhou")?)
//!     .build()?;
//! let bucket = client.bucket("examplebucket-1250000000");
//! bucket.put("a.txt", "hello").await?;
//! assert_eq!(&bucket.get("a.txt").await?.body[..], b"hello");
//! bucket
//!     .upload_file("big.iso", "/tmp/big.iso", TransferOptions::new().concurrency(8))
//!     .await?;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use cos_sign_std::clock::Clock;
use cos_sign_std::config::Endpoint;
use cos_sign_std::credentials::CredentialsProvider;
use cos_sign_std::method::{Method as CosMethod, UnsupportedMethod};
use cos_sign_std::signer::{Signer, TOKEN_NAME};
use futures_util::StreamExt;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, Response, Url};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::crc::{BodyHash, SharedHash};
use crate::error::{ClientError, CosError, Crc64Check, TimeoutKind};
use crate::options::{ProgressFn, TransferOptions};
use crate::output::OutputFile;
use crate::retry::{RetryPolicy, is_transient_answer, is_transient_failure};

/// The chunk size of file streams.
pub(crate) const CHUNK: usize = 256 * 1024;

/// The client's time limits. Every network wait is bounded by one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Connecting, TCP and TLS (default 10 s).
    pub connect: Duration,
    /// The longest silence while waiting for an answer or its body (default 30 s).
    pub read_idle: Duration,
    /// One whole request, answer and body (default 10 min; a multipart part or a range is
    /// one request).
    pub request: Duration,
    /// Waiting for credentials from the provider (default 30 s).
    pub credentials: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            read_idle: Duration::from_secs(30),
            request: Duration::from_secs(600),
            credentials: Duration::from_secs(30),
        }
    }
}

impl Timeouts {
    /// With this connect timeout.
    pub fn connect(mut self, d: Duration) -> Self {
        self.connect = d;
        self
    }
    /// With this read-idle timeout.
    pub fn read_idle(mut self, d: Duration) -> Self {
        self.read_idle = d;
        self
    }
    /// With this per-request timeout.
    pub fn request(mut self, d: Duration) -> Self {
        self.request = d;
        self
    }
    /// With this credentials wait.
    pub fn credentials(mut self, d: Duration) -> Self {
        self.credentials = d;
        self
    }
}

/// Builds a [`Client`].
#[derive(Default)]
pub struct ClientBuilder {
    signer: Option<Arc<Signer>>,
    provider: Option<Arc<dyn CredentialsProvider>>,
    http: Option<reqwest::Client>,
    proxy: Option<reqwest::Proxy>,
    no_proxy: bool,
    timeouts: Timeouts,
    retry: RetryPolicy,
    expires: Option<Duration>,
}

/// Shows whether a proxy is set, not the proxy (reqwest's `Proxy` shows its URL with its
/// password).
impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("signer", &self.signer)
            .field("provider", &self.provider)
            .field("http", &self.http)
            .field("proxy", &self.proxy.as_ref().map(|_| "(set)"))
            .field("no_proxy", &self.no_proxy)
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .field("expires", &self.expires)
            .finish()
    }
}

impl ClientBuilder {
    /// Signs with this signer. Its provider is called through its sync view only; prefer
    /// [`credentials`](ClientBuilder::credentials) for network providers.
    pub fn signer(mut self, signer: impl Into<Arc<Signer>>) -> Self {
        self.signer = Some(signer.into());
        self.provider = None;
        self
    }

    /// Signs for `endpoint` with the credentials of `provider`, awaiting its async view
    /// before each signature (a refresh then never blocks a runtime thread).
    pub fn credentials(
        mut self,
        provider: impl CredentialsProvider + 'static,
        endpoint: Endpoint,
    ) -> Self {
        let p: Arc<dyn CredentialsProvider> = Arc::new(provider);
        self.signer = Some(Arc::new(Signer::new(p.clone(), endpoint)));
        self.provider = Some(p);
        self
    }

    /// Uses this reqwest client (the proxy and the connect and read-idle timeouts of this
    /// builder are then the caller's business; the request timeout still applies).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Sends every request through this proxy (for example the local server reached as an
    /// HTTP proxy while URLs keep the real COS host).
    pub fn proxy(mut self, proxy: reqwest::Proxy) -> Self {
        self.proxy = Some(proxy);
        self
    }

    /// Ignores the proxies of the environment (`HTTP_PROXY`...).
    pub fn no_proxy(mut self) -> Self {
        self.no_proxy = true;
        self
    }

    /// The time limits.
    pub fn timeouts(mut self, t: Timeouts) -> Self {
        self.timeouts = t;
        self
    }

    /// A timeout for each whole request.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeouts.request = d;
        self
    }

    /// A timeout for connecting.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.timeouts.connect = d;
        self
    }

    /// The longest silence while waiting for data.
    pub fn read_idle_timeout(mut self, d: Duration) -> Self {
        self.timeouts.read_idle = d;
        self
    }

    /// The retry policy.
    pub fn retry(mut self, r: RetryPolicy) -> Self {
        self.retry = r;
        self
    }

    /// How long the Authorization of signed calls is valid (default 300 s).
    pub fn signature_expires(mut self, d: Duration) -> Self {
        self.expires = Some(d);
        self
    }

    /// The client.
    ///
    /// # Errors
    /// The reqwest client cannot be built (TLS backend).
    pub fn build(self) -> Result<Client, ClientError> {
        let http = match self.http {
            Some(h) => h,
            None => {
                let mut b = reqwest::Client::builder()
                    .connect_timeout(self.timeouts.connect)
                    .read_timeout(self.timeouts.read_idle)
                    .redirect(reqwest::redirect::Policy::none());
                if self.no_proxy {
                    b = b.no_proxy();
                }
                if let Some(p) = self.proxy {
                    b = b.proxy(p);
                }
                b.build()?
            }
        };
        Ok(Client {
            inner: Arc::new(Inner {
                signer: self.signer,
                provider: self.provider,
                http,
                expires: self.expires.unwrap_or(Duration::from_secs(300)),
                timeouts: self.timeouts,
                retry: self.retry,
            }),
        })
    }
}

#[derive(Debug)]
struct Inner {
    signer: Option<Arc<Signer>>,
    provider: Option<Arc<dyn CredentialsProvider>>,
    http: reqwest::Client,
    expires: Duration,
    timeouts: Timeouts,
    retry: RetryPolicy,
}

/// An async COS client. Cheap to clone (the signer and the connection pool are shared).
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

/// What COS says about an object (from the response headers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectMeta {
    /// `Content-Length`.
    pub content_length: Option<u64>,
    /// `ETag` without its quotes (the MD5 hex of a simple upload).
    pub etag: Option<String>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Last-Modified`.
    pub last_modified: Option<String>,
    /// `x-cos-request-id`.
    pub request_id: Option<String>,
    /// `x-cos-meta-*` headers (names without the prefix, lowercase).
    pub metadata: Vec<(String, String)>,
    /// `x-cos-hash-crc64ecma`: COS's CRC-64/XZ of the whole object (on a ranged GET too),
    /// or of the part (Upload Part); `None` when absent or not a decimal number.
    pub crc64: Option<u64>,
}

impl ObjectMeta {
    pub(crate) fn from_headers(h: &HeaderMap) -> Self {
        let get = |n: &str| h.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
        Self {
            content_length: get("content-length").and_then(|v| v.parse().ok()),
            etag: get("etag").map(|e| e.trim_matches('"').to_owned()),
            content_type: get("content-type"),
            last_modified: get("last-modified"),
            request_id: get("x-cos-request-id"),
            metadata: h
                .iter()
                .filter_map(|(k, v)| {
                    let name = k.as_str().strip_prefix("x-cos-meta-")?;
                    Some((name.to_owned(), v.to_str().ok()?.to_owned()))
                })
                .collect(),
            crc64: get(crate::crc::HEADER).and_then(|v| v.parse().ok()),
        }
    }

    /// Checks `md5` (hex) against the ETag when it is an MD5: whether it was checked.
    ///
    /// # Errors
    /// [`ClientError::Integrity`] when they differ.
    pub fn check_md5(&self, md5: &str) -> Result<bool, ClientError> {
        match self.md5_etag() {
            Some(e) if !e.eq_ignore_ascii_case(md5) => Err(ClientError::Integrity {
                expected: e,
                actual: md5.to_owned(),
            }),
            e => Ok(e.is_some()),
        }
    }

    /// The ETag when it is an MD5 (32 hex digits: a simple upload), lowercase.
    pub fn md5_etag(&self) -> Option<String> {
        self.etag
            .as_deref()
            .filter(|e| e.len() == 32 && e.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(str::to_ascii_lowercase)
    }
}

/// An object read into memory.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GetOutput {
    /// The bytes.
    pub body: Bytes,
    /// The headers' facts.
    pub meta: ObjectMeta,
}

/// The result of a download to a file.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DownloadOutput {
    /// The headers' facts.
    pub meta: ObjectMeta,
    /// Bytes written.
    pub bytes: u64,
    /// MD5 of the bytes written (hex).
    pub md5: String,
    /// Whether the MD5 was checked against an MD5 ETag (and matched): never for a 206 (a
    /// Range asked), whose bytes are part of the object.
    pub md5_checked: bool,
    /// Whether the CRC-64 of the bytes was checked against COS's `x-cos-hash-crc64ecma`
    /// (and matched): COS sent it, and the download is the whole object.
    pub crc64_checked: bool,
    /// Ranged requests used (0: one plain GET).
    pub ranges: u32,
}

/// The result of an upload.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct UploadOutput {
    /// The headers' facts (`etag`, `request_id`).
    pub meta: ObjectMeta,
    /// Bytes of the object.
    pub bytes: u64,
    /// Parts of a multipart upload (0: one PUT).
    pub parts: u32,
    /// Parts found already uploaded and not sent again (a resumed upload).
    pub parts_skipped: u32,
    /// The multipart upload id, if multipart.
    pub upload_id: Option<String>,
}

impl UploadOutput {
    /// The result of one PUT of `bytes` bytes answered with `headers`.
    pub(crate) fn single(headers: &HeaderMap, bytes: u64) -> Self {
        Self {
            meta: ObjectMeta::from_headers(headers),
            bytes,
            parts: 0,
            parts_skipped: 0,
            upload_id: None,
        }
    }
}

/// How a request is built again for a retry: `Ok(None)` when it cannot be (a stream).
pub(crate) type Remake<'a> =
    Box<dyn FnMut() -> Result<Option<reqwest::Request>, ClientError> + Send + 'a>;

impl Client {
    /// A client signing with `signer`, with the default reqwest client (rustls, no
    /// redirects) and the default timeouts and retries.
    ///
    /// # Errors
    /// As [`ClientBuilder::build`].
    pub fn new(signer: impl Into<Arc<Signer>>) -> Result<Self, ClientError> {
        Self::builder().signer(signer).build()
    }

    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The signer.
    ///
    /// # Errors
    /// [`ClientError::InvalidRequest`] when the client was built without one.
    pub fn signer(&self) -> Result<&Signer, ClientError> {
        self.inner.signer.as_deref().ok_or_else(|| {
            ClientError::InvalidRequest("this client has no signer (credentials)".into())
        })
    }

    /// The reqwest client.
    pub fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// The time limits.
    pub fn timeouts(&self) -> Timeouts {
        self.inner.timeouts
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.inner.retry
    }

    /// The URL of an object (endpoint rules of the signer's [`Endpoint`]).
    ///
    /// # Errors
    /// No signer, a bad bucket or key; the key `/`, whose path is the bucket's own (a
    /// DELETE of it would be Delete Bucket, a PUT Create Bucket).
    pub fn object_url(&self, bucket: &str, key: &str) -> Result<Url, ClientError> {
        check_object_key(key)?;
        let url = self.signer()?.object_url(bucket, key)?;
        let parsed = Url::parse(&url)
            .map_err(|e| ClientError::InvalidRequest(format!("object URL: {e}")))?;
        // Parsing must not move the request elsewhere (dot segments removed, a path made
        // canonical): the path sent is the one built for the key.
        let built = url
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
            .unwrap_or("/");
        if parsed.path() != built {
            return Err(ClientError::InvalidRequest(format!(
                "the key {key:?} does not travel in a URL as it is (its path {built:?} \
                 would be sent as {:?})",
                parsed.path()
            )));
        }
        Ok(parsed)
    }

    /// Signs `req` in place: removes any `Authorization`, adds `x-cos-security-token` for a
    /// temporary key, then sets `Authorization` over the method, the decoded path and query
    /// params of its URL, its `Host` (the header if set, else the URL's host and non-default
    /// port) and its allow-listed headers. Call it after the headers are final.
    ///
    /// # Errors
    /// No signer or credentials, a path or header value that is not UTF-8.
    pub fn sign_request(&self, req: &mut reqwest::Request) -> Result<(), ClientError> {
        sign_request_with(self.signer()?, req, self.inner.expires)
    }

    /// Signs and sends `req`, with the client's retries (when its body can be cloned) and
    /// timeouts (the request's own `timeout`, if set, instead of the client's whole-request
    /// limit). A status ≥ 400 becomes [`ClientError::Cos`]; a redirect (not followed) or
    /// another status below 200 or 300 and up, [`ClientError::UnexpectedAnswer`].
    ///
    /// # Errors
    /// Signing, HTTP, a timeout, COS's error answer, or an unexpected answer.
    pub async fn execute(&self, req: reqwest::Request) -> Result<Response, ClientError> {
        self.execute_as(req, true).await
    }

    /// Sends `req` as it is, unsigned (a pre-signed URL, or a request signed by the caller),
    /// as [`execute`](Client::execute) sends it: retries, timeouts, the same answers.
    ///
    /// # Errors
    /// HTTP, a timeout, COS's error answer, or an unexpected answer.
    pub async fn execute_unsigned(&self, req: reqwest::Request) -> Result<Response, ClientError> {
        self.execute_as(req, false).await
    }

    async fn execute_as(&self, req: reqwest::Request, sign: bool) -> Result<Response, ClientError> {
        let backup = req.try_clone();
        let mut first = Some(req);
        let idempotent = first.as_ref().is_some_and(|r| r.method() != Method::POST);
        let remake: Remake<'_> = Box::new(move || {
            Ok(first
                .take()
                .or_else(|| backup.as_ref().and_then(reqwest::Request::try_clone)))
        });
        self.send(remake, sign, idempotent).await
    }

    /// A request builder for `method` on an object, to add headers to and pass to
    /// [`execute`](Client::execute) after `.build()`. In IP mode it carries the bucket's
    /// `Host` header, as qcloud_cos sends it.
    ///
    /// # Errors
    /// No signer, a bad bucket or key.
    pub fn object_request(
        &self,
        method: CosMethod,
        bucket: &str,
        key: &str,
    ) -> Result<reqwest::RequestBuilder, ClientError> {
        let url = self.object_url(bucket, key)?;
        self.request_to(method, bucket, url)
    }

    /// A request builder for `method` on `bucket` itself (`/`: List Objects), as
    /// [`object_request`](Client::object_request) makes one for an object.
    pub(crate) fn bucket_request(
        &self,
        method: CosMethod,
        bucket: &str,
    ) -> Result<reqwest::RequestBuilder, ClientError> {
        let endpoint = self.signer()?.endpoint();
        let authority = endpoint.url_authority(Some(bucket)).map_err(sign_err)?;
        let url = Url::parse(&format!("{}://{authority}/", endpoint.scheme()))
            .map_err(|e| ClientError::InvalidRequest(format!("bucket URL: {e}")))?;
        self.request_to(method, bucket, url)
    }

    /// A request builder for `method` to `url` on `bucket`: in IP mode
    /// (`Endpoint::builder().ip(..)`) the URL names the IP, and `Host` the bucket.
    fn request_to(
        &self,
        method: CosMethod,
        bucket: &str,
        url: Url,
    ) -> Result<reqwest::RequestBuilder, ClientError> {
        let endpoint = self.signer()?.endpoint();
        let host = endpoint.host(Some(bucket)).map_err(sign_err)?;
        let req = self.inner.http.request(http_method(method), url);
        if endpoint.url_authority(Some(bucket)).map_err(sign_err)? != host {
            return Ok(req.header(header::HOST, host));
        }
        Ok(req)
    }

    /// Uploads the file `path` with a `PUT` to a pre-signed URL, streamed, with
    /// `Content-Length` and the options' headers (which the URL must have signed if COS
    /// requires it). No signer needed. Retried like a signed PUT (the file is re-read). COS's
    /// `x-cos-hash-crc64ecma`, when it answers with it, must be the CRC-64 of the bytes sent.
    ///
    /// # Errors
    /// A bad URL, the file, HTTP, a timeout, COS's error answer, [`ClientError::Crc64`].
    pub async fn upload_presigned(
        &self,
        url: &str,
        path: impl AsRef<Path>,
        mut opts: TransferOptions<'_>,
    ) -> Result<UploadOutput, ClientError> {
        let path = path.as_ref();
        let url = parse_url(url)?;
        let len = file_len(path).await?;
        let headers = opts.request_headers()?;
        let (tx, rx) = mpsc::unbounded_channel::<(usize, u64)>();
        let hash = BodyHash::shared(false);
        let hasher = hash.clone();
        let remake: Remake<'_> = Box::new(move || {
            BodyHash::reset(&hasher);
            let body = file_body(path, 0, len, Some((0, tx.clone())), Some(hasher.clone()))?;
            Ok(Some(
                self.inner
                    .http
                    .put(url.clone())
                    .headers(headers.clone())
                    .header(header::CONTENT_LENGTH, len)
                    .body(body)
                    .build()?,
            ))
        });
        let resp = with_progress(
            self.send(remake, false, true),
            rx,
            1,
            Some(len),
            opts.progress_mut(),
        )
        .await?;
        let sent = BodyHash::snapshot(&hash).crc64();
        crate::crc::check_answer(Crc64Check::Upload, &resp, sent)?;
        Ok(UploadOutput::single(resp.headers(), len))
    }

    /// Downloads a pre-signed `GET` URL into the file `path`: streamed into a temporary
    /// file in the same folder, renamed into place once complete (and checked against an
    /// MD5 ETag, and against COS's CRC-64 when it sends one and the answer is the whole
    /// object). No signer needed.
    ///
    /// # Errors
    /// A bad URL, HTTP, a timeout, COS's error answer, the file, [`ClientError::Length`],
    /// [`ClientError::Integrity`] or [`ClientError::Crc64`].
    pub async fn download_presigned(
        &self,
        url: &str,
        path: impl AsRef<Path>,
        mut opts: TransferOptions<'_>,
    ) -> Result<DownloadOutput, ClientError> {
        let url = parse_url(url)?;
        let headers = opts.request_headers()?;
        let ranged = headers.contains_key(header::RANGE);
        let http = &self.inner.http;
        let remake: Remake<'_> = Box::new(move || {
            Ok(Some(
                http.get(url.clone()).headers(headers.clone()).build()?,
            ))
        });
        let started = Instant::now();
        let resp = self.send(remake, false, true).await?;
        self.save_response(resp, path.as_ref(), opts.progress_mut(), started, ranged)
            .await
    }

    /// Awaits the provider's async view so that signing then finds a fresh key.
    async fn warm_credentials(&self) -> Result<(), ClientError> {
        let Some(p) = &self.inner.provider else {
            return Ok(());
        };
        let limit = self.inner.timeouts.credentials;
        match tokio::time::timeout(limit, p.credentials_async()).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(ClientError::Credentials(e)),
            Err(_) => Err(ClientError::Timeout {
                kind: TimeoutKind::Credentials,
                after: limit,
            }),
        }
    }

    /// A reqwest failure as a client error: timeouts typed by what timed out.
    pub(crate) fn transport_error(&self, e: reqwest::Error, started: Instant) -> ClientError {
        if !e.is_timeout() {
            return e.into();
        }
        let t = self.inner.timeouts;
        let (kind, after) = if e.is_connect() {
            (TimeoutKind::Connect, t.connect)
        } else if started.elapsed() + Duration::from_millis(20) >= t.request {
            (TimeoutKind::Request, t.request)
        } else {
            (TimeoutKind::ReadIdle, t.read_idle)
        };
        ClientError::Timeout { kind, after }
    }

    /// Sends the requests `remake` builds (signed when `sign`), with the per-request
    /// timeout, the retry policy (when `idempotent` and `remake` can build another) and one
    /// skew correction. Only a `2xx` status is an answer: a status ≥ 400 is COS's error, a
    /// redirect or `1xx` an unexpected answer.
    pub(crate) async fn send(
        &self,
        mut remake: Remake<'_>,
        sign: bool,
        idempotent: bool,
    ) -> Result<Response, ClientError> {
        let retry = self.inner.retry;
        let mut attempt = 0u32;
        let mut skew_fixed = false;
        let mut next = remake()?;
        loop {
            let mut req =
                next.ok_or_else(|| ClientError::InvalidRequest("no request to send".into()))?;
            if sign {
                self.warm_credentials().await?;
                self.sign_request(&mut req)?;
            }
            if req.timeout().is_none() {
                *req.timeout_mut() = Some(self.inner.timeouts.request);
            }
            let head = req.method() == Method::HEAD;
            let started = Instant::now();
            let failure = match self.inner.http.execute(req).await {
                Ok(resp) if resp.status().is_success() => return Ok(resp),
                Ok(resp) if resp.status().as_u16() < 400 => return Err(unexpected(&resp)),
                Ok(resp) => {
                    let err = read_error(resp, head).await;
                    if sign
                        && !skew_fixed
                        && let Some(skew) = skew_correction(&err, self.signer()?.clock())
                        && let Some(again) = remake()?
                    {
                        self.signer()?.clock().set_skew(skew);
                        skew_fixed = true;
                        next = Some(again);
                        continue;
                    }
                    let transient = is_transient_answer(&err);
                    (ClientError::from(err), transient)
                }
                Err(e) => {
                    let e = self.transport_error(e, started);
                    let transient = is_transient_failure(&e);
                    (e, transient)
                }
            };
            let (err, transient) = failure;
            if !(transient && idempotent && attempt < retry.max_retries) {
                return Err(err);
            }
            let Some(again) = remake()? else {
                return Err(err);
            };
            tokio::time::sleep(retry.delay(attempt)).await;
            attempt += 1;
            next = Some(again);
        }
    }

    /// Streams the body of `resp` into `path` through a temporary file, once it is the
    /// answer a GET asks for (`206` only when `ranged`).
    pub(crate) async fn save_response(
        &self,
        resp: Response,
        path: &Path,
        progress: Option<&mut ProgressFn<'_>>,
        started: Instant,
        ranged: bool,
    ) -> Result<DownloadOutput, ClientError> {
        check_get(&resp, ranged)?;
        let meta = ObjectMeta::from_headers(resp.headers());
        // The MD5 ETag and the CRC COS sends are the whole object's: a 206 (a Range asked)
        // is checked against neither.
        let whole = resp.status().as_u16() == 200;
        let cos_crc = match whole {
            true => crate::crc::reported(200, resp.headers())?,
            false => None,
        };
        let total = resp.content_length().or(meta.content_length);
        let tmp = OutputFile::new(path);
        let mut progress = progress;
        let mut report = |d: u64| {
            if let Some(p) = progress.as_deref_mut() {
                p(d, total);
            }
        };
        let mut file = tmp.create().await?;
        let mut hash = BodyHash::new(true);
        let mut done = 0u64;
        report(0);
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.transport_error(e, started))?;
            hash.update(&chunk);
            file.write_all(&chunk)
                .await
                .map_err(|e| ClientError::io(tmp.temp_path(), e))?;
            done += chunk.len() as u64;
            report(done);
        }
        file.flush()
            .await
            .map_err(|e| ClientError::io(tmp.temp_path(), e))?;
        file.sync_all()
            .await
            .map_err(|e| ClientError::io(tmp.temp_path(), e))?;
        drop(file);
        if let Some(t) = total
            && t != done
        {
            return Err(ClientError::Length {
                expected: t,
                actual: done,
            });
        }
        let md5 = hash.md5_hex().unwrap_or_default();
        let md5_checked = whole && meta.check_md5(&md5)?;
        let crc64_checked = crate::crc::compare(Crc64Check::Download, cos_crc, hash.crc64())?;
        tmp.persist().await?;
        Ok(DownloadOutput {
            md5_checked,
            crc64_checked,
            meta,
            bytes: done,
            md5,
            ranges: 0,
        })
    }
}

/// Signs `req` with `signer` (see [`Client::sign_request`]), valid for `expires`.
///
/// # Errors
/// No credentials, a path or header value that is not UTF-8.
pub fn sign_request_with(
    signer: &Signer,
    req: &mut reqwest::Request,
    expires: Duration,
) -> Result<(), ClientError> {
    req.headers_mut().remove(header::AUTHORIZATION);
    let url = req.url();
    let host = match req.headers().get(header::HOST) {
        Some(h) => h
            .to_str()
            .map_err(|_| ClientError::InvalidRequest("the Host header is not ASCII".into()))?
            .to_owned(),
        None => {
            let h = url
                .host_str()
                .ok_or_else(|| ClientError::InvalidRequest("the URL has no host".into()))?;
            match url.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_owned(),
            }
        }
    };
    let path = percent_encoding::percent_decode_str(url.path())
        .decode_utf8()
        .map_err(|_| ClientError::InvalidRequest("the URL path is not UTF-8 once decoded".into()))?
        .into_owned();
    let params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let params: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut headers = Vec::with_capacity(req.headers().len());
    for (name, value) in req.headers() {
        let v = std::str::from_utf8(value.as_bytes()).map_err(|_| {
            ClientError::InvalidRequest(format!("the value of header {name} is not UTF-8"))
        })?;
        headers.push((name.as_str(), v));
    }
    let method: CosMethod = req
        .method()
        .as_str()
        .parse()
        .map_err(|e: UnsupportedMethod| ClientError::InvalidRequest(e.to_string()))?;
    let parts = signer.sign_parts_for(method, &path, Some(&host), &params, &headers, expires)?;
    if let Some(token) = &parts.token
        && !req.headers().contains_key(TOKEN_NAME)
    {
        let mut v = HeaderValue::from_str(token).map_err(|_| {
            ClientError::InvalidRequest("the token is not a valid header value".into())
        })?;
        v.set_sensitive(true);
        req.headers_mut().insert(TOKEN_NAME, v);
    }
    let mut auth = HeaderValue::from_str(&parts.authorization).map_err(|_| {
        ClientError::InvalidRequest("the Authorization is not a header value".into())
    })?;
    auth.set_sensitive(true);
    req.headers_mut().insert(header::AUTHORIZATION, auth);
    Ok(())
}

/// Refuses the keys whose URL reaches something else than their object:
/// * `/`: as qcloud_cos builds paths (`/` + key unless the key starts with `/`), its path is
///   `/`, the bucket itself;
/// * a key whose last segment is `.` or `..` (`..`, `a/..`, `a/.`): URLs drop such segments
///   (`/a/..` is `/`, `/a/.` is `/a/`), in this client and in any other (a `./` inside a key
///   travels as `.%2F`, which is none).
///
/// An object call on one of them would act on the bucket or on another object.
pub(crate) fn check_object_key(key: &str) -> Result<(), ClientError> {
    if key == "/" {
        return Err(ClientError::InvalidRequest(
            "the key \"/\" names the bucket itself (its path is /), not an object".into(),
        ));
    }
    let last = key.rsplit('/').next().unwrap_or(key);
    if matches!(last, "." | "..") {
        return Err(ClientError::InvalidRequest(format!(
            "the key {key:?} ends in a {last:?} path segment, which URLs drop (/a/.. is /, \
             /a/. is /a/): it would reach another object or the bucket"
        )));
    }
    Ok(())
}

/// The skew to set on `clock` after the error answer `err`, if it is a clock-skew error:
/// `RequestTimeTooSkewed`, or `AccessDenied` "Request has expired" while the answer's `Date`
/// is 60 s or more away from the local clock. The skew is `Date − local time` (so the
/// corrected clock reads the server's time).
pub fn skew_correction(err: &CosError, clock: &Clock) -> Option<i64> {
    let date = httpdate::parse_http_date(err.date.as_deref()?).ok()?;
    let server = i64::try_from(date.duration_since(UNIX_EPOCH).ok()?.as_secs()).ok()?;
    let base = clock.now() - clock.skew();
    let skew = server - base;
    let skewed = err.code == "RequestTimeTooSkewed"
        || (err.code == "AccessDenied"
            && err.message.to_ascii_lowercase().contains("expired")
            && (server - clock.now()).abs() >= 60);
    skewed.then_some(skew)
}

/// The reqwest method of a COS method.
pub(crate) fn http_method(m: CosMethod) -> Method {
    match m {
        CosMethod::Get => Method::GET,
        CosMethod::Put => Method::PUT,
        CosMethod::Post => Method::POST,
        CosMethod::Delete => Method::DELETE,
        CosMethod::Head => Method::HEAD,
        CosMethod::Options => Method::OPTIONS,
    }
}

fn sign_err(e: cos_sign_std::config::ConfigError) -> ClientError {
    ClientError::Sign(e.into())
}

pub(crate) fn parse_url(url: &str) -> Result<Url, ClientError> {
    let u = Url::parse(url).map_err(|e| ClientError::InvalidRequest(format!("bad URL: {e}")))?;
    match u.scheme() {
        "http" | "https" => Ok(u),
        s => Err(ClientError::InvalidRequest(format!(
            "bad URL: scheme {s} (http or https expected)"
        ))),
    }
}

pub(crate) async fn file_len(path: &Path) -> Result<u64, ClientError> {
    let md = tokio::fs::metadata(path)
        .await
        .map_err(|e| ClientError::io(path, e))?;
    if !md.is_file() {
        return Err(ClientError::io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"),
        ));
    }
    Ok(md.len())
}

/// Progress of slot `.0` (a part, a range): `.1` bytes of it so far.
pub(crate) type ProgressTx = mpsc::UnboundedSender<(usize, u64)>;

/// `len` bytes of the file `path` from `offset` as a streamed body (read in [`CHUNK`]s),
/// reporting on `progress` and hashing into `hash` as it goes.
pub(crate) fn file_body(
    path: &Path,
    offset: u64,
    len: u64,
    progress: Option<(usize, ProgressTx)>,
    hash: Option<SharedHash>,
) -> Result<reqwest::Body, ClientError> {
    let file = std::fs::File::open(path).map_err(|e| ClientError::io(path, e))?;
    let file = tokio::fs::File::from_std(file);
    if let Some((slot, tx)) = &progress {
        let _ = tx.send((*slot, 0));
    }
    let stream = futures_util::stream::try_unfold(
        (file, progress, hash, 0u64, false),
        move |(mut f, progress, hash, done, positioned)| async move {
            if !positioned && offset > 0 {
                f.seek(std::io::SeekFrom::Start(offset)).await?;
            }
            let want = usize::try_from((len - done).min(CHUNK as u64)).unwrap_or(CHUNK);
            if want == 0 {
                return Ok(None);
            }
            let mut buf = BytesMut::with_capacity(want);
            while buf.len() < want {
                if f.read_buf(&mut buf).await? == 0 {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the file is shorter than when the upload started",
                    ));
                }
            }
            buf.truncate(want);
            let done = done + buf.len() as u64;
            if let Some(h) = &hash {
                h.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .update(&buf);
            }
            if let Some((slot, tx)) = &progress {
                let _ = tx.send((*slot, done));
            }
            Ok::<_, std::io::Error>(Some((buf.freeze(), (f, progress, hash, done, true))))
        },
    );
    Ok(reqwest::Body::wrap_stream(stream))
}

/// Runs `fut`, calling `progress(sum, total)` as slots report; each slot counts its largest
/// report (a retried part starts again from 0 without the total going back).
pub(crate) async fn with_progress<T, F>(
    fut: F,
    mut rx: mpsc::UnboundedReceiver<(usize, u64)>,
    slots: usize,
    total: Option<u64>,
    progress: Option<&mut ProgressFn<'_>>,
) -> T
where
    F: Future<Output = T>,
{
    tokio::pin!(fut);
    let mut per_slot = vec![0u64; slots.max(1)];
    let mut last = None;
    let mut progress = progress;
    let mut report = |(slot, n): (usize, u64)| {
        if let Some(s) = per_slot.get_mut(slot) {
            *s = (*s).max(n);
        }
        let sum: u64 = per_slot.iter().sum();
        if last != Some(sum) {
            if let Some(p) = progress.as_deref_mut() {
                p(sum, total);
            }
            last = Some(sum);
        }
    };
    let mut open = true;
    loop {
        tokio::select! {
            biased;
            msg = rx.recv(), if open => match msg {
                Some(m) => report(m),
                None => open = false,
            },
            out = &mut fut => {
                while let Ok(m) = rx.try_recv() {
                    report(m);
                }
                return out;
            }
        }
    }
}

/// How long an error answer's body may take to arrive: what came by then is parsed.
const ERROR_BODY_TIME: Duration = Duration::from_secs(30);

/// Reads an error answer (at most 1 MiB of its body, for at most [`ERROR_BODY_TIME`]).
pub(crate) async fn read_error(resp: Response, head: bool) -> CosError {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let mut body = Vec::new();
    let mut stream = resp.bytes_stream();
    let read = async {
        while let Some(Ok(chunk)) = stream.next().await {
            body.extend_from_slice(&chunk);
            if body.len() > 1 << 20 {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(ERROR_BODY_TIME, read).await;
    CosError::from_response(status, &headers, &String::from_utf8_lossy(&body), head)
}

/// The most an XML answer a call parses (Initiate, List Parts, Complete) may hold: a page of
/// 1,000 parts is about 200 KiB.
pub(crate) const ANSWER_LIMIT: usize = 8 << 20;

/// Reads the body of a successful answer a call parses, at most [`ANSWER_LIMIT`] bytes (the
/// client's timeouts bound its time), as text.
///
/// # Errors
/// HTTP or a timeout while reading; [`ClientError::UnexpectedAnswer`] past the limit.
pub(crate) async fn read_answer(resp: Response) -> Result<String, ClientError> {
    let status = resp.status().as_u16();
    let too_big = || ClientError::UnexpectedAnswer {
        status,
        detail: format!(
            "an answer of more than {} MiB, which is not read",
            ANSWER_LIMIT >> 20
        ),
    };
    if resp
        .content_length()
        .is_some_and(|n| n > ANSWER_LIMIT as u64)
    {
        return Err(too_big());
    }
    let mut body = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > ANSWER_LIMIT {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// A success or redirect status other than the one a request asks for.
pub(crate) fn unexpected(resp: &Response) -> ClientError {
    let status = resp.status();
    let detail = if status.is_redirection() {
        match resp.headers().get(header::LOCATION) {
            Some(to) => format!(
                "a redirect to {}, which is not followed",
                String::from_utf8_lossy(to.as_bytes())
            ),
            None => "a redirect, which is not followed".to_owned(),
        }
    } else {
        format!(
            "{} is not the answer this request asks for",
            status.canonical_reason().unwrap_or("this status")
        )
    };
    ClientError::UnexpectedAnswer {
        status: status.as_u16(),
        detail,
    }
}

/// Whether a GET's answer is what it asked for: `200`, or `206` when it sent a `Range`. Use it
/// on the answer of [`Client::execute`] or [`Client::execute_unsigned`] to a GET, which
/// passes any 2xx: a `204`, or a `206` to a GET without `Range`, is not the object.
///
/// # Errors
/// [`ClientError::UnexpectedAnswer`] for any other status.
pub fn check_get(resp: &Response, ranged: bool) -> Result<(), ClientError> {
    match resp.status().as_u16() {
        200 => Ok(()),
        206 if ranged => Ok(()),
        _ => Err(unexpected(resp)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: &str, message: &str, date: Option<&str>) -> CosError {
        let mut h = HeaderMap::new();
        if let Some(d) = date {
            h.insert("date", d.parse().unwrap());
        }
        let body = format!("<Error><Code>{code}</Code><Message>{message}</Message></Error>");
        CosError::from_response(403, &h, &body, false)
    }

    /// A client's Debug (its reqwest client, proxy, signer) shows no proxy password and
    /// no secret key.
    #[test]
    fn debug_shows_no_secret() {
        use cos_sign_std::credentials::{Credentials, StaticProvider};
        let signer = Signer::new(
            StaticProvider::new(Credentials::new("AKIDdebug", "s3cretKey").with_token("t0ken")),
            Endpoint::from_region("ap-guangzhou").unwrap(),
        );
        let b = Client::builder()
            .signer(signer)
            .proxy(reqwest::Proxy::all("http://user:pr0xyPw@proxy.example:3128").unwrap());
        let builder = format!("{b:?}");
        let shown = format!("{builder} {:?}", b.build().unwrap());
        // "user:pr0xyPw" in base64, as a Proxy-Authorization would carry it.
        for secret in ["s3cretKey", "t0ken", "pr0xyPw", "dXNlcjpwcjB4eVB3"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }

    #[test]
    fn skew_from_date() {
        let clock = Clock::fixed(1_700_000_000).with_skew(5);
        let date = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(1_700_001_000));
        let e = err("RequestTimeTooSkewed", "x", Some(&date));
        assert_eq!(skew_correction(&e, &clock), Some(1000));
        let e = err("AccessDenied", "Request has expired", Some(&date));
        assert_eq!(skew_correction(&e, &clock), Some(1000));
        let near = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(1_700_000_010));
        let e = err("AccessDenied", "Request has expired", Some(&near));
        assert_eq!(skew_correction(&e, &clock), None);
        let e = err("SignatureDoesNotMatch", "x", Some(&date));
        assert_eq!(skew_correction(&e, &clock), None);
        let e = err("RequestTimeTooSkewed", "x", None);
        assert_eq!(skew_correction(&e, &clock), None);
    }
}
