//! The Rust signing API: pre-signed URLs, Authorization headers and object URLs for a
//! credentials provider, an [`Endpoint`] and a [`Clock`].
//!
//! Rules are the SDK's (window `now-60 .. now+expires`, the header allow-list, the host from
//! the URL), with two differences of intent: with a temporary key the token is added (param
//! `x-cos-security-token` of a pre-signed URL, header `x-cos-security-token` of an
//! Authorization) **and signed**, unless [`SignOptions::add_token`] is off; and the `q-*`
//! pairs of a pre-signed URL are always encoded properly (no dict split of the Authorization).
//!
//! ```
//! use cos_sign_std::{clock::Clock, config::Endpoint, credentials::{Credentials, StaticProvider}};
//! use cos_sign_std::{method::Method, signer::{SignOptions, Signer}};
//! let signer = Signer::new(
//!     StaticProvider::new(Credentials::new("AKIDexample", "secret").with_token("tok")),
//!     Endpoint::from_region("ap-beijing")?,
//! )
//! .with_clock(Clock::fixed(1_700_000_000));
//! let url = signer.presign(Method::Get, "b-125", "a.txt", &SignOptions::default())?.url;
//! assert!(url.ends_with("&x-cos-security-token=tok"));
//! assert!(url.contains("q-url-param-list=x-cos-security-token"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cos_sign_core::KeyTime;

use crate::clock::Clock;
use crate::config::{ConfigError, Endpoint, signing_path};
use crate::credentials::{Credentials, CredentialsError, CredentialsProvider};
use crate::method::Method;
use crate::rules::{self, Form, KeyCache, is_signed_header, with_host};

/// The name of the token param and header.
pub const TOKEN_NAME: &str = "x-cos-security-token";

/// Why signing failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// No credentials.
    Credentials(CredentialsError),
    /// A bad bucket, key or endpoint.
    Config(ConfigError),
    /// The signer refused the request (too many params or headers).
    Sign(cos_sign_core::Error),
    /// The key time would start before 1970 or end past `u64` (clock or expiry out of range).
    KeyTime,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Credentials(e) => write!(f, "credentials: {e}"),
            Error::Config(e) => write!(f, "{e}"),
            Error::Sign(e) => write!(f, "signing: {e}"),
            Error::KeyTime => f.write_str("the key time is out of range (clock or expiry)"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Credentials(e) => Some(e),
            Error::Config(e) => Some(e),
            Error::Sign(e) => Some(e),
            Error::KeyTime => None,
        }
    }
}

impl From<CredentialsError> for Error {
    fn from(e: CredentialsError) -> Self {
        Error::Credentials(e)
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(e)
    }
}

impl From<cos_sign_core::Error> for Error {
    fn from(e: cos_sign_core::Error) -> Self {
        Error::Sign(e)
    }
}

/// Options of one signature: start from `SignOptions::default()` and chain the setters (or
/// assign the public fields).
///
/// ```
/// use cos_sign_std::signer::SignOptions;
/// use std::time::Duration;
/// let o = SignOptions::default()
///     .expires(Duration::from_secs(60))
///     .param("uploadId", "u1")
///     .header("Content-Type", "text/plain")
///     .sign_host(true);
/// assert_eq!(o.params, [("uploadId".to_owned(), "u1".to_owned())]);
/// assert!(o.add_token && !o.use_ci_endpoint);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignOptions {
    /// How long the signature is valid (default 300 s); it is valid from 60 s before now.
    pub expires: Duration,
    /// Query params: signed, and appended to pre-signed URLs.
    pub params: Vec<(String, String)>,
    /// Headers the request will carry: those of the SDK's allow-list are signed (the client
    /// must send them).
    pub headers: Vec<(String, String)>,
    /// Sign the host (default `true`); a `Host` header given in `headers` is signed as given.
    pub sign_host: bool,
    /// Add the temporary key's token and sign it (default `true`).
    pub add_token: bool,
    /// Use the CI endpoint (`ci.<region>`).
    pub use_ci_endpoint: bool,
}

impl Default for SignOptions {
    fn default() -> Self {
        Self {
            expires: Duration::from_secs(300),
            params: Vec::new(),
            headers: Vec::new(),
            sign_host: true,
            add_token: true,
            use_ci_endpoint: false,
        }
    }
}

