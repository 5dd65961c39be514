//! `cos_sign`: the Python module (pyo3) that stands in for the signing API of qcloud_cos
//! 1.9.44 (`CosConfig`, `CosS3Client.get_auth`, `get_presigned_url`,
//! `get_presigned_download_url`, `get_object_url`).
//!
//! The rules live in [`cos_sign_qcloud`]; this crate only converts Python values the way
//! the SDK does (`str()` of non-strings, bytes decoded as UTF-8, Python truthiness, lone
//! surrogates refused where the SDK's `to_bytes` refuses them) and raises the exception the
//! SDK raises at the point where it raises it: when a conversion fails here, the checks the SDK
//! makes *before* that point are run first (through compat), so the first error wins as in the
//! SDK.
//!
//! The time is read at every signing call through Python's `time.time()` (looked up on the
//! `time` module at call time), exactly like the SDK, so patching `time.time` works.

use std::borrow::Cow;
use std::sync::{Arc, Mutex, PoisonError};

use cos_sign_qcloud::{
    Bucket, ErrorKind, Op, Presigned, SdkCall, SdkConfig as CompatConfig, SdkError as CompatError,
    SdkKey as CompatKey, SdkOptions as CompatOptions, Stage,
};
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::{PyAttributeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyModule, PyString, PyTuple, PyType};

// ---------------------------------------------------------------------------------------------
// exceptions

static CLIENT_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static REFUSED_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static TIME_MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
static CONVERT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

const EXC_MODULE: &str = "cos_sign._exceptions";
const MSG_ENCODE: &str = "your unicode strings can not encoded in utf8, utf8 support only!";
const MSG_DECODE: &str = "your bytes strings can not be decoded in utf8, utf8 support only!";
const MSG_BAD_BYTES: &str =
    "bytes that are not valid UTF-8 in a header or param are refused by cos_sign";

/// `cos_sign.CosClientError(message)`.
fn client_error(py: Python<'_>, msg: impl Into<String>) -> PyErr {
    match CLIENT_ERROR.import(py, EXC_MODULE, "CosClientError") {
        Ok(t) => PyErr::from_type(t.clone(), msg.into()),
        Err(e) => e,
    }
}

/// `cos_sign.CosRefusedError(message)`: a refusal qcloud_cos does not make.
fn refused_error(py: Python<'_>, msg: impl Into<String>) -> PyErr {
    match REFUSED_ERROR.import(py, EXC_MODULE, "CosRefusedError") {
        Ok(t) => PyErr::from_type(t.clone(), msg.into()),
        Err(e) => e,
    }
}

fn compat_err(py: Python<'_>, e: CompatError) -> PyErr {
    match e.kind {
        ErrorKind::Refused => refused_error(py, e.message),
        ErrorKind::ValueError => PyValueError::new_err(e.message),
        ErrorKind::TypeError => PyTypeError::new_err(e.message),
        ErrorKind::AttributeError => PyAttributeError::new_err(e.message),
        _ => client_error(py, e.message),
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "object".to_owned(), |n| n.to_string())
}

fn no_endswith(obj: &Bound<'_, PyAny>) -> PyErr {
    PyAttributeError::new_err(format!(
        "'{}' object has no attribute 'endswith'",
        type_name(obj)
    ))
}

// ---------------------------------------------------------------------------------------------
// conversions

/// Why a value could not become text.
enum Conv {
    /// A `str` with a lone surrogate (the SDK's `to_bytes` raises `CosClientError`).
    Surrogate,
    /// `bytes` that are not UTF-8.
    BadBytes,
    /// A Python exception (from `str()` of an object).
    Py(PyErr),
}

/// The SDK's `to_str` then `to_bytes`: `str` as is, `bytes` decoded, anything else `str()`.
fn text_of(obj: &Bound<'_, PyAny>) -> Result<String, Conv> {
    if let Ok(s) = obj.cast::<PyString>() {
        return s.to_str().map(str::to_owned).map_err(|_| Conv::Surrogate);
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return std::str::from_utf8(b.as_bytes())
            .map(str::to_owned)
            .map_err(|_| Conv::BadBytes);
    }
    let s = obj.str().map_err(Conv::Py)?;
    s.to_str().map(str::to_owned).map_err(|_| Conv::Surrogate)
}

/// `"{}".format(obj)`: a `str` as is, anything else `str(obj)` (bytes as `b'...'`).
fn format_of(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<String> {
    let s = match obj.cast::<PyString>() {
        Ok(s) => s.clone(),
        Err(_) => obj.str()?,
    };
    s.to_str()
        .map(str::to_owned)
        .map_err(|_| client_error(py, MSG_ENCODE))
}

fn conv_err(py: Python<'_>, c: Conv) -> PyErr {
    match c {
        Conv::Surrogate => client_error(py, MSG_ENCODE),
        Conv::BadBytes => refused_error(py, MSG_BAD_BYTES),
        Conv::Py(e) => e,
    }
}

/// `to_unicode` for a config value used as text (`str()` of other types, as `format` does):
/// `None` stays `None`.
fn unicode_opt(py: Python<'_>, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if let Ok(b) = obj.cast::<PyBytes>() {
        return std::str::from_utf8(b.as_bytes())
            .map(|s| Some(s.to_owned()))
            .map_err(|_| client_error(py, MSG_DECODE));
    }
    match text_of(obj) {
        Ok(s) => Ok(Some(s)),
        Err(c) => Err(conv_err(py, c)),
    }
}

/// `to_unicode(value)` as a Python object (bytes decoded, anything else unchanged).
fn to_unicode<'py>(py: Python<'py>, obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return match std::str::from_utf8(b.as_bytes()) {
            Ok(s) => Ok(PyString::new(py, s).into_any()),
            Err(_) => Err(client_error(py, MSG_DECODE)),
        };
    }
    Ok(obj.clone())
}

