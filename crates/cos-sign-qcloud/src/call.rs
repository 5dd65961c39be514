//! One signing call of `CosS3Client` (`get_auth`, `get_presigned_url`,
//! `get_presigned_download_url`) or of `CosS3Auth`: an [`SdkCall`] in, a [`Presigned`] out,
//! signed once.

use std::borrow::Cow;

use cos_sign_std::config;
use cos_sign_std::percent::{form_encode_pairs_into, form_encoded_len};
use cos_sign_std::rules::{self, QueryOut, is_signed_header};

use crate::config::{Bucket, SdkConfig, type_error};
use crate::error::SdkError;
use crate::python;

/// Which SDK call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `get_auth` (and `CosS3Auth`): the Authorization.
    Auth,
    /// `get_presigned_url` / `get_presigned_download_url`: the URL with the `q-*` pairs and
    /// the params.
    Presign,
}

/// The arguments of one call, converted as the SDK converts them (`str()` of non-strings,
/// pairs in the caller's order). Build it with [`SdkCall::new`] and set what differs from the
/// SDK's defaults.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SdkCall<'a> {
    /// The call.
    pub op: Op,
    /// `Method`, as given (the SDK signs `Method.lower()`).
    pub method: &'a str,
    /// `method` is already what `Method.lower()` gave (a `str` subclass's or another type's
    /// own `lower`): signed as it is, with no ASCII capital letter (which the signing would
    /// lowercase: such a method is refused).
    pub method_lowered: bool,
    /// `Bucket` (`None` signs the endpoint's URL).
    pub bucket: Option<Bucket<'a>>,
    /// `Key` (`None`: the path `/`).
    pub key: Option<&'a str>,
    /// The signed path when it is not the one `key` gives: `"{}".format(Key)` of a `str`
    /// subclass starting with `/` (a `(str, Enum)` member), which the SDK signs as it is
    /// (`self._path = key`) and formats into the canonical string.
    pub key_format: Option<&'a str>,
    /// `Expired` (default 300).
    pub expired: i64,
    /// `Headers`, in the caller's order.
    pub headers: &'a [(&'a str, &'a str)],
    /// `headers` holds only the names [`keeps_header`] keeps (the caller filtered them, so
    /// the signing does not look at the names again).
    pub headers_kept: bool,
    /// `Params`, in the caller's order.
    pub params: &'a [(&'a str, &'a str)],
    /// A pre-signed URL's `urlencode(Params)` as the caller computed it, when it is not the
    /// quoted text of `params` (Python's `urlencode` takes `str()` of a `str` subclass, such
    /// as a `(str, Enum)` member, where the signature encodes its text; `Params` that are not
    /// a `dict`). `Some` is appended after `&`; `None`: `params` are quoted.
    pub query: Option<&'a str>,
    /// `SignHost` (`None`: the config's).
    pub sign_host: Option<bool>,
    /// `UseCiEndPoint`.
    pub use_ci_endpoint: bool,
    /// `CosS3Auth`: the URL of the request being signed, instead of the one `CosConfig.uri`
    /// builds from the bucket and key.
    pub url: Option<&'a str>,
    /// `int(time.time())`.
    pub now: i64,
    /// Where, in the SDK's order of checks, the first value the caller could not convert
    /// fails (`None`: everything converted). [`sign`] then returns the SDK's error raised
    /// before that point, or [`ErrorKind::Conversion`](crate::ErrorKind::Conversion).
    pub failed: Option<Stage>,
}

impl<'a> SdkCall<'a> {
    /// A call with the SDK's defaults: `Expired=300`, no headers or params, `SignHost=None`,
    /// `UseCiEndPoint=False`.
    pub fn new(
        op: Op,
        method: &'a str,
        bucket: Option<&'a str>,
        key: Option<&'a str>,
        now: i64,
    ) -> Self {
        Self {
            op,
            method,
            method_lowered: false,
            bucket: bucket.map(Bucket::Name),
            key,
            key_format: None,
            expired: 300,
            headers: &[],
            headers_kept: false,
            params: &[],
            query: None,
            sign_host: None,
            use_ci_endpoint: false,
            url: None,
            now,
            failed: None,
        }
    }

