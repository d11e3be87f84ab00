//! The engine's integration tests, in one binary so they link once.

// Tests may fail loudly: the workspace's no-panic rules are for product code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod conditions;
mod conformance;
mod evaluation;
mod grammar;
mod layers;
mod lint;
mod properties;
mod support;
mod templates;
