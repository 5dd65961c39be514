//! Unfinished multipart uploads: `rb --force` aborts them (List Multipart Uploads, page after
//! page, then Abort Multipart Upload for each), so a bucket they kept from being empty can go.

use std::io::Write;

use cos_sign_http::{Bucket, ListUploadsOptions};

use crate::CliError;
use crate::target::cos_uri;

/// The aborts of one command: how many were tried and how many failed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Aborts {
    pub(crate) tried: usize,
    pub(crate) failed: usize,
}

/// Aborts every unfinished upload of `bucket` under `prefix`, each reported on stdout as
/// `aborted cos://BUCKET/KEY (upload ID)`, a failure on stderr (and the others go on). The
/// listing goes on after each page's markers, so an upload that could not be aborted is not
/// listed twice. A page that cannot be listed stops it, with what was done before.
pub(crate) fn abort_under(
    rt: &tokio::runtime::Runtime,
    bucket: &Bucket,
    prefix: &str,
) -> Result<Aborts, CliError> {
    let mut done = Aborts::default();
    let mut opts = ListUploadsOptions::new().prefix(prefix);
    let mut out = std::io::stdout().lock();
    loop {
        let page = match rt.block_on(bucket.list_uploads(&opts)) {
            Ok(p) => p,
            Err(e) => {
                let what = "uploads not aborted";
                return Err(crate::stopped(e.into(), done.failed, done.tried, what));
            }
        };
        for u in &page.uploads {
            done.tried += 1;
            let shown = cos_uri(bucket.name(), &u.key);
            match rt.block_on(bucket.abort_multipart(&u.key, &u.upload_id)) {
                Ok(()) => writeln!(out, "aborted {shown} (upload {})", u.upload_id)
                    .map_err(|e| CliError::stdout(&e))?,
                Err(e) => {
                    done.failed += 1;
                    let message = CliError::from(e).message;
                    crate::warn(&format!("{shown} (upload {}): {message}", u.upload_id));
                }
            }
        }
        match page.next {
            Some(next) => opts = opts.after(next),
            None => return Ok(done),
        }
    }
}
