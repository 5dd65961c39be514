//! `cos-sign ls`: the objects of a bucket under a prefix, one level (folders as `PRE`) or
//! all of them, page after page of List Objects; `cos-sign rm`: one object, or every object
//! under a prefix; `cos-sign cp`: a copy from one object to another, on the server side.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use cos_sign_http::bucket::batch_deletable;
use cos_sign_http::{Bucket, ListPage, UploadSummary};
use futures_util::StreamExt;

use crate::filter::{FilterArgs, Filters};
use crate::remote::{PagesError, Remote, pages};
use crate::target::{bucket_key, bucket_prefix, cos_uri, parse_cos_uri};
use crate::uploads::upload_pages;
use crate::{CliError, OutputFormat};

#[derive(Args, Debug)]
pub(crate) struct LsArgs {
    /// Bucket, or cos://BUCKET/PREFIX; without it, the buckets of the account.
    #[arg(value_name = "BUCKET|cos://BUCKET/PREFIX")]
    pub(crate) bucket: Option<String>,
    /// Only keys that start with this (not with cos://).
    prefix: Option<String>,
    /// Every key under the prefix; without it, one level, each folder shown once as PRE.
    #[arg(short, long)]
    pub(crate) recursive: bool,
    /// text: date, time, size and key a line; json: one JSON object a line.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub(crate) output: OutputFormat,
    /// After the list, the number of objects and their total size (on stderr with json).
    #[arg(long)]
    pub(crate) summarize: bool,
    /// The unfinished multipart uploads under the prefix instead of the objects.
    #[arg(long)]
    pub(crate) uploads: bool,
    #[command(flatten)]
    pub(crate) remote: Remote,
}

pub(crate) fn run(a: &LsArgs) -> Result<ExitCode, CliError> {
    let first = a
        .bucket
        .as_deref()
        .ok_or_else(|| CliError::usage("ls lists the objects of a bucket: name it"))?;
    let (bucket, prefix) = bucket_prefix(first, a.prefix.as_deref())?;
    let bucket = a.remote.bucket(&bucket)?;
    let rt = crate::runtime()?;
    let mut out = std::io::stdout().lock();
    if a.uploads {
        let mut n = 0u64;
        upload_pages(&rt, &bucket, &prefix, |page| {
            n += page.uploads.len() as u64;
            write_uploads(&mut out, &page.uploads, a.output).map_err(|e| CliError::stdout(&e))
        })?;
        if a.summarize {
            match a.output {
                OutputFormat::Text => {
                    writeln!(out, "\nTotal Uploads: {n}").map_err(|e| CliError::stdout(&e))?
                }
                OutputFormat::Json => esay!("Total Uploads: {n}"),
            }
        }
        out.flush().map_err(|e| CliError::stdout(&e))?;
        return Ok(ExitCode::SUCCESS);
    }
    let delimiter = (!a.recursive).then_some("/");
    let (mut objects, mut bytes) = (0u64, 0u64);
    pages(&rt, &bucket, &prefix, delimiter, |page| {
        objects += page.objects.len() as u64;
        bytes = page
            .objects
            .iter()
            .fold(bytes, |n, o| n.saturating_add(o.size));
        write_page(&mut out, page, a.output).map_err(|e| CliError::stdout(&e))
    })?;
    if a.summarize {
        let summary = format!("\nTotal Objects: {objects}\n   Total Size: {bytes}");
        match a.output {
            OutputFormat::Text => writeln!(out, "{summary}").map_err(|e| CliError::stdout(&e))?,
            OutputFormat::Json => esay!("{}", summary.trim_start()),
        }
    }
    out.flush().map_err(|e| CliError::stdout(&e))?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Args, Debug)]
pub(crate) struct RmArgs {
    /// Bucket, or cos://BUCKET/KEY (with -r: cos://BUCKET/PREFIX).
    #[arg(value_name = "BUCKET|cos://BUCKET/KEY")]
    bucket: String,
    /// Object key (with -r: the prefix; not with cos://).
    key: Option<String>,
    /// Delete every object whose key starts with the prefix (listed first).
    #[arg(short, long)]
    recursive: bool,
    /// Print what would be deleted, and delete nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    filter: FilterArgs,
    #[command(flatten)]
    remote: Remote,
}

#[derive(Args, Debug)]
pub(crate) struct CpArgs {
    /// The object to copy: cos://BUCKET/KEY.
    #[arg(value_name = "cos://BUCKET/KEY")]
    source: String,
    /// The copy: cos://BUCKET/KEY (a bucket in the same region).
    #[arg(value_name = "cos://BUCKET/KEY")]
    target: String,
    #[command(flatten)]
    remote: Remote,
}

