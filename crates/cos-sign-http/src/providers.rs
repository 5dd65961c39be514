//! Credentials from the network, each an async [`FetchCredentials`] source served through
//! std's [`RefreshingProvider`] (one shared refresh flight before expiry, the old key served
//! while it is valid, backoff after failures, bounded waits):
//!
//! * [`CvmRole`]: the temporary key of the CAM role bound to a CVM instance, from its
//!   metadata service;
//! * [`Sts`]: a temporary key from STS (`GetFederationToken` or `AssumeRole`, TencentCloud
//!   API 3.0 signed with [`tc3_authorization`]) for a permanent key;
//! * [`WebIdentity`]: STS `AssumeRoleWithWebIdentity` with an OIDC token file, as on TKE
//!   (`TKE_REGION`, `TKE_PROVIDER_ID`, `TKE_IDENTITY_TOKEN_FILE`, `TKE_ROLE_ARN`).
//!
//! [`default_chain`] puts them in the order of the Tencent Cloud SDKs.
//!
//! # Async first, blocking adapter for sync callers
//!
//! Async code (the [`Client`](crate::Client)) awaits
//! [`credentials_async`](CredentialsProvider::credentials_async): the fetch runs on the
//! caller's runtime and blocks no thread. The sync view
//! [`credentials`](CredentialsProvider::credentials) (what a bare
//! [`Signer`](cos_sign_std::signer::Signer) calls) serves the cache and, when a fetch is
//! needed, runs it on a helper thread with its own small runtime, waiting at most the
//! provider's wait limit (the thread is never joined without a bound).
//!
//! ```no_run
//! use cos_sign_http::providers::{CvmRole, default_chain};
//! use cos_sign_std::credentials::CredentialsProvider;
//! # async fn demo() -> Result<(), cos_sign_std::credentials::CredentialsError> {
//! let role = CvmRole::new().provider();
//! let key = role.credentials_async().await?;
//! let chain = default_chain();
//! let key = chain.credentials_async().await?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cos_sign_std::credentials::{
    ChainProvider, Credentials, CredentialsError, CredentialsFuture, CredentialsProvider,
    EnvProvider, FetchCredentials, ProfileProvider, RefreshingProvider,
};

use crate::hex;

/// The metadata service's credentials folder.
pub const CVM_METADATA_BASE: &str =
    "http://metadata.tencentyun.com/latest/meta-data/cam/security-credentials/";

/// The STS endpoint.
pub const STS_ENDPOINT: &str = "https://sts.tencentcloudapi.com/";

/// The STS API version.
pub const STS_VERSION: &str = "2018-08-13";

/// The largest answer read from a credentials service.
const MAX_ANSWER: usize = 64 * 1024;

/// A reqwest client for a credentials service: bounded connect and total time, no pool (a
/// blocking fetch runs on a short-lived runtime, whose connections must not be reused).
fn service_client(timeout: Duration, proxy: bool) -> Result<reqwest::Client, String> {
    let mut b = reqwest::Client::builder()
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .timeout(timeout)
        .pool_max_idle_per_host(0)
        .redirect(reqwest::redirect::Policy::none());
    if !proxy {
        b = b.no_proxy();
    }
    b.build().map_err(|e| e.to_string())
}

/// Sends `req` and reads at most [`MAX_ANSWER`] bytes of the answer: (status, text).
async fn send_bounded(req: reqwest::RequestBuilder) -> Result<(u16, String), String> {
    let mut resp = req.send().await.map_err(|e| e.without_url().to_string())?;
    let status = resp.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| e.without_url().to_string())?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ANSWER {
            return Err(format!("the answer is larger than {MAX_ANSWER} bytes"));
        }
    }
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// The blocking adapter of the fetchers here: the fetch runs on a helper thread with a
/// current-thread runtime; the caller waits at most `limit` (the thread then finishes on its
/// own, bounded by the fetcher's timeouts).
fn blocking_fetch<F: FetchCredentials>(
    fetcher: Arc<F>,
    limit: Duration,
) -> Result<Credentials, CredentialsError> {
    let source = fetcher.source();
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name("cos-sign-credentials".into())
        .spawn(move || {
            let result = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt.block_on(fetcher.fetch()),
                Err(e) => Err(CredentialsError::Io {
                    source: fetcher.source(),
                    detail: format!("cannot start a runtime: {e}"),
                }),
            };
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        return Err(CredentialsError::Io {
            source,
            detail: format!("cannot start a thread: {e}"),
        });
    }
    rx.recv_timeout(limit)
        .unwrap_or(Err(CredentialsError::Timeout {
            source,
            after: limit,
        }))
}

