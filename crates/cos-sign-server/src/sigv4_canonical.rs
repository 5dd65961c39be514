//! The canonical forms of AWS Signature Version 4 (S3's flavour): URI encoding, the
//! canonical query, headers and request, the string to sign, and `yyyymmddThhmmssZ` dates.
//! Pure functions over strings; [`crate::sigv4`] feeds them the request as parsed.

use super::sigv4_key::sha256_hex;
use super::xml::{civil_from_days, days_from_civil};

/// The algorithm name of header and query auth.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// S3's URI encoding: every byte but `A-Z a-z 0-9 - _ . ~` as `%XX` (uppercase), `/` kept
/// when `keep_slash`.
pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 15)]));
        }
    }
    out
}

/// A header value as the canonical request holds it: trimmed, runs of spaces as one.
pub fn canonical_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut space = false;
    for c in v.trim().chars() {
        if c == ' ' || c == '\t' {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out
}

/// The canonical query: every param but `X-Amz-Signature`, name and value encoded, sorted.
pub fn canonical_query<'a>(params: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(String, String)> = params
        .filter(|(n, _)| *n != "X-Amz-Signature")
        .map(|(n, v)| (uri_encode(n, false), uri_encode(v, false)))
        .collect();
    pairs.sort();
    let parts: Vec<String> = pairs.into_iter().map(|(n, v)| format!("{n}={v}")).collect();
    parts.join("&")
}

/// The canonical request of its parts.
pub fn canonical_request(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    headers: &[(&str, &str)],
    signed_headers: &str,
    payload_hash: &str,
) -> String {
    let mut s = format!("{method}\n{canonical_uri}\n{canonical_query}\n");
    for (n, v) in headers {
        s.push_str(n);
        s.push(':');
        s.push_str(&canonical_value(v));
        s.push('\n');
    }
    s.push('\n');
    s.push_str(signed_headers);
    s.push('\n');
    s.push_str(payload_hash);
    s
}

/// The string to sign of a canonical request.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// `yyyymmddThhmmssZ` as unix seconds (a real date and time, else `None`).
pub fn parse_amz_date(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let max_day = *days_in.get(usize::try_from(mo - 1).ok()?)?;
    if !(1..=max_day).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = days_from_civil(y, u32::try_from(mo).ok()?, u32::try_from(d).ok()?);
    u64::try_from(days * 86_400 + h * 3600 + mi * 60 + se).ok()
}

/// Unix seconds as `yyyymmddThhmmssZ`.
pub fn amz_date(unix: u64) -> String {
    let days = i64::try_from(unix / 86_400).unwrap_or(0);
    let secs = unix % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigv4_key::{sign_hex, signing_key};

    #[test]
    fn dates_round_trip() {
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(1_440_938_160));
        assert_eq!(amz_date(1_440_938_160), "20150830T123600Z");
        assert_eq!(
            parse_amz_date("20240229T000000Z").map(amz_date).as_deref(),
            Some("20240229T000000Z")
        );
        for bad in [
            "20150830T123600",
            "2015083OT123600Z",
            "20150230T000000Z",
            "20151301T000000Z",
            "20150830T243600Z",
            "+0150830T123600Z",
            "",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn encoding_and_values() {
        assert_eq!(uri_encode("/a b/ü+~", true), "/a%20b/%C3%BC%2B~");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
        assert_eq!(canonical_value("  a   b  c "), "a b c");
        assert_eq!(
            canonical_query([("b", "2"), ("a", "x y"), ("X-Amz-Signature", "s")].into_iter()),
            "a=x%20y&b=2"
        );
    }

    /// AWS's published example keys ("Examples of signature calculations in AWS Signature
    /// Version 4", Amazon S3 API reference): each stage of the GET Object example.
    pub(crate) const EXAMPLE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn aws_get_object_example_stage_by_stage() {
        let creq = canonical_request(
            "GET",
            &uri_encode("/test.txt", true),
            "",
            &[
                ("host", "examplebucket.s3.amazonaws.com"),
                ("range", "bytes=0-9"),
                ("x-amz-content-sha256", EMPTY),
                ("x-amz-date", "20130524T000000Z"),
            ],
            "host;range;x-amz-content-sha256;x-amz-date",
            EMPTY,
        );
        assert_eq!(
            creq,
            format!(
                "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n\
                 x-amz-content-sha256:{EMPTY}\nx-amz-date:20130524T000000Z\n\n\
                 host;range;x-amz-content-sha256;x-amz-date\n{EMPTY}"
            )
        );
        let sts = string_to_sign(
            "20130524T000000Z",
            "20130524/us-east-1/s3/aws4_request",
            &creq,
        );
        assert_eq!(
            sts,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n\
             7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
        );
        let key = signing_key(EXAMPLE_SECRET, "20130524", "us-east-1", "s3");
        assert_eq!(
            sign_hex(&key, &sts),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn aws_examples_signatures() {
        let key = signing_key(EXAMPLE_SECRET, "20130524", "us-east-1", "s3");
        let scope = "20130524/us-east-1/s3/aws4_request";
        let sig = |creq: &str| sign_hex(&key, &string_to_sign("20130524T000000Z", scope, creq));
        let host = [("host", "examplebucket.s3.amazonaws.com")];
        let base = |query: &str| {
            canonical_request(
                "GET",
                "/",
                query,
                &[
                    host[0],
                    ("x-amz-content-sha256", EMPTY),
                    ("x-amz-date", "20130524T000000Z"),
                ],
                "host;x-amz-content-sha256;x-amz-date",
                EMPTY,
            )
        };
        // GET Bucket lifecycle: `?lifecycle` signs as `lifecycle=`.
        assert_eq!(
            sig(&base(&canonical_query([("lifecycle", "")].into_iter()))),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"
        );
        // GET Bucket (List Objects), params sorted.
        assert_eq!(
            sig(&base(&canonical_query(
                [("prefix", "J"), ("max-keys", "2")].into_iter()
            ))),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
        );
        // PUT Object: `$` encoded in the path, `Date` signed beside `x-amz-date`.
        let body = sha256_hex(b"Welcome to Amazon S3.");
        assert_eq!(
            body,
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
        );
        let put = canonical_request(
            "PUT",
            &uri_encode("/test$file.text", true),
            "",
            &[
                ("date", "Fri, 24 May 2013 00:00:00 GMT"),
                host[0],
                ("x-amz-content-sha256", &body),
                ("x-amz-date", "20130524T000000Z"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ],
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
            &body,
        );
        assert_eq!(
            sig(&put),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
        );
        // The pre-signed GET Object URL (X-Amz-Signature left out of its canonical query).
        let q = canonical_query(
            [
                ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
                (
                    "X-Amz-Credential",
                    "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request",
                ),
                ("X-Amz-Date", "20130524T000000Z"),
                ("X-Amz-Expires", "86400"),
                ("X-Amz-SignedHeaders", "host"),
                ("X-Amz-Signature", "ignored"),
            ]
            .into_iter(),
        );
        let presigned =
            canonical_request("GET", "/test.txt", &q, &host, "host", "UNSIGNED-PAYLOAD");
        assert_eq!(
            sig(&presigned),
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
    }
}
