//! SHA-1 with a caller-visible block buffer and HMAC-SHA1 with precomputed pads.
//!
//! The compression function comes from the `sha1` crate; this module only does the
//! buffering and the Merkle–Damgård padding, so that the canonical request can be
//! streamed in small pieces, and encoded straight into the block buffer, without an
//! intermediate buffer.

use sha1::block_api::compress;

use crate::encode::{Stage, encode_into};
// `verify` names the sink trait through this module.
pub(crate) use crate::sink::ByteOut;
use crate::sink::{Form, lower_into};

const IV: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];

/// Streaming SHA-1.
///
/// The buffer holds two blocks: between calls fewer than 64 bytes wait in it, so that any
/// piece of up to 64 bytes is one copy, and an encoder can write whole words past the end of
/// the first block before it is compressed ([`Stage`]).
#[derive(Clone)]
pub(crate) struct Sha1 {
    state: [u32; 5],
    buf: [u8; 128],
    /// Bytes waiting in `buf` (below 64 between calls).
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
            buf: [0; 128],
            pos: 0,
            done,
        }
    }

    #[inline]
    pub(crate) fn update(&mut self, mut data: &[u8]) {
        // Pieces of up to 64 bytes (nearly all of a streamed canonical string) are one copy
        // into the buffer, short ones byte by byte instead of through `memcpy`.
        while !data.is_empty() {
            let take = data.len().min(64);
            let (head, rest) = data.split_at(take);
            if let Some(dst) = self.buf.get_mut(self.pos..self.pos + take) {
                if take <= 8 {
                    for (d, &s) in dst.iter_mut().zip(head) {
                        *d = s;
                    }
                } else {
                    dst.copy_from_slice(head);
                }
            }
            self.pos += take;
            if self.pos >= 64 {
                self.pos = self.spill_block();
            }
            data = rest;
        }
    }

    /// Compresses the first block of the buffer and moves the second one to the front;
    /// returns the bytes left waiting (`pos - 64`).
    #[inline(never)]
    fn spill_block(&mut self) -> usize {
        let (lo, hi) = self.buf.split_at_mut(64);
        if let Some(block) = lo.as_chunks::<64>().0.first() {
            compress(&mut self.state, core::slice::from_ref(block));
        }
        lo.copy_from_slice(hi);
        self.done += 64;
        self.pos.saturating_sub(64)
    }

    pub(crate) fn finalize(mut self) -> [u8; 20] {
        let pos = self.pos;
        let bits = (self.done + pos as u64).wrapping_mul(8);
        if let Some(b) = self.buf.get_mut(pos) {
            *b = 0x80;
        }
        if let Some(tail) = self.buf.get_mut(pos + 1..) {
            tail.fill(0);
        }
        // One block, or two when the length does not fit after the message.
        let blocks = if pos < 56 { 1 } else { 2 };
        if let Some(len) = self.buf.get_mut(64 * blocks - 8..64 * blocks) {
            len.copy_from_slice(&bits.to_be_bytes());
        }
        let (chunks, _) = self.buf.as_chunks::<64>();
        compress(&mut self.state, chunks.get(..blocks).unwrap_or_default());
        let mut out = [0u8; 20];
        for (chunk, word) in out.chunks_exact_mut(4).zip(self.state) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }
}

impl Stage for Sha1 {
    const LIMIT: usize = 64;

    #[inline(always)]
    fn buf(&mut self) -> &mut [u8] {
        &mut self.buf
    }

    #[inline(always)]
    fn spill(&mut self, n: usize) -> usize {
        self.pos = n;
        self.spill_block()
    }
}

impl ByteOut for Sha1 {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }

    #[cfg_attr(target_pointer_width = "64", inline(always))]
    fn put_encoded(&mut self, s: &[u8], form: Form) -> usize {
        // Straight into the block buffer.
        let (n, len) = encode_into(self, self.pos, s, form);
        self.pos = n;
        if n >= 64 {
            self.pos = self.spill_block();
        }
        len
    }

    #[inline]
    fn put_lower(&mut self, s: &[u8]) {
        for chunk in s.chunks(64) {
            if let Some(dst) = self.buf.get_mut(self.pos..self.pos + chunk.len()) {
                lower_into(dst, chunk);
            }
            self.pos += chunk.len();
            if self.pos >= 64 {
                self.pos = self.spill_block();
            }
        }
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
        // The outer message is the 20-byte inner digest: one block after the pad block.
        let mut block = [0u8; 64];
        if let Some(d) = block.first_chunk_mut::<20>() {
            *d = inner.finalize();
        }
        block[20] = 0x80;
        block[56..].copy_from_slice(&((64u64 + 20) * 8).to_be_bytes());
        let mut state = self.outer;
        compress(&mut state, core::slice::from_ref(&block));
        let mut out = [0u8; 20];
        for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
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
