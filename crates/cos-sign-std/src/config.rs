//! COS endpoints, hosts and object URLs: the rules of qcloud_cos 1.9.44 (`CosConfig.__init__`,
//! `uri()`, `get_host()`, `format_region`, `format_endpoint`, `format_bucket`) in Rust terms,
//! plus the host checks listed in the [crate documentation](crate#refusals).
//!
//! ```
//! use cos_sign_std::config::Endpoint;
//! let ep = Endpoint::from_region("ap-guangzhou")?;
//! assert_eq!(ep.host(Some("examplebucket-1250000000"))?, "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com");
//! assert_eq!(
//!     ep.object_url(Some("examplebucket-1250000000"), "a/./b c")?,
//!     "https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/a/.%2Fb%20c"
//! );
//! # Ok::<(), cos_sign_std::config::ConfigError>(())
//! ```

use std::borrow::Cow;
use std::fmt;
use std::net::Ipv6Addr;

use crate::percent;

/// Why an endpoint, bucket, key or URL was refused. The messages of the refusals qcloud_cos
/// makes are its own, word for word.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A refusal qcloud_cos makes too (`CosClientError` there); the SDK's message.
    Sdk(&'static str),
    /// A refusal this crate adds: a value that would change or break the host. Names the
    /// field and the reason.
    UnsafeHost {
        /// Which setting (`region`, `bucket`, `appid`, `endpoint`, `domain`, `ip`, `port`).
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Sdk(m) => f.write_str(m),
            ConfigError::UnsafeHost { field, reason } => {
                write!(
                    f,
                    "{field} refused: {reason} (it would change or break the request host)"
                )
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// Region aliases of the v4 names.
const ALIASES: [(&str, &str); 9] = [
    ("cossh", "ap-shanghai"),
    ("cosgz", "ap-guangzhou"),
    ("cosbj", "ap-beijing"),
    ("costj", "ap-beijing-1"),
    ("coscd", "ap-chengdu"),
    ("cossgp", "ap-singapore"),
    ("coshk", "ap-hongkong"),
    ("cosca", "na-toronto"),
    ("cosger", "eu-frankfurt"),
];

/// Legacy regions that take no `cos.` prefix.
const LEGACY: [&str; 6] = [
    "cn-north",
    "cn-south",
    "cn-east",
    "cn-south-2",
    "cn-southwest",
    "sg",
];

/// `format_region(region, module, EnableOldDomain, EnableInternalDomain)`.
///
/// # Errors
/// The SDK's: empty, or not matching `^[A-Za-z0-9][A-Za-z0-9.\-]*[A-Za-z0-9]$` (the whole
/// string: a trailing newline does not match).
pub fn format_region(
    region: &str,
    module: &str,
    enable_old_domain: bool,
    enable_internal_domain: bool,
) -> Result<String, ConfigError> {
    let (module, name) = region_parts(region, module, enable_old_domain, enable_internal_domain)?;
    Ok(format!("{module}{name}"))
}

/// [`format_region`] as its two pieces (module prefix, region name), so that callers build
/// the host in one allocation.
fn region_parts<'a>(
    region: &'a str,
    module: &'a str,
    enable_old_domain: bool,
    enable_internal_domain: bool,
) -> Result<(&'a str, &'a str), ConfigError> {
    if region.is_empty() {
        return Err(ConfigError::Sdk("region is required not empty!"));
    }
    if !name_match(region, b".-", false) {
        return Err(ConfigError::Sdk(
            "region format is illegal, only digit, letter and - is allowed!",
        ));
    }
    if region.contains(module) || LEGACY.contains(&region) {
        return Ok(("", region));
    }
    let module = if !enable_old_domain && enable_internal_domain && module == "cos." {
        "cos-internal."
    } else {
        module
    };
    let name = ALIASES
        .iter()
        .find(|(a, _)| *a == region)
        .map_or(region, |(_, r)| r);
    Ok((module, name))
}

/// `format_endpoint(endpoint, region, module, EnableOldDomain, EnableInternalDomain)`:
/// `Ok(None)` where the SDK returns `None`. Empty strings count as missing (Python
/// truthiness).
///
/// # Errors
/// Neither endpoint nor region for module `cos.`; the region errors of [`format_region`].
pub fn format_endpoint(
    endpoint: Option<&str>,
    region: Option<&str>,
    module: &str,
    enable_old_domain: bool,
    enable_internal_domain: bool,
) -> Result<Option<String>, ConfigError> {
    let endpoint = endpoint.filter(|e| !e.is_empty());
    let region = region.filter(|r| !r.is_empty());
    if endpoint.is_none() && region.is_none() && module == "cos." {
        return Err(ConfigError::Sdk(
            "Region or Endpoint is required not empty!",
        ));
    }
    if let Some(e) = endpoint {
        return Ok(Some(e.to_owned()));
    }
    match region {
        Some(r) => {
            let (module, name) =
                region_parts(r, module, enable_old_domain, enable_internal_domain)?;
            let suffix = if enable_old_domain {
                "myqcloud.com"
            } else {
                "tencentcos.cn"
            };
            Ok(Some(format!("{module}{name}.{suffix}")))
        }
        None => Ok(None),
    }
}

/// `format_bucket(bucket, appid)`: appends `-<appid>` unless the bucket already ends with it.
///
/// # Errors
/// The SDK's: empty, or not matching `^[A-Za-z0-9][A-Za-z0-9\-]*[A-Za-z0-9]$` /
/// `^[A-Za-z0-9]$` (the whole string); this crate's: an appid with a character that would
/// change the host.
pub fn format_bucket(bucket: &str, appid: Option<&str>) -> Result<String, ConfigError> {
    if bucket.is_empty() {
        return Err(ConfigError::Sdk("bucket is required not empty"));
    }
    if !name_match(bucket, b"-", true) {
        return Err(ConfigError::Sdk(
            "bucket format is illegal, only digit, letter and - is allowed!",
        ));
    }
    match appid.filter(|a| !a.is_empty()) {
        None => Ok(bucket.to_owned()),
        Some(appid) => {
            check_host_part("appid", appid, true)?;
            if bucket.len() > appid.len()
                && bucket.ends_with(appid)
                && bucket.as_bytes()[bucket.len() - appid.len() - 1] == b'-'
            {
                Ok(bucket.to_owned())
            } else {
                Ok(format!("{bucket}-{appid}"))
            }
        }
    }
}

/// Whether `s` matches `[A-Za-z0-9][A-Za-z0-9<extra>]*[A-Za-z0-9]` as a whole (or is one
/// alphanumeric character when `single` is set).
pub fn name_match(s: &str, extra: &[u8], single: bool) -> bool {
    let edge = |c: u8| c.is_ascii_alphanumeric();
    match s.as_bytes() {
        [] => false,
        [c] => single && edge(*c),
        [first, mid @ .., last] => {
            edge(*first) && edge(*last) && mid.iter().all(|&c| edge(c) || extra.contains(&c))
        }
    }
}

/// Characters outside ASCII whose NFKC form holds one of `/?#@:` (Unicode 14.0.0): a host
/// holding one would be read as another host once normalized (IDNA, `urlsplit`). Generated with
/// Python 3.11's `[c for c in range(0x80, 0x110000) if any(x in normalize('NFKC', chr(c)) for
/// x in '/?#@:')]`.
pub const NFKC_DELIMITERS: [char; 19] = [
    '\u{2047}', '\u{2048}', '\u{2049}', '\u{2100}', '\u{2101}', '\u{2105}', '\u{2106}', '\u{2A74}',
    '\u{FE13}', '\u{FE16}', '\u{FE55}', '\u{FE56}', '\u{FE5F}', '\u{FE6B}', '\u{FF03}', '\u{FF0F}',
    '\u{FF1A}', '\u{FF1F}', '\u{FF20}',
];

/// Checks a value that becomes (part of) the URL's host: refuses what would move the host
/// elsewhere (`/ ? # @ \\`, whitespace, control characters, characters whose NFKC form is one
/// of `/?#@:`) and an empty value. With `strict` (an appid, which lands inside the bucket
/// label), `: [ ] %` are refused too.
pub fn check_host_part(field: &'static str, value: &str, strict: bool) -> Result<(), ConfigError> {
    if value.is_empty() {
        return Err(ConfigError::UnsafeHost {
            field,
            reason: "it is empty",
        });
    }
    check_host_chars(field, value, strict)
}

fn check_host_chars(field: &'static str, host: &str, strict: bool) -> Result<(), ConfigError> {
    let refuse = |reason| Err(ConfigError::UnsafeHost { field, reason });
    if host.is_ascii() {
        for &b in host.as_bytes() {
            match b {
                b'/' | b'?' | b'#' | b'@' | b'\\' => {
                    return refuse("it contains one of / ? # @ \\");
                }
                b':' | b'[' | b']' | b'%' if strict => return refuse("it contains one of : [ ] %"),
                b if b.is_ascii_control() => return refuse("it contains a control character"),
                b' ' => return refuse("it contains whitespace"),
                _ => {}
            }
        }
        return Ok(());
    }
    for c in host.chars() {
        match c {
            '/' | '?' | '#' | '@' | '\\' => {
                return refuse("it contains one of / ? # @ \\");
            }
            ':' | '[' | ']' | '%' if strict => return refuse("it contains one of : [ ] %"),
            c if c.is_control() => return refuse("it contains a control character"),
            c if c.is_whitespace() => return refuse("it contains whitespace"),
            c if NFKC_DELIMITERS.contains(&c) => {
                return refuse("it contains a character that NFKC-normalizes to a URL delimiter");
            }
            _ => {}
        }
    }
    Ok(())
}

/// For the Rust API: the authority must also parse as `host[:port]` or `[IPv6][:port]`, the
/// port being 1 to 5 digits.
fn check_authority(field: &'static str, value: &str) -> Result<(), ConfigError> {
    check_host_part(field, value, false)?;
    let refuse = |reason| Err(ConfigError::UnsafeHost { field, reason });
    let port = if let Some(rest) = value.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else {
            return refuse("it is not a valid URL host");
        };
        // an IPv6 address, with an optional non-empty zone (`fe80::1%eth0`)
        let addr = match inside.split_once('%') {
            Some((a, zone)) if !zone.is_empty() => a,
            Some(_) => return refuse("it is not a valid URL host"),
            None => inside,
        };
        if addr.parse::<Ipv6Addr>().is_err() {
            return refuse("it is not a valid URL host");
        }
        match after.strip_prefix(':') {
            Some(port) => Some(port),
            None if after.is_empty() => None,
            None => return refuse("it is not a valid URL host"),
        }
    } else if value.contains(['[', ']']) {
        return refuse("it is not a valid URL host");
    } else {
        value.split_once(':').map(|(_, p)| p)
    };
    match port {
        Some(p) if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) => {
            refuse("a ':' not followed by a port number")
        }
        _ => Ok(()),
    }
}

