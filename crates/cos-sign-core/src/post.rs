//! POST Object (browser form upload) policy signatures.

use core::fmt;

use crate::SigningKey;
use crate::sha::{hex20, sha1};
use crate::sink::ByteOut;
use crate::text::{Render, Text};

/// The signature of a POST Object policy: `q-signature = hex(HMAC-SHA1(SignKey, hex(SHA1(policy))))`.
///
/// ```
/// use cos_sign_core::{KeyTime, SigningKey};
/// let key = SigningKey::derive(b"secret", KeyTime::new(1, 2));
/// let sig = key.sign_post_policy(br#"{"expiration":"2030-01-01T00:00:00.000Z","conditions":[]}"#);
/// assert_eq!(sig.signature().len(), 40);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PostSignature {
    string_to_sign: [u8; 40],
    signature: [u8; 40],
}

impl PostSignature {
    /// The StringToSign: hex SHA-1 of the policy JSON bytes.
    pub fn string_to_sign(&self) -> &str {
        core::str::from_utf8(&self.string_to_sign).unwrap_or("")
    }

    /// The form field `q-signature`.
    pub fn signature(&self) -> &str {
        core::str::from_utf8(&self.signature).unwrap_or("")
    }
}

impl fmt::Debug for PostSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostSignature")
            .field("string_to_sign", &self.string_to_sign())
            .field("signature", &self.signature())
            .finish()
    }
}

impl SigningKey {
    /// Signs a POST Object policy (the JSON bytes exactly as they will be base64-encoded
    /// into the form's `policy` field).
    pub fn sign_post_policy(&self, policy_json: &[u8]) -> PostSignature {
        let string_to_sign = hex20(&sha1(policy_json));
        let signature = hex20(&self.mac().mac(&string_to_sign));
        PostSignature {
            string_to_sign,
            signature,
        }
    }
}

/// The form field `policy`: standard base64 (with padding) of the policy JSON.
///
/// ```
/// let mut buf = [0u8; 16];
/// assert_eq!(cos_sign_core::policy_base64(b"{}").write_into(&mut buf).unwrap(), "e30=");
/// ```
pub fn policy_base64(policy_json: &[u8]) -> Text<Base64<'_>> {
    Text(Base64(policy_json))
}

/// Renders standard base64.
#[derive(Clone, Copy, Debug)]
pub struct Base64<'a>(&'a [u8]);

impl Render for Base64<'_> {
    fn render<O: ByteOut + ?Sized>(&self, o: &mut O) {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for chunk in self.0.chunks(3) {
            let b = [
                chunk[0],
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            let mut out = [b'='; 4];
            for (i, slot) in out.iter_mut().enumerate().take(chunk.len() + 1) {
                *slot = ALPHABET[((n >> (18 - 6 * i)) & 63) as usize];
            }
            o.put(&out);
        }
    }
}
