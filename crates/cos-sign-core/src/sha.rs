//! SHA-1 with a caller-visible block buffer and HMAC-SHA1 with precomputed pads.
//!
//! The compression function comes from the `sha1` crate (SHA-NI where the CPU has it), except
//! on bare-metal targets (`target_os = "none"`), where a rolled loop of FIPS 180-4's 80
//! rounds takes a tenth of the code; this module does the
//! buffering and the Merkle–Damgård padding, so that the canonical request can be
//! streamed in small pieces, and encoded straight into the block buffer, without an
//! intermediate buffer.

#[cfg(not(target_os = "none"))]
use sha1::block_api::compress;

#[cfg(target_os = "none")]
use compact_compress as compress;

/// The SHA-1 compression function (FIPS 180-4, 6.1.2) as one rolled loop over the 80 rounds,
/// with the message schedule in a 16-word ring: small code for microcontrollers, where the
/// `sha1` crate's unrolled rounds cost over 2 KiB.
#[cfg(any(test, target_os = "none"))]
pub(crate) fn compact_compress(state: &mut [u32; 5], blocks: &[[u8; 64]]) {
    for block in blocks {
        let mut w = [0u32; 16];
        for (w, b) in w.iter_mut().zip(block.as_chunks::<4>().0) {
            *w = u32::from_be_bytes(*b);
        }
        let [mut a, mut b, mut c, mut d, mut e] = *state;
        for i in 0..80usize {
            if i >= 16 {
                let x = w[(i + 13) & 15] ^ w[(i + 8) & 15] ^ w[(i + 2) & 15] ^ w[i & 15];
                w[i & 15] = x.rotate_left(1);
            }
            let (f, k) = match i / 20 {
                0 => ((b & c) | (!b & d), 0x5A82_7999),
                1 => (b ^ c ^ d, 0x6ED9_EBA1),
                2 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(w[i & 15]);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (s, v) in state.iter_mut().zip([a, b, c, d, e]) {
            *s = s.wrapping_add(v);
        }
    }
}

use crate::encode::{HELD, ROOM, Stage, encode_into};
// `verify` names the sink trait through this module.
pub(crate) use crate::sink::ByteOut;
use crate::sink::{Form, copy_small, lower_into};

const IV: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];

/// Streaming SHA-1.
///
/// The buffer holds [`HELD`] bytes and one block more: between calls fewer than `HELD` bytes
/// wait in it, so that any piece of up to 64 bytes is one copy, and an encoder can write
/// whole words past the held bytes before they are compressed ([`Stage`]).
#[derive(Clone)]
pub(crate) struct Sha1 {
    state: [u32; 5],
    buf: [u8; HELD + 64],
    /// Bytes waiting in `buf` (below `HELD` between calls).
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
            buf: [0; HELD + 64],
            pos: 0,
            done,
        }
    }

    #[inline]
    pub(crate) fn update(&mut self, data: &[u8]) {
        // A piece that leaves the held bytes short of `HELD` (nearly every piece of a
        // streamed canonical string) is one copy into the buffer, a short one without a
        // `memcpy` call.
        let end = self.pos + data.len();
        if end < HELD {
            if let Some(dst) = self.buf.get_mut(self.pos..end) {
                copy_small(dst, data);
            }
            self.pos = end;
        } else {
            self.update_long(data);
        }
    }

    /// Fills and compresses the held bytes, compresses whole blocks straight from `data`,
    /// keeps the rest.
    fn update_long(&mut self, data: &[u8]) {
        let (head, data) = data.split_at(HELD.saturating_sub(self.pos).min(data.len()));
        if let Some(dst) = self.buf.get_mut(self.pos..self.pos + head.len()) {
            dst.copy_from_slice(head);
        }
        compress(&mut self.state, held(&self.buf));
        let (blocks, rest) = data.as_chunks::<64>();
        if !blocks.is_empty() {
            compress(&mut self.state, blocks);
        }
        self.done += (HELD + 64 * blocks.len()) as u64;
        if let Some(dst) = self.buf.get_mut(..rest.len()) {
            dst.copy_from_slice(rest);
        }
        self.pos = rest.len();
    }

    /// Compresses the held bytes and moves the block after them to the front; returns the
    /// bytes left waiting (`pos - HELD`).
    #[inline(never)]
    fn spill_block(&mut self) -> usize {
        compress(&mut self.state, held(&self.buf));
        let (lo, hi) = self.buf.split_at_mut(HELD);
        if let (Some(d), Some(s)) = (lo.first_chunk_mut::<64>(), hi.first_chunk::<64>()) {
            *d = *s;
        }
        self.done += HELD as u64;
        self.pos.saturating_sub(HELD)
    }

    /// [`put_pair`](ByteOut::put_pair), with the name as the Authorization lists it noted
    /// in `note` (x86_64): a name of up to 32 bytes that needs no escape is lowercased in
    /// registers and stored both into the block buffer and into the note (nothing is read
    /// back); another one goes through the encoder, and the note is given up.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    pub(crate) fn put_pair_noted(
        &mut self,
        first: bool,
        name: &[u8],
        value: &[u8],
        note: &mut NameNote,
    ) -> usize {
        let n = self.pair_start(first);
        // (The fill stays below `HELD + 33`: the name, `=` and the encoder's first spill
        // test fit in the buffer.)
        let (m, len) = match plain_name(name) {
            Some((head, tail)) => {
                if let Some(d) = self
                    .buf
                    .get_mut(n..)
                    .and_then(|r| r.first_chunk_mut::<16>())
                {
                    *d = head.into();
                }
                if let Some(t) = tail
                    && let Some(d) = self
                        .buf
                        .get_mut(n + name.len() - 16..)
                        .and_then(|r| r.first_chunk_mut::<16>())
                {
                    *d = t.into();
                }
                note.add(first, head, tail, name.len());
                (n + name.len(), name.len())
            }
            None => {
                note.ok = false;
                encode_into(self, n, name, Form::Name)
            }
        };
        self.pair_end(m, value);
        len
    }

    /// `lower(method)\npath` as the start of the message, when the method has at most 7
    /// bytes and the path fills the rest of the first block (x86_64): that block goes into
    /// the buffer as four whole 16-byte chunks (see `sse`: written piece by piece, the
    /// compression's loads of it could not be forwarded from the stores, and in a loop of
    /// signatures waited for the previous one's last instructions, about 23 ns); the rest
    /// of the path follows as any piece does. False (nothing written) otherwise, or when
    /// bytes were hashed already.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    pub(crate) fn start_method_path(&mut self, method: &[u8], path: &[u8]) -> bool {
        fills_first_block(method, path)
            && self.pos == 0
            && self.done == 0
            && self.start_long_path(method, path)
    }

    /// [`start_method_path`](Self::start_method_path) once it applies (out of line: the
    /// short requests that do not take it keep their code as it was).
    #[cfg(target_arch = "x86_64")]
    #[inline(never)]
    fn start_long_path(&mut self, method: &[u8], path: &[u8]) -> bool {
        let k = method.len() + 1;
        // The method with its ASCII letters lowercased (as `put_method`), then `\n`.
        let head = method.iter().rev().fold(u64::from(b'\n'), |h, &b| {
            h << 8 | u64::from(b.to_ascii_lowercase())
        });
        let Some(block) = self.buf.first_chunk_mut::<64>() else {
            return false;
        };
        if crate::sse::first_block(block, head, k, path).is_none() {
            return false;
        }
        self.pos = 64;
        self.update(path.get(64 - k..).unwrap_or_default());
        true
    }

    /// A pair's start in the block buffer: the `&` before it unless `first`; the fill where
    /// its name goes.
    #[cfg(target_pointer_width = "64")]
    #[inline(always)]
    fn pair_start(&mut self, first: bool) -> usize {
        let n = self.pos;
        if first {
            return n;
        }
        if let Some(d) = self.buf.get_mut(n) {
            *d = b'&';
        }
        n + 1
    }

    /// A pair's end: `=` at the fill `m` after its name, the encoded `value`, and a spill of
    /// the held blocks once they are full.
    #[cfg(target_pointer_width = "64")]
    #[inline(always)]
    fn pair_end(&mut self, m: usize, value: &[u8]) {
        if let Some(d) = self.buf.get_mut(m) {
            *d = b'=';
        }
        let (m, _) = encode_into(self, m + 1, value, Form::Value);
        self.pos = m;
        if m >= HELD {
            self.pos = self.spill_block();
        }
    }

    /// The digest (the hasher is spent: its buffer holds the padding).
    pub(crate) fn finalize(&mut self) -> [u8; 20] {
        let pos = self.pos;
        let bits = (self.done + pos as u64).wrapping_mul(8);
        // `0x80` and the zeros up to the length, in one fixed-size store: the length field
        // ends at most 72 bytes after `pos` and starts at most 64 after it, and `pos + 64`
        // stays within the buffer (`pos < HELD`). (A fill up to a computed end is a `memset`
        // call.)
        const PAD: [u8; 64] = {
            let mut p = [0u8; 64];
            p[0] = 0x80;
            p
        };
        if let Some(d) = self
            .buf
            .get_mut(pos..)
            .and_then(|r| r.first_chunk_mut::<64>())
        {
            *d = PAD;
        }
        // The blocks of the message left and its padding (at most `HELD / 64 + 1`).
        let blocks = (pos + 9).div_ceil(64);
        if let Some(len) = self.buf.get_mut(64 * blocks - 8..64 * blocks) {
            len.copy_from_slice(&bits.to_be_bytes());
        }
        let (chunks, _) = self.buf.as_chunks::<64>();
        compress(&mut self.state, chunks.get(..blocks).unwrap_or_default());
        digest_of(self.state)
    }
}

