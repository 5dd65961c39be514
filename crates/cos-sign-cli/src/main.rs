//! `cos-sign`: pre-sign, check, upload and download Tencent Cloud COS objects, and run a local
//! COS-compatible server. Run `cos-sign --help` (or `cos-sign <command> --help`).
//!
//! Exit codes: 0 success (and `verify`: valid), 1 failure (and `verify`: invalid),
//! 2 bad usage or input (including missing credentials).

mod demo;
mod progress;
mod verify;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use cos_sign_http::{Client, TransferOptions};
use cos_sign_server::{self as server, Config, Credential};
use cos_sign_std::config::{Endpoint, Scheme};
use cos_sign_std::credentials::{
    ChainProvider, CredentialsProvider, ENV_VARS, EnvProvider, ProfileProvider,
};
use cos_sign_std::method::{Method, UnsupportedMethod};
use cos_sign_std::signer::{SignOptions, Signer};

const MAIN_HELP: &str = "\
Credentials are read from the environment (COS_SECRET_ID, COS_SECRET_KEY and, for a
temporary key, COS_SECURITY_TOKEN; or TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY/
TENCENTCLOUD_SESSION_TOKEN), else from the profile file ~/.tencentcloud/credentials
(section [default], or --profile NAME). Secret keys are never printed.

Examples:
  # Try everything offline in one command: local server, pre-signed upload and download
  cos-sign demo

  # A pre-signed download URL valid for 10 minutes
  export COS_SECRET_ID=AKID... COS_SECRET_KEY=...
  cos-sign presign examplebucket-1250000000 photos/cat.jpg --region ap-beijing --expires 600

  # A pre-signed upload URL, then upload with curl
  curl --upload-file cat.jpg \"$(cos-sign presign -X PUT examplebucket-1250000000 photos/cat.jpg)\"

  # Is this URL's signature good for my key?
  cos-sign verify 'https://examplebucket-1250000000.cos.ap-beijing.myqcloud.com/a.txt?q-sign-algorithm=sha1&...'

  # A local COS-compatible server for tests (Ctrl-C stops it)
  COS_SECRET_ID=AKIDtest COS_SECRET_KEY=secret cos-sign serve --addr 127.0.0.1:9000 --data-dir ./cos-data

Exit codes: 0 success (verify: valid), 1 failure (verify: invalid), 2 bad usage or input.";

/// Sign, verify, upload and download Tencent Cloud COS objects; run a local COS-compatible
/// server.
#[derive(Parser, Debug)]
#[command(name = "cos-sign", version, after_long_help = MAIN_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print a pre-signed URL for an object (anyone holding it can do METHOD until it expires).
    #[command(after_long_help = PRESIGN_HELP)]
    Presign(SignArgs),
    /// Print the Authorization header value for a request on an object.
    #[command(after_long_help = AUTH_HELP)]
    Auth(SignArgs),
    /// Check a pre-signed URL or an Authorization value against a secret key.
    #[command(after_long_help = VERIFY_HELP)]
    Verify(verify::VerifyArgs),
    /// Run the local COS-compatible server (objects, listing, multipart, copy; signatures verified).
    #[command(after_long_help = format!("{SERVE_HELP}\n\n{}", server::OPERATIONS))]
    Serve(ServeArgs),
    /// Upload a file through a pre-signed URL (--url) or with your credentials (BUCKET KEY).
    #[command(after_long_help = PUT_HELP)]
    Put(PutArgs),
    /// Download an object through a pre-signed URL (--url) or with your credentials.
    #[command(after_long_help = GET_HELP)]
    Get(GetArgs),
    /// Offline demo: local server, pre-signed upload and download of a file, bytes checked.
    #[command(after_long_help = DEMO_HELP)]
    Demo(demo::DemoArgs),
}

const PRESIGN_HELP: &str = "\
Examples:
  cos-sign presign examplebucket-1250000000 a.txt                    # GET, 300 s
  cos-sign presign -X PUT examplebucket-1250000000 dir/b.bin --expires 3600
  cos-sign presign examplebucket-1250000000 a.txt --param response-content-type=text/plain
  cos-sign presign -X PUT examplebucket-1250000000 a.txt -H 'Content-Type: text/plain'
      (a signed header must then be sent with exactly that value)
  cos-sign presign examplebucket-1250000000 a.txt --scheme http --region ap-beijing

