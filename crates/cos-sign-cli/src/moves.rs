//! `cos-sign mv SRC DST`: a server-side copy, then the delete of the source, for one object
//! or (with `-r`) every object under a prefix, as `aws s3 mv` moves between two S3 places.
//! The source is deleted only after its copy is made; a move onto itself is refused (the
//! copy would be the object, and the delete would remove it).

use std::process::ExitCode;

use clap::Args;
use cos_sign_http::Bucket;

use crate::CliError;
use crate::filter::{FilterArgs, rel_below};
use crate::list::cos_object;
use crate::remote::{PagesError, Remote, pages};
use crate::target::{bucket_prefix, cos_uri};
use crate::transfer::upload_prefix;

#[derive(Args, Debug)]
pub(crate) struct MvArgs {
    /// The object to move: cos://BUCKET/KEY (with -r: cos://BUCKET/PREFIX).
    #[arg(value_name = "SRC")]
    source: String,
    /// Its new place: cos://BUCKET/KEY (with -r: cos://BUCKET/PREFIX), a bucket in the same
    /// region.
    #[arg(value_name = "DST")]
    target: String,
    /// Every object under the prefix SRC, each to DST + its path below SRC.
    #[arg(short, long)]
    recursive: bool,
    /// Print what would be moved, and move nothing.
    #[arg(long, visible_alias = "dryrun")]
    dry_run: bool,
    #[command(flatten)]
    filter: FilterArgs,
    #[command(flatten)]
    remote: Remote,
}

/// One object's move: `from` in the source bucket to `to` in the target bucket.
struct Move<'a> {
    source: &'a Bucket,
    target: &'a Bucket,
    rt: &'a tokio::runtime::Runtime,
    dry_run: bool,
}

impl Move<'_> {
    /// Copies `from` to `to`, then deletes `from`; says so on stdout, or why not on stderr
    /// (`false`).
    fn one(&self, from: &str, to: &str) -> bool {
        let (src, dst) = (
            cos_uri(self.source.name(), from),
            cos_uri(self.target.name(), to),
        );
        if self.dry_run {
            say!("(dry run) would move {src} to {dst}");
            return true;
        }
        let copied = self
            .rt
            .block_on(self.target.copy_from(self.source.name(), from, to));
        if let Err(e) = copied {
            crate::warn(&format!("{src}: not moved: {}", CliError::from(e).message));
            return false;
        }
        match self.rt.block_on(self.source.delete(from)) {
            Ok(_) => {
                say!("moved {src} to {dst}");
                true
            }
            Err(e) => {
                crate::warn(&format!(
                    "{src}: copied to {dst}, but not deleted: {}",
                    CliError::from(e).message
                ));
                false
            }
        }
    }
}

/// The object a key names: as COS builds paths (`/` + key unless the key starts with `/`),
/// `a` and `/a` are one object, which a move onto itself would copy and then delete.
fn object_path(key: &str) -> &str {
    key.strip_prefix('/').unwrap_or(key)
}

pub(crate) fn mv(a: &MvArgs) -> Result<ExitCode, CliError> {
    if !a.recursive {
        a.filter.only_with_recursive()?;
        let (src_bucket, src_key) = cos_object(&a.source, "put")?;
        let (bucket, key) = cos_object(&a.target, "get")?;
        if src_bucket == bucket && object_path(&src_key) == object_path(&key) {
            return Err(CliError::usage(
                "SRC and DST are the same object: nothing to move",
            ));
        }
        let (source, target) = (a.remote.bucket(&src_bucket)?, a.remote.bucket(&bucket)?);
        let rt = crate::runtime()?;
        let m = Move {
            source: &source,
            target: &target,
            rt: &rt,
            dry_run: a.dry_run,
        };
        return crate::ended(usize::from(!m.one(&src_key, &key)), 1, "objects not moved");
    }
    for s in [&a.source, &a.target] {
        if !s.starts_with("cos://") {
            return Err(CliError::usage(format!(
                "{s:?}: mv -r moves between cos://BUCKET/PREFIX places; for a local folder use \
                 cos-sign put -r or get -r"
            )));
        }
    }
    let (src_bucket, prefix) = bucket_prefix(&a.source, None)?;
    let (bucket, to_prefix) = upload_prefix(&a.target, None)?;
    let filters = a.filter.filters();
    let (source, target) = (a.remote.bucket(&src_bucket)?, a.remote.bucket(&bucket)?);
    let rt = crate::runtime()?;
    // Listed whole first: the copies may land under the prefix (DST inside SRC), where a
    // listing still going would meet them again.
    // After a prefix not ending in `/`, two keys can have one path below it (`p/a` and
    // `pa`): the first listed keeps the place, the other is not moved (its copy would
    // replace the first's, and both sources would be deleted).
    let mut keys = Vec::new();
    let mut claimed = std::collections::HashSet::new();
    let mut failed = 0;
    let listed = pages(&rt, &source, &prefix, None, |page| {
        for o in &page.objects {
            let Some(rel) = rel_below(&prefix, &o.key) else {
                continue;
            };
            if !filters.admits(rel) {
                continue;
            }
            let to = format!("{to_prefix}{rel}");
            let shown = cos_uri(&src_bucket, &o.key);
            if to.is_empty() {
                crate::warn(&format!("{shown}: not moved: its new key would be empty"));
                failed += 1;
            } else if !claimed.insert(object_path(&to).to_owned()) {
                crate::warn(&format!(
                    "{shown}: not moved: its place {} is taken by a key listed before it",
                    cos_uri(&bucket, &to)
                ));
                failed += 1;
            } else if src_bucket == bucket && object_path(&o.key) == object_path(&to) {
                crate::warn(&format!("{shown}: not moved: it is its own new place"));
                failed += 1;
            } else {
                keys.push((o.key.clone(), to));
            }
        }
        Ok(())
    });
    match listed {
        Err(PagesError::Listing(e) | PagesError::Each(e)) => {
            return Err(CliError {
                message: format!("{}\n  nothing moved", e.message),
                ..e
            });
        }
        Ok(()) => {}
    }
    let m = Move {
        source: &source,
        target: &target,
        rt: &rt,
        dry_run: a.dry_run,
    };
    let total = keys.len() + failed;
    for (from, to) in &keys {
        if !m.one(from, to) {
            failed += 1;
        }
    }
    crate::ended(failed, total, "objects not moved")
}
