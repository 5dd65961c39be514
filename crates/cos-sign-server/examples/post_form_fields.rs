//! Prints the signed fields of a POST Object (browser form upload) as JSON, signed with
//! cos-sign-core's POST-policy code.
//!
//! ```text
//! COS_SECRET_KEY=... cargo run -p cos-sign-server --example post_form_fields -- \
//!     SECRET_ID BUCKET KEY_PREFIX MAX_BYTES SECONDS
//! ```
//! The secret key is read from the environment (never from the command line).

use std::time::{SystemTime, UNIX_EPOCH};

use cos_sign_core::{KeyTime, SigningKey, policy_base64};

fn iso8601(secs: u64) -> String {
    // Days to a civil date (proleptic Gregorian).
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

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
    let expiration = iso8601(now.saturating_add_signed(seconds));
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