/// Checks an `IP` setting: like a host, but `:`, `[` and `]` are allowed (IPv6 forms).
pub fn check_ip(ip: &str) -> Result<(), ConfigError> {
    check_host_part("ip", ip, false)
}

/// Checks a `Port` setting given as text: ASCII digits only.
pub fn check_port(port: &str) -> Result<(), ConfigError> {
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ConfigError::UnsafeHost {
            field: "port",
            reason: "it is not a decimal number",
        });
    }
    Ok(())
}

/// The key as it goes into the URL: one leading `/` stripped, `quote(key, '/-_.~')`, then
/// every `./` replaced by `.%2F`.
pub fn url_path(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 8);
    url_path_into(&mut out, key);
    out
}

/// [`url_path`] appended to `out`.
pub fn url_path_into(out: &mut String, key: &str) {
    percent::encode_url_path_into(out, key.strip_prefix('/').unwrap_or(key));
}

/// The decoded path that is signed: `/` + key unless the key starts with `/`; `/` for no key.
pub fn signing_path(key: Option<&str>) -> String {
    signing_path_in::<0>(key, &mut heapless::String::new()).into_owned()
}

/// [`signing_path`] written into `buf` when it fits there (no allocation), else allocated.
pub fn signing_path_in<'a, const N: usize>(
    key: Option<&'a str>,
    buf: &'a mut heapless::String<N>,
) -> Cow<'a, str> {
    match key {
        Some(k) if !k.is_empty() && !k.starts_with('/') => {
            buf.clear();
            if buf.push('/').is_ok() && buf.push_str(k).is_ok() {
                return Cow::Borrowed(buf.as_str());
            }
            let mut path = String::with_capacity(k.len() + 1);
            path.push('/');
            path.push_str(k);
            Cow::Owned(path)
        }
        Some(k) if !k.is_empty() => Cow::Borrowed(k),
        _ => Cow::Borrowed("/"),
    }
}

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scheme {
    /// `http`.
    Http,
    /// `https` (the default).
    #[default]
    Https,
}

