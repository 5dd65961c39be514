//! Credentials from the network: [`CvmRoleProvider`], the temporary key of the CAM role bound
//! to a Tencent Cloud CVM instance, from its metadata service; [`StsProvider`], a temporary
//! key from STS (`GetFederationToken` or `AssumeRole`, TencentCloud API 3.0 signed with
//! [`tc3_authorization`]) for a permanent key.
//!
//! # Sync trait, async fetch
//!
//! [`CredentialsProvider`] is synchronous (signing is), while fetching is network I/O. The
//! provider therefore keeps a cached key and:
//!
//! * [`CvmRoleProvider::refresh`] is `async`: call it at start-up and from a background task
//!   in async code, so that signing never waits on the network;
//! * the sync [`credentials`](CredentialsProvider::credentials) serves the cached key while it
//!   is more than the margin (default 5 min) away from expiry; otherwise it fetches **on a
//!   dedicated short-lived thread running its own single-threaded tokio runtime** and joins
//!   it (with the provider's timeout, default 5 s). That works from plain threads and from
//!   inside a tokio runtime alike (no nested `block_on`), at the cost of blocking the calling
//!   thread for the fetch; when the fetch fails the cached key is served while still valid.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cos_sign_std::credentials::{Credentials, CredentialsError, CredentialsProvider};

/// The metadata service's credentials folder.
pub const CVM_METADATA_BASE: &str =
    "http://metadata.tencentyun.com/latest/meta-data/cam/security-credentials/";

/// The temporary key of the instance's CAM role, from the CVM metadata service:
/// `GET <base>` names the role (when not given), `GET <base><role>` returns
/// `{"TmpSecretId", "TmpSecretKey", "Token", "ExpiredTime", "Code": "Success"}`.
pub struct CvmRoleProvider {
    base: String,
    role: Option<String>,
    margin: Duration,
    timeout: Duration,
    cached: Mutex<Option<Credentials>>,
}

impl fmt::Debug for CvmRoleProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CvmRoleProvider")
            .field("base", &self.base)
            .field("role", &self.role)
            .field("margin", &self.margin)
            .finish_non_exhaustive()
    }
}

impl Default for CvmRoleProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl CvmRoleProvider {
    /// The real metadata service; the role is discovered.
    pub fn new() -> Self {
        Self {
            base: CVM_METADATA_BASE.to_owned(),
            role: None,
            margin: Duration::from_secs(300),
            timeout: Duration::from_secs(5),
            cached: Mutex::new(None),
        }
    }

    /// Asks another base URL (a stand-in in tests); a `/` is appended when missing.
    pub fn with_base_url(mut self, base: impl Into<String>) -> Self {
        let mut b = base.into();
        if !b.ends_with('/') {
            b.push('/');
        }
        self.base = b;
        self
    }

    /// Uses this role instead of discovering it.
    pub fn with_role(mut self, role: impl Into<String>) -> Self {
        self.role = Some(role.into());
        self
    }

    /// Refreshes this long before expiry (default 5 min).
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Timeout of each metadata request (default 5 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn source(&self) -> String {
        format!("CVM metadata {}", self.base)
    }

    fn err(&self, detail: impl Into<String>) -> CredentialsError {
        CredentialsError::Io {
            source: self.source(),
            detail: detail.into(),
        }
    }

    /// Fetches a key from the service now (no cache involved).
    ///
    /// # Errors
    /// The service cannot be reached, answers an error, or its JSON lacks a field.
    pub async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .no_proxy()
            .build()
            .map_err(|e| self.err(e.to_string()))?;
        let get = |url: String| {
            let http = http.clone();
            async move {
                let resp = http
                    .get(url)
                    .send()
                    .await
                    .map_err(|e| self.err(e.without_url().to_string()))?;
                let status = resp.status();
                let text = resp
                    .text()
                    .await
                    .map_err(|e| self.err(e.without_url().to_string()))?;
                if !status.is_success() {
                    return Err(self.err(format!("HTTP status {status}")));
                }
                Ok(text)
            }
        };
        let role = match &self.role {
            Some(r) => r.clone(),
            None => {
                let text = get(self.base.clone()).await?;
                let role = text.lines().next().unwrap_or("").trim().to_owned();
                if role.is_empty() {
                    return Err(CredentialsError::NotFound {
                        source: self.source(),
                        detail: "no CAM role is bound to this instance".to_owned(),
                    });
                }
                role
            }
        };
        if role.contains(['/', '?', '#']) {
            return Err(self.err("the role name contains / ? or #"));
        }
        let text = get(format!("{}{}", self.base, role)).await?;
        parse_role_credentials(&text, &self.source())
    }

