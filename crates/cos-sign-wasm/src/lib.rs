//! Tencent Cloud COS signing for JavaScript (Node, Deno, workers, browsers), compiled to
//! WebAssembly with wasm-bindgen. `js/index.js` wraps these exports as
//! `cosSign.presignedUrl({...})`, `cosSign.authorization({...})` and
//! `cosSign.signRequest({...})`.
//!
//! The outputs equal qcloud_cos 1.9.44's (`get_presigned_url`, `get_auth`) for the same
//! inputs and time. The SDK's rules (hosts from the region, URL encoding, the header
//! allow-list, the key-time window) come from cos-sign-qcloud, all used in [`sdk`]; the
//! signing is cos-sign-core's. Pairs are read into fixed arrays on the stack; `signRequest`
//! allocates nothing but the returned string, `sdkSign` a fixed number of buffers whatever the
//! number of pairs.
//!
//! The wrapper builds the arguments as objects: a [`Config`] (`CosConfig`'s keywords, one
//! `setText`/`setFlag` call each), an [`SdkRequest`] for `sdkSign` and an [`HttpRequest`] for
//! `signRequest`; the secrets go to the signing call itself. Pairs cross from JavaScript
//! packed (`setPairs`): one string with every name and value one after the other, and their
//! lengths in UTF-16 code units (JavaScript's `length`), two per pair.

use cos_sign_core::{Error as CoreError, KeyTime, Request, SigningKey};
use wasm_bindgen::prelude::*;

mod sdk;

/// The most params, and the most headers, one call takes.
pub const MAX_PAIRS: usize = 64;

/// Pairs read from a packed string, on the stack.
pub struct Pairs<'a> {
    items: [(&'a str, &'a str); MAX_PAIRS],
    len: usize,
}

impl core::fmt::Debug for Pairs<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pairs").field("len", &self.len).finish()
    }
}

impl<'a> Pairs<'a> {
    /// Splits `packed` by `lens` (UTF-16 code units, name then value, per pair).
    ///
    /// # Errors
    /// More than [`MAX_PAIRS`] pairs, an odd number of lengths, or lengths that do not add
    /// up to `packed`.
    pub fn unpack(packed: &'a str, lens: &[u32], what: &str) -> Result<Self, String> {
        if !lens.len().is_multiple_of(2) {
            return Err(format!("{what}: lengths come in pairs"));
        }
        if lens.len() / 2 > MAX_PAIRS {
            return Err(format!(
                "{what}: more than {MAX_PAIRS} (refused by cos-sign)"
            ));
        }
        let mut p = Pairs {
            items: [("", ""); MAX_PAIRS],
            len: 0,
        };
        let mut rest = packed;
        let mut take = |units: u32| -> Result<&'a str, String> {
            let mut seen = 0u32;
            let mut end = 0;
            for c in rest.chars() {
                if seen >= units {
                    break;
                }
                seen += c.len_utf16() as u32;
                end += c.len_utf8();
            }
            if seen != units {
                return Err(format!("{what}: lengths do not match the text"));
            }
            let (head, tail) = rest.split_at(end);
            rest = tail;
            Ok(head)
        };
        for (slot, l) in p.items.iter_mut().zip(lens.chunks_exact(2)) {
            *slot = (take(l[0])?, take(l[1])?);
            p.len += 1;
        }
        if !rest.is_empty() {
            return Err(format!("{what}: lengths do not match the text"));
        }
        Ok(p)
    }

    /// The pairs, in the order given.
    pub fn as_slice(&self) -> &[(&'a str, &'a str)] {
        self.items.get(..self.len).unwrap_or_default()
    }
}

/// A whole number of seconds from a JavaScript number.
fn seconds(v: f64, what: &str) -> Result<i64, String> {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.0e15 {
        Ok(v as i64)
    } else {
        Err(format!("{what} must be a whole number of seconds"))
    }
}

/// Appends a core text to `out`, growing it once.
fn push_text(out: &mut String, text: impl core::fmt::Display, len: usize) {
    use core::fmt::Write;
    out.reserve(len);
    // Writing into a String cannot fail; the core's texts are whole UTF-8.
    let _ = write!(out, "{text}");
}

/// The configuration of a call, as the wrapper passes it: `CosConfig`'s keywords (the secrets
/// are added per call). `new Config()`, then `setText` or `setFlag` per keyword given.
#[wasm_bindgen]
#[derive(Debug, Default)]
pub struct Config {
    options: cos_sign_qcloud::SdkOptions,
}

