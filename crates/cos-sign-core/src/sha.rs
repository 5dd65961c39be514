//! SHA-1 with a caller-visible block buffer and HMAC-SHA1 with precomputed pads.
//!
//! The compression function comes from the `sha1` crate; this module only does the
//! buffering and the Merkle–Damgård padding, so that the canonical request can be
//! streamed in small pieces without an intermediate buffer.

use sha1::block_api::compress;

#[cfg(target_pointer_width = "64")]
use crate::encode::lower8;
use crate::encode::{Form, encode_staged};
#[cfg(target_pointer_width = "64")]
use crate::encode::{STAGE, encode_staged_into};

const IV: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];

/// Receives bytes: a hasher, a length counter, or an output buffer.
pub trait ByteOut {
    /// Takes the next bytes.
    fn put(&mut self, bytes: &[u8]);

    /// Writes `s` encoded as `form` says and returns the encoded length.
    fn put_encoded(&mut self, s: &[u8], form: Form) -> usize {
        encode_staged(self, s, form)
    }

    /// Writes `s`, known to need no escape, ASCII-lowercased.
    fn put_lower(&mut self, s: &[u8]) {
        let mut buf = [0u8; 64];
        for chunk in s.chunks(64) {
            let dst = buf.get_mut(..chunk.len()).unwrap_or_default();
            lower_into(dst, chunk);
            self.put(dst);
        }
    }
}

/// ASCII-lowercases `s` into `dst` (as far as both go).
#[inline(always)]
pub(crate) fn lower_into(dst: &mut [u8], s: &[u8]) {
    // Whole words, the last one overlapping the one before (64-bit targets only).
    #[cfg(target_pointer_width = "64")]
    {
        let n = dst.len().min(s.len());
        if let (Some(dst), Some(s)) = (dst.get_mut(..n), s.get(..n))
            && let Some(&last) = s.last_chunk::<8>()
        {
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
    }
    for (d, &b) in dst.iter_mut().zip(s) {
        *d = b.to_ascii_lowercase();
    }
}

/// Streaming SHA-1.
#[derive(Clone)]
pub(crate) struct Sha1 {
    state: [u32; 5],
    block: [u8; 64],
    pos: usize,
    /// Bytes already compressed.
    done: u64,
}

impl Sha1 {
    pub(crate) const fn new() -> Self {
        Self::resume(IV, 0)
    }

    /// Continues from a state reached after `done` bytes (a multiple of 64).
    pub(crate) const fn resume(state: [u32; 5], done: u64) -> Self {
        Self {
            state,
            block: [0; 64],
            pos: 0,
            done,
        }
    }

    #[inline]
    pub(crate) fn update(&mut self, data: &[u8]) {
        // Short pieces (escapes, separators, a lowercased letter) are the common case of a
        // streamed canonical string: copy them byte by byte instead of calling `memcpy`.
        if data.len() <= 8 {
            for &b in data {
                self.push(b);
            }
        } else {
            self.update_long(data);
        }
    }

    #[inline(always)]
    pub(crate) fn push(&mut self, b: u8) {
        if let Some(slot) = self.block.get_mut(self.pos) {
            *slot = b;
        }
        self.pos += 1;
        if self.pos >= 64 {
            self.compress_block();
        }
    }

    fn compress_block(&mut self) {
        compress(&mut self.state, core::slice::from_ref(&self.block));
        self.done += 64;
        self.pos = 0;
    }

    fn update_long(&mut self, mut data: &[u8]) {
        if self.pos > 0 {
            let take = (64 - self.pos).min(data.len());
            let (head, rest) = data.split_at(take);
            if let Some(dst) = self.block.get_mut(self.pos..self.pos + take) {
                dst.copy_from_slice(head);
            }
            self.pos += take;
            data = rest;
            if self.pos < 64 {
                return;
            }
            compress(&mut self.state, core::slice::from_ref(&self.block));
            self.done += 64;
            self.pos = 0;
        }
        let (blocks, rest) = data.as_chunks::<64>();
        if !blocks.is_empty() {
            compress(&mut self.state, blocks);
            self.done += 64 * blocks.len() as u64;
        }
        if let Some(dst) = self.block.get_mut(..rest.len()) {
            dst.copy_from_slice(rest);
        }
        self.pos = rest.len();
    }

    pub(crate) fn finalize(mut self) -> [u8; 20] {
        let bits = (self.done + self.pos as u64).wrapping_mul(8);
        let pos = self.pos;
        if let Some(b) = self.block.get_mut(pos) {
            *b = 0x80;
        }
        if let Some(tail) = self.block.get_mut(pos + 1..) {
            tail.fill(0);
        }
        if pos >= 56 {
            compress(&mut self.state, core::slice::from_ref(&self.block));
            self.block = [0; 64];
        }
        self.block[56..].copy_from_slice(&bits.to_be_bytes());
        compress(&mut self.state, core::slice::from_ref(&self.block));
        let mut out = [0u8; 20];
        for (chunk, word) in out.chunks_exact_mut(4).zip(self.state) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }

    /// The number of compressions a message of `len` bytes needs.
    pub(crate) const fn blocks_for(len: usize) -> usize {
        (len + 9).div_ceil(64)
    }
}

impl ByteOut for Sha1 {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }

    #[cfg_attr(target_pointer_width = "64", inline(always))]
    fn put_encoded(&mut self, s: &[u8], form: Form) -> usize {
        // Staged through a small buffer, then copied into the block: measured cheaper than
        // encoding straight into the block.
        encode_staged(self, s, form)
    }
}

