//! SSE2 (baseline on x86_64, through `safe_arch`'s safe wrappers): the blocks the HMAC
//! compresses right after writing them, built in vector registers and stored as whole
//! 16-byte chunks at the 16-byte offsets the compression function loads them from. Written
//! in narrower pieces (bytes, words, or 16 bytes across a chunk boundary), a block's loads
//! cannot be forwarded from the stores and wait for them to reach the cache.

use safe_arch::{
    add_i8_m128i, bitand_m128i, bitor_m128i, bitxor_m128i, byte_shl_imm_u128_m128i,
    byte_shr_imm_u128_m128i, cmp_eq_mask_i8_m128i, cmp_gt_mask_i8_m128i, cmp_lt_mask_i8_m128i,
    load_unaligned_m128i, m128i, move_mask_i8_m128i, set_i64_m128i_s, set_splat_i8_m128i,
    shl_all_u64_m128i, shr_all_u64_m128i, shr_imm_u16_m128i, unpack_high_i8_m128i,
    unpack_low_i8_m128i, zeroed_m128i,
};

/// The ASCII lowercase hex digits of sixteen nibbles (one a byte, below 16).
#[inline(always)]
fn digits(n: m128i) -> m128i {
    // `a` follows `9` + 1 after a skip of 39.
    let skip = bitand_m128i(
        cmp_gt_mask_i8_m128i(n, set_splat_i8_m128i(9)),
        set_splat_i8_m128i((b'a' - b'0' - 10) as i8),
    );
    add_i8_m128i(add_i8_m128i(n, set_splat_i8_m128i(b'0' as i8)), skip)
}

/// The hex of 16 bytes: the first eight bytes' 16 digits, the last eight's.
#[inline(always)]
fn hex16(x: m128i) -> (m128i, m128i) {
    let low = set_splat_i8_m128i(0x0f);
    let hi = bitand_m128i(shr_imm_u16_m128i::<4>(x), low);
    let lo = bitand_m128i(x, low);
    (
        digits(unpack_low_i8_m128i(hi, lo)),
        digits(unpack_high_i8_m128i(hi, lo)),
    )
}

/// The 40 hex digits of a digest in three registers: digits 0..16, 16..32, and 32..40 in
/// the low eight bytes of the third (its high eight bytes are `0` digits).
#[inline(always)]
pub(crate) fn hex20(digest: &[u8; 20]) -> [m128i; 3] {
    let (first, last) = digest.split_at(16);
    let (h0, h1) = hex16(load_unaligned_m128i(first.try_into().unwrap_or(&[0; 16])));
    let tail = u32::from_le_bytes(last.try_into().unwrap_or_default());
    let (h2, _) = hex16(set_i64_m128i_s(i64::from(tail)));
    [h0, h1, h2]
}

/// Lowercase hex of a public digest into `out`: two 16-byte stores and one 8-byte store.
#[inline(always)]
pub(crate) fn hex20_into(out: &mut [u8; 40], digest: &[u8; 20]) {
    store_hex(out, hex20(digest));
}

/// The 40 digits of [`hex20`]'s registers into `out`: two 16-byte stores and one 8-byte
/// store.
#[inline(always)]
fn store_hex(out: &mut [u8; 40], [h0, h1, h2]: [m128i; 3]) {
    let (a, rest) = out.split_at_mut(16);
    let (b, c) = rest.split_at_mut(16);
    a.copy_from_slice(&<[u8; 16]>::from(h0));
    b.copy_from_slice(&<[u8; 16]>::from(h1));
    c.copy_from_slice(&<[u64; 2]>::from(h2)[0].to_le_bytes());
}

/// Stores 16-byte chunks at the start of `out`, one store a chunk (every block of this
/// module is written through here: whole chunks at the offsets the compression loads).
#[inline(always)]
fn store(out: &mut [u8], chunks: impl IntoIterator<Item = m128i>) {
    for (d, c) in out.as_chunks_mut::<16>().0.iter_mut().zip(chunks) {
        *d = c.into();
    }
}

