//! Percent-encoding as COS signs it, streamed without buffers.
//!
//! Only `A-Z a-z 0-9 - _ . ~` stay as they are; every other byte of the UTF-8 text becomes
//! `%XX`. Names are lowercased *after* encoding, so their escapes use lowercase hex too.

#[cfg(any(test, not(target_pointer_width = "64")))]
use crate::sink::copy_small;
use crate::sink::{ByteOut, Form, lower8};

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

/// Where the encoder writes: a buffer that hands on its bytes ("spills") when it fills, a
/// hasher's block buffer or a small stack buffer in front of any [`ByteOut`].
pub(crate) trait Stage {
    /// The fill at which the encoder spills before writing more: the buffer has room for at
    /// least [`ROOM`] bytes after any fill below it (`buf().len() >= LIMIT + ROOM - 1`).
    const LIMIT: usize;

    /// The buffer.
    fn buf(&mut self) -> &mut [u8];

    /// Hands on staged bytes of the `n` in the buffer (`n >= LIMIT`) and returns how many
    /// stay (moved to the front).
    fn spill(&mut self, n: usize) -> usize;
}

/// The room a [`Stage`] keeps after any fill below its limit: on x86_64 the window of one
/// 16-byte chunk's encoding ([`CHUNK_OUT`]); on other 64-bit targets one word of input with
/// every byte escaped (8 x `%25XX`) and an eight-byte store past it; one eight-byte store on
/// others.
#[cfg(all(target_pointer_width = "64", not(target_arch = "x86_64")))]
pub(crate) const ROOM: usize = 48;
#[cfg(target_arch = "x86_64")]
pub(crate) const ROOM: usize = CHUNK_OUT;
#[cfg(not(target_pointer_width = "64"))]
pub(crate) const ROOM: usize = 8;

/// Room for the staged output of one call in front of a [`ByteOut`]: small enough for a
/// microcontroller's stack, large enough that a typical name or value is one `put`.
#[cfg(target_pointer_width = "64")]
pub(crate) const STAGE: usize = 128;
#[cfg(not(target_pointer_width = "64"))]
pub(crate) const STAGE: usize = 64;

/// The bytes the streaming hasher (`sha::Sha1`, a [`Stage`]) holds before it compresses
/// them: two blocks on 64-bit targets (one compression call for both, and a message of up to
/// 119 bytes, such as a short HttpString, is compressed in one call with its padding), one
/// block on small targets (a smaller stack).
#[cfg(target_pointer_width = "64")]
pub(crate) const HELD: usize = 128;
#[cfg(not(target_pointer_width = "64"))]
pub(crate) const HELD: usize = 64;

/// A small stack buffer in front of any [`ByteOut`]: encodings reach it in a few large
/// pieces instead of one per run and per escape.
struct Staged<'o, O: ByteOut + ?Sized> {
    o: &'o mut O,
    buf: [u8; STAGE],
}

impl<O: ByteOut + ?Sized> Stage for Staged<'_, O> {
    const LIMIT: usize = STAGE - (ROOM - 1);

    #[inline(always)]
    fn buf(&mut self) -> &mut [u8] {
        &mut self.buf
    }

    #[inline]
    fn spill(&mut self, n: usize) -> usize {
        self.o.put(self.buf.get(..n).unwrap_or_default());
        0
    }
}

/// Whether every byte of `s` stays as it is in COS's encoding (`A-Z a-z 0-9 - _ . ~`): word
/// by word, stopping at the first word with an escape.
#[cfg(all(target_pointer_width = "64", not(target_arch = "x86_64")))]
#[inline]
pub(crate) fn all_plain(s: &[u8]) -> bool {
    let (words, tail) = s.as_chunks::<8>();
    words.iter().all(all_plain8) && tail.iter().fold(0x80u8, |acc, &b| acc & PLAIN[b as usize]) != 0
}

/// Whether every byte of `s` stays as it is in COS's encoding (`A-Z a-z 0-9 - _ . ~`): 16
/// bytes at once (SSE2), stopping at the first 16 with an escape; the last few as the last 16
/// bytes of `s` again, or by table when `s` is shorter.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn all_plain(s: &[u8]) -> bool {
    let plain = |c: &[u8; 16]| crate::sse::plain16(crate::sse::load(c)) == 0xffff;
    let (chunks, tail) = s.as_chunks::<16>();
    if !chunks.iter().all(plain) {
        return false;
    }
    match s.last_chunk::<16>() {
        Some(last) => tail.is_empty() || plain(last),
        None => tail.iter().fold(0x80u8, |acc, &b| acc & PLAIN[b as usize]) != 0,
    }
}

/// The escape table of `form` (a name's in both of its forms).
#[cfg(target_pointer_width = "64")]
#[inline(always)]
fn table_of(form: Form) -> &'static [u32; 256] {
    match form {
        Form::Value => &ESCAPE_VALUE,
        Form::Name | Form::NameInQuery => &ESCAPE_NAME,
        Form::Query => &ESCAPE_QUERY,
    }
}