fn truthy(obj: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
    match obj {
        None => Ok(false),
        Some(o) => o.is_truthy(),
    }
}

/// A `Bucket` argument: a `str` (a lone surrogate replaced by U+FFFD, which the SDK's pattern
/// refuses as it refuses the surrogate), or a value of another type.
enum BucketArg<'a> {
    Text(Cow<'a, str>),
    NotString,
}

impl BucketArg<'_> {
    fn get(&self) -> Bucket<'_> {
        match self {
            BucketArg::Text(t) => Bucket::Name(t),
            BucketArg::NotString => Bucket::NotString,
        }
    }
}

fn bucket_arg<'a>(obj: &'a Bound<'_, PyAny>) -> Option<BucketArg<'a>> {
    if obj.is_none() {
        return None;
    }
    Some(match obj.cast::<PyString>() {
        Ok(s) => BucketArg::Text(s.to_cow().unwrap_or_else(|_| s.to_string_lossy())),
        Err(_) => BucketArg::NotString,
    })
}

/// A key (`path`) argument as compat takes it.
enum KeyArg<'a> {
    /// A `str`, or `bytes` decoded.
    Text(Cow<'a, str>),
    /// `None` (allowed by `uri()` and `get_auth`: the path is then `/`).
    None,
}

/// Converts a key as `uri()` does: `None` stays `None`; a falsy value is "Key is required not
/// empty"; `bytes` are decoded; a lone surrogate fails `to_bytes` (`CosClientError`); another
/// type fails `path[0]` (`TypeError`, which the SDK raises only after the host checks: the
/// caller runs them first).
fn key_arg<'a>(py: Python<'_>, obj: &'a Bound<'_, PyAny>) -> Result<KeyArg<'a>, PyErr> {
    if obj.is_none() {
        return Ok(KeyArg::None);
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return match s.to_str() {
            Ok(t) => Ok(KeyArg::Text(Cow::Borrowed(t))),
            Err(_) => Err(client_error(py, MSG_ENCODE)),
        };
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return match std::str::from_utf8(b.as_bytes()) {
            Ok(t) => Ok(KeyArg::Text(Cow::Owned(t.to_owned()))),
            Err(_) => Err(client_error(py, MSG_DECODE)),
        };
    }
    if !obj.is_truthy()? {
        return Err(client_error(py, "Key is required not empty"));
    }
    Err(PyTypeError::new_err(format!(
        "'{}' object is not subscriptable",
        type_name(obj)
    )))
}

impl KeyArg<'_> {
    fn as_opt(&self) -> Option<&str> {
        match self {
            KeyArg::Text(t) => Some(t),
            KeyArg::None => None,
        }
    }
}

/// Whether the SDK's `filter_headers` keeps a header of this name (`str.lower(name)` in the
/// allow-list).
fn keeps_header(name: &Bound<'_, PyString>) -> bool {
    match name.to_str() {
        Ok(n) => cos_sign_std::rules::is_signed_header(n),
        Err(_) => cos_sign_std::rules::is_signed_header(&name.to_string_lossy()),
    }
}

/// Iterates a mapping's items in order (a dict directly, else through `.items()`).
fn for_each_item<'py>(
    obj: &Bound<'py, PyAny>,
    mut f: impl FnMut(Bound<'py, PyAny>, Bound<'py, PyAny>) -> PyResult<()>,
) -> PyResult<()> {
    if let Ok(d) = obj.cast::<PyDict>() {
        for (k, v) in d.iter() {
            f(k, v)?;
        }
        return Ok(());
    }
    for item in obj.call_method0("items")?.try_iter()? {
        let (k, v): (Bound<'py, PyAny>, Bound<'py, PyAny>) = item?.extract()?;
        f(k, v)?;
    }
    Ok(())
}

/// `int(time.time())`, reading `time.time` at every call.
fn now(py: Python<'_>) -> PyResult<i64> {
    let time = TIME_MODULE.get_or_try_init(py, || py.import("time").map(Bound::unbind))?;
    let t = time.bind(py).getattr(pyo3::intern!(py, "time"))?.call0()?;
    if let Ok(f) = t.cast::<PyFloat>() {
        let v = f.value().trunc();
        if v.is_finite() && v.abs() < 9.0e18 {
            // The value is integral and in range: the cast is exact.
            #[allow(clippy::cast_possible_truncation)]
            return Ok(v as i64);
        }
    }
    if let (true, Ok(v)) = (t.is_instance_of::<PyInt>(), t.extract::<i64>()) {
        return Ok(v);
    }
    // int(t), for any other number type time.time may have been patched to return
    let builtins = py.import("builtins")?;
    builtins.getattr("int")?.call1((t,))?.extract()
}

// ---------------------------------------------------------------------------------------------
// CosConfig

/// What a `CosConfig` holds for signing; replaced as a whole by `set_ip_port` and
/// `set_credential`, so a call works on one consistent snapshot.
#[derive(Debug, Clone)]
struct State {
    compat: CompatConfig,
    /// `SecretKey` holds a lone surrogate: the SDK refuses it when signing.
    poisoned_key: bool,
    /// `SignParams` truthiness.
    sign_params: bool,
    /// `Anonymous` truthiness.
    anonymous: bool,
    /// `Domain` was given (the bucket is then not used in URLs).
    has_domain: bool,
}

/// `CosConfig` of qcloud_cos 1.9.44: every keyword argument, order and default of its
/// `__init__`; the HTTP ones are stored (readable as the SDK's `_timeout`, `_proxies`, ...).
#[pyclass(module = "cos_sign", frozen)]
#[derive(Debug)]
struct CosConfig {
    state: Mutex<Arc<State>>,
    /// The SDK's attributes (`_region`, `_timeout`, ...), without the secret key.
    attrs: Py<PyDict>,
    /// The `CredentialInstance`, read at every call.
    cred: Option<Py<PyAny>>,
}

