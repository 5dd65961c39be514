//! Credentials (secret id, secret key, optional token and expiry) and where they come from.
//!
//! The secret key and the token live in [`Secret`]s: zeroized on drop, `<redacted>` in `Debug`
//! and `Display`. No error of this module ever contains a secret value.
//!
//! ```
//! use cos_sign_std::credentials::{ChainProvider, Credentials, CredentialsProvider, EnvProvider, StaticProvider};
//! let chain = ChainProvider::new()
//!     .push(EnvProvider::new())
//!     .push(StaticProvider::new(Credentials::new("AKIDexample", "secret")));
//! let creds = chain.credentials()?;
//! assert!(!format!("{creds:?}").contains("secret\""));
//! # Ok::<(), cos_sign_std::credentials::CredentialsError>(())
//! ```

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant, SystemTime};

use zeroize::Zeroizing;

use crate::clock::{Clock, system_secs};

/// A secret string: zeroized when dropped, never shown by `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(Zeroizing::new(s.into()))
    }

    /// The secret text. Keep what you do with it out of logs.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A secret id with its secret key, and for temporary keys the token and the expiry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    secret_id: String,
    secret_key: Secret,
    token: Option<Secret>,
    expiry: Option<SystemTime>,
}

impl Credentials {
    /// Permanent credentials.
    pub fn new(secret_id: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Self {
            secret_id: secret_id.into(),
            secret_key: Secret::new(secret_key),
            token: None,
            expiry: None,
        }
    }

    /// With the token of a temporary key (sent as `x-cos-security-token`).
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Secret::new(token));
        self
    }

    /// With the instant the temporary key expires.
    pub fn with_expiry(mut self, expiry: SystemTime) -> Self {
        self.expiry = Some(expiry);
        self
    }

    /// The secret id (`q-ak`; not a secret: it is in every signed URL).
    pub fn secret_id(&self) -> &str {
        &self.secret_id
    }

    /// The secret key.
    pub fn expose_secret_key(&self) -> &str {
        self.secret_key.expose()
    }

    /// The token, for temporary keys.
    pub fn token(&self) -> Option<&str> {
        self.token.as_ref().map(Secret::expose)
    }

    /// When the key expires, if it does.
    pub fn expiry(&self) -> Option<SystemTime> {
        self.expiry
    }

    /// Checks the values are usable: non-empty id and key, no leading or trailing whitespace,
    /// no control characters. `source` names where they came from in the error.
    ///
    /// # Errors
    /// [`CredentialsError::Invalid`], naming the field but never showing its value.
    pub fn validate(&self, source: &str) -> Result<(), CredentialsError> {
        let check = |field: &str, v: &str| {
            let bad = if v.is_empty() {
                Some("is empty")
            } else if v.trim() != v {
                Some("has leading or trailing whitespace")
            } else if v.chars().any(char::is_control) {
                Some("contains a control character")
            } else {
                None
            };
            match bad {
                Some(why) => Err(CredentialsError::Invalid {
                    source: source.to_owned(),
                    detail: format!("{field} {why}"),
                }),
                None => Ok(()),
            }
        };
        check("secret id", &self.secret_id)?;
        check("secret key", self.expose_secret_key())?;
        if let Some(t) = self.token() {
            check("token", t)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("secret_id", &self.secret_id)
            .field("secret_key", &self.secret_key)
            .field("token", &self.token)
            .field("expiry", &self.expiry)
            .finish()
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "credentials {} ({})",
            self.secret_id,
            if self.token.is_some() {
                "temporary"
            } else {
                "permanent"
            }
        )
    }
}