/// The length of the encoding of `s`: the lengths in the escape table, summed.
#[cfg(target_pointer_width = "64")]
pub(crate) fn encoded_len(s: &[u8], form: Form) -> usize {
    let table = table_of(form);
    let len: usize = s.iter().map(|&b| (table[b as usize] >> 30) as usize).sum();
    if form == Form::NameInQuery {
        // Each escape (3 bytes for 1) is two bytes longer again: `%25XX`.
        len + (len - s.len())
    } else {
        len
    }
}

/// The length of the encoding of `s`.
#[cfg(not(target_pointer_width = "64"))]
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
/// chunk instead of one per run and per escape. Returns the encoded length.
#[cfg_attr(target_pointer_width = "64", inline(always))]
pub(crate) fn encode_staged<O: ByteOut + ?Sized>(o: &mut O, s: &[u8], form: Form) -> usize {
    let mut st = Staged { o, buf: [0; STAGE] };
    let (n, total) = encode_into(&mut st, 0, s, form);
    if n > 0 {
        st.o.put(st.buf.get(..n).unwrap_or_default());
    }
    total
}

/// An output slice with room for any encoding of the text at hand and [`ROOM`] past it: the
/// encoder writes straight into it and never spills.
#[cfg(target_pointer_width = "64")]
struct Direct<'b>(&'b mut [u8]);

#[cfg(target_pointer_width = "64")]
impl Stage for Direct<'_> {
    const LIMIT: usize = usize::MAX;

    #[inline(always)]
    fn buf(&mut self) -> &mut [u8] {
        self.0
    }

    #[inline(always)]
    fn spill(&mut self, n: usize) -> usize {
        n
    }
}

/// Encodes `s` straight into `dst` when it has room for the longest encoding of `s` (five
/// bytes a byte) and [`ROOM`] past it; returns the encoded length, or `None` (nothing
/// written) when it has not.
#[cfg(target_pointer_width = "64")]
#[inline(always)]
pub(crate) fn encode_direct(dst: &mut [u8], s: &[u8], form: Form) -> Option<usize> {
    if dst.len().saturating_sub(ROOM) / 5 < s.len() {
        return None;
    }
    Some(encode_into(&mut Direct(dst), 0, s, form).0)
}

#[cfg(any(test, not(target_pointer_width = "64")))]
const ONES: u64 = 0x0101_0101_0101_0101;
#[cfg(any(test, not(target_pointer_width = "64")))]
const HIGH: u64 = ONES * 0x80;

/// The top bit of each byte of the word `x` that stays as it is (`A-Z a-z 0-9 - _ . ~`),
/// by word arithmetic: no table loads. Each test works on the low seven bits of every byte,
/// where adding a constant of at most `0x7f` carries into no neighbour.
#[cfg(any(test, not(target_pointer_width = "64")))]
#[inline(always)]
fn plain_bits(x: u64) -> u64 {
    let v = x & !HIGH;
    // High bit of each byte of `v` in `lo..=hi`.
    let range = |v: u64, lo: u8, hi: u8| {
        v.wrapping_add(ONES * u64::from(0x80 - lo)) & !v.wrapping_add(ONES * u64::from(0x7f - hi))
    };
    // High bit of each byte of `v` equal to `c`.
    let eq = |c: u8| !(v ^ (ONES * u64::from(c))).wrapping_add(ONES * 0x7f);
    let letter = range(v | (ONES * 0x20), b'a', b'z');
    let digit = range(v, b'0', b'9');
    let dash_dot = range(v, b'-', b'.');
    (letter | digit | dash_dot | eq(b'_') | eq(b'~')) & !x & HIGH
}

/// Whether all eight bytes stay as they are (by table: measured fewer instructions than
/// [`plain_bits`] for this yes/no question).
#[inline(always)]
fn all_plain8(w: &[u8; 8]) -> bool {
    w.iter().fold(0x80u8, |acc, &b| acc & PLAIN[b as usize]) != 0
}

