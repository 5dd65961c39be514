//! `cos-sign put` and `cos-sign get`, with the caller's headers, through a pre-signed URL or
//! signed with the credentials; files or standard input/output.
//!
//! With credentials, a file goes through the client layer's [`Bucket::upload_file`] and
//! [`Bucket::download_file`]: multipart upload and parallel ranged download above the
//! multipart threshold (`--part-size`, `--concurrency`, `--multipart-threshold`). A
//! pre-signed URL, a download to standard output, or a GET with `-H` or `--content-type` is
//! one request.
//!
//! [`Bucket::upload_file`]: cos_sign_http::Bucket::upload_file
//! [`Bucket::download_file`]: cos_sign_http::Bucket::download_file

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use clap::Args;
use cos_sign_http::transfer::{MAX_PART_SIZE, MIN_PART_SIZE, OutputFile};
use cos_sign_http::{Bucket, Client, DownloadOutput, TransferOptions, UploadOutput};
use md5::{Digest, Md5};
use reqwest::{Method, Url};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::filter::FilterArgs;
use crate::folder::{Place, Placement, files_below};
use crate::progress::Bar;
use crate::remote::{PagesError, cos_client};
use crate::target::{PROXY_HTTPS_HINT, bucket_key, cos_uri, is_sensitive, redact_url};
use crate::{CliError, CredArgs, EndpointArgs, parse_header, parse_param};

/// Upload chunk size.
const CHUNK: usize = 256 * 1024;
/// The longest wait for the next bytes of an answer.
const READ_IDLE: Duration = Duration::from_secs(60);
/// The whole-request limit of a transfer through a pre-signed URL (one request, however
/// big): 10 minutes, plus a second for each 64 KiB of a body sent. A download has no size to
/// go by: a day, with [`SLOWEST`] and [`READ_IDLE`] giving up on a stalled or trickling one.
fn url_deadline(req: &reqwest::Request) -> Duration {
    let sent = req
        .headers()
        .get(reqwest::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match sent {
        Some(len) => Duration::from_secs(600_u64.saturating_add(len / (64 * 1024))),
        None => Duration::from_secs(24 * 3600),
    }
}

/// The most parts or ranges in flight that `--concurrency` accepts.
const MAX_CONCURRENCY: usize = 64;

/// A size: bytes, or with a K, M or G suffix (KiB, MiB, GiB; `k`, `KB`, `KiB` alike).
pub(crate) fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let (num, unit) = t.split_at(digits);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?}: a size in bytes, e.g. 1048576, 8M or 1GiB"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => {
            return Err(format!(
                "{s:?}: unknown unit; use K, M or G (powers of 1024)"
            ));
        }
    };
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("{s:?}: too large"))
}

fn parse_part_size(s: &str) -> Result<u64, String> {
    let n = parse_size(s)?;
    if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&n) {
        return Err(format!(
            "{s:?}: a part is at least 1 MiB and at most 5 GiB (COS's limits)"
        ));
    }
    Ok(n)
}

fn parse_concurrency(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_CONCURRENCY).contains(&n) => Ok(n),
        _ => Err(format!("{s:?}: a whole number from 1 to {MAX_CONCURRENCY}")),
    }
}

/// How big files move with credentials.
#[derive(Args, Debug)]
pub(crate) struct PartArgs {
    /// Part size of a multipart upload, and range size of a parallel download (with
    /// credentials), e.g. 8M [default: 16M; 1M to 5G].
    #[arg(long, value_name = "SIZE", allow_negative_numbers = true, value_parser = parse_part_size)]
    part_size: Option<u64>,
    /// Parts or ranges in flight at once (with credentials) [default: 4; 1 to 64].
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_concurrency)]
    concurrency: Option<usize>,
    /// Files larger than this go multipart, or are downloaded by ranges (with
    /// credentials), e.g. 100M [default: 64M].
    #[arg(long, value_name = "SIZE", allow_negative_numbers = true, value_parser = parse_size)]
    multipart_threshold: Option<u64>,
}

impl PartArgs {
    fn given(&self) -> bool {
        self.part_size.is_some() || self.concurrency.is_some() || self.multipart_threshold.is_some()
    }

    fn options<'a>(&self) -> TransferOptions<'a> {
        let mut o = TransferOptions::new();
        if let Some(n) = self.part_size {
            o = o.part_size(n);
        }
        if let Some(n) = self.concurrency {
            o = o.concurrency(n);
        }
        if let Some(n) = self.multipart_threshold {
            o = o.multipart_threshold(n);
        }
        o
    }
}

/// How to reach COS for put/get.
#[derive(Args, Debug)]
pub(crate) struct TransferArgs {
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
    parts: PartArgs,
    #[command(flatten)]
    endpoint: EndpointArgs,
    #[command(flatten)]
    creds: CredArgs,
}

/// What an upload sends besides the bytes: headers, the type, metadata.
#[derive(Args, Debug)]
pub(crate) struct HeaderArgs {
    /// A request header, 'Name: value' (repeatable; Content-Type, Content-MD5, x-cos-* and
    /// the other allow-listed headers are signed).
    #[arg(short = 'H', long = "header", value_name = "NAME:VALUE", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// The object's Content-Type (default: guessed from the file's extension, or the key's
    /// when reading standard input).
    #[arg(long, value_name = "TYPE")]
    content_type: Option<String>,
    /// User metadata, sent as the header x-cos-meta-NAME: VALUE (repeatable).
    #[arg(long = "meta", value_name = "NAME=VALUE", value_parser = parse_param)]
    meta: Vec<(String, String)>,
}

impl HeaderArgs {
    /// Whether any was given.
    pub(crate) fn given(&self) -> bool {
        !self.headers.is_empty() || self.content_type.is_some() || !self.meta.is_empty()
    }

