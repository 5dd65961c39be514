//! `cos-sign`: pre-sign, check, upload, download, sync, list, copy, move and delete Tencent
//! Cloud COS objects, make, list and remove buckets (`mb`, `ls`, `rb`), and run a local
//! COS-compatible server. Run `cos-sign --help` (or `cos-sign <command> --help`).
//!
//! It is the top layer: arguments, output and exit codes only. Signing is `cos-sign-std`'s
//! `Signer` (on `cos-sign-core`), transfers are `cos-sign-http`'s `Bucket`, and `serve` runs
//! `cos-sign-server`; it is not a library.
//!
//! Exit codes: 0 success (and `verify`: valid), 1 failure (and `verify`: invalid),
//! 2 bad usage or input (including missing credentials); as a signal would stop it, 130 on
//! Ctrl-C, 143 on SIGTERM, 129 on SIGHUP, and 141 (quietly) when the reader of standard
//! output went away.

/// `println!` that does not panic when stdout is closed (a write error is ignored: the
/// reader has gone). Control characters are escaped (line feeds kept): the lines carry
/// names and values the server chose.
macro_rules! say {
    () => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout());
    }};
    ($($t:tt)+) => {{
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stdout(),
            "{}",
            $crate::target::printable(&format!($($t)+))
        );
    }};
}

/// `eprintln!` that does not panic when stderr is closed, control characters escaped as
/// [`say!`] does.
macro_rules! esay {
    () => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr());
    }};
    ($($t:tt)+) => {{
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "{}",
            $crate::target::printable(&format!($($t)+))
        );
    }};
}

mod buckets;
mod demo;
mod filter;
mod folder;
mod list;
mod moves;
mod progress;
mod remote;
mod sync;
mod target;
mod transfer;
mod uploads;
mod verify;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{ArgAction, Args, CommandFactory, Parser, Subcommand, ValueEnum};
use cos_sign_server::{self as server, Config, Credential};
use cos_sign_std::config::{Endpoint, Scheme};
use cos_sign_std::credentials::{
    ChainProvider, CredentialsError, CredentialsProvider, ENV_VARS, EnvProvider, ProfileProvider,
};
use cos_sign_std::method::{Method, UnsupportedMethod};
use cos_sign_std::signer::{SignOptions, Signer};

/// The paragraph on `--exclude` and `--include` the help of each command that takes them
/// ends with (a macro: `concat!` takes literals).
macro_rules! filters_help {
    () => {
        "--exclude PATTERN and --include PATTERN (repeatable) choose the files or objects, as aws s3's\n\
         filters do: all are taken unless a filter matches, and the last filter that matches a path\n\
         below the folder or prefix decides (--exclude '*' --include '*.jpg': only the .jpg files).\n\
         In a pattern, * matches any characters (/ too), ? one, [seq] one of seq, [!seq] one not in\n\
         it; matching is case-sensitive."
    };
}

const MAIN_HELP: &str = "\
Credentials are read from the environment (COS_SECRET_ID, COS_SECRET_KEY and, for a
temporary key, COS_SECURITY_TOKEN; or TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY/
TENCENTCLOUD_SESSION_TOKEN), else from the profile file ~/.tencentcloud/credentials
(section [default]). An explicit --profile NAME or --profile-file FILE is used instead of
the environment. Secret keys are never printed.

Objects are named BUCKET KEY or cos://BUCKET/KEY.

Examples:
  # Try everything offline in one command: local server, pre-signed upload and download
  cos-sign demo

  # A pre-signed download URL valid for 10 minutes
  export COS_SECRET_ID=AKID... COS_SECRET_KEY=...
  cos-sign presign cos://examplebucket-1250000000/photos/cat.jpg --region ap-beijing --expires 600

  # A pre-signed upload URL, then upload with curl
  curl --upload-file cat.jpg \"$(cos-sign presign -X PUT examplebucket-1250000000 photos/cat.jpg)\"

  # The same as JSON, for scripts
  cos-sign presign -X PUT cos://examplebucket-1250000000/photos/cat.jpg --output json

  # Is this URL's signature good for my key?
  cos-sign verify 'https://examplebucket-1250000000.cos.ap-beijing.myqcloud.com/a.txt?q-sign-algorithm=sha1&...'

  # Upload and download with your credentials (- is standard input or output)
  cos-sign put report.csv cos://examplebucket-1250000000/reports/report.csv --meta owner=ops
  cos-sign get cos://examplebucket-1250000000/reports/report.csv -o - | head

  # A local COS-compatible server for tests (Ctrl-C stops it)
  COS_SECRET_ID=AKIDtest COS_SECRET_KEY=secret cos-sign serve --addr 127.0.0.1:9000 --data-dir ./cos-data

  # Shell completions and the man page
  cos-sign completions bash > ~/.local/share/bash-completion/completions/cos-sign
  cos-sign man > cos-sign.1

Diagnostics: -v (-vv, -vvv) or RUST_LOG=cos_sign=debug print what is done on stderr; they
never show a secret key, a token or a signature.

Exit codes: 0 success (verify: valid), 1 failure (verify: invalid), 2 bad usage or input;
130, 143, 129 when stopped by Ctrl-C, SIGTERM, SIGHUP; 141, with no message, when the reader
of standard output went away (`| head`), as for `cat`.";

