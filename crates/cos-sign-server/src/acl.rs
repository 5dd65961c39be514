//! Access control lists: their rules, the `x-cos-acl` and `x-cos-grant-*` headers, the
//! `AccessControlPolicy` body, and PUT and GET Object acl (`/<key>?acl`) and Bucket acl
//! (`/?acl`).
//!
//! COS's rules (ACL overview, <https://cloud.tencent.com/document/product/436/30583>; PUT
//! Object acl, <https://cloud.tencent.com/document/product/436/7748>; PUT Bucket acl,
//! <https://cloud.tencent.com/document/product/436/7737>):
//!
//! - canned ACLs (`x-cos-acl`): for objects `default` (inherit the bucket's, the default),
//!   `private` and `public-read`; for buckets `private` (the default), `public-read` and
//!   `public-read-write`. Another value is 400 `InvalidArgument`.
//! - grants: `x-cos-grant-read`, `-read-acp`, `-write-acp`, `-full-control` (and, for buckets,
//!   `-write`), each a comma-separated list of `id="<OwnerUin>"`, `id="<OwnerUin>/<SubUin>"`
//!   or `id="qcs::cam::uin/<OwnerUin>:uin/<SubUin>"` (and `uri="<AllUsers URI>"` or
//!   `id="qcs::cam::anyone:anyone"` for everyone); they add to the canned ACL (COS's own
//!   example sends both).
//! - the body: `<AccessControlPolicy><Owner/><AccessControlList><Grant><Grantee>` with an `ID`
//!   (`xsi:type="CanonicalUser"`) or the `URI` [`ALL_USERS`] (`xsi:type="Group"`), and a
//!   `Permission` of `READ`, `WRITE` (buckets only), `READ_ACP`, `WRITE_ACP`, `FULL_CONTROL`.
//!   A PUT sends headers or a body, not both; at most [`MAX_GRANTS`] grants.
//! - the owner always has `FULL_CONTROL`; GET acl lists it first.
//!
//! An object's ACL is kept with its other stored headers under [`STORED_NAME`] (absent:
//! `default`), so an upload's ACL goes through Initiate to Complete and into the disk store's
//! file; PUT Object acl changes only that entry (see `Store::set_header`: on disk a small
//! override file, the object's bytes untouched). A bucket's ACL is kept in the
//! [`crate::bucket_config`] store (absent: `private`).

use super::aws_chunked::ReqBody;
use hyper::{Response, StatusCode};

use super::State;
use super::body::read_checked_body;
use super::bucket::xml_response;
use super::error::CosError;
use super::request::VerifiedRequest;
use super::response::{Body, Ctx, Refused, empty_answer};
use super::xml::{XmlOut, malformed, parse};

/// The AllUsers group: anyone, signed or not.
pub(crate) const ALL_USERS: &str = "http://cam.qcloud.com/groups/global/AllUsers";
/// The id COS's policies (and the Node.js SDK's reading of an ACL) give anyone: taken as
/// the AllUsers group in a grant.
pub(crate) const ANYONE_ID: &str = "qcs::cam::anyone:anyone";
/// The request header (and POST form field) with the canned ACL, and the name an object's
/// ACL is stored under with its headers.
pub(crate) const STORED_NAME: &str = "x-cos-acl";
/// The name a bucket's ACL is kept under in the bucket configuration store.
pub(crate) const BUCKET_CONFIG_NAME: &str = "acl";
/// Most grants one ACL may hold ("a resource can have up to 100 ACL policies").
pub(crate) const MAX_GRANTS: usize = 100;
/// Largest PUT acl body read: 100 grants with the longest ids fit many times over.
pub(crate) const MAX_ACL_BODY: usize = 64 * 1024;
/// Longest uin (digits) accepted in an id.
const MAX_UIN_DIGITS: usize = 20;
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// The grant headers, each with the permission it grants.
const GRANT_HEADERS: [(&str, Permission); 5] = [
    ("x-cos-grant-read", Permission::Read),
    ("x-cos-grant-write", Permission::Write),
    ("x-cos-grant-read-acp", Permission::ReadAcp),
    ("x-cos-grant-write-acp", Permission::WriteAcp),
    ("x-cos-grant-full-control", Permission::FullControl),
];