    /// Fetches a key and caches it for [`credentials`](CredentialsProvider::credentials).
    ///
    /// # Errors
    /// As [`fetch`](CvmRoleProvider::fetch).
    pub async fn refresh(&self) -> Result<Credentials, CredentialsError> {
        let c = self.fetch().await?;
        *self.lock() = Some(c.clone());
        Ok(c)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Credentials>> {
        self.cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs [`fetch`](CvmRoleProvider::fetch) on a dedicated thread with its own runtime.
    fn fetch_blocking(&self) -> Result<Credentials, CredentialsError> {
        on_own_thread(|| self.fetch(), |m| self.err(m))
    }
}

/// Runs the future `make` builds on a new thread with a single-threaded tokio runtime, and
/// waits for it (safe from inside a runtime: no nested `block_on`).
fn on_own_thread<'a, F, Fut>(
    make: F,
    err: impl Fn(String) -> CredentialsError + Sync,
) -> Result<Credentials, CredentialsError>
where
    F: FnOnce() -> Fut + Send + 'a,
    Fut: std::future::Future<Output = Result<Credentials, CredentialsError>>,
{
    std::thread::scope(|s| {
        s.spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| err(format!("cannot start a runtime: {e}")))?;
            rt.block_on(make())
        })
        .join()
        .unwrap_or_else(|_| Err(err("the fetch thread panicked".to_owned())))
    })
}

fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The cached key while it is more than `margin` from expiry; else `fetch()`, cached; when
/// that fails, the cached key while still valid.
fn cached_or_fetch(
    cache: &Mutex<Option<Credentials>>,
    margin: Duration,
    fetch: impl FnOnce() -> Result<Credentials, CredentialsError>,
) -> Result<Credentials, CredentialsError> {
    let lock = || {
        cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    let now = unix(SystemTime::now());
    let margin = i64::try_from(margin.as_secs()).unwrap_or(i64::MAX);
    if let Some(c) = lock().as_ref() {
        match c.expiry() {
            Some(exp) if now < unix(exp).saturating_sub(margin) => return Ok(c.clone()),
            None => return Ok(c.clone()),
            Some(_) => {}
        }
    }
    match fetch() {
        Ok(c) => {
            *lock() = Some(c.clone());
            Ok(c)
        }
        Err(e) => match lock().as_ref() {
            Some(c) if c.expiry().is_some_and(|exp| now < unix(exp)) => Ok(c.clone()),
            _ => Err(e),
        },
    }
}

impl CredentialsProvider for CvmRoleProvider {
    fn credentials(&self) -> Result<Credentials, CredentialsError> {
        cached_or_fetch(&self.cached, self.margin, || self.fetch_blocking())
    }
}

/// Parses the metadata service's (or STS's `Credentials`) JSON into temporary credentials.
///
/// # Errors
/// [`CredentialsError::Invalid`] naming the missing field (never a value).
pub fn parse_role_credentials(text: &str, source: &str) -> Result<Credentials, CredentialsError> {
    let invalid = |detail: String| CredentialsError::Invalid {
        source: source.to_owned(),
        detail,
    };
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| invalid(format!("not JSON ({})", e.classify_name())))?;
    if let Some(code) = v.get("Code").and_then(|c| c.as_str())
        && code != "Success"
    {
        return Err(invalid(format!("the service answered Code {code}")));
    }
    let field = |n: &str| {
        v.get(n)
            .and_then(|x| x.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| invalid(format!("no {n}")))
    };
    let id = field("TmpSecretId")?;
    let key = field("TmpSecretKey")?;
    let token = field("Token")?;
    let expired = v
        .get("ExpiredTime")
        .and_then(|x| {
            x.as_u64()
                .or_else(|| x.as_str().and_then(|s| s.parse().ok()))
        })
        .ok_or_else(|| invalid("no ExpiredTime".to_owned()))?;
    let c = Credentials::new(id, key)
        .with_token(token)
        .with_expiry(UNIX_EPOCH + Duration::from_secs(expired));
    c.validate(source)?;
    Ok(c)
}

trait Classify {
    fn classify_name(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "unexpected data",
            serde_json::error::Category::Eof => "truncated",
        }
    }
}

