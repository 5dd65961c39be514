//! The one percent codec of this crate: RFC 3986 percent-encoding of UTF-8 text, keeping the
//! unreserved characters `A-Z a-z 0-9 - _ . ~` (and, for paths, `/`), with uppercase hex.
//! Query strings use the form variant, where a space becomes `+`.
//!
//! ```
//! use cos_sign_std::percent::{encode_path, form_encode_pairs};
//! assert_eq!(encode_path("a b/é~"), "a%20b/%C3%A9~");
//! assert_eq!(form_encode_pairs(&[("a b", "x;%/")]), "a+b=x%3B%25%2F");
//! ```

/// Bytes never encoded: RFC 3986's unreserved set.
const UNRESERVED: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        // the cast is exact: i < 256
        #[allow(clippy::cast_possible_truncation)]
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-' || b == b'~';
        i += 1;
    }
    t
};

/// Appends `s` percent-encoded to `out`, keeping the unreserved bytes and those of `keep`; a
/// space becomes `+` when `space_plus` is set.
pub fn encode_into(out: &mut String, s: &str, keep: &[u8], space_plus: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut safe = UNRESERVED;
    for &c in keep {
        safe[usize::from(c)] = true;
    }
    out.reserve(s.len());
    let mut run = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        if safe[usize::from(b)] {
            continue;
        }
        // a non-empty run of safe bytes is ASCII, so both its ends are char boundaries
        if run < i {
            out.push_str(&s[run..i]);
        }
        run = i + 1;
        if space_plus && b == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    if let Some(rest) = s.get(run..) {
        out.push_str(rest);
    }
}

/// The length of `s` once [`encode_into`] has encoded it (to reserve a URL's room at once).
pub fn encoded_len(s: &str, keep: &[u8]) -> usize {
    s.bytes()
        .map(|b| {
            if UNRESERVED[usize::from(b)] || b == b' ' || keep.contains(&b) {
                1
            } else {
                3
            }
        })
        .sum()
}

/// `s` encoded for a URL path: `/` kept.
pub fn encode_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    encode_into(&mut out, s, b"/", false);
    out
}

/// `name=value` pairs form-encoded (space as `+`, everything but the unreserved set encoded)
/// and joined by `&`, in the order given.
pub fn form_encode_pairs(pairs: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(form_encoded_len(pairs));
    form_encode_pairs_into(&mut out, pairs);
    out
}

/// [`form_encode_pairs`] appended to `out`.
pub fn form_encode_pairs_into(out: &mut String, pairs: &[(&str, &str)]) {
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_into(out, k, b"", true);
        out.push('=');
        encode_into(out, v, b"", true);
    }
}

/// The length of [`form_encode_pairs`]' output.
pub fn form_encoded_len(pairs: &[(&str, &str)]) -> usize {
    let text: usize = pairs
        .iter()
        .map(|(k, v)| encoded_len(k, b"") + 1 + encoded_len(v, b""))
        .sum();
    text + pairs.len().saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multibyte_and_edges() {
        assert_eq!(encode_path("😀\t../ü"), "%F0%9F%98%80%09../%C3%BC");
        assert_eq!(encode_path(""), "");
        let mut out = String::new();
        encode_into(&mut out, "a b+é", b"", true);
        assert_eq!(out, "a+b%2B%C3%A9");
        assert_eq!(encoded_len("a b+é", b""), out.len());
        assert_eq!(encoded_len("😀\t../ü", b"/"), encode_path("😀\t../ü").len());
        let pairs = [("a b", "x;%/"), ("", ""), ("é", "~")];
        assert_eq!(form_encoded_len(&pairs), form_encode_pairs(&pairs).len());
        assert_eq!(form_encoded_len(&[]), 0);
    }
}