/// What an ACL belongs to: the canned values and permissions differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resource {
    Object,
    Bucket,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Permission {
    Read,
    Write,
    ReadAcp,
    WriteAcp,
    FullControl,
}

impl Permission {
    const ALL: [Permission; 5] = [
        Permission::Read,
        Permission::Write,
        Permission::ReadAcp,
        Permission::WriteAcp,
        Permission::FullControl,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Permission::Read => "READ",
            Permission::Write => "WRITE",
            Permission::ReadAcp => "READ_ACP",
            Permission::WriteAcp => "WRITE_ACP",
            Permission::FullControl => "FULL_CONTROL",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == s)
    }
}

/// Who a grant is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Grantee {
    /// The AllUsers group ([`ALL_USERS`]).
    AllUsers,
    /// An account, by its full id `qcs::cam::uin/<OwnerUin>:uin/<Uin>`.
    User(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grant {
    pub grantee: Grantee,
    pub permission: Permission,
}

/// An ACL: whether it inherits the bucket's (an object's `default`), and its grants besides
/// the owner's `FULL_CONTROL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Acl {
    inherit: bool,
    grants: Vec<Grant>,
}

fn invalid(message: impl Into<String>) -> CosError {
    CosError::new(StatusCode::BAD_REQUEST, "InvalidArgument", message)
}

fn too_many() -> CosError {
    CosError::new(
        StatusCode::BAD_REQUEST,
        "AttachmentFull",
        format!("An ACL can hold at most {MAX_GRANTS} grants."),
    )
}

/// The full id of an account: `<uin>`, `<uin>/<sub uin>` or
/// `qcs::cam::uin/<uin>:uin/<sub uin>`, each uin of 1 to 20 ASCII digits.
pub(crate) fn canonical_id(id: &str) -> Option<String> {
    let uin = |s: &str| -> bool {
        !s.is_empty() && s.len() <= MAX_UIN_DIGITS && s.bytes().all(|b| b.is_ascii_digit())
    };
    let (owner, sub) = if let Some(rest) = id.strip_prefix("qcs::cam::uin/") {
        let (o, s) = rest.split_once(":uin/")?;
        (o, s)
    } else if let Some((o, s)) = id.split_once('/') {
        (o, s)
    } else {
        (id, id)
    };
    (uin(owner) && uin(sub)).then(|| format!("qcs::cam::uin/{owner}:uin/{sub}"))
}

/// The full id of an owner uin.
pub(crate) fn owner_id(uin: &str) -> String {
    format!("qcs::cam::uin/{uin}:uin/{uin}")
}

impl Acl {
    /// An object's `default`: the bucket's ACL applies.
    pub fn inherit() -> Self {
        Self {
            inherit: true,
            grants: Vec::new(),
        }
    }

    /// The ACL an object request (PUT, Initiate, POST Object, Copy) gives the object it
    /// writes: its `x-cos-acl` and `x-cos-grant-*` headers, `default` without any.
    pub fn of_object_request<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self, CosError> {
        Ok(Self::from_headers(get, Resource::Object)?.unwrap_or_else(Self::inherit))
    }

    /// `private`: the owner only.
    pub fn private() -> Self {
        Self {
            inherit: false,
            grants: Vec::new(),
        }
    }

    fn canned(value: &str, resource: Resource) -> Result<Self, CosError> {
        let all = |p| Grant {
            grantee: Grantee::AllUsers,
            permission: p,
        };
        let acl = |grants| Self {
            inherit: false,
            grants,
        };
        match (value, resource) {
            ("default", Resource::Object) => Ok(Self::inherit()),
            ("private", _) => Ok(Self::private()),
            ("public-read", _) => Ok(acl(vec![all(Permission::Read)])),
            ("public-read-write", Resource::Bucket) => {
                Ok(acl(vec![all(Permission::Read), all(Permission::Write)]))
            }
            _ => Err(invalid(match resource {
                Resource::Object => {
                    "x-cos-acl must be default, private or public-read for an object."
                }
                Resource::Bucket => {
                    "x-cos-acl must be private, public-read or public-read-write for a bucket."
                }
            })),
        }
    }

