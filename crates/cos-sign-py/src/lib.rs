//! `cos_sign`: the Python module (pyo3) that stands in for the signing API of qcloud_cos
//! 1.9.44 (`CosConfig`, `CosS3Client.get_auth`, `get_presigned_url`,
//! `get_presigned_download_url`, `get_object_url`).
//!
//! The rules live in [`cos_sign_qcloud`] (the SDK's checks, their order, the signing); this
//! crate converts Python values the way the SDK does (`str()` of non-strings, bytes decoded as
//! UTF-8, Python truthiness, lone surrogates refused where the SDK's `to_bytes` refuses them),
//! tells compat where the first value it could not convert fails ([`SdkCall::failed`]), and
//! raises the exception of the [`ErrorKind`] compat returns. One signing per call.
//!
//! The time is read at every signing call through Python's `time.time()` (looked up on the
//! `time` module at call time), exactly like the SDK, so patching `time.time` works.

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::{Arc, Mutex, PoisonError};

use cos_sign_qcloud::{
    Bucket, ErrorKind, Op, Pairs, Presigned, SdkCall, SdkConfig, SdkError, SdkKey, SdkOptions,
    Stage, keeps_header,
};
use pyo3::exceptions::{PyAttributeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyModule, PyString, PyTuple, PyType};

type Obj<'py> = Bound<'py, PyAny>;
type Opt<'py> = Option<Obj<'py>>;

static CLIENT_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static REFUSED_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static TIME_MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
static CONVERT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static URLENCODE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

thread_local! {
    /// The texts of this thread's last call: the next one writes them again, in their buffers.
    static OUT: RefCell<Presigned> = const { RefCell::new(Presigned::new()) };
}

// ---------------------------------------------------------------------------------------------
// exceptions

/// The exception of a compat error: `CosClientError`, `CosRefusedError` or a builtin.
fn raise(py: Python<'_>, e: SdkError) -> PyErr {
    let (cell, name) = match e.kind {
        ErrorKind::ValueError => return PyValueError::new_err(e.message),
        ErrorKind::TypeError => return PyTypeError::new_err(e.message),
        ErrorKind::AttributeError => return PyAttributeError::new_err(e.message),
        ErrorKind::Refused => (&REFUSED_ERROR, "CosRefusedError"),
        _ => (&CLIENT_ERROR, "CosClientError"),
    };
    match cell.import(py, "cos_sign._exceptions", name) {
        Ok(t) => PyErr::from_type(t.clone(), e.message),
        Err(err) => err,
    }
}

fn type_name(obj: &Obj<'_>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "object".to_owned(), |n| n.to_string())
}

// ---------------------------------------------------------------------------------------------
// conversions

/// `str` as is, else a lone surrogate's `to_bytes` error.
fn str_text<'a>(s: &'a Bound<'_, PyString>) -> Result<&'a str, SdkError> {
    s.to_str().map_err(|_| SdkError::unencodable())
}

/// `bytes` decoded as UTF-8, else `e`.
fn bytes_text<'a>(b: &'a Bound<'_, PyBytes>, e: fn() -> SdkError) -> Result<&'a str, SdkError> {
    std::str::from_utf8(b.as_bytes()).map_err(|_| e())
}

/// The SDK's `to_str` then `to_bytes`: `str` as is, `bytes` decoded, anything else `str()`.
/// The outer error is `str()`'s exception; the inner, text that cannot be (a compat refusal).
fn text_of<'a>(obj: &'a Obj<'_>) -> PyResult<Result<Cow<'a, str>, SdkError>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(str_text(s).map(Cow::Borrowed));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(bytes_text(b, SdkError::bad_bytes).map(Cow::Borrowed));
    }
    let s = obj.str()?;
    Ok(str_text(&s).map(|t| Cow::Owned(t.to_owned())))
}

/// `"{}".format(obj)`: a `str` as is, anything else `str(obj)` (bytes as `b'...'`).
fn format_of(py: Python<'_>, obj: &Obj<'_>) -> PyResult<String> {
    let s = match obj.cast::<PyString>() {
        Ok(s) => s.clone(),
        Err(_) => obj.str()?,
    };
    Ok(str_text(&s).map_err(|e| raise(py, e))?.to_owned())
}

