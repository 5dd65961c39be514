//! Small re-implementations of the Python (3.11) standard-library behaviour qcloud_cos relies
//! on: `urllib.parse.quote`/`quote_plus`, `urlsplit(..).hostname` with its `ValueError`s,
//! `str.lower()` and `re.match(r'...$')`.

/// Characters `quote` never encodes (`always_safe` of Python 3.7+).
fn always_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~')
}

/// `urllib.parse.quote(s.encode('utf-8'), safe)`.
pub(crate) fn quote(s: &str, safe: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    quote_into(&mut out, s, safe, false);
    out
}

/// `urllib.parse.quote_plus(s, safe='')`: space becomes `+`.
pub(crate) fn quote_plus_into(out: &mut String, s: &str) {
    quote_into(out, s, b"", true);
}

fn quote_into(out: &mut String, s: &str, safe: &[u8], plus: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = s.as_bytes();
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if always_safe(b) || safe.contains(&b) {
            continue;
        }
        // A non-empty run is safe ASCII bytes, so both its ends are char boundaries.
        if run < i {
            out.push_str(&s[run..i]);
        }
        run = i + 1;
        if plus && b == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    // Past the last escaped byte: safe ASCII up to the end (or nothing).
    if let Some(rest) = s.get(run..) {
        out.push_str(rest);
    }
}

/// Python's `str.lower()` (full Unicode lowercasing with the final-sigma rule; Rust's
/// `to_lowercase` implements the same algorithm, possibly of a newer Unicode version).
pub(crate) fn lower(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.to_lowercase()
    }
}

/// Characters outside ASCII whose NFKC form contains one of `/?#@:`, as Python 3.11's
/// `unicodedata` (Unicode 14.0.0) computes it; `urlsplit` refuses a netloc holding one.
/// Generated with `[c for c in range(0x80, 0x110000) if any(x in normalize('NFKC', chr(c))
/// for x in '/?#@:')]`.
pub(crate) const NFKC_URL_DELIMS: [char; 19] = [
    '\u{2047}', '\u{2048}', '\u{2049}', '\u{2100}', '\u{2101}', '\u{2105}', '\u{2106}', '\u{2A74}',
    '\u{FE13}', '\u{FE16}', '\u{FE55}', '\u{FE56}', '\u{FE5F}', '\u{FE6B}', '\u{FF03}', '\u{FF0F}',
    '\u{FF1A}', '\u{FF1F}', '\u{FF20}',
];

const C0_OR_SPACE: &[char] = &[
    '\x00', '\x01', '\x02', '\x03', '\x04', '\x05', '\x06', '\x07', '\x08', '\t', '\n', '\x0b',
    '\x0c', '\r', '\x0e', '\x0f', '\x10', '\x11', '\x12', '\x13', '\x14', '\x15', '\x16', '\x17',
    '\x18', '\x19', '\x1a', '\x1b', '\x1c', '\x1d', '\x1e', '\x1f', ' ',
];

/// `urllib.parse.urlparse(url).hostname` of Python 3.11.7, with the `ValueError`s `urlsplit`
/// raises (message returned as `Err`).
pub(crate) fn url_hostname(url: &str) -> Result<Option<String>, String> {
    let url = url.trim_start_matches(C0_OR_SPACE);
    let cleaned: String;
    let mut url: &str = if url.contains(['\t', '\r', '\n']) {
        cleaned = url
            .chars()
            .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
            .collect();
        &cleaned
    } else {
        url
    };
    if let Some(i) = url.find(':') {
        let first = url.as_bytes().first().copied().unwrap_or(0);
        if i > 0
            && first.is_ascii_alphabetic()
            && url[..i]
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
        {
            url = &url[i + 1..];
        }
    }
    let netloc = match url.strip_prefix("//") {
        Some(rest) => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            &rest[..end]
        }
        None => "",
    };
    let open = netloc.contains('[');
    let close = netloc.contains(']');
    if open != close {
        return Err("Invalid IPv6 URL".to_owned());
    }
    if open {
        let bracketed = netloc
            .split_once('[')
            .map_or("", |(_, r)| r.split_once(']').map_or(r, |(h, _)| h));
        check_bracketed_host(bracketed)?;
    }
    if !netloc.is_ascii() && netloc.contains(NFKC_URL_DELIMS) {
        return Err(format!(
            "netloc '{netloc}' contains invalid characters under NFKC normalization"
        ));
    }
    let hostinfo = netloc.rsplit_once('@').map_or(netloc, |(_, h)| h);
    let hostname = match hostinfo.split_once('[') {
        Some((_, bracketed)) => bracketed.split_once(']').map_or(bracketed, |(h, _)| h),
        None => hostinfo.split_once(':').map_or(hostinfo, |(h, _)| h),
    };
    if hostname.is_empty() {
        return Ok(None);
    }
    Ok(Some(match hostname.split_once('%') {
        Some((h, zone)) => format!("{}%{zone}", lower(h)),
        None => lower(hostname),
    }))
}

/// `urllib.parse._check_bracketed_host`.
fn check_bracketed_host(h: &str) -> Result<(), String> {
    if let Some(rest) = h.strip_prefix('v') {
        // \Av[a-fA-F0-9]+\..+\Z
        let hex = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
        let ok = hex > 0 && rest[hex..].starts_with('.') && rest.len() > hex + 1;
        return if ok {
            Ok(())
        } else {
            Err("IPvFuture address is invalid".to_owned())
        };
    }
    if parse_ipv4(h) {
        return Err("An IPv4 address cannot be in brackets".to_owned());
    }
    if parse_ipv6(h) {
        Ok(())
    } else {
        Err(format!(
            "'{h}' does not appear to be an IPv4 or IPv6 address"
        ))
    }
}