/// A keyword argument whose default is not `None` (so an explicit `None` can be told apart).
#[derive(Debug, Clone)]
struct Arg<'py>(Option<Bound<'py, PyAny>>);

impl<'a, 'py> FromPyObject<'a, 'py> for Arg<'py> {
    type Error = PyErr;
    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Ok(Arg(Some(obj.to_owned())))
    }
}

impl<'py> Arg<'py> {
    const MISSING: Arg<'static> = Arg(None);

    fn or_default<T>(self, py: Python<'py>, default: T) -> Bound<'py, PyAny>
    where
        T: IntoPyObject<'py>,
    {
        match self.0 {
            Some(v) => v,
            None => default
                .into_bound_py_any(py)
                .unwrap_or_else(|_| py.None().into_bound(py)),
        }
    }
}

fn opt_any<'py>(py: Python<'py>, v: Option<&Bound<'py, PyAny>>) -> Bound<'py, PyAny> {
    v.cloned().unwrap_or_else(|| py.None().into_bound(py))
}

/// `CosConfig.convert_secret_value` type handling: text for compat, or the error.
fn secret_text(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<(String, bool)> {
    let u = to_unicode(py, obj)?;
    match u.cast::<PyString>() {
        Ok(s) => match s.to_str() {
            Ok(t) => Ok((t.to_owned(), false)),
            // A lone surrogate: accepted here, refused when signing. Keep the spaces check.
            Err(_) => {
                let lossy = s.to_string_lossy().into_owned();
                Ok((lossy, true))
            }
        },
        Err(_) => Err(no_endswith(obj)),
    }
}

#[pymethods]
impl CosConfig {
    /// The keywords are converted by `cos_sign._config.convert` (plain Python), checked by
    /// [`CompatConfig::new`].
    #[new]
    #[pyo3(signature = (*args, **kwargs),
        text_signature = "(Appid=None, Region=None, SecretId=None, SecretKey=None, Token=None, CredentialInstance=None, Scheme=None, Timeout=None, Access_id=None, Access_key=None, Secret_id=None, Secret_key=None, Endpoint=None, IP=None, Port=None, Anonymous=None, UA=None, Proxies=None, Domain=None, ServiceDomain=None, KeepAlive=True, PoolConnections=10, PoolMaxSize=10, AllowRedirects=False, SignHost=True, EndpointCi=None, EndpointPic=None, EnableOldDomain=True, EnableInternalDomain=True, SignParams=True, AutoSwitchDomainOnRetry=False, VerifySSL=None, SSLCert=None)")]
    fn new<'py>(
        py: Python<'py>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Self> {
        let convert = CONVERT.import(py, "cos_sign._config", "convert")?;
        type Converted<'py> = (
            Bound<'py, PyDict>,
            Bound<'py, PyDict>,
            Bound<'py, PyAny>,
            Option<Bound<'py, PyAny>>,
            bool,
            bool,
            Option<String>,
            bool,
        );
        let (o, attrs, cred, secret_error, poisoned_key, pic_from_ci, pic_region, has_domain): Converted<'py> =
            convert.call(args, kwargs)?.extract()?;
        let text = |k: &str| -> PyResult<Option<String>> {
            o.get_item(k)?.map_or(Ok(None), |v| v.extract())
        };
        let flag =
            |k: &str| -> PyResult<bool> { o.get_item(k)?.map_or(Ok(false), |v| v.extract()) };
        let mut opts = CompatOptions::default()
            .appid_not_string(flag("appid_not_string")?)
            .credential_instance(flag("credential_instance")?)
            .anonymous(flag("anonymous")?)
            .sign_host(flag("sign_host")?)
            .enable_old_domain(flag("enable_old_domain")?)
            .enable_internal_domain(flag("enable_internal_domain")?)
            .sign_params(flag("sign_params")?);
        (opts.appid, opts.region, opts.scheme) = (text("appid")?, text("region")?, text("scheme")?);
        (opts.endpoint, opts.ip, opts.port) = (text("endpoint")?, text("ip")?, text("port")?);
        (opts.domain, opts.endpoint_ci) = (text("domain")?, text("endpoint_ci")?);
        (opts.secret_id, opts.secret_key) = (text("secret_id")?, text("secret_key")?);
        let (anonymous, sign_params) =
            (opts.anonymous == Some(true), opts.sign_params == Some(true));
        // The SDK's checks before the secrets come first; then a secret's type error.
        let compat = CompatConfig::new(opts).map_err(|e| compat_err(py, e))?;
        if let Some(e) = secret_error {
            return Err(PyErr::from_value(e));
        }
        let pic = if pic_from_ci {
            compat.endpoint_ci().map(str::to_owned)
        } else {
            pic_region
                .and_then(|r| cos_sign_std::config::format_region(&r, "pic.", true, false).ok())
                .map(|p| format!("{p}.myqcloud.com"))
        };
        attrs.set_item("_endpoint_ci", compat.endpoint_ci())?;
        attrs.set_item("_endpoint_pic", pic)?;
        attrs.set_item("_scheme", compat.scheme())?;
        attrs.set_item("_secret_id", compat.secret_id())?;
        if !has_domain {
            attrs.set_item("_endpoint", compat.endpoint())?;
        }
        let cred = compat.uses_credential_instance().then(|| cred.unbind());
        Ok(CosConfig {
            state: Mutex::new(Arc::new(State {
                compat,
                poisoned_key,
                sign_params,
                anonymous,
                has_domain,
            })),
            attrs: attrs.clone().unbind(),
            cred,
        })
    }

    /// `CosConfig.uri(bucket=None, path=None, endpoint=None, domain=None, useAppid=False)`.
    #[pyo3(signature = (bucket=None, path=None, endpoint=None, domain=None, useAppid=None),
        text_signature = "($self, bucket=None, path=None, endpoint=None, domain=None, useAppid=False)")]
    #[allow(non_snake_case)]
    fn uri<'py>(
        &self,
        py: Python<'py>,
        bucket: Option<Bound<'py, PyAny>>,
        path: Option<Bound<'py, PyAny>>,
        endpoint: Option<Bound<'py, PyAny>>,
        domain: Option<Bound<'py, PyAny>>,
        useAppid: Option<Bound<'py, PyAny>>,
    ) -> PyResult<String> {
        let st = self.snapshot();
        let none = py.None().into_bound(py);
        let bucket = bucket.unwrap_or_else(|| none.clone());
        let path = path.unwrap_or_else(|| none.clone());
        let endpoint = unicode_opt(py, endpoint.as_ref())?;
        let mut domain = unicode_opt(py, domain.as_ref())?;
        let b = bucket_arg(&bucket);
        if b.is_none() && domain.is_none() && !st.has_domain && truthy(useAppid.as_ref())? {
            // "{appid}.{endpoint}"
            let appid = self.attrs.bind(py).get_item("_appid")?;
            let appid = match appid {
                Some(a) => format_of(py, &a)?,
                None => "None".to_owned(),
            };
            let ep = endpoint
                .as_deref()
                .or(st.compat.endpoint())
                .unwrap_or("None");
            domain = Some(format!("{appid}.{ep}"));
        }
        let key = match key_arg(py, &path) {
            Ok(k) => k,
            Err(e) => {
                // the host checks come first
                st.compat
                    .uri(
                        b.as_ref().map(BucketArg::get),
                        None,
                        endpoint.as_deref(),
                        domain.as_deref(),
                    )
                    .map_err(|e| compat_err(py, e))?;
                return Err(e);
            }
        };
        st.compat
            .uri(
                b.as_ref().map(BucketArg::get),
                key.as_opt(),
                endpoint.as_deref(),
                domain.as_deref(),
            )
            .map_err(|e| compat_err(py, e))
    }

    /// `CosConfig.get_host(Bucket=None, Appid=None)`.
    #[pyo3(signature = (Bucket=None, Appid=None))]
    #[allow(non_snake_case)]
    fn get_host<'py>(
        &self,
        py: Python<'py>,
        Bucket: Option<Bound<'py, PyAny>>,
        Appid: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Option<String>> {
        let st = self.snapshot();
        let b = Bucket.as_ref().and_then(|b| bucket_arg(b));
        let appid = match &Appid {
            Some(a) if !a.is_none() => Some(format_of(py, a)?),
            _ => None,
        };
        let r = st
            .compat
            .get_host(b.as_ref().map(BucketArg::get), appid.as_deref())
            .map_err(|e| compat_err(py, e))?;
        Ok(r)
    }

    /// `CosConfig.set_ip_port(IP, Port=None)`.
    #[pyo3(signature = (IP, Port=None))]
    #[allow(non_snake_case)]
    fn set_ip_port<'py>(
        &self,
        py: Python<'py>,
        IP: Bound<'py, PyAny>,
        Port: Option<Bound<'py, PyAny>>,
    ) -> PyResult<()> {
        let ip_u = to_unicode(py, &IP)?;
        let ip = unicode_opt(py, Some(&ip_u))?;
        let port = match &Port {
            Some(p) if !p.is_none() => Some(format_of(py, p)?),
            _ => None,
        };
        self.update(|s| s.compat.set_ip_port(ip, port));
        let attrs = self.attrs.bind(py);
        attrs.set_item("_ip", ip_u)?;
        attrs.set_item("_port", opt_any(py, Port.as_ref()))?;
        Ok(())
    }

    /// `CosConfig.set_credential(SecretId, SecretKey, Token=None)`; like qcloud_cos 1.9.44 it
    /// raises `AttributeError` when `Token` is left out (after storing the id and key).
    #[pyo3(signature = (SecretId, SecretKey, Token=None))]
    #[allow(non_snake_case)]
    fn set_credential<'py>(
        &self,
        py: Python<'py>,
        SecretId: Bound<'py, PyAny>,
        SecretKey: Bound<'py, PyAny>,
        Token: Option<Bound<'py, PyAny>>,
    ) -> PyResult<()> {
        let (id, _) = secret_text(py, &SecretId)?;
        let (key, poisoned) = secret_text(py, &SecretKey)?;
        // the token is converted after the id and key are stored
        let (token, token_err) = match &Token {
            Some(t) if !t.is_none() => match secret_text(py, t) {
                Ok((t, _)) => (Some(t), None),
                Err(e) => (None, Some(e)),
            },
            _ => (None, None),
        };
        let mut result = Ok(());
        self.update(|s| {
            result = s.compat.set_credential(id, key, token);
            s.poisoned_key = poisoned;
        });
        let st = self.snapshot();
        let attrs = self.attrs.bind(py);
        attrs.set_item("_secret_id", st.compat.secret_id())?;
        if let Some(e) = token_err {
            return Err(e);
        }
        if result.is_ok() {
            attrs.set_item("_token", st.compat.token())?;
        }
        result.map_err(|e| compat_err(py, e))
    }

    fn __getattr__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        match self.attrs.bind(py).get_item(name)? {
            Some(v) => Ok(v),
            None => Err(PyAttributeError::new_err(format!(
                "'CosConfig' object has no attribute '{name}'"
            ))),
        }
    }
}

