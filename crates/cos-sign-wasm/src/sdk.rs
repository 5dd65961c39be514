//! qcloud_cos's rules around the signature, from cos-sign-qcloud (the crate that reproduces
//! the SDK's `CosConfig`, `get_auth` and `get_presigned_url` byte for byte): the only module
//! of this crate that uses it, kept in one place so that it follows that API as it moves.
//!
//! Here: the wrapper's [`Config`] and secrets become the SDK's `CosConfig` keywords
//! ([`SdkOptions`]), a call becomes an [`SdkCall`], and errors become the
//! `"<ExceptionClass>: <message>"` text that `js/index.js` turns into an `Error` whose `name`
//! is the class. A refusal qcloud_cos does not make ([`ErrorKind::Refused`]) is a
//! `CosClientError` here, as JavaScript has no subclass to raise.

use cos_sign_qcloud::{ErrorKind, Op, SdkCall, SdkConfig, SdkError};

use crate::{Call, Config};

/// One `get_auth` or `get_presigned_url` call.
#[derive(Debug)]
pub struct SdkArgs<'a> {
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

/// The error as the text `js/index.js` parses.
fn message(e: SdkError) -> String {
    match e.kind {
        ErrorKind::Refused => format!("{}: {}", ErrorKind::CosClientError.name(), e.message),
        _ => e.to_string(),
    }
}

/// `CosConfig(...)` with the config's keywords and these secrets.
fn sdk_config(config: &Config, secret_id: &str, secret_key: &str) -> Result<SdkConfig, String> {
    let o = config
        .options
        .clone()
        .secret_id(secret_id)
        .secret_key(secret_key);
    SdkConfig::new(o).map_err(message)
}

/// `get_object_url(Bucket, Key)`.
pub fn object_url(
    config: &Config,
    secret_id: &str,
    secret_key: &str,
    bucket: &str,
    key: &str,
) -> Result<String, String> {
    let conf = sdk_config(config, secret_id, secret_key)?;
    cos_sign_qcloud::object_url(&conf, Some(bucket), Some(key)).map_err(message)
}

/// The call's Authorization, or its pre-signed URL.
pub fn sign(config: &Config, c: &SdkArgs<'_>) -> Result<String, String> {
    let conf = sdk_config(config, c.secret_id, c.secret_key)?;
    let op = match c.call {
        Call::Authorization => Op::Auth,
        Call::PresignedUrl => Op::Presign,
    };
    let mut call = SdkCall::new(op, c.method, Some(c.bucket), Some(c.key), c.now);
    call.expired = c.expires;
    call.params = c.params;
    call.headers = c.headers;
    call.sign_host = c.sign_host;
    let out = cos_sign_qcloud::sign(&conf, &call).map_err(message)?;
    Ok(match op {
        Op::Auth => out.authorization,
        Op::Presign => out.url,
    })
}
