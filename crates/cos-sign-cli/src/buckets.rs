//! Buckets themselves: `cos-sign mb` (PUT Bucket), `cos-sign rb` (DELETE Bucket; `--force`
//! deletes every object first with `rm -r`'s code and aborts every unfinished upload) and `cos-sign ls` without a bucket (GET
//! Service, page after page).

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use cos_sign_http::{BucketSummary, ListBucketsOptions};

use crate::filter::Filters;
use crate::list::{RM_LINES, Removal, remove_under};
use crate::remote::Remote;
use crate::target::parse_cos_uri;
use crate::uploads::abort_under;
use crate::{CliError, OutputFormat};

#[derive(Args, Debug)]
pub(crate) struct MbArgs {
    /// The bucket to create: cos://BUCKET (or BUCKET), `<name>-<appid>`.
    #[arg(value_name = "cos://BUCKET")]
    bucket: String,
    #[command(flatten)]
    remote: Remote,
}

#[derive(Args, Debug)]
pub(crate) struct RbArgs {
    /// The bucket to delete: cos://BUCKET (or BUCKET). It must be empty, unless --force.
    #[arg(value_name = "cos://BUCKET")]
    bucket: String,
    /// Delete every object of the bucket first (as rm -r does) and abort its unfinished
    /// multipart uploads, then the bucket.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    remote: Remote,
}

/// The bucket of `cos://BUCKET`, `cos://BUCKET/` or `BUCKET`; a key is refused.
fn bucket_name(s: &str) -> Result<String, CliError> {
    let name = match s.strip_prefix("cos://") {
        None => s,
        Some(rest) => match rest.split_once('/') {
            None => rest,
            Some((b, "")) => b,
            Some(_) => {
                // Parsed only to refuse it with the key named.
                let key = parse_cos_uri(s).and_then(Result::ok).map(|(_, k)| k);
                return Err(CliError::usage(format!(
                    "{s:?} names an object ({:?}); give the bucket alone: cos://BUCKET",
                    key.unwrap_or_default()
                )));
            }
        },
    };
    if name.is_empty() || name.contains('/') {
        return Err(CliError::usage(format!(
            "{s:?}: give a bucket, cos://BUCKET"
        )));
    }
    Ok(name.to_owned())
}

pub(crate) fn mb(a: &MbArgs) -> Result<ExitCode, CliError> {
    let name = bucket_name(&a.bucket)?;
    let bucket = a.remote.bucket(&name)?;
    crate::runtime()?.block_on(bucket.create_bucket())?;
    say!("created cos://{name}");
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn rb(a: &RbArgs) -> Result<ExitCode, CliError> {
    let name = bucket_name(&a.bucket)?;
    let (bucket, rt) = (a.remote.bucket(&name)?, crate::runtime()?);
    if a.force {
        let mut rm = Removal::new(&bucket, &rt, false, RM_LINES);
        remove_under(&rt, &bucket, "", &Filters::default(), &mut rm)?;
        let (tried, failed) = (rm.tried, rm.failed);
        drop(rm);
        // Past a failed delete too: what can go, goes.
        let aborts = abort_under(&rt, &bucket, "")?;
        esay!(
            "cos://{name}: {} of {tried} objects deleted, {} of {} unfinished uploads aborted",
            tried - failed,
            aborts.tried - aborts.failed,
            aborts.tried
        );
        if failed + aborts.failed > 0 {
            return Err(CliError::fail(format!(
                "{failed} of {tried} objects not deleted, {} of {} uploads not aborted; the bucket is kept",
                aborts.failed, aborts.tried
            )));
        }
    }
    rt.block_on(bucket.delete_bucket())?;
    say!("removed cos://{name}");
    Ok(ExitCode::SUCCESS)
}

/// `cos-sign ls` without a bucket: every bucket, a line (or JSON object) each.
pub(crate) fn ls(remote: &Remote, output: OutputFormat) -> Result<ExitCode, CliError> {
    let client = remote.service_client()?;
    let rt = crate::runtime()?;
    let mut out = std::io::stdout().lock();
    let mut opts = ListBucketsOptions::new();
    let mut marker: Option<String> = None;
    loop {
        let page = rt.block_on(client.list_buckets(&opts))?;
        for b in &page.buckets {
            write_bucket(&mut out, b, output).map_err(|e| CliError::stdout(&e))?;
        }
        match page.next_marker {
            // A marker that does not move on would list the same page forever.
            Some(m) if marker.as_ref().is_some_and(|last| m <= *last) => {
                return Err(CliError::fail(format!(
                    "the bucket list does not move on: the next page would start after {m:?} again"
                )));
            }
            Some(m) => {
                opts = opts.marker(m.clone());
                marker = Some(m);
            }
            None => break,
        }
    }
    out.flush().map_err(|e| CliError::stdout(&e))?;
    Ok(ExitCode::SUCCESS)
}

/// `DATE TIME REGION NAME` (UTC), or `{"name", "region", "creation_date", "bucket_type"}`.
fn write_bucket(
    out: &mut impl Write,
    b: &BucketSummary,
    format: OutputFormat,
) -> std::io::Result<()> {
    match format {
        OutputFormat::Text => {
            let t = crate::target::shown(&b.creation_date);
            let t = t.as_str();
            let when = match (t.get(..10), t.get(11..19)) {
                (Some(d), Some(h)) if t.get(10..11) == Some("T") => format!("{d} {h}"),
                _ => format!("{t:19}"),
            };
            writeln!(
                out,
                "{when} {:<16} {}",
                b.region.escape_debug(),
                b.name.escape_debug()
            )
        }
        OutputFormat::Json => writeln!(
            out,
            "{}",
            serde_json::json!({
                "name": b.name,
                "region": b.region,
                "creation_date": b.creation_date,
                "bucket_type": b.bucket_type,
            })
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        for ok in ["cos://b-1", "cos://b-1/", "b-1"] {
            assert_eq!(bucket_name(ok).unwrap(), "b-1", "{ok}");
        }
        for bad in ["cos://b-1/k", "cos://", "", "a/b", "cos:///"] {
            assert!(bucket_name(bad).is_err(), "{bad}");
        }
    }
}
