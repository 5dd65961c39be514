//! What the `sign` and `verify` targets both draw from the fuzzer: a request and the
//! credentials it is signed or verified with.

use arbitrary::Arbitrary;
use cos_sign_core::Request;

/// An arbitrary request (method, path, params, headers) and secret id and key.
#[derive(Arbitrary, Debug)]
pub struct FuzzRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub params: Vec<(&'a str, &'a str)>,
    pub headers: Vec<(&'a str, &'a str)>,
    pub secret_id: &'a str,
    pub secret_key: &'a [u8],
}

impl FuzzRequest<'_> {
    /// The core's request, with room for `N` params and `N` headers.
    pub fn request<const N: usize>(&self) -> Request<'_, N> {
        Request::new(self.method, self.path)
            .params(&self.params)
            .headers(&self.headers)
            .with_capacity::<N>()
    }
}