/// A hasher behind a small staging buffer: pieces and encodings gather there and reach the
/// block buffer in a few large copies instead of many small ones.
#[cfg(target_pointer_width = "64")]
pub(crate) struct Staged<'h> {
    h: &'h mut Sha1,
    buf: [u8; STAGE],
    n: usize,
}

#[cfg(target_pointer_width = "64")]
impl<'h> Staged<'h> {
    pub(crate) fn new(h: &'h mut Sha1) -> Self {
        Self {
            h,
            buf: [0; STAGE],
            n: 0,
        }
    }

    /// Hashes what is staged.
    pub(crate) fn finish(self) {
        self.h.update(self.buf.get(..self.n).unwrap_or_default());
    }
}

#[cfg(target_pointer_width = "64")]
impl ByteOut for Staged<'_> {
    #[inline(always)]
    fn put(&mut self, b: &[u8]) {
        if let Some(d) = self.buf.get_mut(self.n..self.n + b.len()) {
            if b.len() <= 8 {
                for (d, &s) in d.iter_mut().zip(b) {
                    *d = s;
                }
            } else {
                d.copy_from_slice(b);
            }
            self.n += b.len();
        } else {
            self.h.update(self.buf.get(..self.n).unwrap_or_default());
            self.h.update(b);
            self.n = 0;
        }
    }

    #[inline(always)]
    fn put_encoded(&mut self, s: &[u8], form: Form) -> usize {
        encode_staged_into(&mut *self.h, &mut self.buf, &mut self.n, s, form)
    }
}

/// SHA-1 of one message.
pub(crate) fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h = Sha1::new();
    h.update(data);
    h.finalize()
}

/// An HMAC-SHA1 key with its inner and outer pad blocks already compressed.
#[derive(Clone)]
pub(crate) struct HmacSha1 {
    inner: [u32; 5],
    outer: [u32; 5],
}

impl HmacSha1 {
    /// Overwrites both states (for `Drop` of a key), without compressing anything.
    pub(crate) fn wipe(&mut self) {
        self.inner = [0; 5];
        self.outer = [0; 5];
    }