    /// Whether the metadata `name` is given, as `--meta NAME=...` or `-H 'x-cos-meta-NAME: ...'`
    /// (ASCII case aside).
    pub(crate) fn has_meta(&self, name: &str) -> bool {
        let header = format!("x-cos-meta-{name}");
        self.meta.iter().any(|(k, _)| k.eq_ignore_ascii_case(name))
            || self
                .headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case(&header))
    }
}

#[derive(Args, Debug)]
pub(crate) struct PutArgs {
    /// The file to upload (`-`: standard input).
    file: PathBuf,
    /// Bucket, or cos://BUCKET/KEY (with credentials; not with --url).
    #[arg(value_name = "BUCKET|cos://BUCKET/KEY")]
    bucket: Option<String>,
    /// Object key (with credentials; not with --url or cos://).
    key: Option<String>,
    #[command(flatten)]
    send: HeaderArgs,
    /// FILE is a folder: every file under it, each to PREFIX + its path below the folder
    /// (BUCKET PREFIX or cos://BUCKET/PREFIX).
    #[arg(short, long)]
    recursive: bool,
    #[command(flatten)]
    filter: FilterArgs,
    #[command(flatten)]
    transfer: TransferArgs,
}

#[derive(Args, Debug)]
pub(crate) struct GetArgs {
    /// Bucket, or cos://BUCKET/KEY (with credentials; not with --url).
    #[arg(value_name = "BUCKET|cos://BUCKET/KEY")]
    bucket: Option<String>,
    /// Object key (with credentials; not with --url or cos://).
    key: Option<String>,
    /// Where to write the object (`-`: standard output).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// A request header, 'Name: value' (repeatable; e.g. 'Range: bytes=0-99'; allow-listed
    /// headers are signed).
    #[arg(short = 'H', long = "header", value_name = "NAME:VALUE", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// Ask COS to answer with this Content-Type (the signed response-content-type param;
    /// with credentials, or pre-sign it into the URL with --param).
    #[arg(long, value_name = "TYPE")]
    content_type: Option<String>,
    /// Every object under a prefix (BUCKET PREFIX or cos://BUCKET/PREFIX) into the folder
    /// -o DIR, each at its key's path below the prefix.
    #[arg(short, long)]
    recursive: bool,
    #[command(flatten)]
    filter: FilterArgs,
    #[command(flatten)]
    transfer: TransferArgs,
}

/// What a transfer is aimed at.
#[derive(Debug)]
enum Target {
    Url(Url),
    Object { bucket: String, key: String },
}

