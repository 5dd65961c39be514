//! The key time as the Authorization writes it (`q-sign-time`, `q-key-time`, and inside the
//! StringToSign) equals the decimal text std formats, for every digit count and the edges
//! of the 32-bit fast path.

use cos_sign_core::{KeyTime, Request, SigningKey};

#[test]
fn key_time_digits_equal_std_formatting() {
    let mut values = vec![0u64, 1, 9, 10, 11, 99, 100, 101, 999, 1000];
    for d in 1..=19u32 {
        let p = 10u64.pow(d);
        values.extend([p - 1, p, p + 1, p + p / 2]);
    }
    values.extend([
        u64::from(u32::MAX) - 1,
        u64::from(u32::MAX),
        u64::from(u32::MAX) + 1,
        1_700_000_000,
        u64::MAX - 1,
        u64::MAX,
    ]);
    let req = Request::new("GET", "/a");
    for (i, &start) in values.iter().enumerate() {
        let end = values[(i * 7 + 3) % values.len()];
        let kt = KeyTime::new(start, end);
        let key = SigningKey::derive(b"secret", kt);
        let signed = key.sign(&req).unwrap();
        let want = format!("{start};{end}");
        let auth = signed.authorization("AKID").to_string();
        assert!(
            auth.contains(&format!("&q-sign-time={want}&q-key-time={want}&")),
            "{auth}"
        );
        let sts = format!(
            "sha1\n{want}\n{}\n",
            sha1_hex(signed.http_string().to_string().as_bytes())
        );
        assert_eq!(signed.string_to_sign().to_string(), sts);
        // The signature, from the hmac crate: SignKey = hex(HMAC(secret, KeyTime)).
        let sign_key = hmac_hex(b"secret", want.as_bytes());
        assert_eq!(
            signed.signature(),
            hmac_hex(sign_key.as_bytes(), sts.as_bytes()),
            "{want}"
        );
    }
}

/// The SignKey and a signature of secret keys of every length from 0 to 100 bytes (the pads
/// of keys of 16 to 64 bytes are built from loads of the key, the others byte by byte), over
/// key times on both sides of the ten-digit text (whose HMAC block is built from words),
/// equal the hmac crate's.
#[test]
fn secret_keys_of_every_length_derive_as_hmac_does() {
    let data: Vec<u8> = (0..100u32).map(|i| (i * 37 + 11) as u8).collect();
    let times = [
        (999_999_999, 1_000_000_000),
        (1_000_000_000, 1_000_000_000),
        (1_699_999_940, 1_700_000_300),
        (1_000_000_000, u64::from(u32::MAX)),
        (u64::from(u32::MAX), u64::from(u32::MAX) + 1),
        (9, 1_700_000_000),
    ];
    let req = Request::new("PUT", "/a b").headers(&[("Host", "h")]);
    for len in 0..=100 {
        let secret = &data[..len];
        for (start, end) in times {
            let kt = KeyTime::new(start, end);
            let key = SigningKey::derive(secret, kt);
            let text = format!("{start};{end}");
            let sign_key = hmac_hex(secret, text.as_bytes());
            assert_eq!(key.expose_hex(), sign_key, "secret of {len} bytes, {text}");
            let signed = key.sign(&req).unwrap();
            let sts = signed.string_to_sign().to_string();
            assert!(sts.starts_with(&format!("sha1\n{text}\n")), "{sts:?}");
            assert_eq!(
                signed.signature(),
                hmac_hex(sign_key.as_bytes(), sts.as_bytes()),
                "secret of {len} bytes, {text}"
            );
        }
    }
}

fn hmac_hex(key: &[u8], msg: &[u8]) -> String {
    use hmac::{KeyInit, Mac};
    let mut m = hmac::Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
    m.update(msg);
    hex(&m.finalize().into_bytes())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha1_hex(data: &[u8]) -> String {
    use sha1::Digest;
    hex(&sha1::Sha1::digest(data))
}