With a temporary key (COS_SECURITY_TOKEN) the URL carries the token as the
x-cos-security-token param, as COS requires: treat such a URL as a secret.";

const AUTH_HELP: &str = "\
Examples:
  cos-sign auth -X PUT examplebucket-1250000000 a.txt -H 'Content-Type: text/plain'
  curl -X PUT -H \"Authorization: $(cos-sign auth -X PUT examplebucket-1250000000 a.txt)\" \\
       --upload-file a.txt https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/a.txt

With a temporary key, the request must also carry the header x-cos-security-token with
the token (it is signed; its value is not printed).";

const SERVE_HELP: &str = "\
The first line on stdout is `listening on http://ADDR`. Objects are kept in memory, or under
--data-dir. Requests name their bucket in the Host header (<bucket>.cos.<region>.myqcloud.com);
the server also works as an HTTP proxy, so pre-signed URLs keeping the real COS host work with
`curl --proxy http://ADDR`.

The keys accepted come from the environment (COS_SECRET_ID, COS_SECRET_KEY and, for a
temporary key, COS_SECURITY_TOKEN), from --credentials-file FILE (a profile file), or from
~/.tencentcloud/credentials. --credential ID:KEY still works but puts the secret on the
command line, where other users of the machine can read it.

Examples:
  COS_SECRET_ID=AKIDtest COS_SECRET_KEY=secret cos-sign serve --addr 127.0.0.1:9000
  cos-sign serve --credentials-file ./cos-test-credentials --data-dir ./cos-data
  curl --proxy http://127.0.0.1:9000 --upload-file a.txt \"$(cos-sign presign -X PUT --scheme http b-1250000000 a.txt)\"";

const PUT_HELP: &str = "\
Examples:
  cos-sign put photo.jpg --url 'https://b-1250000000.cos.ap-guangzhou.myqcloud.com/photo.jpg?q-sign-algorithm=...'
  cos-sign put photo.jpg examplebucket-1250000000 photos/photo.jpg --region ap-beijing
  cos-sign put a.bin b-1250000000 a.bin --scheme http --proxy http://127.0.0.1:9000   # local server

The file is streamed (never read into memory). A progress bar is drawn on stderr when it is
a terminal.";

const GET_HELP: &str = "\
Examples:
  cos-sign get --url 'https://b-1250000000.cos.ap-guangzhou.myqcloud.com/a.bin?q-sign-algorithm=...' -o a.bin
  cos-sign get examplebucket-1250000000 photos/photo.jpg -o photo.jpg

The object is streamed into a temporary file beside OUTPUT, checked against its MD5 ETag,
and renamed into place only when complete.";

const DEMO_HELP: &str = "\
Everything runs on this machine (no network, no account): a local COS server on a free
loopback port with throwaway credentials, a pre-signed PUT URL used to upload a temporary
file, a pre-signed GET URL used to download it, and a byte-for-byte check. Each step and
URL is printed; exit code 0 means every step worked.";

const VERIFY_HELP: &str = "\
Examples:
  cos-sign verify 'https://b-1250000000.cos.ap-guangzhou.myqcloud.com/a.txt?q-sign-algorithm=sha1&q-ak=...'
  cos-sign verify -X PUT 'http://b-1250000000.cos.ap-guangzhou.myqcloud.com/a.txt?q-sign-algorithm=...'
  cos-sign verify --authorization 'q-sign-algorithm=sha1&q-ak=...' -X PUT \\
      -H 'Content-Type: text/plain' https://b-1250000000.cos.ap-guangzhou.myqcloud.com/a.txt