    fn push(&mut self, grant: Grant, resource: Resource) -> Result<(), CosError> {
        if grant.permission == Permission::Write && resource == Resource::Object {
            return Err(invalid("An object's ACL cannot grant WRITE."));
        }
        if !self.grants.contains(&grant) {
            if self.grants.len() == MAX_GRANTS {
                return Err(too_many());
            }
            self.grants.push(grant);
        }
        Ok(())
    }

    /// The ACL the `x-cos-acl` and `x-cos-grant-*` headers (`get` looks one up by its
    /// lowercase name) set, or `None` when there are none (an empty `x-cos-acl` is none).
    /// Without `x-cos-acl` the grants add to the default (`default` for an object,
    /// `private` for a bucket).
    pub fn from_headers<'a>(
        get: impl Fn(&str) -> Option<&'a str>,
        resource: Resource,
    ) -> Result<Option<Self>, CosError> {
        let canned = get(STORED_NAME).map(str::trim).filter(|v| !v.is_empty());
        let grants: Vec<(&str, Permission)> = GRANT_HEADERS
            .iter()
            .filter_map(|(name, p)| get(name).map(|v| (v, *p)))
            .collect();
        if canned.is_none() && grants.is_empty() {
            return Ok(None);
        }
        let mut acl = match (canned, resource) {
            (Some(c), _) => Self::canned(c, resource)?,
            (None, Resource::Object) => Self::inherit(),
            (None, Resource::Bucket) => Self::private(),
        };
        for (value, permission) in grants {
            for grantee in grantee_list(value)? {
                acl.push(
                    Grant {
                        grantee,
                        permission,
                    },
                    resource,
                )?;
            }
        }
        Ok(Some(acl))
    }

    /// The ACL of an `AccessControlPolicy` body. Its `Owner` is not checked (the owner cannot
    /// change); a `FULL_CONTROL` grant to the owner, as GET acl lists it, is kept and listed
    /// once by [`Acl::to_xml`].
    pub fn from_xml(body: &[u8], resource: Resource) -> Result<Self, CosError> {
        let root = parse(body)?;
        if root.name != "AccessControlPolicy" {
            return Err(malformed());
        }
        let list = root.child("AccessControlList").ok_or_else(malformed)?;
        let mut acl = Self::private();
        for g in list.all("Grant") {
            let grantee = g.child("Grantee").ok_or_else(malformed)?;
            let permission = g.child("Permission").ok_or_else(malformed)?;
            let grantee = match (grantee.child("ID"), grantee.child("URI")) {
                (Some(id), None) if id.text.trim() == ANYONE_ID => Grantee::AllUsers,
                (Some(id), None) => Grantee::User(
                    canonical_id(id.text.trim())
                        .ok_or_else(|| invalid("A grantee ID is not a valid account id."))?,
                ),
                (None, Some(uri)) if uri.text.trim() == ALL_USERS => Grantee::AllUsers,
                (None, Some(_)) => {
                    return Err(invalid(format!(
                        "The only group a grant may name is {ALL_USERS}."
                    )));
                }
                _ => return Err(malformed()),
            };
            let permission = Permission::parse(permission.text.trim()).ok_or_else(|| {
                invalid("A Permission must be READ, WRITE, READ_ACP, WRITE_ACP or FULL_CONTROL.")
            })?;
            acl.push(
                Grant {
                    grantee,
                    permission,
                },
                resource,
            )?;
        }
        Ok(acl)
    }

    /// The ACL stored with an object (its `default` when none is). A damaged entry reads as
    /// `private`: it never opens an object.
    pub fn of(headers: &[(String, String)]) -> Self {
        match headers.iter().find(|(n, _)| n == STORED_NAME) {
            None => Self::inherit(),
            Some((_, v)) => Self::from_stored(v).unwrap_or_else(Self::private),
        }
    }

    /// Puts this ACL in place of the one in `headers` (`default`: the entry is removed).
    pub fn store_in(&self, headers: &mut Vec<(String, String)>) {
        headers.retain(|(n, _)| n != STORED_NAME);
        if !self.is_default() {
            headers.push((STORED_NAME.to_owned(), self.stored_value()));
        }
    }

    /// Whether this is an object's plain `default`.
    pub fn is_default(&self) -> bool {
        self.inherit && self.grants.is_empty()
    }

    /// The stored form: `default` or `private`, then `PERMISSION=grantee` words (the grantee
    /// `AllUsers` or a full id; neither holds a space).
    pub fn stored_value(&self) -> String {
        let mut out = String::from(if self.inherit { "default" } else { "private" });
        for g in &self.grants {
            out.push(' ');
            out.push_str(g.permission.name());
            out.push('=');
            match &g.grantee {
                Grantee::AllUsers => out.push_str("AllUsers"),
                Grantee::User(id) => out.push_str(id),
            }
        }
        out
    }

    /// Reads the stored form back; `None` when it is damaged.
    pub fn from_stored(value: &str) -> Option<Self> {
        let mut words = value.split(' ');
        let inherit = match words.next()? {
            "default" => true,
            "private" => false,
            _ => return None,
        };
        let mut grants = Vec::new();
        for w in words {
            let (p, who) = w.split_once('=')?;
            let grantee = match who {
                "AllUsers" => Grantee::AllUsers,
                id => Grantee::User(canonical_id(id)?),
            };
            grants.push(Grant {
                grantee,
                permission: Permission::parse(p)?,
            });
        }
        if grants.len() > MAX_GRANTS {
            return None;
        }
        Some(Self { inherit, grants })
    }

    /// Whether the AllUsers group holds `p` (or `FULL_CONTROL`).
    pub fn all_users_may(&self, p: Permission) -> bool {
        self.grants.iter().any(|g| {
            g.grantee == Grantee::AllUsers
                && (g.permission == p || g.permission == Permission::FullControl)
        })
    }

    /// The GET acl answer for the owner `owner` (a full id): the owner's `FULL_CONTROL`
    /// first, then the other grants.
    pub fn to_xml(&self, owner: &str) -> Vec<u8> {
        let mut x = XmlOut::new("AccessControlPolicy");
        x.person("Owner", owner);
        x.open("AccessControlList");
        let owner_grant = Grant {
            grantee: Grantee::User(owner.to_owned()),
            permission: Permission::FullControl,
        };
        let others = self.grants.iter().filter(|g| **g != owner_grant);
        for g in std::iter::once(&owner_grant).chain(others) {
            x.open("Grant");
            match &g.grantee {
                Grantee::AllUsers => {
                    x.open_with("Grantee", &[("xmlns:xsi", XSI), ("xsi:type", "Group")])
                        .field("URI", ALL_USERS);
                }
                Grantee::User(id) => {
                    x.open_with(
                        "Grantee",
                        &[("xmlns:xsi", XSI), ("xsi:type", "CanonicalUser")],
                    )
                    .field("ID", id)
                    .field("DisplayName", id);
                }
            }
            x.close("Grantee")
                .field("Permission", g.permission.name())
                .close("Grant");
        }
        x.close("AccessControlList");
        x.finish()
    }
}

