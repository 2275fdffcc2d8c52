//! What every handler and session shares. Routes, sessions and middleware
//! import `AppState` from here; `startup` builds one and serves it, so the
//! dependency runs one way: `startup` → `state`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use actors::Registry;
use storage::{Db, StorageHandle};
use tokio::sync::watch;

use crate::auth::{ApiKeys, JwtKeys};
use crate::config::Settings;
use crate::metrics::Metrics;
use crate::rate_limit::RateLimits;
use crate::revocation::Revocations;
use crate::session::upgrade::OpenSockets;

/// What every handler and session shares.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub registry: Registry,
    pub storage: StorageHandle,
    pub storage_capacity: usize,
    pub jwt: Arc<JwtKeys>,
    /// The pepper of stored API key hashes, and key bookkeeping.
    pub api_keys: Arc<ApiKeys>,
    pub revocations: Arc<Revocations>,
    pub metrics: Metrics,
    /// REST rate limits (per user or API key, per IP).
    pub rate_limits: Arc<RateLimits>,
    /// A real Argon2id hash checked when a login names no account, so both
    /// answers take the same time.
    pub dummy_hash: Arc<str>,
    /// Flips to `true` when the server shuts down; sessions then close
    /// with 1001 (reconnect).
    pub shutdown: watch::Receiver<bool>,
    /// WebSockets taken over from the HTTP server and still open.
    pub sockets: Arc<OpenSockets>,
    /// This node among the others: its id, its bus, their heartbeats.
    pub cluster: Arc<crate::cluster::Cluster>,
    /// What this node's job workers measured.
    pub jobs: Arc<crate::jobs::JobStats>,
    /// Outgoing mail (SMTP, or the development outbox).
    pub mailer: crate::mail::Mailer,
    /// The HTTP client webhook deliveries use (`webhooks::guard::client`).
    pub webhooks: reqwest::Client,
    session_ids: Arc<AtomicU64>,
}

/// What start-up connects, spawns or derives before the state exists:
/// the database, the storage queue, the actor registry and the keys.
pub struct Services {
    pub db: Db,
    pub registry: Registry,
    pub storage: StorageHandle,
    pub storage_capacity: usize,
    pub jwt: Arc<JwtKeys>,
    pub api_keys: Arc<ApiKeys>,
    pub dummy_hash: Arc<str>,
    pub cluster: Arc<crate::cluster::Cluster>,
    pub mailer: crate::mail::Mailer,
    pub webhooks: reqwest::Client,
}

impl AppState {
    /// The shared state around `services`; the per-process bookkeeping
    /// (revocations, rate limits, metrics, open sockets, session ids)
    /// starts empty here.
    pub fn new(settings: Settings, services: Services, shutdown: watch::Receiver<bool>) -> Self {
        let Services {
            db,
            registry,
            storage,
            storage_capacity,
            jwt,
            api_keys,
            dummy_hash,
            cluster,
            mailer,
            webhooks,
        } = services;
        AppState {
            revocations: Arc::new(Revocations::new(
                settings.jwt.access_ttl + crate::auth::LEEWAY,
                registry.bus().clone(),
            )),
            rate_limits: Arc::new(RateLimits::new(&settings.rate_limits)),
            settings: Arc::new(settings),
            db,
            registry,
            storage,
            storage_capacity,
            jwt,
            api_keys,
            metrics: Metrics::default(),
            dummy_hash,
            shutdown,
            sockets: Arc::default(),
            cluster,
            jobs: Arc::default(),
            mailer,
            webhooks,
            session_ids: Arc::new(AtomicU64::new(1)),
        }
    }

    pub fn next_session_id(&self) -> u64 {
        self.session_ids.fetch_add(1, Ordering::Relaxed)
    }
}
