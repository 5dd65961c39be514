//! `cos-sign-server`: the local COS-compatible server as a standalone program.
//!
//! ```text
//! cos-sign-server [--addr 127.0.0.1:0] [--data-dir DIR] [--credential ID:KEY[:TOKEN]]...
//!                 [--default-bucket NAME] [--clock-offset SECONDS] [--quiet]
//! ```
//! Prints `listening on http://ADDR` as its first line on stdout, then serves until Ctrl-C or
//! SIGTERM.

use std::process::ExitCode;

use cos_sign_server::{self as server, Config, Credential};

const USAGE: &str = "\
cos-sign-server: a local COS-compatible object server that verifies COS signatures

USAGE:
    cos-sign-server [OPTIONS]

OPTIONS:
    --addr ADDR                  address to listen on [default: 127.0.0.1:0, a free port]
    --data-dir DIR               keep objects under DIR (default: in memory)
    --credential ID:KEY[:TOKEN]  accept this key (repeatable); with TOKEN it is a temporary
                                 key that requires x-cos-security-token. Also read from the
                                 environment: COS_SECRET_ID, COS_SECRET_KEY, COS_SECURITY_TOKEN
    --default-bucket NAME        bucket of requests whose Host names none (IP, localhost)
    --clock-offset SECONDS       add SECONDS (may be negative) to the server's clock
    --upload-expiry SECONDS      remove multipart uploads untouched this long [default: 86400]
    --quiet                      do not log requests to stderr
    -h, --help                   print this help

The first line on stdout is `listening on http://ADDR`.
";

fn parse(args: &[String]) -> Result<Config, String> {
    let mut config = Config::new(
        "127.0.0.1:0"
            .parse()
            .map_err(|e| format!("default address: {e}"))?,
    )
    .log(true);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        let mut value = || -> Result<String, String> {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name {
            "--addr" => {
                let v = value()?;
                config.addr = v.parse().map_err(|e| format!("--addr {v}: {e}"))?;
            }
            "--data-dir" => config = config.data_dir(value()?),
            "--credential" => config = config.credential(Credential::parse(&value()?)?),
            "--default-bucket" => config = config.default_bucket(value()?),
            "--clock-offset" => {
                let v = value()?;
                config =
                    config.clock_offset(v.parse().map_err(|e| format!("--clock-offset {v}: {e}"))?);
            }
            "--upload-expiry" => {
                let v = value()?;
                let secs: u64 = v.parse().map_err(|e| format!("--upload-expiry {v}: {e}"))?;
                config = config.upload_expiry(std::time::Duration::from_secs(secs));
            }
            "--quiet" => config = config.log(false),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if let (Ok(id), Ok(key)) = (
        std::env::var("COS_SECRET_ID"),
        std::env::var("COS_SECRET_KEY"),
    ) && !id.is_empty()
        && !key.is_empty()
    {
        let cred = match std::env::var("COS_SECURITY_TOKEN") {
            Ok(t) if !t.is_empty() => Credential::temporary(id, key, t),
            _ => Credential::permanent(id, key),
        };
        config = config.credential(cred);
    }
    if config.credentials.is_empty() {
        return Err(
            "no credential: give --credential ID:KEY or set COS_SECRET_ID/COS_SECRET_KEY".into(),
        );
    }
    Ok(config)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{USAGE}\n{}", server::OPERATIONS);
        return ExitCode::SUCCESS;
    }
    let config = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cos-sign-server: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cos-sign-server: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(server::run_until_ctrl_c(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cos-sign-server: {e}");
            ExitCode::FAILURE
        }
    }
}
