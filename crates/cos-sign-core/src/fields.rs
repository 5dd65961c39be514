//! The names of the seven `q-*` fields of an Authorization (header form, or the params of a
//! pre-signed URL), in the order the SDK writes them.

/// `q-sign-algorithm` (always `sha1`).
pub const SIGN_ALGORITHM: &str = "q-sign-algorithm";
/// `q-ak`: the secret id.
pub const AK: &str = "q-ak";
/// `q-sign-time`: the window of this signature, `<start>;<end>`.
pub const SIGN_TIME: &str = "q-sign-time";
/// `q-key-time`: the window of the SignKey, `<start>;<end>`.
pub const KEY_TIME: &str = "q-key-time";
/// `q-header-list`: the signed header names, `;`-separated.
pub const HEADER_LIST: &str = "q-header-list";
/// `q-url-param-list`: the signed param names, `;`-separated.
pub const URL_PARAM_LIST: &str = "q-url-param-list";
/// `q-signature`: 40 hex digits.
pub const SIGNATURE: &str = "q-signature";

/// All seven, in the SDK's order.
pub const ALL: [&str; 7] = [
    SIGN_ALGORITHM,
    AK,
    SIGN_TIME,
    KEY_TIME,
    HEADER_LIST,
    URL_PARAM_LIST,
    SIGNATURE,
];

/// Whether `name` is one of the seven (exactly, case-sensitive, as COS reads them).
pub fn is_field(name: &str) -> bool {
    ALL.contains(&name)
}