/// The grantees of one `x-cos-grant-*` value: `id="..."` or `uri="..."` items separated by
/// commas (quotes optional).
fn grantee_list(value: &str) -> Result<Vec<Grantee>, CosError> {
    let bad = || {
        invalid(
            "An x-cos-grant-* header must list id=\"<uin>\" items (or the AllUsers uri), comma-separated.",
        )
    };
    let mut out = Vec::new();
    for item in value.split(',') {
        let (name, v) = item.trim().split_once('=').ok_or_else(bad)?;
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(v);
        let grantee = match name.trim().to_ascii_lowercase().as_str() {
            "id" if v == ANYONE_ID => Grantee::AllUsers,
            "id" => Grantee::User(canonical_id(v).ok_or_else(bad)?),
            "uri" if v == ALL_USERS => Grantee::AllUsers,
            _ => return Err(bad()),
        };
        if out.len() > MAX_GRANTS {
            return Err(too_many());
        }
        out.push(grantee);
    }
    Ok(out)
}

/// Whether an anonymous request may read an object with ACL `object` in a bucket with ACL
/// `bucket`: the object grants AllUsers `READ`, or it inherits (`default`) and the bucket
/// does.
pub(crate) fn anonymous_may_read(object: &Acl, bucket: &Acl) -> bool {
    object.all_users_may(Permission::Read)
        || (object.inherit && bucket.all_users_may(Permission::Read))
}