/// Why no credentials could be had. Each names its source; none contains a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The source has no credentials (variables unset, file or profile missing).
    NotFound {
        /// The source (`environment`, `profile file /root/.tencentcloud/credentials`...).
        source: String,
        /// What is missing.
        detail: String,
    },
    /// The source has credentials that cannot be used (half set, malformed).
    Invalid {
        /// The source.
        source: String,
        /// What is wrong.
        detail: String,
    },
    /// The source could not be read.
    Io {
        /// The source.
        source: String,
        /// The I/O error.
        detail: String,
    },
    /// The credentials have expired and could not be refreshed.
    Expired {
        /// The source.
        source: String,
    },
    /// Every provider of a chain failed; their errors in order.
    Chain(Vec<CredentialsError>),
    /// Waiting for the source took longer than the bound.
    Timeout {
        /// The source.
        source: String,
        /// The bound that was exceeded.
        after: Duration,
    },
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsError::NotFound { source, detail } => {
                write!(f, "no credentials in {source}: {detail}")
            }
            CredentialsError::Invalid { source, detail } => {
                write!(f, "invalid credentials in {source}: {detail}")
            }
            CredentialsError::Io { source, detail } => {
                write!(f, "cannot read credentials from {source}: {detail}")
            }
            CredentialsError::Expired { source } => {
                write!(
                    f,
                    "credentials from {source} expired and could not be refreshed"
                )
            }
            CredentialsError::Timeout { source, after } => {
                write!(f, "no credentials from {source} within {after:?}")
            }
            CredentialsError::Chain(errors) => {
                f.write_str("no provider gave credentials")?;
                for (i, e) in errors.iter().enumerate() {
                    write!(f, "{}{e}", if i == 0 { ": " } else { "; " })?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for CredentialsError {}

/// A boxed future of credentials, as [`CredentialsProvider::credentials_async`] returns it.
/// Plain `std` futures: this crate depends on no async runtime.
pub type CredentialsFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Credentials, CredentialsError>> + Send + 'a>>;

/// Where credentials come from. Called for every signature (wrap slow providers in a
/// [`CachingProvider`], network ones in a [`RefreshingProvider`]).
///
/// Two views of one source: [`credentials`](CredentialsProvider::credentials) for sync code
/// (the [`Signer`](crate::signer::Signer) calls it), and
/// [`credentials_async`](CredentialsProvider::credentials_async) for async code, which never
/// blocks its thread on I/O. Local sources (environment, files, static keys) only implement
/// the sync view; the async one then answers at once. Network sources implement
/// [`FetchCredentials`] and are served through a [`RefreshingProvider`], whose sync view is the
/// blocking adapter.
pub trait CredentialsProvider: Send + Sync + fmt::Debug {
    /// The current credentials.
    ///
    /// # Errors
    /// The source has none, or they cannot be used.
    fn credentials(&self) -> Result<Credentials, CredentialsError>;

    /// The current credentials, without blocking the calling thread on I/O. The default is
    /// the sync answer, ready at once (right for sources that do no network I/O).
    fn credentials_async(&self) -> CredentialsFuture<'_> {
        Box::pin(std::future::ready(self.credentials()))
    }
}

impl<P: CredentialsProvider + ?Sized> CredentialsProvider for Arc<P> {
    fn credentials(&self) -> Result<Credentials, CredentialsError> {
        (**self).credentials()
    }
    fn credentials_async(&self) -> CredentialsFuture<'_> {
        (**self).credentials_async()
    }
}

impl<P: CredentialsProvider + ?Sized> CredentialsProvider for Box<P> {
    fn credentials(&self) -> Result<Credentials, CredentialsError> {
        (**self).credentials()
    }
    fn credentials_async(&self) -> CredentialsFuture<'_> {
        (**self).credentials_async()
    }
}

impl<P: CredentialsProvider + ?Sized> CredentialsProvider for &P {
    fn credentials(&self) -> Result<Credentials, CredentialsError> {
        (**self).credentials()
    }
    fn credentials_async(&self) -> CredentialsFuture<'_> {
        (**self).credentials_async()
    }
}

/// Always the same credentials.
#[derive(Debug, Clone)]
pub struct StaticProvider(Credentials);

impl StaticProvider {
    /// Serves `creds`.
    pub fn new(creds: Credentials) -> Self {
        Self(creds)
    }
}

impl CredentialsProvider for StaticProvider {
    fn credentials(&self) -> Result<Credentials, CredentialsError> {
        Ok(self.0.clone())
    }
}

type Lookup = dyn Fn(&str) -> Option<String> + Send + Sync;

