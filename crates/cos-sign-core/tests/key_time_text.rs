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
