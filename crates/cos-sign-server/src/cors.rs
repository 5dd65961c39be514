//! Bucket CORS rules: the `CORSConfiguration` document of PUT and GET Bucket cors, its checks,
//! and how a browser's request is matched against it.
//!
//! COS's rules (PUT Bucket cors, <https://cloud.tencent.com/document/product/436/8279>): the
//! body is at most [`MAX_BODY`] (64 KB) of XML, `CORSConfiguration` with 1 to [`MAX_RULES`]
//! (100) `CORSRule`s and an optional `ResponseVary` (`true`/`false`). A rule has an optional
//! `ID`, one or more `AllowedOrigin` (a `*` anywhere in it matches any run of characters,
//! one `*` at most; `*` alone allows every origin), one or more `AllowedMethod` (`GET`, `PUT`,
//! `POST`, `DELETE`, `HEAD`), any `AllowedHeader` (case-insensitive, one `*` at most),
//! any `ExposeHeader` and an optional `MaxAgeSeconds`. A body that is no such document is 400
//! `MalformedXML`; a value that breaks a rule (a method outside the list, two `*`, a value
//! that could not be sent back in a response header) is 400 `InvalidArgument`.
//!
//! A request matches the first rule that allows its `Origin` and its method (for a
//! preflight, `Access-Control-Request-Method`) and, for a preflight, every name of its
//! `Access-Control-Request-Headers` (OPTIONS Object,
//! <https://cloud.tencent.com/document/product/436/8288>).

use hyper::StatusCode;

use super::error::CosError;
use super::request::digits;
use super::xml::{Element, XmlOut, malformed, parse};

/// Largest PUT Bucket cors body read (COS: 64 KB).
pub(crate) const MAX_BODY: usize = 64 * 1024;
/// Most rules one bucket may have (COS: 100).
pub(crate) const MAX_RULES: usize = 100;
/// Longest rule `ID`, in characters.
pub(crate) const MAX_ID_CHARS: usize = 255;
/// Longest `Origin` a request may send and still match a rule (a browser's origin is a
/// scheme, a host of at most 253 characters and a port).
pub(crate) const MAX_ORIGIN_LEN: usize = 2048;
/// Most names an `Access-Control-Request-Headers` may list and still match a rule.
pub(crate) const MAX_REQUESTED_HEADERS: usize = 100;

/// The methods a rule may allow.
pub(crate) const METHODS: [&str; 5] = ["GET", "PUT", "POST", "DELETE", "HEAD"];

/// The response headers the `--cors-allow-origin` rule exposes: the ones the SDKs read
/// (`ETag` above all: multipart uploads read each part's) and, through the `*`, every
/// `x-cos-*` header an answer carries (`x-cos-meta-*`, `x-cos-request-id`, ...).
pub(crate) const DEFAULT_EXPOSE: [&str; 12] = [
    "ETag",
    "Content-Length",
    "Content-Type",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
    "Content-Range",
    "Cache-Control",
    "Expires",
    "Last-Modified",
    "Date",
    "x-cos-*",
];
/// The `Access-Control-Max-Age` of the `--cors-allow-origin` rule.
pub(crate) const DEFAULT_MAX_AGE: u64 = 600;

/// One `CORSRule`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rule {
    pub id: Option<String>,
    pub origins: Vec<String>,
    pub methods: Vec<&'static str>,
    pub headers: Vec<String>,
    pub expose: Vec<String>,
    pub max_age: Option<u64>,
}

/// A bucket's `CORSConfiguration`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CorsConfig {
    pub rules: Vec<Rule>,
    pub response_vary: Option<bool>,
}

fn invalid(message: impl Into<String>) -> CosError {
    CosError::new(StatusCode::BAD_REQUEST, "InvalidArgument", message)
}

/// Whether `value` can be sent back in a response header as one list item: printable ASCII
/// without spaces or commas, not empty.
fn header_safe(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_graphic() && b != b',')
}

/// Checks an `AllowedOrigin` (or a `--cors-allow-origin` value).
pub(crate) fn check_origin(origin: &str) -> Result<(), String> {
    if !header_safe(origin) {
        return Err(format!(
            "{origin:?}: an origin is printable ASCII without spaces or commas, such as http://127.0.0.1:8080, http://*.example.com or *"
        ));
    }
    if origin.matches('*').count() > 1 {
        return Err(format!("{origin:?}: an origin may hold one * at most"));
    }
    Ok(())
}

