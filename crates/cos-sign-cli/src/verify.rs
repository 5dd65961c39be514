//! `cos-sign verify`: checks a pre-signed URL or an Authorization value as COS would, through
//! [`cos_sign_core::verify_request`] (the rule the local server uses too); this module only
//! rebuilds the request from the URL and words the verdict.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Args;
use cos_sign_core::{
    AuthorizationSource, KeyTime, ParsedAuthorization, Request, RequestAuthError, VerifyError,
    fields, verify_request,
};
use cos_sign_std::credentials::CredentialsProvider;
use reqwest::Url;

use crate::target::redact_token;
use crate::{CliError, CredArgs, OutputFormat, no_credentials, parse_header, provider};

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// A pre-signed URL; or, with --authorization, the URL of the signed request.
    url: String,
    /// An Authorization header value to check instead of the URL's q-* params.
    #[arg(long, value_name = "VALUE")]
    authorization: Option<String>,
    /// The request's method.
    #[arg(short = 'X', long, default_value = "GET")]
    method: String,
    /// A header of the request, 'Name: value' (repeatable). `Host` defaults to the URL's.
    #[arg(short = 'H', long = "header", value_name = "NAME:VALUE", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// The secret id to expect (default: the one the signature names, or your credentials').
    #[arg(long)]
    secret_id: Option<String>,
    /// The secret key (default: from the environment or the profile file). Prefer the
    /// environment: command lines are visible to other users.
    #[arg(long)]
    secret_key: Option<String>,
    /// Check at this unix time instead of now.
    #[arg(long, value_name = "UNIX_SECONDS")]
    at: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    output: OutputFormat,
    #[command(flatten)]
    creds: CredArgs,
}

/// The raw value of `name` in an Authorization or query text (`&`-separated pairs).
fn raw_field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

fn utc(t: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + std::time::Duration::from_secs(t))
}

