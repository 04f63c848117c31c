//! The admin command's suites against the built `image-sources` binary, in one test binary.

mod admin_cli;
mod durability;