impl CosConfig {
    fn snapshot(&self) -> Arc<State> {
        Arc::clone(&self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn update(&self, f: impl FnOnce(&mut State)) {
        let mut guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next = State::clone(&guard);
        f(&mut next);
        *guard = Arc::new(next);
    }
}

// ---------------------------------------------------------------------------------------------
// CosS3Client

/// `CosS3Client(conf, retry=3, session=None)` of qcloud_cos 1.9.44, with its signing and URL
/// methods.
#[pyclass(module = "cos_sign", frozen)]
#[derive(Debug)]
struct CosS3Client {
    conf: Py<CosConfig>,
    retry: Py<PyAny>,
    session: Py<PyAny>,
}

/// One signing call's converted arguments.
struct Call<'a> {
    method: Cow<'a, str>,
    bucket: Option<BucketArg<'a>>,
    key: KeyArg<'a>,
    expired: i64,
    headers: Vec<(String, String)>,
    params: Vec<(String, String)>,
    sign_host: Option<bool>,
    use_ci: bool,
    /// `CosS3Auth`: the URL of the request signed (instead of the bucket and key's).
    url: Option<String>,
    /// A param the signature does not use (`SignParams=False`) that cannot be converted: the
    /// SDK's `urlencode(Params)` fails after signing.
    deferred: Option<PyErr>,
}

/// One signing call's Python arguments, as given.
struct PyArgs<'a, 'py> {
    kind: Op,
    method: &'a Bound<'py, PyAny>,
    bucket: &'a Bound<'py, PyAny>,
    key: &'a Bound<'py, PyAny>,
    expired: Arg<'py>,
    headers: Option<Bound<'py, PyAny>>,
    params: Option<Bound<'py, PyAny>>,
    sign_host: Option<Bound<'py, PyAny>>,
    use_ci: Option<Bound<'py, PyAny>>,
    /// `CosS3Auth`: the URL of the request signed (its headers are the caller's to set).
    url: Option<&'a str>,
}

type Opt<'py> = Option<Bound<'py, PyAny>>;

impl<'a, 'py> PyArgs<'a, 'py> {
    fn new(
        kind: Op,
        method: &'a Bound<'py, PyAny>,
        bucket: &'a Bound<'py, PyAny>,
        key: &'a Bound<'py, PyAny>,
        expired: Arg<'py>,
    ) -> Self {
        let (headers, params, sign_host, use_ci, url) = (None, None, None, None, None);
        PyArgs {
            kind,
            method,
            bucket,
            key,
            expired,
            headers,
            params,
            sign_host,
            use_ci,
            url,
        }
    }

