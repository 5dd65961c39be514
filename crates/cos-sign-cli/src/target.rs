//! Where a command points: `cos://BUCKET/KEY` or `BUCKET KEY`, the region and bucket checks
//! (warnings for near misses), the hints for common endpoint mistakes, and URL redaction for
//! diagnostics.

use cos_sign_std::config::format_region;

use crate::CliError;

/// The COS regions known when this was written (public regions, the global acceleration
/// endpoint and the finance zones). A region outside this list is only warned about: COS adds
/// regions, and the SDK accepts any name matching its pattern.
pub(crate) const KNOWN_REGIONS: [&str; 25] = [
    "ap-beijing-1",
    "ap-beijing",
    "ap-nanjing",
    "ap-shanghai",
    "ap-guangzhou",
    "ap-chengdu",
    "ap-chongqing",
    "ap-shenzhen-fsi",
    "ap-shanghai-fsi",
    "ap-beijing-fsi",
    "ap-hongkong",
    "ap-singapore",
    "ap-mumbai",
    "ap-jakarta",
    "ap-seoul",
    "ap-bangkok",
    "ap-tokyo",
    "ap-taipei",
    "na-siliconvalley",
    "na-ashburn",
    "na-toronto",
    "sa-saopaulo",
    "eu-frankfurt",
    "eu-moscow",
    "accelerate",
];

/// Splits `cos://BUCKET/KEY`; `None` when `s` does not start with `cos://`.
///
/// # Errors
/// A `cos://` form without a bucket or a key.
pub(crate) fn parse_cos_uri(s: &str) -> Option<Result<(String, String), CliError>> {
    let rest = s.strip_prefix("cos://")?;
    Some(match rest.split_once('/') {
        Some((b, k)) if !b.is_empty() && !k.is_empty() => Ok((b.to_owned(), k.to_owned())),
        _ => Err(CliError::usage(format!(
            "{s:?}: expected cos://BUCKET/KEY (e.g. cos://examplebucket-1250000000/photos/cat.jpg)"
        ))),
    })
}

/// The bucket and key of `BUCKET KEY` or `cos://BUCKET/KEY` (then without a second value).
///
/// # Errors
/// A missing key, a key given twice, a bad `cos://` form.
pub(crate) fn bucket_key(first: &str, second: Option<&str>) -> Result<(String, String), CliError> {
    match (parse_cos_uri(first), second) {
        (Some(r), None) => r,
        (Some(_), Some(k)) => Err(CliError::usage(format!(
            "{first:?} already names the key; drop the extra {k:?}"
        ))),
        (None, Some(k)) => Ok((first.to_owned(), k.to_owned())),
        (None, None) => Err(CliError::usage(format!(
            "missing KEY: give BUCKET KEY or cos://BUCKET/KEY (got only {first:?})"
        ))),
    }
}

/// The region name a `--region` value resolves to as qcloud_cos resolves it (aliases
/// applied), when it is a `cos.` region; `None` for the legacy names (`cn-south`...), which
/// the SDK uses as they are.
fn resolved_region(region: &str) -> Option<String> {
    let host_part = format_region(region, "cos.", true, false).ok()?;
    host_part.strip_prefix("cos.").map(str::to_owned)
}

/// Levenshtein distance (small inputs only).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A warning for a region that the SDK's pattern accepts but that names no known COS region,
/// with a suggestion when there is a near miss. `None` for a known region or alias.
pub(crate) fn region_warning(region: &str) -> Option<String> {
    let resolved = resolved_region(region)?;
    if KNOWN_REGIONS.contains(&resolved.as_str()) {
        return None;
    }
    let mut msg = format!("{region:?} is not a known COS region");
    let alias = format!("cos{region}");
    let suggestion = if let Some(r) =
        resolved_region(&alias).filter(|r| *r != alias && KNOWN_REGIONS.contains(&r.as_str()))
    {
        Some(format!("{alias} (qcloud_cos's alias of {r}) or {r}"))
    } else if let Some(k) = KNOWN_REGIONS
        .iter()
        .find(|k| region.starts_with(&format!("{k}.")))
    {
        Some((*k).to_owned())
    } else {
        KNOWN_REGIONS
            .iter()
            .map(|k| (distance(&region.to_ascii_lowercase(), k), *k))
            .filter(|(d, _)| *d <= 3)
            .min()
            .map(|(_, k)| k.to_owned())
    };
    match suggestion {
        Some(s) => msg.push_str(&format!("; did you mean {s}?")),
        None => msg.push_str(" (regions look like ap-guangzhou, ap-beijing, na-ashburn)"),
    }
    msg.push_str(&format!(
        " The request will go to {}.",
        format_region(region, "cos.", true, false)
            .map(|r| format!("{r}.myqcloud.com"))
            .unwrap_or_default()
    ));
    Some(msg)
}