/// `to_unicode` of a config value used as text (`str()` of other types): `None` stays `None`.
fn unicode_opt(py: Python<'_>, obj: Option<&Obj<'_>>) -> PyResult<Option<String>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Some(
            bytes_text(b, SdkError::undecodable)
                .map_err(|e| raise(py, e))?
                .to_owned(),
        ));
    }
    let text = text_of(obj)?.map_err(|e| raise(py, e))?;
    Ok(Some(text.into_owned()))
}

/// `to_unicode(value)` as a Python object (bytes decoded, anything else unchanged).
fn to_unicode<'py>(py: Python<'py>, obj: &Obj<'py>) -> PyResult<Obj<'py>> {
    match obj.cast::<PyBytes>() {
        Ok(b) => match bytes_text(b, SdkError::undecodable) {
            Ok(s) => Ok(PyString::new(py, s).into_any()),
            Err(e) => Err(raise(py, e)),
        },
        Err(_) => Ok(obj.clone()),
    }
}

fn truthy(obj: Option<&Obj<'_>>) -> PyResult<bool> {
    obj.map_or(Ok(false), |o| o.is_truthy())
}

/// A `Bucket` argument: a `str` (one with a lone surrogate as U+FFFD, which the SDK's pattern
/// refuses as it refuses the surrogate), another type, or `None`.
fn bucket_arg<'a>(obj: &'a Obj<'_>) -> Option<Bucket<'a>> {
    match obj.cast::<PyString>() {
        _ if obj.is_none() => None,
        Ok(s) => Some(Bucket::Name(s.to_str().unwrap_or("\u{FFFD}"))),
        Err(_) => Some(Bucket::NotString),
    }
}

/// A key as `uri()` converts it: `None` stays `None`; a falsy value is "Key is required not
/// empty"; `bytes` are decoded; a lone surrogate fails `to_bytes`; another type fails
/// `path[0]`. The error is raised after the host checks ([`Stage::Key`]).
fn key_arg<'a>(py: Python<'_>, obj: &'a Obj<'_>) -> PyResult<Option<Cow<'a, str>>> {
    let r = if obj.is_none() {
        return Ok(None);
    } else if let Ok(s) = obj.cast::<PyString>() {
        str_text(s).map(Cow::Borrowed)
    } else if let Ok(b) = obj.cast::<PyBytes>() {
        bytes_text(b, SdkError::undecodable).map(|t| Cow::Owned(t.to_owned()))
    } else if !obj.is_truthy()? {
        Err(SdkError::client("Key is required not empty"))
    } else {
        Err(SdkError::not_subscriptable(&type_name(obj)))
    };
    r.map(Some).map_err(|e| raise(py, e))
}

/// Iterates a mapping's items in order (a dict directly, else through `.items()`).
fn for_each_item<'py>(
    obj: &Obj<'py>,
    mut f: impl FnMut(Obj<'py>, Obj<'py>) -> PyResult<()>,
) -> PyResult<()> {
    if let Ok(d) = obj.cast::<PyDict>() {
        return d.iter().try_for_each(|(k, v)| f(k, v));
    }
    for item in obj.call_method0("items")?.try_iter()? {
        let (k, v): (Obj<'py>, Obj<'py>) = item?.extract()?;
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
    py.get_type::<PyInt>().call1((t,))?.extract()
}

/// `Expired` as the SDK adds it to an int: ints (and bools) as they are; a float or an int
/// beyond 64 bits is refused; anything else is the SDK's `TypeError`.
fn expired_of(py: Python<'_>, expired: Option<&Obj<'_>>) -> PyResult<i64> {
    let Some(e) = expired else { return Ok(300) };
    let int = if e.is_instance_of::<PyInt>() || e.is_instance_of::<PyBool>() {
        e.clone()
    } else if e.is_instance_of::<PyFloat>() {
        return Err(raise(py, SdkError::expired_not_integer()));
    } else if let Ok(i) = e.call_method0("__index__") {
        i
    } else {
        return Err(raise(py, SdkError::expired_type(&type_name(e))));
    };
    int.extract::<i64>()
        .map_err(|_| raise(py, SdkError::expired_too_big()))
}

// ---------------------------------------------------------------------------------------------
// CosConfig

/// What a `CosConfig` holds for signing; replaced as a whole by `set_ip_port` and
/// `set_credential`, so a call works on one consistent snapshot.
#[derive(Debug, Clone)]
struct State {
    compat: SdkConfig,
    /// `SecretKey` holds a lone surrogate: the SDK refuses it when signing.
    poisoned_key: bool,
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
struct Arg<'py>(Opt<'py>);

impl<'a, 'py> FromPyObject<'a, 'py> for Arg<'py> {
    type Error = PyErr;
    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Ok(Arg(Some(obj.to_owned())))
    }
}

