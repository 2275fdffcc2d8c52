//! `corkboard`: parse the command line, read the settings, and serve,
//! migrate or print the configuration.

use std::process::ExitCode;

use clap::Parser;
use server::cli::{Cli, Command};
use server::config::Explained;
use server::{shutdown_signal, startup, telemetry, Application, Settings};

/// jemalloc instead of glibc's malloc: frames, events and messages are
/// allocated on one thread and freed on another (a board's arbiter, a
/// session's worker, the storage task), and glibc spent about a fifth of
/// the server's CPU in `malloc`/`free` under load (issue 19,
/// `docs/benchmarks.md`). mimalloc was as fast but used more memory per
/// idle session.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Exit status of a configuration the server refuses.
const EXIT_BAD_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let lookup = cli.lookup();
    if cli.command == Some(Command::Config) {
        return match Settings::explain(&lookup) {
            Ok((_, mut effective)) => {
                // Read by the logging setup rather than `Settings`.
                for var in ["CORKBOARD_LOG_FORMAT", "RUST_LOG"] {
                    effective.push((var, lookup(var)));
                }
                print!("{}", Explained(effective));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("corkboard: {e}");
                ExitCode::from(EXIT_BAD_CONFIG)
            }
        };
    }
    telemetry::init(cli.log_format.as_deref());
    let settings = match Settings::from_lookup(&lookup) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("corkboard: {e}");
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    };
    let ran = actix_web::rt::System::new().block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Migrate => startup::migrate(&settings).await,
            Command::Admin(admin) => startup::admin(&settings, admin).await,
            _ => serve(settings).await,
        }
    });
    match ran {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "corkboard failed");
            eprintln!("corkboard: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    // Before the build: a signal while it runs is kept, not fatal.
    let shutdown = shutdown_signal();
    let started = std::time::Instant::now();
    let app = Application::build(settings).await?;
    tracing::info!(
        port = app.port(),
        startup_ms = started.elapsed().as_millis() as u64,
        "ready"
    );
    app.run(shutdown).await
}
