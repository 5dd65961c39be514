//! `cos-sign ls`: the objects of a bucket under a prefix, one level (folders as `PRE`) or
//! all of them, page after page of List Objects.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use cos_sign_http::{ListOptions, ListPage, ObjectSummary};

use crate::target::parse_cos_uri;
use crate::transfer::cos_client;
use crate::{CliError, CredArgs, EndpointArgs, OutputFormat};

#[derive(Args, Debug)]
pub(crate) struct LsArgs {
    /// Bucket, or cos://BUCKET/PREFIX.
    #[arg(value_name = "BUCKET|cos://BUCKET/PREFIX")]
    bucket: String,
    /// Only keys that start with this (not with cos://).
    prefix: Option<String>,
    /// Every key under the prefix; without it, one level, each folder shown once as PRE.
    #[arg(short, long)]
    recursive: bool,
    /// text: date, time, size and key a line; json: one JSON object a line.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    output: OutputFormat,
    /// Send requests through this HTTP proxy (e.g. the local server: http://127.0.0.1:9000).
    #[arg(long)]
    proxy: Option<String>,
    #[command(flatten)]
    endpoint: EndpointArgs,
    #[command(flatten)]
    creds: CredArgs,
}

/// The bucket and prefix of `BUCKET [PREFIX]` or `cos://BUCKET/PREFIX` (`cos://BUCKET`:
/// the whole bucket).
fn bucket_prefix(a: &LsArgs) -> Result<(String, String), CliError> {
    let Some(rest) = a.bucket.strip_prefix("cos://") else {
        return Ok((a.bucket.clone(), a.prefix.clone().unwrap_or_default()));
    };
    if let Some(p) = &a.prefix {
        return Err(CliError::usage(format!(
            "{:?} already names the prefix; drop the extra {p:?}",
            a.bucket
        )));
    }
    match rest.split_once('/') {
        None if !rest.is_empty() => Ok((rest.to_owned(), String::new())),
        Some((_, "")) => Ok((rest.trim_end_matches('/').to_owned(), String::new())),
        _ => parse_cos_uri(&a.bucket).unwrap_or_else(|| Err(CliError::usage("cos://BUCKET"))),
    }
}

pub(crate) fn run(a: &LsArgs) -> Result<ExitCode, CliError> {
    let (bucket, prefix) = bucket_prefix(a)?;
    let client = cos_client(&a.endpoint, &a.creds, Some(&bucket), a.proxy.as_deref())?;
    let bucket = client.bucket(bucket);
    let mut opts = ListOptions::new().prefix(prefix);
    if !a.recursive {
        opts = opts.delimiter("/");
    }
    let rt = crate::runtime()?;
    let mut out = std::io::stdout().lock();
    loop {
        let page: ListPage = rt.block_on(bucket.list_objects(&opts))?;
        write_page(&mut out, &page, a.output).map_err(|e| CliError::stdout(&e))?;
        match page.next_marker {
            Some(m) => opts = opts.marker(m),
            None => break,
        }
    }
    out.flush().map_err(|e| CliError::stdout(&e))?;
    Ok(ExitCode::SUCCESS)
}

/// One page: its common prefixes (`PRE`), then its objects. Keys in text are shown with
/// control characters escaped; JSON has them as they are.
fn write_page(out: &mut impl Write, page: &ListPage, format: OutputFormat) -> std::io::Result<()> {
    for p in &page.common_prefixes {
        match format {
            OutputFormat::Text => writeln!(out, "{:>30} {}", "PRE", p.escape_debug())?,
            OutputFormat::Json => writeln!(out, "{}", serde_json::json!({ "prefix": p }))?,
        }
    }
    for o in &page.objects {
        match format {
            OutputFormat::Text => {
                writeln!(out, "{} {:>10} {}", when(o), o.size, o.key.escape_debug())?
            }
            OutputFormat::Json => writeln!(
                out,
                "{}",
                serde_json::json!({
                    "key": o.key,
                    "size": o.size,
                    "etag": o.etag,
                    "last_modified": o.last_modified,
                    "storage_class": o.storage_class,
                })
            )?,
        }
    }
    Ok(())
}

/// `2024-01-02T03:04:05.000Z` as `2024-01-02 03:04:05` (UTC), 19 columns; another form as
/// it came.
fn when(o: &ObjectSummary) -> String {
    let t = o.last_modified.as_str();
    match t.get(..19) {
        Some(head) if t.get(10..11) == Some("T") => head.replacen('T', " ", 1),
        _ => format!("{t:19}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        ls: LsArgs,
    }

    fn parsed(args: &[&str]) -> Result<(String, String), CliError> {
        let mut argv = vec!["ls"];
        argv.extend_from_slice(args);
        bucket_prefix(&Cli::parse_from(argv).ls)
    }

    #[test]
    fn buckets_and_prefixes() {
        let b = "b-1250000000".to_owned();
        assert_eq!(
            parsed(&["b-1250000000"]).unwrap(),
            (b.clone(), String::new())
        );
        assert_eq!(
            parsed(&["b-1250000000", "logs/"]).unwrap(),
            (b.clone(), "logs/".to_owned())
        );
        assert_eq!(
            parsed(&["cos://b-1250000000"]).unwrap(),
            (b.clone(), String::new())
        );
        assert_eq!(
            parsed(&["cos://b-1250000000/"]).unwrap(),
            (b.clone(), String::new())
        );
        assert_eq!(
            parsed(&["cos://b-1250000000/a/b"]).unwrap(),
            (b.clone(), "a/b".to_owned())
        );
        assert!(parsed(&["cos://b-1250000000/a", "x"]).is_err());
        assert!(parsed(&["cos://"]).is_err());
        assert!(parsed(&["cos:///a"]).is_err());
    }

    #[test]
    fn text_lines() {
        let page = ListPage::default();
        let mut out = Vec::new();
        write_page(&mut out, &page, OutputFormat::Text).unwrap();
        assert!(out.is_empty());
        let o = ObjectSummary::default();
        assert_eq!(when(&o), " ".repeat(19));
    }
}