/// The environment: `COS_SECRET_ID` / `COS_SECRET_KEY` / `COS_SECURITY_TOKEN`, else
/// `TENCENTCLOUD_SECRET_ID` / `TENCENTCLOUD_SECRET_KEY` / `TENCENTCLOUD_SESSION_TOKEN`.
/// An empty variable counts as unset; an id without its key (or the reverse) is an error.
pub struct EnvProvider {
    /// `None`: the process environment.
    lookup: Option<Box<Lookup>>,
}

impl fmt::Debug for EnvProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnvProvider")
    }
}

impl Default for EnvProvider {
    fn default() -> Self {
        Self::new()
    }
}

/// The variable families [`EnvProvider`] reads, in order: (id, key, token).
pub const ENV_VARS: [(&str, &str, &str); 2] = [
    ("COS_SECRET_ID", "COS_SECRET_KEY", "COS_SECURITY_TOKEN"),
    (
        "TENCENTCLOUD_SECRET_ID",
        "TENCENTCLOUD_SECRET_KEY",
        "TENCENTCLOUD_SESSION_TOKEN",
    ),
];

impl EnvProvider {
    /// Reads the process environment at every call.
    pub fn new() -> Self {
        Self { lookup: None }
    }

    /// Reads variables through `lookup` instead (tests, or an environment snapshot).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self {
            lookup: Some(Box::new(lookup)),
        }
    }
}

impl CredentialsProvider for EnvProvider {
    fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let get = |n: &str| -> Result<Option<String>, CredentialsError> {
            let v = match &self.lookup {
                Some(f) => f(n),
                None => match std::env::var(n) {
                    Ok(v) => Some(v),
                    Err(std::env::VarError::NotPresent) => None,
                    Err(std::env::VarError::NotUnicode(_)) => {
                        return Err(CredentialsError::Invalid {
                            source: "environment".to_owned(),
                            detail: format!("{n} is not valid UTF-8"),
                        });
                    }
                },
            };
            Ok(v.filter(|v| !v.is_empty()))
        };
        for (id_var, key_var, token_var) in ENV_VARS {
            let source = format!("environment ({id_var}/{key_var})");
            match (get(id_var)?, get(key_var)?) {
                (Some(id), Some(key)) => {
                    let mut c = Credentials::new(id, key);
                    if let Some(t) = get(token_var)? {
                        c = c.with_token(t);
                    }
                    c.validate(&source)?;
                    return Ok(c);
                }
                (Some(_), None) => {
                    return Err(CredentialsError::Invalid {
                        source,
                        detail: format!("{id_var} is set but {key_var} is not"),
                    });
                }
                (None, Some(_)) => {
                    return Err(CredentialsError::Invalid {
                        source,
                        detail: format!("{key_var} is set but {id_var} is not"),
                    });
                }
                (None, None) => {}
            }
        }
        Err(CredentialsError::NotFound {
            source: "environment".to_owned(),
            detail: "set COS_SECRET_ID and COS_SECRET_KEY (and COS_SECURITY_TOKEN for a temporary key), or TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY (and TENCENTCLOUD_SESSION_TOKEN)".to_owned(),
        })
    }
}

/// The Tencent Cloud profile file, INI: `~/.tencentcloud/credentials`, else
/// `/etc/tencentcloud/credentials` (the paths tencentcloud-sdk-python's `ProfileCredential`
/// reads), section `[default]` unless another profile is named, keys `secret_id`,
/// `secret_key` and optionally `token`.
///
/// Syntax as Python's `configparser` reads these files: `key = value` or `key: value`,
/// names case-insensitive, values trimmed, lines starting with `#` or `;` are comments.
#[derive(Debug, Clone)]
pub struct ProfileProvider {
    path: Option<PathBuf>,
    profile: String,
}

impl Default for ProfileProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl ProfileProvider {
    /// The default file and profile `default`.
    pub fn new() -> Self {
        Self {
            path: None,
            profile: "default".to_owned(),
        }
    }

