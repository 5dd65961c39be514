//! Tencent Cloud COS over HTTP.
//!
//! [`server`]: a local COS-compatible object server (PUT/GET/HEAD/DELETE Object) that verifies
//! every request as COS does, for trying clients and firmware without a cloud account.
#![deny(missing_docs)]

pub mod server;