/// The 64-bit encoder ([`encode_into`] on 64-bit targets other than x86_64; on x86_64 the
/// pre-signed query's listed names, `%25XX`): encodes `s` as `form` says into `st`, whose
/// buffer holds `n` bytes already, spilling whenever the fill reaches [`Stage::LIMIT`].
/// Returns the new fill (possibly `LIMIT` or more: the caller spills or flushes) and the
/// encoded length of `s`.
///
/// Eight bytes at once while they all stay as they are; a word with an
/// escape, and the last few bytes, one table load per byte whose entry is the output itself
/// (stored whole, four bytes, then the fill moves by the entry's length): no branch per byte.
/// On x86_64, sixteen bytes at once first (SSE2): the plain prefix of each 16 bytes is stored
/// as it is, the eight bytes from its first escape on go through the table.
#[cfg(target_pointer_width = "64")]
#[inline(always)]
fn encode_into_words<S: Stage + ?Sized>(
    st: &mut S,
    mut n: usize,
    s: &[u8],
    form: Form,
) -> (usize, usize) {
    let start = n;
    let mut spilled = 0;
    let table = table_of(form);
    let lower = matches!(form, Form::Name | Form::NameInQuery);
    #[cfg(target_arch = "x86_64")]
    let s_rest = {
        // SSE2: 16 bytes checked at once; their plain prefix is stored as it is (all 16
        // bytes stored, the fill moved past the prefix) and the eight bytes from the first
        // escape on go byte by byte, so that no check is wasted.
        let mut rest = s;
        while let Some((chunk, after)) = rest.split_first_chunk::<16>() {
            make_room(st, &mut n, &mut spilled);
            let x = crate::sse::load(chunk);
            let plain = crate::sse::plain16(x);
            let x = if lower { crate::sse::lower16(x) } else { x };
            if let Some(d) = st
                .buf()
                .get_mut(n..)
                .and_then(|r| r.first_chunk_mut::<16>())
            {
                *d = x.into();
            }
            if plain == 0xffff {
                n += 16;
                rest = after;
                continue;
            }
            let k = plain.trailing_ones() as usize;
            n += k;
            make_room(st, &mut n, &mut spilled);
            let from = rest.get(k..).unwrap_or_default();
            if let Some((w, after)) = from.split_first_chunk::<8>() {
                put_mixed(table, form, st.buf(), &mut n, w);
                rest = after;
            } else if let Some((b, after)) = from.split_first_chunk::<1>() {
                put_mixed(table, form, st.buf(), &mut n, b);
                rest = after;
            }
        }
        rest
    };
    #[cfg(not(target_arch = "x86_64"))]
    let s_rest = s;
    let (words, tail) = s_rest.as_chunks::<8>();
    for w in words {
        make_room(st, &mut n, &mut spilled);
        let buf = st.buf();
        if all_plain8(w) {
            let x = u64::from_le_bytes(*w);
            let x = if lower { lower8(x) } else { x };
            if let Some(d) = buf.get_mut(n..).and_then(|r| r.first_chunk_mut::<8>()) {
                *d = x.to_le_bytes();
            }
            n += 8;
        } else {
            put_mixed(table, form, buf, &mut n, w);
        }
    }
    if !tail.is_empty() {
        make_room(st, &mut n, &mut spilled);
        let buf = st.buf();
        // The last eight bytes of `s`, when they all stay as they are, as one word over the
        // end of what is written: the bytes before the tail are plain, so their output is
        // themselves (still in the buffer unless a spill handed them on).
        let r = tail.len();
        if let Some(last) = s.last_chunk::<8>()
            && all_plain8(last)
            && let Some(d) = n
                .checked_sub(8 - r)
                .and_then(|at| buf.get_mut(at..))
                .and_then(|b| b.first_chunk_mut::<8>())
        {
            let x = u64::from_le_bytes(*last);
            *d = (if lower { lower8(x) } else { x }).to_le_bytes();
            return (n + r, n + r + spilled - start);
        }
        if let Some(d) = buf
            .get_mut(n..)
            .and_then(|r| r.first_chunk_mut::<WORD_OUT>())
        {
            let mut k = 0;
            for &b in tail {
                put_byte(table, form, d, &mut k, b);
            }
            n += k;
        }
    }
    (n, n + spilled - start)
}

#[cfg(all(target_pointer_width = "64", not(target_arch = "x86_64")))]
pub(crate) use encode_into_words as encode_into;

/// Encodes `s` as `form` says into `st`, whose buffer holds `n` bytes already, spilling
/// whenever the fill reaches [`Stage::LIMIT`]. Returns the new fill (possibly `LIMIT` or
/// more: the caller spills or flushes) and the encoded length of `s`.
///
/// x86_64: 16 bytes at a time in an SSE2 register, classified once (one mask of the bytes
/// that stay) and stored whole; a chunk with escapes is finished from its mask
/// ([`put_escapes`]): per escape one table store and the next run stored whole, no work per
/// plain byte. The last few bytes are the last 16 of `s` (shifted down), or, in a text
/// shorter than 16, gathered into a register with at most two loads. (The pre-signed
/// query's listed names, `%25XX`, go through the word encoder.)
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn encode_into<S: Stage + ?Sized>(
    st: &mut S,
    n: usize,
    s: &[u8],
    form: Form,
) -> (usize, usize) {
    if form == Form::NameInQuery {
        return encode_into_words(st, n, s, form);
    }
    encode_into_chunks(st, n, s, form)
}

/// The window one 16-byte chunk's encoding is written in: 16 escapes (48 bytes), the last
/// run stored as 16 bytes after them.
#[cfg(target_arch = "x86_64")]
pub(crate) const CHUNK_OUT: usize = 64;
#[cfg(target_arch = "x86_64")]
const _: () = assert!(WORD_OUT < CHUNK_OUT);