/// The two padded blocks of the inner hash of a StringToSign whose head
/// (`sha1\n<10 digits>;<10 digits>\n`) is 27 bytes long: the head, the 40 hex digits of
/// `digest`, `\n`, `0x80`, zeros, and the length of the message after the pad block
/// (64 + 68 bytes) in bits.
#[inline(always)]
pub(crate) fn sts27_blocks(blocks: &mut [[u8; 64]; 2], head: &[u8; 48], digest: &[u8; 20]) {
    let [h0, h1, h2] = hex20(digest);
    let chunk = |at: usize| {
        head.get(at..)
            .and_then(|r| r.first_chunk::<16>())
            .map_or_else(zeroed_m128i, load_unaligned_m128i)
    };
    // Head bytes 16..27 at the chunk's start (and nothing of what follows the head).
    let head_end = byte_shr_imm_u128_m128i::<5>(chunk(11));
    let nl_pad = m128i::from(u128::from(b'\n') << 24 | 0x80 << 32);
    let len = m128i::from(u128::from((64 + 68) * 8u64).swap_bytes());
    store(
        blocks.as_flattened_mut(),
        [
            chunk(0),
            bitor_m128i(head_end, byte_shl_imm_u128_m128i::<11>(h0)),
            bitor_m128i(
                byte_shr_imm_u128_m128i::<5>(h0),
                byte_shl_imm_u128_m128i::<11>(h1),
            ),
            bitor_m128i(
                byte_shr_imm_u128_m128i::<5>(h1),
                byte_shl_imm_u128_m128i::<11>(h2),
            ),
            // Digits 37..40 (the third register's bytes 5..8), then `\n` and `0x80`.
            bitor_m128i(
                byte_shr_imm_u128_m128i::<13>(byte_shl_imm_u128_m128i::<8>(h2)),
                nl_pad,
            ),
            zeroed_m128i(),
            zeroed_m128i(),
            len,
        ],
    );
}

/// The padded block of an outer hash: the 20-byte inner digest, `0x80`, zeros, and the
/// length of the message after the pad block (64 + 20 bytes) in bits.
#[inline(always)]
pub(crate) fn outer_block(block: &mut [u8; 64], inner: &[u8; 20]) {
    let (first, last) = inner.split_at(16);
    let tail = u32::from_le_bytes(last.try_into().unwrap_or_default());
    store(
        block,
        [
            load_unaligned_m128i(first.try_into().unwrap_or(&[0; 16])),
            set_i64_m128i_s(i64::from(tail) | 0x80 << 32),
            zeroed_m128i(),
            m128i::from(u128::from((64 + 20) * 8u64).swap_bytes()),
        ],
    );
}

/// The HMAC pad blocks of a key given in four 16-byte chunks (zero past its end): the ipad
/// block, then the opad block, each stored one 16-byte chunk at a time.
#[inline(always)]
pub(crate) fn pad_blocks(key: [m128i; 4]) -> [[u8; 64]; 2] {
    let mut blocks = [[0u8; 64]; 2];
    for (block, pad) in blocks.iter_mut().zip([0x36u8, 0x5c]) {
        let pad = set_splat_i8_m128i(pad as i8);
        store(block, key.map(|k| bitxor_m128i(k, pad)));
    }
    blocks
}

/// A key of 16 to 64 bytes as four 16-byte chunks, zero past its end, loaded from the key
/// (the last partial chunk as the key's last 16 bytes, shifted down); `None` for another
/// length.
#[inline(always)]
pub(crate) fn key_chunks(key: &[u8]) -> Option<[m128i; 4]> {
    let len = key.len();
    let last = key.last_chunk::<16>().filter(|_| len <= 64)?;
    let tail = load_unaligned_m128i(last);
    let mut chunks = [zeroed_m128i(); 4];
    for (i, c) in chunks.iter_mut().enumerate() {
        let at = 16 * i;
        *c = match key.get(at..).and_then(|r| r.first_chunk::<16>()) {
            Some(whole) => load_unaligned_m128i(whole),
            // The key's last `len - at` bytes (1 to 15), moved to the chunk's start.
            None if at < len => shr_bytes(tail, 16 - (len - at)),
            None => zeroed_m128i(),
        };
    }
    Some(chunks)
}