    /// Reads this file instead.
    pub fn with_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Reads this profile (section) instead of `default`.
    pub fn with_profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = profile.into();
        self
    }

    /// The file that will be read: the one given, or the first default that exists.
    pub fn path(&self) -> Option<PathBuf> {
        if let Some(p) = &self.path {
            return Some(p.clone());
        }
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let candidates = home
            .map(|h| h.join(".tencentcloud").join("credentials"))
            .into_iter()
            .chain(std::iter::once(PathBuf::from(
                "/etc/tencentcloud/credentials",
            )));
        candidates.into_iter().find(|p| p.is_file())
    }

    fn read(&self, path: &Path) -> Result<Credentials, CredentialsError> {
        let source = format!("profile file {} [{}]", path.display(), self.profile);
        let text = std::fs::read_to_string(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                CredentialsError::NotFound {
                    source: source.clone(),
                    detail: "the file does not exist".to_owned(),
                }
            } else {
                CredentialsError::Io {
                    source: source.clone(),
                    detail: e.kind().to_string(),
                }
            }
        })?;
        let text = Zeroizing::new(text);
        let mut section: Option<&str> = None;
        let mut found = false;
        let (mut id, mut key, mut token) = (None, None, None);
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(rest) = line.strip_prefix('[') {
                let Some(name) = rest.strip_suffix(']') else {
                    return Err(CredentialsError::Invalid {
                        source,
                        detail: format!("line {}: unterminated section header", n + 1),
                    });
                };
                section = Some(name.trim());
                found |= section == Some(self.profile.as_str());
                continue;
            }
            let Some(pos) = line.find(['=', ':']) else {
                return Err(CredentialsError::Invalid {
                    source,
                    detail: format!("line {}: expected `key = value`", n + 1),
                });
            };
            if section.is_none() {
                return Err(CredentialsError::Invalid {
                    source,
                    detail: format!("line {}: a key before any [section]", n + 1),
                });
            }
            if section != Some(self.profile.as_str()) {
                continue;
            }
            let name = line[..pos].trim().to_ascii_lowercase();
            let value = line[pos + 1..].trim();
            match name.as_str() {
                "secret_id" => id = Some(value.to_owned()),
                "secret_key" => key = Some(Zeroizing::new(value.to_owned())),
                "token" => token = Some(Zeroizing::new(value.to_owned())),
                _ => {}
            }
        }
        if !found {
            return Err(CredentialsError::NotFound {
                source,
                detail: format!("no [{}] section", self.profile),
            });
        }
        let (Some(id), Some(key)) = (id.filter(|v| !v.is_empty()), key.filter(|v| !v.is_empty()))
        else {
            return Err(CredentialsError::Invalid {
                source,
                detail: "secret_id and secret_key must both be set".to_owned(),
            });
        };
        let mut c = Credentials::new(id, key.as_str());
        if let Some(t) = token.filter(|t| !t.is_empty()) {
            c = c.with_token(t.as_str());
        }
        c.validate(&source)?;
        Ok(c)
    }
}

impl CredentialsProvider for ProfileProvider {
    fn credentials(&self) -> Result<Credentials, CredentialsError> {
        match self.path() {
            Some(p) => self.read(&p),
            None => Err(CredentialsError::NotFound {
                source: "profile file".to_owned(),
                detail:
                    "neither ~/.tencentcloud/credentials nor /etc/tencentcloud/credentials exists"
                        .to_owned(),
            }),
        }
    }
}

/// Asks its providers in order; the first that gives credentials wins.
#[derive(Debug, Default)]
pub struct ChainProvider {
    providers: Vec<Box<dyn CredentialsProvider>>,
}

impl ChainProvider {
    /// An empty chain.
    pub fn new() -> Self {
        Self::default()
    }

    /// The usual chain: environment, then the profile file.
    pub fn default_chain() -> Self {
        Self::new()
            .push(EnvProvider::new())
            .push(ProfileProvider::new())
    }

    /// Appends a provider.
    pub fn push(mut self, p: impl CredentialsProvider + 'static) -> Self {
        self.providers.push(Box::new(p));
        self
    }

    /// The providers, in the order they are asked.
    pub fn providers(&self) -> &[Box<dyn CredentialsProvider>] {
        &self.providers
    }
}

