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
use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// The state of the config this thread signed with last, with the config's id and the
    /// version it had: a call of the same config and version takes it (no lock, no count).
    static LAST_STATE: Cell<Option<Kept>> = const { Cell::new(None) };
}

/// A [`State`] kept by [`LAST_STATE`]: its config's id and version.
type Kept = (u64, u64, Arc<State>);

/// The next `CosConfig`'s id.
static NEXT_CONFIG_ID: AtomicU64 = AtomicU64::new(0);

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
#[inline]
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
    if let Ok(s) = obj.cast_exact::<PyString>() {
        return Ok(str_text(s).map(Cow::Borrowed));
    }
    match subclass_encoded(obj)? {
        Some(Ok(b)) => {
            return Ok(String::from_utf8(b)
                .map(Cow::Owned)
                .map_err(|_| SdkError::bad_bytes()));
        }
        Some(Err(e)) => return Ok(Err(e)),
        None => {}
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(str_text(s).map(Cow::Borrowed));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(bytes_text(b, SdkError::bad_bytes).map(Cow::Borrowed));
    }
    let s = obj.str()?;
    Ok(str_text(&s).map(|t| Cow::Owned(t.to_owned())))
}

/// `"{}".format(obj)` as a Python `str`: an exact `str` is itself; anything else is what its
/// type's `__format__` gives (a `str` subclass's may differ from its text: a `(str, Enum)`
/// member formats as `Cls.NAME`; bytes as `b'...'`).
fn formatted<'py>(py: Python<'py>, obj: &Obj<'py>) -> PyResult<Bound<'py, PyString>> {
    if let Ok(s) = obj.cast_exact::<PyString>() {
        return Ok(s.clone());
    }
    let text = pyo3::intern!(py, "{}").call_method1(pyo3::intern!(py, "format"), (obj,))?;
    Ok(text.cast_into::<PyString>()?)
}

/// [`formatted`] as Rust text (a lone surrogate: the SDK's `to_bytes` error).
fn format_of(py: Python<'_>, obj: &Obj<'_>) -> PyResult<String> {
    let s = formatted(py, obj)?;
    Ok(str_text(&s).map_err(|e| raise(py, e))?.to_owned())
}

/// `"{}".format` of a `str` subclass, when it differs from its text (`None` for anything
/// else: an exact `str` formats as itself).
fn subclass_format(py: Python<'_>, obj: &Obj<'_>) -> PyResult<Option<String>> {
    let Ok(s) = obj.cast::<PyString>() else {
        return Ok(None);
    };
    if s.is_exact_instance_of::<PyString>() {
        return Ok(None);
    }
    let f = format_of(py, obj)?;
    Ok((s.to_str().ok() != Some(f.as_str())).then_some(f))
}

/// `"{}".format(to_unicode(obj))` of a config value the SDK formats into a URL (`None` stays
/// `None`): bytes decoded, anything else formatted.
fn unicode_format(py: Python<'_>, obj: Option<&Obj<'_>>) -> PyResult<Option<String>> {
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
    format_of(py, obj).map(Some)
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

/// `bool(obj)`: of an exact `dict` (the usual `Headers` and `Params`), whether it has items.
fn mapping_truthy(obj: &Obj<'_>) -> PyResult<bool> {
    match obj.cast_exact::<PyDict>() {
        Ok(d) => Ok(!d.is_empty()),
        Err(_) => obj.is_truthy(),
    }
}

/// A `Bucket` argument: a `str` (one with a lone surrogate as U+FFFD, which the SDK's pattern
/// refuses as it refuses the surrogate), a `str` subclass whose format (kept in `room`)
/// differs from its text, another type, or `None`.
#[inline(always)]
fn bucket_arg<'a>(
    py: Python<'_>,
    obj: &'a Obj<'_>,
    room: &'a mut Option<String>,
) -> PyResult<Option<Bucket<'a>>> {
    // the usual bucket, an exact `str`, first
    if let Ok(s) = obj.cast_exact::<PyString>() {
        return Ok(Some(Bucket::Name(s.to_str().unwrap_or("\u{FFFD}"))));
    }
    other_bucket_arg(py, obj, room)
}