/// A warning for a bucket name without its `-APPID` suffix (unless `--appid` adds it).
pub(crate) fn bucket_warning(bucket: &str, appid: Option<&str>) -> Option<String> {
    if appid.is_some_and(|a| !a.is_empty()) {
        return None;
    }
    let has_appid = bucket.rsplit_once('-').is_some_and(|(name, id)| {
        !name.is_empty() && !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())
    });
    (!has_appid).then(|| {
        format!(
            "bucket {bucket:?} has no -APPID suffix: COS bucket names are <name>-<appid> \
             (e.g. {bucket}-1250000000); give the full name or --appid"
        )
    })
}

/// Refuses `--endpoint`/`--domain` values that carry a scheme, saying what to write instead.
///
/// # Errors
/// The value starts with `http://` or `https://`.
pub(crate) fn check_host_flag(flag: &str, value: &str) -> Result<(), CliError> {
    let lower = value.to_ascii_lowercase();
    for scheme in ["https", "http"] {
        if lower.starts_with(&format!("{scheme}://")) {
            let host = value[scheme.len() + 3..].trim_end_matches('/');
            let scheme_hint = if scheme == "http" {
                " --scheme http"
            } else {
                ""
            };
            return Err(CliError::usage(format!(
                "{flag} takes a host name, without a scheme: drop the scheme and write \
                 {flag} {host}{scheme_hint}"
            )));
        }
    }
    Ok(())
}

/// The hint for a failed request sent over https through `--proxy`.
pub(crate) const PROXY_HTTPS_HINT: &str = "hint: an https URL goes through --proxy as a CONNECT tunnel \
(\"tunnel error\"), which the local server (cos-sign serve) does not offer: add --scheme http \
(or pre-sign the URL with --scheme http)";

/// `url` with the values of its signature and its temporary key's token replaced by
/// `REDACTED`, for diagnostics.
pub(crate) fn redact_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if is_sensitive(k) => format!("{k}=REDACTED"),
            _ => p.to_owned(),
        })
        .collect();
    format!("{base}?{}", parts.join("&"))
}