/// `FetchCredentials` for a fetcher with an inherent `async fn fetch_now`, whose source is
/// `$source` (an expression of `$self`); the blocking view is [`blocking_fetch`].
macro_rules! fetch_credentials {
    ($ty:ty, |$self:ident| $source:expr) => {
        impl FetchCredentials for $ty {
            fn source(&$self) -> String {
                $source
            }

            fn fetch(&self) -> CredentialsFuture<'_> {
                Box::pin(self.fetch_now())
            }

            fn fetch_blocking(
                self: Arc<Self>,
                limit: Duration,
            ) -> Result<Credentials, CredentialsError> {
                blocking_fetch(self, limit)
            }
        }
    };
}

/// The setters of the STS fetchers ([`Sts`], [`WebIdentity`]: a `duration` and a
/// `target: StsTarget`) and their [`RefreshingProvider`].
macro_rules! sts_setters {
    ($ty:ident, $provider:ident) => {
        impl $ty {
            /// `DurationSeconds` of the key asked for.
            pub fn with_duration(mut self, d: Duration) -> Self {
                self.duration = d;
                self
            }

            /// Another endpoint URL (a stand-in in tests); the signed host is its authority.
            pub fn with_endpoint_url(mut self, url: impl Into<String>) -> Self {
                self.target.endpoint = url.into();
                self
            }

            /// The timeout of each STS request (default 10 s).
            pub fn with_timeout(mut self, timeout: Duration) -> Self {
                self.target.http = service_client(timeout, true);
                self
            }

            /// Served through a [`RefreshingProvider`] with its defaults.
            pub fn provider(self) -> $provider {
                RefreshingProvider::new(self)
            }
        }
    };
}

/// The temporary key of the instance's CAM role, from the CVM metadata service:
/// `GET <base>` names the role (when not given), `GET <base><role>` returns
/// `{"TmpSecretId", "TmpSecretKey", "Token", "ExpiredTime", "Code": "Success"}`.
#[derive(Debug, Clone)]
pub struct CvmRole {
    base: String,
    role: Option<String>,
    http: Result<reqwest::Client, String>,
}

/// [`CvmRole`] served with caching and single-flight refresh.
pub type CvmRoleProvider = RefreshingProvider<CvmRole>;

impl Default for CvmRole {
    fn default() -> Self {
        Self::new()
    }
}