/// Whether `value` matches `pattern` (ASCII case aside), whose one `*` (if any) stands for
/// any run of characters, none included.
pub(crate) fn wildcard_match(pattern: &str, value: &str) -> bool {
    let (p, v) = (pattern.as_bytes(), value.as_bytes());
    match pattern.split_once('*') {
        None => p.eq_ignore_ascii_case(v),
        Some((pre, suf)) => {
            v.len() >= pre.len() + suf.len()
                && v.get(..pre.len())
                    .is_some_and(|h| h.eq_ignore_ascii_case(pre.as_bytes()))
                && v.get(v.len() - suf.len()..)
                    .is_some_and(|t| t.eq_ignore_ascii_case(suf.as_bytes()))
        }
    }
}

/// The names of an `Access-Control-Request-Headers` value, lowercase (empty items skipped);
/// `None` past [`MAX_REQUESTED_HEADERS`] names.
pub(crate) fn requested_headers(value: &str) -> Option<Vec<String>> {
    let names: Vec<String> = value
        .split(',')
        .map(|n| n.trim_matches([' ', '\t']).to_ascii_lowercase())
        .filter(|n| !n.is_empty())
        .take(MAX_REQUESTED_HEADERS + 1)
        .collect();
    (names.len() <= MAX_REQUESTED_HEADERS).then_some(names)
}

impl Rule {
    pub fn allows_origin(&self, origin: &str) -> bool {
        origin.len() <= MAX_ORIGIN_LEN
            && origin.bytes().all(|b| b.is_ascii_graphic())
            && self.origins.iter().any(|p| wildcard_match(p, origin))
    }

    pub fn allows_method(&self, method: &str) -> bool {
        self.methods.contains(&method)
    }

    pub fn allows_header(&self, name: &str) -> bool {
        self.headers.iter().any(|p| wildcard_match(p, name))
    }

    /// Whether every origin is allowed (`*` alone): the answer's
    /// `Access-Control-Allow-Origin` is then `*`, else the request's origin.
    pub fn any_origin(&self) -> bool {
        self.origins.iter().any(|o| o == "*")
    }

    fn from_xml(el: &Element) -> Result<Self, CosError> {
        let mut rule = Rule {
            id: None,
            origins: Vec::new(),
            methods: Vec::new(),
            headers: Vec::new(),
            expose: Vec::new(),
            max_age: None,
        };
        for child in &el.children {
            if !child.children.is_empty() {
                return Err(malformed());
            }
            let text = child.text.trim();
            match child.name.as_str() {
                "ID" => {
                    if rule.id.is_some() {
                        return Err(malformed());
                    }
                    if text.chars().count() > MAX_ID_CHARS || text.chars().any(char::is_control) {
                        return Err(invalid(format!(
                            "A CORS rule ID is at most {MAX_ID_CHARS} characters, none of them control characters."
                        )));
                    }
                    rule.id = Some(text.to_owned());
                }
                "AllowedOrigin" => {
                    check_origin(text)
                        .map_err(|_| invalid(format!("AllowedOrigin {text:?} is not valid: printable ASCII without spaces or commas, one * at most.")))?;
                    rule.origins.push(text.to_owned());
                }
                "AllowedMethod" => {
                    let m = METHODS.iter().find(|m| **m == text).ok_or_else(|| {
                        invalid(format!(
                            "AllowedMethod {text:?} is not one of GET, PUT, POST, DELETE, HEAD."
                        ))
                    })?;
                    if !rule.methods.contains(m) {
                        rule.methods.push(m);
                    }
                }
                "AllowedHeader" => {
                    if !header_safe(text) || text.matches('*').count() > 1 {
                        return Err(invalid(format!(
                            "AllowedHeader {text:?} is not valid: a header name, one * at most."
                        )));
                    }
                    rule.headers.push(text.to_owned());
                }
                "ExposeHeader" => {
                    if !header_safe(text) || text.matches('*').count() > 1 {
                        return Err(invalid(format!(
                            "ExposeHeader {text:?} is not valid: a header name, one * at most."
                        )));
                    }
                    rule.expose.push(text.to_owned());
                }
                "MaxAgeSeconds" => {
                    if rule.max_age.is_some() {
                        return Err(malformed());
                    }
                    rule.max_age = Some(digits(text).ok_or_else(|| {
                        invalid(format!(
                            "MaxAgeSeconds {text:?} is not a number of seconds."
                        ))
                    })?);
                }
                _ => return Err(malformed()),
            }
        }
        if rule.origins.is_empty() || rule.methods.is_empty() {
            return Err(malformed());
        }
        Ok(rule)
    }
}

