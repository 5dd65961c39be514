//! qcloud_cos's rules around the signature, from cos-sign-std: the only module of this crate
//! that uses it (kept in one place so that it follows std's API as it moves).
//!
//! From std: `CosConfig`'s checks and the request URL (`CompatConfig::new`, `uri`: hosts
//! from the region, endpoint, domain and appid, the key's URL encoding), the header
//! allow-list (`is_signed_header`), `urlencode` for params that are not signed. Here, as
//! `CosS3Auth` does it: the key-time window (`now - 60` to `now + expires`), the host taken
//! from the URL when signing the host and no `host` header is given, the params signed
//! unless `SignParams` is false, then the core signs and the texts are written into the
//! returned string.

use cos_sign_core::{KeyTime, Request, SigningKey};
use cos_sign_std::compat::{CompatConfig, CompatOptions};
use cos_sign_std::{is_signed_header, urlencode};

use crate::{Call, Config, MAX_PAIRS, push_text};

/// One `get_auth` or `get_presigned_url` call.
#[derive(Debug)]
pub struct SdkCall<'a> {
    pub call: Call,
    pub secret_id: &'a str,
    pub secret_key: &'a str,
    pub bucket: &'a str,
    pub key: &'a str,
    pub method: &'a str,
    pub expires: i64,
    pub params: &'a [(&'a str, &'a str)],
    pub headers: &'a [(&'a str, &'a str)],
    /// The call's `SignHost` (`None`: the config's, default true).
    pub sign_host: Option<bool>,
    /// `time.time()`.
    pub now: i64,
}

/// The longest decoded path signed from a stack buffer (a longer key is copied once).
const PATH_ROOM: usize = 1024;
/// The longest host (DNS allows 253).
const HOST_ROOM: usize = 256;

fn client_error(message: &str) -> String {
    format!("CosClientError: {message}")
}

/// `CosConfig(...)` with these keywords and secrets.
fn compat_config(
    config: &Config,
    secret_id: &str,
    secret_key: &str,
) -> Result<CompatConfig, String> {
    CompatConfig::new(CompatOptions {
        region: config.region.clone(),
        endpoint: config.endpoint.clone(),
        scheme: config.scheme.clone(),
        appid: config.appid.clone(),
        domain: config.domain.clone(),
        ip: config.ip.clone(),
        port: config.port.clone(),
        sign_host: config.sign_host,
        sign_params: config.sign_params,
        enable_old_domain: config.enable_old_domain,
        enable_internal_domain: config.enable_internal_domain,
        secret_id: Some(secret_id.to_owned()),
        secret_key: Some(secret_key.to_owned()),
        ..CompatOptions::default()
    })
    .map_err(|e| e.to_string())
}

/// `get_object_url(Bucket, Key)`.
pub fn object_url(
    config: &Config,
    secret_id: &str,
    secret_key: &str,
    bucket: &str,
    key: &str,
) -> Result<String, String> {
    let conf = compat_config(config, secret_id, secret_key)?;
    cos_sign_std::compat::get_object_url(&conf, Some(bucket), Some(key)).map_err(|e| e.to_string())
}