#[wasm_bindgen]
impl Config {
    /// `CosConfig()` with no keyword given yet.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Config {
        Config::default()
    }

    /// `CosConfig(<keyword>=value)` for a text keyword: `Region`, `Endpoint`, `Scheme`,
    /// `Appid`, `Domain`, `IP` or `Port`; `undefined`: not given.
    ///
    /// # Errors
    /// Another keyword.
    #[wasm_bindgen(js_name = setText)]
    pub fn set_text(&mut self, keyword: &str, value: Option<String>) -> Result<(), JsError> {
        let o = &mut self.options;
        let slot = match keyword {
            "Region" => &mut o.region,
            "Endpoint" => &mut o.endpoint,
            "Scheme" => &mut o.scheme,
            "Appid" => &mut o.appid,
            "Domain" => &mut o.domain,
            "IP" => &mut o.ip,
            "Port" => &mut o.port,
            _ => return Err(no_keyword("text", keyword)),
        };
        *slot = value;
        Ok(())
    }

    /// The same for a flag: `SignHost`, `SignParams`, `EnableOldDomain` or
    /// `EnableInternalDomain`.
    ///
    /// # Errors
    /// Another keyword.
    #[wasm_bindgen(js_name = setFlag)]
    pub fn set_flag(&mut self, keyword: &str, value: Option<bool>) -> Result<(), JsError> {
        let o = &mut self.options;
        *(match keyword {
            "SignHost" => &mut o.sign_host,
            "SignParams" => &mut o.sign_params,
            "EnableOldDomain" => &mut o.enable_old_domain,
            "EnableInternalDomain" => &mut o.enable_internal_domain,
            _ => return Err(no_keyword("flag", keyword)),
        }) = value;
        Ok(())
    }
}

/// The error for a keyword `Config` does not know.
fn no_keyword(kind: &str, keyword: &str) -> JsError {
    JsError::new(&format!("no {kind} keyword {keyword}"))
}

/// Params or headers as the wrapper packs them: one string with every name and value one
/// after the other, and their lengths in UTF-16 code units, two per pair.
#[derive(Default)]
struct Packed {
    text: String,
    lens: Vec<u32>,
}

/// The number of pairs only: a header may carry a token.
impl core::fmt::Debug for Packed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Packed")
            .field("pairs", &(self.lens.len() / 2))
            .finish()
    }
}

impl Packed {
    fn new(text: String, lens: Vec<u32>) -> Self {
        Packed { text, lens }
    }

    /// The params' slot or the headers'.
    fn slot<'a>(headers: bool, params: &'a mut Packed, h: &'a mut Packed) -> &'a mut Packed {
        if headers { h } else { params }
    }

    fn unpack(&self, what: &str) -> Result<Pairs<'_>, String> {
        Pairs::unpack(&self.text, &self.lens, what)
    }
}

/// `get_object_url`: the object's URL (no signature). The secrets are checked as `CosConfig`
/// does when given; without them any stand in.
///
/// # Errors
/// What qcloud_cos raises, as `"<ExceptionClass>: <message>"`, and the crate's refusals.
#[wasm_bindgen(js_name = objectUrl)]
pub fn object_url(
    config: &Config,
    secret_id: Option<String>,
    secret_key: Option<String>,
    bucket: &str,
    key: &str,
) -> Result<String, JsError> {
    sdk::object_url(
        config,
        secret_id.as_deref().unwrap_or("-"),
        secret_key.as_deref().unwrap_or("-"),
        bucket,
        key,
    )
    .map_err(|e| JsError::new(&e))
}

/// The SDK call to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// `get_auth`: the Authorization header value.
    Authorization,
    /// `get_presigned_url`: the URL.
    PresignedUrl,
}

/// A `get_auth` or `get_presigned_url` call, as the wrapper passes it (the secrets and the
/// config apart): `new SdkRequest(bucket, key, method, expires, now)`, then `setPairs`
/// and the `signHost` property when given.
#[wasm_bindgen]
#[derive(Debug)]
pub struct SdkRequest {
    bucket: String,
    key: String,
    method: String,
    expires: f64,
    now: f64,
    params: Packed,
    headers: Packed,
    sign_host: Option<bool>,
}

#[wasm_bindgen]
impl SdkRequest {
    /// `Bucket`, `Key`, `Method`, `Expired` (seconds) and `time.time()` = `now`; no params,
    /// no headers, the config's `SignHost`.
    #[wasm_bindgen(constructor)]
    pub fn new(bucket: String, key: String, method: String, expires: f64, now: f64) -> Self {
        SdkRequest {
            bucket,
            key,
            method,
            expires,
            now,
            params: Packed::default(),
            headers: Packed::default(),
            sign_host: None,
        }
    }

    /// The params (`headers` false) or the headers, packed (see [`Pairs::unpack`]).
    #[wasm_bindgen(js_name = setPairs)]
    pub fn set_pairs(&mut self, headers: bool, text: String, lens: Vec<u32>) {
        *Packed::slot(headers, &mut self.params, &mut self.headers) = Packed::new(text, lens);
    }

    /// The call's `SignHost` (`undefined`: the config's).
    #[wasm_bindgen(setter = signHost)]
    pub fn set_sign_host(&mut self, value: Option<bool>) {
        self.sign_host = value;
    }
}