    pub(crate) fn new(key: &[u8]) -> Self {
        let mut k = [0u8; 64];
        if key.len() > 64 {
            k[..20].copy_from_slice(&sha1(key));
        } else if let Some(dst) = k.get_mut(..key.len()) {
            dst.copy_from_slice(key);
        }
        let mut ipad = [0x36u8; 64];
        let mut opad = [0x5cu8; 64];
        for ((i, o), b) in ipad.iter_mut().zip(opad.iter_mut()).zip(k) {
            *i ^= b;
            *o ^= b;
        }
        let mut inner = IV;
        compress(&mut inner, core::slice::from_ref(&ipad));
        let mut outer = IV;
        compress(&mut outer, core::slice::from_ref(&opad));
        // Best effort: the padded key does not outlive this call.
        k.fill(0);
        ipad.fill(0);
        opad.fill(0);
        Self { inner, outer }
    }

    /// A hasher for the message, already past the inner pad.
    pub(crate) const fn start(&self) -> Sha1 {
        Sha1::resume(self.inner, 64)
    }

    pub(crate) fn finish(&self, inner: Sha1) -> [u8; 20] {
        let digest = inner.finalize();
        let mut outer = Sha1::resume(self.outer, 64);
        outer.update(&digest);
        outer.finalize()
    }

    pub(crate) fn mac(&self, msg: &[u8]) -> [u8; 20] {
        let mut h = self.start();
        h.update(msg);
        self.finish(h)
    }
}

/// Lowercase hex of a 20-byte digest, in constant time (it hex-encodes the SignKey).
#[cfg(not(target_pointer_width = "64"))]
pub(crate) fn hex20(digest: &[u8; 20]) -> [u8; 40] {
    let mut out = [0u8; 40];
    // 40 bytes of room for 20 bytes of input: the encoder cannot fail here.
    let _ = base16ct::lower::encode(digest, &mut out);
    out
}

/// Lowercase hex of a 20-byte digest, in constant time (it hex-encodes the SignKey): word
/// arithmetic only, no table, no branch on the data.
#[cfg(target_pointer_width = "64")]
pub(crate) fn hex20(digest: &[u8; 20]) -> [u8; 40] {
    let mut out = [0u8; 40];
    for (o, d) in out.chunks_exact_mut(8).zip(digest.chunks_exact(4)) {
        let mut word = [0u8; 4];
        word.copy_from_slice(d);
        o.copy_from_slice(&hex4(word));
    }
    out
}

/// Eight lowercase hex digits of four bytes.
#[cfg(target_pointer_width = "64")]
#[inline(always)]
fn hex4(b: [u8; 4]) -> [u8; 8] {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Spread the eight nibbles into eight bytes, most significant first (big-endian).
    let x = u64::from(u32::from_be_bytes(b));
    let x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    let x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    let x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    // 1 in each byte whose nibble is 10 or more: those skip from `9` + 1 to `a`.
    let letters = ((x + ONES * 6) >> 4) & ONES;
    (x + ONES * u64::from(b'0') + letters * u64::from(b'a' - b'9' - 1)).to_be_bytes()
}

/// Lowercase hex of a public digest (the HttpString hash, a signature) by table lookup:
/// faster than [`hex20`], which stays constant-time for secrets (the SignKey).
#[cfg(not(target_pointer_width = "64"))]
pub(crate) fn hex20_public(digest: &[u8; 20]) -> [u8; 40] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 40];
    for (pair, &b) in out.chunks_exact_mut(2).zip(digest) {
        pair.copy_from_slice(&[HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
    }
    out
}

/// Lowercase hex of a public digest (the HttpString hash, a signature): two digits per
/// table lookup.
#[cfg(target_pointer_width = "64")]
pub(crate) fn hex20_public(digest: &[u8; 20]) -> [u8; 40] {
    /// `"00" "01" ... "ff"`.
    static PAIRS: [[u8; 2]; 256] = {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut t = [[0u8; 2]; 256];
        let mut i = 0;
        while i < 256 {
            t[i] = [HEX[i >> 4], HEX[i & 15]];
            i += 1;
        }
        t
    };
    let mut out = [0u8; 40];
    for (pair, &b) in out.chunks_exact_mut(2).zip(digest) {
        pair.copy_from_slice(&PAIRS[b as usize]);
    }
    out
}