    /// Whether the host is signed: the call's `SignHost`, else the config's.
    fn signs_host(&self, conf: &SdkConfig) -> bool {
        self.sign_host.unwrap_or(conf.sign_host())
    }
}

/// What a call gives.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Presigned {
    /// [`Op::Presign`]: the pre-signed URL; [`Op::Auth`]: the request URL.
    pub url: String,
    /// The Authorization (`""` for an anonymous config).
    pub authorization: String,
}

impl Presigned {
    /// Empty texts, to be written by [`sign_into`].
    pub const fn new() -> Self {
        Self {
            url: String::new(),
            authorization: String::new(),
        }
    }
}

impl Default for Presigned {
    fn default() -> Self {
        Self::new()
    }
}

/// Makes the call (see the [crate docs](crate) for the quirks kept and the refusals added).
///
/// ```
/// use cos_sign_qcloud::{Op, SdkCall, SdkConfig, SdkOptions, sign};
/// let conf = SdkConfig::new(
///     SdkOptions::default()
///         .region("ap-beijing")
///         .secret_id("AKIDexample")
///         .secret_key("secret"),
/// )?;
/// let call = SdkCall::new(Op::Presign, "GET", Some("b-125"), Some("a.txt"), 1_700_000_000);
/// let out = sign(&conf, &call)?;
/// assert!(out.url.starts_with("https://b-125.cos.ap-beijing.myqcloud.com/a.txt?q-sign-algorithm=sha1&q-ak=AKIDexample&q-sign-time=1699999940%3B1700000300&"));
/// assert!(out.authorization.starts_with("q-sign-algorithm=sha1&q-ak=AKIDexample&q-sign-time=1699999940;1700000300&"));
/// # Ok::<(), cos_sign_qcloud::SdkError>(())
/// ```
///
/// # Errors
/// As the SDK, plus the added refusals ([`ErrorKind::Refused`](crate::ErrorKind::Refused)).
pub fn sign(conf: &SdkConfig, call: &SdkCall<'_>) -> Result<Presigned, SdkError> {
    sign_with(conf, call, false)
}

/// [`sign`] for a caller that returns the call's result alone (an [`Op::Auth`] call's
/// Authorization, an [`Op::Presign`] call's URL): the other field (and an error's
/// `authorization`) may then be left empty when it is not needed to make the result (same
/// errors, same results).
///
/// # Errors
/// As [`sign`].
pub fn sign_returned(conf: &SdkConfig, call: &SdkCall<'_>) -> Result<Presigned, SdkError> {
    sign_with(conf, call, true)
}

/// Which texts of the signature a call makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Texts {
    /// The Authorization.
    Header,
    /// The Authorization and the pre-signed query's pairs.
    Both,
    /// The pre-signed query's pairs.
    Query,
}

fn sign_with(conf: &SdkConfig, call: &SdkCall<'_>, lean: bool) -> Result<Presigned, SdkError> {
    let mut out = Presigned::new();
    sign_into(conf, call, lean, &mut out).map(|()| out)
}