/// `x` shifted down by `n` bytes (1 to 15; zero for any other `n`).
#[inline(always)]
fn shr_bytes(x: m128i, n: usize) -> m128i {
    match n {
        1 => byte_shr_imm_u128_m128i::<1>(x),
        2 => byte_shr_imm_u128_m128i::<2>(x),
        3 => byte_shr_imm_u128_m128i::<3>(x),
        4 => byte_shr_imm_u128_m128i::<4>(x),
        5 => byte_shr_imm_u128_m128i::<5>(x),
        6 => byte_shr_imm_u128_m128i::<6>(x),
        7 => byte_shr_imm_u128_m128i::<7>(x),
        8 => byte_shr_imm_u128_m128i::<8>(x),
        9 => byte_shr_imm_u128_m128i::<9>(x),
        10 => byte_shr_imm_u128_m128i::<10>(x),
        11 => byte_shr_imm_u128_m128i::<11>(x),
        12 => byte_shr_imm_u128_m128i::<12>(x),
        13 => byte_shr_imm_u128_m128i::<13>(x),
        14 => byte_shr_imm_u128_m128i::<14>(x),
        15 => byte_shr_imm_u128_m128i::<15>(x),
        _ => zeroed_m128i(),
    }
}

/// The SignKey, the 40 hex digits of `digest`, as a key of four chunks (its last 24 bytes
/// zero), and as text.
#[inline(always)]
pub(crate) fn hex_key(digest: &[u8; 20]) -> ([m128i; 4], [u8; 40]) {
    let [h0, h1, h2] = hex20(digest);
    // (The key's last 24 bytes are zero: the third register's `0` digits go.)
    let h2 = set_i64_m128i_s(<[i64; 2]>::from(h2)[0]);
    let mut text = [0u8; 40];
    store_hex(&mut text, [h0, h1, h2]);
    ([h0, h1, h2, zeroed_m128i()], text)
}

/// The padded block of the inner hash of a key time `<start>;<end>` of two ten-digit
/// times (`start` and `end`: their digits, the first in the lowest byte), after the pad
/// block: the 21 bytes, `0x80`, zeros, and the length (64 + 21 bytes) in bits.
#[inline(always)]
pub(crate) fn key_time21_block(start: u128, end: u128) -> [u8; 64] {
    let mut block = [0u8; 64];
    store(
        &mut block,
        [
            m128i::from(start | u128::from(b';') << 80 | end << 88),
            m128i::from(end >> 40 | 0x80 << 40),
            zeroed_m128i(),
            m128i::from(u128::from((64 + 21) * 8u64).swap_bytes()),
        ],
    );
    block
}

/// The first block of a message that starts with `head` (its low `k` bytes, `k` from 1 to
/// 8) and goes on with `rest`, which has at least `64 - k` bytes, stored into `block` as four
/// whole 16-byte chunks; `None` (nothing stored) when `rest` is shorter. The first chunk is
/// `head` and the start of `rest` moved up by `k` bytes in a register; the others are
/// loaded from `rest` where they begin.
#[inline(always)]
pub(crate) fn first_block(block: &mut [u8; 64], head: u64, k: usize, rest: &[u8]) -> Option<()> {
    let at = |i: usize| rest.get(i..).and_then(|r| r.first_chunk::<16>()).map(load);
    let (first, c1, c2, c3) = (at(0)?, at(16 - k)?, at(32 - k)?, at(48 - k)?);
    // `first` up by `k` bytes: each 64-bit half up by `8k` bits, and the bits the low half
    // loses carried into the high one (a shift by 64 or more gives 0).
    let bits = (8 * k) as i64;
    let up = bitor_m128i(
        shl_all_u64_m128i(first, set_i64_m128i_s(bits)),
        shr_all_u64_m128i(
            byte_shl_imm_u128_m128i::<8>(first),
            set_i64_m128i_s(64 - bits),
        ),
    );
    let c0 = bitor_m128i(up, set_i64_m128i_s(head as i64));
    store(block, [c0, c1, c2, c3]);
    Some(())
}

/// 16 bytes in a register.
#[inline(always)]
pub(crate) fn load(b: &[u8; 16]) -> m128i {
    load_unaligned_m128i(b)
}