impl CredentialsProvider for ChainProvider {
    fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let mut errors = Vec::new();
        for p in &self.providers {
            match p.credentials() {
                Ok(c) => return Ok(c),
                Err(e) => errors.push(e),
            }
        }
        Err(CredentialsError::Chain(errors))
    }

    fn credentials_async(&self) -> CredentialsFuture<'_> {
        Box::pin(async move {
            let mut errors = Vec::new();
            for p in &self.providers {
                match p.credentials_async().await {
                    Ok(c) => return Ok(c),
                    Err(e) => errors.push(e),
                }
            }
            Err(CredentialsError::Chain(errors))
        })
    }
}

/// Caches the credentials of a provider. Credentials without expiry are kept for good;
/// temporary ones are refreshed once `now >= expiry - margin`; when that refresh fails, the
/// current credentials keep being served while they are still valid (`now < expiry`).
#[derive(Debug)]
pub struct CachingProvider<P> {
    inner: P,
    margin: Duration,
    clock: Clock,
    cached: Mutex<Option<Credentials>>,
}

impl<P: CredentialsProvider> CachingProvider<P> {
    /// Caches `inner`, refreshing 5 minutes before expiry, on the system clock.
    pub fn new(inner: P) -> Self {
        Self {
            inner,
            margin: Duration::from_secs(300),
            clock: Clock::system(),
            cached: Mutex::new(None),
        }
    }

    /// Refreshes this long before expiry.
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Uses this clock (tests inject a fixed one and move it with
    /// [`Clock::set_skew`]).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Drops the cached credentials: the next call asks the inner provider.
    pub fn invalidate(&self) {
        *self
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }
}

impl<P: CredentialsProvider> CredentialsProvider for CachingProvider<P> {
    fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let mut cached = self
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = self.clock.now();
        let margin = i64::try_from(self.margin.as_secs()).unwrap_or(i64::MAX);
        if let Some(c) = cached.as_ref() {
            match c.expiry() {
                None => return Ok(c.clone()),
                Some(exp) if now < system_secs(exp).saturating_sub(margin) => {
                    return Ok(c.clone());
                }
                Some(_) => {}
            }
        }
        match self.inner.credentials() {
            Ok(fresh) => {
                *cached = Some(fresh.clone());
                Ok(fresh)
            }
            Err(e) => match cached.as_ref() {
                Some(c) if c.expiry().is_some_and(|exp| now < system_secs(exp)) => Ok(c.clone()),
                Some(_) => Err(CredentialsError::Expired {
                    source: format!("the cached provider (refresh failed: {e})"),
                }),
                None => Err(e),
            },
        }
    }
}

/// A network source of temporary credentials (CVM role, STS, web identity): one fetch per
/// call, no caching. Serve it through a [`RefreshingProvider`].
pub trait FetchCredentials: Send + Sync + fmt::Debug + 'static {
    /// Where the credentials come from, for errors (never a secret).
    fn source(&self) -> String;

    /// Fetches a key now. The future should bound its own duration (the network fetchers of
    /// `cos-sign-http` have connect and request timeouts).
    fn fetch(&self) -> CredentialsFuture<'_>;

    /// Fetches a key for a sync caller, waiting at most `limit`. The default polls
    /// [`fetch`](FetchCredentials::fetch) on the calling thread, which suits futures that need
    /// no runtime; fetchers whose futures need one (tokio for reqwest) override it.
    ///
    /// # Errors
    /// As [`fetch`](FetchCredentials::fetch), or [`CredentialsError::Timeout`].
    fn fetch_blocking(self: Arc<Self>, limit: Duration) -> Result<Credentials, CredentialsError> {
        block_on_until(self.fetch(), Instant::now() + limit).unwrap_or_else(|| {
            Err(CredentialsError::Timeout {
                source: self.source(),
                after: limit,
            })
        })
    }
}

/// Polls `fut` on this thread until it is ready or `deadline` passes (`None`).
pub fn block_on_until<T>(fut: impl Future<Output = T>, deadline: Instant) -> Option<T> {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return Some(v);
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        std::thread::park_timeout(deadline - now);
    }
}