/// The window at `n` in a stage's buffer.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn window(buf: &mut [u8], n: usize) -> Option<&mut [u8; CHUNK_OUT]> {
    buf.get_mut(n..)
        .and_then(|r| r.first_chunk_mut::<CHUNK_OUT>())
}

/// [`encode_into`] for `Value`, `Name` and `Query` (x86_64).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn encode_into_chunks<S: Stage + ?Sized>(
    st: &mut S,
    mut n: usize,
    s: &[u8],
    form: Form,
) -> (usize, usize) {
    use crate::sse::{load, lower16, plain16};
    use safe_arch::m128i;
    let start = n;
    let mut spilled = 0;
    let table = table_of(form);
    let lower = matches!(form, Form::Name | Form::NameInQuery);
    let (chunks, tail) = s.as_chunks::<16>();
    for c in chunks {
        make_room(st, &mut n, &mut spilled);
        let x = load(c);
        let esc = !plain16(x) & 0xffff;
        let y = if lower { lower16(x) } else { x };
        if let Some(d) = window(st.buf(), n) {
            n += put_chunk(d, y, esc, 16, table, lower);
        }
    }
    let r = tail.len();
    if r == 0 {
        return (n, n + spilled - start);
    }
    make_room(st, &mut n, &mut spilled);
    let valid = (1u32 << r) - 1;
    let (y, esc) = match s.last_chunk::<16>() {
        Some(last) => {
            // The last 16 bytes of `s`: all plain, they go over the end of what is written
            // (the bytes before the tail are plain, so their output is themselves, still in
            // the buffer unless a spill handed them on); else shifted down to the tail.
            let x = load(last);
            let plain = plain16(x);
            let y = if lower { lower16(x) } else { x };
            if plain == 0xffff
                && let Some(d) = n
                    .checked_sub(16 - r)
                    .and_then(|at| st.buf().get_mut(at..))
                    .and_then(|b| b.first_chunk_mut::<16>())
            {
                *d = y.into();
                return (n + r, n + r + spilled - start);
            }
            let shift = 16 - r;
            (
                m128i::from(u128::from(y) >> (8 * shift)),
                (!plain >> shift) & valid,
            )
        }
        None => {
            let x = m128i::from(gather(tail));
            let esc = !plain16(x) & valid;
            (if lower { lower16(x) } else { x }, esc)
        }
    };
    if let Some(d) = window(st.buf(), n) {
        n += put_chunk(d, y, esc, r, table, lower);
    }
    (n, n + spilled - start)
}

/// The bytes of `t` (fewer than 16) at the bottom of a register, zeros above: at most two
/// loads (the first and the last eight or four bytes, overlapping), or three bytes.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn gather(t: &[u8]) -> u128 {
    let r = t.len();
    if let (Some(a), Some(b)) = (t.first_chunk::<8>(), t.last_chunk::<8>()) {
        // The overlap holds the same bytes from both loads.
        return u128::from(u64::from_le_bytes(*a))
            | u128::from(u64::from_le_bytes(*b)) << (8 * (r & 15).saturating_sub(8));
    }
    if let (Some(a), Some(b)) = (t.first_chunk::<4>(), t.last_chunk::<4>()) {
        return u128::from(
            u64::from(u32::from_le_bytes(*a))
                | u64::from(u32::from_le_bytes(*b)) << (8 * (r & 7).saturating_sub(4)),
        );
    }
    match t {
        [] => 0,
        [a] => u128::from(*a),
        [a, b] => u128::from(u16::from_le_bytes([*a, *b])),
        [a, b, c, ..] => u128::from(u32::from_le_bytes([*a, *b, *c, 0])),
    }
}

/// One chunk of `r` bytes (lowercased for names) and its escape mask into the window `d`:
/// stored whole; the escapes, when there are some, from the mask. Returns the output length.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn put_chunk(
    d: &mut [u8; CHUNK_OUT],
    y: safe_arch::m128i,
    esc: u32,
    r: usize,
    table: &[u32; 256],
    lower: bool,
) -> usize {
    if let Some(c) = d.first_chunk_mut::<16>() {
        *c = y.into();
    }
    if esc == 0 {
        return r;
    }
    if lower {
        // (Names seldom have escapes: out of line, the usual path keeps its registers.)
        put_escapes_apart(d, y, esc, r, table)
    } else {
        put_escapes(d, y, esc, r, table)
    }
}

/// [`put_escapes`] out of line.
#[cfg(target_arch = "x86_64")]
#[inline(never)]
fn put_escapes_apart(
    d: &mut [u8; CHUNK_OUT],
    v: safe_arch::m128i,
    esc: u32,
    r: usize,
    table: &[u32; 256],
) -> usize {
    put_escapes(d, v, esc, r, table)
}