impl CvmRole {
    /// The real metadata service; the role is discovered; 2 s per request.
    pub fn new() -> Self {
        Self {
            base: CVM_METADATA_BASE.to_owned(),
            role: None,
            http: service_client(Duration::from_secs(2), false),
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

    /// The timeout of each metadata request (default 2 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.http = service_client(timeout, false);
        self
    }

    /// Served through a [`RefreshingProvider`] with its defaults.
    pub fn provider(self) -> CvmRoleProvider {
        RefreshingProvider::new(self)
    }

    fn err(&self, detail: impl Into<String>) -> CredentialsError {
        CredentialsError::Io {
            source: self.source(),
            detail: detail.into(),
        }
    }

    async fn get(&self, url: String) -> Result<String, CredentialsError> {
        let http = self.http.as_ref().map_err(|e| self.err(e.clone()))?;
        let (status, text) = send_bounded(http.get(url)).await.map_err(|e| self.err(e))?;
        if !(200..300).contains(&status) {
            return Err(self.err(format!("HTTP status {status}")));
        }
        Ok(text)
    }

    async fn fetch_now(&self) -> Result<Credentials, CredentialsError> {
        let role = match &self.role {
            Some(r) => r.clone(),
            None => {
                let text = self.get(self.base.clone()).await?;
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
        let text = self.get(format!("{}{}", self.base, role)).await?;
        parse_role_credentials(&text, &self.source())
    }
}

fetch_credentials!(CvmRole, |self| format!("CVM metadata {}", self.base));

fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .unwrap_or(0)
}

/// Parses the metadata service's (or STS's `Credentials`) JSON into temporary credentials.
///
/// # Errors
/// [`CredentialsError::Invalid`] naming the missing or out-of-range field (never a value).
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
    // Checked: a service answering a huge ExpiredTime must not overflow `SystemTime`.
    let expiry = i64::try_from(expired)
        .ok()
        .and_then(|_| UNIX_EPOCH.checked_add(Duration::from_secs(expired)))
        .ok_or_else(|| invalid(format!("ExpiredTime {expired} is out of range")))?;
    let c = Credentials::new(id, key)
        .with_token(token)
        .with_expiry(expiry);
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

/// Where and how an STS call is sent (shared by [`Sts`] and [`WebIdentity`]).
#[derive(Debug, Clone)]
struct StsTarget {
    region: String,
    endpoint: String,
    http: Result<reqwest::Client, String>,
}

impl StsTarget {
    fn new(region: String) -> Self {
        Self {
            region,
            endpoint: STS_ENDPOINT.to_owned(),
            http: service_client(Duration::from_secs(10), true),
        }
    }

    fn source(&self, action: &str) -> String {
        format!("STS {action} at {}", self.endpoint)
    }

    /// POSTs `payload` as `action` with `authorization` (built from the host and timestamp)
    /// and parses the key of the answer.
    async fn call(
        &self,
        action: &str,
        payload: &str,
        authorization: impl FnOnce(&str, u64) -> String,
        token: Option<&str>,
    ) -> Result<Credentials, CredentialsError> {
        let source = self.source(action);
        let err = |detail: String| CredentialsError::Io {
            source: source.clone(),
            detail,
        };
        let url = reqwest::Url::parse(&self.endpoint).map_err(|e| err(e.to_string()))?;
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            (None, _) => return Err(err("the endpoint URL has no host".into())),
        };
        let timestamp = u64::try_from(unix(SystemTime::now())).unwrap_or(0);
        let http = self.http.as_ref().map_err(|e| err(e.clone()))?;
        let mut req = http
            .post(url)
            .header("Content-Type", "application/json")
            .header("X-TC-Action", action)
            .header("X-TC-Version", STS_VERSION)
            .header("X-TC-Timestamp", timestamp.to_string())
            .header("X-TC-Region", &self.region)
            .header("Authorization", authorization(&host, timestamp));
        if let Some(t) = token {
            req = req.header("X-TC-Token", t);
        }
        let (status, text) = send_bounded(req.body(payload.to_owned()))
            .await
            .map_err(err)?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|_| err(format!("HTTP status {status}, not JSON")))?;
        let r = &v["Response"];
        if let Some(e) = r.get("Error") {
            return Err(err(format!(
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
        parse_role_credentials(&merged.to_string(), &source)
    }
}

/// A temporary key from STS for the key of `base` (usually a permanent key from the
/// environment or the profile file).
pub struct Sts {
    base: Box<dyn CredentialsProvider>,
    action: StsAction,
    duration: Duration,
    target: StsTarget,
}

/// [`Sts`] served with caching and single-flight refresh.
pub type StsProvider = RefreshingProvider<Sts>;

impl fmt::Debug for Sts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sts")
            .field("base", &self.base)
            .field("action", &self.action.name())
            .field("region", &self.target.region)
            .field("endpoint", &self.target.endpoint)
            .finish_non_exhaustive()
    }
}

impl Sts {
    /// `action` with the key of `base`, region `ap-guangzhou`, 1800 s keys, the real endpoint.
    pub fn new(base: impl CredentialsProvider + 'static, action: StsAction) -> Self {
        Self {
            base: Box::new(base),
            action,
            duration: Duration::from_secs(1800),
            target: StsTarget::new("ap-guangzhou".to_owned()),
        }
    }

    /// The region sent as `X-TC-Region`.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.target.region = region.into();
        self
    }

    async fn fetch_now(&self) -> Result<Credentials, CredentialsError> {
        let base = self.base.credentials_async().await?;
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
        let auth = |host: &str, timestamp: u64| {
            tc3_authorization(
                base.secret_id(),
                base.expose_secret_key(),
                "sts",
                host,
                "application/json",
                payload.as_bytes(),
                timestamp,
            )
        };
        self.target
            .call(self.action.name(), &payload, auth, base.token())
            .await
    }
}

fetch_credentials!(Sts, |self| self.target.source(self.action.name()));
sts_setters!(Sts, StsProvider);

/// The variables [`WebIdentity::from_env`] reads, as TKE sets them for a pod with an OIDC
/// role: region, identity provider id, the token file, the role.
pub const TKE_VARS: [&str; 4] = [
    "TKE_REGION",
    "TKE_PROVIDER_ID",
    "TKE_IDENTITY_TOKEN_FILE",
    "TKE_ROLE_ARN",
];

/// A temporary key from STS `AssumeRoleWithWebIdentity`: an OIDC token (read from its file
/// at every fetch, since the platform rotates it) exchanged for the key of a role. The
/// request is not signed with a key (`Authorization: SKIP`): the token is the proof.
pub struct WebIdentity {
    provider_id: String,
    token_file: PathBuf,
    role_arn: String,
    session_name: String,
    duration: Duration,
    target: StsTarget,
}

/// [`WebIdentity`] served with caching and single-flight refresh.
pub type WebIdentityProvider = RefreshingProvider<WebIdentity>;

impl fmt::Debug for WebIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebIdentity")
            .field("provider_id", &self.provider_id)
            .field("token_file", &self.token_file)
            .field("role_arn", &self.role_arn)
            .field("region", &self.target.region)
            .field("endpoint", &self.target.endpoint)
            .finish_non_exhaustive()
    }
}