/// The full id of a bucket's owner: `--owner-uin`, else the bucket's APPID.
pub(crate) fn owner_of(state: &State, bucket: &str) -> String {
    owner_id(
        state
            .owner_uin
            .as_deref()
            .unwrap_or_else(|| super::bucket::owner(bucket)),
    )
}

/// A bucket's ACL (`private` when none was set).
pub(crate) async fn bucket_acl(state: &State, bucket: &str) -> Result<Acl, CosError> {
    let stored = state
        .buckets
        .get(bucket, BUCKET_CONFIG_NAME)
        .await
        .map_err(CosError::storage)?;
    Ok(stored.map_or_else(Acl::private, |v| {
        Acl::from_stored(&v).unwrap_or_else(Acl::private)
    }))
}

/// The ACL a PUT acl sets: its headers, or its body (Content-MD5 checked when sent), not
/// both, and one of them.
async fn requested(
    state: &State,
    vreq: &VerifiedRequest,
    body: ReqBody,
    resource: Resource,
) -> Result<Acl, Refused> {
    let headers = Acl::from_headers(|n| vreq.header(n), resource);
    let body = read_checked_body(state, vreq, body, MAX_ACL_BODY, false).await?;
    match (headers?, body.is_empty()) {
        (Some(acl), true) => Ok(acl),
        (Some(_), false) => Err(invalid(
            "Send the ACL either in the x-cos-acl and x-cos-grant-* headers or in the body, not both.",
        )
        .into()),
        (None, false) => Ok(Acl::from_xml(&body, resource)?),
        (None, true) => Err(invalid(
            "PUT acl needs x-cos-acl, an x-cos-grant-* header or an AccessControlPolicy body.",
        )
        .into()),
    }
}

/// GET Object acl (HEAD too, without a body): 404 `NoSuchKey` for a missing object. An
/// object's `default` ACL is also named in the `x-cos-acl: default` header (qcloud_cos reads
/// it to tell `default` from `private`).
pub(crate) async fn get_object(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
) -> Result<Response<Body>, CosError> {
    let found = state
        .store
        .get(&vreq.bucket, &vreq.key, true)
        .await
        .map_err(CosError::storage)?;
    let (meta, _) = found.ok_or_else(CosError::no_such_key)?;
    let acl = Acl::of(&meta.headers);
    let mut resp = xml_response(
        ctx,
        StatusCode::OK,
        acl.to_xml(&owner_of(state, &vreq.bucket)),
    );
    if acl.is_default() {
        resp.headers_mut().insert(
            STORED_NAME,
            hyper::header::HeaderValue::from_static("default"),
        );
    }
    Ok(resp)
}

/// PUT Object acl: the ACL replaces the object's (its bytes, ETag and Last-Modified stay).
pub(crate) async fn put_object(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
    body: ReqBody,
) -> Result<Response<Body>, Refused> {
    let acl = requested(state, vreq, body, Resource::Object).await?;
    let value = (!acl.is_default()).then(|| acl.stored_value());
    let done = state
        .store
        .set_header(&vreq.bucket, &vreq.key, STORED_NAME, value.as_deref())
        .await
        .map_err(CosError::storage)?;
    if !done {
        return Err(CosError::no_such_key().into());
    }
    Ok(empty_answer(ctx, StatusCode::OK))
}

