//! CRC-64/XZ, the checksum COS sends as `x-cos-hash-crc64ecma` (in decimal) for an
//! object's bytes, and the one the official SDKs compare with what they sent or received.
//!
//! The variant: ECMA-182's polynomial `0x42F0E1EBA9EA3693`, reflected, register starting
//! at all ones and the result inverted (what `crcmod.mkCrcFun(0x142F0E1EBA9EA3693,
//! initCrc=0, xorOut=0xffffffffffffffff, rev=True)` computes in `qcloud_cos`). Its check
//! value, the CRC of `"123456789"`, is `0x995DC9BBDF1939FA`.
//!
//! [`Crc64`] runs over bytes fed in any number of pieces (eight bytes a step, with eight
//! tables: slicing-by-8); [`checksum`] is the one-call form. [`combine`] gives the CRC of
//! `A || B` from the CRCs of `A` and `B` and the length of `B`, without the bytes, so the
//! parts of a multipart upload or the ranges of a parallel download, hashed apart, give
//! the whole object's CRC.
//!
//! ```
//! use cos_sign_core::crc64::{self, Crc64};
//!
//! assert_eq!(crc64::checksum(b"123456789"), 0x995D_C9BB_DF19_39FA);
//! let mut c = Crc64::new();
//! c.update(b"1234");
//! c.update(b"56789");
//! assert_eq!(c.value(), 0x995D_C9BB_DF19_39FA);
//! let whole = crc64::combine(crc64::checksum(b"1234"), crc64::checksum(b"56789"), 5);
//! assert_eq!(whole, 0x995D_C9BB_DF19_39FA);
//! ```
//!
//! The tables (16 KiB) are constants: code that never calls this module does not link them.

/// ECMA-182's polynomial, bit-reversed (`0x42F0E1EBA9EA3693` reflected): in this bit
/// order bit 63 is the coefficient of `x^0` and bit 0 that of `x^63`.
const POLY: u64 = 0xC96C_5795_D787_0F42;

/// `p · x mod P` (in the reflected bit order: a shift right, reduced when `x^64` appears).
const fn times_x(p: u64) -> u64 {
    if p & 1 == 1 { (p >> 1) ^ POLY } else { p >> 1 }
}

/// `TABLES[0][b]`: the register after feeding byte `b` into a zero register. `TABLES[k][b]`:
/// the same followed by `k` zero bytes, so eight bytes are folded in one step.
const TABLES: [[u64; 256]; 8] = {
    let mut t = [[0u64; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = times_x(crc);
            bit += 1;
        }
        t[0][i] = crc;
        i += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            i += 1;
        }
        k += 1;
    }
    t
};

/// The entry of table `T` for the low byte of `v`.
#[inline(always)]
fn look(table: &[u64; 256], v: u64) -> u64 {
    // `v as u8` is at most 255: the index is always in the table.
    table[usize::from(v as u8)]
}

/// A running CRC-64/XZ over bytes fed in any number of pieces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crc64 {
    /// The register (before the final inversion).
    reg: u64,
}

impl Crc64 {
    /// The CRC of no bytes so far.
    #[must_use]
    pub const fn new() -> Self {
        Self { reg: u64::MAX }
    }

    /// Feeds `data`.
    pub fn update(&mut self, data: &[u8]) {
        let [t0, t1, t2, t3, t4, t5, t6, t7] = &TABLES;
        let mut crc = self.reg;
        let (words, rest) = data.as_chunks::<8>();
        for w in words {
            let v = crc ^ u64::from_le_bytes(*w);
            crc = look(t7, v)
                ^ look(t6, v >> 8)
                ^ look(t5, v >> 16)
                ^ look(t4, v >> 24)
                ^ look(t3, v >> 32)
                ^ look(t2, v >> 40)
                ^ look(t1, v >> 48)
                ^ look(t0, v >> 56);
        }
        for &b in rest {
            crc = look(t0, crc ^ u64::from(b)) ^ (crc >> 8);
        }
        self.reg = crc;
    }

