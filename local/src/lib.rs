//! The local API gateway and admin command behind the `image-sources` binary.
//!
//! The gateway builds the same API Gateway REST request a deployed API would hand to Lambda (route,
//! path parameters, authorizer context, request id) and calls the same authorizer logic and endpoint
//! functions, in-process.

pub mod cli;
pub mod connection;
pub mod dev_key;
pub mod embedded;
pub mod gateway;
pub mod openapi;
pub mod sealing;