/// GET Bucket acl (HEAD too, without a body).
pub(crate) async fn get_bucket(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
) -> Result<Response<Body>, CosError> {
    let acl = bucket_acl(state, &vreq.bucket).await?;
    Ok(xml_response(
        ctx,
        StatusCode::OK,
        acl.to_xml(&owner_of(state, &vreq.bucket)),
    ))
}

/// PUT Bucket acl: the ACL replaces the bucket's.
pub(crate) async fn put_bucket(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
    body: ReqBody,
) -> Result<Response<Body>, Refused> {
    let acl = requested(state, vreq, body, Resource::Bucket).await?;
    set_bucket(state, &vreq.bucket, &acl).await?;
    Ok(empty_answer(ctx, StatusCode::OK))
}

pub(crate) async fn set_bucket(state: &State, bucket: &str, acl: &Acl) -> Result<(), CosError> {
    state
        .buckets
        .put(bucket, BUCKET_CONFIG_NAME, &acl.stored_value())
        .await
        .map_err(CosError::storage)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> + 'a {
        move |n| pairs.iter().find(|(k, _)| *k == n).map(|(_, v)| *v)
    }

    #[test]
    fn canned_values_per_resource() {
        let h = |v: &'static str, r| Acl::from_headers(headers(&[("x-cos-acl", v)]), r);
        assert_eq!(
            h("default", Resource::Object).unwrap(),
            Some(Acl::inherit())
        );
        assert_eq!(
            h("private", Resource::Bucket).unwrap(),
            Some(Acl::private())
        );
        assert!(
            h("public-read", Resource::Object)
                .unwrap()
                .unwrap()
                .all_users_may(Permission::Read)
        );
        let prw = h("public-read-write", Resource::Bucket).unwrap().unwrap();
        assert!(prw.all_users_may(Permission::Write));
        for (v, r) in [
            ("default", Resource::Bucket),
            ("public-read-write", Resource::Object),
            ("Public-Read", Resource::Object),
            ("authenticated-read", Resource::Bucket),
        ] {
            assert_eq!(h(v, r).unwrap_err().code, "InvalidArgument", "{v}");
        }
        assert_eq!(h("  ", Resource::Object).unwrap(), None);
    }

    #[test]
    fn grant_headers_and_ids() {
        assert_eq!(
            canonical_id("100000000001").as_deref(),
            Some("qcs::cam::uin/100000000001:uin/100000000001")
        );
        assert_eq!(
            canonical_id("1/2").as_deref(),
            Some("qcs::cam::uin/1:uin/2")
        );
        assert_eq!(
            canonical_id("qcs::cam::uin/1:uin/2").as_deref(),
            Some("qcs::cam::uin/1:uin/2")
        );
        for bad in ["", "a", "1/", "/1", "1/2/3", "qcs::cam::uin/1", "1 ", "１"] {
            assert_eq!(canonical_id(bad), None, "{bad}");
        }
        let acl = Acl::from_headers(
            headers(&[
                ("x-cos-acl", "private"),
                ("x-cos-grant-read", "id=\"1\", id=\"2/3\""),
                (
                    "x-cos-grant-full-control",
                    format!("uri=\"{ALL_USERS}\"").leak(),
                ),
            ]),
            Resource::Object,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            acl.stored_value(),
            "private READ=qcs::cam::uin/1:uin/1 READ=qcs::cam::uin/2:uin/3 FULL_CONTROL=AllUsers"
        );
        assert!(acl.all_users_may(Permission::Read));
        let write = Acl::from_headers(
            headers(&[("x-cos-grant-write", "id=\"1\"")]),
            Resource::Object,
        );
        assert_eq!(write.unwrap_err().code, "InvalidArgument");
        let anyone = Acl::from_headers(
            headers(&[("x-cos-grant-read", "id=\"qcs::cam::anyone:anyone\"")]),
            Resource::Bucket,
        );
        assert!(anyone.unwrap().unwrap().all_users_may(Permission::Read));
        for bad in [
            "",
            "id=",
            "id=\"x\"",
            "uri=\"http://other\"",
            "name=\"1\"",
            "id=\"1\",,",
        ] {
            let r = Acl::from_headers(headers(&[("x-cos-grant-read", bad)]), Resource::Bucket);
            assert_eq!(r.unwrap_err().code, "InvalidArgument", "{bad}");
        }
    }

    #[test]
    fn bodies_parse_round_trip_and_refuse() {
        let owner = owner_id("1250000000");
        let acl = Acl::from_headers(
            headers(&[
                ("x-cos-acl", "public-read-write"),
                ("x-cos-grant-read-acp", "id=\"7\""),
            ]),
            Resource::Bucket,
        )
        .unwrap()
        .unwrap();
        let xml = acl.to_xml(&owner);
        let text = String::from_utf8(xml.clone()).unwrap();
        assert!(
            text.contains(
                "xsi:type=\"Group\"><URI>http://cam.qcloud.com/groups/global/AllUsers</URI>"
            ),
            "{text}"
        );
        assert!(text.contains(&format!("<Owner><ID>{owner}</ID>")));
        // GET's answer, sent back as a PUT body, is answered the same (the owner once).
        let again = Acl::from_xml(&xml, Resource::Bucket).unwrap();
        assert_eq!(again.to_xml(&owner), xml);
        assert!(again.all_users_may(Permission::Write));
        let grant = |grantee: &str, p: &str| {
            format!(
                "<AccessControlPolicy><AccessControlList><Grant><Grantee>{grantee}</Grantee><Permission>{p}</Permission></Grant></AccessControlList></AccessControlPolicy>"
            )
        };
        let user = "<ID>qcs::cam::uin/1:uin/1</ID>";
        for (body, code) in [
            (grant(user, "READ_ALL"), "InvalidArgument"),
            (grant(user, "WRITE"), "InvalidArgument"),
            (grant("<ID>abc</ID>", "READ"), "InvalidArgument"),
            (
                grant(
                    "<URI>http://cam.qcloud.com/groups/global/Other</URI>",
                    "READ",
                ),
                "InvalidArgument",
            ),
            (grant("", "READ"), "MalformedXML"),
            (
                grant(&format!("{user}<URI>{ALL_USERS}</URI>"), "READ"),
                "MalformedXML",
            ),
            ("<AccessControlPolicy/>".to_owned(), "MalformedXML"),
            (
                "<Other><AccessControlList/></Other>".to_owned(),
                "MalformedXML",
            ),
            (
                "<AccessControlPolicy><AccessControlList>".to_owned(),
                "MalformedXML",
            ),
        ] {
            assert_eq!(
                Acl::from_xml(body.as_bytes(), Resource::Object)
                    .unwrap_err()
                    .code,
                code,
                "{body}"
            );
        }
        let many: String = (0..=MAX_GRANTS)
            .map(|i| {
                format!(
                    "<Grant><Grantee><ID>{i}</ID></Grantee><Permission>READ</Permission></Grant>"
                )
            })
            .collect();
        let body = format!(
            "<AccessControlPolicy><AccessControlList>{many}</AccessControlList></AccessControlPolicy>"
        );
        assert_eq!(
            Acl::from_xml(body.as_bytes(), Resource::Object)
                .unwrap_err()
                .code,
            "AttachmentFull"
        );
        // An empty list is private.
        let empty = b"<AccessControlPolicy><AccessControlList/></AccessControlPolicy>";
        assert_eq!(
            Acl::from_xml(empty, Resource::Object).unwrap(),
            Acl::private()
        );
    }

    #[test]
    fn stored_form_and_anonymous_reads() {
        let mut h = Vec::new();
        Acl::inherit().store_in(&mut h);
        assert!(h.is_empty());
        assert_eq!(Acl::of(&h), Acl::inherit());
        Acl::private().store_in(&mut h);
        assert_eq!(Acl::of(&h), Acl::private());
        let damaged = vec![(STORED_NAME.to_owned(), "public-read".to_owned())];
        assert_eq!(Acl::of(&damaged), Acl::private());
        let public = Acl::canned("public-read", Resource::Object).unwrap();
        let bucket_public = Acl::canned("public-read", Resource::Bucket).unwrap();
        let bucket_prw = Acl::canned("public-read-write", Resource::Bucket).unwrap();
        for (object, bucket, may) in [
            (&public, &Acl::private(), true),
            (&Acl::inherit(), &Acl::private(), false),
            (&Acl::private(), &Acl::private(), false),
            (&public, &bucket_public, true),
            (&Acl::inherit(), &bucket_public, true),
            (&Acl::inherit(), &bucket_prw, true),
            (&Acl::private(), &bucket_public, false),
        ] {
            assert_eq!(
                anonymous_may_read(object, bucket),
                may,
                "{object:?} {bucket:?}"
            );
        }
    }
    /// Generated `x-cos-acl` and `x-cos-grant-*` values and AccessControlPolicy bodies
    /// (quotes, commas, `=`, ids good and bad, the AllUsers URI and others, multi-byte, NUL,
    /// long runs) never panic; every ACL accepted comes back equal through the stored form,
    /// the headers and the XML answer, and every refusal is a COS code.
    #[test]
    fn generated_inputs_parse_or_are_refused_and_round_trip() {
        const PIECES: [&str; 25] = [
            "id=\"1\"",
            "id=\"100000000001/2\"",
            "uri=\"http://cam.qcloud.com/groups/global/AllUsers\"",
            "id=",
            "uri=",
            "\"",
            ",",
            " ",
            "=",
            "1",
            "100000000001",
            "/",
            "qcs::cam::uin/",
            ":uin/",
            ALL_USERS,
            "http://cam.qcloud.com/groups/global/",
            "public-read",
            "default",
            "private",
            "中",
            "\u{0}",
            "<",
            "&amp;",
            "READ",
            "99999999999999999999999",
        ];
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let owner = owner_id("1250000000");
        let (mut accepted, mut refused) = (0, 0);
        for _ in 0..20_000 {
            let mut value = String::new();
            for _ in 0..next() % 12 {
                value.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
            }
            let resource = if next() % 2 == 0 {
                Resource::Object
            } else {
                Resource::Bucket
            };
            let (name, _) = GRANT_HEADERS[(next() % 5) as usize];
            let name = if next() % 4 == 0 { STORED_NAME } else { name };
            match Acl::from_headers(headers(&[(name, value.as_str())]), resource) {
                Ok(Some(acl)) => {
                    accepted += 1;
                    assert_eq!(Acl::from_stored(&acl.stored_value()), Some(acl.clone()));
                    let again = Acl::from_xml(&acl.to_xml(&owner), resource).unwrap();
                    assert_eq!(again.to_xml(&owner), acl.to_xml(&owner));
                    let mut h = Vec::new();
                    acl.store_in(&mut h);
                    assert_eq!(Acl::of(&h), acl);
                }
                Ok(None) => {}
                Err(e) => {
                    refused += 1;
                    assert!(
                        matches!(e.code, "InvalidArgument" | "AttachmentFull"),
                        "{}",
                        e.code
                    );
                }
            }
            let body = format!(
                "<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>{value}</ID></Grantee><Permission>{value}</Permission></Grant><Grant><Grantee><URI>{value}</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>"
            );
            match Acl::from_xml(body.as_bytes(), resource) {
                Ok(acl) => assert_eq!(Acl::from_stored(&acl.stored_value()), Some(acl)),
                Err(e) => assert!(
                    matches!(
                        e.code,
                        "InvalidArgument" | "MalformedXML" | "AttachmentFull"
                    ),
                    "{}",
                    e.code
                ),
            }
        }
        assert!(accepted > 100 && refused > 1000, "{accepted} {refused}");
    }
}
