//! Shared by the integration tests: the reference implementation and proptest strategies.
#![allow(dead_code)]

mod reference;
pub mod strategies;

pub use reference::*;