/// The STS endpoint.
pub const STS_ENDPOINT: &str = "https://sts.tencentcloudapi.com/";

/// The STS API version.
pub const STS_VERSION: &str = "2018-08-13";

/// Which STS call gives the temporary key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StsAction {
    /// `GetFederationToken`: a key for a federated user `name` limited by `policy` (JSON).
    FederationToken {
        /// `Name`.
        name: String,
        /// `Policy` (a CAM policy document, JSON text).
        policy: String,
    },
    /// `AssumeRole`: a key of the role `role_arn`.
    AssumeRole {
        /// `RoleArn` (`qcs::cam::uin/<uin>:roleName/<name>`).
        role_arn: String,
        /// `RoleSessionName`.
        session_name: String,
        /// `Policy`, an optional further restriction.
        policy: Option<String>,
    },
}

impl StsAction {
    fn name(&self) -> &'static str {
        match self {
            StsAction::FederationToken { .. } => "GetFederationToken",
            StsAction::AssumeRole { .. } => "AssumeRole",
        }
    }
}

/// A temporary key from STS for the key of `base` (usually a permanent key from the
/// environment or the profile file), refreshed before it expires. Same sync/async model as
/// [`CvmRoleProvider`] (see the module documentation).
pub struct StsProvider {
    base: Box<dyn CredentialsProvider>,
    action: StsAction,
    region: String,
    duration: Duration,
    endpoint: String,
    margin: Duration,
    timeout: Duration,
    cached: Mutex<Option<Credentials>>,
}

impl fmt::Debug for StsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StsProvider")
            .field("base", &self.base)
            .field("action", &self.action.name())
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl StsProvider {
    /// `action` with the key of `base`, region `ap-guangzhou`, 1800 s keys, the real endpoint.
    pub fn new(base: impl CredentialsProvider + 'static, action: StsAction) -> Self {
        Self {
            base: Box::new(base),
            action,
            region: "ap-guangzhou".to_owned(),
            duration: Duration::from_secs(1800),
            endpoint: STS_ENDPOINT.to_owned(),
            margin: Duration::from_secs(300),
            timeout: Duration::from_secs(10),
            cached: Mutex::new(None),
        }
    }

    /// The region sent as `X-TC-Region`.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// `DurationSeconds` of the key asked for.
    pub fn with_duration(mut self, d: Duration) -> Self {
        self.duration = d;
        self
    }

    /// Another endpoint URL (a stand-in in tests); the signed host is its authority.
    pub fn with_endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint = url.into();
        self
    }

    /// Refreshes this long before expiry (default 5 min).
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Timeout of each STS request (default 10 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn err(&self, detail: impl Into<String>) -> CredentialsError {
        CredentialsError::Io {
            source: format!("STS {} at {}", self.action.name(), self.endpoint),
            detail: detail.into(),
        }
    }

    /// Asks STS now (no cache involved).
    ///
    /// # Errors
    /// No base key, STS cannot be reached or answers an error, or its JSON lacks a field.
    pub async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let base = self.base.credentials()?;
        let url = reqwest::Url::parse(&self.endpoint).map_err(|e| self.err(e.to_string()))?;
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            (None, _) => return Err(self.err("the endpoint URL has no host")),
        };
        let secs = self.duration.as_secs();
        let body = match &self.action {
            StsAction::FederationToken { name, policy } => serde_json::json!({
                "Name": name, "Policy": policy, "DurationSeconds": secs,
            }),
            StsAction::AssumeRole {
                role_arn,
                session_name,
                policy,
            } => {
                let mut v = serde_json::json!({
                    "RoleArn": role_arn, "RoleSessionName": session_name, "DurationSeconds": secs,
                });
                if let Some(p) = policy {
                    v["Policy"] = p.clone().into();
                }
                v
            }
        };
        let payload = body.to_string();
        let timestamp = u64::try_from(unix(SystemTime::now())).unwrap_or(0);
        let auth = tc3_authorization(
            base.secret_id(),
            base.expose_secret_key(),
            "sts",
            &host,
            "application/json",
            payload.as_bytes(),
            timestamp,
        );
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .build()
            .map_err(|e| self.err(e.to_string()))?;
        let mut req = http
            .post(url)
            .header("Content-Type", "application/json")
            .header("X-TC-Action", self.action.name())
            .header("X-TC-Version", STS_VERSION)
            .header("X-TC-Timestamp", timestamp.to_string())
            .header("X-TC-Region", &self.region)
            .header("Authorization", auth);
        if let Some(t) = base.token() {
            req = req.header("X-TC-Token", t);
        }
        let resp = req
            .body(payload)
            .send()
            .await
            .map_err(|e| self.err(e.without_url().to_string()))?;
        let status = resp.status();
        let text = resp
            .text()
            .await
            .map_err(|e| self.err(e.without_url().to_string()))?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|_| self.err(format!("HTTP status {status}, not JSON")))?;
        let r = &v["Response"];
        if let Some(e) = r.get("Error") {
            return Err(self.err(format!(
                "{}: {} (request id {})",
                e["Code"].as_str().unwrap_or("?"),
                e["Message"].as_str().unwrap_or(""),
                r["RequestId"].as_str().unwrap_or("?")
            )));
        }
        let c = &r["Credentials"];
        let merged = serde_json::json!({
            "TmpSecretId": c["TmpSecretId"], "TmpSecretKey": c["TmpSecretKey"],
            "Token": c["Token"], "ExpiredTime": r["ExpiredTime"],
        });
        parse_role_credentials(
            &merged.to_string(),
            &format!("STS {} at {}", self.action.name(), self.endpoint),
        )
    }

    /// Asks STS and caches the key for [`credentials`](CredentialsProvider::credentials).
    ///
    /// # Errors
    /// As [`fetch`](StsProvider::fetch).
    pub async fn refresh(&self) -> Result<Credentials, CredentialsError> {
        let c = self.fetch().await?;
        *self
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(c.clone());
        Ok(c)
    }
}