    /// The CRC of everything fed so far (as COS sends it, once written in decimal).
    #[must_use]
    pub const fn value(&self) -> u64 {
        !self.reg
    }
}

impl Default for Crc64 {
    fn default() -> Self {
        Self::new()
    }
}

/// The CRC-64/XZ of `data`.
#[must_use]
pub fn checksum(data: &[u8]) -> u64 {
    let mut c = Crc64::new();
    c.update(data);
    c.value()
}

/// `a · b mod P`, both polynomials in the reflected bit order.
const fn mul_mod(a: u64, mut b: u64) -> u64 {
    let mut product = 0;
    let mut i = 0;
    // Coefficient of x^i of `a` (bit 63 - i) times `b · x^i`.
    while i < 64 {
        if (a >> (63 - i)) & 1 == 1 {
            product ^= b;
        }
        b = times_x(b);
        i += 1;
    }
    product
}

/// `X8[k] = x^(8 · 2^k) mod P`: feeding `2^k` zero bytes multiplies the register by it.
const X8: [u64; 64] = {
    let mut t = [0u64; 64];
    // x^8: the coefficient of x^8 is bit 63 - 8.
    let mut p = 1u64 << (63 - 8);
    let mut k = 0;
    while k < 64 {
        t[k] = p;
        p = mul_mod(p, p);
        k += 1;
    }
    t
};

/// The CRC-64/XZ of `A || B` from `crc_a` (of `A`), `crc_b` (of `B`) and `len_b`, the
/// length of `B` in bytes.
///
/// The register is linear in its start: feeding `B` into the register left by `A` gives the
/// register of `B` from a zero start, plus `A`'s register times `x^(8·len_b)`. Because the
/// register starts at all ones and the result is inverted with the same all ones, the
/// start and the inversion cancel, leaving `crc(A || B) = crc_a · x^(8·len_b) ^ crc_b`
/// (mod the polynomial), computed with one multiplication for each bit set in `len_b`.
///
/// ```
/// use cos_sign_core::crc64::{checksum, combine};
/// let (a, b) = (&b"hello "[..], &b"world"[..]);
/// assert_eq!(combine(checksum(a), checksum(b), 5), checksum(b"hello world"));
/// assert_eq!(combine(checksum(a), checksum(b""), 0), checksum(a));
/// ```
#[must_use]
pub fn combine(crc_a: u64, crc_b: u64, len_b: u64) -> u64 {
    let mut shifted = crc_a;
    for (k, power) in X8.iter().enumerate() {
        if len_b >> k == 0 {
            break;
        }
        if (len_b >> k) & 1 == 1 {
            shifted = mul_mod(*power, shifted);
        }
    }
    shifted ^ crc_b
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CRC bit by bit, straight from the definition (no table).
    fn bitwise(data: &[u8]) -> u64 {
        let mut reg = u64::MAX;
        for &b in data {
            reg ^= u64::from(b);
            for _ in 0..8 {
                reg = times_x(reg);
            }
        }
        !reg
    }

    #[test]
    fn tables_agree_with_the_definition() {
        let mut next = crate::xorshift(0x9E37_79B9_7F4A_7C15);
        for len in 0..100 {
            let data: [u8; 100] = core::array::from_fn(|_| next() as u8);
            let d = &data[..len];
            assert_eq!(checksum(d), bitwise(d), "len {len}");
        }
    }

    #[test]
    fn x8_is_eight_zero_bits() {
        let one = 1u64 << 63;
        let mut p = one;
        for _ in 0..8 {
            p = times_x(p);
        }
        assert_eq!(X8[0], p);
        assert_eq!(mul_mod(one, 0x1234_5678_9ABC_DEF0), 0x1234_5678_9ABC_DEF0);
        assert_eq!(X8[1], mul_mod(X8[0], X8[0]));
    }
}
