//! The admin command's suites against the built `image-sources` binary, in one test binary.

// Helpers outside `#[test]` functions: a failed expectation in them is a failed test, never a
// failed request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin_cli;
mod durability;
mod health_cli;
mod imgix_clients;
mod kit;
mod serve_cli;
