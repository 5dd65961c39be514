//! How the commands that name objects with credentials reach COS: the client (endpoint,
//! credentials, proxy), and the listing of a prefix page after page.

use std::sync::Arc;

use clap::Args;
use cos_sign_http::{Bucket, Client, ListOptions, ListPage};

use crate::target::{cos_uri, redact_proxy};
use crate::{CliError, CredArgs, EndpointArgs};

/// A client that signs for `bucket` with the credentials (none without a bucket: a
/// pre-signed URL), through `proxy` if given.
pub(crate) fn cos_client(
    endpoint: &EndpointArgs,
    creds: &CredArgs,
    bucket: Option<&str>,
    proxy: Option<&str>,
) -> Result<Client, CliError> {
    let mut b = Client::builder();
    if let Some(bucket) = bucket {
        b = b.signer(Arc::new(crate::signer(endpoint, creds, Some(bucket))?));
    }
    if let Some(p) = proxy {
        b = b.proxy(proxy_of(p)?);
    }
    b.build().map_err(CliError::from)
}

/// The `--proxy` value as a proxy for every request.
fn proxy_of(p: &str) -> Result<reqwest::Proxy, CliError> {
    let proxy = reqwest::Proxy::all(p)
        .map_err(|e| CliError::usage(format!("--proxy {}: {e}", redact_proxy(p))))?;
    tracing::info!(proxy = %redact_proxy(p), "sending through a proxy");
    Ok(proxy)
}

/// How ls, rm and cp reach COS: the endpoint, the credentials, maybe a proxy.
#[derive(Args, Debug)]
pub(crate) struct Remote {
    /// Send requests through this HTTP proxy (e.g. the local server: http://127.0.0.1:9000).
    #[arg(long)]
    proxy: Option<String>,
    #[command(flatten)]
    endpoint: EndpointArgs,
    #[command(flatten)]
    creds: CredArgs,
}

impl Remote {
    /// A handle on `bucket` through a client signing for it.
    pub(crate) fn bucket(&self, bucket: &str) -> Result<Bucket, CliError> {
        let client = cos_client(
            &self.endpoint,
            &self.creds,
            Some(bucket),
            self.proxy.as_deref(),
        )?;
        Ok(client.bucket(bucket))
    }

    /// A client signing with the credentials for no bucket in particular (GET Service).
    pub(crate) fn service_client(&self) -> Result<Client, CliError> {
        let signer = crate::signer(&self.endpoint, &self.creds, None)?;
        let mut b = Client::builder().signer(Arc::new(signer));
        if let Some(p) = &self.proxy {
            b = b.proxy(proxy_of(p)?);
        }
        b.build().map_err(CliError::from)
    }
}

/// Why [`pages`] stopped before the end.
#[derive(Debug)]
pub(crate) enum PagesError {
    /// The listing itself failed: a page could not be had (the message names the prefix and
    /// the marker), or its marker did not move on.
    Listing(CliError),
    /// The caller's `each` stopped it with this error.
    Each(CliError),
}

impl From<PagesError> for CliError {
    fn from(e: PagesError) -> Self {
        match e {
            PagesError::Listing(e) | PagesError::Each(e) => e,
        }
    }
}

/// Calls `each` with every page under `prefix` (one level with `delimiter`), to the end.
pub(crate) fn pages(
    rt: &tokio::runtime::Runtime,
    bucket: &Bucket,
    prefix: &str,
    delimiter: Option<&str>,
    mut each: impl FnMut(&ListPage) -> Result<(), CliError>,
) -> Result<(), PagesError> {
    let mut opts = ListOptions::new().prefix(prefix);
    if let Some(d) = delimiter {
        opts = opts.delimiter(d);
    }
    let mut marker: Option<String> = None;
    loop {
        let page = rt.block_on(bucket.list_objects(&opts)).map_err(|e| {
            let e = CliError::from(e);
            let after = marker
                .as_ref()
                .map_or(String::new(), |m| format!(" after {m:?}"));
            PagesError::Listing(CliError {
                message: format!(
                    "cannot list {}{after}: {}",
                    cos_uri(bucket.name(), prefix),
                    e.message
                ),
                ..e
            })
        })?;
        each(&page).map_err(PagesError::Each)?;
        match page.next_marker {
            // A marker that does not move on would list the same page forever.
            Some(m) if marker.as_ref().is_some_and(|last| m <= *last) => {
                return Err(PagesError::Listing(CliError::fail(format!(
                    "the listing does not move on: the next page would start after {m:?} again"
                ))));
            }
            Some(m) => {
                opts = opts.marker(m.clone());
                marker = Some(m);
            }
            None => return Ok(()),
        }
    }
}
