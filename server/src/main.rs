//! `corkboard`: start the server with settings from the environment.

use server::{shutdown_signal, telemetry, Application, Settings};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("corkboard: {e}");
            std::process::exit(2);
        }
    };
    let started = std::time::Instant::now();
    let app = Application::build(settings).await?;
    tracing::info!(
        port = app.port(),
        startup_ms = started.elapsed().as_millis() as u64,
        "ready"
    );
    app.run(shutdown_signal()).await
}