/// Sign, verify, upload, download, list, copy, move and delete Tencent Cloud COS objects;
/// make, list and remove buckets; run a local COS-compatible server.
#[derive(Parser, Debug)]
#[command(name = "cos-sign", version, after_long_help = MAIN_HELP)]
struct Cli {
    /// More diagnostics on stderr (-v, -vv, -vvv); RUST_LOG overrides.
    #[arg(short, long, action = ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print a pre-signed URL for an object (anyone holding it can do METHOD until it expires).
    #[command(after_long_help = PRESIGN_HELP)]
    Presign(RequestArgs),
    /// Print the Authorization header value for a request you send yourself.
    #[command(
        after_long_help = AUTH_HELP,
        mut_arg("params", |a| a.help(
            "A query param your request's URL carries, NAME=VALUE (repeatable; signed)")),
        mut_arg("headers", |a| a.help(
            "A header your request carries, 'Name: value' (repeatable; allow-listed ones are signed)")),
        mut_arg("no_sign_host", |a| a.help(
            "Do not sign the Host header (the request may then be sent with any Host)")),
    )]
    Auth(RequestArgs),
    /// Check a pre-signed URL or an Authorization value against a secret key.
    #[command(after_long_help = VERIFY_HELP)]
    Verify(verify::VerifyArgs),
    /// Run the local COS-compatible server (objects, listing, multipart, copy; signatures verified).
    #[command(after_long_help = format!("{SERVE_HELP}\n\n{}", server::OPERATIONS))]
    Serve(ServeArgs),
    /// Upload a file (or stdin) through a pre-signed URL (--url) or with your credentials.
    #[command(after_long_help = PUT_HELP)]
    Put(transfer::PutArgs),
    /// Download an object (to a file or stdout) through a pre-signed URL (--url) or with your
    /// credentials.
    #[command(after_long_help = GET_HELP)]
    Get(transfer::GetArgs),
    /// Transfer what differs between a local folder and a prefix, either way (--delete: and
    /// delete what the source lacks).
    #[command(
        after_long_help = SYNC_HELP,
        mut_arg("headers", |a| a.help(
            "A header sent with each upload, 'Name: value' (repeatable, as with put -H; not when \
             downloading)")),
        mut_arg("content_type", |a| a.help(
            "The Content-Type of each upload (default: guessed per file from its extension; not \
             when downloading)")),
        mut_arg("meta", |a| a.help(
            "User metadata of each upload, x-cos-meta-NAME: VALUE (repeatable; not md5, which \
             sync stores; not when downloading)")),
    )]
    Sync(sync::SyncArgs),
    /// List the objects of a bucket under a prefix (one level, or all with -r); without a
    /// bucket, the buckets of the account.
    #[command(after_long_help = LS_HELP)]
    Ls(list::LsArgs),
    /// Make a bucket (PUT Bucket).
    #[command(after_long_help = MB_HELP)]
    Mb(buckets::MbArgs),
    /// Remove an empty bucket (DELETE Bucket); --force deletes its objects and aborts its
    /// unfinished uploads first.
    #[command(after_long_help = RB_HELP)]
    Rb(buckets::RbArgs),
    /// Delete an object, or every object under a prefix with -r.
    #[command(after_long_help = RM_HELP)]
    Rm(list::RmArgs),
    /// Copy an object to another key or bucket on the server side (no download).
    #[command(after_long_help = CP_HELP)]
    Cp(list::CpArgs),
    /// Move an object (or with -r every object under a prefix) on the server side: a copy,
    /// then the source deleted.
    #[command(after_long_help = MV_HELP)]
    Mv(moves::MvArgs),
    /// Offline demo: local server, pre-signed upload and download of a file, bytes checked.
    #[command(after_long_help = DEMO_HELP)]
    Demo(demo::DemoArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_long_help = COMPLETIONS_HELP)]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) of cos-sign.
    Man,
}

const LS_HELP: &str = "\
Examples:
  cos-sign ls                                               # the buckets: date, time, region, name
  cos-sign ls --output json                                 # one JSON object a bucket
  cos-sign ls examplebucket-1250000000                      # the top level: objects, and folders as PRE
  cos-sign ls cos://examplebucket-1250000000/photos/ -r     # every key under photos/
  cos-sign ls examplebucket-1250000000 logs/ --output json  # one JSON object a line
  cos-sign ls cos://examplebucket-1250000000/ --uploads     # unfinished multipart uploads