/// Whether each of 16 bytes stays as it is in COS's encoding (`A-Z a-z 0-9 - _ . ~`): bit
/// `i` of the mask for byte `i`. Each range test is one add and one signed compare (the
/// add moves the range to the bottom of the signed bytes), so bytes of `0x80` or more never
/// pass.
#[inline(always)]
pub(crate) fn plain16(x: m128i) -> u32 {
    let splat = |b: u8| set_splat_i8_m128i(b as i8);
    // Bytes `x` with `x - lo` (mod 256) below `n`.
    let range = |x: m128i, lo: u8, n: u8| {
        cmp_lt_mask_i8_m128i(
            add_i8_m128i(x, splat(0x80u8.wrapping_sub(lo))),
            splat(0x80 + n),
        )
    };
    let letter = range(bitor_m128i(x, splat(0x20)), b'a', 26);
    let digit = range(x, b'0', 10);
    let dash_dot = range(x, b'-', 2);
    let under = cmp_eq_mask_i8_m128i(x, splat(b'_'));
    let tilde = cmp_eq_mask_i8_m128i(x, splat(b'~'));
    let plain = bitor_m128i(
        bitor_m128i(letter, digit),
        bitor_m128i(dash_dot, bitor_m128i(under, tilde)),
    );
    move_mask_i8_m128i(plain) as u32
}

/// ASCII-lowercases 16 bytes: `A-Z` gain `0x20`, the rest stay.
#[inline(always)]
pub(crate) fn lower16(x: m128i) -> m128i {
    let upper = cmp_lt_mask_i8_m128i(
        add_i8_m128i(x, set_splat_i8_m128i((0x80 - b'A') as i8)),
        set_splat_i8_m128i((0x80 + 26) as i8),
    );
    bitor_m128i(x, bitand_m128i(upper, set_splat_i8_m128i(0x20)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `A-Z a-z 0-9 - _ . ~`, spelled out here (the encoder's table is the encoder's).
    fn is_unreserved(c: u8) -> bool {
        c.is_ascii_alphanumeric() || b"-_.~".contains(&c)
    }

    /// The 16-byte test agrees with the table, and the lowercasing with the ASCII one, on
    /// every byte value in every position.
    #[test]
    fn plain16_and_lower16_equal_the_bytewise_ones() {
        for b in 0..=255u8 {
            for pos in 0..16 {
                for fill in [b'a', b'%', 0xff, b'Z', b'~'] {
                    let mut w = [fill; 16];
                    w[pos] = b;
                    let mask = plain16(load(&w));
                    let lower = <[u8; 16]>::from(lower16(load(&w)));
                    for (i, &c) in w.iter().enumerate() {
                        assert_eq!(mask >> i & 1 == 1, is_unreserved(c), "{w:?} byte {i}");
                        assert_eq!(lower[i], c.to_ascii_lowercase(), "{w:?} byte {i}");
                    }
                }
            }
        }
    }

    /// A key of 16 to 64 bytes comes out as its bytes, zero-padded to 64 (the last partial
    /// chunk shifted down from the key's last 16 bytes); any other length as `None`.
    #[test]
    fn key_chunks_are_the_key_zero_padded() {
        let data: [u8; 80] = core::array::from_fn(|i| (i * 29 + 1) as u8);
        for len in 0..=80 {
            let key = &data[..len];
            match key_chunks(key) {
                Some(chunks) => {
                    assert!((16..=64).contains(&len), "{len}");
                    let mut want = [0u8; 64];
                    want[..len].copy_from_slice(key);
                    let got: [[u8; 16]; 4] = chunks.map(<[u8; 16]>::from);
                    assert_eq!(got.as_flattened(), &want[..], "{len}");
                }
                None => assert!(!(16..=64).contains(&len), "{len}"),
            }
        }
    }

    /// The register hex equals the table hex for every byte value in every position, and
    /// writes nothing past its 40 bytes.
    #[test]
    fn hex20_into_equals_the_table() {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for b in 0..=255u8 {
            for pos in 0..20 {
                let mut digest: [u8; 20] = core::array::from_fn(|i| (i * 53 + 7) as u8);
                digest[pos] = b;
                let mut out = [0xAAu8; 48];
                if let Some(d) = out.first_chunk_mut::<40>() {
                    hex20_into(d, &digest);
                }
                for (i, &d) in digest.iter().enumerate() {
                    assert_eq!(out[2 * i], HEX[usize::from(d >> 4)]);
                    assert_eq!(out[2 * i + 1], HEX[usize::from(d & 15)]);
                }
                assert_eq!(out[40..], [0xAA; 8]);
            }
        }
    }
}