impl Target {
    fn resolve(
        t: &TransferArgs,
        bucket: Option<&str>,
        key: Option<&str>,
    ) -> Result<Self, CliError> {
        match (&t.url, bucket) {
            (Some(_), Some(_)) => Err(CliError::usage("give either --url or BUCKET KEY, not both")),
            (Some(_), None) if t.parts.given() => Err(CliError::usage(
                "--part-size, --concurrency and --multipart-threshold need credentials \
                 (BUCKET KEY); a pre-signed URL is one request",
            )),
            (Some(u), None) => {
                let url =
                    Url::parse(u).map_err(|e| CliError::usage(format!("--url: bad URL: {e}")))?;
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(CliError::usage("--url: http or https expected"));
                }
                Ok(Target::Url(url))
            }
            (None, Some(b)) => {
                let (bucket, key) = bucket_key(b, key)?;
                Ok(Target::Object { bucket, key })
            }
            (None, None) => Err(CliError::usage(
                "give --url URL (a pre-signed URL) or BUCKET KEY / cos://BUCKET/KEY (with credentials)",
            )),
        }
    }

    fn is_https(&self, t: &TransferArgs) -> bool {
        match self {
            Target::Url(u) => u.scheme() == "https",
            Target::Object { .. } => t.endpoint.scheme == "https",
        }
    }

    /// The name the content type is guessed from when the data has none (stdin).
    fn name(&self) -> String {
        match self {
            Target::Url(u) => u.path().rsplit('/').next().unwrap_or("").to_owned(),
            Target::Object { key, .. } => key.clone(),
        }
    }

    /// The headers a pre-signed URL signs (lowercase), besides host.
    fn signed_headers(&self) -> Vec<String> {
        let Target::Url(u) = self else {
            return Vec::new();
        };
        u.query_pairs()
            .find(|(k, _)| k == "q-header-list")
            .map(|(_, v)| {
                v.split(';')
                    .filter(|h| !h.is_empty() && *h != "host")
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A client, with a signer when the target is an object (credentials needed).
fn client(t: &TransferArgs, target: &Target) -> Result<Client, CliError> {
    let bucket = match target {
        Target::Object { bucket, .. } => Some(bucket.as_str()),
        Target::Url(_) => None,
    };
    cos_client(&t.endpoint, &t.creds, bucket, t.proxy.as_deref())
}

/// The request for `method` on `target` (not yet signed), with `params` appended.
fn request(
    client: &Client,
    method: Method,
    target: &Target,
    headers: &[(String, String)],
    params: &[(String, String)],
) -> Result<reqwest::RequestBuilder, CliError> {
    let mut req = match target {
        Target::Url(u) => client.http().request(method.clone(), u.clone()),
        Target::Object { bucket, key } => {
            let cos_method: cos_sign_http::Method = method
                .as_str()
                .parse()
                .map_err(|e| CliError::usage(format!("{e}")))?;
            client.object_request(cos_method, bucket, key)?
        }
    };
    if !params.is_empty() {
        req = req.query(params);
    }
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    Ok(req)
}

/// Logs a request without its secrets.
/// Logs the answer of a whole upload or download started at `$start`: `$field` (`parts`,
/// `ranges`) = `$n`, how many pieces it went in (0: one plain request), the time, the
/// request id of `$meta`. Gives the summary's note of them (`$sep N parts`; empty for 0).
macro_rules! transfer_done {
    ($field:ident = $n:expr, $sep:literal, $start:expr, $meta:expr) => {{
        let n = $n;
        tracing::info!(
            $field = n,
            ms = $start.elapsed().as_millis() as u64,
            request_id = $meta.request_id.as_deref().unwrap_or("-"),
            "response"
        );
        // "1 part", "3 parts"
        let word = stringify!($field);
        let word = if n == 1 {
            word.strip_suffix('s').unwrap_or(word)
        } else {
            word
        };
        if n > 0 {
            format!(concat!($sep, "{} {}"), n, word)
        } else {
            String::new()
        }
    }};
}

fn log_request(req: &reqwest::Request, signed_by_client: bool) {
    tracing::info!(
        method = %req.method(),
        url = %redact_url(req.url().as_str()),
        signing = if signed_by_client { "credentials" } else { "pre-signed URL" },
        "request"
    );
    for (k, v) in req.headers() {
        let v = if is_sensitive(k.as_str()) {
            "REDACTED"
        } else {
            v.to_str().unwrap_or("(not text)")
        };
        tracing::debug!(header = %k, value = %v, "request header");
    }
}

/// Sends `req`: signed by the client for an object, as it is for a URL (with
/// [`url_deadline`]). An answer ≥ 400 becomes the COS error, a redirect or another status
/// outside 2xx an unexpected answer.
async fn send(
    client: &Client,
    target: &Target,
    req: reqwest::Request,
) -> Result<reqwest::Response, CliError> {
    let object = matches!(target, Target::Object { .. });
    log_request(&req, object);
    let start = Instant::now();
    let resp = if object {
        client.execute(req).await?
    } else {
        let mut req = req;
        if req.timeout().is_none() {
            *req.timeout_mut() = Some(url_deadline(&req));
        }
        client.execute_unsigned(req).await?
    };
    tracing::info!(
        status = resp.status().as_u16(),
        ms = start.elapsed().as_millis() as u64,
        request_id = resp
            .headers()
            .get("x-cos-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-"),
        "response"
    );
    Ok(resp)
}

/// Adds the `--proxy` hint to a failed exchange sent over https through a proxy.
fn with_hint(e: CliError, t: &TransferArgs, target: &Target) -> CliError {
    if t.proxy.is_some() && target.is_https(t) && e.http {
        CliError {
            message: format!("{}\n{PROXY_HTTPS_HINT}", e.message),
            ..e
        }
    } else {
        e
    }
}

/// A file as a stream of chunks, counting the bytes read in `done`.
fn file_stream(
    file: tokio::fs::File,
    done: Arc<AtomicU64>,
) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    futures_util::stream::try_unfold((file, done), |(mut f, done)| async move {
        let mut buf = BytesMut::with_capacity(CHUNK);
        while buf.len() < CHUNK {
            if f.read_buf(&mut buf).await? == 0 {
                break;
            }
        }
        if buf.is_empty() {
            return Ok(None);
        }
        done.fetch_add(buf.len() as u64, Ordering::Relaxed);
        Ok(Some((buf.freeze(), (f, done))))
    })
}

/// A stream (standard input, or a named pipe such as `<(command)`) copied into a temporary
/// file, as COS needs the length before the body; `what` names it in errors.
fn spool(mut from: impl std::io::Read, what: &str) -> Result<tempfile::NamedTempFile, CliError> {
    let mut tmp = tempfile::NamedTempFile::new()
        .map_err(|e| CliError::fail(format!("cannot create a temporary file for {what}: {e}")))?;
    let n = std::io::copy(&mut from, tmp.as_file_mut())
        .map_err(|e| CliError::fail(format!("cannot read {what}: {e}")))?;
    tracing::debug!(bytes = n, from = what, "spooled to a temporary file");
    Ok(tmp)
}

/// Whether `path` is a named pipe (after links: `<(command)` gives `/dev/fd/N`).
fn is_pipe(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

/// The headers of an upload: `-H`, `--content-type` (or the guess from `name`'s extension),
/// `--meta`; a name given twice is a usage error.
fn put_headers(
    a: &HeaderArgs,
    target: &Target,
    name: &str,
) -> Result<Vec<(String, String)>, CliError> {
    let mut headers = a.headers.clone();
    let given = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.clone());
    match (&a.content_type, given) {
        (Some(ct), Some(h)) if *ct != h => {
            return Err(CliError::usage(format!(
                "--content-type {ct:?} and -H 'Content-Type: {h}' disagree; give one"
            )));
        }
        (Some(ct), None) => headers.push(("Content-Type".to_owned(), ct.clone())),
        (Some(_), Some(_)) => {}
        (None, Some(_)) => {}
        (None, None) => {
            if let Some(ct) = mime_guess::from_path(name).first_raw() {
                tracing::info!(content_type = ct, from = %name, "Content-Type guessed from the extension");
                headers.push(("Content-Type".to_owned(), ct.to_owned()));
                if target.signed_headers().iter().any(|h| h == "content-type") {
                    crate::warn(&format!(
                        "the URL signs content-type; sending the guess {ct:?}: if it was pre-signed \
                         with another value, give that with -H 'Content-Type: ...'"
                    ));
                }
            }
        }
    }
    for (k, v) in &a.meta {
        if !k
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(CliError::usage(format!(
                "--meta {k:?}: letters, digits, - and _ only in a metadata name"
            )));
        }
        headers.push((format!("x-cos-meta-{k}"), v.clone()));
    }
    crate::check_unique("header", &headers)?;
    let missing: Vec<String> = target
        .signed_headers()
        .into_iter()
        .filter(|s| !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(s)))
        .collect();
    if !missing.is_empty() {
        crate::warn(&format!(
            "the URL signs the header(s) {}: give each with -H 'Name: value', with the value \
             used when pre-signing, or COS answers SignatureDoesNotMatch",
            missing.join(", ")
        ));
    }
    Ok(headers)
}