/// `ipaddress.IPv4Address(s)` succeeds.
fn parse_ipv4(s: &str) -> bool {
    if s.is_empty() || s.contains('/') {
        return false;
    }
    let octets: Vec<&str> = s.split('.').collect();
    octets.len() == 4
        && octets.iter().all(|o| {
            !o.is_empty()
                && o.len() <= 3
                && o.bytes().all(|b| b.is_ascii_digit())
                && !(o.len() > 1 && o.starts_with('0'))
                && o.parse::<u16>().is_ok_and(|v| v <= 255)
        })
}

/// `ipaddress.IPv6Address(s)` succeeds (scope id included).
fn parse_ipv6(s: &str) -> bool {
    if s.contains('/') {
        return false;
    }
    let addr = match s.split_once('%') {
        Some((a, scope)) => {
            if scope.is_empty() || scope.contains('%') {
                return false;
            }
            a
        }
        None => s,
    };
    if addr.is_empty() {
        return false;
    }
    let mut parts: Vec<&str> = addr.split(':').collect();
    if parts.len() < 3 {
        return false;
    }
    let v4_tail = parts.last().is_some_and(|p| p.contains('.'));
    if v4_tail {
        let last = parts.pop().unwrap_or("");
        if !parse_ipv4(last) {
            return false;
        }
        parts.push("0");
        parts.push("0");
    }
    if parts.len() > 9 {
        return false;
    }
    let n = parts.len();
    let mut skip = None;
    for (i, p) in parts.iter().enumerate().take(n - 1).skip(1) {
        if p.is_empty() {
            if skip.is_some() {
                return false;
            }
            skip = Some(i);
        }
    }
    let (hi, lo) = if let Some(skip) = skip {
        let mut hi = skip;
        let mut lo = n - skip - 1;
        if parts[0].is_empty() {
            hi -= 1;
            if hi != 0 {
                return false;
            }
        }
        if parts[n - 1].is_empty() {
            lo -= 1;
            if lo != 0 {
                return false;
            }
        }
        if 8 < hi + lo + 1 {
            return false;
        }
        (hi, lo)
    } else {
        if n != 8 || parts[0].is_empty() || parts[n - 1].is_empty() {
            return false;
        }
        (n, 0)
    };
    let hextet =
        |p: &str| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_hexdigit());
    parts[..hi].iter().all(|p| hextet(p)) && parts[n - lo..].iter().all(|p| hextet(p))
}

/// `re.match(r'^[A-Za-z0-9][A-Za-z0-9<extra>]*[A-Za-z0-9]$', s)` (or the one-character form
/// when `single` is set) — **without** Python's `$` quirk of accepting a trailing `\n`: that
/// case is reported separately by [`trailing_newline_match`].
pub(crate) fn strict_name_match(s: &str, extra: &[u8], single: bool) -> bool {
    let b = s.as_bytes();
    let edge = |c: u8| c.is_ascii_alphanumeric();
    match b {
        [] => false,
        [c] => single && edge(*c),
        [first, mid @ .., last] => {
            edge(*first) && edge(*last) && mid.iter().all(|&c| edge(c) || extra.contains(&c))
        }
    }
}

/// Whether Python's `re.match(...$)` would accept `s` only thanks to a trailing newline.
pub(crate) fn trailing_newline_match(s: &str, extra: &[u8], single: bool) -> bool {
    s.strip_suffix('\n')
        .is_some_and(|t| strict_name_match(t, extra, single))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostname_like_python() {
        let h = |u: &str| url_hostname(u);
        assert_eq!(h("https://Ex.COM:80/a").unwrap().as_deref(), Some("ex.com"));
        assert_eq!(
            h("https://u@Evil.com/a").unwrap().as_deref(),
            Some("evil.com")
        );
        assert_eq!(h("https://::1:443/a").unwrap(), None);
        assert_eq!(h("https://[::1]:443/a").unwrap().as_deref(), Some("::1"));
        assert!(h("https://[x/a").is_err());
        assert!(h("https://[1.2.3.4]/a").is_err());
        assert!(h("https://a\u{FF0F}b/a").is_err());
        assert_eq!(h("https:///a").unwrap(), None);
        assert_eq!(h("https://a\nb.c/a").unwrap().as_deref(), Some("ab.c"));
    }

    #[test]
    fn ipv6_rules() {
        for ok in [
            "::1",
            "1::",
            "::",
            "1:2:3:4:5:6:7:8",
            "::ffff:1.2.3.4",
            "fe80::1%eth0",
        ] {
            assert!(parse_ipv6(ok), "{ok}");
        }
        for bad in [
            "1:2",
            ":1:2::",
            "1:::2",
            "1:2:3:4:5:6:7:8:9",
            "12345::",
            "::1%",
            "g::",
        ] {
            assert!(!parse_ipv6(bad), "{bad}");
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("a b/é~", b"/"), "a%20b/%C3%A9~");
        let mut s = String::new();
        quote_plus_into(&mut s, "a b;%/");
        assert_eq!(s, "a+b%3B%25%2F");
    }
}