/// [`sign`] (or, with `lean`, [`sign_returned`]) into `out`, whose texts are replaced and
/// whose buffers are reused: a caller that signs again and again keeps one `Presigned` and
/// allocates nothing for the texts once they have grown to their size. `out` holds nothing
/// usable after an error.
///
/// ```
/// use cos_sign_qcloud::{Op, Presigned, SdkCall, SdkConfig, SdkOptions, sign, sign_into};
/// let conf = SdkConfig::new(SdkOptions::default().region("ap-beijing").secret_id("AKID").secret_key("k"))?;
/// let mut out = Presigned::new();
/// for key in ["a.txt", "b/c.txt"] {
///     let call = SdkCall::new(Op::Presign, "GET", Some("b-125"), Some(key), 1_700_000_000);
///     sign_into(&conf, &call, false, &mut out)?;
///     assert_eq!(out, sign(&conf, &call)?);
/// }
/// # Ok::<(), cos_sign_qcloud::SdkError>(())
/// ```
///
/// # Errors
/// As [`sign`].
pub fn sign_into(
    conf: &SdkConfig,
    call: &SdkCall<'_>,
    lean: bool,
    out: &mut Presigned,
) -> Result<(), SdkError> {
    let Presigned { url, authorization } = out;
    url.clear();
    authorization.clear();
    if let Some(stage) = call.failed.filter(|s| *s < Stage::Signed) {
        return Err(error_before(conf, call, stage).unwrap_or_else(SdkError::conversion));
    }
    // a bucket's URL: its prefix (and hostname) computed once, the key's path appended; the
    // hostname copied (on the stack when it fits)
    let (mut host, mut other) = (heapless::String::<HOSTNAME>::new(), None);
    let prefixed = match (call.url, call.bucket, call.key) {
        (None, Some(Bucket::Name(b)), Some(k)) if !k.is_empty() => {
            conf.with_prefix(b, call.use_ci_endpoint, |p| {
                if call.op == Op::Presign || !lean {
                    // room for the quoted key (at most 3 bytes a byte) and a pre-signed URL's
                    // query: the `q-*` pairs and the quoted params (no second allocation)
                    let query = match call.op {
                        Op::Presign => 512 + quoted_room(call.params),
                        Op::Auth => 0,
                    };
                    url.reserve(p.url.len() + 3 * k.len() + query);
                    url.push_str(&p.url);
                    config::url_path_into(url, k);
                }
                match &p.hostname {
                    Ok(Some(h)) if host.push_str(h).is_ok() => {}
                    h => other = Some(h.clone()),
                }
            })?;
            true
        }
        _ => false,
    };
    if !prefixed {
        *url = request_url(conf, call)?;
    }
    let known = match (prefixed, &other) {
        (false, _) => None,
        (true, None) => Some(Ok(Some(host.as_str()))),
        (true, Some(h)) => Some(h.as_ref().map(Option::as_deref).map_err(String::as_str)),
    };
    // the Authorization's 7 pairs have distinct keys and no `&` or `=` in a value unless the
    // SecretId holds one (names in the lists are quoted, the rest is digits, `;` and hex): the
    // URL's pairs are then the signature's query form
    let plain = call.op == Op::Presign
        && !conf.anonymous()
        && (conf.auth_secrets()).is_ok_and(|(id, _)| !conf.auth_id_splits(id));
    let texts = match (plain, lean) {
        (false, _) => Texts::Header,
        (true, false) => Texts::Both,
        (true, true) => Texts::Query,
    };
    sign_texts(conf, (url, authorization), known, call, texts)?;
    if call.op == Op::Auth && call.failed.is_none() {
        return Ok(());
    }
    // Stage::Signed: urlencode(Params) of params the signature did not use fails after the
    // Authorization is split into the URL's pairs
    let queried = texts != Texts::Header;
    // (the params were written after the signature's query form when they were signed)
    let params = match queried && conf.sign_params() || call.query.is_some() {
        true => &[][..],
        false => call.params,
    };
    let mut e = match presigned_url(url, authorization, queried, params, call.query) {
        Ok(()) if call.failed.is_none() => return Ok(()),
        Ok(()) => SdkError::conversion(),
        Err(e) => e,
    };
    e.authorization = (texts != Texts::Query).then(|| authorization.clone());
    Err(e)
}

/// The longest hostname of a bucket's URL copied on the stack.
const HOSTNAME: usize = 128;

/// Where, in the SDK's order of checks, a value the caller could not convert (a header name
/// that is not a `str`, text with a lone surrogate, an `Expired` of the wrong type...) fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// `CosConfig.uri`'s path, after the host checks.
    Key,
    /// `filter_headers`: `str.lower` of each header name.
    Filter,
    /// Quoting the kept headers and the params, after the host was taken from the URL.
    Encode,
    /// `Method.lower()`, `Expired`, encoding the canonical string (and the secret key).
    Late,
    /// `urlencode(Params)` of a pre-signed URL whose params were not signed
    /// (`SignParams=False`), after the Authorization was made.
    Signed,
}

