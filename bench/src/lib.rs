//! The benchmark harness: a Lambda Runtime API emulator, function processes started as Lambda
//! starts them, and the measurements `cargo run --release -p bench` reports (see docs/BENCHMARKS.md).

pub mod artifacts;
pub mod chart;
pub mod console_weight;
pub mod cost;
pub mod gateway;
pub mod lambda;
pub mod machine;
pub mod paging;
pub mod process;
pub mod python;
pub mod report;
pub mod runtime_api;
pub mod stats;
pub mod sweep;
pub mod workload;
