//! `CosConfig` of qcloud_cos 1.9.44: [`SdkOptions`] (its keyword arguments, converted) in,
//! [`SdkConfig`] (what `__init__` stores, after its checks) out; `uri`, `get_host`,
//! `set_ip_port`, `set_credential`.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;

use std::sync::{Arc, Mutex, PoisonError};

use cos_sign_std::config::{self, ConfigError};
use cos_sign_std::rules::KeyCache;
use zeroize::Zeroizing;

use crate::error::{ErrorKind, SdkError};
use crate::python;

/// A secret key as a `CredentialInstance` may hold it (the SDK feeds it to `to_bytes` then
/// `hmac.new`): text, raw bytes, or an object of another type (a `TypeError` when signing).
#[derive(Clone, PartialEq, Eq)]
pub enum SdkKey {
    /// A `str` (UTF-8 encoded for HMAC).
    Text(Zeroizing<String>),
    /// `bytes`, used as they are.
    Bytes(Zeroizing<Vec<u8>>),
    /// Anything else: its Python type name (`int`, `NoneType`...).
    Other(String),
}

impl SdkKey {
    /// A text key.
    pub fn text(s: impl Into<String>) -> Self {
        SdkKey::Text(Zeroizing::new(s.into()))
    }
    /// A bytes key.
    pub fn bytes(b: impl Into<Vec<u8>>) -> Self {
        SdkKey::Bytes(Zeroizing::new(b.into()))
    }
    pub(crate) fn key_bytes(&self) -> Result<&[u8], SdkError> {
        match self {
            SdkKey::Text(s) => Ok(s.as_bytes()),
            SdkKey::Bytes(b) => Ok(b),
            SdkKey::Other(t) => Err(type_error(t)),
        }
    }
}

impl fmt::Debug for SdkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SdkKey::Text(_) | SdkKey::Bytes(_) => f.write_str("<redacted>"),
            SdkKey::Other(t) => write!(f, "Other({t})"),
        }
    }
}

pub(crate) fn type_error(type_name: &str) -> SdkError {
    SdkError::new(
        ErrorKind::TypeError,
        format!("key: expected bytes or bytearray, but got '{type_name}'"),
    )
}

/// The `CosConfig` keyword arguments that matter for signing and URLs. `None` means the
/// keyword was not given (the SDK's default applies); strings are what the binding converted.
///
/// Build it from [`SdkOptions::default`] with the setters, one per keyword (a field may also be
/// assigned, e.g. to put a `None` back):
///
/// ```
/// use cos_sign_qcloud::{SdkConfig, SdkOptions};
/// let o = SdkOptions::default()
///     .region("ap-beijing")
///     .secret_id("AKIDexample")
///     .secret_key("secret")
///     .sign_params(false);
/// assert_eq!(o.region.as_deref(), Some("ap-beijing"));
/// assert!(!SdkConfig::new(o)?.sign_params());
/// # Ok::<(), cos_sign_qcloud::SdkError>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SdkOptions {
    /// `Appid`.
    pub appid: Option<String>,
    /// `Appid` was given as a truthy value that is not a `str`: the SDK refuses it ("appid is
    /// not string") where it formats a bucket, after the bucket's own checks.
    pub appid_not_string: bool,
    /// `Region`.
    pub region: Option<String>,
    /// `"{}".format(Region)` when it differs from the region's text (a `str` subclass such as
    /// a `(str, Enum)` member): the SDK formats the region itself into the endpoint when it
    /// uses it as it is (a region holding `cos.`, a legacy region).
    pub region_format: Option<String>,
    /// `SecretId`.
    pub secret_id: Option<String>,
    /// `"{}".format` of the chosen secret id (`SecretId` or an alias) when it differs from
    /// its text: the SDK checks the text's spaces and formats the object into the
    /// Authorization.
    pub secret_id_format: Option<String>,
    /// `SecretKey`.
    pub secret_key: Option<String>,
    /// `Token` (kept, never added to signatures, as the SDK).
    pub token: Option<String>,
    /// `CredentialInstance` given, with `secret_id`, `secret_key` and `token` attributes:
    /// the binding then supplies its values at each call through
    /// [`SdkConfig::with_instance_credentials`].
    pub credential_instance: bool,
    /// `Scheme` (default `https`).
    pub scheme: Option<String>,
    /// `"{}".format(Scheme)` when it differs from the scheme's text: the SDK compares the
    /// text with `http`/`https` and formats the object into its URLs.
    pub scheme_format: Option<String>,
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