impl WebIdentity {
    /// Exchanges the token in `token_file` for a key of `role_arn` in `region` through the
    /// identity provider `provider_id`; 7200 s keys, session name `cos-sign-<unix time>`.
    pub fn new(
        region: impl Into<String>,
        provider_id: impl Into<String>,
        token_file: impl Into<PathBuf>,
        role_arn: impl Into<String>,
    ) -> Self {
        Self {
            provider_id: provider_id.into(),
            token_file: token_file.into(),
            role_arn: role_arn.into(),
            session_name: format!("cos-sign-{}", unix(SystemTime::now())),
            duration: Duration::from_secs(7200),
            target: StsTarget::new(region.into()),
        }
    }

    /// From [`TKE_VARS`] read through `lookup`; `Ok(None)` when none is set.
    ///
    /// # Errors
    /// Some but not all are set.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, CredentialsError> {
        let vals: Vec<Option<String>> = TKE_VARS
            .iter()
            .map(|n| lookup(n).filter(|v| !v.is_empty()))
            .collect();
        match vals.as_slice() {
            [Some(region), Some(pid), Some(file), Some(arn)] => {
                Ok(Some(Self::new(region, pid, file, arn)))
            }
            v if v.iter().all(Option::is_none) => Ok(None),
            v => {
                let missing: Vec<&str> = TKE_VARS
                    .iter()
                    .zip(v)
                    .filter(|(_, x)| x.is_none())
                    .map(|(n, _)| *n)
                    .collect();
                Err(CredentialsError::Invalid {
                    source: "environment (TKE web identity)".to_owned(),
                    detail: format!("{} not set", missing.join(", ")),
                })
            }
        }
    }

    /// From the process environment, as [`from_lookup`](WebIdentity::from_lookup).
    ///
    /// # Errors
    /// Some but not all are set.
    pub fn from_env() -> Result<Option<Self>, CredentialsError> {
        Self::from_lookup(|n| std::env::var(n).ok())
    }

    /// `RoleSessionName`.
    pub fn with_session_name(mut self, name: impl Into<String>) -> Self {
        self.session_name = name.into();
        self
    }

    async fn fetch_now(&self) -> Result<Credentials, CredentialsError> {
        let source = self.source();
        let token = tokio::fs::read_to_string(&self.token_file)
            .await
            .map_err(|e| CredentialsError::Io {
                source: source.clone(),
                detail: format!("token file {}: {}", self.token_file.display(), e.kind()),
            })?;
        let token = zeroize::Zeroizing::new(token);
        let token = token.trim();
        if token.is_empty() {
            return Err(CredentialsError::Invalid {
                source,
                detail: format!("token file {} is empty", self.token_file.display()),
            });
        }
        let payload = zeroize::Zeroizing::new(
            serde_json::json!({
                "ProviderId": self.provider_id,
                "WebIdentityToken": token,
                "RoleArn": self.role_arn,
                "RoleSessionName": self.session_name,
                "DurationSeconds": self.duration.as_secs(),
            })
            .to_string(),
        );
        self.target
            .call(
                "AssumeRoleWithWebIdentity",
                &payload,
                |_, _| "SKIP".to_owned(),
                None,
            )
            .await
    }
}