/// The upload's [`TransferOptions`]: the part flags, and the headers of [`put_headers`]
/// (`Content-Type` and `x-cos-meta-*` as such, the others as headers).
fn upload_options<'a>(parts: &PartArgs, headers: &[(String, String)]) -> TransferOptions<'a> {
    let mut o = parts.options();
    for (k, v) in headers {
        let lower = k.to_ascii_lowercase();
        o = if lower == "content-type" {
            o.content_type(v.as_str())
        } else if let Some(name) = lower.strip_prefix("x-cos-meta-") {
            o.metadata(name, v.as_str())
        } else {
            o.header(k.as_str(), v.as_str())
        };
    }
    o
}

/// Runs `fut` while redrawing `bar` from `done` every 100 ms.
async fn with_bar<T>(
    fut: impl std::future::Future<Output = T>,
    done: &AtomicU64,
    total: Option<u64>,
    bar: &mut Bar,
) -> T {
    tokio::pin!(fut);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tokio::select! {
            out = &mut fut => {
                bar.update(done.load(Ordering::Relaxed), total);
                return out;
            }
            _ = tick.tick() => bar.update(done.load(Ordering::Relaxed), total),
        }
    }
}

pub(crate) fn put(a: &PutArgs) -> Result<ExitCode, CliError> {
    if a.recursive {
        return put_tree(a);
    }
    a.filter.only_with_recursive()?;
    let t = &a.transfer;
    let target = Target::resolve(t, a.bucket.as_deref(), a.key.as_deref())?;
    let from_stdin = a.file.as_os_str() == "-";
    let from_pipe = !from_stdin && is_pipe(&a.file);
    if !from_stdin && !from_pipe && !a.file.is_file() {
        return Err(CliError::usage(format!(
            "{}: not a readable file",
            a.file.display()
        )));
    }
    // A stream has no name to guess a Content-Type from: the key's is used.
    let name = if from_stdin || from_pipe {
        target.name()
    } else {
        a.file.to_string_lossy().into_owned()
    };
    let headers = put_headers(&a.send, &target, &name)?;
    let client = client(t, &target)?;
    let spooled = if from_stdin {
        Some(spool(std::io::stdin().lock(), "standard input")?)
    } else if from_pipe {
        let what = a.file.display().to_string();
        let pipe = std::fs::File::open(&a.file)
            .map_err(|e| CliError::fail(format!("cannot read {what}: {e}")))?;
        Some(spool(pipe, &what)?)
    } else {
        None
    };
    let path: &Path = spooled.as_ref().map_or(a.file.as_path(), |s| s.path());
    let len = std::fs::metadata(path)
        .map_err(|e| CliError::usage(format!("{}: {e}", a.file.display())))?
        .len();
    let rt = crate::runtime()?;
    let mut bar = Bar::new("upload", !t.no_progress);
    let what = if from_stdin {
        "standard input".into()
    } else {
        a.file.display().to_string()
    };
    if let Target::Object { bucket, key } = &target {
        let opts = upload_options(&t.parts, &headers);
        tracing::info!(method = "PUT", %bucket, %key, bytes = len, ?opts, "upload_file");
        let start = Instant::now();
        let out = rt.block_on(client.bucket(bucket.as_str()).upload_file(
            key,
            path,
            opts.progress(|d, total| bar.update(d, total)),
        ));
        bar.finish();
        let up = out.map_err(|e| with_hint(CliError::from(e), t, &target))?;
        let parts = transfer_done!(parts = up.parts, ", ", start, up.meta);
        say!(
            "uploaded {what} ({} bytes{parts}), ETag {}",
            up.bytes,
            up.meta.etag.as_deref().unwrap_or("-")
        );
        return Ok(ExitCode::SUCCESS);
    }
    let done = Arc::new(AtomicU64::new(0));
    let out = rt.block_on(async {
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|e| CliError::fail(format!("{}: {e}", a.file.display())))?;
        let body = reqwest::Body::wrap_stream(file_stream(file, done.clone()));
        let req = request(&client, Method::PUT, &target, &headers, &[])?
            .header(reqwest::header::CONTENT_LENGTH, len)
            .body(body)
            .build()
            .map_err(|e| {
                CliError::usage(format!("cannot build the request: {}", e.without_url()))
            })?;
        with_bar(send(&client, &target, req), &done, Some(len), &mut bar).await
    });
    bar.finish();
    let resp = out.map_err(|e| with_hint(e, t, &target))?;
    let etag = resp
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(|e| e.trim_matches('"').to_owned());
    say!(
        "uploaded {what} ({len} bytes), ETag {}",
        etag.as_deref().unwrap_or("-")
    );
    Ok(ExitCode::SUCCESS)
}

/// The least a transfer moves in each [`READ_IDLE`]: a server that trickles a few bytes at a
/// time (which no idle timeout catches) is given up on, as curl's `--speed-limit` does.
const SLOWEST: usize = 1024;

/// Bytes received in the current [`READ_IDLE`] window.
struct Pace {
    since: Instant,
    bytes: usize,
}

impl Pace {
    fn new() -> Self {
        Self {
            since: Instant::now(),
            bytes: 0,
        }
    }

    /// Counts `n` bytes; fails when a whole window passed with fewer than [`SLOWEST`].
    fn check(&mut self, n: usize) -> Result<(), CliError> {
        self.check_at(Instant::now(), n)
    }

