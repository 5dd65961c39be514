//! COS's `x-cos-hash-crc64ecma`: the CRC-64 of an object's bytes, as the SDKs check it.
//!
//! COS computes it for every object written (PUT, POST Object, Complete, Copy) and returns it
//! on those answers, on Upload Part (- Copy) for the part, and on GET and HEAD (a ranged GET
//! too: the whole object's). The variant is CRC-64/XZ (ECMA-182 polynomial, reflected, all
//! ones in and out), the one `qcloud_cos`'s `download_file(EnableCRC=True)` computes with
//! `crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xffffffffffffffff, rev=True)`;
//! the value is sent in decimal. The computation is `cos_sign_core::crc64`'s; this module
//! holds the header's name and how an answer carries it.

use hyper::Response;
use hyper::header::HeaderValue;

/// The header name, on answers and among an object's stored headers.
pub(crate) const HEADER: &str = "x-cos-hash-crc64ecma";

/// The running CRC-64/XZ, from `cos-sign-core` (one copy of the algorithm for the client
/// and the server).
pub(crate) use cos_sign_core::crc64::Crc64;

/// `resp` with `x-cos-hash-crc64ecma: <crc>` (decimal), as COS answers a write.
pub(crate) fn echo<B>(mut resp: Response<B>, crc: u64) -> Response<B> {
    resp.headers_mut().insert(HEADER, HeaderValue::from(crc));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_core_crc_has_crcmods_values() {
        // From crcmod, as qcloud_cos builds it (see the module docs), run apart.
        let mut c = Crc64::new();
        c.update(b"hel");
        c.update(b"lo");
        assert_eq!(c.value(), 11_177_612_005_948_864_433);
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
