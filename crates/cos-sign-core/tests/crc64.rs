//! CRC-64/XZ (`x-cos-hash-crc64ecma`): known answers (the CRC catalogue's check value, and
//! values from `crcmod` built as `qcloud_cos` builds it, run apart), pieces fed in any cut
//! equal the whole, and `combine` of two pieces' CRCs equals the CRC of the whole.

use cos_sign_core::crc64::{Crc64, checksum, combine};
use proptest::prelude::*;

/// `n` bytes of a 64-bit LCG (Knuth's MMIX constants), the top byte of each state.
fn lcg(n: usize) -> Vec<u8> {
    let mut x: u64 = 1;
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 56) as u8
        })
        .collect()
}

#[test]
fn known_answers() {
    // The CRC catalogue's check value of CRC-64/XZ, and the empty input.
    assert_eq!(checksum(b"123456789"), 0x995D_C9BB_DF19_39FA);
    assert_eq!(checksum(b""), 0);
    assert_eq!(Crc64::new().value(), 0);
    assert_eq!(Crc64::default(), Crc64::new());
    // From crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xffffffffffffffff,
    // rev=True), as the server's tests have them.
    assert_eq!(checksum(b"hello"), 11_177_612_005_948_864_433);
    assert_eq!(checksum(b"abc"), 3_231_342_946_509_354_535);
    assert_eq!(checksum(b"again"), 2_735_178_203_763_289_025);
    let ramp: Vec<u8> = (0..1024u32).map(|i| (i % 256) as u8).collect();
    assert_eq!(checksum(&ramp), 15_357_192_874_899_391_488);
    // Longer inputs, same reference.
    assert_eq!(checksum(&lcg(100_000)), 13_542_079_271_708_269_452);
    assert_eq!(checksum(&[0u8; 1_000_000]), 16_420_637_638_552_564_530);
}

#[test]
fn pieces_equal_the_whole() {
    let data = lcg(10_000);
    let whole = checksum(&data);
    for cut in [0, 1, 7, 8, 9, 4096, 9_999, 10_000] {
        let (a, b) = data.split_at(cut);
        let mut c = Crc64::new();
        c.update(a);
        c.update(b);
        assert_eq!(c.value(), whole, "cut at {cut}");
        assert_eq!(
            combine(checksum(a), checksum(b), b.len() as u64),
            whole,
            "combined at {cut}"
        );
    }
    // One byte at a time.
    let mut c = Crc64::new();
    for b in &data {
        c.update(core::slice::from_ref(b));
    }
    assert_eq!(c.value(), whole);
}

#[test]
fn combine_over_many_parts_and_long_lengths() {
    // Parts of a multipart upload, combined in order.
    let data = lcg(100_000);
    for size in [1usize, 3, 1000, 4096, 33_333] {
        let crc = data.chunks(size).fold(0, |acc, part| {
            combine(acc, checksum(part), part.len() as u64)
        });
        assert_eq!(crc, 13_542_079_271_708_269_452, "parts of {size}");
    }
    // A million zero bytes after "hello": the long shift against the direct value.
    let mut long = b"hello".to_vec();
    long.resize(5 + 1_000_000, 0);
    assert_eq!(
        combine(checksum(b"hello"), checksum(&[0u8; 1_000_000]), 1_000_000),
        checksum(&long)
    );
    // Lengths past any file: no panic, no overflow (every bit of the length is used).
    let _ = combine(1, 2, u64::MAX);
}

proptest! {
    #[test]
    fn combine_equals_the_direct_value(
        data in proptest::collection::vec(any::<u8>(), 0..3000),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..5),
    ) {
        let whole = checksum(&data);
        let mut at: Vec<usize> = cuts.iter().map(|i| i.index(data.len() + 1)).collect();
        at.push(0);
        at.push(data.len());
        at.sort_unstable();
        let mut combined = 0;
        let mut running = Crc64::new();
        for w in at.windows(2) {
            let piece = &data[w[0]..w[1]];
            combined = combine(combined, checksum(piece), piece.len() as u64);
            running.update(piece);
        }
        prop_assert_eq!(combined, whole);
        prop_assert_eq!(running.value(), whole);
    }
}
