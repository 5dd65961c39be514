//! The local server's request path (parse, verify, route) on requests that are first signed
//! by the independent reference signer of `crates/cos-sign-core/tests/common/reference.rs`,
//! then changed the ways a hostile client would: absolute-form targets, other or duplicate
//! `Host` headers, duplicate or extra headers and params (any case), other path encodings,
//! raw targets. Property: every request the server accepts was signed for exactly the
//! bucket, key, method, signed headers and params the server acts on: the reference,
//! recomputed over what the server acts on, gives the same signature, and each acted-on
//! value equals the signed one. Never panics.
#![no_main]

use arbitrary::Arbitrary;
use cos_sign_server::{Credential, fuzz_entry};
use libfuzzer_sys::fuzz_target;

#[path = "../../crates/cos-sign-core/tests/common/reference.rs"]
#[allow(dead_code)]
mod reference;

const ID: &str = "AKIDfuzz";
const KEY: &[u8] = b"fuzz-secret";
const NOW: u64 = 1_700_000_000;
const DEFAULT_BUCKET: &str = "dflt-1250000000";
const HOSTS: [&str; 4] = [
    "a-1250000000.cos.ap-guangzhou.myqcloud.com",
    "b-1250000000.cos.ap-guangzhou.myqcloud.com",
    "127.0.0.1:9000",
    "A-1250000000.COS.ap-guangzhou.myqcloud.com",
];
const METHODS: [&str; 6] = ["GET", "PUT", "HEAD", "DELETE", "POST", "get"];