/// [`bucket_arg`] of anything but an exact `str`.
#[inline(never)]
fn other_bucket_arg<'a>(
    py: Python<'_>,
    obj: &'a Obj<'_>,
    room: &'a mut Option<String>,
) -> PyResult<Option<Bucket<'a>>> {
    if obj.is_none() {
        return Ok(None);
    }
    let Ok(s) = obj.cast::<PyString>() else {
        return Ok(Some(Bucket::NotString));
    };
    let text = s.to_str().unwrap_or("\u{FFFD}");
    // `if not bucket` asks a subclass's own truthiness: "bucket is required not empty"
    if !s.is_exact_instance_of::<PyString>() && !obj.is_truthy()? {
        return Ok(Some(Bucket::Name("")));
    }
    Ok(Some(match subclass_format(py, obj)? {
        Some(f) => Bucket::Formatted(text, room.insert(f)),
        None => Bucket::Name(text),
    }))
}

/// A key as `uri()` converts it: `None` stays `None`; a falsy value is "Key is required not
/// empty"; `bytes` are decoded; a lone surrogate fails `to_bytes`. Another type goes through
/// the SDK's `path[0]` and `quote(path, '/-_.~')` in Python (their exceptions: a `KeyError`
/// for a dict, a `TypeError` for an int or a list); one they accept (a `bytearray`) makes the
/// URL of its UTF-8 text (the SDK strips no `/` from it: `path[0]` is an int), and a signing
/// call (`signing`) then fails on the SDK's `u'/' + key`. The error is raised after the host
/// checks ([`Stage::Key`]).
#[inline(always)]
fn key_arg<'a>(py: Python<'_>, obj: &'a Obj<'_>, signing: bool) -> PyResult<Option<Cow<'a, str>>> {
    // the usual key, an exact `str` that is text, first
    if let Ok(s) = obj.cast_exact::<PyString>()
        && let Ok(t) = s.to_str()
    {
        return Ok(Some(Cow::Borrowed(t)));
    }
    other_key_arg(py, obj, signing)
}

/// [`key_arg`] of anything but an exact `str` that is text.
#[inline(never)]
fn other_key_arg<'a>(
    py: Python<'_>,
    obj: &'a Obj<'_>,
    signing: bool,
) -> PyResult<Option<Cow<'a, str>>> {
    let r = if obj.is_none() {
        return Ok(None);
    } else if let Ok(s) = obj.cast_exact::<PyString>() {
        str_text(s).map(Cow::Borrowed)
    } else if let Ok(s) = obj.cast::<PyString>() {
        // a subclass: its own truthiness; its own encode unless uri() slices the `/` off
        match (obj.is_truthy()?, str_text(s)) {
            (false, _) => Err(SdkError::client("Key is required not empty")),
            (true, Ok(t)) if t.starts_with('/') => Ok(Cow::Borrowed(t)),
            (true, t) => match subclass_encoded(obj)? {
                Some(Ok(b)) => String::from_utf8(b)
                    .map(Cow::Owned)
                    .map_err(|_| SdkError::bad_bytes()),
                Some(Err(e)) => Err(e),
                None => t.map(Cow::Borrowed),
            },
        }
    } else if let Ok(b) = obj.cast::<PyBytes>() {
        bytes_text(b, SdkError::undecodable).map(|t| Cow::Owned(t.to_owned()))
    } else if !obj.is_truthy()? {
        Err(SdkError::client("Key is required not empty"))
    } else {
        obj.get_item(0)?;
        let quote = py.import("urllib.parse")?.getattr("quote")?;
        quote.call1((obj, "/-_.~"))?;
        if signing {
            return Err(PyTypeError::new_err(format!(
                "can only concatenate str (not \"{}\") to str",
                type_name(obj)
            )));
        }
        let bytes: Vec<u8> = obj.extract()?;
        match String::from_utf8(bytes) {
            // no `/` is stripped: one more for the one uri() strips from a str
            Ok(t) if t.starts_with('/') => Ok(Cow::Owned(format!("/{t}"))),
            Ok(t) => Ok(Cow::Owned(t)),
            Err(_) => Err(SdkError::refused(
                "a Key of bytes that are not UTF-8 (here a bytearray) is refused by cos_sign",
            )),
        }
    };
    r.map(Some).map_err(|e| raise(py, e))
}