Text lines are `DATE TIME SIZE KEY` (UTC; control characters in keys escaped) and
`PRE PREFIX` for a folder; json lines are {\"key\", \"size\", \"etag\", \"last_modified\",
\"storage_class\"} and {\"prefix\"}. Keys are in UTF-8 byte order, page after page of List
Objects (1,000 a page).

With --uploads: the unfinished multipart uploads under the prefix (every key under it),
`DATE TIME UPLOAD_ID KEY` a line (the upload's start, UTC), or {\"key\", \"upload_id\",
\"initiated\", \"storage_class\"}; List Multipart Uploads, page after page. `cos-sign rb
--force` aborts them.

Without a bucket: `DATE TIME REGION NAME` a bucket (its creation, UTC), or {\"name\",
\"region\", \"creation_date\", \"bucket_type\"}, every region's buckets in name order (GET
Service on service.cos.myqcloud.com, 2,000 a page).";

const MB_HELP: &str = "\
Examples:
  cos-sign mb cos://examplebucket-1250000000                      # in ap-guangzhou (--region)
  cos-sign mb cos://examplebucket-1250000000 --region ap-beijing

Prints `created cos://BUCKET`. A bucket that exists fails (exit 1) with COS's error:
BucketAlreadyOwnedByYou when it is yours, BucketAlreadyExists when another account has it.";

const RB_HELP: &str = "\
Examples:
  cos-sign rb cos://examplebucket-1250000000            # only when it is empty
  cos-sign rb cos://examplebucket-1250000000 --force    # empty it, then remove it

Prints `removed cos://BUCKET`. A bucket that still holds objects or unfinished multipart
uploads fails (exit 1) with COS's BucketNotEmpty; one that does not exist with NoSuchBucket.
--force first deletes every object as `rm -r` does (a `deleted cos://BUCKET/KEY` line each),
then aborts every unfinished multipart upload (an `aborted cos://BUCKET/KEY (upload ID)` line
each; List Multipart Uploads, page after page), and says on stderr how many of each went. A
failed delete or abort is reported and the others go on; if any failed, the bucket is kept
(exit 1).";

const RM_HELP: &str = concat!(
    "\
Examples:
  cos-sign rm examplebucket-1250000000 photos/old.jpg
  cos-sign rm cos://examplebucket-1250000000/tmp/ -r --dry-run   # what -r would delete
  cos-sign rm cos://examplebucket-1250000000/tmp/ -r             # every key under tmp/

Prints `deleted cos://BUCKET/KEY` for each object (COS answers a delete of a missing object as
done). With -r the keys under the prefix are listed page by page, each page deleted in one
DELETE Multiple Objects request (a key XML cannot carry, and all of them when the server
refuses that request, one DELETE each, 16 at a time); a failure is reported and the others
go on (exit 1 if any failed); a page that cannot be listed stops it (exit 1). Without a
prefix, -r deletes every object of the bucket.

",
    filters_help!()
);

const MV_HELP: &str = "\
Examples:
  cos-sign mv cos://examplebucket-1250000000/a.txt cos://examplebucket-1250000000/old/a.txt
  cos-sign mv cos://examplebucket-1250000000/tmp/ cos://examplebucket-1250000000/kept/ -r --dry-run
  cos-sign mv cos://examplebucket-1250000000/logs/ cos://backup-1250000000/logs/ -r --exclude '*' --include '*.gz'

Each object is copied on the server side (PUT Object - Copy: no download, up to 5 GB; the
target bucket in the same region), then the source is deleted, only once its copy is made:
`moved cos://SRC to cos://DST` a line. With -r, the keys under SRC are listed first, and each
goes to DST + its path below SRC (the filters as in rm -r); a key whose new place another
key listed before it has (after logs, both logs/a and logsa are a) or that is its own new
place is not moved. A failure is reported and the others go on; exit 1 if any object was
not moved (a copy that failed leaves its source; a delete that failed leaves both).

--exclude PATTERN and --include PATTERN (repeatable) choose the objects, as aws s3's filters
do: all are taken unless a filter matches, and the last filter that matches a path below
the prefix decides.";

const CP_HELP: &str = "\
Examples:
  cos-sign cp cos://examplebucket-1250000000/a.txt cos://examplebucket-1250000000/backup/a.txt
  cos-sign cp cos://examplebucket-1250000000/a.txt cos://otherbucket-1250000000/a.txt

COS copies the bytes and the metadata (PUT Object - Copy, up to 5 GiB); nothing goes through
this machine. Both buckets are in --region. Local files: cos-sign put, cos-sign get.";

const PRESIGN_HELP: &str = "\
Examples:
  cos-sign presign examplebucket-1250000000 a.txt                    # GET, 300 s
  cos-sign presign cos://examplebucket-1250000000/a.txt              # the same
  cos-sign presign -X PUT examplebucket-1250000000 dir/b.bin --expires 3600
  cos-sign presign examplebucket-1250000000 a.txt --param response-content-type=text/plain
  cos-sign presign examplebucket-1250000000 a.txt --scheme http --region ap-beijing
  cos-sign presign examplebucket-1250000000 a.txt --output json

A header given with -H is signed: the request must then carry it with exactly that value:
  url=$(cos-sign presign -X PUT examplebucket-1250000000 a.txt -H 'Content-Type: text/plain')
  cos-sign put a.txt --url \"$url\" -H 'Content-Type: text/plain'

With a temporary key (COS_SECURITY_TOKEN) the URL carries the token as the
x-cos-security-token param, as COS requires: treat such a URL as a secret.

--output json prints one object: url, method, bucket, key, host, expires_in, valid_from,
valid_until (unix seconds), headers (name: value, to send with the request), signed_headers,
signed_params, secret_id.";

const AUTH_HELP: &str = "\
Prints only the value of the Authorization header; you send the request yourself, with every
header given here (-H) and every param (--param) in its URL, exactly as given.

Examples:
  cos-sign auth -X PUT examplebucket-1250000000 a.txt -H 'Content-Type: text/plain'
  curl -X PUT -H \"Authorization: $(cos-sign auth -X PUT examplebucket-1250000000 a.txt)\" \\
       --upload-file a.txt https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/a.txt
  cos-sign auth cos://examplebucket-1250000000/a.txt --output json

With a temporary key, the request must also carry the header x-cos-security-token with
the token (it is signed; its value is not printed).

--output json prints one object: authorization, method, bucket, key, host, url, expires_in,
valid_from, valid_until (unix seconds), signed_headers, signed_params, secret_id,
security_token_header (true when the request must carry x-cos-security-token).";

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

const PUT_HELP: &str = concat!(
    "\
Examples:
  cos-sign put photo.jpg --url 'https://b-1250000000.cos.ap-guangzhou.myqcloud.com/photo.jpg?q-sign-algorithm=...'
  cos-sign put photo.jpg examplebucket-1250000000 photos/photo.jpg --region ap-beijing
  cos-sign put photo.jpg cos://examplebucket-1250000000/photos/photo.jpg --meta camera=x100
  tar c dir | cos-sign put - cos://examplebucket-1250000000/backup/dir.tar
  cos-sign put a.bin b-1250000000 a.bin --scheme http --proxy http://127.0.0.1:9000   # local server
  cos-sign put disk.img cos://examplebucket-1250000000/disk.img --part-size 64M --concurrency 8
  cos-sign put photos cos://examplebucket-1250000000/photos/ -r   # every file under photos/

The Content-Type is guessed from the file's extension (photo.jpg: image/jpeg) unless given
with --content-type or -H. The file is streamed (never read into memory); standard input or
a named pipe (such as <(command)) is first copied to a temporary file, as COS needs the
length. With credentials, a file above
--multipart-threshold (64M) goes as a multipart upload, --concurrency parts at a time, each
checked against its MD5. With credentials, COS's CRC-64 (x-cos-hash-crc64ecma) of the
object, or of each part and of the whole, is checked against the bytes sent. A progress bar
is drawn on stderr when it is a terminal.

With -r, FILE is a folder: each file under it goes to PREFIX/<its path below the folder>,
one after the other, the Content-Type guessed per file. Links to files are followed; linked
folders, pipes, devices, files that cannot be read and names that are not UTF-8 are skipped
with a warning. Exit status with -r: 0 every file uploaded; 1 a file was not uploaded (the
others were tried); 3 none failed but something was skipped (aws s3 cp --recursive gives 2
for that, which is bad usage here); 2 bad usage.

", filters_help!());

const GET_HELP: &str = concat!(
    "\
Examples:
  cos-sign get --url 'https://b-1250000000.cos.ap-guangzhou.myqcloud.com/a.bin?q-sign-algorithm=...' -o a.bin
  cos-sign get examplebucket-1250000000 photos/photo.jpg -o photo.jpg
  cos-sign get cos://examplebucket-1250000000/logs/app.log -o - | grep ERROR
  cos-sign get cos://examplebucket-1250000000/big.bin -H 'Range: bytes=0-1023' -o head.bin
  cos-sign get cos://examplebucket-1250000000/photos/ -r -o photos   # every object under photos/

The object is streamed into a temporary file beside OUTPUT, checked against its length, MD5
ETag and CRC-64 (x-cos-hash-crc64ecma, when COS sends it; a ranged download combines the
ranges'), and renamed into place only when complete (an existing OUTPUT keeps its
permissions; a link's target is written; a device or a pipe such as /dev/null is written
into). Only 200 (206 to a Range) is the object: a redirect is not followed, and it, an
error or a transfer slower than 1 KiB a minute fails with exit 1, OUTPUT left as it was.
With credentials, an object above
--multipart-threshold (64M) is fetched by ranges of --part-size, --concurrency at a time
(not with -o -, -H 'Range: ...' or --content-type: those are one GET). With -o - it is
written to standard output and the summary goes to stderr.

With -r, each object under the prefix is written into the folder -o DIR at its key's path
below the prefix (photos/2024/a.jpg as DIR/2024/a.jpg), one after the other. A key that
would not stay inside the folder (a .. or empty part), or whose path a key listed before it
has (after photos, both photos/a and photosa are a), is skipped and reported; a folder
marker (a key ending in /) is skipped quietly. Exit 1 if any object was not written, or
if a page of the listing could not be had (that stops it).

", filters_help!());

const SYNC_HELP: &str = concat!(
    "\
Examples:
  cos-sign sync photos cos://examplebucket-1250000000/photos/            # upload what changed
  cos-sign sync cos://examplebucket-1250000000/photos/ photos            # download what changed
  cos-sign sync photos cos://examplebucket-1250000000/photos/ --delete   # and delete what photos lacks
  cos-sign sync photos cos://examplebucket-1250000000/photos/ --dryrun   # only say what would be done
  cos-sign sync . cos://examplebucket-1250000000/site/ --exclude '.git/*' --exclude '*.tmp'

One side is a local folder, the other cos://BUCKET/PREFIX; files and keys match as with
put -r and get -r (the same links followed, names skipped, folder markers and keys that are
no path below the folder skipped and reported). A file is transferred when the other side
lacks it or it differs:
  1. the sizes differ; else (unless --size-only)
  2. the object tells its MD5 and the file's differs: an ETag of 32 hex digits is the MD5 of
     an object of one PUT; a multipart object's ETag (<hex>-<parts>) is not, so its
     x-cos-meta-md5 is read (one HEAD): sync stores the file's MD5 there with each upload,
     as coscmd's upload -s does (put does not);
  3. else (a multipart object without it) the times: up, the file was modified after the
     object was written (as aws s3 sync); down, the file's time is not the object's
     Last-Modified (sync gives each file it downloads that time).
Uploads go as put -r sends them (-H, --meta, --content-type or the type guessed, multipart
above --multipart-threshold); downloads as get -r writes them (a temporary file renamed into
place). Each action is a line on stdout (upload: ..., download: ..., delete: ...), then the
counts: transferred, unchanged, deleted, failed (and skipped, if any). A failed file or
object is reported and the others go on. Exit status: 0 all done; 1 a file or object failed,
or a listing did; 3 uploading, none failed but entries of the folder were skipped (as put -r
skips them; aws s3 sync gives 2 for that, which is bad usage here); 2 bad usage.

--delete deletes, after the transfers, the files or objects under DST that SRC lacks (not
an object where the folder has an entry it skipped), never anything outside DST, and nothing when a listing failed (the objects of the prefix are
listed first when uploading: a failed listing stops it; when downloading, page by page as
get -r does: a failed page stops it and nothing is deleted). Syncing from one cos:// prefix
to another is not supported (use cos-sign cp).

", filters_help!(), " With --delete, what the filters leave out on DST is not\ndeleted.");

const DEMO_HELP: &str = "\
Everything runs on this machine (no network, no account): a local COS server on a free
loopback port with throwaway credentials, a pre-signed PUT URL used to upload a temporary
file, a pre-signed GET URL used to download it, and a byte-for-byte check. Each step and
URL is printed; exit code 0 means every step worked.";

const COMPLETIONS_HELP: &str = "\
Examples:
  cos-sign completions bash > ~/.local/share/bash-completion/completions/cos-sign
  cos-sign completions zsh > ~/.zfunc/_cos-sign
  cos-sign completions fish > ~/.config/fish/completions/cos-sign.fish";

const VERIFY_HELP: &str = "\
Examples:
  cos-sign verify 'https://b-1250000000.cos.ap-guangzhou.myqcloud.com/a.txt?q-sign-algorithm=sha1&q-ak=...'
  cos-sign verify -X PUT 'http://b-1250000000.cos.ap-guangzhou.myqcloud.com/a.txt?q-sign-algorithm=...'
  cos-sign verify --authorization 'q-sign-algorithm=sha1&q-ak=...' -X PUT -H 'Content-Type: text/plain' https://b-1250000000.cos.ap-guangzhou.myqcloud.com/a.txt
  cos-sign verify --output json 'https://b-1250000000.cos.ap-guangzhou.myqcloud.com/a.txt?q-sign-algorithm=...'

The host is taken from the URL (with its port when not the default), unless -H 'Host: ...'
is given. The secret key comes from --secret-key, else the environment or the profile file.
Prints `valid` (exit 0) or `invalid: <why>` (exit 1): expired, not yet valid, another secret
id, a signed header or param missing, or a signature mismatch (with the StringToSign and
FormatString recomputed here, to compare with COS's SignatureDoesNotMatch answer).

--output json prints one object: valid, reason (null, or one of malformed, expired,
not_yet_valid, access_key_mismatch, missing_header, missing_param, signature_mismatch,
other), message, secret_id, method, path, checked_at, valid_from, valid_until,
string_to_sign and format_string (on a mismatch, else null).";

/// Text or JSON.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum OutputFormat {
    /// Plain text.
    #[default]
    Text,
    /// One JSON object.
    Json,
}

/// Where requests go.
#[derive(Args, Debug, Clone)]
pub(crate) struct EndpointArgs {
    /// COS region (ap-guangzhou, ap-beijing, ...; or a qcloud_cos alias such as cosgz).
    #[arg(long, env = "COS_REGION", default_value = "ap-guangzhou")]
    region: String,
    /// Endpoint host instead of the region's (e.g. `cos.ap-guangzhou.myqcloud.com`, no scheme).
    #[arg(long)]
    endpoint: Option<String>,
    /// Custom domain bound to the bucket (replaces BUCKET.ENDPOINT in URLs; no scheme).
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
pub(crate) struct CredArgs {
    /// Profile (section) of the profile file; when given, it is used instead of the
    /// environment's credentials [default: default, after the environment].
    #[arg(long)]
    profile: Option<String>,
    /// Profile file instead of ~/.tencentcloud/credentials; when given, it is used instead of
    /// the environment's credentials.
    #[arg(long, value_name = "FILE")]
    profile_file: Option<PathBuf>,
}

/// What presign and auth share.
#[derive(Args, Debug)]
struct SignArgs {
    /// HTTP method the signature is for.
    #[arg(short = 'X', long, default_value = "GET")]
    method: String,
    /// Bucket, `<name>-<appid>` (e.g. examplebucket-1250000000), or cos://BUCKET/KEY.
    #[arg(value_name = "BUCKET|cos://BUCKET/KEY")]
    bucket: String,
    /// Object key (e.g. photos/cat.jpg); not after cos://BUCKET/KEY.
    key: Option<String>,
    /// Validity in seconds, 1 to 315360000 (the signature is also valid from 60 s before now).
    #[arg(long, default_value_t = 300, allow_negative_numbers = true, value_parser = parse_expires)]
    expires: u64,
    /// With a temporary key, do not add and sign x-cos-security-token (qcloud_cos's behaviour).
    #[arg(long)]
    no_token: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    output: OutputFormat,
    #[command(flatten)]
    endpoint: EndpointArgs,
    #[command(flatten)]
    creds: CredArgs,
}

/// The arguments of presign and auth: what is signed, and how. The help here is presign's;
/// auth tells its own (see [`Command::Auth`]).
#[derive(Args, Debug)]
struct RequestArgs {
    #[command(flatten)]
    sign: SignArgs,
    /// A query param to sign and append to the URL, NAME=VALUE (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// A header the request will carry, 'Name: value' (repeatable; allow-listed ones are
    /// signed, and must then be sent with that value).
    #[arg(short = 'H', long = "header", value_name = "NAME:VALUE", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// Do not sign the host (the URL then works with any Host).
    #[arg(long)]
    no_sign_host: bool,
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Address to listen on, IP:PORT or HOST:PORT (port 0: a free port, printed on the first
    /// line).
    #[arg(long, default_value = "127.0.0.1:0", value_parser = server::parse_addr)]
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
    /// Seconds a connection may take to send a request head, and a POST Object form its fields
    /// before the file (above 0).
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = server::parse_timeout)]
    header_read_timeout: std::time::Duration,
    /// Seconds a request body may stay silent (above 0).
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = server::parse_timeout)]
    body_idle_timeout: std::time::Duration,
    /// Connections served at once (more wait to be accepted).
    #[arg(long, value_name = "N", default_value_t = 1024,
          value_parser = clap::value_parser!(u32).range(1..=1_048_576))]
    max_connections: u32,
    /// Largest object one PUT may upload (EntityTooLarge above).
    #[arg(long, value_name = "BYTES", default_value_t = server::limits::DEFAULT_MAX_OBJECT_SIZE)]
    max_object_size: u64,
    /// Bytes the memory store's objects may hold, and its multipart uploads' parts again
    /// (EntityTooLarge past it).
    #[arg(long, value_name = "BYTES", default_value_t = server::limits::DEFAULT_MEMORY_STORE_CAP)]
    memory_store_cap: u64,
    /// Bucket of requests whose Host names none (an IP address, localhost).
    #[arg(long)]
    default_bucket: Option<String>,
    /// Seconds added to the server's clock (to try expiry and clock skew).
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    clock_offset: i64,
    /// Answer browsers from this origin (http://127.0.0.1:8080, http://*.example.com, or *)
    /// for buckets without CORS rules of their own (PUT Bucket cors): every method and
    /// request header, ETag, Content-* and x-cos-* exposed. Repeatable.
    #[arg(long = "cors-allow-origin", value_name = "ORIGIN", value_parser = server::parse_cors_origin)]
    cors_allow_origins: Vec<String>,
    /// The account id (uin) the ACLs name as the owner (GET Object/Bucket acl); by default
    /// each bucket's APPID.
    #[arg(long, value_name = "UIN", value_parser = server::parse_owner_uin)]
    owner_uin: Option<String>,
    /// The region of buckets created through a Host that names none (IP mode) and of
    /// buckets never created, as GET Service (cos-sign ls) lists them.
    #[arg(long, value_name = "REGION", default_value = server::DEFAULT_REGION, value_parser = server::parse_region)]
    region: String,
    /// Do not log requests to stderr.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    creds: CredArgs,
}

/// A failure with its exit code.
#[derive(Debug)]
pub(crate) struct CliError {
    message: String,
    code: u8,
    /// The HTTP exchange failed (connection, proxy, TLS): a hint may apply.
    http: bool,
}

impl CliError {
    /// Bad usage or input: exit 2.
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: 2,
            http: false,
        }
    }

    /// A failure: exit 1.
    pub(crate) fn fail(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: 1,
            http: false,
        }
    }

    /// Standard output could not be written: the reader closed it (`| head`), which ends the
    /// command quietly with the status of a program SIGPIPE stopped (141, as `cat` gives);
    /// any other error is a failure.
    pub(crate) fn stdout(e: &std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Self {
                message: String::new(),
                code: STOPPED_BY_SIGPIPE,
                http: false,
            }
        } else {
            Self::fail(format!("cannot write to standard output: {e}"))
        }
    }
}

