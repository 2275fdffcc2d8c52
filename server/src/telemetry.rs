//! Logging: structured JSON lines (or human-readable on a terminal), level
//! from `RUST_LOG` (default `info`). Secrets and tokens are never logged.

use std::io::IsTerminal;

use tracing_subscriber::{fmt, EnvFilter};

/// Install the global subscriber. `CORKBOARD_LOG_FORMAT=json|pretty`
/// overrides the terminal detection.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = match std::env::var("CORKBOARD_LOG_FORMAT").ok().as_deref() {
        Some("json") => true,
        Some("pretty") => false,
        _ => !std::io::stdout().is_terminal(),
    };
    let builder = fmt().with_env_filter(filter).with_target(false);
    let result = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init()
    } else {
        builder.try_init()
    };
    // A subscriber may already be installed (tests); that one stays.
    let _ = result;
}
