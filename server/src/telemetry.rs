//! Logging: structured JSON lines (or human-readable on a terminal), level
//! from `RUST_LOG` (default `info`). Secrets and tokens are never logged.
//! Malformed HTTP is logged at debug, not as an error
//! (`connection_errors`).

use std::io::IsTerminal;

use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{fmt, EnvFilter};

use crate::connection_errors::QuietStreamErrors;

/// Install the global subscriber. `format` (`--log-format`, else
/// `CORKBOARD_LOG_FORMAT`): `json` or `pretty` overrides the terminal
/// detection.
pub fn init(format: Option<&str>) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let format = format
        .map(str::to_owned)
        .or_else(|| std::env::var("CORKBOARD_LOG_FORMAT").ok());
    let json = match format.as_deref() {
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
            .finish()
            .with(QuietStreamErrors)
            .try_init()
    } else {
        builder.finish().with(QuietStreamErrors).try_init()
    };
    // A subscriber may already be installed (tests); that one stays.
    let _ = result;
}