impl Scheme {
    /// Parses exactly `http` or `https`, as the SDK does (`HTTPS` is refused).
    ///
    /// # Errors
    /// Anything else: the SDK's `Scheme can be only set to http/https`.
    pub fn parse(s: &str) -> Result<Self, ConfigError> {
        match s {
            "http" => Ok(Scheme::Http),
            "https" => Ok(Scheme::Https),
            _ => Err(ConfigError::Sdk("Scheme can be only set to http/https")),
        }
    }

    /// `"http"` or `"https"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where requests go, validated: the endpoint (`cos.<region>.myqcloud.com` and friends), an
/// optional custom domain, an optional `IP`/`Port`, the appid and the scheme.
///
/// Build it with [`Endpoint::from_region`] or [`Endpoint::builder`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    scheme: Scheme,
    endpoint: String,
    endpoint_ci: Option<String>,
    domain: Option<String>,
    ip: Option<String>,
    port: Option<u16>,
    appid: Option<String>,
}

/// Builder of an [`Endpoint`]; the defaults are the SDK's (`https`, `EnableOldDomain=True`,
/// `EnableInternalDomain=True`).
///
/// ```
/// use cos_sign_std::config::{ConfigError, Endpoint, Scheme};
/// let ep = Endpoint::builder()
///     .region("cosgz")
///     .appid("1250000000")
///     .scheme(Scheme::Http)
///     .enable_old_domain(false)
///     .build()?;
/// assert_eq!(ep.host(Some("b"))?, "b-1250000000.cos-internal.ap-guangzhou.tencentcos.cn");
/// assert_eq!(ep.object_url(Some("b"), "k")?, "http://b-1250000000.cos-internal.ap-guangzhou.tencentcos.cn/k");
/// // a value that would move the request to another host is refused
/// assert_eq!(
///     Endpoint::builder().region("ap-beijing").appid("1@evil.com").build(),
///     Err(ConfigError::UnsafeHost { field: "appid", reason: "it contains one of / ? # @ \\" })
/// );
/// # Ok::<(), ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct EndpointBuilder {
    region: Option<String>,
    endpoint: Option<String>,
    endpoint_ci: Option<String>,
    domain: Option<String>,
    ip: Option<String>,
    port: Option<u16>,
    appid: Option<String>,
    scheme: Scheme,
    enable_old_domain: bool,
    enable_internal_domain: bool,
}

