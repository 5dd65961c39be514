//! Percent-encoding as COS signs it, streamed without buffers.
//!
//! Only `A-Z a-z 0-9 - _ . ~` stay as they are; every other byte of the UTF-8 text becomes
//! `%XX`. Names are lowercased *after* encoding, so their escapes use lowercase hex too.

use crate::sha::ByteOut;

const UPPER: &[u8; 16] = b"0123456789ABCDEF";
const LOWER: &[u8; 16] = b"0123456789abcdef";

/// `0x80 | b` where `b` stays as it is in COS's encoding, 0 where it is escaped: the top bit
/// lets eight lookups be checked with one AND.
const fn plain_table() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.' || b == b'~' {
            t[i] = 0x80 | b;
        }
        i += 1;
    }
    t
}

static PLAIN: [u8; 256] = plain_table();

/// Whether `b` stays as it is in COS's encoding (`A-Z a-z 0-9 - _ . ~`).
#[inline]
pub const fn is_unreserved(b: u8) -> bool {
    PLAIN[b as usize] != 0
}

/// The encodings the crate writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `encode(s)`: values.
    Value,
    /// `lower(encode(s))`: names.
    Name,
    /// `quote_plus(s)`: pre-signed query values.
    Query,
    /// `quote_plus(lower(encode(s)))`: a name inside a pre-signed query's name list.
    NameInQuery,
}

/// Room for the staged output of one call: small enough for a microcontroller's stack,
/// large enough that a typical name or value is one `put`.
pub(crate) const STAGE: usize = 64;

/// The length of the encoding of `s`.
pub(crate) fn encoded_len(s: &[u8], form: Form) -> usize {
    s.iter().fold(0, |n, &b| {
        n + if is_unreserved(b) || (form == Form::Query && b == b' ') {
            1
        } else if form == Form::NameInQuery {
            5
        } else {
            3
        }
    })
}

/// Encodes `s` into a small stack buffer and hands it to `o` in whole chunks: one `put` per
/// chunk instead of one per run and per escape (measured faster than encoding straight into
/// a hash block or an output buffer). Returns the encoded length.
#[cfg_attr(target_pointer_width = "64", inline(always))]
pub(crate) fn encode_staged<O: ByteOut + ?Sized>(o: &mut O, s: &[u8], form: Form) -> usize {
    let mut buf = [0u8; STAGE];
    let mut n = 0;
    let total = encode_staged_into(o, &mut buf, &mut n, s, form);
    if n > 0 {
        o.put(buf.get(..n).unwrap_or(&[]));
    }
    total
}

