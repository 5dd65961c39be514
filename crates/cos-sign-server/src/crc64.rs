//! COS's `x-cos-hash-crc64ecma`: the CRC-64 of an object's bytes, as the SDKs check it.
//!
//! COS computes it for every object written (PUT, POST Object, Complete, Copy) and returns it
//! on those answers, on Upload Part (- Copy) for the part, and on GET and HEAD (a ranged GET
//! too: the whole object's). The variant is CRC-64/XZ (ECMA-182 polynomial, reflected, all
//! ones in and out), the one `qcloud_cos`'s `download_file(EnableCRC=True)` computes with
//! `crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xffffffffffffffff, rev=True)`;
//! the value is sent in decimal.

use hyper::Response;
use hyper::header::HeaderValue;

/// The header name, on answers and among an object's stored headers.
pub(crate) const HEADER: &str = "x-cos-hash-crc64ecma";

/// ECMA-182's polynomial, bit-reversed (0x42F0E1EBA9EA3693 reflected).
const POLY: u64 = 0xC96C_5795_D787_0F42;

/// The byte-at-a-time table of the reflected polynomial.
const TABLE: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLY
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// A running CRC-64/XZ over bytes fed in any number of pieces.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Crc64(u64);

impl Crc64 {
    pub fn new() -> Self {
        Self(u64::MAX)
    }

    pub fn update(&mut self, data: &[u8]) {
        let mut crc = self.0;
        for &b in data {
            crc = TABLE[usize::from((crc as u8) ^ b)] ^ (crc >> 8);
        }
        self.0 = crc;
    }

    /// The CRC of everything fed so far.
    pub fn value(&self) -> u64 {
        !self.0
    }
}

impl Default for Crc64 {
    fn default() -> Self {
        Self::new()
    }
}

/// `resp` with `x-cos-hash-crc64ecma: <crc>` (decimal), as COS answers a write.
pub(crate) fn echo<B>(mut resp: Response<B>, crc: u64) -> Response<B> {
    resp.headers_mut().insert(HEADER, HeaderValue::from(crc));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crc(data: &[u8]) -> u64 {
        let mut c = Crc64::new();
        c.update(data);
        c.value()
    }

    #[test]
    fn known_answers() {
        // CRC-64/XZ's check value (the CRC catalogue), and the empty input.
        assert_eq!(crc(b"123456789"), 0x995D_C9BB_DF19_39FA);
        assert_eq!(crc(b""), 0);
        // From crcmod, as qcloud_cos builds it (see the module docs), run apart.
        assert_eq!(crc(b"hello"), 11_177_612_005_948_864_433);
        let ramp: Vec<u8> = (0..1024u32).map(|i| (i % 256) as u8).collect();
        assert_eq!(crc(&ramp), 15_357_192_874_899_391_488);
    }

    #[test]
    fn pieces_equal_the_whole() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 31 % 251) as u8).collect();
        let whole = crc(&data);
        for cut in [0, 1, 7, 4096, 9_999, 10_000] {
            let (a, b) = data.split_at(cut);
            let mut c = Crc64::new();
            c.update(a);
            c.update(b);
            assert_eq!(c.value(), whole, "cut at {cut}");
        }
    }

    #[test]
    fn echo_sends_decimal() {
        let resp = echo(Response::new(()), 15_060_521_397_700_495_958);
        assert_eq!(
            resp.headers().get(HEADER).map(HeaderValue::as_bytes),
            Some(&b"15060521397700495958"[..])
        );
    }
}