impl SignOptions {
    /// With this validity.
    pub fn expires(mut self, d: Duration) -> Self {
        self.expires = d;
        self
    }
    /// With one more param.
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }
    /// With one more header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
    /// Sign the host or not.
    pub fn sign_host(mut self, on: bool) -> Self {
        self.sign_host = on;
        self
    }
    /// Add the token or not.
    pub fn add_token(mut self, on: bool) -> Self {
        self.add_token = on;
        self
    }
    /// Use the CI endpoint or not.
    pub fn use_ci_endpoint(mut self, on: bool) -> Self {
        self.use_ci_endpoint = on;
        self
    }
}

/// The result of [`Signer::sign_parts_for`]: the Authorization value, and the token the request
/// must carry as `x-cos-security-token` (it was signed as that header).
#[derive(Clone, PartialEq, Eq)]
pub struct SignedParts {
    /// The Authorization header value.
    pub authorization: String,
    /// The temporary key's token, if any.
    pub token: Option<String>,
}

impl fmt::Debug for SignedParts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedParts")
            .field("authorization", &self.authorization)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A pre-signed request: what [`Signer::presign`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PresignedRequest {
    /// The pre-signed URL (the token of a temporary key is in it, as a signed param).
    pub url: String,
    /// The method the URL is signed for; another method gets `SignatureDoesNotMatch`.
    pub method: Method,
    /// The headers the caller must send with the request, as given (the signed ones of
    /// [`SignOptions::headers`]; `Host` is signed too but HTTP clients send it themselves).
    pub headers: Vec<(String, String)>,
    /// When the signature stops being valid.
    pub expires_at: SystemTime,
}

/// Signs COS requests. Thread-safe; share it behind an `Arc`.
pub struct Signer {
    provider: Box<dyn CredentialsProvider>,
    endpoint: Endpoint,
    clock: Clock,
    cache: KeyCache,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("provider", &self.provider)
            .field("endpoint", &self.endpoint)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer on the system clock.
    pub fn new(provider: impl CredentialsProvider + 'static, endpoint: Endpoint) -> Self {
        Self {
            provider: Box::new(provider),
            endpoint,
            clock: Clock::system(),
            cache: KeyCache::default(),
        }
    }

    /// Uses this clock.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The clock (set its skew through this reference to correct for a skewed local clock).
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The current credentials from the provider.
    ///
    /// # Errors
    /// The provider's.
    pub fn credentials(&self) -> Result<Credentials, Error> {
        Ok(self.provider.credentials()?)
    }

    /// The host of a bucket (the `Host` header of normal requests).
    ///
    /// # Errors
    /// A bad bucket.
    pub fn host(&self, bucket: &str) -> Result<String, Error> {
        Ok(self.endpoint.host(Some(bucket))?)
    }

    /// The plain object URL (no signature).
    ///
    /// # Errors
    /// A bad bucket or an empty key.
    pub fn object_url(&self, bucket: &str, key: &str) -> Result<String, Error> {
        Ok(self.endpoint.object_url(Some(bucket), key)?)
    }

    /// A pre-signed request for `method` on `bucket`/`key`: the URL (the object URL, `?`, the
    /// `q-*` pairs, then the params and the token param of a temporary key), the headers the
    /// caller must send with it (those of `opts.headers` that were signed) and when it expires.
    ///
    /// ```
    /// use cos_sign_std::{clock::Clock, config::Endpoint, credentials::{Credentials, StaticProvider}};
    /// use cos_sign_std::{method::Method, signer::{SignOptions, Signer}};
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let signer = Signer::new(
    ///     StaticProvider::new(Credentials::new("AKIDexample", "secret")),
    ///     Endpoint::from_region("ap-beijing")?,
    /// )
    /// .with_clock(Clock::fixed(1_700_000_000));
    /// let opts = SignOptions::default().header("Content-Type", "text/plain").header("User-Agent", "x");
    /// let req = signer.presign(Method::Put, "b-125", "a.txt", &opts)?;
    /// assert!(req.url.starts_with("https://b-125.cos.ap-beijing.myqcloud.com/a.txt?q-sign-algorithm=sha1&"));
    /// assert!(req.url.contains("&q-header-list=content-type%3Bhost&"));
    /// assert_eq!(req.method, Method::Put);
    /// assert_eq!(req.headers, [("Content-Type".to_owned(), "text/plain".to_owned())]);
    /// assert_eq!(req.expires_at, UNIX_EPOCH + Duration::from_secs(1_700_000_300));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// No credentials, a bad bucket or key, too many params/headers, a key time out of range.
    pub fn presign(
        &self,
        method: Method,
        bucket: &str,
        key: &str,
        opts: &SignOptions,
    ) -> Result<PresignedRequest, Error> {
        let signed = self.sign_object(method, bucket, key, opts, Form::Query)?;
        let mut out = signed.url;
        out.push('?');
        out.push_str(&signed.text);
        let kt = signed.key_time;
        Ok(PresignedRequest {
            url: out,
            method,
            headers: opts
                .headers
                .iter()
                .filter(|(k, _)| is_signed_header(k))
                .cloned()
                .collect(),
            expires_at: UNIX_EPOCH + Duration::from_secs(kt.end()),
        })
    }

    /// The Authorization header value for a request of `method` on `bucket`/`key` carrying
    /// `opts.params` and `opts.headers`. With a temporary key, the request must also carry
    /// `x-cos-security-token: <token>` (signed here unless `add_token` is off).
    ///
    /// ```
    /// use cos_sign_std::{clock::Clock, config::Endpoint, credentials::{Credentials, StaticProvider}};
    /// use cos_sign_std::{method::Method, signer::{SignOptions, Signer}};
    /// let signer = Signer::new(
    ///     StaticProvider::new(Credentials::new("AKIDexample", "secret")),
    ///     Endpoint::from_region("ap-beijing")?,
    /// )
    /// .with_clock(Clock::fixed(1_700_000_000));
    /// let auth = signer.authorization(Method::Get, "b-125", "a.txt", &SignOptions::default())?;
    /// assert!(auth.starts_with("q-sign-algorithm=sha1&q-ak=AKIDexample&q-sign-time=1699999940;1700000300&"));
    /// assert!(auth.contains("&q-header-list=host&q-url-param-list=&q-signature="));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`presign`](Signer::presign).
    pub fn authorization(
        &self,
        method: Method,
        bucket: &str,
        key: &str,
        opts: &SignOptions,
    ) -> Result<String, Error> {
        Ok(self
            .sign_object(method, bucket, key, opts, Form::Header)?
            .text)
    }

    /// Signs a complete request as the HTTP layer will send it: `decoded_path` (`/` + key),
    /// all its query params, all its headers (only the allow-listed ones are signed), and
    /// `host` signed as the `host` header when `headers` has none (pass `None` not to sign
    /// it). With a temporary key, `x-cos-security-token` is signed with the token (unless
    /// `headers` has it already) and returned in [`SignedParts::token`] for the caller to
    /// send. Valid `expires` from now (and 60 s back).
    ///
    /// ```
    /// use cos_sign_std::{clock::Clock, config::Endpoint, credentials::{Credentials, StaticProvider}};
    /// use cos_sign_std::{method::Method, signer::Signer};
    /// use std::time::Duration;
    /// let signer = Signer::new(
    ///     StaticProvider::new(Credentials::new("AKIDexample", "secret").with_token("tok")),
    ///     Endpoint::from_region("ap-beijing")?,
    /// )
    /// .with_clock(Clock::fixed(1_700_000_000));
    /// let parts = signer.sign_parts_for(
    ///     Method::Put,
    ///     "/a.txt",
    ///     Some("b-125.cos.ap-beijing.myqcloud.com"),
    ///     &[("partNumber", "1")],
    ///     &[("Content-Length", "5"), ("User-Agent", "x")],
    ///     Duration::from_secs(300),
    /// )?;
    /// assert!(parts.authorization.contains("&q-header-list=content-length;host;x-cos-security-token&q-url-param-list=partnumber&"));
    /// assert_eq!(parts.token.as_deref(), Some("tok")); // send it as x-cos-security-token
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// No credentials, too many params/headers.
    pub fn sign_parts_for(
        &self,
        method: Method,
        decoded_path: &str,
        host: Option<&str>,
        params: &[(&str, &str)],
        headers: &[(&str, &str)],
        expires: Duration,
    ) -> Result<SignedParts, Error> {
        let creds = self.credentials()?;
        let mut signed: Vec<(&str, &str)> = headers
            .iter()
            .copied()
            .filter(|(k, _)| is_signed_header(k))
            .collect();
        with_host(&mut signed, host);
        let token = creds.token().map(str::to_owned);
        with_token(&mut signed, token.as_deref());
        let kt = self.key_time(expires)?;
        let what = What {
            method,
            path: decoded_path,
            params,
            headers: &signed,
        };
        let authorization = self.sign(&creds, &what, kt, Form::Header)?;
        Ok(SignedParts {
            authorization,
            token,
        })
    }

    /// Signs `method` on `bucket`/`key` as `opts` say, in `form`: for a pre-signed URL
    /// ([`Form::Query`]) the token of a temporary key goes into the params, for an
    /// Authorization header into the headers (unless `add_token` is off).
    fn sign_object(
        &self,
        method: Method,
        bucket: &str,
        key: &str,
        opts: &SignOptions,
        form: Form,
    ) -> Result<SignedObject, Error> {
        let creds = self.credentials()?;
        let url = self.url_for(bucket, key, opts)?;
        let mut params = pairs(&opts.params);
        let host = self.host_to_sign(bucket, opts)?;
        let mut headers = signed_pairs(&opts.headers);
        with_host(&mut headers, host.as_deref());
        let token = creds.token().filter(|_| opts.add_token);
        match form {
            Form::Query => with_token(&mut params, token),
            Form::Header => with_token(&mut headers, token),
        }
        let kt = self.key_time(opts.expires)?;
        let what = What {
            method,
            path: &signing_path(Some(key)),
            params: &params,
            headers: &headers,
        };
        let text = self.sign(&creds, &what, kt, form)?;
        Ok(SignedObject {
            url,
            text,
            key_time: kt,
        })
    }

    /// The key time of a signature valid for `expires` from now ([`rules::key_time`]).
    fn key_time(&self, expires: Duration) -> Result<KeyTime, Error> {
        let expires = i64::try_from(expires.as_secs()).map_err(|_| Error::KeyTime)?;
        rules::key_time(self.clock.now(), expires).ok_or(Error::KeyTime)
    }

    /// The object URL the options ask for (on the CI endpoint or not).
    fn url_for(&self, bucket: &str, key: &str, opts: &SignOptions) -> Result<String, Error> {
        Ok(if opts.use_ci_endpoint {
            self.endpoint.ci_object_url(Some(bucket), key)?
        } else {
            self.endpoint.object_url(Some(bucket), key)?
        })
    }

    /// The host to sign when no `Host` header is given (`None`: `sign_host` is off).
    fn host_to_sign(&self, bucket: &str, opts: &SignOptions) -> Result<Option<String>, Error> {
        if !opts.sign_host {
            return Ok(None);
        }
        Ok(Some(
            self.endpoint
                .signed_host(Some(bucket), opts.use_ci_endpoint)?,
        ))
    }

    /// Signs with the cached key of this secret and key time.
    fn sign(
        &self,
        creds: &Credentials,
        what: &What<'_>,
        kt: KeyTime,
        form: Form,
    ) -> Result<String, Error> {
        let parts = (
            what.method.signed_form(),
            what.path,
            what.params,
            what.headers,
        );
        let (secret, id) = (creds.expose_secret_key().as_bytes(), creds.secret_id());
        let mut text = String::new();
        match form {
            Form::Header => (self.cache).render_into(secret, kt, id, parts, Some(&mut text), None),
            Form::Query => {
                // the `q-*` pairs, then the params (as `quote_plus` writes each pair)
                let q = rules::QueryOut {
                    out: &mut text,
                    params: true,
                };
                self.cache.render_into(secret, kt, id, parts, None, Some(q))
            }
        }?;
        Ok(text)
    }

    /// How many signing keys are cached (for tests of the reuse).
    pub fn cached_keys(&self) -> usize {
        self.cache.len()
    }

    /// How many request shapes the cached keys keep a template for (for tests of the reuse).
    pub fn cached_templates(&self) -> usize {
        self.cache.templates()
    }
}

/// What [`Signer::sign_object`] made.
struct SignedObject {
    /// The object URL.
    url: String,
    /// The Authorization, or the query of a pre-signed URL: the `q-*` pairs, then the
    /// params.
    text: String,
    key_time: KeyTime,
}

/// Signs `token` (of a temporary key) as `x-cos-security-token`, unless `pairs` has a pair
/// of that name (in any case) already.
fn with_token<'a>(pairs: &mut Vec<(&'a str, &'a str)>, token: Option<&'a str>) {
    if let Some(t) = token
        && !pairs
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(TOKEN_NAME))
    {
        pairs.push((TOKEN_NAME, t));
    }
}

/// What one signature covers.
struct What<'a> {
    method: Method,
    path: &'a str,
    params: &'a [(&'a str, &'a str)],
    headers: &'a [(&'a str, &'a str)],
}

fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// The allow-listed headers of `headers`.
fn signed_pairs(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers
        .iter()
        .filter(|(k, _)| is_signed_header(k))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}
