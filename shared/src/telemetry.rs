//! JSON log lines (docs/SPEC.md §10). Only the fields the code names are logged: never a key, a secret, a
//! secret_token or a request body.

use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

/// Logs JSON lines to stdout (CloudWatch on Lambda). `RUST_LOG`-style filtering is not needed:
/// the code logs one line per request.
pub fn init() {
    init_with_writer(std::io::stdout);
}

/// The same subscriber writing elsewhere (tests capture log lines with it). Does nothing if a
/// global subscriber is already set.
pub fn init_with_writer<W>(writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    // The embedded DynamoDB logs every 4xx it answers (a failed condition is one): not our lines.
    let filter = Targets::new()
        .with_default(Level::INFO)
        .with_target("dynoxide", Level::ERROR);
    let json_lines = tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false)
        .flatten_event(true)
        .with_writer(writer)
        .with_filter(filter);
    let _ = tracing_subscriber::registry().with(json_lines).try_init();
}