/// Iterates a mapping's items in order: an exact `dict` directly, anything else through its
/// `.items()` (as the SDK's `uri_params.items()`, so a subclass's own `items` is used).
fn for_each_item<'py>(
    obj: &Obj<'py>,
    mut f: impl FnMut(Obj<'py>, Obj<'py>) -> PyResult<()>,
) -> PyResult<()> {
    if let Ok(d) = obj.cast_exact::<PyDict>() {
        return d.iter().try_for_each(|(k, v)| f(k, v));
    }
    for item in obj.call_method0("items")?.try_iter()? {
        let (k, v): (Obj<'py>, Obj<'py>) = item?.extract()?;
        f(k, v)?;
    }
    Ok(())
}

/// A `str` of a subclass (a `(str, Enum)` member...): its `str()` may differ from its text.
fn str_subclass(obj: &Obj<'_>) -> bool {
    obj.is_instance_of::<PyString>() && !obj.is_exact_instance_of::<PyString>()
}

/// `int(time.time())`, reading `time.time` at every call.
fn now(py: Python<'_>) -> PyResult<i64> {
    let time = TIME_MODULE.get_or_try_init(py, || py.import("time").map(Bound::unbind))?;
    let time = time.bind(py);
    let name = pyo3::intern!(py, "time");
    // `time.time` of a plain module is the item of its dict (where patching puts it): looked
    // up there, without the attribute machinery; else (a module of another class, an item
    // gone) asked as an attribute
    let found = match time.is_exact_instance_of::<PyModule>() {
        true => time.dict().get_item(name)?,
        false => None,
    };
    let t = match found {
        Some(f) => f.call0()?,
        None => time.getattr(name)?.call0()?,
    };
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

/// `Expired` as the SDK adds it to `int(time.time())` (`now`, read here when it is needed and
/// kept in `now` for the signature): an `int` (or `bool`) as it is, beyond 64 bits refused;
/// any other value is added in Python (`now + Expired`, the SDK's `TypeError` for a type that
/// does not add) and formatted as the SDK formats the key time's end: an integer text
/// (`Decimal(300)`, `Fraction(600, 2)`, an `IntEnum`) is that end, anything else (a float,
/// `Decimal("1.5")`, a complex) is refused, since the SDK would sign a key time that is not
/// two integers.
fn expired_of(
    py: Python<'_>,
    expired: Option<&Obj<'_>>,
    now_read: &mut Option<i64>,
) -> PyResult<i64> {
    let Some(e) = expired else { return Ok(300) };
    if e.is_exact_instance_of::<PyInt>() || e.is_instance_of::<PyBool>() {
        return e
            .extract::<i64>()
            .map_err(|_| raise(py, SdkError::expired_too_big()));
    }
    let start = match *now_read {
        Some(t) => t,
        None => *now_read.insert(now(py)?),
    };
    let end = PyInt::new(py, start).add(e)?;
    let text = pyo3::intern!(py, "{}").call_method1(pyo3::intern!(py, "format"), (end,))?;
    let text = text.cast::<PyString>()?.to_string_lossy();
    let digits = text.strip_prefix('-').unwrap_or(&text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(raise(py, SdkError::expired_not_integer()));
    }
    let end: i64 = text
        .parse()
        .map_err(|_| raise(py, SdkError::expired_too_big()))?;
    end.checked_sub(start)
        .ok_or_else(|| raise(py, SdkError::expired_too_big()))
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
    /// Unique in the process: which config a state kept by [`LAST_STATE`] belongs to.
    id: u64,
    /// Counts the replacements of `state` (a kept state of an older version is not used).
    version: AtomicU64,
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
        Err(_) => {
            // convert_secret_value's value.endswith(' '): its own error (TypeError for a
            // bytearray), else the AttributeError of a type without it
            u.call_method1(pyo3::intern!(py, "endswith"), (" ",))?;
            Err(raise(py, SdkError::no_endswith(&type_name(obj))))
        }
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
        (opts.region_format, opts.scheme_format) = (text("region_format")?, text("scheme_format")?);
        opts.secret_id_format = text("secret_id_format")?;
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
            id: NEXT_CONFIG_ID.fetch_add(1, Ordering::Relaxed),
            version: AtomicU64::new(0),
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
        // "{bucket}.{endpoint}".format(endpoint=endpoint): not to_unicode'd (bytes as b'...')
        let endpoint = match endpoint.as_ref().filter(|e| !e.is_none()) {
            Some(e) => Some(format_of(py, e)?),
            None => None,
        };
        let mut domain = unicode_format(py, domain.as_ref())?;
        let mut room = None;
        let b = bucket_arg(py, &bucket, &mut room)?;
        if b.is_none() && domain.is_none() && !st.has_domain && truthy(useAppid.as_ref())? {
            let appid = match self.attrs.bind(py).get_item("_appid")? {
                Some(a) => Some(format_of(py, &a)?),
                None => None,
            };
            domain = Some(st.compat.appid_host(appid.as_deref(), endpoint.as_deref()));
        }
        // the host checks come before the key's conversion
        let key = key_arg(py, &path, false);
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
        let mut room = None;
        let b = match &Bucket {
            Some(b) => bucket_arg(py, b, &mut room)?,
            None => None,
        };
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
        let ip = unicode_format(py, Some(&ip_u))?;
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
        // the SDK stores the id object and formats it into the Authorization
        let id_format = subclass_format(py, &SecretId)?;
        let (key, poisoned) = secret_text(py, &SecretKey)?;
        // the token is converted after the id and key are stored (and checked): a token that
        // fails is passed as "" so that their errors come first
        let token = Token.filter(|t| !t.is_none()).map(|t| secret_text(py, &t));
        let (token, token_err) = match token {
            Some(Ok((t, _))) => (Some(t), None),
            Some(Err(e)) => (Some(String::new()), Some(e)),
            None => (None, None),
        };
        let mut result = Ok(());
        self.update(|s| {
            result = s
                .compat
                .set_credential_formatted((id, id_format), key, token);
            s.poisoned_key = poisoned;
        });
        let st = self.snapshot();
        let attrs = self.attrs.bind(py);
        attrs.set_item("_secret_id", st.compat.secret_id())?;
        if let (Some(e), Ok(())) = (token_err, &result) {
            return Err(e);
        }
        if result.is_ok() {
            attrs.set_item("_token", st.compat.token())?;
        }
        result.map_err(|e| raise(py, e))
    }

    /// What `CosS3Auth.__init__` reads of this config, fixed then: the secrets (of the
    /// `CredentialInstance` too: its `secret_id` and `secret_key` are read now, converted when
    /// signing), `SignHost`, `SignParams` and the rest of the state. A later `set_credential`
    /// or change of the instance does not reach an auth object made before it.
    fn _frozen(&self, py: Python<'_>) -> PyResult<CosConfig> {
        let state = self.snapshot();
        let cred = match &self.cred {
            Some(c) if state.compat.secret_id().is_none_or(str::is_empty) => {
                let c = c.bind(py);
                let kw = PyDict::new(py);
                let id = instance_read(py, c, pyo3::intern!(py, "secret_id"))?;
                kw.set_item("secret_id", id)?;
                let key = instance_read(py, c, pyo3::intern!(py, "secret_key"))?;
                kw.set_item("secret_key", key)?;
                let ns = py.import("types")?.getattr("SimpleNamespace")?;
                Some(ns.call((), Some(&kw))?.unbind())
            }
            other => other.as_ref().map(|c| c.clone_ref(py)),
        };
        Ok(CosConfig {
            state: Mutex::new(state),
            id: NEXT_CONFIG_ID.fetch_add(1, Ordering::Relaxed),
            version: AtomicU64::new(0),
            attrs: self.attrs.clone_ref(py),
            cred,
        })
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
        self.version.fetch_add(1, Ordering::Release);
    }

    /// [`snapshot`](Self::snapshot) for a signing call, with its version: the state this
    /// thread kept from its last call when it is this config's, of this version (taken out,
    /// so a call made from Python code during this one takes its own), else a snapshot.
    /// Give it back with [`keep`](Self::keep).
    fn take_snapshot(&self) -> Kept {
        // read before the state: a state newer than its version is only snapshot again
        let version = self.version.load(Ordering::Acquire);
        match LAST_STATE.take() {
            Some(k) if k.0 == self.id && k.1 == version => k,
            _ => (self.id, version, self.snapshot()),
        }
    }

    /// Keeps a state of [`take_snapshot`](Self::take_snapshot) for this thread's next call.
    fn keep(kept: Kept) {
        LAST_STATE.set(Some(kept));
    }
}

