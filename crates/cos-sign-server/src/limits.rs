//! Every limit of the server, in one place. Each has a [`Limits`] field (set by a flag of
//! `cos-sign-server` / `cos-sign serve`) except the COS rules that are not configurable.

use std::time::Duration;

/// The longest key COS accepts, in bytes (UTF-8); longer is `KeyTooLong`.
pub const MAX_KEY_LEN: usize = 850;

/// How much of a refused request's body is read (and discarded) before the answer; a body
/// still longer closes the connection after the answer. A client that writes its whole body
/// before it reads an answer (reqwest, requests) gets a broken pipe instead of the answer
/// when the connection closes under it, so a refused upload of a usual size (a clock-skew
/// refusal the client corrects and retries, an expired URL) is read to its end.
pub const DRAIN_LIMIT: u64 = 16 * 1024 * 1024;
/// The longest a refused request's body is read for, in all; past it the connection closes.
pub const DRAIN_TIME: Duration = Duration::from_secs(10);

/// Default [`Limits::header_read_timeout`]: 30 s.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Default [`Limits::body_idle_timeout`]: 60 s.
pub const DEFAULT_BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Default [`Limits::max_connections`]: 1,024.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Default [`Limits::max_object_size`]: 5 GiB, COS's limit for one PUT.
pub const DEFAULT_MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * 1024;
/// Default [`Limits::memory_store_cap`]: 256 MiB.
pub const DEFAULT_MEMORY_STORE_CAP: u64 = 256 * 1024 * 1024;
/// The most headers one request may carry (hyper's own default, made explicit).
pub const MAX_HEADERS: usize = 100;

/// The server's limits. Every one answers with a COS error code or closes the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time allowed for a connection to send a whole request head (hyper's header-read
    /// timeout, on tokio's timer); past it the connection is closed. A form upload (POST
    /// Object) must send its fields before the file within this time too (they are read
    /// before its signature can be checked); past it 400 `RequestTimeout` and the connection
    /// closes.
    pub header_read_timeout: Duration,
    /// Time a request body may stay silent; past it the upload fails (`RequestTimeout`) and
    /// the connection is closed.
    pub body_idle_timeout: Duration,
    /// Connections served at once; further ones wait in the kernel's accept queue (nothing
    /// is allocated for them) until one closes.
    pub max_connections: usize,
    /// The largest object one PUT may upload, and an appendable object may grow to by APPEND
    /// Object; larger is `EntityTooLarge` (a declared `Content-Length` is refused before any
    /// byte is read).
    pub max_object_size: u64,
    /// Bytes the memory store may hold: its objects together at most this, and the parts of
    /// its multipart uploads in progress together at most this again (so a Complete, which
    /// holds an upload's parts while it joins them into the object, fits); an upload that
    /// would pass its count is `EntityTooLarge`, and nothing of it is kept. A replaced object
    /// or part counts as freed.
    pub memory_store_cap: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            body_idle_timeout: DEFAULT_BODY_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_object_size: DEFAULT_MAX_OBJECT_SIZE,
            memory_store_cap: DEFAULT_MEMORY_STORE_CAP,
        }
    }
}

/// The largest [`Limits::max_connections`] the flags accept (a semaphore's bound is far
/// higher; this keeps a typo from meaning "unlimited").
pub const MAX_CONNECTIONS_LIMIT: usize = 1 << 20;
