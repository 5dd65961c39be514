//! A small deterministic generator for the unit tests' generated inputs.

/// `next(n)`: a number below `n` (`n > 0`) from a xorshift32 sequence started at `seed`
/// (nonzero), the same on every run.
pub(crate) fn picker(mut seed: u32) -> impl FnMut(usize) -> usize {
    move |n| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed as usize % n
    }
}
