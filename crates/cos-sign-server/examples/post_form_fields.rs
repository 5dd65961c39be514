//! Prints the signed fields of a POST Object (browser form upload) as JSON, signed with
//! cos-sign-core's POST-policy code.
//!
//! ```text
//! COS_SECRET_KEY=... cargo run -p cos-sign-server --example post_form_fields -- \
//!     SECRET_ID BUCKET KEY_PREFIX MAX_BYTES SECONDS
//! ```
//! The secret key is read from the environment (never from the command line).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cos_sign_core::{KeyTime, SigningKey, policy_base64};
use cos_sign_server::iso8601;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [id, bucket, prefix, max, seconds] = args.as_slice() else {
        eprintln!("usage: post_form_fields SECRET_ID BUCKET KEY_PREFIX MAX_BYTES SECONDS");
        std::process::exit(2);
    };
    let Ok(secret) = std::env::var("COS_SECRET_KEY") else {
        eprintln!("set COS_SECRET_KEY");
        std::process::exit(2);
    };
    let (Ok(max), Ok(seconds)) = (max.parse::<u64>(), seconds.parse::<i64>()) else {
        eprintln!("MAX_BYTES and SECONDS are numbers");
        std::process::exit(2);
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let kt = KeyTime::new(now.saturating_sub(60), now + 3600);
    let key_time = format!("{};{}", kt.start(), kt.end());
    let Some(expires_at) =
        UNIX_EPOCH.checked_add(Duration::from_secs(now.saturating_add_signed(seconds)))
    else {
        eprintln!("SECONDS is out of range");
        std::process::exit(2);
    };
    let expiration = iso8601(expires_at);
    let policy = serde_json::json!({
        "expiration": expiration,
        "conditions": [
            {"bucket": bucket},
            ["starts-with", "$key", prefix],
            ["content-length-range", 1, max],
            {"q-sign-algorithm": "sha1"},
            {"q-ak": id},
            {"q-sign-time": key_time},
        ],
    })
    .to_string();
    let signature = SigningKey::derive(secret.as_bytes(), kt).sign_post_policy(policy.as_bytes());
    let fields = serde_json::json!({
        "policy": policy_base64(policy.as_bytes()).to_string(),
        "q-sign-algorithm": "sha1",
        "q-ak": id,
        "q-key-time": key_time,
        "q-sign-time": key_time,
        "q-signature": signature.signature(),
    });
    println!("{fields}");
}