    /// `Headers`, `Params`, `SignHost`, `UseCiEndPoint`.
    fn with(self, headers: Opt<'py>, params: Opt<'py>, sign_host: Opt<'py>, ci: Opt<'py>) -> Self {
        PyArgs {
            headers,
            params,
            sign_host,
            use_ci: ci,
            ..self
        }
    }
}

#[pymethods]
impl CosS3Client {
    #[new]
    #[pyo3(signature = (conf, retry=Arg::MISSING, session=None),
        text_signature = "(conf, retry=3, session=None)")]
    fn new<'py>(
        py: Python<'py>,
        conf: Bound<'py, CosConfig>,
        retry: Arg<'py>,
        session: Option<Bound<'py, PyAny>>,
    ) -> Self {
        CosS3Client {
            conf: conf.unbind(),
            retry: retry.or_default(py, 3).unbind(),
            session: opt_any(py, session.as_ref()).unbind(),
        }
    }

    /// The `CosConfig` this client was made with.
    fn get_conf(&self, py: Python<'_>) -> Py<CosConfig> {
        self.conf.clone_ref(py)
    }

    /// `get_auth(Method, Bucket, Key, Expired=300, Headers={}, Params={}, SignHost=None,
    /// UseCiEndPoint=False)`: the Authorization header value.
    #[pyo3(signature = (Method, Bucket, Key, Expired=Arg::MISSING, Headers=None, Params=None,
        SignHost=None, UseCiEndPoint=None),
        text_signature = "($self, Method, Bucket, Key, Expired=300, Headers={}, Params={}, SignHost=None, UseCiEndPoint=False)")]
    #[allow(non_snake_case, clippy::too_many_arguments)]
    fn get_auth<'py>(
        &self,
        py: Python<'py>,
        Method: Bound<'py, PyAny>,
        Bucket: Bound<'py, PyAny>,
        Key: Bound<'py, PyAny>,
        Expired: Arg<'py>,
        Headers: Option<Bound<'py, PyAny>>,
        Params: Option<Bound<'py, PyAny>>,
        SignHost: Option<Bound<'py, PyAny>>,
        UseCiEndPoint: Option<Bound<'py, PyAny>>,
    ) -> PyResult<String> {
        let a = PyArgs::new(Op::Auth, &Method, &Bucket, &Key, Expired);
        self.call(py, a.with(Headers, Params, SignHost, UseCiEndPoint))
    }

    /// `get_presigned_url(Bucket, Key, Method, Expired=300, Params={}, Headers={},
    /// UseCiEndPoint=False, SignHost=None)`: the pre-signed URL.
    #[pyo3(signature = (Bucket, Key, Method, Expired=Arg::MISSING, Params=None, Headers=None,
        UseCiEndPoint=None, SignHost=None),
        text_signature = "($self, Bucket, Key, Method, Expired=300, Params={}, Headers={}, UseCiEndPoint=False, SignHost=None)")]
    #[allow(non_snake_case, clippy::too_many_arguments)]
    fn get_presigned_url<'py>(
        &self,
        py: Python<'py>,
        Bucket: Bound<'py, PyAny>,
        Key: Bound<'py, PyAny>,
        Method: Bound<'py, PyAny>,
        Expired: Arg<'py>,
        Params: Option<Bound<'py, PyAny>>,
        Headers: Option<Bound<'py, PyAny>>,
        UseCiEndPoint: Option<Bound<'py, PyAny>>,
        SignHost: Option<Bound<'py, PyAny>>,
    ) -> PyResult<String> {
        let a = PyArgs::new(Op::Presign, &Method, &Bucket, &Key, Expired);
        self.call(py, a.with(Headers, Params, SignHost, UseCiEndPoint))
    }

    /// `get_presigned_download_url(Bucket, Key, Expired=300, Params={}, Headers={},
    /// UseCiEndPoint=False, SignHost=None)`: the pre-signed GET URL.
    #[pyo3(signature = (Bucket, Key, Expired=Arg::MISSING, Params=None, Headers=None,
        UseCiEndPoint=None, SignHost=None),
        text_signature = "($self, Bucket, Key, Expired=300, Params={}, Headers={}, UseCiEndPoint=False, SignHost=None)")]
    #[allow(non_snake_case, clippy::too_many_arguments)]
    fn get_presigned_download_url<'py>(
        &self,
        py: Python<'py>,
        Bucket: Bound<'py, PyAny>,
        Key: Bound<'py, PyAny>,
        Expired: Arg<'py>,
        Params: Option<Bound<'py, PyAny>>,
        Headers: Option<Bound<'py, PyAny>>,
        UseCiEndPoint: Option<Bound<'py, PyAny>>,
        SignHost: Option<Bound<'py, PyAny>>,
    ) -> PyResult<String> {
        let get = PyString::new(py, "GET").into_any();
        let a = PyArgs::new(Op::Presign, &get, &Bucket, &Key, Expired);
        self.call(py, a.with(Headers, Params, SignHost, UseCiEndPoint))
    }

    /// What `CosS3Auth(conf, key, params, expire, sign_host)(r)` computes for a request of
    /// `method` to `url` carrying `headers`: its Authorization (`cos_sign.CosS3Auth` calls it).
    #[pyo3(signature = (method, url, key, expire, headers, params, sign_host))]
    #[allow(clippy::too_many_arguments)]
    fn _sign_request<'py>(
        &self,
        py: Python<'py>,
        method: Bound<'py, PyAny>,
        url: &str,
        key: Bound<'py, PyAny>,
        expire: Bound<'py, PyAny>,
        headers: Bound<'py, PyAny>,
        params: Bound<'py, PyAny>,
        sign_host: Bound<'py, PyAny>,
    ) -> PyResult<String> {
        let none = py.None().into_bound(py);
        let mut a = PyArgs::new(Op::Auth, &method, &none, &key, Arg(Some(expire)));
        a.url = Some(url);
        self.call(
            py,
            a.with(Some(headers), Some(params), Some(sign_host), None),
        )
    }

    /// `get_object_url(Bucket, Key)`: the object's URL, unsigned.
    #[pyo3(signature = (Bucket, Key))]
    #[allow(non_snake_case)]
    fn get_object_url<'py>(
        &self,
        py: Python<'py>,
        Bucket: Bound<'py, PyAny>,
        Key: Bound<'py, PyAny>,
    ) -> PyResult<String> {
        self.conf
            .get()
            .uri(py, Some(Bucket), Some(Key), None, None, None)
    }

    fn __getattr__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        match name {
            "_conf" => Ok(self.conf.bind(py).clone().into_any()),
            "_retry" => Ok(self.retry.bind(py).clone()),
            "_session" => Ok(self.session.bind(py).clone()),
            "_retry_exe_times" => Ok(0_i64.into_pyobject(py)?.into_any()),
            _ if !name.starts_with('_') => Err(PyAttributeError::new_err(format!(
                "'CosS3Client' object has no attribute '{name}': cos_sign covers signing only \
                 (get_auth, get_presigned_url, get_presigned_download_url, get_object_url); \
                 for {name} use qcloud_cos.CosS3Client"
            ))),
            _ => Err(PyAttributeError::new_err(format!(
                "'CosS3Client' object has no attribute '{name}'"
            ))),
        }
    }
}

