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

/// What each byte becomes: up to 3 output bytes, then how many of them count.
type Table = [[u8; 4]; 256];

/// The [`Table`] that keeps the unreserved bytes and the ASCII ones of `keep` (like Python's
/// `quote`, which ignores non-ASCII `safe` characters) and turns a space into `+` when
/// `space_plus` is set; every other byte becomes `%XX`.
const fn table(keep: &[u8], space_plus: bool) -> Table {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut t = [[0u8; 4]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [b'%', HEX[i >> 4], HEX[i & 15], 3];
        i += 1;
    }
    let mut i = 0;
    while i < 256 {
        if UNRESERVED[i] {
            // the cast is exact: i < 256
            #[allow(clippy::cast_possible_truncation)]
            let b = i as u8;
            t[i] = [b, 0, 0, 1];
        }
        i += 1;
    }
    let mut k = 0;
    while k < keep.len() {
        let b = keep[k];
        if b.is_ascii() {
            t[b as usize] = [b, 0, 0, 1];
        }
        k += 1;
    }
    if space_plus {
        t[b' ' as usize] = [b'+', 0, 0, 1];
    }
    t
}

/// The tables of the encodings used on every call.
static PATH: Table = table(b"/", false);
static FORM: Table = table(b"", true);
static FORM_KEEP_PAIRS: Table = table(b"&=", true);
static PLAIN: Table = table(b"", false);

/// Appends `s` percent-encoded to `out`, keeping the unreserved bytes and the ASCII ones of
/// `keep` (like Python's `quote`, which ignores non-ASCII `safe` characters); a space becomes
/// `+` when `space_plus` is set.
pub fn encode_into(out: &mut String, s: &str, keep: &[u8], space_plus: bool) {
    let built;
    let t: &Table = match (keep, space_plus) {
        (b"/", false) => &PATH,
        (b"", true) => &FORM,
        (b"&=", true) => &FORM_KEEP_PAIRS,
        (b"", false) => &PLAIN,
        _ => {
            built = table(keep, space_plus);
            &built
        }
    };
    encode_with::<false>(out, s, t);
}

/// Appends `s` quoted for a URL path as qcloud_cos does: `quote(s, '/')`, then every `./`
/// replaced by `.%2F` (in one pass: `.` and `/` quote to themselves, so those are the `/`s
/// that follow a `.` in `s`).
pub fn encode_url_path_into(out: &mut String, s: &str) {
    encode_with::<true>(out, s, &PATH);
}

/// [`encode_into`] with the table of its encoding; with `DOT_SLASH`, a `/` that follows a `.`
/// is escaped too.
fn encode_with<const DOT_SLASH: bool>(out: &mut String, s: &str, t: &Table) {
    /// Input bytes staged at once: 3 output bytes each at most, and room for a 4-byte write.
    const CHUNK: usize = 64;
    let entry = |b: u8, prev: u8| match DOT_SLASH && b == b'/' && prev == b'.' {
        true => [b'%', b'2', b'F', 3],
        false => t[usize::from(b)],
    };
    out.reserve(s.len());
    // the leading bytes that stay as they are go in at once (ASCII: a char boundary follows)
    let bytes = s.as_bytes();
    let stays = |b: u8| u32::from_le_bytes(t[usize::from(b)]) == u32::from(b) | 1 << 24;
    // eight at a time while they all stay (on a URL path, words with a `/` go byte by byte)
    let mut words = 0;
    while let Some(w) = bytes.get(words..).and_then(|r| r.first_chunk::<8>())
        && w.iter().all(|&b| stays(b) && !(DOT_SLASH && b == b'/'))
    {
        words += 8;
    }
    let mut same = bytes.len();
    let mut prev = words
        .checked_sub(1)
        .and_then(|i| bytes.get(i))
        .map_or(0, |&b| b);
    for (i, &b) in bytes.iter().enumerate().skip(words) {
        if entry(b, prev) != [b, 0, 0, 1] {
            same = i;
            break;
        }
        prev = b;
    }
    let (Some(head), Some(rest)) = (s.get(..same), bytes.get(same..)) else {
        return;
    };
    out.push_str(head);
    if rest.is_empty() {
        return;
    }
    let mut stage = [0u8; 3 * CHUNK + 4];
    for chunk in rest.chunks(CHUNK) {
        let mut n = 0;
        for &b in chunk {
            // as one word: one 4-byte store, not four byte stores
            let e = u32::from_le_bytes(entry(b, prev));
            prev = b;
            if let Some(dst) = stage.get_mut(n..).and_then(|d| d.first_chunk_mut::<4>()) {
                *dst = e.to_le_bytes();
            }
            n += (e >> 24) as usize;
        }
        // Everything staged is ASCII (kept ASCII bytes, `+`, escapes): UTF-8.
        if let Some(Ok(text)) = stage.get(..n).map(std::str::from_utf8) {
            out.push_str(text);
        }
    }
}