impl CredentialsProvider for StsProvider {
    fn credentials(&self) -> Result<Credentials, CredentialsError> {
        cached_or_fetch(&self.cached, self.margin, || {
            on_own_thread(|| self.fetch(), |m| self.err(m))
        })
    }
}

/// The `Authorization` of a TencentCloud API 3.0 `POST /` request (TC3-HMAC-SHA256), signing
/// `content-type` and `host` as the official SDKs do:
/// `TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request, SignedHeaders=content-type;host, Signature=<hex>`.
pub fn tc3_authorization(
    secret_id: &str,
    secret_key: &str,
    service: &str,
    host: &str,
    content_type: &str,
    payload: &[u8],
    timestamp: u64,
) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::{Digest, Sha256};
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let mac = |key: &[u8], msg: &[u8]| {
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key");
        m.update(msg);
        m.finalize().into_bytes()
    };
    let date = utc_date(timestamp);
    let canonical = format!(
        "POST\n/\n\ncontent-type:{content_type}\nhost:{host}\n\ncontent-type;host\n{}",
        hex(&Sha256::digest(payload))
    );
    let scope = format!("{date}/{service}/tc3_request");
    let to_sign = format!(
        "TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let key = zeroize::Zeroizing::new(format!("TC3{secret_key}").into_bytes());
    let k_date = mac(&key, date.as_bytes());
    let k_service = mac(&k_date, service.as_bytes());
    let k_signing = mac(&k_service, b"tc3_request");
    let sig = hex(&mac(&k_signing, to_sign.as_bytes()));
    format!(
        "TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={sig}"
    )
}

/// `YYYY-MM-DD` (UTC) of unix seconds.
fn utc_date(t: u64) -> String {
    // Howard Hinnant's civil_from_days.
    let z = (t / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        let ok = r#"{"TmpSecretId":"AKIDtmp","TmpSecretKey":"k","Token":"t","ExpiredTime":1700000000,"Expiration":"2023-11-14T22:13:20Z","Code":"Success"}"#;
        let c = parse_role_credentials(ok, "s").unwrap();
        assert_eq!(c.secret_id(), "AKIDtmp");
        assert_eq!(c.token(), Some("t"));
        assert_eq!(
            c.expiry(),
            Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        );
        let e = parse_role_credentials(r#"{"Code":"Failed"}"#, "s").unwrap_err();
        assert!(e.to_string().contains("Failed"));
        let e = parse_role_credentials(r#"{"TmpSecretId":"a","TmpSecretKey":"secretvalue"}"#, "s")
            .unwrap_err();
        assert!(e.to_string().contains("no Token"));
        assert!(!e.to_string().contains("secretvalue"));
        assert!(parse_role_credentials("nope", "s").is_err());
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(86_399), "1970-01-01");
        assert_eq!(utc_date(1_551_113_065), "2019-02-25");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(4_107_542_400), "2100-03-01");
    }
}