#[derive(Arbitrary, Debug)]
enum Change<'a> {
    /// Absolute-form target with this authority (a known host, or arbitrary text).
    Absolute(u8, Option<&'a str>),
    /// A `Host` header added (another, or a duplicate).
    AddHost(u8),
    /// The `Host` header removed.
    DropHost,
    /// Any header appended (name as sent).
    AddHeader(&'a str, &'a str),
    /// One of the signed headers sent again with this value, in this case.
    DupSigned(u8, &'a str, bool),
    /// A raw `name=value` appended to the query.
    AddParam(&'a str),
    /// Percent-escapes of the path in lowercase hex.
    LowerHex,
    /// Every `/` of the path sent as `%2F`.
    SlashAsEscape,
    /// The path replaced.
    RawPath(&'a str),
    /// The method replaced.
    Method(u8),
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    method: u8,
    host: u8,
    key: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    params: Vec<(&'a str, &'a str)>,
    presigned: bool,
    changes: Vec<Change<'a>>,
}

/// The SDK's path encoding: everything but `A-Z a-z 0-9 - _ . ~ /`.
fn encode_path(key: &str) -> String {
    let mut out = String::from("/");
    for &b in key.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn bucket_of(host: &str) -> String {
    let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
    if name.parse::<std::net::IpAddr>().is_ok() || name.split('.').count() <= 2 {
        DEFAULT_BUCKET.to_owned()
    } else {
        name.split('.').next().unwrap_or("").to_ascii_lowercase()
    }
}

fuzz_target!(|x: Input<'_>| {
    let method = METHODS[usize::from(x.method) % METHODS.len()];
    let host = HOSTS[usize::from(x.host) % HOSTS.len()];
    let mut signed_headers: Vec<(String, String)> = vec![("Host".into(), host.into())];
    for (n, v) in x.headers.iter().take(8) {
        signed_headers.push(((*n).into(), (*v).into()));
    }
    let params: Vec<(String, String)> = x
        .params
        .iter()
        .take(8)
        .map(|(n, v)| ((*n).into(), (*v).into()))
        .collect();
    let key_time = format!("{};{}", NOW - 60, NOW + 600);
    let path = format!("/{}", x.key);
    let r = reference::reference(ID, KEY, &key_time, method, &path, &params, &signed_headers);

    // The request as the SDK would send it.
    let mut method_sent = method.to_owned();
    let mut target_path = encode_path(x.key);
    let mut query = reference::params_query(&params);
    if x.presigned {
        query = if query.is_empty() {
            r.presigned_query.clone()
        } else {
            format!("{}&{query}", r.presigned_query)
        };
    }
    let mut headers: Vec<(String, String)> = signed_headers.clone();
    if !x.presigned {
        headers.push(("Authorization".into(), r.authorization.clone()));
    }
    let mut authority: Option<String> = None;
    for c in x.changes.iter().take(6) {
        match c {
            Change::Absolute(h, text) => {
                authority = Some(match text {
                    Some(t) => (*t).to_owned(),
                    None => HOSTS[usize::from(*h) % HOSTS.len()].to_owned(),
                })
            }
            Change::AddHost(h) => {
                headers.push(("Host".into(), HOSTS[usize::from(*h) % HOSTS.len()].into()))
            }
            Change::DropHost => headers.retain(|(n, _)| !n.eq_ignore_ascii_case("host")),
            Change::AddHeader(n, v) => headers.push(((*n).into(), (*v).into())),
            Change::DupSigned(i, v, upper) => {
                let (n, _) = &signed_headers[usize::from(*i) % signed_headers.len()];
                let n = if *upper {
                    n.to_ascii_uppercase()
                } else {
                    n.to_ascii_lowercase()
                };
                headers.push((n, (*v).into()));
            }
            Change::AddParam(p) => {
                query = if query.is_empty() {
                    (*p).to_owned()
                } else {
                    format!("{query}&{p}")
                }
            }
            Change::LowerHex => {
                let mut out = String::new();
                let mut rest = target_path.as_str();
                while let Some(i) = rest.find('%') {
                    out.push_str(&rest[..i]);
                    let esc = rest.get(i..i + 3).unwrap_or(&rest[i..]);
                    out.push_str(&esc.to_ascii_lowercase());
                    rest = rest.get(i + esc.len()..).unwrap_or("");
                }
                out.push_str(rest);
                target_path = out;
            }
            Change::SlashAsEscape => {
                target_path = match target_path.strip_prefix('/') {
                    Some(rest) => format!("/{}", rest.replace('/', "%2F")),
                    None => target_path.replace('/', "%2F"),
                }
            }
            Change::RawPath(p) => target_path = (*p).to_owned(),
            Change::Method(m) => method_sent = METHODS[usize::from(*m) % METHODS.len()].into(),
        }
    }
    let mut target = match &authority {
        Some(a) => format!("http://{a}{target_path}"),
        None => target_path,
    };
    if !query.is_empty() {
        target = format!("{target}?{query}");
    }
    let header_bytes: Vec<(&[u8], &[u8])> = headers
        .iter()
        .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
        .collect();
    let creds = [Credential::permanent(ID, std::str::from_utf8(KEY).unwrap())];
    let Ok(v) = fuzz_entry(
        method_sent.as_bytes(),
        target.as_bytes(),
        &header_bytes,
        &creds,
        Some(DEFAULT_BUCKET),
        NOW,
    ) else {
        return;
    };

    // Accepted: it must be exactly what was signed.
    // The signature covers the lowercased method (as the SDK signs it).
    assert!(
        v.method.as_str().eq_ignore_ascii_case(method),
        "method {} vs {method}",
        v.method
    );
    assert_eq!(v.key, x.key, "key");
    assert_eq!(v.bucket, bucket_of(host), "bucket");
    assert!(
        v.host.eq_ignore_ascii_case(host),
        "host {} vs {host}",
        v.host
    );
    let signed_h = reference::canonical(&signed_headers);
    let signed_p = reference::canonical(&params);
    for (n, val) in &signed_headers {
        let ln = reference::encode(n).to_lowercase();
        // The value the server acts on for this signed name is the signed one.
        let acted: Vec<&str> = v
            .headers()
            .filter(|(h, _)| reference::encode(h).to_lowercase() == ln)
            .map(|(_, a)| a)
            .collect();
        if signed_h.get(&ln) == Some(&reference::encode(val)) {
            assert_eq!(acted.len(), 1, "signed header {n} acted on once");
            assert_eq!(reference::encode(acted[0]), reference::encode(val), "{n}");
        }
    }
    for (n, val) in &params {
        let ln = reference::encode(n).to_lowercase();
        if signed_p.get(&ln) == Some(&reference::encode(val)) {
            let acted: Vec<&str> = v
                .params()
                .filter(|(p, _)| reference::encode(p).to_lowercase() == ln)
                .map(|(_, a)| a)
                .collect();
            assert_eq!(acted.len(), 1, "signed param {n} acted on once");
            assert_eq!(acted[0], val.as_str(), "{n}");
        }
    }
    // The reference, recomputed over what the server acts on, signs the same.
    let acted_h: Vec<(String, String)> = v
        .headers()
        .filter(|(n, _)| signed_h.contains_key(&reference::encode(n).to_lowercase()))
        .map(|(n, a)| (n.to_owned(), a.to_owned()))
        .collect();
    let acted_p: Vec<(String, String)> = v
        .params()
        .filter(|(n, _)| signed_p.contains_key(&reference::encode(n).to_lowercase()))
        .map(|(n, a)| (n.to_owned(), a.to_owned()))
        .collect();
    let again = reference::reference(
        ID,
        KEY,
        &key_time,
        v.method.as_str(),
        &v.path(),
        &acted_p,
        &acted_h,
    );
    assert_eq!(
        again.signature, r.signature,
        "signature over what is acted on"
    );
});