/// `t` relative to the real current time `now`: `N s ago` or `in N s`.
fn relative(t: u64, now: u64) -> String {
    if t <= now {
        format!("{} s ago", now - t)
    } else {
        format!("in {} s", t - now)
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A verdict, printed as text or JSON.
struct Verdict {
    reason: Option<&'static str>,
    message: String,
    secret_id: String,
    method: String,
    path: String,
    checked_at: u64,
    window: Option<KeyTime>,
    recomputed: Option<(String, String)>,
}

impl Verdict {
    fn print(&self, format: OutputFormat) -> ExitCode {
        match format {
            OutputFormat::Json => {
                let v = serde_json::json!({
                    "valid": self.reason.is_none(),
                    "reason": self.reason,
                    "message": self.message,
                    "secret_id": self.secret_id,
                    "method": self.method,
                    "path": self.path,
                    "checked_at": self.checked_at,
                    "valid_from": self.window.map(|w| w.start()),
                    "valid_until": self.window.map(|w| w.end()),
                    "string_to_sign": self.recomputed.as_ref().map(|r| r.0.as_str()),
                    "format_string": self.recomputed.as_ref().map(|r| r.1.as_str()),
                });
                say!("{v}");
            }
            OutputFormat::Text => {
                if self.reason.is_none() {
                    say!("valid: {}", self.message);
                } else {
                    say!("invalid: {}", self.message);
                }
                if let Some((sts, http)) = &self.recomputed {
                    say!("recomputed StringToSign:\n{}", indent(sts));
                    say!("recomputed FormatString:\n{}", indent(http));
                }
            }
        }
        ExitCode::from(if self.reason.is_none() { 0 } else { 1 })
    }
}

pub fn run(a: &VerifyArgs) -> Result<ExitCode, CliError> {
    let url = Url::parse(&a.url).map_err(|e| CliError::usage(format!("bad URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(CliError::usage("bad URL: http or https expected"));
    }
    if a.method.is_empty() || !a.method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(CliError::usage(format!("bad method {:?}", a.method)));
    }
    let query = url.query().unwrap_or("");
    let (text, from_query) = match &a.authorization {
        Some(auth) => (auth.as_str(), false),
        None => {
            if raw_field(query, fields::SIGNATURE).is_none() {
                return Err(CliError::usage(
                    "the URL has no q-signature: give a pre-signed URL, or --authorization VALUE \
                     with the request's URL",
                ));
            }
            (query, true)
        }
    };
    let real_now = unix_now();
    let now = a.at.unwrap_or(real_now);
    let method = a.method.to_ascii_uppercase();
    let url_path = percent_encoding::percent_decode_str(url.path())
        .decode_utf8_lossy()
        .into_owned();
    let auth = match if from_query {
        ParsedAuthorization::from_query(text)
    } else {
        ParsedAuthorization::parse(text)
    } {
        Ok(a) => a,
        Err(e) => {
            let v = Verdict {
                reason: Some("malformed"),
                message: format!("not a well-formed COS signature: {e}"),
                secret_id: raw_field(text, fields::AK).map(decode).unwrap_or_default(),
                method,
                path: url_path,
                checked_at: now,
                window: None,
                recomputed: None,
            };
            return Ok(v.print(a.output));
        }
    };
    let mut id_buf = [0u8; 512];
    let signed_id = auth
        .secret_id_into(&mut id_buf)
        .ok()
        .and_then(|b| std::str::from_utf8(b).ok())
        .unwrap_or("")
        .to_owned();

    // The secret: --secret-key (id: --secret-id or the signature's), else the chain.
    let (secret_id, secret_key) = match (&a.secret_id, &a.secret_key) {
        (id, Some(key)) => (id.clone().unwrap_or_else(|| signed_id.clone()), key.clone()),
        (id, None) => {
            let c = provider(&a.creds)
                .credentials()
                .map_err(|e| no_credentials(&e))?;
            (
                id.clone().unwrap_or_else(|| c.secret_id().to_owned()),
                c.expose_secret_key().to_owned(),
            )
        }
    };

    // The request as COS would see it.
    let path = percent_encoding::percent_decode_str(url.path())
        .decode_utf8()
        .map_err(|_| CliError::usage("the URL path is not UTF-8 once decoded"))?
        .into_owned();
    let params: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| !(from_query && fields::is_field(k)))
        .collect();
    let mut headers = a.headers.clone();
    if !cos_sign_std::rules::has_host(&headers) {
        let host = url.host_str().unwrap_or("");
        headers.push((
            "host".to_owned(),
            match url.port() {
                Some(p) => format!("{host}:{p}"),
                None => host.to_owned(),
            },
        ));
    }
    let p: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let h: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if p.len() > 512 || h.len() > 512 {
        return Err(CliError::usage("more than 512 params or headers"));
    }
    let req = Request::new(&a.method, &path)
        .params(&p)
        .headers(&h)
        .with_capacity::<512>();
    let window = raw_field(text, fields::SIGN_TIME).and_then(|t| KeyTime::parse(&decode(t)).ok());
    let list = |field: &str, i: usize| {
        raw_field(text, field)
            .map(decode)
            .and_then(|l| l.split(';').nth(i).map(str::to_owned))
            .unwrap_or_else(|| format!("#{i}"))
    };
    tracing::info!(
        method = method.as_str(),
        path = path.as_str(),
        signed_by = signed_id.as_str(),
        expected_id = secret_id.as_str(),
        checked_at = now,
        form = if from_query {
            "pre-signed URL"
        } else {
            "Authorization"
        },
        "verifying"
    );
    let at = match a.at {
        Some(t) => format!("; checked at {}", utc(t)),
        None => String::new(),
    };
    let mut v = Verdict {
        reason: None,
        message: String::new(),
        secret_id: signed_id.clone(),
        method: method.clone(),
        path: path.clone(),
        checked_at: now,
        window,
        recomputed: None,
    };
    let source = if from_query {
        AuthorizationSource::Query(text)
    } else {
        AuthorizationSource::Header(text)
    };
    // The secret is known for the expected id only: another q-ak is a key mismatch.
    let verdict = verify_request(source, &req, now, |id: &[u8]| {
        (id == secret_id.as_bytes()).then_some(secret_key.as_bytes())
    })
    .map(|_| ());
    match verdict {
        Ok(()) => {
            v.message = format!("signed by {signed_id} for {method} {path}");
            if let Some(w) = window {
                v.message.push_str(&format!(
                    "; valid from {} until {} ({} s left{at})",
                    utc(w.start()),
                    utc(w.end()),
                    w.end().saturating_sub(now)
                ));
            }
        }
        Err(e) => {
            let (reason, why) = match e {
                RequestAuthError::UnknownAccessKey
                | RequestAuthError::Rejected(VerifyError::AccessKeyMismatch) => (
                    "access_key_mismatch",
                    format!(
                        "signed by secret id {signed_id}, not {secret_id} (COS: InvalidAccessKeyId)"
                    ),
                ),
                RequestAuthError::Rejected(VerifyError::Expired { end, .. }) => (
                    "expired",
                    format!(
                        "expired at {} ({}{at}; COS: AccessDenied, Request has expired)",
                        utc(end),
                        relative(end, real_now)
                    ),
                ),
                RequestAuthError::Rejected(VerifyError::NotYetValid { start, .. }) => (
                    "not_yet_valid",
                    format!(
                        "not valid before {} ({}{at}; COS: RequestTimeTooSkewed)",
                        utc(start),
                        relative(start, real_now)
                    ),
                ),
                RequestAuthError::Rejected(VerifyError::MissingHeader(i)) => (
                    "missing_header",
                    format!(
                        "the signed header {:?} is not in the request (give it with -H)",
                        list(fields::HEADER_LIST, i)
                    ),
                ),
                RequestAuthError::Rejected(VerifyError::MissingParam(i)) => (
                    "missing_param",
                    format!(
                        "the signed param {:?} is not in the URL",
                        list(fields::URL_PARAM_LIST, i)
                    ),
                ),
                RequestAuthError::Rejected(VerifyError::SignatureMismatch) => (
                    "signature_mismatch",
                    "signature mismatch (COS: SignatureDoesNotMatch)".to_owned(),
                ),
                RequestAuthError::Malformed(e) => {
                    ("malformed", format!("not a well-formed COS signature: {e}"))
                }
                other => ("other", other.to_string()),
            };
            v.reason = Some(reason);
            v.message = why;
            if e == RequestAuthError::Rejected(VerifyError::SignatureMismatch) {
                v.recomputed = Some((
                    auth.string_to_sign(&req).to_string(),
                    redact_token(&auth.http_string(&req).to_string()),
                ));
            }
        }
    }
    Ok(v.print(a.output))
}

/// Each line indented, newlines shown as `\n`.
fn indent(s: &str) -> String {
    s.split_inclusive('\n')
        .map(|l| format!("  {}", l.replace('\n', "\\n")))
        .collect::<Vec<_>>()
        .join("\n")
}
