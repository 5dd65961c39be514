//! A facade reproducing qcloud_cos 1.9.44's signing API (`CosConfig`, `CosS3Client.get_auth`,
//! `get_presigned_url`, `get_presigned_download_url`, `get_object_url`) byte for byte,
//! including the exceptions it raises, with plain Rust types.
//!
//! The caller (the Python binding) converts Python values to strings as the SDK would before
//! they reach this module: `str()` of non-strings for param and header names and values,
//! `Port`, `IP`, `Endpoint`, `Domain`; bytes decoded as UTF-8 (`CosClientError` when they are
//! not). Key/value pairs are passed in the caller's dict order. `now` is
//! `int(time.time())`. Python truthiness is the caller's too (`SignHost=None` in the config is
//! `Some(false)`).
//!
//! The token is **not** added to anything, exactly as the SDK: users pass it in `Params`.
//!
//! Quirks reproduced on purpose: the header allow-list (case-insensitive, Python
//! `str.lower()`), the host taken from the URL's hostname (`urlparse` semantics, with its
//! `ValueError`s) when signing the host and no `host` header is given, names lowercased
//! after quoting with the later of two equal names winning, `get_presigned_url` splitting the
//! Authorization on `&` and `=` into a dict (a SecretId containing `&` gives a `ValueError`,
//! one containing `&k=v` adds a pair), `set_credential` without a token raising
//! `AttributeError` after having set the id and key, `get_auth` on an anonymous config
//! returning `""` and `get_presigned_url` on it raising `ValueError`.
//! The added refusals are listed in the [crate documentation](crate#refusals-added-beyond-qcloud_cos).
//!
//! ```
//! use cos_sign_std::compat::{self, CompatConfig, CompatOptions};
//! let conf = CompatConfig::new(CompatOptions {
//!     region: Some("ap-beijing".into()),
//!     secret_id: Some("AKIDexample".into()),
//!     secret_key: Some("secret".into()),
//!     ..CompatOptions::default()
//! })?;
//! let url = compat::get_presigned_url(&conf, Some("b-125"), Some("a.txt"), "GET", 300, &[], &[], false, None, 1_700_000_000)?;
//! assert!(url.starts_with("https://b-125.cos.ap-beijing.myqcloud.com/a.txt?q-sign-algorithm=sha1&q-ak=AKIDexample&"));
//! # Ok::<(), cos_sign_std::compat::CompatError>(())
//! ```

use std::fmt;

use cos_sign_core::{KeyTime, SigningKey};
use zeroize::Zeroizing;

use crate::config::{self, ConfigError};
use crate::{Form, is_signed_header, py, sign_text, urlencode};

/// The Python exception class the SDK raises for an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CompatErrorKind {
    /// `qcloud_cos.cos_exception.CosClientError`.
    CosClientError,
    /// `ValueError` (e.g. `urlsplit`'s "Invalid IPv6 URL", the presigned-URL dict split).
    ValueError,
    /// `TypeError` (e.g. `hmac.new` without a secret key).
    TypeError,
    /// `AttributeError` (e.g. `set_credential` without a token).
    AttributeError,
}

impl CompatErrorKind {
    /// The Python class name.
    pub fn name(self) -> &'static str {
        match self {
            CompatErrorKind::CosClientError => "CosClientError",
            CompatErrorKind::ValueError => "ValueError",
            CompatErrorKind::TypeError => "TypeError",
            CompatErrorKind::AttributeError => "AttributeError",
        }
    }
}

/// An error as the SDK would raise it: the exception class and its message. Messages never
/// contain secret keys or tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompatError {
    /// The exception class.
    pub kind: CompatErrorKind,
    /// The message (`str(exception)`).
    pub message: String,
}

impl CompatError {
    fn client(message: impl Into<String>) -> Self {
        Self {
            kind: CompatErrorKind::CosClientError,
            message: message.into(),
        }
    }
    fn value(message: impl Into<String>) -> Self {
        Self {
            kind: CompatErrorKind::ValueError,
            message: message.into(),
        }
    }
}

impl fmt::Display for CompatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.message)
    }
}

impl std::error::Error for CompatError {}

impl From<ConfigError> for CompatError {
    fn from(e: ConfigError) -> Self {
        CompatError::client(e.to_string())
    }
}