/// The chunk `v` of `r` bytes, already stored whole at the start of `d`, with the escapes
/// of the mask `esc` (not 0; bits below `r`) put in: at each escape its table entry, then
/// the bytes after it up to the next escape as one 16-byte store (from a copy of the chunk
/// with zeros after it). Returns the output length.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn put_escapes(
    d: &mut [u8; CHUNK_OUT],
    v: safe_arch::m128i,
    mut esc: u32,
    r: usize,
    table: &[u32; 256],
) -> usize {
    let mut t = [0u8; 32];
    if let Some(c) = t.first_chunk_mut::<16>() {
        *c = v.into();
    }
    let mut i = (esc.trailing_zeros() & 15) as usize;
    let mut out = i;
    loop {
        let e = table[usize::from(t[i & 15])];
        if let Some(w) = d.get_mut(out..).and_then(|x| x.first_chunk_mut::<4>()) {
            *w = e.to_le_bytes();
        }
        out += (e >> 30) as usize;
        esc &= esc.wrapping_sub(1);
        let next = if esc == 0 {
            r
        } else {
            (esc.trailing_zeros() & 15) as usize
        };
        let run = t.get((i & 15) + 1..).and_then(|x| x.first_chunk::<16>());
        if let (Some(w), Some(run)) = (
            d.get_mut(out..).and_then(|x| x.first_chunk_mut::<16>()),
            run,
        ) {
            *w = *run;
        }
        out += next.wrapping_sub(i + 1);
        i = next;
        if esc == 0 {
            return out;
        }
    }
}

/// One byte through the escape table into `buf` at `n` (which has the room of a word:
/// `ROOM`); moves `n` past its output.
#[cfg(target_pointer_width = "64")]
#[inline(always)]
fn put_byte(table: &[u32; 256], form: Form, buf: &mut [u8], n: &mut usize, b: u8) {
    let e = table[b as usize];
    // (Two bits: the compiler bounds the fill within a word's output.)
    let len = (e >> 30) as usize;
    if form == Form::NameInQuery && len == 3 {
        // quote_plus turns the `%` of an escape into `%25`.
        let w = u64::from(e & 0x00ff_ff00) << 16 | 0x0035_3225;
        if let Some(d) = buf.get_mut(*n..).and_then(|r| r.first_chunk_mut::<8>()) {
            *d = w.to_le_bytes();
        }
        *n += 5;
    } else {
        if let Some(d) = buf.get_mut(*n..).and_then(|r| r.first_chunk_mut::<4>()) {
            *d = e.to_le_bytes();
        }
        *n += len;
    }
}

/// A word with an escape (or one escaped byte), byte by byte into a fixed window at `n` that
/// holds a word's output: the stores need no bound test of their own. (The window is always there: below
/// its limit a stage keeps `ROOM > WORD_OUT` bytes, as `make_room` made sure.)
#[cfg(target_pointer_width = "64")]
#[inline(always)]
fn put_mixed<const K: usize>(
    table: &[u32; 256],
    form: Form,
    buf: &mut [u8],
    n: &mut usize,
    w: &[u8; K],
) {
    if let Some(d) = buf
        .get_mut(*n..)
        .and_then(|r| r.first_chunk_mut::<WORD_OUT>())
    {
        let mut k = 0;
        for &b in w {
            put_byte(table, form, d, &mut k, b);
        }
        *n += k;
    }
}

/// The window one word's encoding is written in: eight escapes as `%25XX`, the last one
/// stored as eight bytes (`7 * 5 + 8`); within the [`ROOM`] a stage keeps.
#[cfg(target_pointer_width = "64")]
const WORD_OUT: usize = 7 * 5 + 8;
#[cfg(target_pointer_width = "64")]
const _: () = assert!(WORD_OUT < ROOM);

/// A byte's encoding as one little-endian word: the output bytes, then (top two bits) their
/// count, 1 for a byte that stays (lowercased in names; `+` for a space in a query) and 3
/// for `%XX`.
#[cfg(target_pointer_width = "64")]
const fn escape_table(form: Form) -> [u32; 256] {
    let hex = match form {
        Form::Value | Form::Query => UPPER,
        Form::Name | Form::NameInQuery => LOWER,
    };
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let m = PLAIN[i] & 0x7f;
        t[i] = if m != 0 {
            let m = if matches!(form, Form::Name | Form::NameInQuery) {
                m.to_ascii_lowercase()
            } else {
                m
            };
            m as u32 | 1 << 30
        } else if matches!(form, Form::Query) && b == b' ' {
            b'+' as u32 | 1 << 30
        } else {
            b'%' as u32
                | (hex[(b >> 4) as usize] as u32) << 8
                | (hex[(b & 15) as usize] as u32) << 16
                | 3 << 30
        };
        i += 1;
    }
    t
}

