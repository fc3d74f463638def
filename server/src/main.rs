//! The `sync-server` command: `serve`, and `user add|list|set-tier|remove`.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = sync_server::cli::Cli::parse();
    match sync_server::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