/// A secret key as a `CredentialInstance` may hold it (the SDK feeds it to `to_bytes` then
/// `hmac.new`): text, raw bytes, or an object of another type (a `TypeError` when signing).
#[derive(Clone, PartialEq, Eq)]
pub enum CompatKey {
    /// A `str` (UTF-8 encoded for HMAC).
    Text(Zeroizing<String>),
    /// `bytes`, used as they are.
    Bytes(Zeroizing<Vec<u8>>),
    /// Anything else: its Python type name (`int`, `NoneType`...).
    Other(String),
}

impl CompatKey {
    /// A text key.
    pub fn text(s: impl Into<String>) -> Self {
        CompatKey::Text(Zeroizing::new(s.into()))
    }
    /// A bytes key.
    pub fn bytes(b: impl Into<Vec<u8>>) -> Self {
        CompatKey::Bytes(Zeroizing::new(b.into()))
    }
    fn key_bytes(&self) -> Result<&[u8], CompatError> {
        match self {
            CompatKey::Text(s) => Ok(s.as_bytes()),
            CompatKey::Bytes(b) => Ok(b),
            CompatKey::Other(t) => Err(type_error(t)),
        }
    }
}

impl fmt::Debug for CompatKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompatKey::Text(_) | CompatKey::Bytes(_) => f.write_str("<redacted>"),
            CompatKey::Other(t) => write!(f, "Other({t})"),
        }
    }
}

fn type_error(type_name: &str) -> CompatError {
    CompatError {
        kind: CompatErrorKind::TypeError,
        message: format!("key: expected bytes or bytearray, but got '{type_name}'"),
    }
}

/// The `CosConfig` keyword arguments that matter for signing and URLs. `None` means the
/// keyword was not given (the SDK's default applies); strings are what the binding converted.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CompatOptions {
    /// `Appid`.
    pub appid: Option<String>,
    /// `Region`.
    pub region: Option<String>,
    /// `SecretId`.
    pub secret_id: Option<String>,
    /// `SecretKey`.
    pub secret_key: Option<String>,
    /// `Token` (kept, never added to signatures, as the SDK).
    pub token: Option<String>,
    /// `CredentialInstance` given, with `secret_id`, `secret_key` and `token` attributes:
    /// the binding then supplies its values at each call through
    /// [`CompatConfig::with_instance_credentials`].
    pub credential_instance: bool,
    /// `Scheme` (default `https`).
    pub scheme: Option<String>,
    /// `Secret_id` (compatibility alias).
    pub secret_id_alias: Option<String>,
    /// `Secret_key` (compatibility alias).
    pub secret_key_alias: Option<String>,
    /// `Access_id` (compatibility alias).
    pub access_id: Option<String>,
    /// `Access_key` (compatibility alias).
    pub access_key: Option<String>,
    /// `Endpoint`.
    pub endpoint: Option<String>,
    /// `IP`.
    pub ip: Option<String>,
    /// `Port`, as `str(Port)`.
    pub port: Option<String>,
    /// `Anonymous` (truthiness).
    pub anonymous: Option<bool>,
    /// `Domain`.
    pub domain: Option<String>,
    /// `SignHost` (truthiness; default `True`).
    pub sign_host: Option<bool>,
    /// `EndpointCi`.
    pub endpoint_ci: Option<String>,
    /// `EnableOldDomain` (truthiness; default `True`).
    pub enable_old_domain: Option<bool>,
    /// `EnableInternalDomain` (truthiness; default `True`).
    pub enable_internal_domain: Option<bool>,
    /// `SignParams` (truthiness; default `True`).
    pub sign_params: Option<bool>,
}

impl fmt::Debug for CompatOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let red = |o: &Option<String>| o.as_ref().map(|_| "<redacted>");
        f.debug_struct("CompatOptions")
            .field("appid", &self.appid)
            .field("region", &self.region)
            .field("secret_id", &self.secret_id)
            .field("secret_key", &red(&self.secret_key))
            .field("token", &red(&self.token))
            .field("credential_instance", &self.credential_instance)
            .field("scheme", &self.scheme)
            .field("secret_id_alias", &self.secret_id_alias)
            .field("secret_key_alias", &red(&self.secret_key_alias))
            .field("access_id", &self.access_id)
            .field("access_key", &red(&self.access_key))
            .field("endpoint", &self.endpoint)
            .field("ip", &self.ip)
            .field("port", &self.port)
            .field("anonymous", &self.anonymous)
            .field("domain", &self.domain)
            .field("sign_host", &self.sign_host)
            .field("endpoint_ci", &self.endpoint_ci)
            .field("enable_old_domain", &self.enable_old_domain)
            .field("enable_internal_domain", &self.enable_internal_domain)
            .field("sign_params", &self.sign_params)
            .finish()
    }
}

