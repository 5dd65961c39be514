//! Unfinished multipart uploads: `ls --uploads` lists them, `rb --force` aborts them (List
//! Multipart Uploads, page after page, then Abort Multipart Upload for each), so a bucket
//! they kept from being empty can go.

use std::io::Write;

use cos_sign_http::{Bucket, ListUploadsOptions, UploadPage};

use crate::CliError;
use crate::remote::PagesError;
use crate::target::cos_uri;

/// The aborts of one command: how many were tried and how many failed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Aborts {
    pub(crate) tried: usize,
    pub(crate) failed: usize,
}

/// Goes through the unfinished uploads of `bucket` under `prefix`, page after page, giving
/// each page to `each`. A page that cannot be listed, or a next page that would start where
/// the last one did or at an earlier key (a listing that does not move on would never
/// end), is
/// `PagesError::Listing`; an error of `each` stops it as `PagesError::Each`.
pub(crate) fn upload_pages(
    rt: &tokio::runtime::Runtime,
    bucket: &Bucket,
    prefix: &str,
    mut each: impl FnMut(&UploadPage) -> Result<(), CliError>,
) -> Result<(), PagesError> {
    let mut opts = ListUploadsOptions::new().prefix(prefix);
    let mut last: Option<(String, String)> = None;
    // The upload id markers already given for the key of `last`: ids of one key need not
    // sort as text, so a listing going round them (u1, u2, u1...) is caught by its repeat.
    let mut ids_of_key: std::collections::HashSet<String> = std::collections::HashSet::new();
    loop {
        let page = rt.block_on(bucket.list_uploads(&opts)).map_err(|e| {
            let e = CliError::from(e);
            PagesError::Listing(CliError {
                message: format!(
                    "cannot list the unfinished uploads of {}: {}",
                    cos_uri(bucket.name(), prefix),
                    e.message
                ),
                ..e
            })
        })?;
        each(&page).map_err(PagesError::Each)?;
        match page.next {
            // Keys come in order; the upload ids of one key need not sort as text, but none
            // comes twice.
            Some(next)
                if last.as_ref().is_some_and(|l| {
                    next.0 < l.0 || (next.0 == l.0 && ids_of_key.contains(&next.1))
                }) =>
            {
                return Err(PagesError::Listing(CliError::fail(format!(
                    "the upload listing does not move on: the next page would start after {:?} again",
                    next.0
                ))));
            }
            Some(next) => {
                if last.as_ref().is_none_or(|l| l.0 != next.0) {
                    ids_of_key.clear();
                }
                ids_of_key.insert(next.1.clone());
                opts = opts.after(next.clone());
                last = Some(next);
            }
            None => return Ok(()),
        }
    }
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
    let mut out = std::io::stdout().lock();
    let listed = upload_pages(rt, bucket, prefix, |page| {
        for u in &page.uploads {
            done.tried += 1;
            let shown = cos_uri(bucket.name(), &u.key);
            match rt.block_on(bucket.abort_multipart(&u.key, &u.upload_id)) {
                Ok(()) => writeln!(
                    out,
                    "aborted {shown} (upload {})",
                    u.upload_id.escape_debug()
                )
                .map_err(|e| CliError::stdout(&e))?,
                Err(e) => {
                    done.failed += 1;
                    let message = CliError::from(e).message;
                    crate::warn(&format!("{shown} (upload {}): {message}", u.upload_id));
                }
            }
        }
        Ok(())
    });
    match listed {
        Ok(()) => Ok(done),
        Err(PagesError::Listing(e)) => Err(crate::stopped(
            e,
            done.failed,
            done.tried,
            "uploads not aborted",
        )),
        Err(PagesError::Each(e)) => Err(e),
    }
}