/// A config freed drops the state (and secrets) this thread kept of it, not at its next call.
impl Drop for CosConfig {
    fn drop(&mut self) {
        let _ = LAST_STATE.try_with(|last| match last.take() {
            Some(k) if k.0 == self.id => drop(k),
            other => last.set(other),
        });
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
    /// `method` is the text of `Method.lower()` (not an exact `str`'s).
    method_lowered: bool,
    /// The signed path, when it is not the key's text: `"{}".format(Key)`.
    key_format: Option<String>,
    expired: i64,
    /// The header pairs, then the params.
    pairs: Pairs,
    headers: usize,
    /// `urlencode(Params)` for a pre-signed URL whose query is not the params' quoted pairs.
    query: Option<String>,
    /// `int(time.time())`, when it was read to add a non-`int` `Expired`.
    now: Option<i64>,
}

/// A value that failed to convert: where it fails in the SDK's order, and its exception
/// (boxed: the results that carry one stay two words, moved without stalls).
type Failed = Box<(Stage, PyErr)>;

/// A [`Failed`].
fn fail(stage: Stage, e: PyErr) -> Failed {
    Box::new((stage, e))
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
        session: Opt<'py>,
    ) -> PyResult<Self> {
        if session.as_ref().is_none_or(|s| s.is_none()) {
            // the SDK logs "... maxsize=%d,%d" % (PoolConnections, PoolMaxSize), formatted
            // before the call: its TypeError (a str, None), ValueError (nan), OverflowError
            let attrs = conf.get().attrs.bind(py);
            let pool = (
                or_none(py, attrs.get_item("_pool_connections")?.as_ref()),
                or_none(py, attrs.get_item("_pool_maxsize")?.as_ref()),
            );
            pyo3::intern!(py, "%d,%d").rem(pool)?;
        }
        let retry = retry.0.unwrap_or_else(|| PyInt::new(py, 3).into_any());
        Ok(CosS3Client {
            conf: conf.unbind(),
            retry: retry.unbind(),
            session: or_none(py, session.as_ref()).unbind(),
        })
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
        rest: Rest<'py>,
        url: Option<&str>,
    ) -> PyResult<Bound<'py, PyString>> {
        let conf = self.conf.get();
        let kept = conf.take_snapshot();
        let r = self.call_in(py, (conf, &kept.2), op, (method, bucket, key), rest, url);
        CosConfig::keep(kept);
        r
    }

    /// [`call`](Self::call) on a snapshot of the config's state.
    fn call_in<'py>(
        &self,
        py: Python<'py>,
        (conf, st): (&CosConfig, &State),
        op: Op,
        (method, bucket, key): (&Obj<'py>, &Obj<'py>, &Obj<'py>),
        (expired, headers, params, sign_host, use_ci): Rest<'py>,
        url: Option<&str>,
    ) -> PyResult<Bound<'py, PyString>> {
        let use_ci = truthy(use_ci.as_ref())?;
        let sign_host = match sign_host.as_ref().filter(|s| !s.is_none()) {
            Some(s) => Some(s.is_truthy()?),
            None => None,
        };
        let mut room = None;
        let b = bucket_arg(py, bucket, &mut room)?;
        let key_obj = key;
        let (key, mut failed) = match key_arg(py, key, true) {
            Ok(k) => (k, None),
            Err(e) => (None, Some(fail(Stage::Key, e))),
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
            method_lowered: false,
            key_format: None,
            expired: 300,
            pairs: Pairs::default(),
            headers: 0,
            query: None,
            now: None,
        };
        // an anonymous config signs "" before looking at anything else
        if failed.is_none() && !cc.anonymous() {
            let args = (expired.as_ref(), headers.as_ref(), params.as_ref());
            // CosS3Auth has no `if not Params: Params = dict()`: it calls `items()` on any
            let all = url.is_some();
            failed = match convert(py, (op, all), (method, key_obj), args, cc, &mut conv) {
                Err(f) => Some(f),
                Ok(_) if poisoned => Some(fail(Stage::Late, raise(py, SdkError::unencodable()))),
                Ok(f) => f,
            };
        }
        let (mut stack, mut heap) = ([("", ""); 8], Vec::new());
        let pairs = match conv.pairs.is_empty() {
            true => &[][..],
            false => conv.pairs.refs(&mut stack, &mut heap),
        };
        let (hs, ps) = pairs.split_at(conv.headers);
        let now = match (conv.now, failed.is_none() && !cc.anonymous()) {
            (Some(t), _) => t,
            (None, true) => now(py)?,
            (None, false) => 0,
        };
        let mut call = SdkCall::new(op, &conv.method, None, key.as_deref(), now);
        call.bucket = b;
        (call.method_lowered, call.key_format) = (conv.method_lowered, conv.key_format.as_deref());
        (call.expired, call.headers, call.params) = (conv.expired, hs, ps);
        call.query = conv.query.as_deref();
        call.headers_kept = true;
        (call.sign_host, call.use_ci_endpoint, call.url) = (sign_host, use_ci, url);
        call.failed = failed.as_ref().map(|f| f.0);
        // a pre-signed URL's Authorization is made only when it goes into the headers
        let h = (headers.as_ref()).filter(|h| url.is_none() && mapping_truthy(h).unwrap_or(false));
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
            // (an error boxed: the result stays small)
            (r.map_err(Box::new), auth, url)
        });
        if let (Some(h), Some(auth)) = (h, &auth) {
            h.set_item(pyo3::intern!(py, "Authorization"), auth)?;
        }
        match (r, failed) {
            (Ok(()), _) => Ok(out.or(auth).unwrap_or_else(|| PyString::new(py, ""))),
            (Err(e), Some(f)) if e.kind == ErrorKind::Conversion => {
                let (stage, own) = *f;
                // urlencode(Params) quotes params the signature did not look at: its error
                match params.as_ref().filter(|_| stage == Stage::Signed) {
                    Some(p) => Err(urlencode(py, p).err().unwrap_or(own)),
                    None => Err(own),
                }
            }
            (Err(e), _) => Err(raise(py, *e)),
        }
    }
}

