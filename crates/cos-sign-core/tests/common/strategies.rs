//! proptest strategies for adversarial requests.

use proptest::prelude::*;

/// A piece of text: plain ASCII, a reserved or tricky character, or unicode.
pub fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z0-9]{1,4}",
        3 => prop::sample::select(vec![
            " ", "%", "+", "./", "//", "/", "~", "-", "_", ".", ";", "=", "&", "?", "#", ":",
            "@", "!", "$", "'", "(", ")", "*", ",", "[", "]", "\"", "%2F", "%3B", "%20",
            "腾讯云", "é", "📊", "ü", "\t", "\n", "\u{0}", "データ", "\u{7f}", "Ä",
        ])
        .prop_map(String::from),
        1 => "\\PC{1,3}",
    ]
}

/// Text of up to `max` pieces (may be empty).
pub fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..=max).prop_map(|v| v.concat())
}

/// An HTTP method in mixed case (ASCII: methods are HTTP tokens).
pub fn method() -> impl Strategy<Value = String> {
    let base = prop_oneof![
        prop::sample::select(vec!["get", "put", "post", "delete", "head", "options"])
            .prop_map(String::from),
        "[a-zA-Z]{1,10}",
    ];
    (base, prop::collection::vec(any::<bool>(), 10)).prop_map(|(m, up)| {
        m.chars()
            .zip(up.iter().cycle())
            .map(|(c, &u)| {
                if u {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect()
    })
}

/// A decoded path: usually `/` + text, sometimes bare text.
pub fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        9 => text(12).prop_map(|t| format!("/{t}")),
        1 => text(4),
    ]
}

/// A path of many pieces: usually longer than a SHA-1 block, sometimes just around it.
pub fn long_path() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 10..60).prop_map(|v| format!("/{}", v.concat()))
}

/// Flips the case of the ASCII letters where `flips` says so.
pub fn recase(s: &str, flips: &[bool]) -> String {
    s.chars()
        .zip(flips.iter().cycle())
        .map(|(c, &f)| {
            if f && c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else if f && c.is_ascii_uppercase() {
                c.to_ascii_lowercase()
            } else {
                c
            }
        })
        .collect()
}

/// Up to `max` pairs (names and values with reserved chars, unicode, empty values), plus
/// up to 3 repeats of earlier names in another case with another value.
pub fn pairs(max: usize) -> impl Strategy<Value = Vec<(String, String)>> {
    let base = prop::collection::vec((text(5), text(6)), 0..=max);
    let dups = prop::collection::vec(
        (
            any::<prop::sample::Index>(),
            prop::collection::vec(any::<bool>(), 1..8),
            text(4),
        ),
        0..=3,
    );
    (base, dups).prop_map(|(mut pairs, dups)| {
        if !pairs.is_empty() {
            for (i, flips, v) in dups {
                let name = recase(&pairs[i.index(pairs.len())].0, &flips);
                pairs.push((name, v));
            }
        }
        pairs
    })
}

/// A secret id: usually AKID-like, sometimes with characters the query must escape.
pub fn secret_id() -> impl Strategy<Value = String> {
    prop_oneof![4 => "AKID[A-Za-z0-9]{1,32}", 1 => text(4)]
}

/// A secret key, including keys longer than a SHA-1 block.
pub fn secret_key() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => "[A-Za-z0-9]{32}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..100),
    ]
}

/// A key time: any pair of u64 (start may exceed end; the signer does not care).
pub fn key_time() -> impl Strategy<Value = (u64, u64)> {
    prop_oneof![
        (0u64..4_000_000_000, 0u64..100_000).prop_map(|(s, d)| (s, s + d)),
        (any::<u64>(), any::<u64>()),
    ]
}