/// The bucket and key of a `cos://BUCKET/KEY` argument of `cp`; a local path is refused with
/// the command that moves files.
pub(crate) fn cos_object(s: &str, put_or_get: &str) -> Result<(String, String), CliError> {
    parse_cos_uri(s).unwrap_or_else(|| {
        Err(CliError::usage(format!(
            "{s:?}: cp copies between COS objects (cos://BUCKET/KEY); for a local file use \
             cos-sign {put_or_get}"
        )))
    })
}

pub(crate) fn cp(a: &CpArgs) -> Result<ExitCode, CliError> {
    let (src_bucket, src_key) = cos_object(&a.source, "put")?;
    let (bucket, key) = cos_object(&a.target, "get")?;
    let target = a.remote.bucket(&bucket)?;
    let rt = crate::runtime()?;
    let etag = rt.block_on(target.copy_from(&src_bucket, &src_key, &key))?;
    say!(
        "copied {} to {}, ETag {etag}",
        cos_uri(&src_bucket, &src_key),
        cos_uri(&bucket, &key)
    );
    Ok(ExitCode::SUCCESS)
}

/// Deletes at once at most this many objects of a recursive `rm`.
const DELETES_IN_FLIGHT: usize = 16;

pub(crate) fn rm(a: &RmArgs) -> Result<ExitCode, CliError> {
    let (bucket, key) = if a.recursive {
        bucket_prefix(&a.bucket, a.key.as_deref())?
    } else {
        a.filter.only_with_recursive()?;
        bucket_key(&a.bucket, a.key.as_deref())?
    };
    let (handle, rt) = (a.remote.bucket(&bucket)?, crate::runtime()?);
    let mut rm = Removal::new(&handle, &rt, a.dry_run, RM_LINES);
    if a.recursive {
        remove_under(&rt, &handle, &key, &a.filter.filters(), &mut rm)?;
    } else {
        rm.delete(&[key.as_str()])?;
    }
    crate::ended(rm.failed, rm.tried, "objects not deleted")
}

/// `rm -r`: deletes every object of `bucket` under `prefix` through `rm`, page by page (a
/// listing goes on after its marker, so deleting a page's keys does not move the next page):
/// memory stays one page, however many keys match. A page that cannot be listed stops it;
/// a delete that fails is counted in `rm` and the others go on.
pub(crate) fn remove_under(
    rt: &tokio::runtime::Runtime,
    bucket: &Bucket,
    prefix: &str,
    filters: &Filters,
    rm: &mut Removal<'_>,
) -> Result<(), CliError> {
    let listed = pages(rt, bucket, prefix, None, |page| {
        let keys: Vec<&str> = page
            .objects
            .iter()
            .map(|o| o.key.as_str())
            .filter(|k| filters.admits_key(prefix, k))
            .collect();
        rm.delete(&keys)
    });
    match listed {
        Err(PagesError::Listing(e)) => Err(crate::stopped(
            e,
            rm.failed,
            rm.tried,
            "objects not deleted",
        )),
        Err(PagesError::Each(e)) => Err(e),
        Ok(()) => Ok(()),
    }
}

/// The start of the line of a deleted object, and of one a dry run would delete: `rm`'s.
pub(crate) const RM_LINES: (&str, &str) = ("deleted ", "(dry run) would delete ");

/// The deletes of one `rm` (or `sync --delete`), with what they printed and how many failed.
pub(crate) struct Removal<'a> {
    shown: String,
    bucket: &'a Bucket,
    rt: &'a tokio::runtime::Runtime,
    dry_run: bool,
    out: std::io::StdoutLock<'a>,
    /// The start of a line: (deleted, would be deleted).
    lines: (&'a str, &'a str),
    /// Objects deleted or tried.
    pub(crate) tried: usize,
    /// Deletes that failed.
    pub(crate) failed: usize,
}

impl<'a> Removal<'a> {
    /// Deletes in `bucket`, each reported on stdout as `lines.0` (`lines.1` with `dry_run`,
    /// which deletes nothing) followed by `cos://BUCKET/KEY`.
    pub(crate) fn new(
        bucket: &'a Bucket,
        rt: &'a tokio::runtime::Runtime,
        dry_run: bool,
        lines: (&'a str, &'a str),
    ) -> Self {
        Self {
            shown: bucket.name().to_owned(),
            bucket,
            rt,
            dry_run,
            out: std::io::stdout().lock(),
            lines,
            tried: 0,
            failed: 0,
        }
    }