/// The error the SDK raises **before** a value of `call` fails at `stage`, if any (`None`:
/// that value's own error stands). `call.headers` are the headers converted so far (and
/// `call.key` is `None` for [`Stage::Key`]). The SDK
/// checks, in order: the URL (`CosConfig.uri`), the credentials (`CosS3Auth.__init__`), an
/// anonymous config (`""`, which a pre-signed URL then fails to split), then, past the header
/// filter, the host it takes from the URL (`urlsplit`'s `ValueError`).
///
/// ```
/// use cos_sign_qcloud::{ErrorKind, Op, SdkCall, SdkConfig, SdkOptions, Stage, error_before};
/// let conf = SdkConfig::new(
///     SdkOptions::default()
///         .region("ap-beijing")
///         .secret_id("AKIDexample")
///         .secret_key("secret")
///         .domain("[bad"),
/// )?;
/// let call = SdkCall::new(Op::Auth, "GET", Some("b-125"), Some("k"), 1_700_000_000);
/// assert_eq!(error_before(&conf, &call, Stage::Filter), None);
/// let e = error_before(&conf, &call, Stage::Encode).unwrap();
/// assert_eq!((e.kind, e.message.as_str()), (ErrorKind::ValueError, "Invalid IPv6 URL"));
/// # Ok::<(), cos_sign_qcloud::SdkError>(())
/// ```
pub fn error_before(conf: &SdkConfig, call: &SdkCall<'_>, stage: Stage) -> Option<SdkError> {
    let mut url = match request_url(conf, call) {
        Ok(u) => u,
        Err(e) => return Some(e),
    };
    if stage == Stage::Key {
        return None;
    }
    if let Err(e) = conf.auth_secrets() {
        return Some(*e);
    }
    if conf.anonymous() {
        return match call.op {
            Op::Auth => None,
            Op::Presign => presigned_url(&mut url, "", false, &[], None).err(),
        };
    }
    if stage > Stage::Filter && call.signs_host(conf) && !rules::has_host(call.headers) {
        return python::url_hostname(&url).err().map(SdkError::value);
    }
    None
}

/// The URL a call signs: `call.url`, else `CosConfig.uri` (on the CI endpoint when asked).
fn request_url(conf: &SdkConfig, call: &SdkCall<'_>) -> Result<String, SdkError> {
    match call.url {
        Some(u) => Ok(u.to_owned()),
        None => {
            let endpoint = if call.use_ci_endpoint {
                conf.endpoint_ci()
            } else {
                None
            };
            conf.uri(call.bucket, call.key, endpoint, None)
        }
    }
}

/// `CosS3Auth.__call__`: the Authorization of a request to `url` (whose hostname, when known),
/// appended to `authorization` (left as is for [`Texts::Query`] and an anonymous config), and,
/// as `texts` asks, its pre-signed query form, appended to `url` after a `?`, followed by the
/// params when they are signed (the same pairs `urlencode(Params)` writes).
fn sign_texts(
    conf: &SdkConfig,
    (url, authorization): (&mut String, &mut String),
    known: Option<Result<Option<&str>, &str>>,
    call: &SdkCall<'_>,
    texts: Texts,
) -> Result<(), SdkError> {
    let (secret_id, secret_key) = conf.auth_secrets().map_err(|e| *e)?;
    if conf.anonymous() {
        return Ok(());
    }
    let params: &[(&str, &str)] = if conf.sign_params() { call.params } else { &[] };
    // The signed headers and the host: on the stack, or one allocation when there are many.
    let hostname;
    let (mut stack, mut heap) = (heapless::Vec::<(&str, &str), 16>::new(), Vec::new());
    let room = if call.headers.len() < stack.capacity() {
        // (room for all of them and the host: nothing is refused)
        let _ = stack.resize(call.headers.len() + 1, ("", ""));
        &mut stack[..]
    } else {
        heap.resize(call.headers.len() + 1, ("", ""));
        &mut heap[..]
    };
    let kept = (call.headers.iter()).filter(|(k, _)| call.headers_kept || is_signed_header(k));
    // `room` has a slot more than there are headers
    let mut n = 0;
    for (slot, h) in room.iter_mut().zip(kept) {
        *slot = *h;
        n += 1;
    }
    if call.signs_host(conf) && !rules::has_host(&room[..n]) {
        hostname = match known {
            Some(Ok(h)) => h.map(Cow::Borrowed),
            Some(Err(e)) => return Err(SdkError::value(e)),
            None => python::url_hostname(url)
                .map_err(SdkError::value)?
                .map(|h| Cow::Owned(h.into_owned())),
        };
        if let (Some(h), Some(slot)) = (hostname.as_deref(), room.get_mut(n)) {
            *slot = ("host", h);
            n += 1;
        }
    }
    let headers = &room[..n];
    // The core lowercases ASCII letters itself: only other text needs Python's `str.lower`.
    let lowered;
    let method = if call.method_lowered {
        if call.method.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(SdkError::refused(
                "a Method whose lower() keeps capital letters is refused by cos-sign",
            ));
        }
        call.method
    } else if call.method.is_ascii() {
        call.method
    } else {
        lowered = python::lower(call.method);
        &lowered
    };
    let Some(kt) = rules::key_time(call.now, call.expired) else {
        return Err(SdkError::refused(
            "the key time would start or end before 1970 (refused by cos-sign)",
        ));
    };
    let key_bytes = (secret_key.ok_or_else(|| type_error("NoneType"))?).map_err(|e| *e)?;
    let mut path_room = heapless::String::<256>::new();
    let path = match call.key_format {
        Some(p) => Cow::Borrowed(p),
        None => config::signing_path_in(call.key, &mut path_room),
    };
    let query = (texts != Texts::Header).then(|| {
        url.push('?');
        QueryOut {
            out: url,
            params: call.query.is_none(),
        }
    });
    let header = (texts != Texts::Query).then_some(authorization);
    conf.key_cache()
        .render_into(
            key_bytes,
            kt,
            secret_id,
            (method, &path, params, headers),
            header,
            query,
        )
        .map_err(|e| SdkError::refused(format!("{e} (refused by cos-sign)")))
}