impl CorsConfig {
    /// The configuration of a PUT Bucket cors body.
    pub fn from_xml(body: &[u8]) -> Result<Self, CosError> {
        let root = parse(body)?;
        if root.name != "CORSConfiguration" {
            return Err(malformed());
        }
        let mut rules = Vec::new();
        let mut response_vary = None;
        for child in &root.children {
            match child.name.as_str() {
                "CORSRule" => {
                    if rules.len() == MAX_RULES {
                        return Err(invalid(format!(
                            "A bucket can have at most {MAX_RULES} CORS rules."
                        )));
                    }
                    rules.push(Rule::from_xml(child)?);
                }
                "ResponseVary" if response_vary.is_none() && child.children.is_empty() => {
                    response_vary = Some(match child.text.trim() {
                        "true" => true,
                        "false" => false,
                        _ => return Err(malformed()),
                    });
                }
                _ => return Err(malformed()),
            }
        }
        if rules.is_empty() {
            return Err(malformed());
        }
        Ok(Self {
            rules,
            response_vary,
        })
    }

    /// The GET Bucket cors answer (and the stored form on disk).
    pub fn to_xml(&self) -> Vec<u8> {
        let mut x = XmlOut::new("CORSConfiguration");
        for r in &self.rules {
            x.open("CORSRule");
            if let Some(id) = &r.id {
                x.field("ID", id);
            }
            for o in &r.origins {
                x.field("AllowedOrigin", o);
            }
            for m in &r.methods {
                x.field("AllowedMethod", m);
            }
            for h in &r.headers {
                x.field("AllowedHeader", h);
            }
            for h in &r.expose {
                x.field("ExposeHeader", h);
            }
            if let Some(age) = r.max_age {
                x.field("MaxAgeSeconds", &age.to_string());
            }
            x.close("CORSRule");
        }
        if let Some(vary) = self.response_vary {
            x.field("ResponseVary", if vary { "true" } else { "false" });
        }
        x.finish()
    }

    /// The rule of `--cors-allow-origin`: these origins, every method, every header, the
    /// usual headers exposed ([`DEFAULT_EXPOSE`]).
    pub fn allow_origins(origins: &[String]) -> Result<Self, String> {
        for o in origins {
            check_origin(o)?;
        }
        Ok(Self {
            rules: vec![Rule {
                id: Some("cos-sign-server --cors-allow-origin".to_owned()),
                origins: origins.to_vec(),
                methods: METHODS.to_vec(),
                headers: vec!["*".to_owned()],
                expose: DEFAULT_EXPOSE.iter().map(|h| (*h).to_owned()).collect(),
                max_age: Some(DEFAULT_MAX_AGE),
            }],
            response_vary: None,
        })
    }

    /// The rule a preflight matches: its origin, the method it asks for, and every header
    /// it names.
    pub fn preflight(&self, origin: &str, method: &str, headers: &[String]) -> Option<&Rule> {
        self.rules.iter().find(|r| {
            r.allows_origin(origin)
                && r.allows_method(method)
                && headers.iter().all(|h| r.allows_header(h))
        })
    }

    /// The rule an actual request matches: its origin and its method.
    pub fn actual(&self, origin: &str, method: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.allows_origin(origin) && r.allows_method(method))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = "<CORSConfiguration>
  <CORSRule>
    <ID>site</ID>
    <AllowedOrigin>http://www.example.com</AllowedOrigin>
    <AllowedOrigin>http://*.example.com</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedHeader>content-type</AllowedHeader>
    <AllowedHeader>x-cos-meta-*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>300</MaxAgeSeconds>
  </CORSRule>
  <CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod></CORSRule>
  <ResponseVary>true</ResponseVary>
</CORSConfiguration>";

    #[test]
    fn documents_parse_and_round_trip() {
        let c = CorsConfig::from_xml(TWO.as_bytes()).unwrap();
        assert_eq!(c.rules.len(), 2);
        let r = &c.rules[0];
        assert_eq!(r.id.as_deref(), Some("site"));
        assert_eq!(r.methods, ["PUT", "GET"]);
        assert_eq!(r.max_age, Some(300));
        assert_eq!(c.response_vary, Some(true));
        assert_eq!(CorsConfig::from_xml(&c.to_xml()).unwrap(), c);
        let text = String::from_utf8(c.to_xml()).unwrap();
        assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CORSConfiguration><CORSRule><ID>site</ID><AllowedOrigin>http://www.example.com</AllowedOrigin>"), "{text}");
        assert!(text.ends_with("<ResponseVary>true</ResponseVary></CORSConfiguration>"));
    }

