//! An async COS client on `reqwest`: signs requests with a [`Signer`], object calls
//! (PUT/GET/HEAD/DELETE), and streaming transfers through pre-signed URLs.
//!
//! * [`Client::sign_request`] signs a `reqwest::Request` whose headers are final: the `host`
//!   as it will be sent (the URL's host, with the port when not the scheme's default), every
//!   allow-listed header of the request (`content-type`, `content-md5`, `x-cos-*`, ...), the
//!   URL's percent-decoded path and form-decoded query params. With a temporary key the
//!   `x-cos-security-token` header is added and signed.
//! * Every signed call that COS answers with `RequestTimeTooSkewed` (or "Request has expired"
//!   while the answer's `Date` is a minute or more away from the local clock) is retried once
//!   after setting the signer clock's skew from that `Date` ([`skew_correction`]). Requests
//!   whose body cannot be replayed (a caller's stream) are not retried.
//! * Transfers of files stream in chunks (256 KiB): an upload never holds the file in memory;
//!   a download is written to a temporary file in the target folder and renamed into place
//!   only once complete and, when the ETag is an MD5, checked against it.
//!
//! ```no_run
//! use cos_sign_http::client::Client;
//! use cos_sign_std::{config::Endpoint, credentials::EnvProvider, signer::Signer};
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::new(Signer::new(EnvProvider::new(), Endpoint::from_region("ap-guangzhou")?))?;
//! client.put_object("examplebucket-1250000000", "a.txt", "hello").await?;
//! let got = client.get_object("examplebucket-1250000000", "a.txt").await?;
//! assert_eq!(&got.body[..], b"hello");
//! # Ok(()) }
//! ```

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use cos_sign_std::clock::Clock;
use cos_sign_std::method::{Method as CosMethod, UnsupportedMethod};
use cos_sign_std::signer::{Signer, TOKEN_NAME};
use futures_util::StreamExt;
use md5::{Digest, Md5};
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, Response, Url};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::error::{CosError, Error};

/// The chunk size of file uploads.
const CHUNK: usize = 256 * 1024;

/// Builds a [`Client`].
#[derive(Debug, Default)]
pub struct ClientBuilder {
    signer: Option<Arc<Signer>>,
    http: Option<reqwest::Client>,
    proxy: Option<reqwest::Proxy>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    expires: Option<Duration>,
}

impl ClientBuilder {
    /// Signs with this signer (without one, only the pre-signed URL calls work).
    pub fn signer(mut self, signer: impl Into<Arc<Signer>>) -> Self {
        self.signer = Some(signer.into());
        self
    }

    /// Uses this reqwest client (the proxy and timeouts of this builder are then ignored).
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

    /// A timeout for each whole request (none by default: large transfers take long).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = Some(d);
        self
    }

    /// A timeout for connecting (default 10 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = Some(d);
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
    pub fn build(self) -> Result<Client, Error> {
        let http = match self.http {
            Some(h) => h,
            None => {
                let mut b = reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout.unwrap_or(Duration::from_secs(10)))
                    .redirect(reqwest::redirect::Policy::none());
                if let Some(t) = self.timeout {
                    b = b.timeout(t);
                }
                if let Some(p) = self.proxy {
                    b = b.proxy(p);
                }
                b.build()?
            }
        };
        Ok(Client {
            signer: self.signer,
            http,
            expires: self.expires.unwrap_or(Duration::from_secs(300)),
        })
    }
}

/// An async COS client. Cheap to clone (the signer and the connection pool are shared).
#[derive(Debug, Clone)]
pub struct Client {
    signer: Option<Arc<Signer>>,
    http: reqwest::Client,
    expires: Duration,
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
}