/// [`encode_staged`] into a buffer that already holds `*staged` bytes, which the caller
/// flushes at the end; full buffers go to `o`. Returns the encoded length of `s`.
#[cfg_attr(target_pointer_width = "64", inline(always))]
pub(crate) fn encode_staged_into<O: ByteOut + ?Sized>(
    o: &mut O,
    buf: &mut [u8; STAGE],
    staged: &mut usize,
    s: &[u8],
    form: Form,
) -> usize {
    let start = *staged;
    let mut total = 0;
    let hex = match form {
        Form::Value | Form::Query => UPPER,
        Form::Name | Form::NameInQuery => LOWER,
    };
    let lower = matches!(form, Form::Name | Form::NameInQuery);
    let mut n = start;
    let mut rest = s;
    // Whether the last bytes staged are a whole word copied as it is.
    let mut after_word = false;
    while !rest.is_empty() {
        // Eight bytes at once while they all stay as they are (the usual case); otherwise
        // those eight (or the last few) one by one.
        // (64-bit targets only: on a microcontroller the code size matters more.)
        let word = if cfg!(target_pointer_width = "64") {
            rest.split_first_chunk::<8>()
        } else {
            None
        };
        let (bytes, tail) = match word {
            Some((word, tail)) => {
                let all = word.iter().fold(0x80u8, |acc, &b| acc & PLAIN[b as usize]);
                if all != 0 {
                    if n > STAGE - 8 {
                        o.put(buf.get(..n).unwrap_or(&[]));
                        total += n;
                        n = 0;
                    }
                    let w = if lower {
                        lower8(u64::from_le_bytes(*word)).to_le_bytes()
                    } else {
                        *word
                    };
                    if let Some(d) = buf.get_mut(n..n + 8) {
                        d.copy_from_slice(&w);
                    }
                    n += 8;
                    rest = tail;
                    after_word = true;
                    continue;
                }
                (&word[..], tail)
            }
            None => {
                // The last few after a word copied as it is: the last eight bytes of `s`
                // again, over the end of that word, when they all stay as they are.
                let r = rest.len();
                if after_word
                    && let Some(last) = s.last_chunk::<8>()
                    && let Some(d) = buf.get_mut((n + r).wrapping_sub(8)..n + r)
                    && last.iter().fold(0x80u8, |acc, &b| acc & PLAIN[b as usize]) != 0
                {
                    let w = if lower {
                        lower8(u64::from_le_bytes(*last)).to_le_bytes()
                    } else {
                        *last
                    };
                    d.copy_from_slice(&w);
                    n += r;
                    break;
                }
                rest.split_at(rest.len().min(8))
            }
        };
        rest = tail;
        after_word = false;
        for &b in bytes {
            // The longest piece one byte becomes is `%25xx`.
            if n > STAGE - 5 {
                o.put(buf.get(..n).unwrap_or(&[]));
                total += n;
                n = 0;
            }
            let m = PLAIN[b as usize] & 0x7f;
            if m != 0 {
                let m = if lower { m.to_ascii_lowercase() } else { m };
                if let Some(d) = buf.get_mut(n) {
                    *d = m;
                }
                n += 1;
            } else if form == Form::Query && b == b' ' {
                if let Some(d) = buf.get_mut(n) {
                    *d = b'+';
                }
                n += 1;
            } else {
                let (h, l) = (hex[(b >> 4) as usize], hex[(b & 15) as usize]);
                if form == Form::NameInQuery {
                    if let Some(d) = buf.get_mut(n..n + 5) {
                        d.copy_from_slice(&[b'%', b'2', b'5', h, l]);
                    }
                    n += 5;
                } else {
                    if let Some(d) = buf.get_mut(n..n + 3) {
                        d.copy_from_slice(&[b'%', h, l]);
                    }
                    n += 3;
                }
            }
        }
    }
    *staged = n;
    (total + n) - start
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = ONES * 0x80;

/// ASCII-lowercases eight bytes at once: `A-Z` gain `0x20`, the rest stay. Only the bytes
/// before the first one of `0x80` or more are sure to be right.
#[inline(always)]
pub(crate) fn lower8(x: u64) -> u64 {
    // Bytes below 0x80 carry into no neighbour: a byte's top bit says `>= b'A'`,
    // respectively `> b'Z'`.
    let ge_a = x.wrapping_add(ONES * (0x80 - u64::from(b'A')));
    let gt_z = x.wrapping_add(ONES * (0x80 - u64::from(b'Z') - 1));
    let upper = ge_a & !gt_z & HIGH;
    x | (upper >> 2)
}

/// Writes `encode(s)` (uppercase escapes): how values are signed.
#[inline(always)]
pub(crate) fn put_value<O: ByteOut + ?Sized>(o: &mut O, s: &[u8]) {
    o.put_encoded(s, Form::Value);
}

/// Writes `lower(encode(s))`: how names are signed and listed. Returns the encoded length.
#[inline(always)]
pub(crate) fn put_name<O: ByteOut + ?Sized>(o: &mut O, s: &[u8]) -> usize {
    o.put_encoded(s, Form::Name)
}

/// Writes `s` as Python's `quote_plus` does (space as `+`, uppercase escapes).
#[inline(always)]
pub(crate) fn put_query<O: ByteOut + ?Sized>(o: &mut O, s: &[u8]) {
    o.put_encoded(s, Form::Query);
}

/// Writes `quote_plus(lower(encode(s)))`: a listed name in a pre-signed query, where the
/// `%` of each escape becomes `%25`.
#[inline(always)]
pub(crate) fn put_name_in_query<O: ByteOut + ?Sized>(o: &mut O, s: &[u8]) {
    o.put_encoded(s, Form::NameInQuery);
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
    #[cfg_attr(not(target_pointer_width = "64"), allow(unused_mut))]
    let mut i = 0;
    // Eight bytes at a time up to the first that differ (names share `x-cos-`,
    // `content-`...).
    #[cfg(target_pointer_width = "64")]
    while let (Some(x), Some(y)) = (
        a.get(i..).and_then(|r| r.first_chunk::<8>()),
        b.get(i..).and_then(|r| r.first_chunk::<8>()),
    ) {
        let diff = u64::from_le_bytes(*x) ^ u64::from_le_bytes(*y);
        if diff != 0 {
            i += (diff.trailing_zeros() / 8) as usize;
            break;
        }
        i += 8;
    }
    for (&x, &y) in a
        .get(i..n)
        .unwrap_or(&[])
        .iter()
        .zip(b.get(i..n).unwrap_or(&[]))
    {
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