/// The call's Authorization, or its pre-signed URL.
pub fn sign(config: &Config, c: &SdkCall<'_>) -> Result<String, String> {
    let conf = compat_config(config, c.secret_id, c.secret_key)?;
    // The URL: the start of a pre-signed URL, and where the signed host comes from.
    let mut url = conf
        .uri(Some(c.bucket), Some(c.key), None, None)
        .map_err(|e| e.to_string())?;
    if c.secret_id.is_empty() || c.secret_key.is_empty() {
        return Err(client_error("secretId and secretKey are required"));
    }
    if c.call == Call::PresignedUrl && c.secret_id.contains(['&', '=']) {
        // The SDK splits its Authorization on `&` and `=` into a dict: not reproduced here.
        return Err(client_error(
            "a secretId containing '&' or '=' (refused by cos-sign-wasm)",
        ));
    }

    // Headers: the allow-list, then the URL's host unless a host header is given.
    let mut headers = [("", ""); MAX_PAIRS + 1];
    let mut n = 0;
    for &(k, v) in c.headers.iter().filter(|(k, _)| is_signed_header(k)) {
        if let Some(slot) = headers.get_mut(n) {
            *slot = (k, v);
            n += 1;
        }
    }
    let mut host_buf = [0u8; HOST_ROOM];
    let sign_host = c.sign_host.or(config.sign_host).unwrap_or(true);
    let has_host = headers
        .get(..n)
        .unwrap_or_default()
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("host"));
    if sign_host
        && !has_host
        && let Some(host) = url_host(&url, &mut host_buf)?
        && let Some(slot) = headers.get_mut(n)
    {
        *slot = ("host", host);
        n += 1;
    }
    let headers = headers.get(..n).unwrap_or_default();
    let params: &[(&str, &str)] = if config.sign_params.unwrap_or(true) {
        c.params
    } else {
        &[]
    };

    // `/` + key, on the stack.
    let mut path_buf = [0u8; PATH_ROOM];
    let long_path: String;
    let path: &str = if c.key.starts_with('/') {
        c.key
    } else if let Some(dst) = path_buf.get_mut(..c.key.len() + 1) {
        if let Some((slash, rest)) = dst.split_first_mut() {
            *slash = b'/';
            rest.copy_from_slice(c.key.as_bytes());
        }
        core::str::from_utf8(dst).map_err(|e| e.to_string())?
    } else {
        long_path = format!("/{}", c.key);
        &long_path
    };

    // Python's str.lower() of a non-ASCII method (the core lowercases ASCII letters).
    let lowered: String;
    let method = if c.method.is_ascii() {
        c.method
    } else {
        lowered = c.method.to_lowercase();
        &lowered
    };

    let (Some(start), Some(end)) = (c.now.checked_sub(60), c.now.checked_add(c.expires)) else {
        return Err(client_error("the key time is out of range"));
    };
    let (Ok(start), Ok(end)) = (u64::try_from(start), u64::try_from(end)) else {
        return Err(client_error(
            "the key time would start or end before 1970 (refused by cos-sign-std)",
        ));
    };
    let key = SigningKey::derive(c.secret_key.as_bytes(), KeyTime::new(start, end));
    let req = Request::new(method, path)
        .with_capacity::<{ MAX_PAIRS + 1 }>()
        .params(params)
        .headers(headers);
    let signed = key
        .sign(&req)
        .map_err(|e| client_error(&format!("{e} (refused by cos-sign)")))?;

    match c.call {
        Call::Authorization => {
            let text = signed.authorization(c.secret_id);
            let mut out = String::new();
            push_text(&mut out, text, text.len());
            Ok(out)
        }
        Call::PresignedUrl => {
            let query = signed.presigned_query(c.secret_id);
            let p = signed.params_query();
            // One reservation for the whole URL: the query, and the params after a `&`.
            let (query_len, params_len) = (query.len(), p.len());
            url.reserve(1 + query_len + 1 + params_len);
            url.push('?');
            push_text(&mut url, query, query_len);
            if !c.params.is_empty() {
                url.push('&');
                if params.is_empty() {
                    // Params given but not signed (SignParams=False) still go in the URL.
                    url.push_str(&urlencode(c.params));
                } else {
                    push_text(&mut url, p, params_len);
                }
            }
            Ok(url)
        }
    }
}

/// The host of a URL that `CompatConfig::uri` built (`scheme://host[:port]/...`; std has
/// refused hosts with anything else in them), lowercased as `urlparse(url).hostname`.
fn url_host<'b>(url: &str, buf: &'b mut [u8; HOST_ROOM]) -> Result<Option<&'b str>, String> {
    let rest = url.split_once("://").map_or("", |(_, r)| r);
    let netloc = rest.split(['/', '?', '#']).next().unwrap_or("");
    if netloc.contains(['@', '[', ']']) {
        return Err(client_error("unsupported host (refused by cos-sign-wasm)"));
    }
    let host = netloc.split(':').next().unwrap_or("");
    if host.is_empty() {
        return Ok(None);
    }
    let dst = buf
        .get_mut(..host.len())
        .ok_or_else(|| client_error("host too long (refused by cos-sign-wasm)"))?;
    for (d, b) in dst.iter_mut().zip(host.bytes()) {
        *d = b.to_ascii_lowercase();
    }
    if !host.is_ascii() {
        return Err(client_error("non-ASCII host (refused by cos-sign-wasm)"));
    }
    core::str::from_utf8(dst)
        .map(Some)
        .map_err(|e| e.to_string())
}