/// The state of `CosConfig._credential_inst`.
#[derive(Clone, PartialEq, Eq)]
enum CredInst {
    /// The attribute was never set (config built with SecretId/SecretKey or an alias).
    Unset,
    /// `None` (anonymous config).
    Absent,
    /// A `CredentialInstance`, with the values read for this call if supplied.
    Instance(Option<(String, CompatKey)>),
}

/// A `CosConfig`: what `CosConfig.__init__` stores, after its checks.
#[derive(Clone, PartialEq, Eq)]
pub struct CompatConfig {
    appid: Option<String>,
    token: Option<Zeroizing<String>>,
    endpoint: Option<String>,
    endpoint_ci: Option<String>,
    ip: Option<String>,
    port: Option<String>,
    anonymous: bool,
    domain: Option<String>,
    sign_host: bool,
    sign_params: bool,
    scheme: &'static str,
    secret_id: Option<String>,
    secret_key: Option<Zeroizing<String>>,
    cred_inst: CredInst,
}

impl fmt::Debug for CompatConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompatConfig")
            .field("scheme", &self.scheme)
            .field("endpoint", &self.endpoint)
            .field("endpoint_ci", &self.endpoint_ci)
            .field("domain", &self.domain)
            .field("ip", &self.ip)
            .field("port", &self.port)
            .field("appid", &self.appid)
            .field("secret_id", &self.secret_id)
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "<redacted>"),
            )
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("anonymous", &self.anonymous)
            .field("sign_host", &self.sign_host)
            .field("sign_params", &self.sign_params)
            .finish_non_exhaustive()
    }
}

fn truthy(s: &Option<String>) -> bool {
    s.as_deref().is_some_and(|v| !v.is_empty())
}

/// `CosConfig.convert_secret_value` for a string.
fn convert_secret(v: &str) -> Result<String, CompatError> {
    if v.starts_with(' ') || v.ends_with(' ') {
        return Err(CompatError::client(
            "secret_id and secret_key cannot contain spaces at the beginning and end",
        ));
    }
    Ok(v.to_owned())
}

impl CompatConfig {
    /// `CosConfig(**options)`.
    ///
    /// # Errors
    /// As the SDK: `CosClientError` for a bad region (also through the CI endpoint, even with
    /// a `Domain`), no region and no endpoint (without `Domain`), a scheme other than
    /// `http`/`https`, secrets with leading/trailing spaces, no credentials at all.
    pub fn new(o: CompatOptions) -> Result<CompatConfig, CompatError> {
        let old = o.enable_old_domain.unwrap_or(true);
        let internal = o.enable_internal_domain.unwrap_or(true);
        let endpoint = if o.domain.is_none() {
            config::format_endpoint(
                o.endpoint.as_deref(),
                o.region.as_deref(),
                "cos.",
                old,
                internal,
            )?
        } else {
            o.endpoint.clone()
        };
        let scheme = match o.scheme.as_deref() {
            None | Some("https") => "https",
            Some("http") => "http",
            Some(_) => return Err(CompatError::client("Scheme can be only set to http/https")),
        };
        let endpoint_ci = config::format_endpoint(
            o.endpoint_ci.as_deref(),
            o.region.as_deref(),
            "ci.",
            true,
            false,
        )?;
        let anonymous = o.anonymous.unwrap_or(false);
        let (secret_id, secret_key, cred_inst) = if truthy(&o.secret_id) && truthy(&o.secret_key) {
            let id = convert_secret(o.secret_id.as_deref().unwrap_or_default())?;
            let key = convert_secret(o.secret_key.as_deref().unwrap_or_default())?;
            (Some(id), Some(Zeroizing::new(key)), CredInst::Unset)
        } else if truthy(&o.secret_id_alias) && truthy(&o.secret_key_alias) {
            let id = convert_secret(o.secret_id_alias.as_deref().unwrap_or_default())?;
            let key = convert_secret(o.secret_key_alias.as_deref().unwrap_or_default())?;
            (Some(id), Some(Zeroizing::new(key)), CredInst::Unset)
        } else if truthy(&o.access_id) && truthy(&o.access_key) {
            let id = convert_secret(o.access_id.as_deref().unwrap_or_default())?;
            let key = convert_secret(o.access_key.as_deref().unwrap_or_default())?;
            (Some(id), Some(Zeroizing::new(key)), CredInst::Unset)
        } else if o.credential_instance {
            (None, None, CredInst::Instance(None))
        } else if anonymous {
            (None, None, CredInst::Absent)
        } else {
            return Err(CompatError::client("SecretId and SecretKey is Required!"));
        };
        Ok(CompatConfig {
            appid: o.appid,
            token: o.token.map(Zeroizing::new),
            endpoint,
            endpoint_ci,
            ip: o.ip,
            port: o.port,
            anonymous,
            domain: o.domain,
            sign_host: o.sign_host.unwrap_or(true),
            sign_params: o.sign_params.unwrap_or(true),
            scheme,
            secret_id,
            secret_key,
            cred_inst,
        })
    }

