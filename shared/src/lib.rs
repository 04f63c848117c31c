//! Image Sources: the domain (validation, redaction), the DynamoDB store and the functions' logic.
//!
//! Every Lambda binary in `functions/` and the local gateway in `local/` call into this crate, so the
//! code that answers a request is the same everywhere.

pub mod catalog;
pub mod config;
pub mod domain;
pub mod function;
pub mod functions;
pub mod http;
pub mod routes;
pub mod sdk;
pub mod sealing;
pub mod store;
pub mod telemetry;
pub mod verify;

pub use config::AppState;