impl Arg<'_> {
    const MISSING: Arg<'static> = Arg(None);
}

fn or_none<'py>(py: Python<'py>, v: Option<&Obj<'py>>) -> Obj<'py> {
    v.cloned().unwrap_or_else(|| py.None().into_bound(py))
}

/// `CosConfig.convert_secret_value` type handling: (text, has a lone surrogate), or the error.
fn secret_text(py: Python<'_>, obj: &Obj<'_>) -> PyResult<(String, bool)> {
    let u = to_unicode(py, obj)?;
    match u.cast::<PyString>() {
        Ok(s) => Ok(match s.to_str() {
            Ok(t) => (t.to_owned(), false),
            // A lone surrogate: accepted here (the spaces are checked), refused when signing.
            Err(_) => (s.to_string_lossy().into_owned(), true),
        }),
        Err(_) => Err(raise(py, SdkError::no_endswith(&type_name(obj)))),
    }
}

/// What `cos_sign._config.convert` returns.
type Converted<'py> = (
    Bound<'py, PyDict>,
    Bound<'py, PyDict>,
    Obj<'py>,
    Opt<'py>,
    bool,
    bool,
    Option<String>,
    bool,
);

#[pymethods]
impl CosConfig {
    /// The keywords are converted by `cos_sign._config.convert` (plain Python), checked by
    /// [`SdkConfig::new`].
    #[new]
    #[pyo3(signature = (*args, **kwargs),
        text_signature = "(Appid=None, Region=None, SecretId=None, SecretKey=None, Token=None, CredentialInstance=None, Scheme=None, Timeout=None, Access_id=None, Access_key=None, Secret_id=None, Secret_key=None, Endpoint=None, IP=None, Port=None, Anonymous=None, UA=None, Proxies=None, Domain=None, ServiceDomain=None, KeepAlive=True, PoolConnections=10, PoolMaxSize=10, AllowRedirects=False, SignHost=True, EndpointCi=None, EndpointPic=None, EnableOldDomain=True, EnableInternalDomain=True, SignParams=True, AutoSwitchDomainOnRetry=False, VerifySSL=None, SSLCert=None)")]
    fn new<'py>(
        py: Python<'py>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Self> {
        let convert = CONVERT.import(py, "cos_sign._config", "convert")?;
        let (o, attrs, cred, secret_error, poisoned_key, pic_from_ci, pic_region, has_domain): Converted<'py> =
            convert.call(args, kwargs)?.extract()?;
        let text = |k: &str| -> PyResult<Option<String>> {
            o.get_item(k)?.map_or(Ok(None), |v| v.extract())
        };
        let flag =
            |k: &str| -> PyResult<bool> { o.get_item(k)?.map_or(Ok(false), |v| v.extract()) };
        let mut opts = SdkOptions::default()
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
        // The SDK's checks before the secrets come first; then a secret's type error.
        let compat = SdkConfig::new(opts).map_err(|e| raise(py, e))?;
        if let Some(e) = secret_error {
            return Err(PyErr::from_value(e));
        }
        let pic = match pic_from_ci {
            true => compat.endpoint_ci().map(str::to_owned),
            false => pic_region.and_then(|r| SdkConfig::pic_endpoint(&r)),
        };
        attrs.set_item("_endpoint_ci", compat.endpoint_ci())?;
        attrs.set_item("_endpoint_pic", pic)?;
        attrs.set_item("_scheme", compat.scheme())?;
        attrs.set_item("_secret_id", compat.secret_id())?;
        if !has_domain {
            attrs.set_item("_endpoint", compat.endpoint())?;
        }
        let cred = compat.uses_credential_instance().then(|| cred.unbind());
        let state = State {
            compat,
            poisoned_key,
            has_domain,
        };
        Ok(CosConfig {
            state: Mutex::new(Arc::new(state)),
            attrs: attrs.unbind(),
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
        bucket: Opt<'py>,
        path: Opt<'py>,
        endpoint: Opt<'py>,
        domain: Opt<'py>,
        useAppid: Opt<'py>,
    ) -> PyResult<String> {
        let st = self.snapshot();
        let (bucket, path) = (or_none(py, bucket.as_ref()), or_none(py, path.as_ref()));
        let endpoint = unicode_opt(py, endpoint.as_ref())?;
        let mut domain = unicode_opt(py, domain.as_ref())?;
        let b = bucket_arg(&bucket);
        if b.is_none() && domain.is_none() && !st.has_domain && truthy(useAppid.as_ref())? {
            let appid = match self.attrs.bind(py).get_item("_appid")? {
                Some(a) => Some(format_of(py, &a)?),
                None => None,
            };
            domain = Some(st.compat.appid_host(appid.as_deref(), endpoint.as_deref()));
        }
        // the host checks come before the key's conversion
        let key = key_arg(py, &path);
        let r = st.compat.uri(
            b,
            key.as_ref().ok().and_then(|k| k.as_deref()),
            endpoint.as_deref(),
            domain.as_deref(),
        );
        let r = r.map_err(|e| raise(py, e))?;
        key.map(|_| r)
    }

    /// `CosConfig.get_host(Bucket=None, Appid=None)`.
    #[pyo3(signature = (Bucket=None, Appid=None))]
    #[allow(non_snake_case)]
    fn get_host(
        &self,
        py: Python<'_>,
        Bucket: Opt<'_>,
        Appid: Opt<'_>,
    ) -> PyResult<Option<String>> {
        let b = Bucket.as_ref().and_then(bucket_arg);
        let appid = match Appid.filter(|a| !a.is_none()) {
            Some(a) => Some(format_of(py, &a)?),
            None => None,
        };
        let st = self.snapshot();
        let r = st.compat.get_host(b, appid.as_deref());
        r.map_err(|e| raise(py, e))
    }

    /// `CosConfig.set_ip_port(IP, Port=None)`.
    #[pyo3(signature = (IP, Port=None))]
    #[allow(non_snake_case)]
    fn set_ip_port<'py>(&self, py: Python<'py>, IP: Obj<'py>, Port: Opt<'py>) -> PyResult<()> {
        let ip_u = to_unicode(py, &IP)?;
        let ip = unicode_opt(py, Some(&ip_u))?;
        let port = match Port.as_ref().filter(|p| !p.is_none()) {
            Some(p) => Some(format_of(py, p)?),
            None => None,
        };
        self.update(|s| s.compat.set_ip_port(ip, port));
        let attrs = self.attrs.bind(py);
        attrs.set_item("_ip", ip_u)?;
        attrs.set_item("_port", or_none(py, Port.as_ref()))
    }

    /// `CosConfig.set_credential(SecretId, SecretKey, Token=None)`; like qcloud_cos 1.9.44 it
    /// raises `AttributeError` when `Token` is left out (after storing the id and key).
    #[pyo3(signature = (SecretId, SecretKey, Token=None))]
    #[allow(non_snake_case)]
    fn set_credential<'py>(
        &self,
        py: Python<'py>,
        SecretId: Obj<'py>,
        SecretKey: Obj<'py>,
        Token: Opt<'py>,
    ) -> PyResult<()> {
        let (id, _) = secret_text(py, &SecretId)?;
        let (key, poisoned) = secret_text(py, &SecretKey)?;
        // the token is converted after the id and key are stored
        let token = Token.filter(|t| !t.is_none()).map(|t| secret_text(py, &t));
        let (token, token_err) = match token {
            Some(Ok((t, _))) => (Some(t), None),
            Some(Err(e)) => (None, Some(e)),
            None => (None, None),
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
        result.map_err(|e| raise(py, e))
    }

    fn __getattr__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Obj<'py>> {
        self.attrs.bind(py).get_item(name)?.ok_or_else(|| {
            PyAttributeError::new_err(format!("'CosConfig' object has no attribute '{name}'"))
        })
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
/// methods (`cos_sign.CosS3Client` subclasses it to name the SDK's other methods).
#[pyclass(module = "cos_sign", frozen, subclass)]
#[derive(Debug)]
struct CosS3Client {
    conf: Py<CosConfig>,
    retry: Py<PyAny>,
    session: Py<PyAny>,
}

/// The converted `Method`, `Expired`, headers and params of a call.
struct Values<'a> {
    method: Cow<'a, str>,
    expired: i64,
    /// The header pairs, then the params.
    pairs: Pairs,
    headers: usize,
}