fetch_credentials!(WebIdentity, |self| self
    .target
    .source("AssumeRoleWithWebIdentity"));
sts_setters!(WebIdentity, WebIdentityProvider);

/// The variables that make [`default_chain`] assume a role through STS first:
/// the role, and optionally the session name (default `cos-sign-<unix time>`).
pub const ROLE_VARS: [&str; 2] = ["TENCENTCLOUD_ROLE_ARN", "TENCENTCLOUD_ROLE_SESSION_NAME"];

/// The default chain, in the order of the Tencent Cloud SDKs: the environment, the profile
/// file, the CVM role, then the TKE web identity (when [`TKE_VARS`] are set).
///
/// When `TENCENTCLOUD_ROLE_ARN` is set ([`ROLE_VARS`]), an STS `AssumeRole` with the key of
/// the environment or profile comes first: the caller asked for that role, and its base key
/// would otherwise win. Every network source is served through a [`RefreshingProvider`].
/// Partly set TKE variables add a provider that reports what is missing.
pub fn default_chain() -> ChainProvider {
    default_chain_with(|n| std::env::var(n).ok())
}

/// [`default_chain`] with variables read through `lookup` (the environment and profile
/// providers still read the real ones).
pub fn default_chain_with(lookup: impl Fn(&str) -> Option<String>) -> ChainProvider {
    let mut chain = ChainProvider::new();
    if let Some(arn) = lookup(ROLE_VARS[0]).filter(|v| !v.is_empty()) {
        let session = lookup(ROLE_VARS[1])
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| format!("cos-sign-{}", unix(SystemTime::now())));
        let base = ChainProvider::new()
            .push(EnvProvider::new())
            .push(ProfileProvider::new());
        chain = chain.push(
            Sts::new(
                base,
                StsAction::AssumeRole {
                    role_arn: arn,
                    session_name: session,
                    policy: None,
                },
            )
            .provider(),
        );
    }
    chain = chain
        .push(EnvProvider::new())
        .push(ProfileProvider::new())
        .push(CvmRole::new().provider());
    match WebIdentity::from_lookup(&lookup) {
        Ok(Some(w)) => chain.push(w.provider()),
        Ok(None) => chain,
        Err(e) => chain.push(Failing(e)),
    }
}

/// A provider that always reports a configuration error.
#[derive(Debug)]
struct Failing(CredentialsError);

impl CredentialsProvider for Failing {
    fn credentials(&self) -> Result<Credentials, CredentialsError> {
        Err(self.0.clone())
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
    fn huge_expired_time_is_refused_not_a_panic() {
        for t in [u64::MAX, i64::MAX as u64 + 1] {
            let text = format!(
                r#"{{"TmpSecretId":"AKIDtmp","TmpSecretKey":"k","Token":"t","ExpiredTime":{t}}}"#
            );
            let e = parse_role_credentials(&text, "s").unwrap_err();
            assert_eq!(
                e,
                CredentialsError::Invalid {
                    source: "s".into(),
                    detail: format!("ExpiredTime {t} is out of range")
                }
            );
        }
        let text = r#"{"TmpSecretId":"AKIDtmp","TmpSecretKey":"k","Token":"t","ExpiredTime":"18446744073709551615"}"#;
        assert!(matches!(
            parse_role_credentials(text, "s"),
            Err(CredentialsError::Invalid { .. })
        ));
        // The largest accepted value is served and judged without overflow.
        let text = format!(
            r#"{{"TmpSecretId":"AKIDtmp","TmpSecretKey":"k","Token":"t","ExpiredTime":{}}}"#,
            i64::MAX
        );
        let c = parse_role_credentials(&text, "s").unwrap();
        let p = cos_sign_std::credentials::CachingProvider::new(
            cos_sign_std::credentials::StaticProvider::new(c),
        );
        assert_eq!(p.credentials().unwrap().secret_id(), "AKIDtmp");
        assert_eq!(p.credentials().unwrap().secret_id(), "AKIDtmp");
    }

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