impl ObjectMeta {
    fn from_headers(h: &HeaderMap) -> Self {
        let get = |n: &str| h.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
        Self {
            content_length: get("content-length").and_then(|v| v.parse().ok()),
            etag: get("etag").map(|e| e.trim_matches('"').to_owned()),
            content_type: get("content-type"),
            last_modified: get("last-modified"),
            request_id: get("x-cos-request-id"),
        }
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
    /// Whether the MD5 was checked against an MD5 ETag (and matched).
    pub md5_checked: bool,
}

/// The result of an upload.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct UploadOutput {
    /// The headers' facts (`etag`, `request_id`).
    pub meta: ObjectMeta,
    /// Bytes sent.
    pub bytes: u64,
}

impl Client {
    /// A client signing with `signer`, with a default reqwest client (rustls, no redirects).
    ///
    /// # Errors
    /// As [`ClientBuilder::build`].
    pub fn new(signer: impl Into<Arc<Signer>>) -> Result<Self, Error> {
        Self::builder().signer(signer).build()
    }

    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The signer.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when the client was built without one.
    pub fn signer(&self) -> Result<&Signer, Error> {
        self.signer
            .as_deref()
            .ok_or_else(|| Error::InvalidRequest("this client has no signer (credentials)".into()))
    }

    /// The reqwest client.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The URL of an object (endpoint rules of the signer's [`Endpoint`](cos_sign_std::config::Endpoint)).
    ///
    /// # Errors
    /// No signer, a bad bucket or key.
    pub fn object_url(&self, bucket: &str, key: &str) -> Result<Url, Error> {
        let url = self.signer()?.object_url(bucket, key)?;
        Url::parse(&url).map_err(|e| Error::InvalidRequest(format!("object URL: {e}")))
    }

    /// Signs `req` in place: removes any `Authorization`, adds `x-cos-security-token` for a
    /// temporary key, then sets `Authorization` over the method, the decoded path and query
    /// params of its URL, its `Host` (the header if set, else the URL's host and non-default
    /// port) and its allow-listed headers. Call it after the headers are final; headers added
    /// afterwards are not signed (harmless unless COS requires them signed).
    ///
    /// # Errors
    /// No signer or credentials, a path or header value that is not UTF-8.
    pub fn sign_request(&self, req: &mut reqwest::Request) -> Result<(), Error> {
        sign_request_with(self.signer()?, req, self.expires)
    }

    /// Signs and sends `req`; a status ≥ 400 becomes [`Error::Cos`]. A clock-skew error is
    /// corrected and the request retried once when its body can be replayed.
    ///
    /// # Errors
    /// Signing, HTTP, or COS's error answer.
    pub async fn execute(&self, req: reqwest::Request) -> Result<Response, Error> {
        let backup = req.try_clone();
        let mut first = Some(req);
        let mut backup = backup;
        self.send_signed(move || Ok(first.take().or_else(|| backup.take())))
            .await
    }

    /// A request builder for `method` on an object, to add headers to and pass to
    /// [`execute`](Client::execute) after `.build()`. In IP mode it carries the bucket's
    /// `Host` header, as qcloud_cos sends it.
    ///
    /// # Errors
    /// No signer, a bad bucket or key.
    pub fn object_request(
        &self,
        method: Method,
        bucket: &str,
        key: &str,
    ) -> Result<reqwest::RequestBuilder, Error> {
        let url = self.object_url(bucket, key)?;
        let endpoint = self.signer()?.endpoint();
        let host = endpoint.host(Some(bucket)).map_err(sign_err)?;
        let req = self.http.request(method, url);
        // IP mode (`Endpoint::builder().ip(..)`): the URL names the IP, `Host` the bucket.
        if endpoint.url_authority(Some(bucket)).map_err(sign_err)? != host {
            return Ok(req.header(header::HOST, host));
        }
        Ok(req)
    }