/// The end of a command that went on past failed items (put -r, get -r, rm): success, or
/// `"{failed} of {total} {what}"` with exit 1.
pub(crate) fn ended(failed: usize, total: usize, what: &str) -> Result<ExitCode, CliError> {
    match failed {
        0 => Ok(ExitCode::SUCCESS),
        n => Err(CliError::fail(format!("{n} of {total} {what}"))),
    }
}

/// The exit status of `put -r` and `sync` (uploading) when nothing failed but entries of the
/// folder were skipped (see [`folder::Tree`]): apart from a failure (1) and bad usage (2).
/// `aws s3 cp --recursive` and `aws s3 sync` give 2 for it ("some files were skipped"),
/// which is bad usage here.
pub(crate) const SKIPPED: u8 = 3;

/// The end of a command that went on past failed items and skipped entries of a folder
/// (`put -r`, `sync`): success; a failure wins (exit 1, the skipped named too); else
/// skipped entries give exit [`SKIPPED`].
pub(crate) fn ended_skipping(
    failed: usize,
    skipped: usize,
    total: usize,
    what: &str,
) -> Result<ExitCode, CliError> {
    match (failed, skipped) {
        (_, 0) => ended(failed, total, what),
        (0, s) => Err(CliError {
            message: format!("{s} skipped, not uploaded (see the warnings)"),
            code: SKIPPED,
            http: false,
        }),
        (f, s) => Err(CliError::fail(format!(
            "{f} of {total} {what}; {s} skipped, not uploaded (see the warnings)"
        ))),
    }
}

