//! Percent-encoding as COS signs it, streamed without buffers.
//!
//! Only `A-Z a-z 0-9 - _ . ~` stay as they are; every other byte of the UTF-8 text becomes
//! `%XX`. Names are lowercased *after* encoding, so their escapes use lowercase hex too.

use crate::sha::ByteOut;

const UPPER: &[u8; 16] = b"0123456789ABCDEF";
const LOWER: &[u8; 16] = b"0123456789abcdef";

const fn unreserved_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.' || b == b'~';
        i += 1;
    }
    t
}

static UNRESERVED: [bool; 256] = unreserved_table();

/// Whether `b` stays as it is in COS's encoding (`A-Z a-z 0-9 - _ . ~`).
#[inline]
pub const fn is_unreserved(b: u8) -> bool {
    UNRESERVED[b as usize]
}

#[inline]
fn escape(b: u8, hex: &[u8; 16]) -> [u8; 3] {
    [b'%', hex[(b >> 4) as usize], hex[(b & 15) as usize]]
}

/// Writes `encode(s)` (uppercase escapes): how values are signed.
pub(crate) fn put_value<O: ByteOut + ?Sized>(o: &mut O, s: &[u8]) {
    let mut run = 0;
    for (i, &b) in s.iter().enumerate() {
        if !is_unreserved(b) {
            if run < i {
                o.put(&s[run..i]);
            }
            o.put(&escape(b, UPPER));
            run = i + 1;
        }
    }
    if run < s.len() {
        o.put(&s[run..]);
    }
}

/// Writes `lower(encode(s))`: how names are signed and listed.
pub(crate) fn put_name<O: ByteOut + ?Sized>(o: &mut O, s: &[u8]) {
    let mut run = 0;
    for (i, &b) in s.iter().enumerate() {
        if !is_unreserved(b) {
            if run < i {
                o.put(&s[run..i]);
            }
            o.put(&escape(b, LOWER));
            run = i + 1;
        } else if b.is_ascii_uppercase() {
            if run < i {
                o.put(&s[run..i]);
            }
            o.put(&[b.to_ascii_lowercase()]);
            run = i + 1;
        }
    }
    if run < s.len() {
        o.put(&s[run..]);
    }
}

/// Writes `s` as Python's `quote_plus` does (space as `+`, uppercase escapes).
pub(crate) fn put_query<O: ByteOut + ?Sized>(o: &mut O, s: &[u8]) {
    let mut run = 0;
    for (i, &b) in s.iter().enumerate() {
        if !is_unreserved(b) {
            if run < i {
                o.put(&s[run..i]);
            }
            if b == b' ' {
                o.put(b"+");
            } else {
                o.put(&escape(b, UPPER));
            }
            run = i + 1;
        }
    }
    if run < s.len() {
        o.put(&s[run..]);
    }
}

/// The sort key of one byte of a name: where its encoded, lowercased form sorts.
///
/// An escape starts with `%`, which sorts below every unreserved character, and two escapes
/// compare as their bytes do; an unreserved byte sorts as its lowercase form.
#[inline]
fn name_key(b: u8) -> u16 {
    if is_unreserved(b) {
        0x100 | b.to_ascii_lowercase() as u16
    } else {
        b as u16
    }
}

/// Compares `lower(encode(a))` with `lower(encode(b))` without building either.
pub(crate) fn cmp_names(a: &[u8], b: &[u8]) -> core::cmp::Ordering {
    let n = a.len().min(b.len());
    for i in 0..n {
        let (x, y) = (a[i], b[i]);
        if x != y {
            let (kx, ky) = (name_key(x), name_key(y));
            if kx != ky {
                return kx.cmp(&ky);
            }
        }
    }
    a.len().cmp(&b.len())
}

/// Decodes one hex digit.
#[inline]
pub(crate) fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}
