//! The benchmark cases of `data/bench-cases.json` (a copy of the shared `bench-cases.json`)
//! and the honest count of SHA-1 block compressions each one needs, shared by the criterion
//! bench `benches/sign.rs` and its tests.
//!
//! Run: `cargo bench -p cos-sign-benches`.

use cos_sign_core::{Error, Fill, KeyTime, Request, Signed, SigningKey, Template};
use serde_json::Value;

/// The fixed "now" of every case: the key time is `KeyTime::sdk_window(NOW, expired)`.
pub const NOW: u64 = 1_700_000_000;

/// The shared settings and the cases.
#[derive(Debug, Clone)]
pub struct Cases {
    /// `q-ak`.
    pub secret_id: String,
    /// The secret key (a benchmark key, not a real one).
    pub secret_key: String,
    /// The signed `host` header value.
    pub host: String,
    /// Expiry in seconds (300, the SDK default).
    pub expired: u64,
    /// The cases, in file order.
    pub cases: Vec<Case>,
}

/// One request to sign, as the SDK would: method, `/` + key, the given headers plus `host`,
/// the given params.
#[derive(Debug, Clone)]
pub struct Case {
    /// `simple`, `typical` or `unicode`.
    pub name: String,
    /// HTTP method.
    pub method: String,
    /// Decoded path: `/` + key.
    pub path: String,
    /// Headers to sign, `host` last (where the SDK adds it).
    pub headers: Vec<(String, String)>,
    /// Params to sign, in file order.
    pub params: Vec<(String, String)>,
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn string(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_owned()
}

impl Cases {
    /// Parses the bundled `data/bench-cases.json`.
    ///
    /// # Panics
    /// If the bundled file is not valid JSON (it is checked by this crate's tests).
    pub fn load() -> Self {
        let v: Value = serde_json::from_str(include_str!("../data/bench-cases.json"))
            .expect("data/bench-cases.json is valid JSON");
        let host = string(&v, "host");
        let cases = v["cases"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|c| {
                let mut headers = pairs(&c["headers"]);
                headers.push(("host".to_owned(), host.clone()));
                let key = string(c, "key");
                Case {
                    name: string(c, "name"),
                    method: string(c, "method"),
                    path: format!("/{}", key.strip_prefix('/').unwrap_or(&key)),
                    headers,
                    params: pairs(&c["params"]),
                }
            })
            .collect();
        Self {
            secret_id: string(&v, "secret_id"),
            secret_key: string(&v, "secret_key"),
            host,
            expired: v["expired"].as_u64().unwrap_or(300),
            cases,
        }
    }

    /// The key time of every case: `sdk_window(NOW, expired)`.
    pub fn key_time(&self) -> KeyTime {
        KeyTime::sdk_window(NOW, self.expired)
    }
}

/// Borrows owned pairs as the core takes them.
pub fn borrow(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

impl Case {
    /// The request view over borrowed pairs.
    pub fn request<'a>(
        &'a self,
        params: &'a [(&'a str, &'a str)],
        headers: &'a [(&'a str, &'a str)],
    ) -> Request<'a> {
        Request::new(&self.method, &self.path)
            .params(params)
            .headers(headers)
    }

    /// The case as a [`Template`] of `key` and `secret_id`: the `host` header fixed (what a
    /// signer for one bucket knows), every other param and header open, its value given by
    /// each call.
    ///
    /// # Panics
    /// If the case does not fit a default template (the bench cases do).
    pub fn template(&self, key: &SigningKey, secret_id: &str) -> Template {
        fn shape<'a>(
            pairs: &'a [(String, String)],
            fixed: Option<&str>,
        ) -> Vec<(&'a str, Option<&'a str>)> {
            let fixed = |n: &str| Some(n) == fixed;
            pairs
                .iter()
                .map(|(n, v)| (n.as_str(), fixed(n).then_some(v.as_str())))
                .collect()
        }
        let (params, headers) = (
            shape(&self.params, None),
            shape(&self.headers, Some("host")),
        );
        Template::new(key.clone(), secret_id, &params, &headers)
            .expect("the bench cases fit a default template")
    }

    /// The values each call of [`template`](Self::template) gives: the params', then the
    /// headers' other than `host`.
    pub fn open_values(&self) -> (Vec<&str>, Vec<&str>) {
        let params = self.params.iter().map(|(_, v)| v.as_str()).collect();
        let headers = self
            .headers
            .iter()
            .filter(|(n, _)| n != "host")
            .map(|(_, v)| v.as_str())
            .collect();
        (params, headers)
    }

    /// One call of [`template`](Self::template) with `values` ([`open_values`](Self::open_values)).
    pub fn fill<'a>(&'a self, values: &'a (Vec<&'a str>, Vec<&'a str>)) -> Fill<'a> {
        Fill::new(&self.method, &self.path)
            .params(&values.0)
            .headers(&values.1)
    }
}

