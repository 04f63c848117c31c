//! `image-sources`: the local API gateway and the admin command.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    shared::telemetry::init();
    let cli = image_sources::cli::Cli::parse();
    match image_sources::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("image-sources: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}