The host is taken from the URL (with its port when not the default), unless -H 'Host: ...'
is given. The secret key comes from --secret-key, else the environment or the profile file.
Prints `valid` (exit 0) or `invalid: <why>` (exit 1): expired, not yet valid, another secret
id, a signed header or param missing, or a signature mismatch (with the StringToSign and
FormatString recomputed here, to compare with COS's SignatureDoesNotMatch answer).";

/// Where requests go.
#[derive(Args, Debug, Clone)]
struct EndpointArgs {
    /// COS region (ap-guangzhou, ap-beijing, ...; aliases like `gz` as in qcloud_cos).
    #[arg(long, env = "COS_REGION", default_value = "ap-guangzhou")]
    region: String,
    /// Endpoint instead of the region's (e.g. `cos.ap-guangzhou.myqcloud.com`).
    #[arg(long)]
    endpoint: Option<String>,
    /// Custom domain bound to the bucket (replaces BUCKET.ENDPOINT in URLs).
    #[arg(long)]
    domain: Option<String>,
    /// URL scheme.
    #[arg(long, default_value = "https", value_parser = ["http", "https"])]
    scheme: String,
    /// APPID appended to the bucket name when it lacks one.
    #[arg(long)]
    appid: Option<String>,
}

/// Where credentials come from (besides the environment).
#[derive(Args, Debug, Clone)]
struct CredArgs {
    /// Profile (section) of the profile file, used when the environment has no key.
    #[arg(long, default_value = "default")]
    profile: String,
    /// Profile file instead of ~/.tencentcloud/credentials.
    #[arg(long, value_name = "FILE")]
    profile_file: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct SignArgs {
    /// HTTP method the URL or header is for.
    #[arg(short = 'X', long, default_value = "GET")]
    method: String,
    /// Bucket, `<name>-<appid>` (e.g. examplebucket-1250000000).
    bucket: String,
    /// Object key (e.g. photos/cat.jpg).
    key: String,
    /// Validity in seconds (the signature is also valid from 60 s before now).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=315_360_000))]
    expires: u64,
    /// A query param to sign and append, NAME=VALUE (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// A header the request will carry, 'Name: value' (repeatable; allow-listed ones are signed).
    #[arg(short = 'H', long = "header", value_name = "NAME:VALUE", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// Do not sign the host (the URL then works with any Host).
    #[arg(long)]
    no_sign_host: bool,
    /// With a temporary key, do not add and sign x-cos-security-token (qcloud_cos's behaviour).
    #[arg(long)]
    no_token: bool,
    #[command(flatten)]
    endpoint: EndpointArgs,
    #[command(flatten)]
    creds: CredArgs,
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Address to listen on (port 0: a free port, printed on the first line).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Keep objects under this folder (default: in memory, lost on exit).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Accept the key of this profile file ([default] secret_id, secret_key, token).
    #[arg(long, value_name = "FILE")]
    credentials_file: Option<PathBuf>,
    /// Discouraged (argv is visible to other users): a key to accept, ID:KEY[:TOKEN].
    #[arg(long = "credential", value_name = "ID:KEY[:TOKEN]")]
    credentials: Vec<String>,
    /// Seconds a connection may take to send a request head.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = server::parse_seconds)]
    header_read_timeout: std::time::Duration,
    /// Seconds a request body may stay silent.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = server::parse_seconds)]
    body_idle_timeout: std::time::Duration,
    /// Connections served at once (more wait to be accepted).
    #[arg(long, value_name = "N", default_value_t = 1024,
          value_parser = clap::value_parser!(u32).range(1..=1_048_576))]
    max_connections: u32,
    /// Largest object one PUT may upload (EntityTooLarge above).
    #[arg(long, value_name = "BYTES", default_value_t = server::limits::DEFAULT_MAX_OBJECT_SIZE)]
    max_object_size: u64,
    /// Bytes the memory store may hold (EntityTooLarge past it).
    #[arg(long, value_name = "BYTES", default_value_t = server::limits::DEFAULT_MEMORY_STORE_CAP)]
    memory_store_cap: u64,
    /// Bucket of requests whose Host names none (an IP address, localhost).
    #[arg(long)]
    default_bucket: Option<String>,
    /// Seconds added to the server's clock (to try expiry and clock skew).
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    clock_offset: i64,
    /// Do not log requests to stderr.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    creds: CredArgs,
}

/// How to reach COS for put/get.
#[derive(Args, Debug)]
struct TransferArgs {
    /// A pre-signed URL (then no credentials are needed, and BUCKET KEY are not given).
    #[arg(long)]
    url: Option<String>,
    /// Send requests through this HTTP proxy (e.g. the local server: http://127.0.0.1:9000).
    #[arg(long)]
    proxy: Option<String>,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
    #[command(flatten)]
    endpoint: EndpointArgs,
    #[command(flatten)]
    creds: CredArgs,
}