    fn check_at(&mut self, now: Instant, n: usize) -> Result<(), CliError> {
        self.bytes = self.bytes.saturating_add(n);
        if now.saturating_duration_since(self.since) < READ_IDLE {
            return Ok(());
        }
        if self.bytes < SLOWEST {
            return Err(CliError::fail(format!(
                "less than {SLOWEST} bytes in {} s ({} bytes); giving up",
                READ_IDLE.as_secs(),
                self.bytes
            )));
        }
        *self = Self {
            since: now,
            bytes: 0,
        };
        Ok(())
    }
}

/// Where a download goes.
enum Sink {
    Stdout(tokio::io::Stdout),
    File(OutputFile, tokio::fs::File),
}

/// What a download got.
#[derive(Debug)]
struct Got {
    bytes: u64,
    md5: String,
    md5_checked: bool,
    content_type: Option<String>,
    meta: Vec<(String, String)>,
}

pub(crate) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

async fn download(
    client: &Client,
    target: &Target,
    a: &GetArgs,
    to_stdout: bool,
    bar: &mut Bar,
) -> Result<Got, CliError> {
    let mut params = Vec::new();
    if let Some(ct) = &a.content_type {
        params.push(("response-content-type".to_owned(), ct.clone()));
    }
    let req = request(client, Method::GET, target, &a.headers, &params)?
        .build()
        .map_err(|e| CliError::usage(format!("cannot build the request: {}", e.without_url())))?;
    let mut resp = send(client, target, req).await?;
    let header = |n: &str| {
        resp.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let total = header("content-length").and_then(|v| v.parse::<u64>().ok());
    let etag = header("etag").map(|e| e.trim_matches('"').to_ascii_lowercase());
    let cos_crc = header("x-cos-hash-crc64ecma");
    let content_type = header("content-type");
    let meta: Vec<(String, String)> = resp
        .headers()
        .iter()
        .filter(|(k, _)| k.as_str().starts_with("x-cos-meta-"))
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                v.to_str().unwrap_or("(not text)").to_owned(),
            )
        })
        .collect();
    let ranged = a
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("range"));
    cos_sign_http::check_get(&resp, ranged)?;
    let whole = resp.status().as_u16() == 200;
    let mut sink = if to_stdout {
        Sink::Stdout(tokio::io::stdout())
    } else {
        let out = OutputFile::new(&a.output);
        let f = out
            .create()
            .await
            .map_err(|e| CliError::fail(format!("cannot create a temporary file: {e}")))?;
        Sink::File(out, f)
    };
    let mut md5 = Md5::new();
    let mut crc = cos_sign_core::crc64::Crc64::new();
    let mut n = 0u64;
    let write_err =
        |e: std::io::Error| CliError::fail(format!("cannot write {}: {e}", a.output.display()));
    let mut pace = Pace::new();
    loop {
        let chunk = tokio::time::timeout(READ_IDLE, resp.chunk())
            .await
            .map_err(|_| {
                CliError::fail(format!("no data for {} s; giving up", READ_IDLE.as_secs()))
            })?
            .map_err(|e| CliError::from(cos_sign_http::ClientError::Http(e.without_url())))?;
        let Some(chunk) = chunk else { break };
        pace.check(chunk.len())?;
        md5.update(&chunk);
        crc.update(&chunk);
        n += chunk.len() as u64;
        match &mut sink {
            Sink::Stdout(o) => o
                .write_all(&chunk)
                .await
                .map_err(|e| CliError::stdout(&e))?,
            Sink::File(_, f) => f.write_all(&chunk).await.map_err(write_err)?,
        }
        bar.update(n, total);
    }
    let md5 = hex(&md5.finalize());
    let md5_etag =
        etag.filter(|e| whole && e.len() == 32 && e.bytes().all(|b| b.is_ascii_hexdigit()));
    if let Some(e) = &md5_etag
        && *e != md5
    {
        return Err(CliError::fail(format!(
            "the bytes received do not match the object's ETag: MD5 {md5}, ETag {e}{}",
            if to_stdout {
                " (they were written to standard output)"
            } else {
                "; nothing written"
            }
        )));
    }
    // COS's CRC-64 is the whole object's: checked on a 200 only. A value that is not a
    // number is a mismatch (it cannot vouch for the bytes).
    if let Some(c) = cos_crc.filter(|_| whole)
        && c.parse::<u64>().ok() != Some(crc.value())
    {
        return Err(CliError::fail(format!(
            "the bytes received do not match the object's CRC-64: CRC-64 {}, \
             x-cos-hash-crc64ecma {c}{}",
            crc.value(),
            if to_stdout {
                " (they were written to standard output)"
            } else {
                "; nothing written"
            }
        )));
    }
    match sink {
        Sink::Stdout(mut o) => o.flush().await.map_err(|e| CliError::stdout(&e))?,
        Sink::File(out, mut f) => {
            f.flush().await.map_err(write_err)?;
            f.sync_all().await.map_err(write_err)?;
            drop(f);
            out.persist().await.map_err(CliError::from)?;
        }
    }
    Ok(Got {
        bytes: n,
        md5,
        md5_checked: md5_etag.is_some(),
        content_type,
        meta,
    })
}