/// SHA-1's initial state (FIPS 180-4, 5.3.1).
pub const SHA1_IV: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];

/// The hashes of one signature alone, with the data dependencies the algorithm puts between
/// them and nothing rendered: the floor under the time of a signature with this compression
/// function. Built outside the timing from the case's HttpString (padded into blocks), its
/// StringToSign head `sha1\n<KeyTime>\n` and the SignKey's inner and outer pad states; timed,
/// [`HashChain::run`] compresses the HttpString blocks, lays the hex of their digest out
/// after the head in the StringToSign's two padded blocks, compresses them after the inner
/// pad, lays the inner digest out in one block after the outer pad, compresses it and writes
/// the signature's hex. Each block is built in SSE2 registers from the state words and
/// stored as whole 16-byte chunks at the offsets the compression loads: written in narrower
/// pieces, the loads could not be forwarded from the stores and would wait for them to
/// reach the cache (measured: 5-10 ns a signature), which is no part of the floor.
pub struct HashChain {
    http: Vec<[u8; 64]>,
    /// `sha1\n<KeyTime>\n` (27 bytes), then zeros.
    head: [u8; 48],
    inner: [u32; 5],
    outer: [u32; 5],
}

/// Only the HttpString's length: the pad states are key material.
impl std::fmt::Debug for HashChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashChain")
            .field("http_blocks", &self.http.len())
            .finish_non_exhaustive()
    }
}

/// The length of `sha1\n<KeyTime>\n` for a key time of two ten-digit times, every bench
/// case's.
const HEAD: usize = 27;

impl HashChain {
    /// The chain of `signed`, signed with `key`; checked to give its signature.
    ///
    /// # Panics
    /// If the key time is not two ten-digit times (the bench's), or the hashes alone give
    /// another signature.
    pub fn of(signed: &Signed<'_>, key: &SigningKey) -> Self {
        let chain = Self::new(
            signed.http_string().to_string().as_bytes(),
            &signed.key_time().to_string(),
            key.expose_hex().as_bytes(),
        );
        let mut sig = [0u8; 40];
        chain.run(&mut sig);
        assert_eq!(
            &sig[..],
            signed.signature().as_bytes(),
            "the hashes alone give another signature"
        );
        chain
    }

    fn new(http_string: &[u8], key_time: &str, sign_key_hex: &[u8]) -> Self {
        let mut http = http_string.to_vec();
        let bits = (http.len() as u64) * 8;
        http.push(0x80);
        while http.len() % 64 != 56 {
            http.push(0);
        }
        http.extend_from_slice(&bits.to_be_bytes());
        let pad_state = |x: u8| {
            let mut pad = [x; 64];
            for (p, k) in pad.iter_mut().zip(sign_key_hex) {
                *p ^= k;
            }
            let mut state = SHA1_IV;
            sha1::block_api::compress(&mut state, core::slice::from_ref(&pad));
            state
        };
        let text = format!("sha1\n{key_time}\n");
        assert_eq!(text.len(), HEAD, "a key time of two ten-digit times");
        let mut head = [0u8; 48];
        head[..HEAD].copy_from_slice(text.as_bytes());
        Self {
            http: http.as_chunks::<64>().0.to_vec(),
            head,
            inner: pad_state(0x36),
            outer: pad_state(0x5c),
        }
    }

    /// The signature's hex, into `out`.
    #[inline(always)]
    pub fn run(&self, out: &mut [u8; 40]) {
        let mut state = SHA1_IV;
        sha1::block_api::compress(&mut state, std::hint::black_box(&self.http));
        let sts = sts_blocks(&self.head, state);
        let mut inner = self.inner;
        sha1::block_api::compress(&mut inner, &sts);
        let last = outer_block(inner);
        let mut outer = self.outer;
        sha1::block_api::compress(&mut outer, core::slice::from_ref(&last));
        hex_into(out, outer);
    }
}