#[cfg(target_pointer_width = "64")]
static ESCAPE_VALUE: [u32; 256] = escape_table(Form::Value);
#[cfg(target_pointer_width = "64")]
static ESCAPE_NAME: [u32; 256] = escape_table(Form::Name);
#[cfg(target_pointer_width = "64")]
static ESCAPE_QUERY: [u32; 256] = escape_table(Form::Query);

/// [`encode_into`] as small targets run it (and, in tests, the reference the 64-bit one is
/// checked against): runs of plain bytes and escapes one by one.
#[cfg(any(test, not(target_pointer_width = "64")))]
#[cfg_attr(target_pointer_width = "64", inline(always))]
pub(crate) fn encode_into_compact<S: Stage + ?Sized>(
    st: &mut S,
    mut n: usize,
    s: &[u8],
    form: Form,
) -> (usize, usize) {
    let start = n;
    let mut spilled = 0;
    let hex = match form {
        Form::Value | Form::Query => UPPER,
        Form::Name | Form::NameInQuery => LOWER,
    };
    let lower = matches!(form, Form::Name | Form::NameInQuery);
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
                if all_plain8(word) {
                    make_room(st, &mut n, &mut spilled);
                    let _ = put_word(st, n, *word, lower);
                    n += 8;
                    rest = tail;
                    after_word = true;
                    continue;
                }
                // Mixed: the plain bytes before the first escape as one word copy (the
                // bytes past them are overwritten next), then the run of escapes up to the
                // next plain byte; the next word starts after it.
                let k =
                    ((!plain_bits(u64::from_le_bytes(*word)) & HIGH).trailing_zeros() / 8) as usize;
                if k > 0 {
                    make_room(st, &mut n, &mut spilled);
                    let _ = put_word(st, n, *word, lower);
                    n += k;
                }
                let escapes = word.get(k..).unwrap_or_default();
                let e = escapes.iter().take_while(|&&b| !is_unreserved(b)).count();
                (
                    escapes.get(..e).unwrap_or_default(),
                    rest.get(k + e..).unwrap_or_default(),
                )
            }
            None => {
                // The last few after a word copied as it is: the last eight bytes of `s`
                // again, over the end of that word, when they all stay as they are.
                let r = rest.len();
                if after_word
                    && let Some(last) = s.last_chunk::<8>()
                    && all_plain8(last)
                    && let Some(at) = (n + r).checked_sub(8)
                    && put_word(st, at, *last, lower)
                {
                    n += r;
                    break;
                }
                // A short piece (`host`, `=`...) on its own: one word padded with plain
                // bytes, written whole when the piece stays as it is (the padding is
                // overwritten next).
                // (64-bit targets only, like the word loop: elsewhere `rest` is all of `s`.)
                if cfg!(target_pointer_width = "64") && r < 8 && !after_word && r == s.len() {
                    let mut w = [b'0'; 8];
                    if let Some(d) = w.get_mut(..r) {
                        copy_small(d, rest);
                    }
                    if all_plain8(&w) {
                        make_room(st, &mut n, &mut spilled);
                        let _ = put_word(st, n, w, lower);
                        n += r;
                        break;
                    }
                }
                rest.split_at(rest.len().min(8))
            }
        };
        rest = tail;
        after_word = false;
        for &b in bytes {
            make_room(st, &mut n, &mut spilled);
            let m = PLAIN[b as usize] & 0x7f;
            let buf = st.buf();
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
    (n, n + spilled - start)
}

#[cfg(not(target_pointer_width = "64"))]
pub(crate) use encode_into_compact as encode_into;

/// Spills `st` when its fill `n` has reached [`Stage::LIMIT`]; counts what was handed on.
#[inline(always)]
fn make_room<S: Stage + ?Sized>(st: &mut S, n: &mut usize, spilled: &mut usize) {
    if *n >= S::LIMIT {
        let m = st.spill(*n);
        *spilled += *n - m;
        *n = m;
    }
}

#[cfg(any(test, not(target_pointer_width = "64")))]
/// Writes the eight bytes `w` at `at` in the stage's buffer, ASCII-lowercased for names;
/// false (nothing written) when they do not fit.
#[inline(always)]
fn put_word<S: Stage + ?Sized>(st: &mut S, at: usize, w: [u8; 8], lower: bool) -> bool {
    let w = if lower {
        lower8(u64::from_le_bytes(w)).to_le_bytes()
    } else {
        w
    };
    match st.buf().get_mut(at..at + 8) {
        Some(d) => {
            d.copy_from_slice(&w);
            true
        }
        None => false,
    }
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
const fn name_key(b: u8) -> u16 {
    if is_unreserved(b) {
        0x100 | b.to_ascii_lowercase() as u16
    } else {
        b as u16
    }
}

/// [`name_key`] of every byte: one load a byte in the sort's comparisons (64-bit targets).
#[cfg(target_pointer_width = "64")]
static NAME_KEYS: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = name_key(i as u8);
        i += 1;
    }
    t
};