/// The FormatString with the temporary key's token value replaced by `REDACTED` (it is a
/// secret; the StringToSign still holds its hash).
pub(crate) fn redact_token(http_string: &str) -> String {
    const NAME: &str = "x-cos-security-token=";
    let mut out = String::with_capacity(http_string.len());
    let mut rest = http_string;
    while let Some(i) = rest.find(NAME) {
        let after = &rest[i + NAME.len()..];
        let end = after.find(['&', '\n']).unwrap_or(after.len());
        out.push_str(&rest[..i + NAME.len()]);
        out.push_str("REDACTED");
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// A proxy URL as diagnostics show it: a password in it replaced by `REDACTED`.
///
/// Read as text, not as a URL: the value may not parse (it is then shown in the usage
/// error), or parse as something else than reqwest takes it for (`user:pw@host:port`
/// parses with the scheme `user`; reqwest adds `http://`). The user info is what comes
/// before the last `@`; everything in it after its first `:` is hidden.
pub(crate) fn redact_proxy(proxy: &str) -> String {
    let (scheme, rest) = match proxy.split_once("://") {
        Some((scheme, rest)) => (&proxy[..scheme.len() + 3], rest),
        None => ("", proxy),
    };
    match rest.rsplit_once('@') {
        Some((info, host)) => match info.split_once(':') {
            Some((user, _)) => format!("{scheme}{user}:REDACTED@{host}"),
            None => proxy.to_owned(),
        },
        None => proxy.to_owned(),
    }
}

/// Names whose values are secrets or signatures (params and headers): the secret headers
/// of [`cos_sign_http::is_secret_header`] (tokens, Authorization, SSE-C customer keys), and
/// the signature params.
pub(crate) fn is_sensitive(name: &str) -> bool {
    cos_sign_http::is_secret_header(name)
        || matches!(
            name.to_ascii_lowercase().as_str(),
            "q-signature" | "signature"
        )
}

/// A path as the commands print it: control characters escaped (`\u{1b}`), as in
/// [`cos_uri`]. The names below a folder come from keys, which the server chooses.
pub(crate) fn shown_path(p: &std::path::Path) -> String {
    shown(&p.to_string_lossy())
}

/// A value the server chose (a date, an ETag, an upload id) as one line shows it: control
/// characters escaped, line feeds too.
pub(crate) fn shown(s: &str) -> String {
    escape_controls(s, false)
}

/// A message as the commands print it on stderr: control characters escaped but line feeds
/// (which lay out the message), so that no name or answer in it can drive the terminal.
pub(crate) fn printable(message: &str) -> String {
    escape_controls(message, true)
}

fn escape_controls(s: &str, keep_lf: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() && !(keep_lf && c == '\n') {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

/// `cos://BUCKET/KEY` as the commands print an object: control characters in the key
/// escaped.
pub(crate) fn cos_uri(bucket: &str, key: &str) -> String {
    format!("cos://{bucket}/{}", key.escape_debug())
}

/// The bucket and prefix of `BUCKET [PREFIX]` or `cos://BUCKET/PREFIX` (`cos://BUCKET`:
/// the whole bucket).
pub(crate) fn bucket_prefix(
    first: &str,
    second: Option<&str>,
) -> Result<(String, String), CliError> {
    let Some(rest) = first.strip_prefix("cos://") else {
        return Ok((first.to_owned(), second.unwrap_or_default().to_owned()));
    };
    if let Some(p) = second {
        return Err(CliError::usage(format!(
            "{first:?} already names the prefix; drop the extra {p:?}"
        )));
    }
    match rest.split_once('/') {
        None if !rest.is_empty() => Ok((rest.to_owned(), String::new())),
        Some((b, "")) if !b.is_empty() => Ok((b.to_owned(), String::new())),
        _ => parse_cos_uri(first).unwrap_or_else(|| Err(CliError::usage("cos://BUCKET"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cos_uris() {
        assert_eq!(
            bucket_key("cos://b-1250000000/a/b c.txt", None).unwrap(),
            ("b-1250000000".to_owned(), "a/b c.txt".to_owned())
        );
        assert!(bucket_key("cos://b-1250000000/", None).is_err());
        assert!(bucket_key("cos://b-1250000000/a", Some("x")).is_err());
        assert!(bucket_key("b-1250000000", None).is_err());
        assert_eq!(
            bucket_key("b-1", Some("k")).unwrap(),
            ("b-1".to_owned(), "k".to_owned())
        );
    }

    #[test]
    fn regions() {
        assert_eq!(region_warning("ap-beijing"), None);
        assert_eq!(region_warning("cosgz"), None);
        assert_eq!(region_warning("cn-south"), None);
        assert!(region_warning("gz").unwrap().contains("did you mean cosgz"));
        assert!(
            region_warning("ap-bejing")
                .unwrap()
                .contains("did you mean ap-beijing?")
        );
        assert!(
            region_warning("ap-beijing.evil.com")
                .unwrap()
                .contains("did you mean ap-beijing?")
        );
        assert!(region_warning("mars").unwrap().contains("not a known"));
    }

    #[test]
    fn buckets_and_hosts() {
        assert_eq!(bucket_warning("b-1250000000", None), None);
        assert!(bucket_warning("examplebucket", None).is_some());
        assert!(bucket_warning("my-bucket", None).is_some());
        assert_eq!(bucket_warning("examplebucket", Some("1250000000")), None);
        assert!(check_host_flag("--endpoint", "cos.ap-beijing.myqcloud.com").is_ok());
        let e = check_host_flag("--endpoint", "https://cos.ap-beijing.myqcloud.com/").unwrap_err();
        assert!(
            e.message.contains("--endpoint cos.ap-beijing.myqcloud.com"),
            "{}",
            e.message
        );
    }

    #[test]
    fn controls_are_escaped() {
        let p = std::path::Path::new("out/\u{1b}[2Ja\nb");
        assert_eq!(shown_path(p), "out/\\u{1b}[2Ja\\nb");
        assert_eq!(printable("a\u{7}\n  b\r"), "a\\u{7}\n  b\\r");
        assert_eq!(printable("谷 plain"), "谷 plain");
    }

    #[test]
    fn redaction() {
        let u = "http://h/a?q-ak=AKID&q-signature=abc&x-cos-security-token=t&p=1";
        assert_eq!(
            redact_url(u),
            "http://h/a?q-ak=AKID&q-signature=REDACTED&x-cos-security-token=REDACTED&p=1"
        );
        for (proxy, shown) in [
            ("http://u:pw@h:8080", "http://u:REDACTED@h:8080"),
            ("u:pw@h:8080", "u:REDACTED@h:8080"),
            ("http://u:p@w:x@bad host", "http://u:REDACTED@bad host"),
            ("socks5://u:pw@[::1", "socks5://u:REDACTED@[::1"),
            ("http://u@h:8080", "http://u@h:8080"),
            ("http://h:8080", "http://h:8080"),
            ("h:8080", "h:8080"),
        ] {
            assert_eq!(redact_proxy(proxy), shown, "{proxy}");
        }
    }
}