/// A `CredentialInstance`'s `secret_id` and `secret_key`, and whether the key holds a lone
/// surrogate (the SDK refuses it when signing, after everything else).
fn instance_secrets(py: Python<'_>, c: &Obj<'_>) -> PyResult<(String, SdkKey, bool)> {
    let id = instance_read(py, c, pyo3::intern!(py, "secret_id"))?;
    let sk = instance_read(py, c, pyo3::intern!(py, "secret_key"))?;
    let id = format_of(py, &id)?;
    let (sk, poisoned) = if let Some(b) = subclass_encoded(&sk)? {
        match b {
            Ok(b) => (SdkKey::bytes(b), false),
            Err(_) => (SdkKey::text(""), true),
        }
    } else if let Ok(s) = sk.cast::<PyString>() {
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

/// `conf._credential_inst.<name> if conf._credential_inst else None`, as `CosS3Auth` reads
/// each secret (the instance's truthiness is asked before each read).
fn instance_read<'py>(
    py: Python<'py>,
    c: &Obj<'py>,
    name: &Bound<'py, PyString>,
) -> PyResult<Obj<'py>> {
    match c.is_truthy()? {
        true => c.getattr(name),
        false => Ok(py.None().into_bound(py)),
    }
}

/// The SDK's `to_bytes(s)` (`s.encode('utf-8')`, its `UnicodeEncodeError` a
/// `CosClientError`) of a `str` subclass whose own `encode` gives bytes: those bytes (`None`
/// for anything else, whose text is used).
fn subclass_encoded(obj: &Obj<'_>) -> PyResult<Option<Result<Vec<u8>, SdkError>>> {
    if !str_subclass(obj) {
        return Ok(None);
    }
    let py = obj.py();
    match obj.call_method1(pyo3::intern!(py, "encode"), ("utf-8",)) {
        Ok(b) => Ok(b.cast::<PyBytes>().ok().map(|b| Ok(b.as_bytes().to_vec()))),
        Err(e) if e.is_instance_of::<pyo3::exceptions::PyUnicodeEncodeError>(py) => {
            Ok(Some(Err(SdkError::unencodable())))
        }
        Err(e) => Err(e),
    }
}