/// The end of such a command when its listing failed midway (`e`): that error, then what
/// became of the `total` items listed before it (`"{failed} of {total} {what}"`), if any.
pub(crate) fn stopped(e: CliError, failed: usize, total: usize, what: &str) -> CliError {
    if total == 0 {
        return e;
    }
    CliError {
        message: format!("{}\n  before it: {failed} of {total} {what}", e.message),
        ..e
    }
}

/// 128 + SIGPIPE: the exit status when the reader of standard output went away.
const STOPPED_BY_SIGPIPE: u8 = 141;

impl From<cos_sign_http::ClientError> for CliError {
    fn from(e: cos_sign_http::ClientError) -> Self {
        let mut msg = e.to_string();
        if let Some(cos) = e.cos() {
            if let Some(r) = &cos.resource {
                msg.push_str(&format!("\n  resource: {r:?}"));
            }
            if let Some(s) = &cos.string_to_sign {
                msg.push_str(&format!("\n  COS StringToSign: {s:?}"));
            }
            if let Some(s) = &cos.format_string {
                let s = target::redact_token(s);
                msg.push_str(&format!("\n  COS FormatString: {s:?}"));
            }
        }
        match e {
            cos_sign_http::ClientError::Sign(cos_sign_std::signer::Error::Credentials(c))
            | cos_sign_http::ClientError::Credentials(c) => no_credentials(&c),
            cos_sign_http::ClientError::Sign(_) | cos_sign_http::ClientError::InvalidRequest(_) => {
                CliError::usage(msg)
            }
            cos_sign_http::ClientError::Http(_) => CliError {
                http: true,
                ..CliError::fail(msg)
            },
            _ => CliError::fail(msg),
        }
    }
}