/// A value that failed to convert: where it fails in the SDK's order, and its exception.
type Failed = (Stage, PyErr);

#[pymethods]
impl CosS3Client {
    #[new]
    #[pyo3(signature = (conf, retry=Arg::MISSING, session=None),
        text_signature = "(conf, retry=3, session=None)")]
    fn new<'py>(
        py: Python<'py>,
        conf: Bound<'py, CosConfig>,
        retry: Arg<'py>,
        session: Opt<'py>,
    ) -> Self {
        let retry = retry.0.unwrap_or_else(|| PyInt::new(py, 3).into_any());
        CosS3Client {
            conf: conf.unbind(),
            retry: retry.unbind(),
            session: or_none(py, session.as_ref()).unbind(),
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
        Method: Obj<'py>,
        Bucket: Obj<'py>,
        Key: Obj<'py>,
        Expired: Arg<'py>,
        Headers: Opt<'py>,
        Params: Opt<'py>,
        SignHost: Opt<'py>,
        UseCiEndPoint: Opt<'py>,
    ) -> PyResult<Bound<'py, PyString>> {
        let a = (Expired.0, Headers, Params, SignHost, UseCiEndPoint);
        self.call(py, Op::Auth, &Method, &Bucket, &Key, a, None)
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
        Bucket: Obj<'py>,
        Key: Obj<'py>,
        Method: Obj<'py>,
        Expired: Arg<'py>,
        Params: Opt<'py>,
        Headers: Opt<'py>,
        UseCiEndPoint: Opt<'py>,
        SignHost: Opt<'py>,
    ) -> PyResult<Bound<'py, PyString>> {
        let a = (Expired.0, Headers, Params, SignHost, UseCiEndPoint);
        self.call(py, Op::Presign, &Method, &Bucket, &Key, a, None)
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
        Bucket: Obj<'py>,
        Key: Obj<'py>,
        Expired: Arg<'py>,
        Params: Opt<'py>,
        Headers: Opt<'py>,
        UseCiEndPoint: Opt<'py>,
        SignHost: Opt<'py>,
    ) -> PyResult<Bound<'py, PyString>> {
        let get = PyString::new(py, "GET").into_any();
        let a = (Expired.0, Headers, Params, SignHost, UseCiEndPoint);
        self.call(py, Op::Presign, &get, &Bucket, &Key, a, None)
    }

    /// What `CosS3Auth(conf, key, params, expire, sign_host)(r)` computes for a request of
    /// `method` to `url` carrying `headers`: its Authorization (`cos_sign.CosS3Auth` calls it).
    #[pyo3(signature = (method, url, key, expire, headers, params, sign_host))]
    #[allow(clippy::too_many_arguments)]
    fn _sign_request<'py>(
        &self,
        py: Python<'py>,
        method: Obj<'py>,
        url: &str,
        key: Obj<'py>,
        expire: Obj<'py>,
        headers: Obj<'py>,
        params: Obj<'py>,
        sign_host: Obj<'py>,
    ) -> PyResult<Bound<'py, PyString>> {
        let none = py.None().into_bound(py);
        let [e, h, p, s] = [expire, headers, params, sign_host].map(Some);
        let a = (e, h, p, s, None);
        self.call(py, Op::Auth, &method, &none, &key, a, Some(url))
    }

    /// `get_object_url(Bucket, Key)`: the object's URL, unsigned.
    #[pyo3(signature = (Bucket, Key))]
    #[allow(non_snake_case)]
    fn get_object_url<'py>(
        &self,
        py: Python<'py>,
        Bucket: Obj<'py>,
        Key: Obj<'py>,
    ) -> PyResult<String> {
        let conf = self.conf.get();
        conf.uri(py, Some(Bucket), Some(Key), None, None, None)
    }

    /// The SDK's `_conf`, `_retry`, `_session` and `_retry_exe_times` (getters: no
    /// `__getattr__`, which would slow every method lookup down).
    #[getter]
    fn _conf(&self, py: Python<'_>) -> Py<CosConfig> {
        self.conf.clone_ref(py)
    }

    #[getter]
    fn _retry(&self, py: Python<'_>) -> Py<PyAny> {
        self.retry.clone_ref(py)
    }

    #[getter]
    fn _session(&self, py: Python<'_>) -> Py<PyAny> {
        self.session.clone_ref(py)
    }

    #[getter]
    fn _retry_exe_times(&self) -> i64 {
        0
    }
}