/// The refresh state shared by all callers of a [`RefreshingProvider`].
#[derive(Default)]
struct RefreshState {
    cached: Option<Credentials>,
    /// A fetch is running (its leader will publish the result).
    in_flight: bool,
    /// Bumped when a fetch ends (or its leader is dropped): waiters watch it.
    generation: u64,
    /// Consecutive failed fetches.
    failures: u32,
    /// No new fetch before this instant (backoff after a failure).
    retry_at: Option<Instant>,
    last_error: Option<CredentialsError>,
    /// Async callers waiting for the current fetch.
    wakers: Vec<Waker>,
    /// Fetches started.
    fetches: u64,
}

#[derive(Default)]
struct RefreshShared {
    state: Mutex<RefreshState>,
    done: Condvar,
}

impl RefreshShared {
    fn lock(&self) -> MutexGuard<'_, RefreshState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Ends the current flight and wakes every waiter.
    fn publish(&self, st: &mut RefreshState) {
        st.in_flight = false;
        st.generation = st.generation.wrapping_add(1);
        for w in st.wakers.drain(..) {
            w.wake();
        }
        self.done.notify_all();
    }
}

/// What a caller does next.
enum Step {
    Serve(Credentials),
    Fail(CredentialsError),
    /// Run the fetch (this caller leads the flight).
    Lead,
    /// Wait for the flight of this generation to end.
    Wait(u64),
}

/// Serves the key of a [`FetchCredentials`] source, refreshing it before it expires in **one
/// flight shared by all callers**:
///
/// * a key more than `margin` (default 5 min) from expiry is served from the cache;
/// * inside the margin, the first caller fetches; every other caller meanwhile gets the old
///   key at once (it is still valid), so nobody waits for a refresh while a key is valid;
/// * with no valid key, callers wait for that one fetch (sync callers at most the wait limit,
///   default 30 s; async callers as long as the fetch, which bounds itself);
/// * after a failure no new fetch starts before a backoff (1 s, doubling up to 60 s by
///   default): callers get the old key while it is valid, else the last error, at once;
/// * a fetched key that is already inside the margin (or past its expiry by this clock) is
///   served, and the next fetch waits for the first backoff (1 s): a service handing out a
///   key near its end is not asked again on every call.
///
/// The sync view ([`CredentialsProvider::credentials`]) is the blocking adapter: it runs the
/// fetch through [`FetchCredentials::fetch_blocking`]. A leader dropped midway (a cancelled
/// future) hands the flight on to the next caller.
///
/// ```
/// use std::sync::Arc;
/// use std::time::{Duration, SystemTime};
/// use cos_sign_std::credentials::*;
/// #[derive(Debug)]
/// struct Fixed;
/// impl FetchCredentials for Fixed {
///     fn source(&self) -> String { "fixed".into() }
///     fn fetch(&self) -> CredentialsFuture<'_> {
///         let exp = SystemTime::now() + Duration::from_secs(3600);
///         Box::pin(async move { Ok(Credentials::new("AKIDtmp", "k").with_token("t").with_expiry(exp)) })
///     }
/// }
/// let p = RefreshingProvider::new(Fixed);
/// assert_eq!(p.credentials()?.secret_id(), "AKIDtmp");
/// assert_eq!(p.credentials()?.secret_id(), "AKIDtmp");
/// assert_eq!(p.fetches(), 1);
/// # Ok::<(), CredentialsError>(())
/// ```
pub struct RefreshingProvider<F: ?Sized> {
    margin: Duration,
    backoff: (Duration, Duration),
    wait_limit: Duration,
    clock: Clock,
    shared: Arc<RefreshShared>,
    fetcher: Arc<F>,
}

impl<F: ?Sized + fmt::Debug> fmt::Debug for RefreshingProvider<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshingProvider")
            .field("fetcher", &self.fetcher)
            .field("margin", &self.margin)
            .field("backoff", &self.backoff)
            .field("wait_limit", &self.wait_limit)
            .finish_non_exhaustive()
    }
}

impl<F: FetchCredentials> RefreshingProvider<F> {
    /// Serves `fetcher` with the defaults (margin 5 min, backoff 1 s to 60 s, sync wait 30 s).
    pub fn new(fetcher: F) -> Self {
        Self::from_arc(Arc::new(fetcher))
    }
}