/// `get_presigned_url` (`presigned` true) or `get_auth`: `request` signed with these secrets
/// under `config`.
///
/// # Errors
/// What qcloud_cos raises, as `"<ExceptionClass>: <message>"`, and the crate's refusals.
#[wasm_bindgen(js_name = sdkSign)]
pub fn sdk_sign(
    presigned: bool,
    config: &Config,
    secret_id: &str,
    secret_key: &str,
    request: &SdkRequest,
) -> Result<String, JsError> {
    let run = || -> Result<String, String> {
        let r = request;
        let params = r.params.unpack("params")?;
        let headers = r.headers.unpack("headers")?;
        let call = sdk::SdkArgs {
            call: if presigned {
                Call::PresignedUrl
            } else {
                Call::Authorization
            },
            secret_id,
            secret_key,
            bucket: &r.bucket,
            key: &r.key,
            method: &r.method,
            expires: seconds(r.expires, "expires")?,
            params: params.as_slice(),
            headers: headers.as_slice(),
            sign_host: r.sign_host,
            now: seconds(r.now, "now")?,
        };
        sdk::sign(config, &call)
    };
    run().map_err(|e| JsError::new(&e))
}

/// A request to sign exactly, as the wrapper passes it: `new HttpRequest(method, path)`,
/// then `setPairs` when given.
#[wasm_bindgen]
#[derive(Debug)]
pub struct HttpRequest {
    method: String,
    path: String,
    params: Packed,
    headers: Packed,
}

#[wasm_bindgen]
impl HttpRequest {
    /// The method and the path; no params, no headers.
    #[wasm_bindgen(constructor)]
    pub fn new(method: String, path: String) -> Self {
        HttpRequest {
            method,
            path,
            params: Packed::default(),
            headers: Packed::default(),
        }
    }

    /// As [`SdkRequest::set_pairs`].
    #[wasm_bindgen(js_name = setPairs)]
    pub fn set_pairs(&mut self, headers: bool, text: String, lens: Vec<u32>) {
        *Packed::slot(headers, &mut self.params, &mut self.headers) = Packed::new(text, lens);
    }
}

/// Signs exactly the given request at the key time `start;end` (no SDK rules: every header
/// and param given is signed) and returns its Authorization header value.
///
/// # Errors
/// Times that are not whole non-negative seconds, more than [`MAX_PAIRS`] pairs.
#[wasm_bindgen(js_name = signRequest)]
pub fn sign_request(
    secret_id: &str,
    secret_key: &str,
    start: f64,
    end: f64,
    request: &HttpRequest,
) -> Result<String, JsError> {
    let run = || -> Result<String, String> {
        let params = request.params.unpack("params")?;
        let headers = request.headers.unpack("headers")?;
        let time = |v: f64, what: &str| {
            seconds(v, what).and_then(|s| u64::try_from(s).map_err(|_| format!("{what} < 0")))
        };
        let key_time = KeyTime::new(time(start, "start")?, time(end, "end")?);
        let key = SigningKey::derive(secret_key.as_bytes(), key_time);
        let req = Request::new(&request.method, &request.path)
            .with_capacity::<MAX_PAIRS>()
            .params(params.as_slice())
            .headers(headers.as_slice());
        let signed = key.sign(&req).map_err(|e: CoreError| e.to_string())?;
        let text = signed.authorization(secret_id);
        let mut out = String::new();
        push_text(&mut out, text, text.len());
        Ok(out)
    };
    run().map_err(|e| JsError::new(&e))
}

/// Signs a POST Object policy (the JSON exactly as it is base64-encoded into the form) at
/// the key time `start;end`: returns `"<string to sign>\n<signature>\n<policy base64>"`
/// (`js/index.js` turns it into an object).
///
/// # Errors
/// Times that are not whole non-negative seconds.
#[wasm_bindgen(js_name = signPostPolicy)]
pub fn sign_post_policy(
    secret_key: &str,
    start: f64,
    end: f64,
    policy_json: &str,
) -> Result<String, JsError> {
    let time = |v: f64, what: &str| {
        seconds(v, what)
            .and_then(|s| u64::try_from(s).map_err(|_| format!("{what} < 0")))
            .map_err(|e| JsError::new(&e))
    };
    let key = SigningKey::derive(
        secret_key.as_bytes(),
        KeyTime::new(time(start, "start")?, time(end, "end")?),
    );
    let sig = key.sign_post_policy(policy_json.as_bytes());
    let policy = cos_sign_core::policy_base64(policy_json.as_bytes());
    let mut out = String::with_capacity(82 + policy.len());
    out.push_str(sig.string_to_sign());
    out.push('\n');
    out.push_str(sig.signature());
    out.push('\n');
    push_text(&mut out, policy, policy.len());
    Ok(out)
}