impl CosS3Client {
    /// Signs; like the SDK (whose `requests.Request` keeps the caller's dict), a truthy
    /// `Headers` mapping gets the Authorization as its `Authorization` item, also when a
    /// pre-signed URL then fails (an anonymous `""`, a SecretId with `&`).
    fn call<'py>(&self, py: Python<'py>, a: PyArgs<'_, 'py>) -> PyResult<String> {
        let (kind, headers, sets_headers) = (a.kind, a.headers.clone(), a.url.is_none());
        let r = self.sign(py, a)?;
        if let Some(h) = headers.filter(|h| sets_headers && h.is_truthy().unwrap_or(false)) {
            let auth = match &r {
                Ok(out) => Some(out.signed.authorization.as_str()),
                Err(e) => e.authorization.as_deref(),
            };
            if let Some(a) = auth {
                h.set_item("Authorization", a)?;
            }
        }
        match r {
            Ok(Signed {
                deferred: Some(e), ..
            }) => Err(e),
            Ok(Signed { signed, .. }) if kind == Op::Auth => Ok(signed.authorization),
            Ok(Signed { signed, .. }) => Ok(signed.url),
            Err(e) => Err(compat_err(py, e)),
        }
    }

    fn sign<'py>(
        &self,
        py: Python<'py>,
        a: PyArgs<'_, 'py>,
    ) -> PyResult<Result<Signed, CompatError>> {
        let PyArgs {
            kind,
            method,
            bucket,
            key,
            expired,
            headers,
            params,
            sign_host,
            use_ci,
            url,
        } = a;
        let conf = self.conf.get();
        let st = conf.snapshot();
        let use_ci = truthy(use_ci.as_ref())?;
        let sign_host = match sign_host {
            Some(s) if !s.is_none() => Some(s.is_truthy()?),
            _ => None,
        };
        let b = bucket_arg(bucket);

        // uri(): the bucket (and the appid), then the key.
        let endpoint = if use_ci {
            st.compat.endpoint_ci()
        } else {
            None
        };
        let key = match key_arg(py, key) {
            Ok(k) => k,
            Err(e) => {
                st.compat
                    .uri(b.as_ref().map(BucketArg::get), None, endpoint, None)
                    .map_err(|e| compat_err(py, e))?;
                return Err(e);
            }
        };

        // CosS3Auth.__init__: a CredentialInstance is read now, at every call.
        let instance;
        let mut poisoned = st.poisoned_key;
        let cc: &CompatConfig = match &conf.cred {
            Some(c) if st.compat.secret_id().is_none_or(str::is_empty) => {
                let c = c.bind(py);
                let id = c.getattr(pyo3::intern!(py, "secret_id"))?;
                let sk = c.getattr(pyo3::intern!(py, "secret_key"))?;
                let id = format_of(py, &id)?;
                let sk = if let Ok(s) = sk.cast::<PyString>() {
                    match s.to_str() {
                        Ok(t) => CompatKey::text(t),
                        Err(_) => {
                            // refused when signing, after everything else
                            poisoned = true;
                            CompatKey::text("")
                        }
                    }
                } else if let Ok(bs) = sk.cast::<PyBytes>() {
                    CompatKey::bytes(bs.as_bytes())
                } else {
                    CompatKey::Other(type_name(&sk))
                };
                instance = st.compat.with_instance_credentials(id, sk);
                &instance
            }
            _ => &st.compat,
        };

        let call = Call {
            method: Cow::Borrowed("get"),
            bucket: b,
            key,
            expired: 300,
            headers: Vec::new(),
            params: Vec::new(),
            sign_host,
            use_ci,
            url: url.map(str::to_owned),
            deferred: None,
        };
        if st.anonymous {
            // returns "" before looking at anything else (and get_presigned_url then fails)
            return Ok(run(kind, cc, &call, 0).map(|signed| Signed {
                signed,
                deferred: None,
            }));
        }
        let mut call = call;
        if let Some(m) = method.cast::<PyString>().ok().and_then(|s| s.to_str().ok()) {
            call.method = Cow::Borrowed(m);
        }
        match self.convert(
            py,
            kind,
            &st,
            &mut call,
            method,
            expired,
            headers.as_ref(),
            params.as_ref(),
        ) {
            Ok(()) => {}
            Err((stage, e)) => return Err(precheck(py, kind, cc, &call, stage).unwrap_or(e)),
        }
        if poisoned {
            // a secret key with a lone surrogate: the SDK fails in to_bytes(secret_key), after
            // every other check of the call
            return Err(precheck(py, kind, cc, &call, Stage::Late)
                .unwrap_or_else(|| client_error(py, MSG_ENCODE)));
        }
        let now = now(py)?;
        Ok(run(kind, cc, &call, now).map(|signed| {
            // urlencode(Params) quotes params the signature did not look at, after signing
            let deferred =
                call.deferred
                    .map(|e| match params.as_ref().map(|p| check_urlencode(py, p)) {
                        Some(Err(first)) => first,
                        _ => e,
                    });
            Signed { signed, deferred }
        }))
    }

    /// Converts method, Expired, headers and params in the SDK's order; on failure, the stage.
    #[allow(clippy::too_many_arguments)]
    fn convert<'py>(
        &self,
        py: Python<'py>,
        kind: Op,
        st: &State,
        call: &mut Call<'_>,
        method: &Bound<'py, PyAny>,
        expired: Arg<'py>,
        headers: Option<&Bound<'py, PyAny>>,
        params: Option<&Bound<'py, PyAny>>,
    ) -> Result<(), (Stage, PyErr)> {
        // filter_headers: every name must be a str; keep the allow-listed ones.
        let mut encode_err: Option<PyErr> = None;
        if let Some(h) = headers {
            let truthy = h.is_truthy().map_err(|e| (Stage::Filter, e))?;
            if truthy && !h.is_instance_of::<PyDict>() && !h.hasattr("items").unwrap_or(false) {
                // filter_headers iterates it: `str.lower(item)` of each item
                // and `data[item]` of the allow-listed ones
                for item in h.try_iter().map_err(|e| (Stage::Filter, e))? {
                    let item = item.map_err(|e| (Stage::Filter, e))?;
                    let e = match item.cast::<PyString>() {
                        Err(_) => PyTypeError::new_err(format!(
                            "descriptor 'lower' for 'str' objects doesn't apply to a '{}' object",
                            type_name(&item)
                        )),
                        Ok(name) if keeps_header(name) => PyTypeError::new_err(format!(
                            "{} indices must be integers or slices, not str",
                            type_name(h)
                        )),
                        Ok(_) => continue,
                    };
                    return Err((Stage::Filter, e));
                }
            } else if truthy {
                let mut filter_err: Option<PyErr> = None;
                let mut kept: Vec<(String, String)> = Vec::new();
                for_each_item(h, |k, v| {
                    let Ok(ks) = k.cast::<PyString>() else {
                        if filter_err.is_none() {
                            filter_err = Some(PyTypeError::new_err(format!(
                                "descriptor 'lower' for 'str' objects doesn't apply to a '{}' object",
                                type_name(&k)
                            )));
                        }
                        return Ok(());
                    };
                    let name = match ks.to_str() {
                        Ok(n) => n,
                        Err(_) => {
                            let lower = ks.call_method0("lower")?;
                            let lower = lower.cast::<PyString>()?.to_string_lossy().into_owned();
                            if cos_sign_std::rules::is_signed_header(&lower) && encode_err.is_none() {
                                encode_err = Some(client_error(py, MSG_ENCODE));
                            }
                            return Ok(());
                        }
                    };
                    if !cos_sign_std::rules::is_signed_header(name) {
                        return Ok(());
                    }
                    match text_of(&v) {
                        Ok(val) => kept.push((name.to_owned(), val)),
                        Err(Conv::Py(e)) => return Err(e),
                        Err(c) => {
                            if encode_err.is_none() {
                                encode_err = Some(conv_err(py, c));
                            }
                        }
                    }
                    Ok(())
                })
                .map_err(|e| (Stage::Filter, e))?;
                if let Some(e) = filter_err {
                    return Err((Stage::Filter, e));
                }
                call.headers = kept;
            }
        }
        if let Some(e) = encode_err {
            return Err((Stage::Encode, e));
        }
        // params: converted when signed (and always for the URL of a pre-signed call)
        if let Some(p) = params {
            let truthy = p.is_truthy().map_err(|e| (Stage::Encode, e))?;
            if truthy && (st.sign_params || kind == Op::Presign) {
                let mut out: Vec<(String, String)> = Vec::new();
                let mut err: Option<PyErr> = None;
                for_each_item(p, |k, v| {
                    match (text_of(&k), text_of(&v)) {
                        (Ok(k), Ok(v)) => out.push((k, v)),
                        (Err(Conv::Py(e)), _) | (_, Err(Conv::Py(e))) => return Err(e),
                        (Err(c), _) | (_, Err(c)) => {
                            if err.is_none() {
                                err = Some(conv_err(py, c));
                            }
                        }
                    }
                    Ok(())
                })
                .map_err(|e| (Stage::Encode, e))?;
                if let Some(e) = err {
                    if st.sign_params {
                        return Err((Stage::Encode, e));
                    }
                    // not signed: only urlencode(Params), after signing, fails
                    out.clear();
                    call.deferred = Some(e);
                }
                call.params = out;
            }
        }
        // format(): Method.lower()
        if let Ok(s) = method.cast::<PyString>() {
            match s.to_str() {
                Ok(_) => {} // borrowed by the caller
                Err(_) => {
                    // lower() works; encoding the canonical string fails, after Expired
                    expired_of(py, expired).map_err(|e| (Stage::Late, e))?;
                    return Err((Stage::Late, client_error(py, MSG_ENCODE)));
                }
            }
        } else {
            let lowered = method
                .call_method0(pyo3::intern!(py, "lower"))
                .map_err(|e| (Stage::Late, e))?;
            let text = lowered.str().map_err(|e| (Stage::Late, e))?;
            let text = text.to_str().map(str::to_owned);
            let expired_v = expired_of(py, expired).map_err(|e| (Stage::Late, e))?;
            call.expired = expired_v;
            call.method =
                Cow::Owned(text.map_err(|_| (Stage::Late, client_error(py, MSG_ENCODE)))?);
            return Ok(());
        }
        call.expired = expired_of(py, expired).map_err(|e| (Stage::Late, e))?;
        Ok(())
    }
}