/// [`name_key`], by table where there is room for one.
#[inline(always)]
fn key_of(b: u8) -> u16 {
    #[cfg(target_pointer_width = "64")]
    return NAME_KEYS[b as usize];
    #[cfg(not(target_pointer_width = "64"))]
    return name_key(b);
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
            let (kx, ky) = (key_of(x), key_of(y));
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

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec::Vec;

    /// A stage that records what it hands on: `KEEP` false empties it on a spill (as
    /// [`Staged`] does, `STAGE` bytes), true hands on the held bytes and keeps the rest (as
    /// the hasher does, `HELD` bytes and a block more).
    struct Recorder<const KEEP: bool> {
        buf: [u8; HELD + 64],
        out: Vec<u8>,
    }

    impl<const KEEP: bool> Stage for Recorder<KEEP> {
        const LIMIT: usize = if KEEP { HELD } else { STAGE - (ROOM - 1) };

        fn buf(&mut self) -> &mut [u8] {
            if KEEP {
                &mut self.buf
            } else {
                &mut self.buf[..STAGE]
            }
        }

        fn spill(&mut self, n: usize) -> usize {
            let hand = if KEEP { HELD } else { n };
            self.out.extend_from_slice(&self.buf[..hand]);
            self.buf.copy_within(hand..n, 0);
            n - hand
        }
    }

    /// Encodes `s` after `fill` bytes with `encode`, the way the sinks call it; returns
    /// everything written after the fill and the length the encoder reported.
    fn run<const KEEP: bool>(
        encode: fn(&mut Recorder<KEEP>, usize, &[u8], Form) -> (usize, usize),
        fill: usize,
        s: &[u8],
        form: Form,
    ) -> (Vec<u8>, usize) {
        let mut r = Recorder::<KEEP> {
            buf: [0xAA; HELD + 64],
            out: Vec::new(),
        };
        let (n, len) = encode(&mut r, fill, s, form);
        let mut out = r.out;
        out.extend_from_slice(&r.buf[..n]);
        (out[fill..].to_vec(), len)
    }

    /// `all_plain` on plain texts of every length up to 80, and with one byte of each kind
    /// that is escaped at every place in them.
    #[test]
    fn all_plain_at_every_length_and_place() {
        let plain: Vec<u8> = (b'a'..=b'z').chain(b'0'..=b'9').cycle().take(80).collect();
        for len in 0..=plain.len() {
            let s = &plain[..len];
            assert!(all_plain(s), "{len}");
            for at in 0..len {
                for b in [b' ', b'%', b'/', 0x80, 0xff, 0, b'A' - 1, b'z' + 1] {
                    let mut t = s.to_vec();
                    t[at] = b;
                    assert!(!all_plain(&t), "{len} {at} {b}");
                }
            }
        }
    }

    /// The 64-bit encoder (words, escape tables) writes what the compact one writes, reports
    /// the same length, and agrees with `encoded_len`, on generated texts (plain runs, every
    /// escape, spaces, unicode, long runs across spills), at every starting fill, in every
    /// form, for both kinds of stage; and `all_plain` (the sinks' shortcut) says whether the
    /// text has anything to escape.
    #[test]
    fn word_encoder_equals_the_compact_one() {
        let mut next = crate::xorshift(0x2545_F491_4F6C_DD1Du64);
        let pieces: [&[u8]; 12] = [
            b"a",
            b"Z",
            b"09",
            b"-_.~",
            b" ",
            b"%",
            b"/",
            b";",
            b"\xe8\x85\xbe",
            b"\xff",
            b"\x00",
            b"x-cos-meta-Long-Name",
        ];
        for round in 0..3000 {
            let mut s = Vec::new();
            let pieces_len = (next() % 40) as usize;
            for _ in 0..pieces_len {
                let p = pieces[(next() % pieces.len() as u64) as usize];
                s.extend_from_slice(p);
            }
            if round % 7 == 0 {
                s.extend((0..next() % 300).map(|_| next() as u8));
            }
            assert_eq!(all_plain(&s), s.iter().all(|&b| is_unreserved(b)), "{s:?}");
            for form in [Form::Value, Form::Name, Form::Query, Form::NameInQuery] {
                let fill = (next() % 64) as usize;
                let held_fill = (next() % HELD as u64) as usize;
                let want = run::<false>(encode_into_compact, fill, &s, form);
                assert_eq!(want.0.len(), want.1);
                assert_eq!(
                    run::<false>(encode_into, fill, &s, form),
                    want,
                    "{s:?} {form:?}"
                );
                let want_held = run::<false>(encode_into_compact, held_fill, &s, form);
                assert_eq!(
                    run::<true>(encode_into, held_fill, &s, form),
                    want_held,
                    "{s:?} {form:?} {held_fill}"
                );
                assert_eq!(encoded_len(&s, form), want.1, "{s:?} {form:?}");
                // Straight into a slice: with just enough room, and not written at all
                // with a byte less (unless there is nothing to write).
                let mut dst = std::vec![0xAAu8; 5 * s.len() + ROOM];
                let n = encode_direct(&mut dst, &s, form);
                assert_eq!(n, Some(want.1), "{s:?} {form:?}");
                assert_eq!(&dst[..want.1], &want.0[..], "{s:?} {form:?}");
                dst.pop();
                let less = encode_direct(&mut dst, &s, form);
                assert_eq!(less, if s.is_empty() { Some(0) } else { None });
            }
        }
    }

    /// The straightforward encoding, byte by byte: the reference for the encoders.
    fn simple(s: &[u8], form: Form) -> Vec<u8> {
        let mut out = Vec::new();
        for &b in s {
            let hex: &[u8; 16] = if matches!(form, Form::Name | Form::NameInQuery) {
                LOWER
            } else {
                UPPER
            };
            if is_unreserved(b) {
                out.push(if matches!(form, Form::Name | Form::NameInQuery) {
                    b.to_ascii_lowercase()
                } else {
                    b
                });
            } else if form == Form::Query && b == b' ' {
                out.push(b'+');
            } else {
                out.push(b'%');
                if form == Form::NameInQuery {
                    out.extend_from_slice(b"25");
                }
                out.extend_from_slice(&[hex[usize::from(b >> 4)], hex[usize::from(b & 15)]]);
            }
        }
        out
    }

    /// Checks `encode_into` on `s` in every form, after a few fills of both kinds of stage,
    /// and straight into a slice, against [`simple`].
    fn check_all_forms(s: &[u8], fills: &[usize]) {
        for form in [Form::Value, Form::Name, Form::Query, Form::NameInQuery] {
            let want = simple(s, form);
            for &fill in fills {
                let got = run::<false>(encode_into, fill % 64, s, form);
                assert_eq!(got.0, want, "{s:?} {form:?} {fill}");
                assert_eq!(got.1, want.len());
                let got = run::<true>(encode_into, fill % HELD, s, form);
                assert_eq!(got.0, want, "{s:?} {form:?} {fill} held");
                assert_eq!(got.1, want.len());
            }
            let mut dst = std::vec![0xAAu8; 5 * s.len() + ROOM];
            let n = encode_direct(&mut dst, s, form);
            assert_eq!(n, Some(want.len()), "{s:?} {form:?}");
            assert_eq!(&dst[..want.len()], &want[..], "{s:?} {form:?}");
        }
    }

    /// Every byte value at every place of a text of every length up to 80 (the text's
    /// other bytes plain, mixed case, or every byte escaped), read from every alignment,
    /// after fills around the stages' limits: equal to the byte-by-byte encoding.
    #[test]
    fn every_byte_at_every_place_equals_the_simple_encoding() {
        let mut buf = [0u8; 96];
        let plain: Vec<u8> = b"aZ09-_.~Content-MD5x"
            .iter()
            .copied()
            .cycle()
            .take(80)
            .collect();
        for len in 0..=80usize {
            for at in 0..len {
                for b in 0..=255u8 {
                    // One alignment and fill a case, cycling through all of them.
                    let align = (at + usize::from(b)) % 16;
                    let s = &mut buf[align..align + len];
                    s.copy_from_slice(&plain[..len]);
                    s[at] = b;
                    let fill = (usize::from(b) * 7 + len) % (HELD + 1);
                    check_all_forms(s, &[fill]);
                }
            }
        }
        let mut next = crate::xorshift(0x9E37_79B9_7F4A_7C15u64);
        for len in 0..=80usize {
            for align in 0..16 {
                let s = &mut buf[align..align + len];
                // Random bytes, then mostly plain with some escapes.
                for b in s.iter_mut() {
                    *b = next() as u8;
                }
                check_all_forms(s, &[0, 1, 63, 64, 65, 80, 81, 127]);
                for b in s.iter_mut() {
                    let r = next();
                    *b = if r.is_multiple_of(5) {
                        r as u8
                    } else {
                        plain[(r >> 8) as usize % 20]
                    };
                }
                check_all_forms(s, &[0, 15, 47, 48, 100, 126]);
            }
        }
    }

    /// The word test agrees with the table on every byte value in every position.
    #[test]
    fn plain_bits_equals_the_table() {
        for b in 0..=255u8 {
            for pos in 0..8 {
                for fill in [b'a', b'%', 0xff, b'Z'] {
                    let mut w = [fill; 8];
                    w[pos] = b;
                    let bits = plain_bits(u64::from_le_bytes(w));
                    for (i, &c) in w.iter().enumerate() {
                        assert_eq!(
                            bits >> (8 * i + 7) & 1 == 1,
                            is_unreserved(c),
                            "{w:?} byte {i}"
                        );
                    }
                }
            }
        }
    }
}
