//! A plain, allocating reference implementation of COS `q-sign-algorithm=sha1`, written from
//! DESIGN.md §1 literally (String, Vec, BTreeMap; the `hmac` and `sha1` crates), and Python's
//! `quote_plus` for the pre-signed query. The core must agree with it byte for byte.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use hmac::{Hmac, KeyInit, Mac};
use sha1::{Digest, Sha1};

/// Every intermediate of one signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefSigned {
    pub sign_key: String,
    pub http_string: String,
    pub http_string_sha1: String,
    pub string_to_sign: String,
    pub signature: String,
    pub header_list: String,
    pub param_list: String,
    pub authorization: String,
    pub presigned_query: String,
}

pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        write!(s, "{b:02x}").unwrap();
    }
    s
}

pub fn sha1_hex(data: &[u8]) -> String {
    hex(&Sha1::digest(data))
}

pub fn hmac_sha1_hex(key: &[u8], msg: &[u8]) -> String {
    let mut m = <Hmac<Sha1> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(msg);
    hex(&m.finalize().into_bytes())
}

/// UTF-8 percent-encoding keeping only `A-Z a-z 0-9 - _ . ~`, uppercase hex.
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            write!(out, "%{b:02X}").unwrap();
        }
    }
    out
}

/// Python's `urllib.parse.quote_plus(s, safe='')`: like [`encode`], but space becomes `+`.
pub fn quote_plus(s: &str) -> String {
    let mut out = String::new();
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else if b == b' ' {
            out.push('+');
        } else {
            write!(out, "%{b:02X}").unwrap();
        }
    }
    out
}

/// `k = lower(encode(name))`, `v = encode(value)`; a later equal k replaces the earlier one;
/// sorted by k (BTreeMap: byte order).
pub fn canonical(pairs: &[(String, String)]) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for (k, v) in pairs {
        m.insert(encode(k).to_lowercase(), encode(v));
    }
    m
}

pub fn join_pairs(m: &BTreeMap<String, String>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn join_names(m: &BTreeMap<String, String>) -> String {
    m.keys().cloned().collect::<Vec<_>>().join(";")
}

/// Signs like DESIGN.md §1 says, allocating freely.
pub fn reference(
    secret_id: &str,
    secret_key: &[u8],
    key_time: &str,
    method: &str,
    path: &str,
    params: &[(String, String)],
    headers: &[(String, String)],
) -> RefSigned {
    let sign_key = hmac_sha1_hex(secret_key, key_time.as_bytes());
    let p = canonical(params);
    let h = canonical(headers);
    let http_string = format!(
        "{}\n{}\n{}\n{}\n",
        method.to_lowercase(),
        path,
        join_pairs(&p),
        join_pairs(&h)
    );
    let http_string_sha1 = sha1_hex(http_string.as_bytes());
    let string_to_sign = format!("sha1\n{key_time}\n{http_string_sha1}\n");
    let signature = hmac_sha1_hex(sign_key.as_bytes(), string_to_sign.as_bytes());
    let header_list = join_names(&h);
    let param_list = join_names(&p);
    let fields: [(&str, &str); 7] = [
        ("q-sign-algorithm", "sha1"),
        ("q-ak", secret_id),
        ("q-sign-time", key_time),
        ("q-key-time", key_time),
        ("q-header-list", &header_list),
        ("q-url-param-list", &param_list),
        ("q-signature", &signature),
    ];
    let authorization = fields
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    // qcloud_cos: urlencode(dict(item.split('=', 1) for item in auth.split('&'))).
    let presigned_query = fields
        .iter()
        .map(|(k, v)| format!("{}={}", quote_plus(k), quote_plus(v)))
        .collect::<Vec<_>>()
        .join("&");
    RefSigned {
        sign_key,
        http_string,
        http_string_sha1,
        string_to_sign,
        signature,
        header_list,
        param_list,
        authorization,
        presigned_query,
    }
}

/// `urlencode(Params)` as qcloud_cos appends it to a pre-signed URL (in the order given).
pub fn params_query(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", quote_plus(k), quote_plus(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Borrowed view of owned pairs, as the core takes them.
pub fn borrow(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}