/// Prints a warning on stderr.
pub(crate) fn warn(message: &str) {
    esay!("cos-sign: warning: {}", target::printable(message));
}

/// Refuses a name given twice (ASCII case aside) among `pairs` (`what`: `header` or
/// `param`): COS reads one value per name, so a request or URL carrying both could not
/// verify (the local server refuses it).
pub(crate) fn check_unique(what: &str, pairs: &[(String, String)]) -> Result<(), CliError> {
    for (i, (k, _)) in pairs.iter().enumerate() {
        if pairs.iter().take(i).any(|(p, _)| p.eq_ignore_ascii_case(k)) {
            return Err(CliError::usage(format!(
                "{what} {k:?} is given twice: COS reads one value per {what} name"
            )));
        }
    }
    Ok(())
}

pub(crate) fn parse_param(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("expected NAME=VALUE, got {s:?}")),
    }
}

pub(crate) fn parse_header(s: &str) -> Result<(String, String), String> {
    match s.split_once(':') {
        Some((k, v)) if !k.trim().is_empty() && !k.contains(char::is_whitespace) => {
            Ok((k.to_owned(), v.trim().to_owned()))
        }
        _ => Err(format!("expected 'Name: value', got {s:?}")),
    }
}

/// `--expires`: whole seconds, 1 to 315360000 (ten years).
fn parse_expires(s: &str) -> Result<u64, String> {
    const MAX: u64 = 315_360_000;
    match s.trim().parse::<i128>() {
        Ok(n) if (1..=i128::from(MAX)).contains(&n) => Ok(n as u64),
        Ok(n) if n <= 0 => Err(format!(
            "the validity must be a positive number of seconds (1 to {MAX}), got {n}"
        )),
        Ok(_) => Err(format!("at most {MAX} seconds (ten years)")),
        Err(_) => Err(format!(
            "a whole number of seconds (1 to {MAX}) expected, got {s:?}"
        )),
    }
}