/// Converts `Method`, `Expired`, headers and params in the SDK's order. `Err`: a value that
/// stops the conversion; `Ok(Some)`: the first value that failed (the others are converted).
fn convert<'a, 'py>(
    py: Python<'py>,
    (op, all_params): (Op, bool),
    (method, key): (&'a Obj<'py>, &Obj<'py>),
    (expired, headers, params): (Option<&Obj<'py>>, Option<&Obj<'py>>, Option<&Obj<'py>>),
    cc: &SdkConfig,
    out: &mut Values<'a>,
) -> Result<Option<Failed>, Failed> {
    let filter = |e: PyErr| fail(Stage::Filter, e);
    let late = |e: PyErr| fail(Stage::Late, e);
    // text that cannot be (the first is raised after the others are converted)
    let mut first: Option<SdkError> = None;
    // filter_headers: every name must be a str; keep the allow-listed ones.
    if let Some(h) = headers
        .map(|h| mapping_truthy(h).map(|t| t.then_some(h)))
        .transpose()
        .map_err(filter)?
        .flatten()
    {
        // Anything but an exact dict is filtered as the SDK does it, `for i in data:` and
        // `headers[i] = data[i]` for a kept name, into a dict (a mapping that lists a name
        // twice, such as an `email.message.Message`, gives it once, with `data[i]`; a list of
        // names fails on `data[i]`).
        let filtered;
        // filter_headers' `data[i]`: asked again of an exact dict for a key of a str subclass
        // (whose hash or eq may not find it again); the filtered dict was built with it
        let lookup = h.is_exact_instance_of::<PyDict>();
        let h = match lookup {
            true => h,
            false => {
                filtered = filter_headers(py, h).map_err(filter)?;
                filtered.as_any()
            }
        };
        let mut bad_name: Option<SdkError> = None;
        for_each_item(h, |k, v| {
            let Ok(ks) = k.cast::<PyString>() else {
                bad_name.get_or_insert_with(|| SdkError::lower_descriptor(&type_name(&k)));
                return Ok(());
            };
            let Ok(name) = ks.to_str() else {
                if kept_name(ks)? {
                    first.get_or_insert_with(SdkError::unencodable);
                }
                return Ok(());
            };
            if keeps_header(name) {
                let (v, own) = match ks.is_exact_instance_of::<PyString>() {
                    true => (v, None),
                    false if lookup => (h.get_item(&k)?, Some(text_of(&k)?)),
                    false => (v, Some(text_of(&k)?)),
                };
                // to_bytes calls a subclass's own encode on the name
                let name = match &own {
                    Some(Ok(t)) => t.as_ref(),
                    Some(Err(e)) => {
                        first.get_or_insert_with(|| e.clone());
                        name
                    }
                    None => name,
                };
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
            return Err(fail(Stage::Filter, raise(py, e)));
        }
    }
    out.headers = out.pairs.len();
    if let Some(e) = first.take() {
        return Err(fail(Stage::Encode, raise(py, e)));
    }
    let deferred = convert_params(py, (op, all_params), params, cc.sign_params(), out)?;
    // format(): Method.lower() and the path formatted, Expired, then encoding the canonical
    // string
    if let Ok(s) = method.cast_exact::<PyString>() {
        let path = key_format(py, key).map_err(late)?;
        out.expired = expired_of(py, expired, &mut out.now).map_err(late)?;
        out.method = Cow::Borrowed(str_text(s).map_err(|e| late(raise(py, e)))?);
        out.key_format = path_text(py, path).map_err(late)?;
    } else {
        // another type's (or a str subclass's) own lower(), formatted: signed as it is
        let lowered = method.call_method0(pyo3::intern!(py, "lower"));
        let text = lowered.and_then(|l| formatted(py, &l)).map_err(late)?;
        let path = key_format(py, key).map_err(late)?;
        out.expired = expired_of(py, expired, &mut out.now).map_err(late)?;
        let m = str_text(&text).map_err(|e| late(raise(py, e)))?;
        out.method = Cow::Owned(m.to_owned());
        out.method_lowered = true;
        out.key_format = path_text(py, path).map_err(late)?;
    }
    Ok(deferred)
}

/// The signed path `"{}".format(key)` of a `str` subclass key starting with `/` (which the
/// SDK signs as it is, `self._path = key`), when it differs from the key's text.
#[inline]
fn key_format<'py>(py: Python<'py>, key: &Obj<'py>) -> PyResult<Option<Bound<'py, PyString>>> {
    if key.is_exact_instance_of::<PyString>() {
        return Ok(None);
    }
    let Ok(s) = key.cast::<PyString>() else {
        return Ok(None);
    };
    if s.is_exact_instance_of::<PyString>() {
        return Ok(None);
    }
    if !s.to_cow().is_ok_and(|t| t.starts_with('/')) {
        // u'/' + key: the text, where the URL took the key's own encode
        let slashed = PyString::new(py, "/").add(s)?.cast_into::<PyString>()?;
        return Ok(Some(slashed));
    }
    let f = formatted(py, key)?;
    Ok((f.to_cow().ok() != s.to_cow().ok()).then_some(f))
}

/// [`key_format`]'s text, UTF-8 encoded with the canonical string (the SDK's `to_bytes`).
fn path_text(py: Python<'_>, path: Option<Bound<'_, PyString>>) -> PyResult<Option<String>> {
    match path {
        Some(p) => Ok(Some(str_text(&p).map_err(|e| raise(py, e))?.to_owned())),
        None => Ok(None),
    }
}

/// `filter_headers(data)` of a `Headers` that is not an exact dict: `for i in data`, each name
/// `str.lower`ed (a `TypeError` for one that is not a `str`), `data[i]` of the kept ones.
fn filter_headers<'py>(py: Python<'py>, data: &Obj<'py>) -> PyResult<Bound<'py, PyDict>> {
    let kept = PyDict::new(py);
    for name in data.try_iter()? {
        let name = name?;
        let Ok(s) = name.cast::<PyString>() else {
            return Err(raise(py, SdkError::lower_descriptor(&type_name(&name))));
        };
        if kept_name(s)? {
            kept.set_item(&name, data.get_item(&name)?)?;
        }
    }
    Ok(kept)
}

/// Whether `filter_headers` keeps a header name (`str.lower(name)` in the allow-list), for a
/// name with a lone surrogate too (lowered by Python; its text fails later).
fn kept_name(name: &Bound<'_, PyString>) -> PyResult<bool> {
    match name.to_str() {
        Ok(n) => Ok(keeps_header(n)),
        Err(_) => {
            let lower = name.call_method0("lower")?;
            Ok(keeps_header(&lower.cast::<PyString>()?.to_string_lossy()))
        }
    }
}

/// The params: converted when signed (`uri_params.items()`), and for a pre-signed URL, whose
/// query is `urlencode(Params)`: the same pairs quoted, or, for `Params` that are not an
/// exact dict or hold a `str` subclass (whose `str()`, which urlencode takes, may differ from
/// its text), urlencode's own text (`out.query`). `Ok(Some)`: urlencode's error, which the
/// SDK raises after signing when the params are not signed. `all`: `CosS3Auth`'s params,
/// whose `items()` is called when they are signed even if they are falsy (`''`, `[]`).
fn convert_params<'py>(
    py: Python<'py>,
    (op, all): (Op, bool),
    params: Option<&Obj<'py>>,
    sign_params: bool,
    out: &mut Values<'_>,
) -> Result<Option<Failed>, Failed> {
    let encode = |e: PyErr| fail(Stage::Encode, e);
    let Some(p) = params else { return Ok(None) };
    let skipped = match all && sign_params {
        true => false,
        false => !mapping_truthy(p).map_err(encode)?,
    };
    if skipped {
        return Ok(None);
    }
    let presign = op == Op::Presign;
    let exact = p.is_exact_instance_of::<PyDict>();
    let mut own_query = !exact;
    let mut first: Option<SdkError> = None;
    if sign_params || (presign && exact) {
        let r = for_each_item(p, |k, v| {
            own_query |= str_subclass(&k) || str_subclass(&v);
            match (text_of(&k)?, text_of(&v)?) {
                (Ok(k), Ok(v)) => out.pairs.push(&k, &v),
                (Err(e), _) | (_, Err(e)) => drop(first.get_or_insert(e)),
            }
            Ok(())
        });
        match r {
            Err(e) if sign_params => return Err(encode(e)),
            // not signed: only urlencode(Params), after signing, fails
            Err(_) => own_query = true,
            Ok(()) => {}
        }
    }
    if let Some(e) = first.take() {
        if sign_params {
            return Err(fail(Stage::Encode, raise(py, e)));
        }
        out.pairs.truncate(out.headers);
        return Ok(Some(fail(Stage::Signed, raise(py, e))));
    }
    if presign && own_query {
        if !sign_params {
            out.pairs.truncate(out.headers);
        }
        match urlencode(py, p) {
            Ok(q) => out.query = Some(q),
            Err(e) => return Ok(Some(fail(Stage::Signed, e))),
        }
    }
    Ok(None)
}

/// `urlencode(Params)` of the SDK: its text, or its exception.
fn urlencode(py: Python<'_>, params: &Obj<'_>) -> PyResult<String> {
    URLENCODE
        .import(py, "urllib.parse", "urlencode")?
        .call1((params,))?
        .extract()
}

/// The `cos_sign` extension module.
#[pymodule]
fn _cos_sign(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CosConfig>()?;
    m.add_class::<CosS3Client>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