impl Stage for Sha1 {
    const LIMIT: usize = {
        assert!(
            HELD + 64 >= HELD + ROOM - 1,
            "the block buffer keeps the encoder's room"
        );
        HELD
    };

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

    #[inline]
    fn put_byte(&mut self, b: u8) {
        match self.buf.get_mut(self.pos) {
            Some(d) if self.pos < HELD - 1 => {
                *d = b;
                self.pos += 1;
            }
            _ => self.update(&[b]),
        }
    }

    #[cfg_attr(target_pointer_width = "64", inline(always))]
    fn put_encoded(&mut self, s: &[u8], form: Form) -> usize {
        // Straight into the block buffer.
        let (n, len) = encode_into(self, self.pos, s, form);
        self.pos = n;
        if n >= HELD {
            self.pos = self.spill_block();
        }
        len
    }

    /// The pair in one go through the block buffer: the separators are stored at the fill
    /// the encoder hands back, with no round trip through `pos` and no spill test between
    /// the pieces (the encoder spills before it writes a word, and every fill here stays
    /// below `HELD + ROOM`: room for a separator in the buffer of `HELD + 64` bytes).
    #[cfg(target_pointer_width = "64")]
    #[inline(always)]
    fn put_pair(&mut self, first: bool, name: &[u8], value: &[u8]) -> usize {
        let n = self.pair_start(first);
        let (m, len) = encode_into(self, n, name, Form::Name);
        self.pair_end(m, value);
        len
    }