    /// A copy holding the values a `CredentialInstance` gives for this call (`str()` of its
    /// `secret_id`, its `secret_key`). Without a `CredentialInstance` in the config, the copy
    /// is unchanged.
    pub fn with_instance_credentials(
        &self,
        secret_id: impl Into<String>,
        secret_key: CompatKey,
    ) -> CompatConfig {
        let mut c = self.clone();
        if let CredInst::Instance(v) = &mut c.cred_inst {
            *v = Some((secret_id.into(), secret_key));
        }
        c
    }

    /// Whether the config was built from a `CredentialInstance`.
    pub fn uses_credential_instance(&self) -> bool {
        matches!(self.cred_inst, CredInst::Instance(_))
    }

    /// `CosConfig.uri(bucket, path, endpoint, domain)`.
    ///
    /// # Errors
    /// As the SDK (bad bucket, empty path) plus the host refusals of the crate docs.
    pub fn uri(
        &self,
        bucket: Option<&str>,
        path: Option<&str>,
        endpoint: Option<&str>,
        domain: Option<&str>,
    ) -> Result<String, CompatError> {
        let domain = domain.or(self.domain.as_deref());
        let mut url = match domain {
            Some(d) => {
                config::check_host_part("domain", d, false)?;
                d.to_owned()
            }
            None => {
                let endpoint = endpoint.or(self.endpoint.as_deref());
                let ep = endpoint.unwrap_or("None");
                if endpoint.is_some() {
                    config::check_host_part("endpoint", ep, false)?;
                }
                match bucket {
                    Some(b) => {
                        let b = config::format_bucket(b, self.appid.as_deref())?;
                        let mut u = String::with_capacity(b.len() + 1 + ep.len());
                        u.push_str(&b);
                        u.push('.');
                        u.push_str(ep);
                        u
                    }
                    None => ep.to_owned(),
                }
            }
        };
        if let Some(ip) = &self.ip {
            config::check_ip(ip)?;
            url = match &self.port {
                Some(p) => {
                    config::check_port(p)?;
                    format!("{ip}:{p}")
                }
                None => ip.clone(),
            };
        }
        match path {
            Some(p) => {
                if p.is_empty() {
                    return Err(CompatError::client("Key is required not empty"));
                }
                let path = config::url_path(p);
                let mut out =
                    String::with_capacity(self.scheme.len() + 4 + url.len() + path.len() + 512);
                out.push_str(self.scheme);
                out.push_str("://");
                out.push_str(&url);
                out.push('/');
                out.push_str(&path);
                Ok(out)
            }
            None => Ok(format!("{}://{url}/", self.scheme)),
        }
    }