/// The StringToSign's two padded blocks: the head's 27 bytes, the 40 digits of the
/// HttpString's digest (`state`), `\n`, 0x80, zeros, and the length after the pad block
/// (64 + 68 bytes) in bits, stored as eight whole 16-byte chunks.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn sts_blocks(head: &[u8; 48], state: [u32; 5]) -> [[u8; 64]; 2] {
    use safe_arch::{
        bitor_m128i, byte_shl_imm_u128_m128i as shl, byte_shr_imm_u128_m128i as shr,
        load_unaligned_m128i, m128i, zeroed_m128i,
    };
    let [h0, h1, h2] = hex_of(state);
    let head = |at: usize| {
        head.get(at..at + 16)
            .and_then(|c| c.try_into().ok())
            .map_or_else(zeroed_m128i, load_unaligned_m128i)
    };
    let mut blocks = [[0u8; 64]; 2];
    for (d, c) in blocks
        .as_flattened_mut()
        .as_chunks_mut::<16>()
        .0
        .iter_mut()
        .zip([
            head(0),
            bitor_m128i(shr::<5>(head(11)), shl::<11>(h0)),
            bitor_m128i(shr::<5>(h0), shl::<11>(h1)),
            bitor_m128i(shr::<5>(h1), shl::<11>(h2)),
            bitor_m128i(
                shr::<13>(shl::<8>(h2)),
                m128i::from(u128::from(b'\n') << 24 | 0x80 << 32),
            ),
            zeroed_m128i(),
            zeroed_m128i(),
            m128i::from(u128::from((64 + 68) * 8u64).swap_bytes()),
        ])
    {
        *d = c.into();
    }
    blocks
}

/// The outer hash's padded block: the inner digest (`state`), 0x80, zeros, the length (64 +
/// 20 bytes) in bits, stored as four whole 16-byte chunks.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn outer_block(state: [u32; 5]) -> [u8; 64] {
    use safe_arch::{m128i, zeroed_m128i};
    let (digest, e) = digest_words(state);
    let mut block = [0u8; 64];
    for (d, c) in block.as_chunks_mut::<16>().0.iter_mut().zip([
        m128i::from(digest),
        m128i::from(u128::from(e) | 0x80 << 32),
        zeroed_m128i(),
        m128i::from(u128::from((64 + 20) * 8u64).swap_bytes()),
    ]) {
        *d = c.into();
    }
    block
}

/// The hex of a state's digest into `out`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn hex_into(out: &mut [u8; 40], state: [u32; 5]) {
    let [h0, h1, h2] = hex_of(state);
    let (a, rest) = out.split_at_mut(16);
    let (b, c) = rest.split_at_mut(16);
    a.copy_from_slice(&<[u8; 16]>::from(h0));
    b.copy_from_slice(&<[u8; 16]>::from(h1));
    c.copy_from_slice(&<[u8; 16]>::from(h2)[..8]);
}

/// [`sts_blocks`] on other targets: written byte by byte (the floor there is this code's).
#[cfg(not(target_arch = "x86_64"))]
fn sts_blocks(head: &[u8; 48], state: [u32; 5]) -> [[u8; 64]; 2] {
    let mut blocks = [[0u8; 64]; 2];
    let sts = blocks.as_flattened_mut();
    sts[..HEAD].copy_from_slice(&head[..HEAD]);
    let mut hex = [0u8; 40];
    hex_into(&mut hex, state);
    sts[HEAD..HEAD + 40].copy_from_slice(&hex);
    sts[HEAD + 40] = b'\n';
    sts[HEAD + 41] = 0x80;
    sts[120..].copy_from_slice(&((64 + 68) * 8u64).to_be_bytes());
    blocks
}

/// [`outer_block`] on other targets.
#[cfg(not(target_arch = "x86_64"))]
fn outer_block(state: [u32; 5]) -> [u8; 64] {
    let mut block = [0u8; 64];
    for (d, w) in block.chunks_exact_mut(4).zip(state) {
        d.copy_from_slice(&w.to_be_bytes());
    }
    block[20] = 0x80;
    block[56..].copy_from_slice(&((64 + 20) * 8u64).to_be_bytes());
    block
}