pub(crate) fn get(a: &GetArgs) -> Result<ExitCode, CliError> {
    if a.recursive {
        return get_tree(a);
    }
    a.filter.only_with_recursive()?;
    let t = &a.transfer;
    let target = Target::resolve(t, a.bucket.as_deref(), a.key.as_deref())?;
    let to_stdout = a.output.as_os_str() == "-";
    crate::check_unique("header", &a.headers)?;
    if !to_stdout {
        check_output(&a.output)?;
    }
    if a.content_type.is_some() && matches!(target, Target::Url(_)) {
        return Err(CliError::usage(
            "--content-type needs credentials (it adds a signed param); with a pre-signed URL, \
             sign it in: cos-sign presign ... --param response-content-type=TYPE",
        ));
    }
    let client = client(t, &target)?;
    let rt = crate::runtime()?;
    let mut bar = Bar::new("download", !t.no_progress);
    let ranged_by_user = a
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("range"));
    if let Target::Object { bucket, key } = &target {
        if !to_stdout && a.content_type.is_none() && !ranged_by_user {
            return get_file(a, &client, bucket, key, &rt, bar);
        }
        if t.parts.given() {
            crate::warn(
                "--part-size, --concurrency and --multipart-threshold apply to a download to a \
                 file without Range or --content-type; this one is one request",
            );
        }
    }
    let out = interruptible(&rt, download(&client, &target, a, to_stdout, &mut bar));
    bar.finish();
    let out = match out {
        Ok(out) => out,
        Err(code) => return Ok(interrupted(&a.output, code)),
    };
    let got = out.map_err(|e| with_hint(e, t, &target))?;
    got.report("", to_stdout, &a.output);
    Ok(ExitCode::SUCCESS)
}

/// Runs a download until it ends, or until Ctrl-C, SIGTERM or SIGHUP (`Err` with the
/// signal's exit status, 128 + its number), which drops it: that removes its temporary file.
fn interruptible<T>(
    rt: &tokio::runtime::Runtime,
    transfer: impl std::future::Future<Output = T>,
) -> Result<T, u8> {
    rt.block_on(async {
        tokio::select! {
            out = transfer => Ok(out),
            _ = tokio::signal::ctrl_c() => Err(130),
            code = terminated() => Err(code),
        }
    })
}

/// The exit status of the first SIGTERM or SIGHUP (never, where they cannot be caught).
async fn terminated() -> u8 {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) {
            return tokio::select! {
                _ = term.recv() => 143,
                _ = hup.recv() => 129,
            };
        }
    }
    std::future::pending().await
}

/// Says a download was interrupted; exits with `code`.
fn interrupted(output: &Path, code: u8) -> ExitCode {
    esay!(
        "cos-sign: interrupted; nothing written to {}",
        output.display()
    );
    ExitCode::from(code)
}

impl Got {
    /// Says what was downloaded (`ranges`: how, e.g. ` in 3 ranges`), on stderr when the
    /// bytes went to standard output.
    fn report(&self, ranges: &str, to_stdout: bool, output: &Path) {
        let mut line = format!(
            "downloaded {} bytes{ranges} to {}, MD5 {}{}",
            self.bytes,
            if to_stdout {
                "standard output".into()
            } else {
                output.display().to_string()
            },
            self.md5,
            if self.md5_checked {
                " (matches the ETag)"
            } else {
                ""
            }
        );
        if let Some(ct) = &self.content_type {
            line.push_str(&format!("\n  Content-Type: {ct}"));
        }
        for (k, v) in &self.meta {
            line.push_str(&format!("\n  {k}: {v}"));
        }
        if to_stdout {
            esay!("{line}");
        } else {
            say!("{line}");
        }
    }
}

/// A download with credentials to a file, through [`Bucket::download_file`]: one GET up to
/// the threshold, parallel ranges above it.
///
/// [`Bucket::download_file`]: cos_sign_http::Bucket::download_file
fn get_file(
    a: &GetArgs,
    client: &Client,
    bucket: &str,
    key: &str,
    rt: &tokio::runtime::Runtime,
    mut bar: Bar,
) -> Result<ExitCode, CliError> {
    let t = &a.transfer;
    let mut opts = t.parts.options();
    for (k, v) in &a.headers {
        opts = opts.header(k.as_str(), v.as_str());
    }
    tracing::info!(method = "GET", %bucket, %key, ?opts, "download_file");
    let start = Instant::now();
    let b = client.bucket(bucket);
    let out = interruptible(
        rt,
        b.download_file(
            key,
            &a.output,
            opts.progress(|d, total| bar.update(d, total)),
        ),
    );
    bar.finish();
    let out = match out {
        Ok(out) => out,
        Err(code) => return Ok(interrupted(&a.output, code)),
    };
    let target = Target::Object {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
    };
    let got = out.map_err(|e| with_hint(CliError::from(e), t, &target))?;
    let ranges = transfer_done!(ranges = got.ranges, " in ", start, got.meta);
    Got {
        bytes: got.bytes,
        md5: got.md5,
        md5_checked: got.md5_checked,
        content_type: got.meta.content_type,
        meta: got
            .meta
            .metadata
            .into_iter()
            .map(|(k, v)| (format!("x-cos-meta-{k}"), v))
            .collect(),
    }
    .report(&ranges, false, &a.output);
    Ok(ExitCode::SUCCESS)
}

/// The bucket and prefix a folder is uploaded to (`put -r`, `sync`): `BUCKET [PREFIX]` or
/// `cos://BUCKET/PREFIX`, a `/` added to a prefix that lacks one (`photos`: `photos/a.jpg`).
pub(crate) fn upload_prefix(
    first: &str,
    second: Option<&str>,
) -> Result<(String, String), CliError> {
    let (bucket, prefix) = crate::target::bucket_prefix(first, second)?;
    if prefix.is_empty() || prefix.ends_with('/') {
        Ok((bucket, prefix))
    } else {
        Ok((bucket, format!("{prefix}/")))
    }
}

/// The uploads of a folder's files (`put -r`, `sync`): each file to the prefix + its path
/// below the folder, one `upload_file` each (multipart for a big one), with the `-H`,
/// `--meta` and `--content-type` given (else the type guessed per file) and the part flags.
pub(crate) struct FolderUpload<'a> {
    bucket: &'a Bucket,
    prefix: &'a str,
    rt: &'a tokio::runtime::Runtime,
    parts: &'a PartArgs,
    send: &'a HeaderArgs,
}