    /// `CosConfig.get_host(Bucket, Appid)`: `None` when both are `None`.
    ///
    /// # Errors
    /// A bad bucket (the SDK's checks and the crate's).
    pub fn get_host(
        &self,
        bucket: Option<&str>,
        appid: Option<&str>,
    ) -> Result<Option<String>, CompatError> {
        let ep = self.endpoint.as_deref().unwrap_or("None");
        if let Some(b) = bucket {
            let b = config::format_bucket(b, self.appid.as_deref())?;
            return Ok(Some(format!("{b}.{ep}")));
        }
        Ok(appid.map(|a| format!("{a}.{ep}")))
    }

    /// `CosConfig.set_ip_port(IP, Port)`: `ip = None` leaves IP mode.
    pub fn set_ip_port(&mut self, ip: Option<String>, port: Option<String>) {
        self.ip = ip;
        self.port = port;
    }

    /// `CosConfig.set_credential(SecretId, SecretKey, Token)`.
    ///
    /// # Errors
    /// `CosClientError` for a leading/trailing space (nothing after the failing value is
    /// set); `AttributeError` when `token` is `None`, as the SDK — after the id and key
    /// **have** been set.
    pub fn set_credential(
        &mut self,
        secret_id: String,
        secret_key: String,
        token: Option<String>,
    ) -> Result<(), CompatError> {
        self.secret_id = Some(convert_secret(&secret_id)?);
        self.secret_key = Some(Zeroizing::new(convert_secret(&secret_key)?));
        match token {
            Some(t) => {
                self.token = Some(Zeroizing::new(convert_secret(&t)?));
                Ok(())
            }
            None => Err(CompatError {
                kind: CompatErrorKind::AttributeError,
                message: "'NoneType' object has no attribute 'endswith'".to_owned(),
            }),
        }
    }

    /// The configured token (`Token` / `set_credential`), never added to signatures here.
    pub fn token(&self) -> Option<&str> {
        self.token.as_ref().map(|t| t.as_str())
    }

    /// The scheme.
    pub fn scheme(&self) -> &str {
        self.scheme
    }

    /// `_endpoint` (`None` with a `Domain` and no `Endpoint`).
    pub fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }

    /// `_endpoint_ci`.
    pub fn endpoint_ci(&self) -> Option<&str> {
        self.endpoint_ci.as_deref()
    }

    /// The secret id as stored (`None` for anonymous and `CredentialInstance` configs).
    pub fn secret_id(&self) -> Option<&str> {
        self.secret_id.as_deref()
    }

    /// `CosS3Auth.__init__`'s choice of id and key.
    fn auth_secrets(&self) -> Result<(String, Option<CompatKey>), CompatError> {
        if let (Some(id), true) = (&self.secret_id, truthy(&self.secret_id)) {
            let key = match &self.secret_key {
                Some(k) if !k.is_empty() => Some(CompatKey::Text(k.clone())),
                _ => self.inst_key()?,
            };
            return Ok((id.clone(), key));
        }
        let id = match &self.cred_inst {
            CredInst::Unset => return Err(no_cred_inst()),
            CredInst::Absent => "None".to_owned(),
            CredInst::Instance(v) => v
                .as_ref()
                .map_or_else(|| "None".to_owned(), |(id, _)| id.clone()),
        };
        let key = match &self.secret_key {
            Some(k) if !k.is_empty() => Some(CompatKey::Text(k.clone())),
            _ => self.inst_key()?,
        };
        Ok((id, key))
    }

    fn inst_key(&self) -> Result<Option<CompatKey>, CompatError> {
        match &self.cred_inst {
            CredInst::Unset => Err(no_cred_inst()),
            CredInst::Absent => Ok(None),
            CredInst::Instance(v) => Ok(v.as_ref().map(|(_, k)| k.clone())),
        }
    }
}

fn no_cred_inst() -> CompatError {
    CompatError {
        kind: CompatErrorKind::AttributeError,
        message: "'CosConfig' object has no attribute '_credential_inst'".to_owned(),
    }
}

/// What `CosS3Auth.__call__` produced.
enum Auth {
    /// Anonymous: `""`.
    Anonymous,
    /// The Authorization string (or the `q-*` query, as asked), and the secret id used.
    Signed(String, String),
}

thread_local! {
    /// The last signing key derived on this thread, with the secret it came from: calls in
    /// the same second with the same key reuse it.
    static KEY_CACHE: std::cell::RefCell<Option<(Zeroizing<Vec<u8>>, SigningKey)>> =
        const { std::cell::RefCell::new(None) };
}

