//! The `x-amz-checksum-*` algorithms of the AWS SDKs' flexible checksums, computed as the
//! bytes stream: CRC-32 (ISO-HDLC), CRC-32C (Castagnoli), CRC-64/NVME (reflected tables built
//! at compile time), SHA-1 and SHA-256. Values travel as the base64 of the big-endian sum.

use base64::Engine;
use sha2::{Digest, Sha256};

/// An `x-amz-checksum-*` algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumAlgo {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

impl ChecksumAlgo {
    /// The algorithm of a header suffix (`crc32` of `x-amz-checksum-crc32`).
    pub fn of(name: &str) -> Option<Self> {
        Some(match name {
            "crc32" => Self::Crc32,
            "crc32c" => Self::Crc32c,
            "crc64nvme" => Self::Crc64Nvme,
            "sha1" => Self::Sha1,
            "sha256" => Self::Sha256,
            _ => return None,
        })
    }

    fn len(self) -> usize {
        match self {
            Self::Crc32 | Self::Crc32c => 4,
            Self::Crc64Nvme => 8,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }

    /// The name S3's messages give it (`CRC32`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Crc32 => "CRC32",
            Self::Crc32c => "CRC32C",
            Self::Crc64Nvme => "CRC64NVME",
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
        }
    }

    /// A base64 value of the right length, decoded.
    pub fn decode(self, v: &str) -> Option<Vec<u8>> {
        base64::engine::general_purpose::STANDARD
            .decode(v.trim())
            .ok()
            .filter(|d| d.len() == self.len())
    }
}

const fn crc32_table(poly: u32) -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ poly } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

const fn crc64_table(poly: u64) -> [u64; 256] {
    let mut t = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u64;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ poly } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

static CRC32: [u32; 256] = crc32_table(0xEDB8_8320);
static CRC32C: [u32; 256] = crc32_table(0x82F6_3B78);
static CRC64NVME: [u64; 256] = crc64_table(0x9A6C_9329_AC4B_C9B5);

/// A running checksum.
#[derive(Clone)]
pub enum Summer {
    Crc32(u32),
    Crc32c(u32),
    Crc64(u64),
    Sha1(sha1::Sha1),
    Sha256(Sha256),
}

impl Summer {
    /// A new sum of `algo`.
    pub fn new(algo: ChecksumAlgo) -> Self {
        match algo {
            ChecksumAlgo::Crc32 => Self::Crc32(!0),
            ChecksumAlgo::Crc32c => Self::Crc32c(!0),
            ChecksumAlgo::Crc64Nvme => Self::Crc64(!0),
            ChecksumAlgo::Sha1 => Self::Sha1(sha1::Sha1::new()),
            ChecksumAlgo::Sha256 => Self::Sha256(Sha256::new()),
        }
    }

    /// Adds bytes.
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Self::Crc32(c) => {
                for &b in data {
                    *c = CRC32[usize::from((*c as u8) ^ b)] ^ (*c >> 8);
                }
            }
            Self::Crc32c(c) => {
                for &b in data {
                    *c = CRC32C[usize::from((*c as u8) ^ b)] ^ (*c >> 8);
                }
            }
            Self::Crc64(c) => {
                for &b in data {
                    *c = CRC64NVME[usize::from((*c as u8) ^ b)] ^ (*c >> 8);
                }
            }
            Self::Sha1(h) => h.update(data),
            Self::Sha256(h) => h.update(data),
        }
    }

    /// The sum, big-endian bytes (as the base64 value carries it).
    pub fn finish(self) -> Vec<u8> {
        match self {
            Self::Crc32(c) | Self::Crc32c(c) => (!c).to_be_bytes().to_vec(),
            Self::Crc64(c) => (!c).to_be_bytes().to_vec(),
            Self::Sha1(h) => h.finalize().to_vec(),
            Self::Sha256(h) => h.finalize().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(algo: ChecksumAlgo, data: &[u8]) -> Vec<u8> {
        let mut s = Summer::new(algo);
        s.update(data);
        s.finish()
    }

    #[test]
    fn checksums_of_the_check_string() {
        // The check values of the CRC catalogue, for "123456789".
        assert_eq!(
            sum(ChecksumAlgo::Crc32, b"123456789"),
            0xCBF4_3926u32.to_be_bytes()
        );
        assert_eq!(
            sum(ChecksumAlgo::Crc32c, b"123456789"),
            0xE306_9283u32.to_be_bytes()
        );
        assert_eq!(
            sum(ChecksumAlgo::Crc64Nvme, b"123456789"),
            0xAE8B_1486_0A79_9888u64.to_be_bytes()
        );
        // botocore's x-amz-checksum-crc32 of b"hello", seen on the wire.
        assert_eq!(
            ChecksumAlgo::Crc32.decode("NhCmhg=="),
            Some(sum(ChecksumAlgo::Crc32, b"hello"))
        );
    }
}