/// The endpoint of the flags, after the checks that only warn (region, bucket).
fn endpoint(a: &EndpointArgs, bucket: Option<&str>) -> Result<Endpoint, CliError> {
    let mut b = Endpoint::builder()
        .region(a.region.clone())
        .scheme(Scheme::parse(&a.scheme).map_err(|e| CliError::usage(e.to_string()))?);
    if let Some(e) = &a.endpoint {
        target::check_host_flag("--endpoint", e)?;
        b = b.endpoint(e.clone());
    }
    if let Some(d) = &a.domain {
        target::check_host_flag("--domain", d)?;
        b = b.domain(d.clone());
    }
    if let Some(id) = &a.appid {
        b = b.appid(id.clone());
    }
    let ep = b
        .build()
        .map_err(|e| CliError::usage(format!("bad endpoint settings: {e}")))?;
    if a.endpoint.is_none()
        && a.domain.is_none()
        && let Some(w) = target::region_warning(&a.region)
    {
        warn(&w);
    }
    if let Some(w) = bucket.and_then(|b| target::bucket_warning(b, a.appid.as_deref())) {
        warn(&w);
    }
    tracing::info!(
        endpoint = ep.endpoint(),
        scheme = a.scheme.as_str(),
        "endpoint"
    );
    Ok(ep)
}

/// The environment, then the profile file; only the profile file when --profile or
/// --profile-file is given (an explicit choice beats the environment).
pub(crate) fn provider(c: &CredArgs) -> ChainProvider {
    let mut profile = ProfileProvider::new()
        .with_profile(c.profile.clone().unwrap_or_else(|| "default".to_owned()));
    if let Some(p) = &c.profile_file {
        profile = profile.with_path(p.clone());
    }
    if c.profile.is_some() || c.profile_file.is_some() {
        tracing::info!(
            profile = c.profile.as_deref().unwrap_or("default"),
            "credentials: the profile file only (explicit --profile/--profile-file)"
        );
        ChainProvider::new().push(profile)
    } else {
        tracing::debug!("credentials: the environment, then the profile file");
        ChainProvider::new().push(EnvProvider::new()).push(profile)
    }
}

/// A signer whose credentials were checked to be there.
pub(crate) fn signer(
    e: &EndpointArgs,
    c: &CredArgs,
    bucket: Option<&str>,
) -> Result<Signer, CliError> {
    let provider = provider(c);
    let creds = provider.credentials().map_err(|e| no_credentials(&e))?;
    tracing::info!(
        secret_id = creds.secret_id(),
        temporary = creds.token().is_some(),
        "credentials found"
    );
    Ok(Signer::new(provider, endpoint(e, bucket)?))
}

/// The missing-credentials message: what was looked at, then how to fix it, once.
pub(crate) fn no_credentials(e: &CredentialsError) -> CliError {
    fn flatten<'a>(e: &'a CredentialsError, out: &mut Vec<&'a CredentialsError>) {
        match e {
            CredentialsError::Chain(v) => v.iter().for_each(|e| flatten(e, out)),
            other => out.push(other),
        }
    }
    let mut all = Vec::new();
    flatten(e, &mut all);
    let mut msg = String::from("no usable credentials:");
    for e in all {
        let line = match e {
            CredentialsError::NotFound { source, .. } if source.contains("environment") => {
                format!("none in the {source}")
            }
            CredentialsError::NotFound { source, detail } => format!("none in {source}: {detail}"),
            other => other.to_string(),
        };
        msg.push_str(&format!("\n  - {line}"));
    }
    let (id, key, token) = ENV_VARS[0];
    msg.push_str(&format!(
        "\n\nSet {id} and {key} (and {token} for a temporary key) in the environment, or write \
         them to ~/.tencentcloud/credentials:\n  [default]\n  secret_id = AKID...\n  secret_key = ..."
    ));
    CliError::usage(msg)
}

fn parse_method(m: &str) -> Result<Method, CliError> {
    m.parse().map_err(|_: UnsupportedMethod| {
        CliError::usage(format!(
            "bad method {m:?}: COS takes GET, PUT, POST, DELETE, HEAD or OPTIONS"
        ))
    })
}

/// What presign and auth sign, checked.
struct Signing {
    signer: Signer,
    method: Method,
    bucket: String,
    key: String,
    opts: SignOptions,
}

impl Signing {
    /// The start of the JSON output: `name` (what was made), then the method, bucket, key
    /// and host.
    fn json_fields(
        &self,
        name: &str,
        made: &str,
    ) -> Result<serde_json::Map<String, serde_json::Value>, CliError> {
        let mut m = serde_json::Map::new();
        m.insert(name.into(), made.into());
        m.insert("method".into(), self.method.as_str().into());
        m.insert("bucket".into(), self.bucket.as_str().into());
        m.insert("key".into(), self.key.as_str().into());
        m.insert(
            "host".into(),
            self.signer.host(&self.bucket).map_err(sign_error)?.into(),
        );
        Ok(m)
    }
}

fn signing(r: &RequestArgs) -> Result<Signing, CliError> {
    let a = &r.sign;
    let method = parse_method(&a.method)?;
    let (bucket, key) = target::bucket_key(&a.bucket, a.key.as_deref())?;
    let signer = signer(&a.endpoint, &a.creds, Some(&bucket))?;
    let mut opts = SignOptions::default()
        .expires(Duration::from_secs(a.expires))
        .sign_host(!r.no_sign_host)
        .add_token(!a.no_token);
    check_unique("param", &r.params)?;
    check_unique("header", &r.headers)?;
    opts.params = r.params.clone();
    opts.headers = r.headers.clone();
    tracing::info!(
        method = method.as_str(),
        bucket = bucket.as_str(),
        key = key.as_str(),
        expires = a.expires,
        "signing"
    );
    Ok(Signing {
        signer,
        method,
        bucket,
        key,
        opts,
    })
}

