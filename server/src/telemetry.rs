//! Logging: structured JSON lines (or human-readable on a terminal), level
//! from `RUST_LOG` (default `info`). Secrets and tokens are never logged.
//! Every line names the node that wrote it (`"node"`, the first 8 hex
//! digits of its id, as in `/metrics`' `corkboard_node_info`), so the
//! logs of several nodes can be read together.
//! Malformed HTTP is logged at debug, not as an error
//! (`connection_errors`).

use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

use protocol::bus::NodeId;

use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{fmt, EnvFilter};

use crate::connection_errors::QuietStreamErrors;

/// Install the global subscriber. `format` (`--log-format`, else
/// `CORKBOARD_LOG_FORMAT`): `json` or `pretty` overrides the terminal
/// detection.
pub fn init(format: Option<&str>) {
    let node = *PROCESS_NODE.get_or_init(|| NodeId(uuid::Uuid::new_v4()));
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let format = format
        .map(str::to_owned)
        .or_else(|| std::env::var("CORKBOARD_LOG_FORMAT").ok());
    let json = match format.as_deref() {
        Some("json") => true,
        Some("pretty") => false,
        _ => !std::io::stdout().is_terminal(),
    };
    let stamped = NodeStamped {
        node: node.to_string(),
        json,
    };
    let builder = fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(stamped);
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

/// This process's node id, drawn when logging starts (see
/// `crate::cluster`); `None` before (in tests, each application draws its
/// own).
pub fn process_node() -> Option<NodeId> {
    PROCESS_NODE.get().copied()
}

static PROCESS_NODE: OnceLock<NodeId> = OnceLock::new();

/// Standard output, each line stamped with the node.
struct NodeStamped {
    node: String,
    json: bool,
}

impl<'a> fmt::MakeWriter<'a> for NodeStamped {
    type Writer = Stamped<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        Stamped {
            to: self,
            line: Vec::with_capacity(256),
        }
    }
}

/// One log line, collected and written whole, stamped, when dropped (the
/// formatter writes each event through a writer of its own).
struct Stamped<'a> {
    to: &'a NodeStamped,
    line: Vec<u8>,
}

impl Write for Stamped<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.line.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Stamped<'_> {
    fn drop(&mut self) {
        if self.line.is_empty() {
            return;
        }
        let node = &self.to.node;
        let mut out = Vec::with_capacity(self.line.len() + node.len() + 12);
        match (self.to.json, self.line.first()) {
            (true, Some(b'{')) => {
                out.extend_from_slice(format!("{{\"node\":\"{node}\",").as_bytes());
                out.extend_from_slice(&self.line[1..]);
            }
            _ => {
                out.extend_from_slice(format!("node={node} ").as_bytes());
                out.extend_from_slice(&self.line);
            }
        }
        let _ = std::io::stdout().lock().write_all(&out);
    }
}