    #[inline]
    fn put_lower(&mut self, s: &[u8]) {
        for chunk in s.chunks(64) {
            if let Some(dst) = self.buf.get_mut(self.pos..self.pos + chunk.len()) {
                lower_into(dst, chunk);
            }
            self.pos += chunk.len();
            if self.pos >= HELD {
                self.pos = self.spill_block();
            }
        }
    }
}

/// Whether `lower(method)\npath` fills a first block the way
/// [`Sha1::start_method_path`] takes it: a method of at most 7 bytes (with its `\n`, at most
/// 8: the first chunk's head) and a path of the rest of the block or more (x86_64). (A path
/// shorter than 56 bytes never does: the one test most requests pay.)
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn fills_first_block(method: &[u8], path: &[u8]) -> bool {
    path.len() >= 56 && method.len() <= 7 && path.len() + method.len() >= 63
}

/// A name of 1 to 32 bytes that needs no escape, lowercased: its first 16 bytes (fewer:
/// zeros after them) and, past 16, its last 16 (x86_64).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn plain_name(name: &[u8]) -> Option<(safe_arch::m128i, Option<safe_arch::m128i>)> {
    use crate::sse::{load, lower16, plain16};
    let len = name.len();
    if len == 0 || len > 32 {
        return None;
    }
    let (head, tail) = match (name.first_chunk::<16>(), name.last_chunk::<16>()) {
        (Some(h), Some(t)) => (load(h), (len > 16).then(|| load(t))),
        _ => (safe_arch::m128i::from(crate::encode::gather(name)), None),
    };
    let valid = (1u32 << len.min(16)) - 1;
    if plain16(head) & valid != valid || tail.is_some_and(|t| plain16(t) != 0xffff) {
        return None;
    }
    Some((lower16(head), tail.map(lower16)))
}