    /// Deletes `keys` and reports each in their order (`deleted cos://...` on stdout, a
    /// failure on stderr); with `dry_run`, only names them. Several keys go in DELETE
    /// Multiple Objects requests (up to 1,000 keys each, as `aws s3 rm` sends them); a key
    /// XML cannot carry, and every key of a request refused as a whole (a permission for
    /// single deletes only, a server without it), go one DELETE each,
    /// [`DELETES_IN_FLIGHT`] at a time.
    pub(crate) fn delete(&mut self, keys: &[&str]) -> Result<(), CliError> {
        let results: Vec<Option<Result<(), String>>> = if self.dry_run {
            vec![None; keys.len()]
        } else {
            self.rt
                .block_on(delete_all(self.bucket, keys))
                .into_iter()
                .map(Some)
                .collect()
        };
        for (k, r) in keys.iter().zip(results) {
            let shown = cos_uri(&self.shown, k);
            self.tried += 1;
            match r {
                None => writeln!(self.out, "{}{shown}", self.lines.1),
                Some(Ok(())) => writeln!(self.out, "{}{shown}", self.lines.0),
                Some(Err(e)) => {
                    self.failed += 1;
                    crate::warn(&format!("{shown}: {e}"));
                    Ok(())
                }
            }
            .map_err(|e| CliError::stdout(&e))?;
        }
        Ok(())
    }
}

/// What became of each of `keys` (see [`Removal::delete`]), in their order: `Ok`, or why
/// not.
async fn delete_all(bucket: &Bucket, keys: &[&str]) -> Vec<Result<(), String>> {
    let mut out: Vec<Option<Result<(), String>>> = vec![None; keys.len()];
    let batched: Vec<usize> = (0..keys.len())
        .filter(|&i| keys.len() > 1 && batch_deletable(keys[i]))
        .collect();
    if !batched.is_empty() {
        let names: Vec<&str> = batched.iter().map(|&i| keys[i]).collect();
        match bucket.delete_objects(&names).await {
            Ok(results) => {
                for (&i, r) in batched.iter().zip(results) {
                    out[i] = Some(r.map_err(|e| e.to_string()));
                }
            }
            Err(e) => tracing::info!(
                error = %CliError::from(e).message,
                "DELETE Multiple Objects refused: one DELETE a key"
            ),
        }
    }
    let single: Vec<usize> = (0..keys.len()).filter(|&i| out[i].is_none()).collect();
    let deletes = futures_util::stream::iter(single.iter().map(|&i| async move {
        let r = bucket.delete(keys[i]).await;
        (i, r.map(drop).map_err(|e| CliError::from(e).message))
    }))
    .buffered(DELETES_IN_FLIGHT);
    for (i, r) in deletes.collect::<Vec<_>>().await {
        out[i] = Some(r);
    }
    out.into_iter()
        .map(|r| r.unwrap_or_else(|| Err("not deleted".to_owned())))
        .collect()
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
            OutputFormat::Text => writeln!(
                out,
                "{} {:>10} {}",
                when(&o.last_modified),
                o.size,
                o.key.escape_debug()
            )?,
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

/// Unfinished uploads: `DATE TIME UPLOAD_ID KEY` (their start) or a JSON object a line.
fn write_uploads(
    out: &mut impl Write,
    uploads: &[UploadSummary],
    format: OutputFormat,
) -> std::io::Result<()> {
    for u in uploads {
        match format {
            OutputFormat::Text => writeln!(
                out,
                "{} {} {}",
                when(&u.initiated),
                u.upload_id.escape_debug(),
                u.key.escape_debug()
            )?,
            OutputFormat::Json => writeln!(
                out,
                "{}",
                serde_json::json!({
                    "key": u.key,
                    "upload_id": u.upload_id,
                    "initiated": u.initiated,
                    "storage_class": u.storage_class,
                })
            )?,
        }
    }
    Ok(())
}

/// `2024-01-02T03:04:05.000Z` as `2024-01-02 03:04:05` (UTC), 19 columns; another form as
/// it came.
fn when(t: &str) -> String {
    let t = crate::target::shown(t);
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
        let ls = Cli::parse_from(argv).ls;
        bucket_prefix(
            ls.bucket.as_deref().unwrap_or_default(),
            ls.prefix.as_deref(),
        )
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
        assert!(parsed(&["cos:///"]).is_err());
    }

    #[test]
    fn text_lines() {
        let page = ListPage::default();
        let mut out = Vec::new();
        write_page(&mut out, &page, OutputFormat::Text).unwrap();
        assert!(out.is_empty());
        let o = cos_sign_http::ObjectSummary::default();
        assert_eq!(when(&o.last_modified), " ".repeat(19));
        assert_eq!(when("2024-01-02T03:04:05.000Z"), "2024-01-02 03:04:05");
    }
}