#[derive(Args, Debug)]
struct PutArgs {
    /// The file to upload.
    file: PathBuf,
    /// Bucket (with credentials; not with --url).
    bucket: Option<String>,
    /// Object key (with credentials; not with --url).
    key: Option<String>,
    #[command(flatten)]
    transfer: TransferArgs,
}

#[derive(Args, Debug)]
struct GetArgs {
    /// Bucket (with credentials; not with --url).
    bucket: Option<String>,
    /// Object key (with credentials; not with --url).
    key: Option<String>,
    /// Where to write the object.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    #[command(flatten)]
    transfer: TransferArgs,
}

/// A failure with its exit code.
#[derive(Debug)]
pub(crate) struct CliError {
    message: String,
    code: u8,
}

impl CliError {
    /// Bad usage or input: exit 2.
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: 2,
        }
    }

    /// A failure: exit 1.
    pub(crate) fn fail(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: 1,
        }
    }
}

impl From<cos_sign_http::ClientError> for CliError {
    fn from(e: cos_sign_http::ClientError) -> Self {
        let mut msg = e.to_string();
        if let Some(cos) = e.cos() {
            if let Some(r) = &cos.resource {
                msg.push_str(&format!("\n  resource: {r}"));
            }
            if let Some(s) = &cos.string_to_sign {
                msg.push_str(&format!("\n  COS StringToSign: {s:?}"));
            }
            if let Some(s) = &cos.format_string {
                msg.push_str(&format!("\n  COS FormatString: {s:?}"));
            }
        }
        match e {
            cos_sign_http::ClientError::Sign(_)
            | cos_sign_http::ClientError::Credentials(_)
            | cos_sign_http::ClientError::InvalidRequest(_) => CliError::usage(msg),
            _ => CliError::fail(msg),
        }
    }
}

fn parse_param(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("expected NAME=VALUE, got {s:?}")),
    }
}

fn parse_header(s: &str) -> Result<(String, String), String> {
    match s.split_once(':') {
        Some((k, v)) if !k.trim().is_empty() && !k.contains(char::is_whitespace) => {
            Ok((k.to_owned(), v.trim().to_owned()))
        }
        _ => Err(format!("expected 'Name: value', got {s:?}")),
    }
}

fn endpoint(a: &EndpointArgs) -> Result<Endpoint, CliError> {
    let mut b = Endpoint::builder()
        .region(a.region.clone())
        .scheme(Scheme::parse(&a.scheme).map_err(|e| CliError::usage(e.to_string()))?);
    if let Some(e) = &a.endpoint {
        b = b.endpoint(e.clone());
    }
    if let Some(d) = &a.domain {
        b = b.domain(d.clone());
    }
    if let Some(id) = &a.appid {
        b = b.appid(id.clone());
    }
    b.build()
        .map_err(|e| CliError::usage(format!("bad endpoint settings: {e}")))
}

/// The environment, then the profile file.
pub(crate) fn provider(c: &CredArgs) -> ChainProvider {
    let mut profile = ProfileProvider::new().with_profile(c.profile.clone());
    if let Some(p) = &c.profile_file {
        profile = profile.with_path(p.clone());
    }
    ChainProvider::new().push(EnvProvider::new()).push(profile)
}

/// A signer whose credentials were checked to be there.
fn signer(e: &EndpointArgs, c: &CredArgs) -> Result<Signer, CliError> {
    let provider = provider(c);
    provider.credentials().map_err(no_credentials)?;
    Ok(Signer::new(provider, endpoint(e)?))
}

pub(crate) fn no_credentials(e: impl std::fmt::Display) -> CliError {
    let (id, key, token) = ENV_VARS[0];
    CliError::usage(format!(
        "no usable credentials: {e}\n\nSet {id} and {key} (and {token} for a temporary key) in the \
         environment, or write them to ~/.tencentcloud/credentials:\n  [default]\n  secret_id = AKID...\n  secret_key = ..."
    ))
}

fn parse_method(m: &str) -> Result<Method, CliError> {
    m.parse().map_err(|_: UnsupportedMethod| {
        CliError::usage(format!(
            "bad method {m:?}: COS takes GET, PUT, POST, DELETE, HEAD or OPTIONS"
        ))
    })
}