    /// PUT Object from bytes in memory.
    ///
    /// # Errors
    /// Signing, HTTP, or COS's error answer.
    pub async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: impl Into<Bytes>,
    ) -> Result<UploadOutput, Error> {
        self.put_object_with(bucket, key, body, &[]).await
    }

    /// PUT Object from bytes with extra headers (`content-type`, `content-md5`,
    /// `x-cos-meta-*`, ...), which are signed when allow-listed.
    ///
    /// # Errors
    /// Signing, HTTP, or COS's error answer.
    pub async fn put_object_with(
        &self,
        bucket: &str,
        key: &str,
        body: impl Into<Bytes>,
        headers: &[(&str, &str)],
    ) -> Result<UploadOutput, Error> {
        let body: Bytes = body.into();
        let len = body.len() as u64;
        let mut req = self.object_request(Method::PUT, bucket, key)?;
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.header(header::CONTENT_LENGTH, len).body(body).build()?;
        let resp = self.execute(req).await?;
        Ok(UploadOutput {
            meta: ObjectMeta::from_headers(resp.headers()),
            bytes: len,
        })
    }

    /// PUT Object from a file, streamed (replayed from the file for a skew retry).
    /// `progress(done, Some(total))` is called as chunks are read (from 0 again if the
    /// request is replayed).
    ///
    /// # Errors
    /// The file, signing, HTTP, or COS's error answer.
    pub async fn put_object_from_file<P>(
        &self,
        bucket: &str,
        key: &str,
        path: impl AsRef<Path>,
        mut progress: P,
    ) -> Result<UploadOutput, Error>
    where
        P: FnMut(u64, Option<u64>) + Send,
    {
        let path = path.as_ref();
        self.object_url(bucket, key)?;
        let len = file_len(path).await?;
        let (tx, rx) = mpsc::unbounded_channel::<u64>();
        let make = || -> Result<Option<reqwest::Request>, Error> {
            let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
            let _ = tx.send(0);
            let body = reqwest::Body::wrap_stream(file_stream(
                tokio::fs::File::from_std(file),
                Some(tx.clone()),
            ));
            Ok(Some(
                self.object_request(Method::PUT, bucket, key)?
                    .header(header::CONTENT_LENGTH, len)
                    .body(body)
                    .build()?,
            ))
        };
        let resp = with_progress(self.send_signed(make), rx, Some(len), &mut progress).await?;
        Ok(UploadOutput {
            meta: ObjectMeta::from_headers(resp.headers()),
            bytes: len,
        })
    }

    /// PUT Object from a stream of byte chunks. With `content_length`, the request carries
    /// it (COS requires it for PUT Object); without, the body is sent chunked. Not retried
    /// after a skew error (the stream cannot be replayed): the error is returned.
    ///
    /// # Errors
    /// Signing, HTTP, the stream's error, or COS's error answer.
    pub async fn put_object_from_stream<S>(
        &self,
        bucket: &str,
        key: &str,
        stream: S,
        content_length: Option<u64>,
    ) -> Result<UploadOutput, Error>
    where
        S: futures_util::TryStream + Send + 'static,
        S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
        Bytes: From<S::Ok>,
    {
        let mut req = self.object_request(Method::PUT, bucket, key)?;
        if let Some(n) = content_length {
            req = req.header(header::CONTENT_LENGTH, n);
        }
        let req = req.body(reqwest::Body::wrap_stream(stream)).build()?;
        let resp = self.execute(req).await?;
        Ok(UploadOutput {
            meta: ObjectMeta::from_headers(resp.headers()),
            bytes: content_length.unwrap_or(0),
        })
    }

    /// GET Object into memory.
    ///
    /// # Errors
    /// Signing, HTTP, or COS's error answer.
    pub async fn get_object(&self, bucket: &str, key: &str) -> Result<GetOutput, Error> {
        let req = self.object_request(Method::GET, bucket, key)?.build()?;
        let resp = self.execute(req).await?;
        let meta = ObjectMeta::from_headers(resp.headers());
        let body = resp.bytes().await?;
        Ok(GetOutput { body, meta })
    }

    /// GET Object streamed into the file `path` (through a temporary file in its folder,
    /// renamed on success; checked against an MD5 ETag).
    ///
    /// # Errors
    /// Signing, HTTP, COS's error answer, the file, or [`Error::Integrity`].
    pub async fn get_object_to_file<P>(
        &self,
        bucket: &str,
        key: &str,
        path: impl AsRef<Path>,
        mut progress: P,
    ) -> Result<DownloadOutput, Error>
    where
        P: FnMut(u64, Option<u64>) + Send,
    {
        let req = self.object_request(Method::GET, bucket, key)?.build()?;
        let resp = self.execute(req).await?;
        save_response(resp, path.as_ref(), &mut progress).await
    }

    /// HEAD Object. A missing object is [`Error::Cos`] with code `NoSuchResource` (as
    /// qcloud_cos names it; HEAD answers have no body).
    ///
    /// # Errors
    /// Signing, HTTP, or COS's error answer.
    pub async fn head_object(&self, bucket: &str, key: &str) -> Result<ObjectMeta, Error> {
        let req = self.object_request(Method::HEAD, bucket, key)?.build()?;
        let resp = self.execute(req).await?;
        Ok(ObjectMeta::from_headers(resp.headers()))
    }

    /// DELETE Object (COS answers 204 whether or not it existed).
    ///
    /// # Errors
    /// Signing, HTTP, or COS's error answer.
    pub async fn delete_object(&self, bucket: &str, key: &str) -> Result<ObjectMeta, Error> {
        let req = self.object_request(Method::DELETE, bucket, key)?.build()?;
        let resp = self.execute(req).await?;
        Ok(ObjectMeta::from_headers(resp.headers()))
    }

    /// Uploads the file `path` with a `PUT` to a pre-signed URL, streamed, with
    /// `Content-Length`. No signer needed.
    ///
    /// # Errors
    /// A bad URL, the file, HTTP, or COS's error answer.
    pub async fn upload_presigned<P>(
        &self,
        url: &str,
        path: impl AsRef<Path>,
        mut progress: P,
    ) -> Result<UploadOutput, Error>
    where
        P: FnMut(u64, Option<u64>) + Send,
    {
        let path = path.as_ref();
        let url = parse_url(url)?;
        let len = file_len(path).await?;
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|e| Error::io(path, e))?;
        let (tx, rx) = mpsc::unbounded_channel::<u64>();
        let req = self
            .http
            .put(url)
            .header(header::CONTENT_LENGTH, len)
            .body(reqwest::Body::wrap_stream(file_stream(file, Some(tx))));
        let send = async {
            let resp = req.send().await?;
            check(resp, false).await
        };
        let resp = with_progress(send, rx, Some(len), &mut progress).await?;
        Ok(UploadOutput {
            meta: ObjectMeta::from_headers(resp.headers()),
            bytes: len,
        })
    }

    /// Downloads a pre-signed `GET` URL into the file `path`: streamed into a temporary
    /// file in the same folder, renamed into place once complete (and checked against an MD5
    /// ETag). No signer needed.
    ///
    /// # Errors
    /// A bad URL, HTTP, COS's error answer, the file, or [`Error::Integrity`].
    pub async fn download_presigned<P>(
        &self,
        url: &str,
        path: impl AsRef<Path>,
        mut progress: P,
    ) -> Result<DownloadOutput, Error>
    where
        P: FnMut(u64, Option<u64>) + Send,
    {
        let url = parse_url(url)?;
        let resp = self.http.get(url).send().await?;
        let resp = check(resp, false).await?;
        save_response(resp, path.as_ref(), &mut progress).await
    }

    /// Sends the requests `make` builds, signed, retrying once after a skew correction when
    /// `make` can build another (`Ok(None)`: it cannot).
    async fn send_signed<F>(&self, mut make: F) -> Result<Response, Error>
    where
        F: FnMut() -> Result<Option<reqwest::Request>, Error> + Send,
    {
        let signer = self.signer()?;
        let mut req = make()?.ok_or_else(|| Error::InvalidRequest("no request to send".into()))?;
        let mut retried = false;
        loop {
            self.sign_request(&mut req)?;
            let head = req.method() == Method::HEAD;
            let resp = self.http.execute(req).await?;
            if resp.status().as_u16() < 400 {
                return Ok(resp);
            }
            let err = read_error(resp, head).await;
            if !retried
                && let Some(skew) = skew_correction(&err, signer.clock())
                && let Some(next) = make()?
            {
                signer.clock().set_skew(skew);
                req = next;
                retried = true;
                continue;
            }
            return Err(err.into());
        }
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
) -> Result<(), Error> {
    req.headers_mut().remove(header::AUTHORIZATION);
    let url = req.url();
    let host = match req.headers().get(header::HOST) {
        Some(h) => h
            .to_str()
            .map_err(|_| Error::InvalidRequest("the Host header is not ASCII".into()))?
            .to_owned(),
        None => {
            let h = url
                .host_str()
                .ok_or_else(|| Error::InvalidRequest("the URL has no host".into()))?;
            match url.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_owned(),
            }
        }
    };
    let path = percent_encoding::percent_decode_str(url.path())
        .decode_utf8()
        .map_err(|_| Error::InvalidRequest("the URL path is not UTF-8 once decoded".into()))?
        .into_owned();
    let params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let params: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut headers = Vec::with_capacity(req.headers().len());
    for (name, value) in req.headers() {
        let v = std::str::from_utf8(value.as_bytes()).map_err(|_| {
            Error::InvalidRequest(format!("the value of header {name} is not UTF-8"))
        })?;
        headers.push((name.as_str(), v));
    }
    let method: CosMethod = req
        .method()
        .as_str()
        .parse()
        .map_err(|e: UnsupportedMethod| Error::InvalidRequest(e.to_string()))?;
    let parts = signer.sign_parts_for(method, &path, Some(&host), &params, &headers, expires)?;
    if let Some(token) = &parts.token
        && !req.headers().contains_key(TOKEN_NAME)
    {
        let mut v = HeaderValue::from_str(token)
            .map_err(|_| Error::InvalidRequest("the token is not a valid header value".into()))?;
        v.set_sensitive(true);
        req.headers_mut().insert(TOKEN_NAME, v);
    }
    let mut auth = HeaderValue::from_str(&parts.authorization)
        .map_err(|_| Error::InvalidRequest("the Authorization is not a header value".into()))?;
    auth.set_sensitive(true);
    req.headers_mut().insert(header::AUTHORIZATION, auth);
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