    #[test]
    fn bad_documents_are_refused_with_cos_codes() {
        let code = |s: &str| CorsConfig::from_xml(s.as_bytes()).unwrap_err().code;
        let rule = |inner: &str| {
            format!("<CORSConfiguration><CORSRule>{inner}</CORSRule></CORSConfiguration>")
        };
        for bad in [
            "",
            "<CORSConfiguration/>",
            "<CORSConfiguration></CORSConfiguration>",
            "<Other><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></Other>",
            &rule("<AllowedMethod>GET</AllowedMethod>"),
            &rule("<AllowedOrigin>*</AllowedOrigin>"),
            &rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><Extra/>"),
            &rule(
                "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ID>a</ID><ID>b</ID>",
            ),
            &rule("<AllowedOrigin><x/></AllowedOrigin><AllowedMethod>GET</AllowedMethod>"),
            "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule><ResponseVary>yes</ResponseVary></CORSConfiguration>",
            "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>",
        ] {
            assert_eq!(code(bad), "MalformedXML", "{bad}");
        }
        for bad in [
            rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>get</AllowedMethod>"),
            rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>"),
            rule("<AllowedOrigin>http://*.*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"),
            rule("<AllowedOrigin>http://a b</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"),
            rule(
                "<AllowedOrigin>http://a,http://b</AllowedOrigin><AllowedMethod>GET</AllowedMethod>",
            ),
            rule("<AllowedOrigin>http://中.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"),
            rule("<AllowedOrigin></AllowedOrigin><AllowedMethod>GET</AllowedMethod>"),
            rule(
                "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>a**</AllowedHeader>",
            ),
            rule(
                "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>a&#10;b</ExposeHeader>",
            ),
            rule(
                "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>-1</MaxAgeSeconds>",
            ),
            rule(&format!(
                "<ID>{}</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>",
                "i".repeat(256)
            )),
        ] {
            assert_eq!(code(&bad), "InvalidArgument", "{bad}");
        }
        let one = "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>";
        let hundred = format!("<CORSConfiguration>{}</CORSConfiguration>", one.repeat(100));
        assert_eq!(
            CorsConfig::from_xml(hundred.as_bytes())
                .unwrap()
                .rules
                .len(),
            100
        );
        let more = format!("<CORSConfiguration>{}</CORSConfiguration>", one.repeat(101));
        assert_eq!(code(&more), "InvalidArgument");
    }

    #[test]
    fn matching_follows_origins_methods_and_headers() {
        let c = CorsConfig::from_xml(TWO.as_bytes()).unwrap();
        let h = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        let id = |r: Option<&Rule>| r.and_then(|r| r.id.clone());
        let site = Some("site".to_owned());
        assert_eq!(id(c.preflight("http://www.example.com", "PUT", &[])), site);
        assert_eq!(
            id(c.preflight(
                "http://a.b.example.com",
                "GET",
                &h(&["content-type", "x-cos-meta-author"])
            )),
            site
        );
        assert_eq!(id(c.preflight("HTTP://WWW.EXAMPLE.COM", "PUT", &[])), site);
        // `*.example.com` needs the dot: the bare domain and look-alikes do not match.
        assert!(c.preflight("http://example.com", "PUT", &[]).is_none());
        assert!(c.preflight("http://evilexample.com", "PUT", &[]).is_none());
        assert!(c.preflight("https://www.example.com", "PUT", &[]).is_none());
        assert!(
            c.preflight("http://www.example.com", "DELETE", &[])
                .is_none()
        );
        assert!(c.preflight("http://www.example.com", "put", &[]).is_none());
        assert!(
            c.preflight("http://www.example.com", "PUT", &h(&["x-other"]))
                .is_none()
        );
        // The second rule: any origin, HEAD only, no header allowed.
        let any = c.preflight("null", "HEAD", &[]).unwrap();
        assert!(any.any_origin() && any.id.is_none());
        assert!(c.preflight("null", "HEAD", &h(&["content-type"])).is_none());
        assert_eq!(id(c.actual("http://x.example.com", "GET")), site);
        assert!(c.actual("http://x.example.com", "DELETE").is_none());
        assert!(
            c.actual(&format!("http://{}.example.com", "a".repeat(3000)), "GET")
                .is_none()
        );
    }