/// The room of a [`NameNote`]: a longer name list is written name by name.
#[cfg(target_arch = "x86_64")]
const NOTE: usize = 96;

/// The names of one pair list in signing order, lowercased, joined as the Authorization
/// (`;`) or the pre-signed query (`%3B`) lists them: noted while the HttpString is hashed
/// ([`Sha1::put_pair_noted`]), when every name needs no escape (x86_64).
#[cfg(target_arch = "x86_64")]
pub(crate) struct NameNote {
    /// The list, and scratch after it.
    buf: [u8; NOTE + 32],
    len: usize,
    /// The pre-signed query's form.
    query: bool,
    /// False once a name was not noted: the list is then written name by name.
    ok: bool,
}

#[cfg(target_arch = "x86_64")]
impl NameNote {
    pub(crate) const fn new(query: bool) -> Self {
        Self {
            buf: [0; NOTE + 32],
            len: 0,
            query,
            ok: true,
        }
    }

    /// The list in the form `query` says, if it is the noted form and every name was noted.
    #[inline]
    pub(crate) fn list(&self, query: bool) -> Option<&[u8]> {
        if self.ok && self.query == query {
            self.buf.get(..self.len)
        } else {
            None
        }
    }

    /// Notes a name of `len` bytes given as [`plain_name`] gives it, the separator before
    /// it unless `first` (stored in any case, at the list's end, where a first name
    /// overwrites it).
    #[inline(always)]
    fn add(
        &mut self,
        first: bool,
        head: safe_arch::m128i,
        tail: Option<safe_arch::m128i>,
        len: usize,
    ) {
        let (sep, sep_len): ([u8; 4], usize) = if self.query {
            (*b"%3B\0", 3)
        } else {
            (*b";\0\0\0", 1)
        };
        let off = if first { 0 } else { sep_len };
        let end = self.len + off + len;
        match self
            .buf
            .get_mut(self.len..)
            .and_then(|r| r.first_chunk_mut::<{ 3 + 32 }>())
        {
            Some(d) if end <= NOTE => {
                if let Some(s) = d.first_chunk_mut::<4>() {
                    *s = sep;
                }
                if let Some(h) = d.get_mut(off..).and_then(|r| r.first_chunk_mut::<16>()) {
                    *h = head.into();
                }
                if let Some(t) = tail
                    && let Some(dt) = d
                        .get_mut(off + len - 16..)
                        .and_then(|r| r.first_chunk_mut::<16>())
                {
                    *dt = t.into();
                }
                self.len = end;
            }
            _ => self.ok = false,
        }
    }
}