fn sign_err(e: cos_sign_std::config::ConfigError) -> Error {
    Error::Sign(e.into())
}

fn parse_url(url: &str) -> Result<Url, Error> {
    let u = Url::parse(url).map_err(|e| Error::InvalidRequest(format!("bad URL: {e}")))?;
    match u.scheme() {
        "http" | "https" => Ok(u),
        s => Err(Error::InvalidRequest(format!(
            "bad URL: scheme {s} (http or https expected)"
        ))),
    }
}

async fn file_len(path: &Path) -> Result<u64, Error> {
    let md = tokio::fs::metadata(path)
        .await
        .map_err(|e| Error::io(path, e))?;
    if !md.is_file() {
        return Err(Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"),
        ));
    }
    Ok(md.len())
}

/// A file as a stream of chunks, reporting the bytes read so far on `tx`.
fn file_stream(
    file: tokio::fs::File,
    tx: Option<mpsc::UnboundedSender<u64>>,
) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    futures_util::stream::try_unfold((file, tx, 0u64), |(mut f, tx, done)| async move {
        let mut buf = BytesMut::with_capacity(CHUNK);
        while buf.len() < CHUNK {
            if f.read_buf(&mut buf).await? == 0 {
                break;
            }
        }
        if buf.is_empty() {
            return Ok(None);
        }
        let done = done + buf.len() as u64;
        if let Some(tx) = &tx {
            let _ = tx.send(done);
        }
        Ok(Some((buf.freeze(), (f, tx, done))))
    })
}