impl<F: FetchCredentials + ?Sized> RefreshingProvider<F> {
    /// As [`new`](RefreshingProvider::new), for a shared (or unsized) fetcher.
    pub fn from_arc(fetcher: Arc<F>) -> Self {
        Self {
            margin: Duration::from_secs(300),
            backoff: (Duration::from_secs(1), Duration::from_secs(60)),
            wait_limit: Duration::from_secs(30),
            clock: Clock::system(),
            shared: Arc::default(),
            fetcher,
        }
    }

    /// Refreshes this long before expiry.
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// After `n` consecutive failures, no fetch for `min(first * 2^(n-1), max)`.
    pub fn with_backoff(mut self, first: Duration, max: Duration) -> Self {
        self.backoff = (first, max.max(first));
        self
    }

    /// The longest a sync caller waits for a fetch.
    pub fn with_wait_limit(mut self, limit: Duration) -> Self {
        self.wait_limit = limit;
        self
    }

    /// Judges expiry on this clock (tests inject a fixed one).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The fetcher.
    pub fn fetcher(&self) -> &F {
        &self.fetcher
    }

    /// How many fetches were started so far.
    pub fn fetches(&self) -> u64 {
        self.shared.lock().fetches
    }

    /// The cached key, if any (valid or not).
    pub fn cached(&self) -> Option<Credentials> {
        self.shared.lock().cached.clone()
    }

    fn backoff_after(&self, failures: u32) -> Duration {
        let (first, max) = self.backoff;
        let factor = 1u32
            .checked_shl(failures.saturating_sub(1))
            .unwrap_or(u32::MAX);
        first.checked_mul(factor).map_or(max, |d| d.min(max))
    }

    /// Whether `c` is still valid, and whether it is fresh (outside the margin).
    fn judge(&self, c: &Credentials) -> (bool, bool) {
        match c.expiry() {
            None => (true, true),
            Some(exp) => {
                let now = self.clock.now();
                let exp = system_secs(exp);
                let margin = i64::try_from(self.margin.as_secs()).unwrap_or(i64::MAX);
                (now < exp, now < exp.saturating_sub(margin))
            }
        }
    }

    fn step(&self, force: bool, seen: Option<u64>) -> Step {
        let mut st = self.shared.lock();
        let valid = match &st.cached {
            Some(c) => {
                let (valid, fresh) = self.judge(c);
                if fresh && !force {
                    return Step::Serve(c.clone());
                }
                valid.then(|| c.clone())
            }
            None => None,
        };
        // A forced refresh that saw a flight end is served by that flight.
        if force && seen.is_some_and(|g| g != st.generation) {
            return match (valid, st.last_error.clone()) {
                (Some(c), _) => Step::Serve(c),
                (None, Some(e)) => Step::Fail(e),
                (None, None) => Step::Lead,
            };
        }
        if st.in_flight {
            return match valid {
                Some(c) if !force => Step::Serve(c),
                _ => Step::Wait(st.generation),
            };
        }
        if let Some(at) = st.retry_at
            && Instant::now() < at
        {
            return match (valid, &st.last_error, &st.cached) {
                (Some(c), _, _) => Step::Serve(c),
                // The last fetch succeeded, with a key already past its expiry by this clock
                // (one behind the service's, or a service handing out old keys): that key,
                // until the backoff ends, rather than a fetch on every call.
                (None, None, Some(c)) => Step::Serve(c.clone()),
                (None, e, _) => Step::Fail(e.clone().unwrap_or(CredentialsError::Expired {
                    source: self.fetcher.source(),
                })),
            };
        }
        st.in_flight = true;
        st.fetches += 1;
        Step::Lead
    }