impl<'a> FolderUpload<'a> {
    /// The uploads to `prefix` (ending in `/`, or empty) of `bucket`.
    ///
    /// # Errors
    /// The headers disagree or repeat (a usage error, the same for every file).
    pub(crate) fn new(
        bucket: &'a Bucket,
        prefix: &'a str,
        rt: &'a tokio::runtime::Runtime,
        parts: &'a PartArgs,
        send: &'a HeaderArgs,
    ) -> Result<Self, CliError> {
        let up = Self {
            bucket,
            prefix,
            rt,
            parts,
            send,
        };
        put_headers(send, &up.target(String::new()), "")?;
        Ok(up)
    }

    /// The key of the file at `rel` below the folder.
    pub(crate) fn key(&self, rel: &str) -> String {
        format!("{}{rel}", self.prefix)
    }

    fn target(&self, key: String) -> Target {
        Target::Object {
            bucket: self.bucket.name().to_owned(),
            key,
        }
    }

    /// Uploads `path` (at `rel` below the folder) to its key, with `extra` headers besides
    /// the flags' ones. The outer `Err` is the exit status of a signal that stopped it.
    pub(crate) fn upload(
        &self,
        path: &Path,
        rel: &str,
        extra: &[(String, String)],
    ) -> Result<Result<UploadOutput, CliError>, u8> {
        let key = self.key(rel);
        let mut headers = match put_headers(self.send, &self.target(key.clone()), rel) {
            Ok(h) => h,
            Err(e) => return Ok(Err(e)),
        };
        headers.extend_from_slice(extra);
        let opts = upload_options(self.parts, &headers);
        interruptible(self.rt, self.bucket.upload_file(&key, path, opts))
            .map(|r| r.map_err(CliError::from))
    }
}

/// `put -r`: every file under the folder FILE to `PREFIX/<its path below the folder>` (see
/// [`FolderUpload`]); a failed file does not stop the others (exit 1 at the end), and
/// entries that are skipped (see [`crate::folder::Tree`]) give exit [`crate::SKIPPED`].
fn put_tree(a: &PutArgs) -> Result<ExitCode, CliError> {
    let t = &a.transfer;
    if t.url.is_some() {
        return Err(CliError::usage(
            "-r uploads a folder with credentials: give BUCKET PREFIX or cos://BUCKET/PREFIX, \
             not --url",
        ));
    }
    if !a.file.is_dir() {
        return Err(CliError::usage(format!(
            "{}: not a folder (-r uploads the files of a folder)",
            a.file.display()
        )));
    }
    let first = a
        .bucket
        .as_deref()
        .ok_or_else(|| CliError::usage("-r needs BUCKET [PREFIX] or cos://BUCKET/PREFIX"))?;
    let (bucket, prefix) = upload_prefix(first, a.key.as_deref())?;
    let filters = a.filter.filters();
    let (files, skipped) = files_below(&a.file)?.admitted(|rel| filters.admits(rel));
    let client = cos_client(&t.endpoint, &t.creds, Some(&bucket), t.proxy.as_deref())?;
    let handle = client.bucket(bucket.as_str());
    let rt = crate::runtime()?;
    let up = FolderUpload::new(&handle, &prefix, &rt, &t.parts, &a.send)?;
    let (mut done, mut failed) = (0usize, 0usize);
    for (path, rel) in &files {
        match up.upload(path, rel, &[]) {
            Err(code) => {
                esay!("cos-sign: interrupted after {done} files");
                return Ok(ExitCode::from(code));
            }
            Ok(Ok(out)) => {
                done += 1;
                say!(
                    "uploaded {} to {} ({} bytes)",
                    crate::target::shown_path(path),
                    cos_uri(&bucket, &up.key(rel)),
                    out.bytes
                );
            }
            Ok(Err(e)) => {
                failed += 1;
                crate::warn(&format!("{}: {}", path.display(), e.message));
            }
        }
    }
    crate::ended_skipping(failed, skipped.len(), files.len(), "files not uploaded")
}

/// The downloads of the objects under a prefix into a folder (`get -r`, `sync`): each at
/// its place (see [`Placement`]), one `download_file` each (parallel ranges for a big one),
/// through a temporary file renamed into place.
pub(crate) struct FolderDownload<'a> {
    bucket: &'a Bucket,
    rt: &'a tokio::runtime::Runtime,
    parts: &'a PartArgs,
    /// Where each key goes.
    pub(crate) places: Placement,
}

impl<'a> FolderDownload<'a> {
    /// The downloads of the keys under `prefix` of `bucket` into the folder `dir`, created
    /// if missing.
    ///
    /// # Errors
    /// `dir` is something else than a folder, or cannot be created.
    pub(crate) fn new(
        bucket: &'a Bucket,
        prefix: &str,
        dir: &Path,
        rt: &'a tokio::runtime::Runtime,
        parts: &'a PartArgs,
    ) -> Result<Self, CliError> {
        if dir.exists() && !dir.is_dir() {
            return Err(CliError::usage(format!(
                "{}: not a folder (-r writes into a folder)",
                dir.display()
            )));
        }
        std::fs::create_dir_all(dir).map_err(|e| {
            CliError::fail(format!("{}: cannot create the folder: {e}", dir.display()))
        })?;
        Ok(Self {
            bucket,
            rt,
            parts,
            places: Placement::new(bucket.name(), dir, prefix),
        })
    }