/// Runs `fut`, calling `progress` with each count received on `rx` (one per chunk read, so
/// none is lost), skipping repeats.
async fn with_progress<T, F, P>(
    fut: F,
    mut rx: mpsc::UnboundedReceiver<u64>,
    total: Option<u64>,
    progress: &mut P,
) -> T
where
    F: Future<Output = T>,
    P: FnMut(u64, Option<u64>),
{
    tokio::pin!(fut);
    let mut last = None;
    let mut report = |done: u64| {
        if last != Some(done) {
            progress(done, total);
            last = Some(done);
        }
    };
    let mut open = true;
    loop {
        tokio::select! {
            biased;
            msg = rx.recv(), if open => match msg {
                Some(done) => report(done),
                None => open = false,
            },
            out = &mut fut => {
                while let Ok(done) = rx.try_recv() {
                    report(done);
                }
                return out;
            }
        }
    }
}

/// Passes a success through; turns an error answer into [`Error::Cos`].
async fn check(resp: Response, head: bool) -> Result<Response, Error> {
    if resp.status().as_u16() < 400 {
        Ok(resp)
    } else {
        Err(read_error(resp, head).await.into())
    }
}

async fn read_error(resp: Response, head: bool) -> CosError {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let mut body = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        body.extend_from_slice(&chunk);
        if body.len() > 1 << 20 {
            break;
        }
    }
    CosError::from_response(status, &headers, &String::from_utf8_lossy(&body), head)
}