    /// Records the leader's result and answers it (the old key while valid on failure).
    fn finish(
        &self,
        result: Result<Credentials, CredentialsError>,
    ) -> Result<Credentials, CredentialsError> {
        let mut st = self.shared.lock();
        let out = match result {
            Ok(c) => {
                // A key that arrives inside the margin (or expired) is served, but the next
                // fetch waits for the first backoff: a service that keeps handing out the
                // same near-expiry key is not asked again on every call.
                st.failures = 0;
                st.retry_at = if self.judge(&c).1 {
                    None
                } else {
                    Instant::now().checked_add(self.backoff.0)
                };
                st.cached = Some(c.clone());
                st.last_error = None;
                Ok(c)
            }
            Err(e) => {
                st.failures = st.failures.saturating_add(1);
                st.retry_at = Instant::now().checked_add(self.backoff_after(st.failures));
                st.last_error = Some(e.clone());
                match st.cached.as_ref().filter(|c| self.judge(c).0) {
                    Some(c) => Ok(c.clone()),
                    None => Err(e),
                }
            }
        };
        self.shared.publish(&mut st);
        out
    }

    async fn get_async(&self, force: bool) -> Result<Credentials, CredentialsError> {
        let mut seen = None;
        loop {
            match self.step(force, seen) {
                Step::Serve(c) => return Ok(c),
                Step::Fail(e) => return Err(e),
                Step::Wait(g) => {
                    seen = Some(g);
                    WaitFlight {
                        shared: &self.shared,
                        generation: g,
                    }
                    .await;
                }
                Step::Lead => {
                    let mut guard = FlightGuard(Some(&self.shared));
                    let result = self.fetcher.fetch().await;
                    guard.0 = None;
                    return self.finish(result);
                }
            }
        }
    }

    /// Fetches a new key now (joining a fetch already in flight), whatever the cache holds.
    /// Call it at start-up or from a background task so that signing never waits.
    ///
    /// # Errors
    /// The fetch failed and no valid key is cached, or a backoff is running.
    pub async fn refresh(&self) -> Result<Credentials, CredentialsError> {
        self.get_async(true).await
    }

    fn get_blocking(&self) -> Result<Credentials, CredentialsError> {
        let deadline = Instant::now() + self.wait_limit;
        loop {
            match self.step(false, None) {
                Step::Serve(c) => return Ok(c),
                Step::Fail(e) => return Err(e),
                Step::Wait(g) => {
                    let mut st = self.shared.lock();
                    while st.generation == g {
                        let now = Instant::now();
                        if now >= deadline {
                            return Err(CredentialsError::Timeout {
                                source: self.fetcher.source(),
                                after: self.wait_limit,
                            });
                        }
                        st = self
                            .shared
                            .done
                            .wait_timeout(st, deadline - now)
                            .unwrap_or_else(PoisonError::into_inner)
                            .0;
                    }
                }
                Step::Lead => {
                    let mut guard = FlightGuard(Some(&self.shared));
                    let limit = deadline.saturating_duration_since(Instant::now());
                    let result =
                        Arc::clone(&self.fetcher)
                            .fetch_blocking(limit)
                            .map_err(|e| match e {
                                CredentialsError::Timeout { source, .. } => {
                                    CredentialsError::Timeout {
                                        source,
                                        after: self.wait_limit,
                                    }
                                }
                                e => e,
                            });
                    guard.0 = None;
                    return self.finish(result);
                }
            }
        }
    }
}

impl<F: FetchCredentials + ?Sized> CredentialsProvider for RefreshingProvider<F> {
    fn credentials(&self) -> Result<Credentials, CredentialsError> {
        self.get_blocking()
    }

    fn credentials_async(&self) -> CredentialsFuture<'_> {
        Box::pin(self.get_async(false))
    }
}

/// Ends the flight (without a result) if its leader is dropped before finishing.
struct FlightGuard<'a>(Option<&'a RefreshShared>);

impl Drop for FlightGuard<'_> {
    fn drop(&mut self) {
        if let Some(shared) = self.0.take() {
            let mut st = shared.lock();
            shared.publish(&mut st);
        }
    }
}

/// Resolves once the flight of `generation` has ended.
struct WaitFlight<'a> {
    shared: &'a RefreshShared,
    generation: u64,
}

impl Future for WaitFlight<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = self.shared.lock();
        if st.generation != self.generation {
            return Poll::Ready(());
        }
        if !st.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            st.wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}