/// `Expired`, `Headers`, `Params`, `SignHost`, `UseCiEndPoint`.
type Rest<'py> = (Opt<'py>, Opt<'py>, Opt<'py>, Opt<'py>, Opt<'py>);

impl CosS3Client {
    /// Converts, signs once, raises. Like the SDK (whose `requests.Request` keeps the caller's
    /// dict), a truthy `Headers` mapping gets the Authorization as its `Authorization` item,
    /// also when a pre-signed URL then fails (an anonymous `""`, a SecretId with `&`).
    #[allow(clippy::too_many_arguments)]
    fn call<'py>(
        &self,
        py: Python<'py>,
        op: Op,
        method: &Obj<'py>,
        bucket: &Obj<'py>,
        key: &Obj<'py>,
        (expired, headers, params, sign_host, use_ci): Rest<'py>,
        url: Option<&str>,
    ) -> PyResult<Bound<'py, PyString>> {
        let conf = self.conf.get();
        let st = conf.snapshot();
        let use_ci = truthy(use_ci.as_ref())?;
        let sign_host = match sign_host.as_ref().filter(|s| !s.is_none()) {
            Some(s) => Some(s.is_truthy()?),
            None => None,
        };
        let b = bucket_arg(bucket);
        let (key, mut failed) = match key_arg(py, key) {
            Ok(k) => (k, None),
            Err(e) => (None, Some((Stage::Key, e))),
        };
        // CosS3Auth.__init__: a CredentialInstance is read now, at every call.
        let mut poisoned = st.poisoned_key;
        let instance;
        let cc = match &conf.cred {
            Some(c) if failed.is_none() && st.compat.secret_id().is_none_or(str::is_empty) => {
                let (id, sk);
                (id, sk, poisoned) = instance_secrets(py, c.bind(py))?;
                instance = st.compat.with_instance_credentials(id, sk);
                &instance
            }
            _ => &st.compat,
        };
        let mut conv = Values {
            method: Cow::Borrowed("get"),
            expired: 300,
            pairs: Pairs::default(),
            headers: 0,
        };
        // an anonymous config signs "" before looking at anything else
        if failed.is_none() && !cc.anonymous() {
            let args = (expired.as_ref(), headers.as_ref(), params.as_ref());
            failed = match convert(py, op, method, args, cc, &mut conv) {
                Err(f) => Some(f),
                Ok(_) if poisoned => Some((Stage::Late, raise(py, SdkError::unencodable()))),
                Ok(f) => f,
            };
        }
        let (mut stack, mut heap) = ([("", ""); 8], Vec::new());
        let pairs = conv.pairs.refs(&mut stack, &mut heap);
        let (hs, ps) = pairs.split_at(conv.headers);
        let now = match failed.is_none() && !cc.anonymous() {
            true => now(py)?,
            false => 0,
        };
        let mut call = SdkCall::new(op, &conv.method, None, key.as_deref(), now);
        call.bucket = b;
        (call.expired, call.headers, call.params) = (conv.expired, hs, ps);
        call.headers_kept = true;
        (call.sign_host, call.use_ci_endpoint, call.url) = (sign_host, use_ci, url);
        call.failed = failed.as_ref().map(|f| f.0);
        // a pre-signed URL's Authorization is made only when it goes into the headers
        let h = (headers.as_ref()).filter(|h| url.is_none() && h.is_truthy().unwrap_or(false));
        let lean = op == Op::Auth || h.is_none();
        // written into this thread's buffers (kept for its next call), then straight into strs:
        // one for the headers' item and get_auth's result, one for a pre-signed URL
        let (r, auth, out) = OUT.with(|cell| {
            let (mut fresh, mut kept) = (Presigned::new(), cell.try_borrow_mut());
            let o = kept.as_deref_mut().unwrap_or(&mut fresh);
            let r = cos_sign_qcloud::sign_into(cc, &call, lean, o);
            let auth = match &r {
                Ok(()) => (!lean || op == Op::Auth).then(|| PyString::new(py, &o.authorization)),
                Err(e) => e.authorization.as_deref().map(|a| PyString::new(py, a)),
            };
            let url = (r.is_ok() && op == Op::Presign).then(|| PyString::new(py, &o.url));
            if o.url.capacity() + o.authorization.capacity() > 1 << 16 {
                *o = Presigned::new();
            }
            (r, auth, url)
        });
        if let (Some(h), Some(auth)) = (h, &auth) {
            h.set_item(pyo3::intern!(py, "Authorization"), auth)?;
        }
        match (r, failed) {
            (Ok(()), _) => Ok(out.or(auth).unwrap_or_else(|| PyString::new(py, ""))),
            (Err(e), Some((stage, own))) if e.kind == ErrorKind::Conversion => {
                // urlencode(Params) quotes params the signature did not look at: its error
                match params.as_ref().filter(|_| stage == Stage::Signed) {
                    Some(p) => Err(urlencode(py, p).err().unwrap_or(own)),
                    None => Err(own),
                }
            }
            (Err(e), _) => Err(raise(py, e)),
        }
    }
}