fn signing_key(secret: &[u8], kt: KeyTime) -> SigningKey {
    KEY_CACHE.with(|cell| {
        let mut cache = cell.borrow_mut();
        if let Some((s, k)) = cache.as_ref()
            && k.key_time() == kt
            && s.as_slice() == secret
        {
            return k.clone();
        }
        let k = SigningKey::derive(secret, kt);
        *cache = Some((Zeroizing::new(secret.to_vec()), k.clone()));
        k
    })
}

/// The request URL (`CosConfig.uri`, on the CI endpoint when asked) and the signature over
/// it: the shared first half of `get_auth` and `get_presigned_url`.
#[allow(clippy::too_many_arguments)]
fn url_and_auth(
    conf: &CompatConfig,
    bucket: Option<&str>,
    key: Option<&str>,
    method: &str,
    expired: i64,
    headers: &[(String, String)],
    params: &[(String, String)],
    use_ci_endpoint: bool,
    sign_host: Option<bool>,
    now: i64,
    form: Form,
) -> Result<(String, Auth), CompatError> {
    let endpoint = if use_ci_endpoint {
        conf.endpoint_ci.as_deref()
    } else {
        None
    };
    let url = conf.uri(bucket, key, endpoint, None)?;
    let auth = auth_for(
        conf, &url, method, key, expired, headers, params, sign_host, now, form,
    )?;
    Ok((url, auth))
}

#[allow(clippy::too_many_arguments)]
fn auth_for(
    conf: &CompatConfig,
    url: &str,
    method: &str,
    key: Option<&str>,
    expired: i64,
    headers: &[(String, String)],
    params: &[(String, String)],
    sign_host: Option<bool>,
    now: i64,
    form: Form,
) -> Result<Auth, CompatError> {
    let (secret_id, secret_key) = conf.auth_secrets()?;
    let sign_host = sign_host.unwrap_or(conf.sign_host);
    let path = config::signing_path(key);
    if conf.anonymous {
        return Ok(Auth::Anonymous);
    }
    let params: Vec<(&str, &str)> = if conf.sign_params {
        params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    } else {
        Vec::new()
    };
    let mut signed_headers: Vec<(&str, &str)> = headers
        .iter()
        .filter(|(k, _)| is_signed_header(k))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let hostname;
    let is_host = |k: &str| {
        if k.is_ascii() {
            k.eq_ignore_ascii_case("host")
        } else {
            py::lower(k) == "host"
        }
    };
    if sign_host && !signed_headers.iter().any(|(k, _)| is_host(k)) {
        hostname = py::url_hostname(url).map_err(CompatError::value)?;
        if let Some(h) = &hostname {
            signed_headers.push(("host", h.as_str()));
        }
    }
    let method: std::borrow::Cow<'_, str> = if method
        .bytes()
        .any(|b| b.is_ascii_uppercase() || !b.is_ascii())
    {
        py::lower(method).into()
    } else {
        method.into()
    };
    let (start, end) = (now.checked_sub(60), now.checked_add(expired));
    let (Some(start), Some(end)) = (
        start.and_then(|s| u64::try_from(s).ok()),
        end.and_then(|e| u64::try_from(e).ok()),
    ) else {
        return Err(CompatError::client(
            "the key time would start or end before 1970 (refused by cos-sign-std)",
        ));
    };
    let key_bytes = match &secret_key {
        Some(k) => k.key_bytes()?,
        None => return Err(type_error("NoneType")),
    };
    let sk = signing_key(key_bytes, KeyTime::new(start, end));
    // The `q-*` query form is only used where it equals what the SDK's dict split gives: a
    // secret id without `&` and `=`.
    let form = match form {
        Form::Query if secret_id.contains(['&', '=']) => Form::Header,
        f => f,
    };
    let text = sign_text(
        &sk,
        &secret_id,
        &method,
        &path,
        &params,
        &signed_headers,
        form,
    )
    .map_err(|e| CompatError::client(format!("{e} (refused by cos-sign-std)")))?;
    Ok(Auth::Signed(text, secret_id))
}

