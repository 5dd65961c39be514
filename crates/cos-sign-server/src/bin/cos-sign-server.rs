//! `cos-sign-server`: the local COS-compatible server as a standalone program.
//!
//! ```text
//! cos-sign-server [--addr 127.0.0.1:0] [--data-dir DIR] [--credentials-file FILE]
//!                 [--default-bucket NAME] [--owner-uin UIN] [--region REGION]
//!                 [--clock-offset SECONDS]
//!                 [--cors-allow-origin ORIGIN]... [--quiet] [limits]
//! ```
//! Prints `listening on http://ADDR` as its first line on stdout, then serves until Ctrl-C or
//! SIGTERM.

use std::process::ExitCode;

use cos_sign_server::{self as server, Config, Credential, limits};
use cos_sign_std::credentials::{CredentialsProvider, EnvProvider, ProfileProvider};

const USAGE: &str = "\
cos-sign-server: a local COS-compatible object server that verifies COS signatures

USAGE:
    cos-sign-server [OPTIONS]

Keys accepted: those of the environment (COS_SECRET_ID, COS_SECRET_KEY, COS_SECURITY_TOKEN),
of --credentials-file FILE (a profile file: [default] secret_id, secret_key, token), else of
~/.tencentcloud/credentials.

OPTIONS:
    --addr HOST:PORT             address to listen on [default: 127.0.0.1:0, a free port]
    --data-dir DIR               keep objects under DIR (default: in memory)
    --credentials-file FILE      accept the key of this profile file
    --profile NAME               profile (section) of the profile file [default: default]
    --default-bucket NAME        bucket of requests whose Host names none (IP, localhost)
    --owner-uin UIN              the owner's account id that ACLs name (GET acl's Owner,
                                 qcs::cam::uin/UIN:uin/UIN) [default: each bucket's APPID]
    --region REGION              region of buckets created through a Host that names none
                                 (IP mode) and of buckets never created (implicit), as GET
                                 Service lists them [default: ap-guangzhou]
    --clock-offset SECONDS       add SECONDS (may be negative) to the server's clock
    --upload-expiry SECS         remove multipart uploads untouched this long [default: 86400]
    --cors-allow-origin ORIGIN   answer browsers from ORIGIN (e.g. http://127.0.0.1:8080,
                                 http://*.example.com, or *) for buckets without CORS rules
                                 of their own (PUT Bucket cors): every method and request
                                 header, ETag, Content-* and x-cos-* exposed; repeatable
    --header-read-timeout SECS   time to send a request head (and a POST Object form's
                                 fields before the file), above 0 [default: 30]
    --body-idle-timeout SECS     time a request body may stay silent, above 0 [default: 60]
    --max-connections N          connections served at once [default: 1024]
    --max-object-size BYTES      largest PUT, EntityTooLarge above [default: 5368709120]
    --memory-store-cap BYTES     bytes the memory store's objects hold at most, and its
                                 uploads' parts again [default: 268435456]
    --quiet                      do not log requests to stderr
    --credential ID:KEY[:TOKEN]  (discouraged: the command line is visible to other users)
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
    let mut file = None;
    let mut profile = "default".to_owned();
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
        let number = |v: String| -> Result<u64, String> {
            v.parse().map_err(|e| format!("{name} {v}: {e}"))
        };
        match name {
            "--addr" => {
                let v = value()?;
                config.addr = server::parse_addr(&v).map_err(|e| format!("--addr {e}"))?;
            }
            "--data-dir" => config = config.data_dir(value()?),
            "--credential" => {
                eprintln!("cos-sign-server: {}", server::ARGV_SECRET_WARNING);
                config = config.credential(Credential::parse(&value()?)?);
            }
            "--credentials-file" => file = Some(value()?),
            "--profile" => profile = value()?,
            "--default-bucket" => config = config.default_bucket(value()?),
            "--cors-allow-origin" => {
                let v = value()?;
                config = config.cors_allow_origin(
                    server::parse_cors_origin(&v).map_err(|e| format!("{name} {e}"))?,
                );
            }
            "--owner-uin" => {
                config = config.owner_uin(
                    server::parse_owner_uin(&value()?).map_err(|e| format!("{name} {e}"))?,
                );
            }
            "--region" => {
                config = config
                    .region(server::parse_region(&value()?).map_err(|e| format!("{name} {e}"))?);
            }
            "--clock-offset" => {
                let v = value()?;
                config =
                    config.clock_offset(v.parse().map_err(|e| format!("--clock-offset {v}: {e}"))?);
            }
            "--upload-expiry" => {
                config.upload_expiry =
                    server::parse_seconds(&value()?).map_err(|e| format!("{name} {e}"))?;
            }
            "--header-read-timeout" => {
                config.limits.header_read_timeout =
                    server::parse_timeout(&value()?).map_err(|e| format!("{name} {e}"))?;
            }
            "--body-idle-timeout" => {
                config.limits.body_idle_timeout =
                    server::parse_timeout(&value()?).map_err(|e| format!("{name} {e}"))?;
            }
            "--max-connections" => {
                let n = number(value()?)?;
                config.limits.max_connections = usize::try_from(n)
                    .ok()
                    .filter(|n| (1..=limits::MAX_CONNECTIONS_LIMIT).contains(n))
                    .ok_or_else(|| {
                        format!("{name}: between 1 and {}", limits::MAX_CONNECTIONS_LIMIT)
                    })?;
            }
            "--max-object-size" => config.limits.max_object_size = number(value()?)?,
            "--memory-store-cap" => config.limits.memory_store_cap = number(value()?)?,
            "--quiet" => config = config.log(false),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if let Ok(c) = EnvProvider::new().credentials() {
        config = config.credential(Credential::from(&c));
    }
    let profile_provider = match &file {
        Some(f) => ProfileProvider::new().with_path(f).with_profile(&profile),
        None => ProfileProvider::new().with_profile(&profile),
    };
    if file.is_some() || config.credentials.is_empty() {
        match profile_provider.credentials() {
            Ok(c) => config = config.credential(Credential::from(&c)),
            Err(e) if file.is_some() => return Err(format!("--credentials-file: {e}")),
            Err(_) => {}
        }
    }
    if config.credentials.is_empty() {
        return Err(
            "no credential: set COS_SECRET_ID/COS_SECRET_KEY, or give --credentials-file FILE"
                .into(),
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