/// A `CredentialInstance`'s `secret_id` and `secret_key`, and whether the key holds a lone
/// surrogate (the SDK refuses it when signing, after everything else).
fn instance_secrets(py: Python<'_>, c: &Obj<'_>) -> PyResult<(String, SdkKey, bool)> {
    let id = c.getattr(pyo3::intern!(py, "secret_id"))?;
    let sk = c.getattr(pyo3::intern!(py, "secret_key"))?;
    let id = format_of(py, &id)?;
    let (sk, poisoned) = if let Ok(s) = sk.cast::<PyString>() {
        match s.to_str() {
            Ok(t) => (SdkKey::text(t), false),
            Err(_) => (SdkKey::text(""), true),
        }
    } else if let Ok(bs) = sk.cast::<PyBytes>() {
        (SdkKey::bytes(bs.as_bytes()), false)
    } else {
        (SdkKey::Other(type_name(&sk)), false)
    };
    Ok((id, sk, poisoned))
}

/// Converts `Method`, `Expired`, headers and params in the SDK's order. `Err`: a value that
/// stops the conversion; `Ok(Some)`: the first value that failed (the others are converted).
fn convert<'a, 'py>(
    py: Python<'py>,
    op: Op,
    method: &'a Obj<'py>,
    (expired, headers, params): (Option<&Obj<'py>>, Option<&Obj<'py>>, Option<&Obj<'py>>),
    cc: &SdkConfig,
    out: &mut Values<'a>,
) -> Result<Option<Failed>, Failed> {
    let filter = |e: PyErr| (Stage::Filter, e);
    let encode = |e: PyErr| (Stage::Encode, e);
    let late = |e: PyErr| (Stage::Late, e);
    // text that cannot be (the first is raised after the others are converted)
    let mut first: Option<SdkError> = None;
    // filter_headers: every name must be a str; keep the allow-listed ones.
    if let Some(h) = headers
        .map(|h| h.is_truthy().map(|t| t.then_some(h)))
        .transpose()
        .map_err(filter)?
        .flatten()
    {
        if !h.is_instance_of::<PyDict>() && !h.hasattr("items").unwrap_or(false) {
            // an iterable of names: `str.lower(item)` of each, `data[item]` of the kept ones
            for item in h.try_iter().map_err(filter)? {
                let item = item.map_err(filter)?;
                let e = match item.cast::<PyString>() {
                    Err(_) => SdkError::lower_descriptor(&type_name(&item)),
                    Ok(n) if keeps_header(&n.to_string_lossy()) => {
                        SdkError::str_indices(&type_name(h))
                    }
                    Ok(_) => continue,
                };
                return Err((Stage::Filter, raise(py, e)));
            }
        } else {
            let mut bad_name: Option<SdkError> = None;
            for_each_item(h, |k, v| {
                let Ok(ks) = k.cast::<PyString>() else {
                    bad_name.get_or_insert_with(|| SdkError::lower_descriptor(&type_name(&k)));
                    return Ok(());
                };
                let Ok(name) = ks.to_str() else {
                    let lower = ks.call_method0("lower")?;
                    if keeps_header(&lower.cast::<PyString>()?.to_string_lossy()) {
                        first.get_or_insert_with(SdkError::unencodable);
                    }
                    return Ok(());
                };
                if keeps_header(name) {
                    match text_of(&v)? {
                        Ok(val) => out.pairs.push(name, &val),
                        Err(e) => {
                            // The name still counts: the SDK looks for a `host` among the
                            // kept names (to take none from the URL) before it encodes any
                            // value. The value is never used: this value's error is raised.
                            out.pairs.push(name, "");
                            first.get_or_insert(e);
                        }
                    }
                }
                Ok(())
            })
            .map_err(filter)?;
            if let Some(e) = bad_name {
                return Err((Stage::Filter, raise(py, e)));
            }
        }
    }
    out.headers = out.pairs.len();
    if let Some(e) = first.take() {
        return Err((Stage::Encode, raise(py, e)));
    }
    // params: converted when signed (and always for the URL of a pre-signed call)
    let sign_params = cc.sign_params();
    if let Some(p) = params
        && p.is_truthy().map_err(encode)?
        && (sign_params || op == Op::Presign)
    {
        for_each_item(p, |k, v| {
            match (text_of(&k)?, text_of(&v)?) {
                (Ok(k), Ok(v)) => out.pairs.push(&k, &v),
                (Err(e), _) | (_, Err(e)) => drop(first.get_or_insert(e)),
            }
            Ok(())
        })
        .map_err(encode)?;
    }
    let deferred = match first.take() {
        Some(e) if sign_params => return Err((Stage::Encode, raise(py, e))),
        // not signed: only urlencode(Params), after signing, fails
        Some(e) => {
            out.pairs.truncate(out.headers);
            Some((Stage::Signed, raise(py, e)))
        }
        None => None,
    };
    // format(): Method.lower(), Expired, then encoding the canonical string
    if let Ok(s) = method.cast::<PyString>() {
        out.expired = expired_of(py, expired).map_err(late)?;
        out.method = Cow::Borrowed(str_text(s).map_err(|e| late(raise(py, e)))?);
    } else {
        let lowered = method.call_method0(pyo3::intern!(py, "lower"));
        let text = lowered.and_then(|l| l.str()).map_err(late)?;
        out.expired = expired_of(py, expired).map_err(late)?;
        let m = str_text(&text).map_err(|e| late(raise(py, e)))?;
        out.method = Cow::Owned(m.to_owned());
    }
    Ok(deferred)
}

/// `urlencode(Params)` of the SDK, for params that were not signed: the same exceptions.
fn urlencode(py: Python<'_>, params: &Obj<'_>) -> PyResult<()> {
    URLENCODE
        .import(py, "urllib.parse", "urlencode")?
        .call1((params,))
        .map(drop)
}

/// The `cos_sign` extension module.
#[pymodule]
fn _cos_sign(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CosConfig>()?;
    m.add_class::<CosS3Client>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