/// The length of `s` once [`encode_into`] has encoded it with a space as `+` (to reserve a
/// URL's room at once).
pub fn encoded_len(s: &str, keep: &[u8]) -> usize {
    let built;
    let t = match keep {
        b"" => &FORM,
        b"&=" => &FORM_KEEP_PAIRS,
        _ => {
            built = table(keep, true);
            &built
        }
    };
    s.bytes().map(|b| usize::from(t[usize::from(b)][3])).sum()
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
        // non-ASCII `keep` bytes are ignored (as Python's quote ignores non-ASCII safe)
        let mut out = String::new();
        encode_into(&mut out, "é", "é".as_bytes(), false);
        assert_eq!(out, "%C3%A9");
        assert_eq!(encoded_len("é", "é".as_bytes()), out.len());
        // across the staging buffer's flushes: escapes, kept bytes and `+` in every position
        for n in [0, 1, 85, 86, 254, 255, 256, 257, 700] {
            let s: String = "a é~/ +".chars().cycle().take(n).collect();
            let mut out = String::from("<");
            encode_into(&mut out, &s, b"/", true);
            let want: String = s
                .chars()
                .map(|c| match c {
                    ' ' => "+".to_owned(),
                    'é' => "%C3%A9".to_owned(),
                    '+' => "%2B".to_owned(),
                    c => c.to_string(),
                })
                .collect();
            assert_eq!(out, format!("<{want}"));
        }
    }

    /// Byte by byte, as Python's `quote` / `quote_plus` describe it (and `./` → `.%2F` for a
    /// URL path).
    fn reference(s: &str, keep: &[u8], space_plus: bool, dot_slash: bool) -> String {
        let mut out = String::new();
        let mut prev = 0u8;
        for &b in s.as_bytes() {
            let stays = b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || keep.contains(&b);
            if dot_slash && b == b'/' && prev == b'.' {
                out.push_str("%2F");
            } else if space_plus && b == b' ' {
                out.push('+');
            } else if stays && b.is_ascii() {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
            prev = b;
        }
        out
    }

    #[test]
    fn runs_of_every_length_match_the_byte_by_byte_reference() {
        // runs of each piece repeated 0 to 69 times (escapes past the 64-byte staging, plain
        // words), `./` pairs, spaces, `+`, `/`, multibyte characters, at every offset
        let pieces = ["a", "é", " ", "./", "/", "+", "~", "😀", "%", ".", "Z9"];
        let mut next = crate::test_rng::picker(0x2545_f491);
        let mut longest = 0;
        for _ in 0..400 {
            let mut s = String::new();
            for _ in 0..next(12) {
                let piece = pieces[next(pieces.len())];
                s.push_str(&piece.repeat(next(70)));
            }
            longest = longest.max(s.len());
            for (keep, plus) in [(&b""[..], true), (b"", false), (b"/", false), (b"&=", true)] {
                let mut out = String::from("<");
                encode_into(&mut out, &s, keep, plus);
                assert_eq!(
                    out,
                    format!("<{}", reference(&s, keep, plus, false)),
                    "{s:?}"
                );
                // (encoded_len counts a space as the `+` it is with `space_plus`, else `%20`)
                let spaces = usize::from(!plus) * 2 * s.matches(' ').count();
                assert_eq!(encoded_len(&s, keep) + spaces + 1, out.len());
            }
            let mut out = String::from("<");
            encode_url_path_into(&mut out, &s);
            assert_eq!(
                out,
                format!("<{}", reference(&s, b"/", false, true)),
                "{s:?}"
            );
        }
        // the generated texts run well past the 64-byte staging
        assert!(longest > 500, "{longest}");
    }
}
