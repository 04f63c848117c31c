//! Every integration suite in one test binary (one link of the SDK, the embedded DynamoDB and the
//! storage servers instead of one per suite). Each module is a suite of its own; run one with
//! `cargo test -p integration-tests --test integration <module>::`.

mod after_suite;
mod api_keys;
mod audit;
mod console;
mod contract;
mod delivery;
mod health;
mod hostile_input;
mod http_api;
mod idempotency;
mod imgix;
mod kit;
mod lambda_events;
mod listing;
mod object_check;
mod openapi;
mod proxy;
mod reliability;
mod rotation;
mod scoped_keys;
mod sealing;
mod store;
mod structure;
mod template;
mod verify;