    /// Downloads `key` to `path` (its place), creating its folder; never through a symbolic
    /// link below the folder, nor into something that is no regular file
    /// ([`unwritable_place`](crate::folder::unwritable_place)). The outer `Err` is the exit
    /// status of a signal that stopped it (the temporary file removed).
    pub(crate) fn download(
        &self,
        key: &str,
        path: &Path,
    ) -> Result<Result<DownloadOutput, CliError>, u8> {
        if let Some(why) = crate::folder::unwritable_place(self.places.dir(), path) {
            return Ok(Err(CliError::fail(why)));
        }
        if let Some(Err(e)) = path.parent().map(std::fs::create_dir_all) {
            return Ok(Err(CliError::fail(format!(
                "cannot create its folder: {e}"
            ))));
        }
        let got = interruptible(
            self.rt,
            self.bucket.download_file(key, path, self.parts.options()),
        );
        got.map(|r| r.map_err(CliError::from))
    }
}

/// `get -r`: every object under a prefix into the folder `-o DIR` (see [`FolderDownload`]).
/// A key with no place is skipped and counted as failed (a folder marker quietly, not
/// counted); a failed object does not stop the others (exit 1 at the end).
fn get_tree(a: &GetArgs) -> Result<ExitCode, CliError> {
    let t = &a.transfer;
    if t.url.is_some() {
        return Err(CliError::usage(
            "-r lists a bucket: give BUCKET PREFIX or cos://BUCKET/PREFIX, not --url",
        ));
    }
    if a.output.as_os_str() == "-" || !a.headers.is_empty() || a.content_type.is_some() {
        return Err(CliError::usage(
            "-r writes one file per object into the folder -o DIR; not with -o -, -H or \
             --content-type",
        ));
    }
    let first = a
        .bucket
        .as_deref()
        .ok_or_else(|| CliError::usage("-r needs BUCKET [PREFIX] or cos://BUCKET/PREFIX"))?;
    let (bucket, prefix) = crate::target::bucket_prefix(first, a.key.as_deref())?;
    let client = cos_client(&t.endpoint, &t.creds, Some(&bucket), t.proxy.as_deref())?;
    let handle = client.bucket(bucket.as_str());
    let rt = crate::runtime()?;
    let mut down = FolderDownload::new(&handle, &prefix, &a.output, &rt, &t.parts)?;
    let filters = a.filter.filters();
    let (mut done, mut failed) = (0usize, 0usize);
    let mut stopped: Option<u8> = None;
    let listed = crate::remote::pages(&rt, &handle, &prefix, None, |page| {
        for o in &page.objects {
            if !filters.admits_key(&prefix, &o.key) {
                continue;
            }
            let shown = cos_uri(&bucket, &o.key);
            let path = match down.places.place(&o.key) {
                Place::At(path) => path,
                Place::Marker => continue,
                Place::Skipped => {
                    failed += 1;
                    continue;
                }
            };
            match down.download(&o.key, &path) {
                Err(code) => {
                    stopped = Some(code);
                    return Err(CliError::fail("interrupted"));
                }
                Ok(Ok(got)) => {
                    done += 1;
                    say!(
                        "downloaded {shown} to {} ({} bytes)",
                        crate::target::shown_path(&path),
                        got.bytes
                    );
                }
                Ok(Err(e)) => {
                    failed += 1;
                    crate::warn(&format!("{shown}: {}", e.message));
                }
            }
        }
        Ok(())
    });
    if let Some(code) = stopped {
        esay!("cos-sign: interrupted after {done} objects; the one in progress was not written");
        return Ok(ExitCode::from(code));
    }
    let what = "objects not downloaded";
    match listed {
        Err(PagesError::Listing(e)) => Err(crate::stopped(e, failed, done + failed, what)),
        Err(PagesError::Each(e)) => Err(e),
        Ok(()) => crate::ended(failed, done + failed, what),
    }
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

#[cfg(test)]
mod tests {
    use super::{Pace, READ_IDLE, SLOWEST, parse_concurrency, parse_part_size, parse_size};

    /// A trickle (which no idle timeout catches) fails at the end of its first window; a
    /// slow but real transfer goes on, window after window.
    #[test]
    fn trickles_are_given_up_on() {
        let t0 = std::time::Instant::now();
        let at = |s: u64| t0 + std::time::Duration::from_secs(s);
        let mut p = Pace {
            since: t0,
            bytes: 0,
        };
        for s in 1..READ_IDLE.as_secs() {
            assert!(p.check_at(at(s), 1).is_ok());
        }
        let e = p.check_at(at(READ_IDLE.as_secs()), 1).unwrap_err();
        assert!(e.message.contains("giving up"), "{}", e.message);
        let mut p = Pace {
            since: t0,
            bytes: 0,
        };
        for w in 1..=3 {
            assert!(p.check_at(at(READ_IDLE.as_secs() * w - 1), SLOWEST).is_ok());
            assert!(p.check_at(at(READ_IDLE.as_secs() * w), 0).is_ok());
        }
        assert!(
            p.check_at(at(READ_IDLE.as_secs() * 4), SLOWEST - 1)
                .is_err()
        );
    }

    #[test]
    fn sizes_take_binary_suffixes_and_refuse_the_rest() {
        assert_eq!(parse_size("1048576"), Ok(1_048_576));
        assert_eq!(parse_size("2k"), Ok(2048));
        assert_eq!(parse_size("8M"), Ok(8 * 1024 * 1024));
        assert_eq!(parse_size("8 MiB"), Ok(8 * 1024 * 1024));
        assert_eq!(parse_size("1GB"), Ok(1024 * 1024 * 1024));
        for bad in ["", "M", "-1", "1.5M", "1T", "18446744073709551615G"] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_part_size("1M"), Ok(1 << 20));
        assert_eq!(parse_part_size("5G"), Ok(5 << 30));
        assert!(parse_part_size("1048575").is_err());
        assert!(parse_part_size("5121M").is_err());
        assert_eq!(parse_concurrency("64"), Ok(64));
        assert!(parse_concurrency("0").is_err() && parse_concurrency("x").is_err());
    }
}