impl EndpointBuilder {
    /// The region (`ap-guangzhou`, an alias such as `cosgz`, a legacy `cn-south`...).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }
    /// A custom endpoint, used instead of the one derived from the region.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }
    /// A custom CI endpoint (`EndpointCi`).
    pub fn endpoint_ci(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint_ci = Some(endpoint.into());
        self
    }
    /// A custom domain replacing the whole `<bucket>.<endpoint>` host.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }
    /// Send requests to this IP (and port) instead of the host (an IPv6 address is put in
    /// brackets in URLs). [`Endpoint::host`] stays the bucket's host (the `Host` header of
    /// normal requests); URLs, and so pre-signed URLs and the host they sign, carry the IP.
    pub fn ip(mut self, ip: impl Into<String>, port: Option<u16>) -> Self {
        self.ip = Some(ip.into());
        self.port = port;
        self
    }
    /// The appid appended to bucket names that lack it.
    pub fn appid(mut self, appid: impl Into<String>) -> Self {
        self.appid = Some(appid.into());
        self
    }
    /// `http` or `https`.
    pub fn scheme(mut self, scheme: Scheme) -> Self {
        self.scheme = scheme;
        self
    }
    /// `EnableOldDomain` (default `true`: `.myqcloud.com`; `false`: `.tencentcos.cn`).
    pub fn enable_old_domain(mut self, on: bool) -> Self {
        self.enable_old_domain = on;
        self
    }
    /// `EnableInternalDomain` (default `true`; only effective with `enable_old_domain(false)`:
    /// `cos-internal.<region>`).
    pub fn enable_internal_domain(mut self, on: bool) -> Self {
        self.enable_internal_domain = on;
        self
    }

