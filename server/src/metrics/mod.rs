//! What the server measures, and `GET /metrics` (Prometheus text format).
//!
//! [`Metrics`] holds the series the server records itself (HTTP requests,
//! WebSocket sessions and messages, command latency, rate limiting); the
//! page adds what other layers already count, read when scraped: the actor
//! counters (`Registry::stats`), storage group commit
//! (`StorageHandle::stats`), the database pool, and the process itself
//! (`/proc`: CPU, memory, file descriptors, start time) with the build's
//! version and commit. Every series is listed, with its labels, in
//! `docs/operations.md`.
//!
//! Recording is lock-free on the hot path (atomics; a DashMap lookup per
//! labelled series). Label sets are bounded: route *patterns*, a fixed set
//! of methods, status codes, message types.

mod cluster;
mod exposition;
mod http;
mod page;
mod process;

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dashmap::DashMap;

pub use exposition::{Exposition, Histogram, Kind, CONTENT_TYPE, LATENCY_BUCKETS};
pub use http::record;
pub use page::{route, serve};
pub use process::{ProcessStats, GIT_COMMIT, VERSION};

/// Where a command came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Ws,
    Rest,
}

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandVerdict {
    /// Committed and acknowledged.
    Ack,
    /// Refused (a rule, overload, an outage...).
    Rejected,
}

/// Which rate limit refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limited {
    /// REST, per user or API key.
    Principal,
    /// REST, per client IP.
    Ip,
    /// WebSocket, per session.
    WsSession,
}

impl Limited {
    /// Every limit, in the order of `Inner::rate_limited`.
    const ALL: [Limited; 3] = [Limited::Principal, Limited::Ip, Limited::WsSession];

    fn label(self) -> &'static str {
        match self {
            Limited::Principal => "user",
            Limited::Ip => "ip",
            Limited::WsSession => "ws_session",
        }
    }
}