/// `Expired` as the SDK adds it to an int: ints (and bools) as they are; a float or an int
/// beyond 64 bits is refused (the SDK would sign a non-integer or huge key time); anything
/// else is the SDK's `TypeError`.
fn expired_of(py: Python<'_>, expired: Arg<'_>) -> PyResult<i64> {
    let Some(e) = expired.0 else {
        return Ok(300);
    };
    if e.is_instance_of::<PyInt>() || e.is_instance_of::<PyBool>() {
        return e
            .extract::<i64>()
            .map_err(|_| refused_error(py, "an Expired beyond 64 bits is refused by cos_sign"));
    }
    if e.is_instance_of::<PyFloat>() {
        return Err(refused_error(
            py,
            "an Expired that is not an integer is refused by cos_sign",
        ));
    }
    if let Ok(i) = e.call_method0("__index__") {
        return i
            .extract::<i64>()
            .map_err(|_| refused_error(py, "an Expired beyond 64 bits is refused by cos_sign"));
    }
    Err(PyTypeError::new_err(format!(
        "unsupported operand type(s) for +: 'int' and '{}'",
        type_name(&e)
    )))
}

/// `urlencode(Params)` of the SDK, for params that were not signed: the same exceptions.
fn check_urlencode(py: Python<'_>, params: &Bound<'_, PyAny>) -> PyResult<()> {
    let parse = py.import("urllib.parse")?;
    parse.getattr("urlencode")?.call1((params,))?;
    Ok(())
}