/// The fields of a signature text (`q-sign-time`, `q-header-list`...) for JSON output.
fn signature_fields(text: &str, secret_id: &str) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::{Value, json};
    let field = |name: &str| {
        form_urlencoded::parse(text.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let list = |name: &str| -> Value {
        let v = field(name).unwrap_or_default();
        Value::from(
            v.split(';')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>(),
        )
    };
    let (from, until) = field("q-sign-time")
        .and_then(|t| {
            let (a, b) = t.split_once(';')?;
            Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?))
        })
        .map_or((Value::Null, Value::Null), |(a, b)| (json!(a), json!(b)));
    let mut m = serde_json::Map::new();
    m.insert("valid_from".into(), from);
    m.insert("valid_until".into(), until);
    m.insert("signed_headers".into(), list("q-header-list"));
    m.insert("signed_params".into(), list("q-url-param-list"));
    m.insert("secret_id".into(), json!(secret_id));
    m
}

fn print_json(v: &serde_json::Value) {
    say!("{v}");
}

fn presign(a: &RequestArgs) -> Result<ExitCode, CliError> {
    let s = signing(a)?;
    let pre = s
        .signer
        .presign(s.method, &s.bucket, &s.key, &s.opts)
        .map_err(sign_error)?;
    let url = pre.url;
    tracing::info!(url = %target::redact_url(&url), "pre-signed URL made");
    if a.sign.output == OutputFormat::Json {
        let creds = s.signer.credentials().map_err(sign_error)?;
        let query = url.split_once('?').map_or("", |(_, q)| q);
        let mut m = s.json_fields("url", &url)?;
        m.insert("expires_in".into(), a.sign.expires.into());
        m.insert(
            "headers".into(),
            serde_json::Value::Object(
                pre.headers
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone().into()))
                    .collect(),
            ),
        );
        m.extend(signature_fields(query, creds.secret_id()));
        print_json(&serde_json::Value::Object(m));
    } else {
        say!("{url}");
    }
    Ok(ExitCode::SUCCESS)
}

fn auth(a: &RequestArgs) -> Result<ExitCode, CliError> {
    let s = signing(a)?;
    let value = s
        .signer
        .authorization(s.method, &s.bucket, &s.key, &s.opts)
        .map_err(sign_error)?;
    tracing::info!("Authorization made (not logged)");
    let creds = s.signer.credentials().map_err(sign_error)?;
    let token_header = creds.token().is_some() && !a.sign.no_token;
    if a.sign.output == OutputFormat::Json {
        let mut m = s.json_fields("authorization", &value)?;
        m.insert(
            "url".into(),
            s.signer
                .object_url(&s.bucket, &s.key)
                .map_err(sign_error)?
                .into(),
        );
        m.insert("expires_in".into(), a.sign.expires.into());
        m.extend(signature_fields(&value, creds.secret_id()));
        m.insert("security_token_header".into(), token_header.into());
        print_json(&serde_json::Value::Object(m));
    } else {
        say!("{value}");
    }
    if token_header {
        esay!(
            "note: temporary key: the request must also carry the header x-cos-security-token \
             (your token; signed, not printed)"
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn sign_error(e: cos_sign_std::signer::Error) -> CliError {
    match e {
        cos_sign_std::signer::Error::Credentials(c) => no_credentials(&c),
        other => CliError::usage(other.to_string()),
    }
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
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
    for origin in &a.cors_allow_origins {
        config = config.cors_allow_origin(origin.clone());
    }
    if let Some(uin) = &a.owner_uin {
        config = config.owner_uin(uin.clone());
    }
    config = config.region(a.region.clone());
    if !a.credentials.is_empty() {
        eprintln!("cos-sign serve: {}", server::ARGV_SECRET_WARNING);
    }
    if let Some(f) = &a.credentials_file {
        let c = ProfileProvider::new()
            .with_path(f.clone())
            .with_profile(a.creds.profile.as_deref().unwrap_or("default"))
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
        .map_err(|e| CliError::fail(format!("cannot serve: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

/// Diagnostics through `tracing` on stderr: RUST_LOG if set, else by -v count.
fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("RUST_LOG") {
        Ok(v) if !v.is_empty() => EnvFilter::try_new(&v).unwrap_or_else(|e| {
            warn(&format!("RUST_LOG={v:?} ignored: {e}"));
            EnvFilter::new("off")
        }),
        _ => EnvFilter::new(match verbose {
            0 => "off",
            1 => "cos_sign=info",
            2 => "cos_sign=debug",
            _ => "cos_sign=trace",
        }),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(false)
        .try_init();
}

/// Writes `bytes` to stdout; a closed pipe is a failure, not a panic.
fn write_stdout(bytes: &[u8]) -> Result<ExitCode, CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map(|()| ExitCode::SUCCESS)
        .map_err(|e| CliError::stdout(&e))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let result = match &cli.command {
        Command::Presign(a) => presign(a),
        Command::Auth(a) => auth(a),
        Command::Verify(a) => verify::run(a),
        Command::Serve(a) => serve(a),
        Command::Put(a) => transfer::put(a),
        Command::Get(a) => transfer::get(a),
        Command::Sync(a) => sync::run(a),
        Command::Ls(a) if a.bucket.is_none() => {
            if a.recursive || a.summarize || a.uploads {
                Err(CliError::usage(
                    "-r, --summarize and --uploads list what a bucket holds: name it",
                ))
            } else {
                buckets::ls(&a.remote, a.output)
            }
        }
        Command::Ls(a) => list::run(a),
        Command::Mb(a) => buckets::mb(a),
        Command::Rb(a) => buckets::rb(a),
        Command::Rm(a) => list::rm(a),
        Command::Cp(a) => list::cp(a),
        Command::Mv(a) => moves::mv(a),
        Command::Demo(a) => demo::run(a),
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "cos-sign", &mut buf);
            write_stdout(&buf)
        }
        Command::Man => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut buf)
                .map_err(|e| CliError::fail(format!("cannot render the man page: {e}")))
                .and_then(|()| write_stdout(&buf))
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if !e.message.is_empty() {
                esay!("cos-sign: {}", target::printable(&e.message));
            }
            ExitCode::from(e.code)
        }
    }
}