fn sign_options(a: &SignArgs) -> SignOptions {
    let mut o = SignOptions::default()
        .expires(Duration::from_secs(a.expires))
        .sign_host(!a.no_sign_host)
        .add_token(!a.no_token);
    o.params = a.params.clone();
    o.headers = a.headers.clone();
    o
}

fn presign(a: &SignArgs) -> Result<ExitCode, CliError> {
    let method = parse_method(&a.method)?;
    let s = signer(&a.endpoint, &a.creds)?;
    let url = s
        .presign(method, &a.bucket, &a.key, &sign_options(a))
        .map_err(sign_error)?
        .url;
    println!("{url}");
    Ok(ExitCode::SUCCESS)
}

fn auth(a: &SignArgs) -> Result<ExitCode, CliError> {
    let method = parse_method(&a.method)?;
    let s = signer(&a.endpoint, &a.creds)?;
    let value = s
        .authorization(method, &a.bucket, &a.key, &sign_options(a))
        .map_err(sign_error)?;
    println!("{value}");
    let temporary = s.credentials().map_err(sign_error)?.token().is_some();
    if temporary && !a.no_token {
        eprintln!(
            "note: temporary key: the request must also carry the header x-cos-security-token \
             (your token; signed, not printed)"
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn sign_error(e: cos_sign_std::signer::Error) -> CliError {
    match e {
        cos_sign_std::signer::Error::Credentials(c) => no_credentials(c),
        other => CliError::usage(other.to_string()),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::fail(format!("cannot start the async runtime: {e}")))
}

fn serve(a: &ServeArgs) -> Result<ExitCode, CliError> {
    let mut config = Config::new(a.addr)
        .log(!a.quiet)
        .clock_offset(a.clock_offset)
        .limits(server::Limits {
            header_read_timeout: a.header_read_timeout,
            body_idle_timeout: a.body_idle_timeout,
            max_connections: usize::try_from(a.max_connections).unwrap_or(1),
            max_object_size: a.max_object_size,
            memory_store_cap: a.memory_store_cap,
        });
    if let Some(d) = &a.data_dir {
        config = config.data_dir(d.clone());
    }
    if let Some(b) = &a.default_bucket {
        config = config.default_bucket(b.clone());
    }
    if !a.credentials.is_empty() {
        eprintln!("cos-sign serve: {}", server::ARGV_SECRET_WARNING);
    }
    if let Some(f) = &a.credentials_file {
        let c = ProfileProvider::new()
            .with_path(f.clone())
            .with_profile(a.creds.profile.clone())
            .credentials()
            .map_err(|e| CliError::usage(format!("--credentials-file: {e}")))?;
        config = config.credential(Credential::from(&c));
    }
    for spec in &a.credentials {
        config = config.credential(
            Credential::parse(spec).map_err(|e| CliError::usage(format!("--credential: {e}")))?,
        );
    }
    if config.credentials.is_empty() {
        let c = provider(&a.creds).credentials().map_err(|e| {
            CliError::usage(format!(
                "the server needs a key to accept: set COS_SECRET_ID/COS_SECRET_KEY, or give \
                 --credentials-file FILE ({e})"
            ))
        })?;
        config = config.credential(Credential::from(&c));
    }
    for c in &config.credentials {
        eprintln!(
            "cos-sign serve: accepting {} ({} key; secret not shown)",
            c.secret_id(),
            if c.is_temporary() {
                "temporary"
            } else {
                "permanent"
            }
        );
    }
    if !a.addr.ip().is_loopback() {
        eprintln!(
            "cos-sign serve: warning: listening on {}, reachable from other machines",
            a.addr
        );
    }
    let rt = runtime()?;
    rt.block_on(server::run_until_ctrl_c(config))
        .map_err(|e| CliError::fail(format!("cannot serve on {}: {e}", a.addr)))?;
    Ok(ExitCode::SUCCESS)
}

/// A client for put/get: with a signer unless a URL is given.
fn transfer_client(t: &TransferArgs, need_signer: bool) -> Result<Client, CliError> {
    let mut b = Client::builder();
    if need_signer {
        b = b.signer(Arc::new(signer(&t.endpoint, &t.creds)?));
    }
    if let Some(p) = &t.proxy {
        let proxy =
            reqwest::Proxy::all(p).map_err(|e| CliError::usage(format!("--proxy {p}: {e}")))?;
        b = b.proxy(proxy);
    }
    b.build().map_err(CliError::from)
}

/// `--url` xor `BUCKET KEY`.
fn target(
    url: &Option<String>,
    bucket: &Option<String>,
    key: &Option<String>,
) -> Result<Option<(String, String)>, CliError> {
    match (url, bucket, key) {
        (Some(_), None, None) => Ok(None),
        (Some(_), _, _) => Err(CliError::usage("give either --url or BUCKET KEY, not both")),
        (None, Some(b), Some(k)) => Ok(Some((b.clone(), k.clone()))),
        (None, _, _) => Err(CliError::usage(
            "give --url URL (a pre-signed URL) or BUCKET KEY (with credentials)",
        )),
    }
}

fn put(a: &PutArgs) -> Result<ExitCode, CliError> {
    let t = &a.transfer;
    let target = target(&t.url, &a.bucket, &a.key)?;
    if !a.file.is_file() {
        return Err(CliError::usage(format!(
            "{}: not a readable file",
            a.file.display()
        )));
    }
    let client = transfer_client(t, target.is_some())?;
    let rt = runtime()?;
    let mut bar = progress::Bar::new("upload", !t.no_progress);
    let out = rt.block_on(async {
        match (&target, &t.url) {
            (Some((b, k)), _) => {
                client
                    .bucket(b.as_str())
                    .upload_file(
                        k,
                        &a.file,
                        TransferOptions::new().progress(|d, n| bar.update(d, n)),
                    )
                    .await
            }
            (None, Some(url)) => {
                client
                    .upload_presigned(
                        url,
                        &a.file,
                        TransferOptions::new().progress(|d, n| bar.update(d, n)),
                    )
                    .await
            }
            (None, None) => unreachable!("target() checked"),
        }
    });
    bar.finish();
    let out = out?;
    println!(
        "uploaded {} ({} bytes), ETag {}",
        a.file.display(),
        out.bytes,
        out.meta.etag.as_deref().unwrap_or("-")
    );
    Ok(ExitCode::SUCCESS)
}

fn get(a: &GetArgs) -> Result<ExitCode, CliError> {
    let t = &a.transfer;
    let target = target(&t.url, &a.bucket, &a.key)?;
    check_output(&a.output)?;
    let client = transfer_client(t, target.is_some())?;
    let rt = runtime()?;
    let mut bar = progress::Bar::new("download", !t.no_progress);
    let out = rt.block_on(async {
        let transfer = async {
            match (&target, &t.url) {
                (Some((b, k)), _) => {
                    client
                        .bucket(b.as_str())
                        .download_file(
                            k,
                            &a.output,
                            TransferOptions::new().progress(|d, n| bar.update(d, n)),
                        )
                        .await
                }
                (None, Some(url)) => {
                    client
                        .download_presigned(
                            url,
                            &a.output,
                            TransferOptions::new().progress(|d, n| bar.update(d, n)),
                        )
                        .await
                }
                (None, None) => unreachable!("target() checked"),
            }
        };
        // Ctrl-C drops the transfer, which removes its temporary file.
        tokio::select! {
            out = transfer => Some(out),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    let Some(out) = out else {
        bar.finish();
        eprintln!(
            "cos-sign: interrupted; nothing written to {}",
            a.output.display()
        );
        return Ok(ExitCode::from(130));
    };
    bar.finish();
    let out = out?;
    println!(
        "downloaded {} bytes to {}, MD5 {}{}",
        out.bytes,
        a.output.display(),
        out.md5,
        if out.md5_checked {
            " (matches the ETag)"
        } else {
            ""
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn check_output(p: &Path) -> Result<(), CliError> {
    if p.is_dir() {
        return Err(CliError::usage(format!(
            "{}: is a folder; give a file name",
            p.display()
        )));
    }
    let parent = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(CliError::usage(format!(
            "{}: the folder does not exist",
            parent.display()
        )));
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Presign(a) => presign(a),
        Command::Auth(a) => auth(a),
        Command::Verify(a) => verify::run(a),
        Command::Serve(a) => serve(a),
        Command::Put(a) => put(a),
        Command::Get(a) => get(a),
        Command::Demo(a) => demo::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("cos-sign: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}