/// A signed call, and the error the SDK raises after signing (params it did not sign that
/// `urlencode` cannot quote).
struct Signed {
    signed: Presigned,
    deferred: Option<PyErr>,
}

/// Runs the compat call.
fn run(kind: Op, cc: &CompatConfig, c: &Call<'_>, now: i64) -> Result<Presigned, CompatError> {
    with_call(kind, c, now, |call| cos_sign_qcloud::sign(cc, call))
}

/// The error the SDK raises before a value of `c` fails at `stage` (the ordering is
/// [`cos_sign_qcloud::error_before`]'s); `None`: the binding's own error stands.
fn precheck(
    py: Python<'_>,
    kind: Op,
    cc: &CompatConfig,
    c: &Call<'_>,
    stage: Stage,
) -> Option<PyErr> {
    with_call(kind, c, 0, |call| {
        cos_sign_qcloud::error_before(cc, call, stage)
    })
    .map(|e| compat_err(py, e))
}

/// `f` of the [`SdkCall`] that `c` describes.
fn with_call<R>(kind: Op, c: &Call<'_>, now: i64, f: impl FnOnce(&SdkCall<'_>) -> R) -> R {
    fn refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
        v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }
    let (headers, params) = (refs(&c.headers), refs(&c.params));
    let mut call = SdkCall::new(kind, &c.method, None, c.key.as_opt(), now);
    call.bucket = c.bucket.as_ref().map(BucketArg::get);
    call.expired = c.expired;
    call.headers = &headers;
    call.params = &params;
    call.sign_host = c.sign_host;
    call.use_ci_endpoint = c.use_ci;
    call.url = c.url.as_deref();
    f(&call)
}

/// The `cos_sign` extension module.
#[pymodule]
fn _cos_sign(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CosConfig>()?;
    m.add_class::<CosS3Client>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
