//! Settings, read once from the environment at start and validated: a bad
//! value stops the server with a message that names the variable. One
//! `Settings` value is passed down; there is no global configuration.
//! Every variable is listed, with its default, in `docs/configuration.md`;
//! `corkboard config` prints the values in effect, secrets redacted.

mod env;
mod explain;
mod read;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use actors::ActorConfig;

pub use crate::client_addr::TrustedProxies;
pub use explain::Explained;

/// A configuration problem, naming the variable.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

impl ConfigError {
    pub fn new(var: &'static str, problem: impl Into<String>) -> ConfigError {
        ConfigError {
            var,
            problem: problem.into(),
        }
    }
}

/// How strict the server is about its configuration (`CORKBOARD_ENV`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    /// Zero configuration: generated keys, metrics open to anyone.
    Development,
    /// Refuses to start without explicit keys, a metrics token, and with
    /// a wildcard origin (see `read::production_checks`).
    Production,
}

/// A value that must never reach a log or `corkboard config`'s output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where the database is.
#[derive(Clone, Debug)]
pub enum DatabaseSettings {
    /// `DATABASE_URL`: use this server.
    Url(String),
    /// No URL: start a managed local PostgreSQL under the data directory.
    Managed,
}

/// How this node talks to the others sharing its database
/// (`CORKBOARD_BUS`, see `docs/deployment.md`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BusSettings {
    /// PostgreSQL LISTEN/NOTIFY on the database itself (the default).
    Postgres,
    /// A NATS server, `nats://host:port`.
    Nats(String),
}

/// Token signing and checking.
#[derive(Clone)]
pub struct JwtSettings {
    /// HMAC-SHA256 key, at least 32 bytes. `None`: generate one and keep it
    /// in the data directory (development only).
    pub secret: Option<Vec<u8>>,
    pub key_id: String,
    /// The key being rotated out (`kid`, secret): tokens it signed are
    /// still accepted until they expire; new tokens use `secret`.
    pub previous: Option<(String, Vec<u8>)>,
    pub issuer: String,
    pub audience: String,
    pub access_ttl: Duration,
}

impl std::fmt::Debug for JwtSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtSettings")
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("key_id", &self.key_id)
            .field("previous", &self.previous.as_ref().map(|(kid, _)| kid))
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("access_ttl", &self.access_ttl)
            .finish()
    }
}

/// API key hashing.
#[derive(Clone, Default)]
pub struct ApiKeySettings {
    /// HMAC-SHA256 key ("pepper") of stored API key hashes, at least 32
    /// bytes. `None`: derived from the JWT signing key.
    pub pepper: Option<Vec<u8>>,
}

impl std::fmt::Debug for ApiKeySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeySettings")
            .field("pepper", &self.pepper.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Login sessions, refresh tokens and login lockout (see `docs/auth.md`).
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// Lifetime of a login session without a refresh (sliding).
    pub refresh_ttl: Duration,
    /// How long a used refresh token may be presented again and still
    /// rotate; later it counts as reuse and revokes the session.
    pub refresh_reuse_grace: Duration,
    /// Failed logins for one email within the window that lock it.
    pub max_failures_per_email: u32,
    /// Failed logins from one IP within the window that lock it.
    pub max_failures_per_ip: u32,
}

/// WebSocket session limits.
#[derive(Clone, Debug)]
pub struct WsSettings {
    /// Largest message accepted; bigger ones get a `message_too_large`
    /// error and the session goes on.
    pub max_message_bytes: usize,
    /// Frames queued for one session before it is cut off as a slow consumer.
    pub outbound_queue: usize,
    /// Bytes queued for one session before it is cut off as a slow consumer.
    pub outbound_queue_bytes: usize,
    /// Boards one session may subscribe to at once.
    pub max_subscriptions: usize,
    /// WebSockets the server holds open at once; further upgrades are
    /// answered 503 `overloaded` (a soft limit: handshakes in flight at the
    /// same moment may pass it by a few).
    pub max_sockets: usize,
    /// Time allowed for the `auth` message on a socket opened without a token.
    pub auth_timeout: Duration,
    /// How often the server pings; a client silent for `client_timeout` is closed.
    pub heartbeat_interval: Duration,
    pub client_timeout: Duration,
    /// How long the socket writer waits for a peer that takes no bytes at
    /// all before it resets the connection (`WRITE_STALL_TIMEOUT` by default).
    pub write_stall_timeout: Duration,
}

/// A token bucket: `per_sec` requests a second on average, bursts of up
/// to `burst` after a quiet period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub per_sec: u32,
    pub burst: u32,
}

/// Request rate limits (see `docs/operations.md`).
#[derive(Clone, Debug)]
pub struct RateLimitSettings {
    /// REST requests per authenticated user or API key.
    pub principal: RateLimit,
    /// REST requests per client IP (IPv6: per /64).
    pub ip: RateLimit,
    /// Client messages per WebSocket session.
    pub ws_session: RateLimit,
}

/// Outgoing mail (`docs/mail.md`).
#[derive(Clone, Debug)]
pub struct MailSettings {
    /// `CORKBOARD_SMTP_URL`, in lettre's form (`smtp://[user:pass@]host[:port]`,
    /// `smtp://host?tls=required`, `smtps://host`), checked when read.
    /// `None`: every message is written as an `.eml` file under
    /// `<data_dir>/mail/` instead (the development outbox).
    pub smtp_url: Option<Secret>,
    /// The `From` of every message (`CORKBOARD_MAIL_FROM`).
    pub from: lettre::message::Mailbox,
    /// What links in mail start with (`CORKBOARD_PUBLIC_URL`): an absolute
    /// http(s) URL with no query and no trailing slash.
    pub public_url: String,
}

/// Everything the server needs to run.
#[derive(Clone, Debug)]
pub struct Settings {
    pub environment: Environment,
    pub bind: SocketAddr,
    pub database: DatabaseSettings,
    pub data_dir: PathBuf,
    pub db_pool_size: usize,
    pub jwt: JwtSettings,
    pub auth: AuthSettings,
    pub api_keys: ApiKeySettings,
    pub allowed_origins: Vec<String>,
    pub max_body_bytes: usize,
    pub ws: WsSettings,
    pub actors: ActorConfig,
    pub rate_limits: RateLimitSettings,
    /// Serve `GET /metrics` (Prometheus text format).
    pub metrics: bool,
    /// Bearer token `GET /metrics` requires, when set.
    pub metrics_token: Option<Secret>,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-*` headers are
    /// believed (`CORKBOARD_TRUSTED_PROXIES`).
    pub trusted_proxies: TrustedProxies,
    pub workers: usize,
    pub shutdown_timeout: Duration,
    /// How long a deleted organization's rows are kept before the
    /// retention step removes them (`CORKBOARD_DELETED_ORG_RETENTION_SECS`).
    pub deleted_org_retention: Duration,
    /// The bus between nodes (`CORKBOARD_BUS`).
    pub bus: BusSettings,
    /// The job queue's workers on this node (`CORKBOARD_JOBS_*`).
    pub jobs: crate::jobs::JobSettings,
    /// Outgoing mail: the SMTP relay or the development outbox, the sender
    /// and the public URL links point at.
    pub mail: MailSettings,
    /// Webhook deliveries (`CORKBOARD_WEBHOOK_*`).
    pub webhooks: crate::webhooks::WebhookSettings,
}
