//! Where rendered bytes go ([`ByteOut`]: a hasher, a length counter, an output buffer) and the
//! ASCII-lowercasing helpers both the encoder and the sinks use.
//!
//! The bottom of the module graph: `encode` and `sha` build on it, it builds on neither.

/// The encodings a sink is asked to write (the encoder in `encode` produces them).
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

/// Receives bytes: a hasher, a length counter, or an output buffer. (Public in a private
/// module: it appears in the bound of the sealed `Render` trait.)
pub trait ByteOut {
    /// Takes the next bytes.
    fn put(&mut self, bytes: &[u8]);

    /// Writes `s` encoded as `form` says and returns the encoded length.
    fn put_encoded(&mut self, s: &[u8], form: Form) -> usize;

    /// Takes one byte (a separator).
    #[inline]
    fn put_byte(&mut self, b: u8) {
        self.put(&[b]);
    }

    /// Writes one `name=value` pair of the HttpString (`&` before it unless it is the first):
    /// `lower(encode(name))=encode(value)`. Returns the encoded length of the name.
    #[inline]
    fn put_pair(&mut self, first: bool, name: &[u8], value: &[u8]) -> usize {
        if !first {
            self.put_byte(b'&');
        }
        let n = self.put_encoded(name, Form::Name);
        self.put_byte(b'=');
        self.put_encoded(value, Form::Value);
        n
    }

    /// Writes `s`, known to need no escape, ASCII-lowercased.
    fn put_lower(&mut self, s: &[u8]) {
        let mut buf = [0u8; 16];
        for chunk in s.chunks(16) {
            let dst = buf.get_mut(..chunk.len()).unwrap_or_default();
            lower_into(dst, chunk);
            self.put(dst);
        }
    }
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

/// ASCII-lowercases `s` into `dst` (as far as both go).
#[inline(always)]
pub(crate) fn lower_into(dst: &mut [u8], s: &[u8]) {
    let n = dst.len().min(s.len());
    let (Some(dst), Some(s)) = (dst.get_mut(..n), s.get(..n)) else {
        return;
    };
    // x86_64: 16 to 32 bytes (a long header name) as the first and the last 16, each
    // lowercased in a register (SSE2), overlapping.
    #[cfg(target_arch = "x86_64")]
    if n <= 32
        && let (Some(a), Some(b)) = (s.first_chunk::<16>(), s.last_chunk::<16>())
    {
        let (a, b) = (
            crate::sse::lower16(crate::sse::load(a)),
            crate::sse::lower16(crate::sse::load(b)),
        );
        if let Some(d) = dst.first_chunk_mut::<16>() {
            *d = a.into();
        }
        if let Some(d) = dst.last_chunk_mut::<16>() {
            *d = b.into();
        }
        return;
    }
    // 8 to 16 bytes: the first and the last eight, overlapping (64-bit targets only).
    #[cfg(target_pointer_width = "64")]
    if n <= 16
        && let (Some(a), Some(b)) = (s.first_chunk::<8>(), s.last_chunk::<8>())
    {
        let (a, b) = (
            lower8(u64::from_le_bytes(*a)).to_le_bytes(),
            lower8(u64::from_le_bytes(*b)).to_le_bytes(),
        );
        if let Some(d) = dst.first_chunk_mut::<8>() {
            *d = a;
        }
        if let Some(d) = dst.last_chunk_mut::<8>() {
            *d = b;
        }
        return;
    }
    // Longer: whole words, the last one overlapping the one before (64-bit targets only).
    #[cfg(target_pointer_width = "64")]
    if let Some(&last) = s.last_chunk::<8>() {
        let mut rest = s;
        let mut out: &mut [u8] = dst;
        while let (Some((w, tail)), Some((d, out_tail))) = (
            rest.split_first_chunk::<8>(),
            core::mem::take(&mut out).split_first_chunk_mut::<8>(),
        ) {
            *d = lower8(u64::from_le_bytes(*w)).to_le_bytes();
            rest = tail;
            out = out_tail;
        }
        if let Some(d) = dst.last_chunk_mut::<8>() {
            *d = lower8(u64::from_le_bytes(last)).to_le_bytes();
        }
        return;
    }
    for (d, &b) in dst.iter_mut().zip(s) {
        *d = b.to_ascii_lowercase();
    }
}

/// Copies `src` into `dst` when both have the same length. On 64-bit targets pieces of up to
/// 64 bytes (nearly every piece of a signature) move as two overlapping fixed-size copies,
/// not through a `memcpy` call; on small targets short pieces go byte by byte (less code).
#[inline(always)]
pub(crate) fn copy_small(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    if dst.len() != n {
        return;
    }
    #[cfg(target_pointer_width = "64")]
    {
        /// The first and the last `K` bytes, which cover all `n` for `K <= n <= 2K`.
        #[inline(always)]
        fn ends<const K: usize>(dst: &mut [u8], src: &[u8]) {
            if let (Some(d), Some(s)) = (dst.first_chunk_mut::<K>(), src.first_chunk::<K>()) {
                *d = *s;
            }
            if let (Some(d), Some(s)) = (dst.last_chunk_mut::<K>(), src.last_chunk::<K>()) {
                *d = *s;
            }
        }
        match n {
            0 => {}
            1..4 => {
                // The first, middle and last byte cover all of 1 to 3 (a loop here is
                // turned into a `memcpy` call).
                for i in [0, n / 2, n - 1] {
                    if let (Some(d), Some(&s)) = (dst.get_mut(i), src.get(i)) {
                        *d = s;
                    }
                }
            }
            4..8 => ends::<4>(dst, src),
            8..=16 => ends::<8>(dst, src),
            17..=32 => ends::<16>(dst, src),
            33..=64 => ends::<32>(dst, src),
            _ => dst.copy_from_slice(src),
        }
    }
    #[cfg(not(target_pointer_width = "64"))]
    {
        if n <= 8 {
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = s;
            }
        } else {
            dst.copy_from_slice(src);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `lower_into` lowercases every ASCII text of every length up to 80 (each length class:
    /// bytes, words, 16-byte halves, the word loop), writes exactly the text's room, and
    /// stops where the shorter of the two slices ends.
    #[test]
    fn lower_into_equals_the_ascii_one() {
        let text: [u8; 80] = core::array::from_fn(|i| ((i * 37 + 11) % 0x80) as u8);
        for len in 0..=text.len() {
            let s = &text[..len];
            let mut out = [0xAAu8; 96];
            lower_into(&mut out[..len], s);
            for (i, (&o, &b)) in out.iter().zip(s).enumerate() {
                assert_eq!(o, b.to_ascii_lowercase(), "{len} {i}");
            }
            assert!(out[len..].iter().all(|&b| b == 0xAA), "{len}");
            // A shorter destination: only its room is written.
            let mut short = [0xAAu8; 96];
            lower_into(&mut short[..len / 2], s);
            for (i, &b) in s[..len / 2].iter().enumerate() {
                assert_eq!(short[i], b.to_ascii_lowercase(), "{len} {i}");
            }
            assert!(short[len / 2..].iter().all(|&b| b == 0xAA), "{len}");
        }
    }
}