    /// Generated rule documents, origins and header lists (odd bytes, `*` runs, commas,
    /// multi-byte characters, long runs): each parses or is refused with a COS code, an
    /// accepted one round-trips, and matching never panics and only ever matches an origin
    /// the rule's own patterns match.
    #[test]
    fn generated_rules_and_requests_never_panic() {
        const PIECES: [&str; 16] = [
            "http://",
            "*",
            ".example.com",
            ",",
            " ",
            "\t",
            "\u{0}",
            "\u{7f}",
            "中",
            "é",
            "%",
            "x-cos-meta-",
            "GET",
            "PUT",
            "&amp;",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ];
        let seed = std::cell::Cell::new(0x9E37_79B9_7F4A_7C15u64);
        let next = || {
            let mut x = seed.get();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            seed.set(x);
            x
        };
        let make = |max: u64| {
            let mut s = String::new();
            for _ in 0..next() % max {
                s.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
            }
            s
        };
        let (mut accepted, mut refused, mut matched) = (0, 0, 0);
        for _ in 0..20_000 {
            let o = make(4);
            let m = ["GET", "PUT", "HEAD", "get", "PATCH"][(next() % 5) as usize];
            let (h, e) = (make(3), make(3));
            let element = |name: &str, v: &str| {
                if v.is_empty() && next() % 2 == 0 {
                    String::new()
                } else {
                    format!("<{name}>{v}</{name}>")
                }
            };
            let body = format!(
                "<CORSConfiguration><CORSRule><AllowedOrigin>{o}</AllowedOrigin><AllowedMethod>{m}</AllowedMethod>{}{}</CORSRule></CORSConfiguration>",
                element("AllowedHeader", &h),
                element("ExposeHeader", &e)
            );
            // Half the time an origin made from the pattern, so rules do match.
            let origin = if next() % 2 == 0 {
                o.replacen('*', &make(2), 1)
            } else {
                make(6)
            };
            let asked = requested_headers(&make(8)).unwrap_or_default();
            match CorsConfig::from_xml(body.as_bytes()) {
                Ok(c) => {
                    accepted += 1;
                    assert_eq!(CorsConfig::from_xml(&c.to_xml()).as_ref().ok(), Some(&c));
                    for method in METHODS {
                        if let Some(r) = c.preflight(&origin, method, &asked) {
                            matched += 1;
                            assert!(r.origins.iter().any(|p| wildcard_match(p, &origin)));
                            assert!(origin.bytes().all(|b| b.is_ascii_graphic()));
                        }
                        let _ = c.actual(&origin, method);
                    }
                }
                Err(err) => {
                    refused += 1;
                    assert!(
                        matches!(err.code, "MalformedXML" | "InvalidArgument"),
                        "{}",
                        err.code
                    );
                }
            }
        }
        assert!(
            accepted > 100 && refused > 1_000 && matched > 10,
            "{accepted} {refused} {matched}"
        );
    }

    #[test]
    fn wildcards_and_requested_headers() {
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("a*", "a"));
        assert!(wildcard_match("*b", "ab"));
        assert!(wildcard_match("a*b", "ab"));
        assert!(!wildcard_match("ab*ba", "aba"));
        assert!(wildcard_match("x-cos-meta-*", "X-Cos-Meta-Author"));
        assert!(!wildcard_match("abc", "ab"));
        // Multi-byte values never split a character (no panic).
        assert!(!wildcard_match("é*", "e"));
        assert!(!wildcard_match("*é", "中"));
        assert_eq!(
            requested_headers(" Content-Type,,x-cos-meta-a ,\tb").unwrap(),
            ["content-type", "x-cos-meta-a", "b"]
        );
        assert_eq!(requested_headers("").unwrap(), Vec::<String>::new());
        assert!(requested_headers(&"a,".repeat(100)).is_some());
        assert!(requested_headers(&"a,".repeat(101)).is_none());
        assert!(check_origin("http://*.example.com:8080").is_ok());
        assert!(check_origin("*").is_ok());
        assert!(check_origin("**").is_err());
        assert!(check_origin("").is_err());
        let d = CorsConfig::allow_origins(&["http://127.0.0.1:9000".to_owned()]).unwrap();
        let r = d
            .preflight(
                "http://127.0.0.1:9000",
                "DELETE",
                &["x-anything".to_owned()],
            )
            .unwrap();
        assert_eq!(r.max_age, Some(DEFAULT_MAX_AGE));
        assert!(CorsConfig::allow_origins(&["a b".to_owned()]).is_err());
    }
}