/// A temporary path beside `target`.
fn temp_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "download".to_owned());
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    target.with_file_name(format!(
        ".{name}.cos-part-{}-{nanos:08x}",
        std::process::id()
    ))
}

/// Streams the body of `resp` into `path` through a temporary file.
async fn save_response<P>(
    resp: Response,
    path: &Path,
    progress: &mut P,
) -> Result<DownloadOutput, Error>
where
    P: FnMut(u64, Option<u64>) + Send,
{
    let meta = ObjectMeta::from_headers(resp.headers());
    let total = resp.content_length().or(meta.content_length);
    let tmp = temp_path(path);
    // Removes the temporary file on failure, and also when this future is dropped midway
    // (a cancelled download, Ctrl-C handled by the caller).
    let mut guard = TempGuard(Some(tmp.clone()));
    let result = async {
        let mut file = tokio::fs::File::create(&tmp)
            .await
            .map_err(|e| Error::io(&tmp, e))?;
        let mut md5 = Md5::new();
        let mut done = 0u64;
        progress(0, total);
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            md5.update(&chunk);
            file.write_all(&chunk)
                .await
                .map_err(|e| Error::io(&tmp, e))?;
            done += chunk.len() as u64;
            progress(done, total);
        }
        file.flush().await.map_err(|e| Error::io(&tmp, e))?;
        file.sync_all().await.map_err(|e| Error::io(&tmp, e))?;
        drop(file);
        if let Some(t) = total
            && t != done
        {
            return Err(Error::InvalidRequest(format!(
                "the body ended after {done} of {t} bytes"
            )));
        }
        let md5 = hex(&md5.finalize());
        let etag_md5 = meta
            .etag
            .as_deref()
            .filter(|e| e.len() == 32 && e.bytes().all(|b| b.is_ascii_hexdigit()));
        if let Some(e) = etag_md5
            && !e.eq_ignore_ascii_case(&md5)
        {
            return Err(Error::Integrity {
                expected: e.to_ascii_lowercase(),
                actual: md5,
            });
        }
        tokio::fs::rename(&tmp, path)
            .await
            .map_err(|e| Error::io(path, e))?;
        Ok(DownloadOutput {
            md5_checked: etag_md5.is_some(),
            meta: meta.clone(),
            bytes: done,
            md5,
        })
    }
    .await;
    if result.is_ok() {
        guard.0 = None;
    }
    drop(guard);
    result
}

/// Removes its file when dropped, unless disarmed.
struct TempGuard(Option<PathBuf>);

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
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

    #[test]
    fn temp_path_is_beside_target() {
        let t = temp_path(Path::new("/a/b/file.bin"));
        assert_eq!(t.parent(), Some(Path::new("/a/b")));
        assert!(
            t.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".file.bin.cos-part-")
        );
    }
}