    /// Validates and resolves.
    ///
    /// # Errors
    /// The SDK's refusals and this crate's host checks.
    pub fn build(self) -> Result<Endpoint, ConfigError> {
        if let Some(d) = &self.domain {
            check_authority("domain", d)?;
        }
        if let Some(e) = self.endpoint.as_deref().filter(|e| !e.is_empty()) {
            check_authority("endpoint", e)?;
        }
        if let Some(e) = self.endpoint_ci.as_deref().filter(|e| !e.is_empty()) {
            check_authority("endpoint_ci", e)?;
        }
        if let Some(ip) = &self.ip {
            check_ip(ip)?;
            let bracketed = if ip.contains(':') && !ip.starts_with('[') {
                format!("[{ip}]")
            } else {
                ip.clone()
            };
            check_authority("ip", &bracketed)?;
        }
        if let Some(a) = self.appid.as_deref().filter(|a| !a.is_empty()) {
            check_host_part("appid", a, true)?;
        }
        let endpoint = format_endpoint(
            self.endpoint.as_deref(),
            self.region.as_deref(),
            "cos.",
            self.enable_old_domain,
            self.enable_internal_domain,
        )?
        .unwrap_or_default();
        let endpoint_ci = format_endpoint(
            self.endpoint_ci.as_deref(),
            self.region.as_deref(),
            "ci.",
            true,
            false,
        )?;
        Ok(Endpoint {
            scheme: self.scheme,
            endpoint,
            endpoint_ci,
            domain: self.domain,
            ip: self.ip,
            port: self.port,
            appid: self.appid.filter(|a| !a.is_empty()),
        })
    }
}

impl Endpoint {
    /// A builder with the SDK's defaults.
    pub fn builder() -> EndpointBuilder {
        EndpointBuilder {
            region: None,
            endpoint: None,
            endpoint_ci: None,
            domain: None,
            ip: None,
            port: None,
            appid: None,
            scheme: Scheme::Https,
            enable_old_domain: true,
            enable_internal_domain: true,
        }
    }