/// [`hex_into`] on other targets, by table.
#[cfg(not(target_arch = "x86_64"))]
fn hex_into(out: &mut [u8; 40], state: [u32; 5]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (o, b) in out
        .chunks_exact_mut(2)
        .zip(state.iter().flat_map(|w| w.to_be_bytes()))
    {
        o.copy_from_slice(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
    }
}

#[cfg(target_arch = "x86_64")]
/// The digest of a state as a little-endian word of its first 16 bytes and one of its last 4.
#[inline(always)]
fn digest_words(state: [u32; 5]) -> (u128, u32) {
    let [a, b, c, d, e] = state.map(u32::swap_bytes);
    (
        u128::from(a) | u128::from(b) << 32 | u128::from(c) << 64 | u128::from(d) << 96,
        e,
    )
}

#[cfg(target_arch = "x86_64")]
/// The 40 lowercase hex digits of a state's digest in three registers: digits 0..16,
/// 16..32, and 32..40 in the low eight bytes of the third.
#[inline(always)]
fn hex_of(state: [u32; 5]) -> [safe_arch::m128i; 3] {
    use safe_arch::{
        add_i8_m128i, bitand_m128i, cmp_gt_mask_i8_m128i, m128i, set_splat_i8_m128i,
        shr_imm_u16_m128i, unpack_high_i8_m128i, unpack_low_i8_m128i,
    };
    // Each nibble a byte, most significant first, then `0`-`9`, `a`-`f`.
    let ascii = |n: m128i| {
        let letters = bitand_m128i(
            cmp_gt_mask_i8_m128i(n, set_splat_i8_m128i(9)),
            set_splat_i8_m128i((b'a' - b'0' - 10) as i8),
        );
        add_i8_m128i(add_i8_m128i(n, set_splat_i8_m128i(b'0' as i8)), letters)
    };
    let nibbles = |x: m128i| {
        let low = set_splat_i8_m128i(0x0f);
        let hi = bitand_m128i(shr_imm_u16_m128i::<4>(x), low);
        let lo = bitand_m128i(x, low);
        (
            ascii(unpack_low_i8_m128i(hi, lo)),
            ascii(unpack_high_i8_m128i(hi, lo)),
        )
    };
    let (digest, e) = digest_words(state);
    let (h0, h1) = nibbles(m128i::from(digest));
    let (h2, _) = nibbles(m128i::from(u128::from(e)));
    [h0, h1, h2]
}

/// SHA-1 compressions of a message of `len` bytes (with its padding).
pub const fn sha1_blocks(len: usize) -> usize {
    (len + 9).div_ceil(64)
}

/// Compressions to derive a [`cos_sign_core::SigningKey`] from scratch: the SignKey
/// `HMAC-SHA1(SecretKey, KeyTime)` (the key hashed first if longer than a block, its ipad and
/// opad blocks, the KeyTime after the ipad, the outer hash after the opad), plus the ipad and
/// opad blocks of the SignKey itself, which the signature's HMAC needs and a reused key keeps.
/// For a 32-byte secret and a 21-byte KeyTime: 2 + 1 + 1 + 2 = 6.
pub const fn derive_compressions(secret_len: usize, key_time_len: usize) -> usize {
    let key_hash = if secret_len > 64 {
        sha1_blocks(secret_len)
    } else {
        0
    };
    let pads = 2;
    let inner = sha1_blocks(64 + key_time_len) - 1;
    let outer = sha1_blocks(64 + 20) - 1;
    key_hash + pads + inner + outer + 2
}

/// Compressions of one signature with a derived key: the HttpString, then the inner and outer
/// HMAC blocks of the StringToSign (the pads are in the key): after the 64-byte ipad block,
/// `sha1\n<KeyTime>\n<40 hex>\n`; after the opad block, the 20-byte inner digest.
pub const fn signature_compressions(http_string_len: usize, key_time_len: usize) -> usize {
    let string_to_sign = 5 + key_time_len + 1 + 40 + 1;
    let inner = sha1_blocks(64 + string_to_sign) - 1;
    let outer = sha1_blocks(64 + 20) - 1;
    sha1_blocks(http_string_len) + inner + outer
}

/// Writes the whole query of a pre-signed URL into `buf`: the `q-*` pairs, then `&` and the
/// params when there are any (as qcloud_cos's `get_presigned_url` appends them).
///
/// # Errors
/// [`Error::BufferTooSmall`] if `buf` cannot hold it.
pub fn write_presigned<'b>(
    signed: &Signed<'_>,
    secret_id: &str,
    buf: &'b mut [u8],
) -> Result<&'b str, Error> {
    let available = buf.len();
    let q = signed.presigned_query(secret_id).write_into(buf)?.len();
    let params = signed.params_query();
    let p = match buf.get_mut(q + 1..) {
        Some(rest) => match params.write_into(rest) {
            Ok(p) => p.len(),
            Err(Error::BufferTooSmall { needed, .. }) => {
                return Err(Error::BufferTooSmall {
                    needed: q + 1 + needed,
                    available,
                });
            }
            Err(e) => return Err(e),
        },
        // Full after the q-* pairs: fine only without params.
        None if params.is_empty() => 0,
        None => {
            return Err(Error::BufferTooSmall {
                needed: q + 1 + params.len(),
                available,
            });
        }
    };
    let end = if p == 0 {
        q
    } else {
        if let Some(amp) = buf.get_mut(q) {
            *amp = b'&';
        }
        q + 1 + p
    };
    let written = buf.get(..end).unwrap_or_default();
    core::str::from_utf8(written).map_err(|_| Error::BufferTooSmall {
        needed: end,
        available,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cos_sign_core::SigningKey;

    #[test]
    fn cases_load_as_the_file_says() {
        let c = Cases::load();
        let names: Vec<_> = c.cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["simple", "typical", "unicode"]);
        assert_eq!(c.key_time().to_string(), "1699999940;1700000300");
        let typical = &c.cases[1];
        assert_eq!(typical.headers.len(), 5);
        assert_eq!(typical.headers[4], ("host".to_owned(), c.host.clone()));
        assert_eq!(typical.params.len(), 2);
        assert_eq!(typical.path, "/exampleobject");
    }

    /// The hashes alone give each case's signature (`HashChain::of` checks it).
    #[test]
    fn hash_chain_gives_each_cases_signature() {
        let c = Cases::load();
        let key = SigningKey::derive(c.secret_key.as_bytes(), c.key_time());
        for case in &c.cases {
            let (p, h) = (borrow(&case.params), borrow(&case.headers));
            let signed = key.sign(&case.request(&p, &h)).unwrap();
            let chain = HashChain::of(&signed, &key);
            let mut sig = [0u8; 40];
            chain.run(&mut sig);
            assert_eq!(&sig[..], signed.signature().as_bytes(), "{}", case.name);
        }
    }

    #[test]
    fn compression_counts() {
        // A message of 55 bytes fits one block with its padding, 56 needs two.
        assert_eq!(sha1_blocks(0), 1);
        assert_eq!(sha1_blocks(55), 1);
        assert_eq!(sha1_blocks(56), 2);
        assert_eq!(sha1_blocks(119), 2);
        assert_eq!(sha1_blocks(120), 3);
        // KeyTime of 21 bytes: the StringToSign is 5 + 21 + 1 + 40 + 1 = 68 bytes; after the
        // 64-byte ipad block, 68 + 9 bytes of padding take 2 more blocks; the outer hash of
        // 20 bytes takes 1 after the opad block.
        for http in [0, 55, 56, 100, 1000] {
            assert_eq!(
                signature_compressions(http, 21),
                sha1_blocks(http) + (sha1_blocks(64 + 68) - 1) + (sha1_blocks(64 + 20) - 1)
            );
            assert_eq!(signature_compressions(http, 21), sha1_blocks(http) + 3);
        }
        assert_eq!(derive_compressions(32, 21), 6);
        assert_eq!(derive_compressions(65, 21), 8);
    }

    #[test]
    fn template_writes_what_the_request_does() {
        let c = Cases::load();
        let key = SigningKey::derive(c.secret_key.as_bytes(), c.key_time());
        for case in &c.cases {
            let (p, h) = (borrow(&case.params), borrow(&case.headers));
            let req = case.request(&p, &h);
            let t = case.template(&key, &c.secret_id);
            let values = case.open_values();
            assert_eq!(values.1.len(), case.headers.len() - 1, "host is fixed");
            let fill = case.fill(&values);
            let (mut a, mut b) = ([0u8; 2048], [0u8; 2048]);
            assert_eq!(
                t.sign_authorization_into(&fill, &mut a).unwrap(),
                key.sign_authorization_into(&req, &c.secret_id, &mut b)
                    .unwrap()
            );
            assert_eq!(
                t.sign_presigned_url_query_into(&fill, &mut a).unwrap(),
                key.sign_presigned_url_query_into(&req, &c.secret_id, &mut b)
                    .unwrap()
            );
        }
    }

    #[test]
    fn presigned_query_appends_params() {
        let c = Cases::load();
        let key = SigningKey::derive(c.secret_key.as_bytes(), c.key_time());
        for case in &c.cases {
            let (p, h) = (borrow(&case.params), borrow(&case.headers));
            let signed = key.sign(&case.request(&p, &h)).unwrap();
            let mut buf = [0u8; 2048];
            let q = write_presigned(&signed, &c.secret_id, &mut buf)
                .unwrap()
                .to_owned();
            let mut expected = signed.presigned_query(&c.secret_id).to_string();
            if !case.params.is_empty() {
                expected = format!("{expected}&{}", signed.params_query());
            }
            assert_eq!(q, expected);
            let mut exact = vec![0u8; q.len()];
            assert_eq!(
                write_presigned(&signed, &c.secret_id, &mut exact).unwrap(),
                q
            );
            let mut short = vec![0u8; q.len() - 1];
            assert_eq!(
                write_presigned(&signed, &c.secret_id, &mut short),
                Err(Error::BufferTooSmall {
                    needed: q.len(),
                    available: q.len() - 1
                })
            );
        }
    }
}
