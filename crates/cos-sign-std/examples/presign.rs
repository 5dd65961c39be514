//! Prints a pre-signed upload (PUT) URL, a pre-signed download (GET) URL and an Authorization
//! header for a bucket and key, with credentials from the environment.
//!
//! ```text
//! export COS_SECRET_ID=AKID... COS_SECRET_KEY=...      # COS_SECURITY_TOKEN=... for a temporary key
//! cargo run -p cos-sign-std --example presign -- examplebucket-1250000000 docs/a.txt --region ap-beijing
//! ```

use std::process::ExitCode;
use std::time::Duration;

use cos_sign_std::config::Endpoint;
use cos_sign_std::credentials::{CredentialsError, CredentialsProvider, EnvProvider};
use cos_sign_std::method::Method;
use cos_sign_std::signer::{SignOptions, Signer, TOKEN_NAME};

const USAGE: &str = "usage: presign <bucket> <key> [--region <region>] [--expires <seconds>]

  <bucket>    bucket name with its appid, e.g. examplebucket-1250000000
  <key>       object key, e.g. docs/a.txt
  --region    COS region (default: $COS_REGION, else ap-guangzhou)
  --expires   validity of the signatures in seconds (default 300)

Credentials come from the environment:
  COS_SECRET_ID, COS_SECRET_KEY (and COS_SECURITY_TOKEN for a temporary key), or
  TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY (and TENCENTCLOUD_SESSION_TOKEN).";

struct Args {
    bucket: String,
    key: String,
    region: String,
    expires: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut positional = Vec::new();
    let mut region = None;
    let mut expires = 300;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--region" => region = Some(args.next().ok_or("--region needs a value")?),
            "--expires" => {
                let v = args.next().ok_or("--expires needs a value")?;
                expires = v
                    .parse()
                    .map_err(|_| format!("--expires: `{v}` is not a number of seconds"))?;
            }
            s if s.starts_with("--region=") => region = Some(s["--region=".len()..].to_owned()),
            s if s.starts_with('-') && s.len() > 1 => return Err(format!("unknown option {s}")),
            _ => positional.push(a),
        }
    }
    let [bucket, key] = <[String; 2]>::try_from(positional)
        .map_err(|p| format!("expected <bucket> and <key>, got {} argument(s)", p.len()))?;
    let region = region
        .or_else(|| std::env::var("COS_REGION").ok().filter(|r| !r.is_empty()))
        .unwrap_or_else(|| "ap-guangzhou".to_owned());
    Ok(Args {
        bucket,
        key,
        region,
        expires,
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("error: {e}\n");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let env = EnvProvider::new();
    let creds = match env.credentials() {
        Ok(c) => c,
        Err(CredentialsError::NotFound { .. }) => {
            eprintln!(
                "error: no credentials in the environment.\n\
                 Set COS_SECRET_ID and COS_SECRET_KEY (plus COS_SECURITY_TOKEN for a temporary key),\n\
                 or TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY (plus TENCENTCLOUD_SESSION_TOKEN), e.g.\n\
                 \n    export COS_SECRET_ID=AKID... COS_SECRET_KEY=...\n"
            );
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let endpoint = match Endpoint::from_region(&args.region) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: region `{}`: {e}", args.region.escape_debug());
            return ExitCode::from(2);
        }
    };
    let signer = Signer::new(env, endpoint);
    let opts = SignOptions::default().expires(Duration::from_secs(args.expires));
    let run = || -> Result<(), cos_sign_std::signer::Error> {
        let put = signer
            .presign(Method::Put, &args.bucket, &args.key, &opts)?
            .url;
        let get = signer
            .presign(Method::Get, &args.bucket, &args.key, &opts)?
            .url;
        let auth = signer.authorization(Method::Get, &args.bucket, &args.key, &opts)?;
        let host = signer.host(&args.bucket)?;
        println!("# valid {} s, from 60 s ago", args.expires);
        println!("upload (PUT):\n{put}\n");
        println!("download (GET):\n{get}\n");
        println!(
            "Authorization for GET {}:",
            signer.object_url(&args.bucket, &args.key)?
        );
        println!("Host: {host}");
        println!("Authorization: {auth}");
        if creds.token().is_some() {
            println!("{TOKEN_NAME}: <the token from the environment; send it with this header>");
        }
        println!("\ntry: curl -T ./file '{put}'");
        Ok(())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
