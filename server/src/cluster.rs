//! This node among the others sharing its database (`docs/deployment.md`).
//!
//! - The bus engine (`CORKBOARD_BUS`) carries notices; what this node hears
//!   is routed to its live actors (`Registry::hear`), revocations to its
//!   sessions. When the bus comes back after a loss, every live board and
//!   organization catches up from the log, and the revoked login sessions
//!   are read again (their sockets close): the bus only says where to look.
//! - Every [`HEARTBEAT_EVERY`] the node writes its heartbeat in `nodes` and
//!   reads who else is alive; a node missing for [`NODE_TIMEOUT`] is gone
//!   and its sessions' presence is dropped.
//! - Every [`SWEEP_EVERY`] the node compares its live actors with the heads
//!   of their logs, in one statement each for boards and organizations: a
//!   notice that never came (its sender died between commit and publish, a
//!   full publish queue) delays an event by at most this long.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bus::{Bus, BusEvent, BusStats, NodeId};
use tokio::sync::mpsc;

use crate::config::{BusSettings, Settings};
use crate::metrics::Histogram;
use crate::state::AppState;

/// How often a node writes its heartbeat and reads the others'.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);
/// A node whose heartbeat is older than this is gone.
pub const NODE_TIMEOUT: Duration = Duration::from_secs(5);
/// How often live actors are checked against the heads of their logs.
pub const SWEEP_EVERY: Duration = Duration::from_secs(2);

/// This node's place among the others.
pub struct Cluster {
    /// This node.
    pub node: NodeId,
    /// `postgres` or `nats`.
    pub engine: &'static str,
    /// The engine's counters.
    pub bus: Arc<BusStats>,
    /// From a notice's sending to its arrival here (clocks of two nodes:
    /// meaningful on one machine or with synchronized clocks).
    pub lag: Histogram,
    /// Other nodes alive at the last heartbeat.
    pub peers: AtomicUsize,
    /// Nodes found gone.
    pub nodes_gone: AtomicU64,
}

/// What [`start_bus`] starts: the bus, this node's bookkeeping, and what
/// the bus hears.
pub type Started = (Arc<dyn Bus>, Arc<Cluster>, mpsc::Receiver<BusEvent>);

/// The bus engine `settings` name, connected (in the background) to the
/// database at `url` or the NATS server; what it hears arrives on the
/// receiver, for [`spawn`].
pub fn start_bus(settings: &Settings, url: &str) -> anyhow::Result<Started> {
    // The id this process's log lines carry, when logging named one.
    let node = crate::telemetry::process_node().unwrap_or_else(|| NodeId(uuid::Uuid::new_v4()));
    let stats = Arc::new(BusStats::default());
    let (sink, heard) = mpsc::channel(bus::DELIVER_QUEUE);
    let (bus, engine): (Arc<dyn Bus>, _) = match &settings.bus {
        BusSettings::Postgres => (
            bus::pg::PgBus::start(url.to_owned(), node, sink, stats.clone()),
            "postgres",
        ),
        BusSettings::Nats(nats) => (
            bus::nats::NatsBus::start(nats.clone(), node, sink, stats.clone()),
            "nats",
        ),
    };
    tracing::info!(node = %node, bus = engine, "node starting");
    let cluster = Arc::new(Cluster {
        node,
        engine,
        bus: stats,
        lag: Histogram::default(),
        peers: AtomicUsize::new(0),
        nodes_gone: AtomicU64::new(0),
    });
    Ok((bus, cluster, heard))
}

/// Route what the bus hears, and run the heartbeat and the sweep, until
/// the server shuts down (then the node's row goes).
pub fn spawn(state: AppState, mut heard: mpsc::Receiver<BusEvent>) {
    let listening = state.clone();
    actix_rt::spawn(async move {
        while let Some(event) = heard.recv().await {
            hear(&listening, event);
        }
    });
    // The sweep apart from the heartbeat: a slow sweep must not make the
    // other nodes think this one gone.
    let sweeping = state.clone();
    actix_rt::spawn(async move {
        let mut shutdown = sweeping.shutdown.clone();
        let mut sweep = tokio::time::interval(SWEEP_EVERY);
        loop {
            tokio::select! {
                _ = sweep.tick() => sweep_live(&sweeping).await,
                _ = shutdown.changed() => break,
            }
        }
    });
    actix_rt::spawn(async move {
        let mut known: HashSet<uuid::Uuid> = HashSet::new();
        let mut shutdown = state.shutdown.clone();
        let mut beat = tokio::time::interval(HEARTBEAT_EVERY);
        loop {
            tokio::select! {
                _ = beat.tick() => heartbeat(&state, &mut known).await,
                _ = shutdown.changed() => break,
            }
        }
        if let Err(e) = state.db.node_left(state.cluster.node.0).await {
            tracing::warn!(error = %e, "removing this node's heartbeat failed");
        }
    });
}

fn hear(state: &AppState, event: BusEvent) {
    match event {
        BusEvent::Notice(envelope) => {
            let lag_ms = bus::now_ms().saturating_sub(envelope.sent_ms).max(0);
            state
                .cluster
                .lag
                .observe(Duration::from_millis(lag_ms as u64));
            if let Some(revocation) = state.registry.hear(envelope) {
                state.revocations.heard(revocation);
            }
        }
        BusEvent::Up => {
            // Whatever was said while the bus was away is lost: look, in
            // the logs and in the revoked login sessions.
            state.registry.catch_up_all();
            let state = state.clone();
            actix_rt::spawn(async move {
                let keep = state.settings.jwt.access_ttl + crate::auth::LEEWAY;
                match state.db.login_sessions_revoked_within(keep).await {
                    Ok(revoked) => {
                        for session in revoked {
                            state
                                .revocations
                                .heard(bus::Revocation::Session { session });
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "reloading revoked sessions failed"),
                }
            });
        }
        BusEvent::Missed => {
            // The broker dropped notices for this node: look in the logs
            // now rather than at the next sweep.
            state.registry.catch_up_all();
        }
        BusEvent::Down => {
            tracing::warn!("the bus is down: this node is not ready until it returns");
        }
    }
}

async fn heartbeat(state: &AppState, known: &mut HashSet<uuid::Uuid>) {
    let cluster = &state.cluster;
    let alive = match state.db.node_heartbeat(cluster.node.0, NODE_TIMEOUT).await {
        Ok(alive) => alive.into_iter().collect::<HashSet<_>>(),
        Err(e) => {
            tracing::warn!(error = %e, "writing this node's heartbeat failed");
            return;
        }
    };
    for gone in known.difference(&alive) {
        tracing::info!(peer = %NodeId(*gone), "a node is gone; dropping its sessions' presence");
        cluster.nodes_gone.fetch_add(1, Ordering::Relaxed);
        state.registry.node_gone(NodeId(*gone));
    }
    cluster.peers.store(alive.len(), Ordering::Relaxed);
    *known = alive;
}

async fn sweep_live(state: &AppState) {
    let registry = &state.registry;
    let boards = registry.live_boards();
    match state.db.board_heads(&boards).await {
        Ok(heads) => {
            for (board, head) in heads {
                registry.board_behind(board, Some(head));
            }
        }
        Err(e) => tracing::debug!(error = %e, "sweep: reading board heads failed"),
    }
    let orgs = registry.live_orgs();
    match state.db.org_heads(&orgs).await {
        Ok(heads) => {
            for (org, head) in heads {
                registry.org_behind(org, Some(head));
            }
        }
        Err(e) => tracing::debug!(error = %e, "sweep: reading org heads failed"),
    }
}