/// `url + '?' + urlencode(dict([item.split('=', 1) for item in sign.split('&')]))`, then
/// `'&' + urlencode(Params)` when there are params (`query`: that text as the caller computed
/// it). `queried`: `url` already ends with that `?` and urlencode (the signature's query form,
/// written when the Authorization's pairs have distinct keys and no `&` or `=` in a value).
fn presigned_url(
    out: &mut String,
    authorization: &str,
    queried: bool,
    params: &[(&str, &str)],
    query: Option<&str>,
) -> Result<(), SdkError> {
    let params_len = quoted_room(params);
    if !queried {
        out.push('?');
        dict_pairs_into(out, authorization)?;
    }
    out.reserve(params_len);
    for (k, v) in params {
        out.push('&');
        python::quote_plus_into(out, k);
        out.push('=');
        python::quote_plus_into(out, v);
    }
    if let Some(q) = query {
        out.push('&');
        out.push_str(q);
    }
    Ok(())
}

/// Room for `params` quoted into a URL: `&`, `=` and at most 3 bytes a byte.
fn quoted_room(params: &[(&str, &str)]) -> usize {
    (params.iter())
        .map(|(k, v)| 2 + 3 * (k.len() + v.len()))
        .sum()
}

/// `urlencode(dict([item.split('=', 1) for item in sign.split('&')]))` into `out`.
fn dict_pairs_into(out: &mut String, authorization: &str) -> Result<(), SdkError> {
    let mut pairs: Vec<(&str, &str)> = Vec::with_capacity(8);
    for (i, item) in authorization.split('&').enumerate() {
        let Some((k, v)) = item.split_once('=') else {
            return Err(SdkError::value(format!(
                "dictionary update sequence element #{i} has length 1; 2 is required"
            )));
        };
        match pairs.iter_mut().find(|(pk, _)| *pk == k) {
            Some(p) => p.1 = v,
            None => pairs.push((k, v)),
        }
    }
    out.reserve(form_encoded_len(&pairs));
    form_encode_pairs_into(out, &pairs);
    Ok(())
}

/// Whether the SDK's `filter_headers` keeps a header of this name (`str.lower(name)` in the
/// allow-list): only those are converted and signed.
pub fn keeps_header(name: &str) -> bool {
    is_signed_header(name)
}

/// `CosS3Client.get_object_url(Bucket, Key)`.
///
/// # Errors
/// As [`SdkConfig::uri`].
pub fn object_url(
    conf: &SdkConfig,
    bucket: Option<&str>,
    key: Option<&str>,
) -> Result<String, SdkError> {
    conf.uri(bucket.map(Bucket::Name), key, None, None)
}