/// One chainable setter per field.
macro_rules! setters {
    ($($name:ident: $kind:ident,)*) => {
        impl SdkOptions {
            $( setters!(@one $kind $name); )*
        }
    };
    (@one text $name:ident) => {
        #[doc = concat!("Sets [`", stringify!($name), "`](Self::", stringify!($name), ").")]
        #[must_use]
        pub fn $name(mut self, value: impl Into<String>) -> Self {
            self.$name = Some(value.into());
            self
        }
    };
    (@one flag $name:ident) => {
        #[doc = concat!("Sets [`", stringify!($name), "`](Self::", stringify!($name), ").")]
        #[must_use]
        pub fn $name(mut self, value: bool) -> Self {
            self.$name = Some(value);
            self
        }
    };
    (@one plain $name:ident) => {
        #[doc = concat!("Sets [`", stringify!($name), "`](Self::", stringify!($name), ").")]
        #[must_use]
        pub fn $name(mut self, value: bool) -> Self {
            self.$name = value;
            self
        }
    };
}

setters! {
    appid: text,
    appid_not_string: plain,
    region: text,
    region_format: text,
    secret_id: text,
    secret_id_format: text,
    secret_key: text,
    token: text,
    credential_instance: plain,
    scheme: text,
    scheme_format: text,
    secret_id_alias: text,
    secret_key_alias: text,
    access_id: text,
    access_key: text,
    endpoint: text,
    ip: text,
    port: text,
    anonymous: flag,
    domain: text,
    sign_host: flag,
    endpoint_ci: text,
    enable_old_domain: flag,
    enable_internal_domain: flag,
    sign_params: flag,
}

impl fmt::Debug for SdkOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let red = |o: &Option<String>| o.as_ref().map(|_| "<redacted>");
        f.debug_struct("SdkOptions")
            .field("appid", &self.appid)
            .field("appid_not_string", &self.appid_not_string)
            .field("region", &self.region)
            .field("region_format", &self.region_format)
            .field("secret_id", &self.secret_id)
            .field("secret_id_format", &self.secret_id_format)
            .field("secret_key", &red(&self.secret_key))
            .field("token", &red(&self.token))
            .field("credential_instance", &self.credential_instance)
            .field("scheme", &self.scheme)
            .field("scheme_format", &self.scheme_format)
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
    Instance(Option<(String, SdkKey)>),
}

/// A `CosConfig`: what `CosConfig.__init__` stores, after its checks. Clones share one
/// cache of signing keys.
#[derive(Clone)]
pub struct SdkConfig {
    cache: Arc<KeyCache>,
    /// The last bucket's [`Prefix`] (`set_ip_port` starts a new one).
    prefix: PrefixCache,
    appid: Option<String>,
    appid_not_string: bool,
    token: Option<Zeroizing<String>>,
    endpoint: Option<String>,
    endpoint_ci: Option<String>,
    ip: Option<String>,
    port: Option<String>,
    anonymous: bool,
    domain: Option<String>,
    sign_host: bool,
    sign_params: bool,
    /// `http`, `https`, or what a `str` subclass naming one of them formats to.
    scheme: Cow<'static, str>,
    secret_id: Option<String>,
    /// `secret_id` holds `&` or `=` (looked at once, not at every pre-signed URL).
    secret_id_splits: bool,
    secret_key: Option<Zeroizing<String>>,
    cred_inst: CredInst,
}

/// Whether a secret id holds `&` or `=`: splitting the Authorization on them then does not
/// give back its pairs.
fn splits(id: &str) -> bool {
    id.contains(['&', '='])
}