/// `CosS3Client.get_auth(Method, Bucket, Key, Expired, Headers, Params, SignHost,
/// UseCiEndPoint)` with `time.time()` = `now`.
///
/// # Errors
/// As the SDK (see the module docs) plus the crate's refusals.
#[allow(clippy::too_many_arguments)]
pub fn get_auth(
    conf: &CompatConfig,
    method: &str,
    bucket: Option<&str>,
    key: Option<&str>,
    expired: i64,
    headers: &[(String, String)],
    params: &[(String, String)],
    sign_host: Option<bool>,
    use_ci_endpoint: bool,
    now: i64,
) -> Result<String, CompatError> {
    let (_, auth) = url_and_auth(
        conf,
        bucket,
        key,
        method,
        expired,
        headers,
        params,
        use_ci_endpoint,
        sign_host,
        now,
        Form::Header,
    )?;
    match auth {
        Auth::Anonymous => Ok(String::new()),
        Auth::Signed(s, _) => Ok(s),
    }
}

/// `CosS3Client.get_presigned_url(Bucket, Key, Method, Expired, Params, Headers,
/// UseCiEndPoint, SignHost)` with `time.time()` = `now`.
///
/// # Errors
/// As the SDK (see the module docs) plus the crate's refusals.
#[allow(clippy::too_many_arguments)]
pub fn get_presigned_url(
    conf: &CompatConfig,
    bucket: Option<&str>,
    key: Option<&str>,
    method: &str,
    expired: i64,
    params: &[(String, String)],
    headers: &[(String, String)],
    use_ci_endpoint: bool,
    sign_host: Option<bool>,
    now: i64,
) -> Result<String, CompatError> {
    let (url, auth) = url_and_auth(
        conf,
        bucket,
        key,
        method,
        expired,
        headers,
        params,
        use_ci_endpoint,
        sign_host,
        now,
        Form::Query,
    )?;
    let auth = match auth {
        Auth::Anonymous => String::new(),
        Auth::Signed(query, id) if !id.contains(['&', '=']) => {
            // Already the `q-*` query, as the SDK's `urlencode` of its dict renders it.
            let mut out = url;
            out.push('?');
            out.push_str(&query);
            append_params(&mut out, params);
            return Ok(out);
        }
        Auth::Signed(s, _) => s,
    };
    // dict([item.split('=', 1) for item in sign.split('&')])
    let mut pairs: Vec<(&str, &str)> = Vec::with_capacity(8);
    for (i, item) in auth.split('&').enumerate() {
        let Some((k, v)) = item.split_once('=') else {
            return Err(CompatError::value(format!(
                "dictionary update sequence element #{i} has length 1; 2 is required"
            )));
        };
        match pairs.iter_mut().find(|(pk, _)| *pk == k) {
            Some(p) => p.1 = v,
            None => pairs.push((k, v)),
        }
    }
    let mut out = url;
    out.push('?');
    out.push_str(&urlencode(&pairs));
    append_params(&mut out, params);
    Ok(out)
}

/// `if Params: url += '&' + urlencode(Params)`.
fn append_params(out: &mut String, params: &[(String, String)]) {
    for (k, v) in params {
        out.push('&');
        py::quote_plus_into(out, k);
        out.push('=');
        py::quote_plus_into(out, v);
    }
}

/// `CosS3Client.get_presigned_download_url(Bucket, Key, Expired, Params, Headers,
/// UseCiEndPoint, SignHost)`: [`get_presigned_url`] with `GET`.
///
/// # Errors
/// As [`get_presigned_url`].
#[allow(clippy::too_many_arguments)]
pub fn get_presigned_download_url(
    conf: &CompatConfig,
    bucket: Option<&str>,
    key: Option<&str>,
    expired: i64,
    params: &[(String, String)],
    headers: &[(String, String)],
    use_ci_endpoint: bool,
    sign_host: Option<bool>,
    now: i64,
) -> Result<String, CompatError> {
    get_presigned_url(
        conf,
        bucket,
        key,
        "GET",
        expired,
        params,
        headers,
        use_ci_endpoint,
        sign_host,
        now,
    )
}

/// `CosS3Client.get_object_url(Bucket, Key)`.
///
/// # Errors
/// As [`CompatConfig::uri`].
pub fn get_object_url(
    conf: &CompatConfig,
    bucket: Option<&str>,
    key: Option<&str>,
) -> Result<String, CompatError> {
    conf.uri(bucket, key, None, None)
}