/// The held blocks at the front of a [`Sha1`] buffer.
#[inline(always)]
fn held(buf: &[u8; HELD + 64]) -> &[[u8; 64]] {
    buf.as_chunks::<64>().0.get(..HELD / 64).unwrap_or_default()
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
        // A key of 16 to 64 bytes: its pads built in registers from loads of the key.
        #[cfg(target_arch = "x86_64")]
        if let Some(chunks) = crate::sse::key_chunks(key) {
            return Self::of_chunks(chunks);
        }
        // One pad block: the ipad, then turned into the opad in place. The key is laid
        // out in a zeroed block first, so that both pads are whole-block XORs (a byte loop
        // over the key's own length costs more than the block).
        let mut pad = [0u8; 64];
        let digest;
        let key = if key.len() > 64 {
            digest = sha1(key);
            &digest[..]
        } else {
            key
        };
        if let Some(d) = pad.get_mut(..key.len()) {
            copy_small(d, key);
        }
        for p in &mut pad {
            *p ^= 0x36;
        }
        let mut inner = IV;
        compress(&mut inner, core::slice::from_ref(&pad));
        for p in &mut pad {
            *p ^= 0x36 ^ 0x5c;
        }
        let mut outer = IV;
        compress(&mut outer, core::slice::from_ref(&pad));
        // Best effort: the padded key does not outlive this call.
        pad.fill(0);
        Self { inner, outer }
    }

    /// The HMAC states of a key of four 16-byte chunks (zero past its end), its pad blocks
    /// stored in whole 16-byte chunks: the compression's loads of them are forwarded from
    /// the stores (a block written in narrower pieces waits for them to reach the cache).
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    pub(crate) fn of_chunks(key: [safe_arch::m128i; 4]) -> Self {
        let mut pads = crate::sse::pad_blocks(key);
        let (mut inner, mut outer) = (IV, IV);
        let [ipad, opad] = &pads;
        compress(&mut inner, core::slice::from_ref(ipad));
        compress(&mut outer, core::slice::from_ref(opad));
        // Best effort: the padded key does not outlive this call.
        pads = [[0; 64]; 2];
        core::hint::black_box(&pads);
        Self { inner, outer }
    }

    /// The HMAC of a message laid out with its padding in one block after the pad block.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    pub(crate) fn mac_block(&self, block: &[u8; 64]) -> [u8; 20] {
        let mut state = self.inner;
        compress(&mut state, core::slice::from_ref(block));
        self.outer_of(digest_of(state))
    }

    /// A hasher for the message, already past the inner pad.
    pub(crate) const fn start(&self) -> Sha1 {
        Sha1::resume(self.inner, 64)
    }

    pub(crate) fn finish(&self, mut inner: Sha1) -> [u8; 20] {
        self.outer_of(inner.finalize())
    }

    /// The outer hash of an inner digest: one block after the pad block.
    #[inline]
    pub(crate) fn outer_of(&self, inner: [u8; 20]) -> [u8; 20] {
        self.outer_in(&mut [0u8; 64], inner)
    }

    /// The outer hash of an inner digest, laid out in `block` (zeroed by the caller).
    #[inline(always)]
    fn outer_in(&self, block: &mut [u8; 64], inner: [u8; 20]) -> [u8; 20] {
        #[cfg(target_arch = "x86_64")]
        crate::sse::outer_block(block, &inner);
        #[cfg(not(target_arch = "x86_64"))]
        {
            if let Some(d) = block.first_chunk_mut::<20>() {
                *d = inner;
            }
            block[20] = 0x80;
            block[56..].copy_from_slice(&((64u64 + 20) * 8).to_be_bytes());
        }
        let mut state = self.outer;
        compress(&mut state, core::slice::from_ref(block));
        digest_of(state)
    }

    /// The HMAC of a StringToSign: `head` holds `sha1\n<KeyTime>\n` in its first
    /// `head_len` (at most 47) bytes and zeros after them; the hex of `digest` and `\n`
    /// follow. Laid out with its padding in one two-block buffer, the hex written in place:
    /// no loop over pieces, no copy call.
    #[inline]
    pub(crate) fn mac_sts(&self, head: &[u8; 48], head_len: usize, digest: &[u8; 20]) -> [u8; 20] {
        self.outer_of(self.sts_inner(head, head_len, digest))
    }

    /// The inner hash of [`mac_sts`](Self::mac_sts): `mac_sts` is its
    /// [`outer_of`](Self::outer_of). Apart, a caller can put work that does not depend on
    /// the hashes between the two.
    #[inline]
    pub(crate) fn sts_inner(
        &self,
        head: &[u8; 48],
        head_len: usize,
        digest: &[u8; 20],
    ) -> [u8; 20] {
        // The usual head (two ten-digit times): both blocks in whole 16-byte chunks.
        #[cfg(target_arch = "x86_64")]
        if head_len == 27 {
            let mut blocks = [[0u8; 64]; 2];
            crate::sse::sts27_blocks(&mut blocks, head, digest);
            let mut state = self.inner;
            compress(&mut state, &blocks);
            return digest_of(state);
        }
        let mut buf = [0u8; 128];
        if let Some(d) = buf.first_chunk_mut::<48>() {
            *d = *head;
        }
        if let Some(d) = buf
            .get_mut(head_len..)
            .and_then(|r| r.first_chunk_mut::<42>())
        {
            if let Some(hex) = d.first_chunk_mut::<40>() {
                hex20_public_into(hex, digest);
            }
            d[40] = b'\n';
            d[41] = 0x80;
        }
        self.inner_padded(&mut buf, head_len + 41)
    }

    /// The HMAC of the key time in a StringToSign head (`head` as for
    /// [`mac_sts`](Self::mac_sts)): the message is `head[5..head_len - 1]`, moved as one
    /// fixed-size copy (no copy call); the `\n` after it becomes the padding's `0x80`.
    #[inline]
    pub(crate) fn mac_key_time(&self, head: &[u8; 48], head_len: usize) -> [u8; 20] {
        let mut buf = [0u8; 128];
        if let (Some(d), Some(s)) = (buf.first_chunk_mut::<43>(), head.last_chunk::<43>()) {
            *d = *s;
        }
        let n = head_len.saturating_sub(6);
        if let Some(b) = buf.get_mut(n) {
            *b = 0x80;
        }
        self.mac_padded(&mut buf, n)
    }

    /// The HMAC of `parts` one after the other. A message of up to 119 bytes (every
    /// StringToSign and KeyTime) is laid out with its padding in one two-block buffer and
    /// compressed in place; a longer one is streamed.
    pub(crate) fn mac_parts(&self, parts: &[&[u8]]) -> [u8; 20] {
        let mut buf = [0u8; 128];
        let mut n = 0;
        for p in parts {
            let end = n + p.len();
            match buf.get_mut(n..end) {
                Some(d) if end < 120 => d.copy_from_slice(p),
                _ => return self.mac_streamed(parts),
            }
            n = end;
        }
        if let Some(b) = buf.get_mut(n) {
            *b = 0x80;
        }
        self.mac_padded(&mut buf, n)
    }

    /// The HMAC of the `n`-byte message (at most 119 bytes) at the start of `buf`, followed
    /// by `0x80` and zeros: the length goes in, the message is compressed in place, and the
    /// outer message (the inner digest) is laid out in the same buffer (a small frame).
    #[inline(always)]
    fn mac_padded(&self, buf: &mut [u8; 128], n: usize) -> [u8; 20] {
        let inner = self.inner_padded(buf, n);
        let (block, _) = buf.as_chunks_mut::<64>();
        match block.first_mut() {
            Some(block) => {
                block.fill(0);
                self.outer_in(block, inner)
            }
            None => [0; 20],
        }
    }

    /// The inner hash of the `n`-byte message (at most 119 bytes) at the start of `buf`,
    /// followed by `0x80` and zeros.
    #[inline(always)]
    fn inner_padded(&self, buf: &mut [u8; 128], n: usize) -> [u8; 20] {
        let blocks = if n < 56 { 1 } else { 2 };
        let bits = ((64 + n) as u64).wrapping_mul(8);
        if let Some(len) = buf.get_mut(64 * blocks - 8..64 * blocks) {
            len.copy_from_slice(&bits.to_be_bytes());
        }
        let mut state = self.inner;
        compress(
            &mut state,
            buf.as_chunks::<64>().0.get(..blocks).unwrap_or_default(),
        );
        digest_of(state)
    }

    /// [`mac_parts`](Self::mac_parts) of a long message, in its own frame: the short path
    /// keeps a small stack.
    #[cold]
    #[inline(never)]
    fn mac_streamed(&self, parts: &[&[u8]]) -> [u8; 20] {
        let mut h = self.start();
        for p in parts {
            h.update(p);
        }
        self.finish(h)
    }

    pub(crate) fn mac(&self, msg: &[u8]) -> [u8; 20] {
        self.mac_parts(&[msg])
    }
}