impl fmt::Debug for SdkConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SdkConfig")
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
fn convert_secret(v: &str) -> Result<String, SdkError> {
    if v.starts_with(' ') || v.ends_with(' ') {
        return Err(SdkError::client(
            "secret_id and secret_key cannot contain spaces at the beginning and end",
        ));
    }
    Ok(v.to_owned())
}

impl SdkConfig {
    /// `CosConfig(**options)`.
    ///
    /// # Errors
    /// As the SDK: `CosClientError` for a bad region (also through the CI endpoint, even with
    /// a `Domain`), no region and no endpoint (without `Domain`), a scheme other than
    /// `http`/`https`, secrets with leading/trailing spaces, no credentials at all.
    pub fn new(o: SdkOptions) -> Result<SdkConfig, SdkError> {
        let old = o.enable_old_domain.unwrap_or(true);
        let internal = o.enable_internal_domain.unwrap_or(true);
        let endpoint = if o.domain.is_none() {
            format_endpoint(
                o.endpoint.as_deref(),
                (o.region.as_deref(), o.region_format.as_deref()),
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
            Some(_) => return Err(SdkError::client("Scheme can be only set to http/https")),
        };
        let scheme = match o.scheme_format {
            Some(f) if f != scheme => {
                check_scheme(&f)?;
                Cow::Owned(f)
            }
            _ => Cow::Borrowed(scheme),
        };
        let endpoint_ci = format_endpoint(
            o.endpoint_ci.as_deref(),
            (o.region.as_deref(), o.region_format.as_deref()),
            "ci.",
            true,
            false,
        )?;
        let anonymous = o.anonymous.unwrap_or(false);
        let (mut secret_id, secret_key, cred_inst) =
            if truthy(&o.secret_id) && truthy(&o.secret_key) {
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
                return Err(SdkError::client("SecretId and SecretKey is Required!"));
            };
        // the SDK stores the object whose text it checked, and formats it when signing
        if let (Some(id), Some(f)) = (&mut secret_id, o.secret_id_format) {
            *id = f;
        }
        Ok(SdkConfig {
            cache: Arc::default(),
            prefix: Arc::default(),
            appid: o.appid,
            appid_not_string: o.appid_not_string,
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
            secret_id_splits: secret_id.as_deref().is_some_and(splits),
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
        secret_key: SdkKey,
    ) -> SdkConfig {
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
        bucket: Option<Bucket<'_>>,
        path: Option<&str>,
        endpoint: Option<&str>,
        domain: Option<&str>,
    ) -> Result<String, SdkError> {
        let domain = domain.or(self.domain.as_deref());
        let mut url = match domain {
            Some(d) => {
                config::check_host_part("domain", d, false)?;
                d.to_owned()
            }
            None => {
                let endpoint = endpoint.or(self.endpoint.as_deref());
                let ep = endpoint.unwrap_or(python::STR_NONE);
                if endpoint.is_some() {
                    config::check_host_part("endpoint", ep, false)?;
                }
                match bucket {
                    Some(b) => {
                        let b = self.format_bucket(b)?;
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
                    return Err(SdkError::client("Key is required not empty"));
                }
                // room for the quoted key (at most 3 bytes a byte) and a pre-signed query
                let mut out =
                    String::with_capacity(self.scheme.len() + 4 + url.len() + 3 * p.len() + 512);
                out.push_str(&self.scheme);
                out.push_str("://");
                out.push_str(&url);
                out.push('/');
                config::url_path_into(&mut out, p);
                Ok(out)
            }
            None => Ok(format!("{}://{url}/", self.scheme)),
        }
    }

    /// `"{appid}.{endpoint}"`: the domain of `CosConfig.uri(useAppid=True)` without a bucket
    /// (`endpoint`: the call's, else the config's; `None` formats as `None`).
    pub fn appid_host(&self, appid: Option<&str>, endpoint: Option<&str>) -> String {
        let ep = endpoint.or(self.endpoint.as_deref());
        let none = python::STR_NONE;
        format!("{}.{}", appid.unwrap_or(none), ep.unwrap_or(none))
    }

    /// `_endpoint_pic` as the SDK formats it from a region (`None`: a region it refuses).
    pub fn pic_endpoint(region: &str) -> Option<String> {
        let p = config::format_region(region, "pic.", true, false).ok()?;
        Some(format!("{p}.myqcloud.com"))
    }

    /// `CosConfig.get_host(Bucket, Appid)`: `None` when both are `None`.
    ///
    /// # Errors
    /// A bad bucket (the SDK's checks and the crate's).
    pub fn get_host(
        &self,
        bucket: Option<Bucket<'_>>,
        appid: Option<&str>,
    ) -> Result<Option<String>, SdkError> {
        let ep = self.endpoint.as_deref().unwrap_or(python::STR_NONE);
        if let Some(b) = bucket {
            let b = self.format_bucket(b)?;
            return Ok(Some(format!("{b}.{ep}")));
        }
        Ok(appid.map(|a| format!("{a}.{ep}")))
    }

    /// `CosConfig.set_ip_port(IP, Port)`: `ip = None` leaves IP mode.
    pub fn set_ip_port(&mut self, ip: Option<String>, port: Option<String>) {
        self.prefix = Arc::default();
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
    ) -> Result<(), SdkError> {
        self.set_credential_formatted((secret_id, None), secret_key, token)
    }

    /// [`set_credential`](Self::set_credential) with a secret id whose `"{}".format` differs
    /// from its text (`Some`: a `str` subclass): the text's spaces are checked, the format
    /// is stored (and signed), as the SDK does.
    ///
    /// # Errors
    /// As [`set_credential`](Self::set_credential).
    pub fn set_credential_formatted(
        &mut self,
        (secret_id, format): (String, Option<String>),
        secret_key: String,
        token: Option<String>,
    ) -> Result<(), SdkError> {
        let checked = convert_secret(&secret_id)?;
        let secret_id = format.unwrap_or(checked);
        self.secret_id_splits = splits(&secret_id);
        self.secret_id = Some(secret_id);
        self.secret_key = Some(Zeroizing::new(convert_secret(&secret_key)?));
        match token {
            Some(t) => {
                self.token = Some(Zeroizing::new(convert_secret(&t)?));
                Ok(())
            }
            None => Err(SdkError::new(
                ErrorKind::AttributeError,
                "'NoneType' object has no attribute 'endswith'",
            )),
        }
    }

    /// The configured token (`Token` / `set_credential`), never added to signatures here.
    pub fn token(&self) -> Option<&str> {
        self.token.as_ref().map(|t| t.as_str())
    }

    /// The scheme.
    pub fn scheme(&self) -> &str {
        &self.scheme
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

    /// `format_bucket(bucket, self._appid)`.
    fn format_bucket(&self, bucket: Bucket<'_>) -> Result<String, SdkError> {
        let name = format_bucket(bucket, self.appid.as_deref())?;
        if self.appid_not_string {
            return Err(SdkError::client("appid is not string"));
        }
        Ok(name)
    }

    /// `Anonymous`.
    pub fn anonymous(&self) -> bool {
        self.anonymous
    }

    /// `SignHost` of the config.
    pub fn sign_host(&self) -> bool {
        self.sign_host
    }

    /// `SignParams`.
    pub fn sign_params(&self) -> bool {
        self.sign_params
    }

    /// `f` of the `uri(bucket, None, endpoint)` of a bucket given as a `str` (on the CI
    /// endpoint when `ci`) and its hostname, computed once for the last bucket asked: this
    /// thread's when it is of this config's cache and this bucket (no lock, no count), else
    /// the cache's, under its lock (then kept for this thread: counts, never a copy, so a
    /// config made for one call allocates nothing more).
    pub(crate) fn with_prefix<R>(
        &self,
        bucket: &str,
        ci: bool,
        mut f: impl FnMut(&Prefix) -> R,
    ) -> Result<R, SdkError> {
        let mine = LAST_PREFIX.with_borrow(|last| match last {
            Some((cell, p)) if Arc::ptr_eq(cell, &self.prefix) && p.is(bucket, ci) => Some(f(p)),
            _ => None,
        });
        if let Some(r) = mine {
            return Ok(r);
        }
        let p = {
            let mut last = self.prefix.lock().unwrap_or_else(PoisonError::into_inner);
            match last.as_ref().filter(|p| p.is(bucket, ci)) {
                Some(p) => Arc::clone(p),
                None => {
                    let endpoint = if ci { self.endpoint_ci() } else { None };
                    let url = self.uri(Some(Bucket::Name(bucket)), None, endpoint, None)?;
                    // the path that follows the prefix's `/` cannot change the netloc
                    let hostname = python::url_hostname(&url).map(|h| h.map(Cow::into_owned));
                    let bucket = bucket.to_owned();
                    Arc::clone(last.insert(Arc::new(Prefix {
                        bucket,
                        ci,
                        url,
                        hostname,
                    })))
                }
            }
        };
        let r = f(&p);
        LAST_PREFIX.set(Some((Arc::clone(&self.prefix), p)));
        Ok(r)
    }

    /// The signing keys derived for this config (and its clones).
    pub(crate) fn key_cache(&self) -> &KeyCache {
        &self.cache
    }

    /// `CosS3Auth.__init__`'s choice of id and key: the id, and the key's bytes (or the
    /// `TypeError` that `hmac.new` raises for a key of another type), borrowed. (The errors
    /// are boxed: the result a call moves stays small.)
    #[allow(clippy::type_complexity)]
    pub(crate) fn auth_secrets(
        &self,
    ) -> Result<(&str, Option<Result<&[u8], Box<SdkError>>>), Box<SdkError>> {
        let key = match &self.secret_key {
            Some(k) if !k.is_empty() => Some(Ok(k.as_bytes())),
            _ => (self.inst_key().map_err(Box::new)?).map(|k| k.key_bytes().map_err(Box::new)),
        };
        if let (Some(id), true) = (&self.secret_id, truthy(&self.secret_id)) {
            return Ok((id, key));
        }
        let id = match &self.cred_inst {
            CredInst::Unset => return Err(Box::new(no_cred_inst())),
            CredInst::Absent => python::STR_NONE,
            CredInst::Instance(v) => v.as_ref().map_or(python::STR_NONE, |(id, _)| id),
        };
        Ok((id, key))
    }

    /// Whether `id`, the id [`auth_secrets`](Self::auth_secrets) gives, holds `&` or `=`.
    pub(crate) fn auth_id_splits(&self, id: &str) -> bool {
        match truthy(&self.secret_id) {
            true => self.secret_id_splits,
            false => splits(id),
        }
    }

    fn inst_key(&self) -> Result<Option<&SdkKey>, SdkError> {
        match &self.cred_inst {
            CredInst::Unset => Err(no_cred_inst()),
            CredInst::Absent => Ok(None),
            CredInst::Instance(v) => Ok(v.as_ref().map(|(_, k)| k)),
        }
    }
}

fn no_cred_inst() -> SdkError {
    SdkError::new(
        ErrorKind::AttributeError,
        "'CosConfig' object has no attribute '_credential_inst'",
    )
}

/// qcloud_cos matches regions and buckets with `re.match(r'^...$')`, whose `$` also accepts a
/// trailing newline (which `urlsplit` then drops from the host): refused here.
fn refuse_newline(
    field: &'static str,
    value: &str,
    extra: &[u8],
    single: bool,
) -> Result<(), SdkError> {
    if python::dollar_accepts_only_with_newline(value, extra, single) {
        return Err(ConfigError::UnsafeHost {
            field,
            reason: "it ends with a newline",
        }
        .into());
    }
    Ok(())
}

/// `scheme://host/` of a bucket's URLs, and the hostname `urlsplit` finds there.
#[derive(Debug)]
pub(crate) struct Prefix {
    bucket: String,
    ci: bool,
    pub(crate) url: String,
    pub(crate) hostname: Result<Option<String>, String>,
}

impl Prefix {
    /// Whether this is the prefix of `bucket` (on the CI endpoint when `ci`).
    fn is(&self, bucket: &str, ci: bool) -> bool {
        self.bucket == bucket && self.ci == ci
    }
}

/// A config's [`Prefix`] cache (shared by its clones; `set_ip_port` starts a new one).
type PrefixCache = Arc<Mutex<Option<Arc<Prefix>>>>;

thread_local! {
    /// The prefix this thread used last and the cache it came from (kept alive by this, so
    /// that no other cache can take its address): used again without the cache's lock.
    static LAST_PREFIX: RefCell<Option<(PrefixCache, Arc<Prefix>)>> = const { RefCell::new(None) };
}

/// A `Bucket` argument of the SDK's calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket<'a> {
    /// A `str` (the binding passes a lone surrogate as U+FFFD: the SDK's pattern refuses both).
    Name(&'a str),
    /// A `str` subclass whose `"{}".format` (the second text) differs from its text (a
    /// `(str, Enum)` member): the SDK checks the text and formats the object into the host
    /// (`"{bucket}.{endpoint}"`) unless it appends the appid to it.
    Formatted(&'a str, &'a str),
    /// A value of another type (`bytes`, `int`...): `format_bucket` raises
    /// "bucket is not string".
    NotString,
}

/// `format_bucket`, with the newline refusal.
pub(crate) fn format_bucket(bucket: Bucket<'_>, appid: Option<&str>) -> Result<String, SdkError> {
    let (bucket, format) = match bucket {
        Bucket::Name(b) => (b, None),
        Bucket::Formatted(b, f) => (b, Some(f)),
        Bucket::NotString => return Err(SdkError::client("bucket is not string")),
    };
    refuse_newline("bucket", bucket, b"-", true)?;
    let name = config::format_bucket(bucket, appid)?;
    match format {
        // `bucket + u"-" + appid` is text; the bucket itself (no appid, or one it ends with)
        // is formatted
        Some(f) if name == bucket => {
            config::check_host_part("bucket", f, false)?;
            Ok(f.to_owned())
        }
        _ => Ok(name),
    }
}

/// A scheme the SDK formats into its URLs from a `str` subclass it compared equal to `http`
/// or `https` (`Acl.HTTP`): kept when `urlsplit` reads it as the scheme, so that the host
/// stays the one that follows it.
fn check_scheme(scheme: &str) -> Result<(), SdkError> {
    let mut bytes = scheme.bytes();
    let first = bytes.next().is_some_and(|b| b.is_ascii_alphabetic());
    if first && bytes.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) {
        return Ok(());
    }
    Err(ConfigError::UnsafeHost {
        field: "scheme",
        reason: "its format is not a URL scheme",
    }
    .into())
}

/// `format_endpoint`, with the newline refusal of a region it uses. `region` is the region's
/// text and, for a `str` subclass, its `"{}".format`, which the SDK writes into the endpoint
/// when it uses the region as it is (`format_region` returns it unchanged).
fn format_endpoint(
    endpoint: Option<&str>,
    (region, format): (Option<&str>, Option<&str>),
    module: &str,
    enable_old_domain: bool,
    enable_internal_domain: bool,
) -> Result<Option<String>, SdkError> {
    let from_region = endpoint.is_none_or(str::is_empty);
    if from_region && let Some(r) = region {
        refuse_newline("region", r, b".-", false)?;
    }
    let formatted = config::format_endpoint(
        endpoint,
        region,
        module,
        enable_old_domain,
        enable_internal_domain,
    )?;
    if let (true, Some(r), Some(f)) = (from_region && formatted.is_some(), region, format)
        && config::format_region(r, module, enable_old_domain, enable_internal_domain)? == r
    {
        let suffix = if enable_old_domain {
            "myqcloud.com"
        } else {
            "tencentcos.cn"
        };
        return Ok(Some(format!("{f}.{suffix}")));
    }
    Ok(formatted)
}