    /// `https://<bucket>.cos.<region>.myqcloud.com` style endpoint of a region.
    ///
    /// # Errors
    /// An invalid region.
    pub fn from_region(region: &str) -> Result<Self, ConfigError> {
        Self::builder().region(region).build()
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The resolved endpoint (`cos.ap-guangzhou.myqcloud.com`).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The resolved CI endpoint (`ci.ap-guangzhou.myqcloud.com`), if a region or `EndpointCi`
    /// was given.
    pub fn endpoint_ci(&self) -> Option<&str> {
        self.endpoint_ci.as_deref()
    }

    /// The host of a bucket as COS names it: the custom domain if set, else
    /// `<bucket>[-appid].<endpoint>` (or the endpoint alone without a bucket). This is the
    /// `Host` header of normal requests, also in IP mode.
    ///
    /// # Errors
    /// An invalid bucket.
    pub fn host(&self, bucket: Option<&str>) -> Result<String, ConfigError> {
        self.host_with(bucket, false)
    }

    fn host_with(&self, bucket: Option<&str>, ci: bool) -> Result<String, ConfigError> {
        if let Some(d) = &self.domain {
            return Ok(d.clone());
        }
        let endpoint = match (ci, &self.endpoint_ci) {
            (true, Some(ci)) => ci.as_str(),
            _ => self.endpoint.as_str(),
        };
        match bucket {
            Some(b) => Ok(format!(
                "{}.{endpoint}",
                format_bucket(b, self.appid.as_deref())?
            )),
            None => Ok(endpoint.to_owned()),
        }
    }

    /// The authority the URL carries: `IP[:Port]` in IP mode, else [`host`](Endpoint::host).
    ///
    /// # Errors
    /// An invalid bucket.
    pub fn url_authority(&self, bucket: Option<&str>) -> Result<String, ConfigError> {
        self.url_authority_with(bucket, false)
    }

    fn url_authority_with(&self, bucket: Option<&str>, ci: bool) -> Result<String, ConfigError> {
        let host = self.host_with(bucket, ci)?;
        let ip = self.ip.as_ref().map(|ip| {
            if ip.contains(':') && !ip.starts_with('[') {
                format!("[{ip}]")
            } else {
                ip.clone()
            }
        });
        Ok(match (ip, self.port) {
            (Some(ip), Some(port)) => format!("{ip}:{port}"),
            (Some(ip), None) => ip,
            _ => host,
        })
    }

    /// The object URL, as `get_object_url` builds it: `scheme://authority/<encoded key>`.
    ///
    /// # Errors
    /// An invalid bucket or an empty key.
    pub fn object_url(&self, bucket: Option<&str>, key: &str) -> Result<String, ConfigError> {
        self.object_url_with(bucket, key, false)
    }

    /// The object URL on the CI endpoint (`UseCiEndPoint=True`).
    ///
    /// # Errors
    /// An invalid bucket or an empty key.
    pub fn ci_object_url(&self, bucket: Option<&str>, key: &str) -> Result<String, ConfigError> {
        self.object_url_with(bucket, key, true)
    }

    fn object_url_with(
        &self,
        bucket: Option<&str>,
        key: &str,
        ci: bool,
    ) -> Result<String, ConfigError> {
        if key.is_empty() {
            return Err(ConfigError::Sdk("Key is required not empty"));
        }
        let authority = self.url_authority_with(bucket, ci)?;
        let mut url = format!("{}://{authority}/", self.scheme);
        url_path_into(&mut url, key);
        Ok(url)
    }

    /// The host that is signed (when no `Host` header is given): the host of the URL's
    /// authority (the IP in IP mode), without port or brackets, in ASCII lowercase.
    ///
    /// ```
    /// use cos_sign_std::config::Endpoint;
    /// let ep = Endpoint::builder().region("ap-beijing").ip("::1", Some(8080)).build()?;
    /// assert_eq!(ep.signed_host(Some("b-125"), false)?, "::1");
    /// let ep = Endpoint::builder().region("ap-beijing").domain("Files.Example.COM:8443").build()?;
    /// assert_eq!(ep.signed_host(Some("b-125"), false)?, "files.example.com");
    /// # Ok::<(), cos_sign_std::config::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// An invalid bucket.
    pub fn signed_host(&self, bucket: Option<&str>, ci: bool) -> Result<String, ConfigError> {
        let authority = self.url_authority_with(bucket, ci)?;
        let host = match authority.strip_prefix('[') {
            Some(rest) => rest.split_once(']').map_or(rest, |(h, _)| h),
            None => authority
                .split_once(':')
                .map_or(authority.as_str(), |(h, _)| h),
        };
        Ok(host.to_ascii_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        let f = |r| format_region(r, "cos.", true, true);
        assert_eq!(f("cosgz").unwrap(), "cos.ap-guangzhou");
        assert_eq!(f("cn-south").unwrap(), "cn-south");
        assert_eq!(f("cos.ap-beijing").unwrap(), "cos.ap-beijing");
        assert_eq!(
            format_region("ap-beijing", "cos.", false, true).unwrap(),
            "cos-internal.ap-beijing"
        );
        assert_eq!(
            f("ap-beijing\n"),
            Err(ConfigError::Sdk(
                "region format is illegal, only digit, letter and - is allowed!"
            ))
        );
        assert!(matches!(f("evil.com/"), Err(ConfigError::Sdk(_))));
        assert!(matches!(f("a"), Err(ConfigError::Sdk(_))));
    }

    #[test]
    fn buckets() {
        assert_eq!(format_bucket("b", Some("125")).unwrap(), "b-125");
        assert_eq!(format_bucket("b-125", Some("125")).unwrap(), "b-125");
        assert_eq!(format_bucket("b", None).unwrap(), "b");
        assert!(matches!(
            format_bucket("a/b", None),
            Err(ConfigError::Sdk(_))
        ));
        let illegal = Err(ConfigError::Sdk(
            "bucket format is illegal, only digit, letter and - is allowed!",
        ));
        assert_eq!(format_bucket("ab\n", None), illegal);
        assert_eq!(format_bucket("a\n", None), illegal);
        assert!(matches!(
            format_bucket("ab", Some("1@evil.com")),
            Err(ConfigError::UnsafeHost { .. })
        ));
        assert!(matches!(
            format_bucket("ab", Some("1:80")),
            Err(ConfigError::UnsafeHost { .. })
        ));
    }

    #[test]
    fn paths() {
        assert_eq!(url_path("/../a b./c"), "..%2Fa%20b.%2Fc");
        // quoting in one pass equals quoting then replacing (across the encoder's chunks too)
        let long: Vec<String> = (60..70)
            .flat_map(|n| {
                [
                    format!("é{}./x./", "a".repeat(n)),
                    format!("{}./é", ".".repeat(n)),
                ]
            })
            .collect();
        let short = [
            "././", ".//", "a./", "./", "..//.", "é./ü .", "", "/", "//./x", "./é./",
        ];
        for key in short.into_iter().chain(long.iter().map(String::as_str)) {
            let k = key.strip_prefix('/').unwrap_or(key);
            let whole = percent::encode_path(k).replace("./", ".%2F");
            assert_eq!(url_path(key), whole, "{key:?}");
            let mut appended = String::from("x");
            url_path_into(&mut appended, key);
            assert_eq!(appended, format!("x{whole}"));
        }
        assert_eq!(signing_path(Some("a")), "/a");
        assert_eq!(signing_path(Some("/a")), "/a");
        assert_eq!(signing_path(None), "/");
        assert_eq!(signing_path(Some("")), "/");
        assert_eq!(signing_path(Some("页/b")), "/页/b");
        fn check<const N: usize>(key: Option<&str>) {
            let mut buf = heapless::String::new();
            let in_buf = signing_path_in::<N>(key, &mut buf);
            assert_eq!(in_buf, signing_path(key));
            let fits = key.is_none_or(|k| k.starts_with('/') || k.len() < N);
            assert_eq!(matches!(in_buf, Cow::Borrowed(_)), fits, "{key:?} {N}");
        }
        for key in [Some("a"), Some("/a"), None, Some("页/b")] {
            check::<0>(key);
            check::<1>(key);
            check::<2>(key);
            check::<8>(key);
        }
    }
}