/// Key of an HTTP series: route pattern, method, status.
type HttpKey = (String, &'static str, u16);

/// The server's own series. Cheap to clone (shared).
#[derive(Clone, Default, Debug)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Default, Debug)]
struct Inner {
    http: DashMap<HttpKey, Histogram>,
    sessions_open: AtomicI64,
    sessions_total: AtomicU64,
    write_stalls: AtomicU64,
    messages_in: DashMap<&'static str, AtomicU64>,
    messages_out: DashMap<&'static str, AtomicU64>,
    /// Indexed by `[transport][outcome]`.
    commands: [[Histogram; 2]; 2],
    rate_limited: [AtomicU64; 3],
    started: Started,
}

/// When the server started measuring: when its `Metrics` were made, as
/// the application was built.
#[derive(Debug)]
struct Started(Instant);

impl Default for Started {
    fn default() -> Self {
        Started(Instant::now())
    }
}

fn bump(map: &DashMap<&'static str, AtomicU64>, key: &'static str, n: u64) {
    if let Some(counter) = map.get(key) {
        counter.fetch_add(n, Ordering::Relaxed);
        return;
    }
    map.entry(key).or_default().fetch_add(n, Ordering::Relaxed);
}

impl Metrics {
    /// Time since the application was built (for the health bodies).
    pub fn uptime(&self) -> Duration {
        self.inner.started.0.elapsed()
    }

    pub fn sessions_opened(&self) {
        self.inner.sessions_open.fetch_add(1, Ordering::Relaxed);
        self.inner.sessions_total.fetch_add(1, Ordering::Relaxed);
    }

    pub fn sessions_closed(&self) {
        self.inner.sessions_open.fetch_sub(1, Ordering::Relaxed);
    }

    /// A socket was reset because its peer took no bytes for the write
    /// stall timeout.
    pub fn write_stalled(&self) {
        self.inner.write_stalls.fetch_add(1, Ordering::Relaxed);
    }

    /// Sessions currently open.
    pub fn sessions_open(&self) -> i64 {
        self.inner.sessions_open.load(Ordering::Relaxed)
    }

    /// A client message of type `kind` (`ClientMsg::kind`, or `invalid`
    /// for a frame that could not be decoded) arrived.
    pub fn message_in(&self, kind: &'static str) {
        bump(&self.inner.messages_in, kind, 1);
    }

    /// A command finished after `took` (from its arrival to its answer).
    pub fn command_done(&self, transport: Transport, verdict: CommandVerdict, took: Duration) {
        let t = match transport {
            Transport::Ws => 0,
            Transport::Rest => 1,
        };
        let o = match verdict {
            CommandVerdict::Ack => 0,
            CommandVerdict::Rejected => 1,
        };
        self.inner.commands[t][o].observe(took);
    }

    /// A request or message was refused by a rate limit.
    pub fn rate_limited(&self, limit: Limited) {
        self.inner.rate_limited[limit as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// An HTTP request was answered.
    pub fn http_request(&self, route: &str, method: &'static str, status: u16, took: Duration) {
        let key = (route.to_owned(), method, status);
        if let Some(series) = self.inner.http.get(&key) {
            series.observe(took);
            return;
        }
        self.inner.http.entry(key).or_default().observe(took);
    }

    /// Write the server's own series.
    pub fn encode(&self, page: &mut Exposition) {
        let inner = &self.inner;
        let mut http: Vec<(HttpKey, u64)> = inner
            .http
            .iter()
            .map(|e| (e.key().clone(), e.value().count()))
            .collect();
        http.sort();
        page.family(
            "corkboard_http_requests_total",
            Kind::Counter,
            "HTTP requests answered, by route pattern, method and status.",
        );
        for ((route, method, status), count) in &http {
            let status = status.to_string();
            page.sample(
                "corkboard_http_requests_total",
                &[("route", route), ("method", method), ("status", &status)],
                count,
            );
        }
        page.family(
            "corkboard_http_request_duration_seconds",
            Kind::Histogram,
            "Time from a request's arrival to its response, by route pattern, method and status.",
        );
        for ((route, method, status), _) in &http {
            let key = (route.clone(), *method, *status);
            if let Some(series) = inner.http.get(&key) {
                let status = status.to_string();
                series.write(
                    page,
                    "corkboard_http_request_duration_seconds",
                    &[("route", route), ("method", method), ("status", &status)],
                );
            }
        }

        page.single(
            "corkboard_ws_sessions_open",
            Kind::Gauge,
            "WebSocket sessions open now.",
            self.sessions_open(),
        );
        page.single(
            "corkboard_ws_sessions_total",
            Kind::Counter,
            "WebSocket sessions opened since start.",
            inner.sessions_total.load(Ordering::Relaxed),
        );
        page.single(
            "corkboard_ws_write_stalls_total",
            Kind::Counter,
            "WebSockets reset because the peer took no bytes for CORKBOARD_WS_WRITE_STALL_SECS.",
            inner.write_stalls.load(Ordering::Relaxed),
        );
        encode_by_type(
            page,
            "corkboard_ws_messages_in_total",
            "WebSocket client messages received, by type (invalid: could not be decoded).",
            &inner.messages_in,
        );
        encode_by_type(
            page,
            "corkboard_ws_messages_out_total",
            "WebSocket messages queued to sessions, by type.",
            &inner.messages_out,
        );

        page.family(
            "corkboard_command_duration_seconds",
            Kind::Histogram,
            "Board commands from arrival to ack or rejection, by transport and outcome.",
        );
        for (t, transport) in ["ws", "rest"].iter().enumerate() {
            for (o, outcome) in ["ack", "rejected"].iter().enumerate() {
                inner.commands[t][o].write(
                    page,
                    "corkboard_command_duration_seconds",
                    &[("transport", transport), ("outcome", outcome)],
                );
            }
        }

        page.family(
            "corkboard_rate_limited_total",
            Kind::Counter,
            "Requests and WebSocket messages refused by a rate limit, by limit.",
        );
        for limit in Limited::ALL {
            page.sample(
                "corkboard_rate_limited_total",
                &[("limit", limit.label())],
                inner.rate_limited[limit as usize].load(Ordering::Relaxed),
            );
        }
    }
}

fn encode_by_type(
    page: &mut Exposition,
    name: &str,
    help: &str,
    map: &DashMap<&'static str, AtomicU64>,
) {
    let mut rows: Vec<(&'static str, u64)> = map
        .iter()
        .map(|e| (*e.key(), e.value().load(Ordering::Relaxed)))
        .collect();
    rows.sort();
    page.family(name, Kind::Counter, help);
    for (kind, n) in rows {
        page.sample(name, &[("type", kind)], n);
    }
}

/// Sessions' outboxes report every message they queue here.
impl actors::SentCounter for Metrics {
    fn sent(&self, kind: &'static str, n: u64) {
        bump(&self.inner.messages_out, kind, n);
    }
}