/// The big-endian bytes of a final state.
#[inline]
fn digest_of(state: [u32; 5]) -> [u8; 20] {
    let mut out = [0u8; 20];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
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
#[inline]
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
pub(crate) fn hex20_public_into(out: &mut [u8; 40], digest: &[u8; 20]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (pair, &b) in out.chunks_exact_mut(2).zip(digest) {
        pair.copy_from_slice(&[HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
    }
}

/// The two lowercase hex digits of every byte value.
#[cfg(all(target_pointer_width = "64", not(target_arch = "x86_64")))]
static HEX_PAIRS: [[u8; 2]; 256] = {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [HEX[i >> 4], HEX[i & 15]];
        i += 1;
    }
    t
};

/// Lowercase hex of a public digest (the HttpString hash, a signature), written into `out`:
/// one two-digit table load a byte, twenty independent loads (a short dependency chain
/// between two hashes), and nothing the compiler turns into slow byte shuffles, as it does
/// with [`hex20`]'s words.
#[cfg(all(target_pointer_width = "64", not(target_arch = "x86_64")))]
#[inline]
pub(crate) fn hex20_public_into(out: &mut [u8; 40], digest: &[u8; 20]) {
    for (o, &b) in out.as_chunks_mut::<2>().0.iter_mut().zip(digest) {
        *o = HEX_PAIRS[b as usize];
    }
}

/// Lowercase hex of a public digest (the HttpString hash, a signature), written into `out`
/// in SSE2 registers: two 16-byte stores and one 8-byte store.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn hex20_public_into(out: &mut [u8; 40], digest: &[u8; 20]) {
    crate::sse::hex20_into(out, digest);
}

/// Lowercase hex of a public digest.
#[inline]
pub(crate) fn hex20_public(digest: &[u8; 20]) -> [u8; 40] {
    let mut out = [0u8; 40];
    hex20_public_into(&mut out, digest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The compact compression function equals the `sha1` crate's on many states and blocks.
    #[test]
    fn compact_compress_equals_the_sha1_crate() {
        let mut next = crate::xorshift(0x9E37_79B9_7F4A_7C15u64);
        for _ in 0..200 {
            let mut state = [0u32; 5];
            for s in &mut state {
                *s = next() as u32;
            }
            let mut blocks = [[0u8; 64]; 3];
            for b in blocks.iter_mut().flatten() {
                *b = next() as u8;
            }
            let n = (next() % 4) as usize;
            let (mut a, mut b) = (state, state);
            compact_compress(&mut a, &blocks[..n]);
            sha1::block_api::compress(&mut b, &blocks[..n]);
            assert_eq!(a, b);
        }
    }

    /// The streaming hasher equals the `sha1` crate on every message length up to four
    /// held buffers, fed whole, in pieces of generated sizes (across every fill of the held
    /// bytes and every padding position), and byte by byte.
    #[test]
    fn streaming_equals_the_sha1_crate() {
        use sha1::Digest;
        let mut next = crate::xorshift(0x2545_F491_4F6C_DD1Du64);
        let mut msg = [0u8; 4 * HELD + 1];
        for b in &mut msg {
            *b = next() as u8;
        }
        for len in 0..=msg.len() {
            let m = &msg[..len];
            let want: [u8; 20] = sha1::Sha1::digest(m).into();
            let mut whole = Sha1::new();
            whole.update(m);
            assert_eq!(whole.finalize(), want, "whole, {len} bytes");
            let mut pieces = Sha1::new();
            let mut rest = m;
            while !rest.is_empty() {
                let (piece, tail) = rest.split_at((next() as usize % 150).min(rest.len()));
                pieces.update(piece);
                rest = tail;
            }
            assert_eq!(pieces.finalize(), want, "pieces, {len} bytes");
            let mut bytes = Sha1::new();
            for &b in m {
                bytes.put_byte(b);
            }
            assert_eq!(bytes.finalize(), want, "bytes, {len} bytes");
        }
    }

    /// `put_pair` (the hasher's one-go pair) hashes what the separators and the two encodings
    /// written one by one give: generated names and values (plain runs, escapes, unicode,
    /// empty, long ones across blocks) after every fill of the block buffer.
    #[test]
    fn put_pair_equals_the_pieces() {
        extern crate std;
        use crate::encode::is_unreserved;
        use crate::sink::ByteOut;
        use std::vec::Vec;
        fn encode(out: &mut Vec<u8>, s: &[u8], hex: &[u8; 16], lower: bool) {
            for &b in s {
                if is_unreserved(b) {
                    out.push(if lower { b.to_ascii_lowercase() } else { b });
                } else {
                    out.extend_from_slice(&[
                        b'%',
                        hex[usize::from(b >> 4)],
                        hex[usize::from(b & 15)],
                    ]);
                }
            }
        }
        let mut next = crate::xorshift(0x2545_F491_4F6C_DD1Du64);
        let pieces: [&[u8]; 9] = [
            b"a",
            b"Content-MD5",
            b"09",
            b"-_.~",
            b" ",
            b"%=/",
            b"\xe8\x85\xbe",
            b"\xff",
            b"x-cos-meta-Long-Name",
        ];
        let text = |next: &mut dyn FnMut() -> u64| {
            let mut s = Vec::new();
            for _ in 0..next() % 12 {
                s.extend_from_slice(pieces[(next() % pieces.len() as u64) as usize]);
            }
            s
        };
        for _ in 0..3000 {
            let (name, value) = (text(&mut next), text(&mut next));
            let first = next().is_multiple_of(2);
            let fill: Vec<u8> = (0..next() % 130).map(|i| i as u8).collect();
            let mut want = fill.clone();
            if !first {
                want.push(b'&');
            }
            encode(&mut want, &name, b"0123456789abcdef", true);
            let name_len = want.len() - fill.len() - usize::from(!first);
            want.push(b'=');
            encode(&mut want, &value, b"0123456789ABCDEF", false);
            let mut a = Sha1::new();
            a.update(&fill);
            assert_eq!(a.put_pair(first, &name, &value), name_len);
            let mut b = Sha1::new();
            b.update(&want);
            assert_eq!(a.finalize(), b.finalize(), "{name:?} {value:?} {fill:?}");
        }
    }

    /// `mac_sts` equals the `hmac` crate on every head length a key time can give (7 to 47
    /// bytes: one padded block or two).
    #[test]
    fn mac_sts_equals_the_hmac_crate() {
        use hmac::{KeyInit, Mac};
        let digest: [u8; 20] = core::array::from_fn(|i| (i * 37 + 11) as u8);
        let hex = hex20(&digest);
        assert_eq!(hex20_public(&digest), hex);
        let ours = HmacSha1::new(b"0123456789abcdef0123456789abcdef01234567");
        for head_len in 7..=47 {
            let mut head = [0u8; 48];
            for (i, b) in head[..head_len].iter_mut().enumerate() {
                *b = b'0' + (i % 10) as u8;
            }
            let mut msg = head[..head_len].to_vec();
            msg.extend_from_slice(&hex);
            msg.push(b'\n');
            let mut theirs = hmac::Hmac::<sha1::Sha1>::new_from_slice(
                b"0123456789abcdef0123456789abcdef01234567",
            )
            .unwrap();
            theirs.update(&msg);
            let want: [u8; 20] = theirs.finalize().into_bytes().into();
            assert_eq!(
                ours.mac_sts(&head, head_len, &digest),
                want,
                "head {head_len}"
            );
        }
    }

    /// `mac_parts` equals the `hmac` crate on keys and messages around the one-buffer limit
    /// (short messages laid out in place, long ones streamed), split at any point.
    #[test]
    fn mac_parts_equals_the_hmac_crate() {
        use hmac::{KeyInit, Mac};
        let data: [u8; 300] = core::array::from_fn(|i| (i * 7 + 3) as u8);
        for key_len in [0, 20, 40, 64, 65, 100] {
            let key = &data[..key_len];
            let ours = HmacSha1::new(key);
            for len in (0..140).chain([200, 300]) {
                let msg = &data[..len];
                let mut theirs = hmac::Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
                theirs.update(msg);
                let want: [u8; 20] = theirs.finalize().into_bytes().into();
                assert_eq!(ours.mac(msg), want, "key {key_len}, message {len}");
                let (a, b) = msg.split_at(len / 3);
                assert_eq!(ours.mac_parts(&[a, b, &[]]), want, "split {len}");
            }
        }
    }
}
