//! Reading `Settings` from the variables, one function per topic, and the
//! checks `CORKBOARD_ENV=production` adds.

use std::net::SocketAddr;
use std::path::PathBuf;

use actors::{ActorConfig, SNAPSHOT_WRITERS};

use crate::client_addr::ForwardedHeader;

use super::env::{Effective, Env};
use super::explain::redact_url_password;
use super::{
    ApiKeySettings, AuthSettings, BusSettings, ConfigError, DatabaseSettings, Environment,
    JwtSettings, MailSettings, RateLimitSettings, Secret, Settings, TrustedProxies, WsSettings,
};

/// Shortest accepted signing key, pepper or metrics token, in bytes.
const MIN_SECRET_BYTES: usize = 32;

impl Settings {
    /// Read settings from the process environment.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first invalid variable.
    pub fn from_env() -> Result<Settings, ConfigError> {
        Settings::from_lookup(|k| std::env::var(k).ok())
    }

    /// Read settings through `get` (the environment, or a map in tests).
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first invalid variable.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        read(&Env::new(&get))
    }

    /// The settings and every variable's effective value, in reading order
    /// (for `corkboard config`).
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first invalid variable.
    pub fn explain(
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<(Settings, Vec<Effective>), ConfigError> {
        let env = Env::new(&get);
        let settings = read(&env)?;
        Ok((settings, env.into_effective()))
    }
}

fn read(env: &Env<'_>) -> Result<Settings, ConfigError> {
    let environment = match env.choice("CORKBOARD_ENV", &["development", "production"])? {
        "production" => Environment::Production,
        _ => Environment::Development,
    };
    let database = match env.connection_string("DATABASE_URL") {
        Some(url) => DatabaseSettings::Url(url),
        None => DatabaseSettings::Managed,
    };
    let bind: SocketAddr = env.parse_with("CORKBOARD_BIND", "127.0.0.1:8080".parse().ok())?;
    let data_dir = PathBuf::from(env.string_or("CORKBOARD_DATA_DIR", "./data"));
    let db_pool_size = env.parse("CORKBOARD_DB_POOL_SIZE", 16, 2..=512)?;
    let settings = Settings {
        environment,
        bind,
        database,
        data_dir,
        db_pool_size,
        jwt: jwt(env)?,
        auth: auth(env)?,
        api_keys: ApiKeySettings {
            pepper: env.secret("CORKBOARD_API_KEY_PEPPER", MIN_SECRET_BYTES)?,
        },
        allowed_origins: allowed_origins(env)?,
        trusted_proxies: trusted_proxies(env)?,
        max_body_bytes: env.parse(
            "CORKBOARD_HTTP_MAX_BODY_BYTES",
            256 * 1024,
            1024..=16 * 1024 * 1024,
        )?,
        ws: ws(env)?,
        actors: ActorConfig {
            idle_passivate_after: env.secs("CORKBOARD_IDLE_PASSIVATE_SECS", 300, 1..=86_400)?,
            store_timeout: env.secs("CORKBOARD_STORE_TIMEOUT_SECS", 5, 1..=60)?,
            arbiters: env.parse("CORKBOARD_ACTOR_THREADS", default_workers(), 1..=256)?,
            // Snapshots hold at most a quarter of the pool (one at least).
            snapshot_writers: SNAPSHOT_WRITERS.min(db_pool_size / 4).max(1),
            ..ActorConfig::default()
        },
        rate_limits: rate_limits(env)?,
        metrics: env.choice("CORKBOARD_METRICS", &["on", "off"])? == "on",
        metrics_token: env
            .secret("CORKBOARD_METRICS_TOKEN", MIN_SECRET_BYTES)?
            .map(|t| Secret(String::from_utf8_lossy(&t).into_owned())),
        workers: env.parse("CORKBOARD_WORKERS", default_workers(), 1..=256)?,
        shutdown_timeout: env.secs("CORKBOARD_SHUTDOWN_TIMEOUT_SECS", 10, 1..=300)?,
        deleted_org_retention: env.secs(
            "CORKBOARD_DELETED_ORG_RETENTION_SECS",
            DELETED_ORG_RETENTION_DEFAULT_SECS,
            0..=366 * 86_400,
        )?,
        bus: bus(env)?,
        jobs: jobs(env)?,
        mail: mail(env, bind)?,
        webhooks: webhooks(env)?,
    };
    if settings.environment == Environment::Production {
        production_checks(&settings)?;
    }
    Ok(settings)
}

/// `CORKBOARD_JOBS_*`: whether this node runs workers, the retry base,
/// attempts per kind (`kind=n,kind=n`), the dead-job threshold.
fn jobs(env: &Env<'_>) -> Result<crate::jobs::JobSettings, ConfigError> {
    use protocol::jobs::JobKind;
    const VAR: &str = "CORKBOARD_JOBS_MAX_ATTEMPTS";
    let mut max_attempts = std::collections::HashMap::new();
    for pair in env.string_or(VAR, "").split(',').map(str::trim) {
        if pair.is_empty() {
            continue;
        }
        let parsed = pair.split_once('=').and_then(|(kind, n)| {
            Some((
                JobKind::from_name(kind.trim())?,
                n.trim().parse::<i32>().ok()?,
            ))
        });
        match parsed {
            Some((kind, n)) if (1..=100).contains(&n) => {
                max_attempts.insert(kind, n);
            }
            _ => {
                let kinds: Vec<&str> = JobKind::ALL.iter().map(|k| k.name()).collect();
                return Err(ConfigError::new(
                    VAR,
                    format!(
                        "{pair:?} is not `kind=attempts` with attempts 1–100 and kind one of {}",
                        kinds.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(crate::jobs::JobSettings {
        workers: env.choice("CORKBOARD_JOBS_WORKERS", &["on", "off"])? == "on",
        retry_base: std::time::Duration::from_millis(env.parse(
            "CORKBOARD_JOBS_RETRY_BASE_MS",
            2000,
            1..=3_600_000,
        )? as u64),
        max_attempts,
        dead_threshold: env.parse("CORKBOARD_JOBS_DEAD_THRESHOLD", 100, 0..=100_000_000)? as i64,
    })
}

/// `CORKBOARD_WEBHOOK_*`: private destinations, the retry schedule
/// (seconds, comma-separated), when a failing endpoint is disabled, the
/// secret rotation overlap, the request timeout, the log's retention.
fn webhooks(env: &Env<'_>) -> Result<crate::webhooks::WebhookSettings, ConfigError> {
    use std::time::Duration;
    const SCHEDULE: &str = "CORKBOARD_WEBHOOK_RETRY_SCHEDULE";
    let defaults = crate::webhooks::WebhookSettings::default();
    let schedule = match env.string(SCHEDULE) {
        None => defaults.schedule,
        Some(raw) => raw
            .split(',')
            .map(|s| {
                s.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && (0.0..=7.0 * 86_400.0).contains(v))
                    .map(Duration::from_secs_f64)
            })
            .collect::<Option<Vec<_>>>()
            .filter(|s| !s.is_empty() && s.len() <= 50)
            .ok_or_else(|| {
                ConfigError::new(
                    SCHEDULE,
                    format!(
                        "{raw:?} is not 1–50 comma-separated waits in seconds (0–604800 each), \
                         e.g. 5,300,1800,7200,18000,36000,36000"
                    ),
                )
            })?,
    };
    Ok(crate::webhooks::WebhookSettings {
        allow_private: env.choice("CORKBOARD_WEBHOOK_ALLOW_PRIVATE", &["off", "on"])? == "on",
        schedule,
        disable_after: env.secs(
            "CORKBOARD_WEBHOOK_DISABLE_AFTER_SECS",
            defaults.disable_after.as_secs(),
            1..=366 * 86_400,
        )?,
        secret_overlap: env.secs(
            "CORKBOARD_WEBHOOK_SECRET_OVERLAP_SECS",
            defaults.secret_overlap.as_secs(),
            0..=30 * 86_400,
        )?,
        timeout: env.secs(
            "CORKBOARD_WEBHOOK_TIMEOUT_SECS",
            defaults.timeout.as_secs(),
            1..=120,
        )?,
        log_retention: env.secs(
            "CORKBOARD_WEBHOOK_LOG_RETENTION_SECS",
            defaults.log_retention.as_secs(),
            3600..=366 * 86_400,
        )?,
    })
}

/// `CORKBOARD_BUS`: `postgres` (the default) or `nats://host:port`.
fn bus(env: &Env<'_>) -> Result<BusSettings, ConfigError> {
    let value = env.string_or("CORKBOARD_BUS", "postgres");
    let value = value.trim();
    if value == "postgres" {
        return Ok(BusSettings::Postgres);
    }
    match value.strip_prefix("nats://") {
        Some(rest) if !rest.is_empty() && !rest.contains(char::is_whitespace) => {
            Ok(BusSettings::Nats(value.to_owned()))
        }
        _ => Err(ConfigError::new(
            "CORKBOARD_BUS",
            format!("must be `postgres` or `nats://host:port`, not {value:?}"),
        )),
    }
}

/// The sender of mail when `CORKBOARD_MAIL_FROM` is unset.
pub const DEFAULT_MAIL_FROM: &str = "Corkboard <corkboard@localhost>";

/// `CORKBOARD_SMTP_URL`, `CORKBOARD_MAIL_FROM` and `CORKBOARD_PUBLIC_URL`.
fn mail(env: &Env<'_>, bind: SocketAddr) -> Result<MailSettings, ConfigError> {
    let smtp_url = env
        .secret_url("CORKBOARD_SMTP_URL")
        .map(|url| url.trim().to_owned());
    if let Some(url) = &smtp_url {
        crate::mail::check_smtp_url(url).map_err(|e| {
            ConfigError::new(
                "CORKBOARD_SMTP_URL",
                format!(
                    "{:?} is not an SMTP URL (smtp://[user:password@]host[:port], \
                     smtp://host?tls=required, smtps://host): {e}",
                    redact_url_password(url)
                ),
            )
        })?;
    }
    let from = env.string_or("CORKBOARD_MAIL_FROM", DEFAULT_MAIL_FROM);
    let from = from.trim().parse().map_err(|e| {
        ConfigError::new(
            "CORKBOARD_MAIL_FROM",
            format!("{from:?} is not a mailbox (`Name <user@host>` or `user@host`): {e}"),
        )
    })?;
    Ok(MailSettings {
        smtp_url: smtp_url.map(Secret),
        from,
        public_url: public_url(env, bind)?,
    })
}

/// `CORKBOARD_PUBLIC_URL`: an absolute http(s) URL without query or
/// fragment, trailing slashes trimmed; by default the bind port on localhost.
fn public_url(env: &Env<'_>, bind: SocketAddr) -> Result<String, ConfigError> {
    const VAR: &str = "CORKBOARD_PUBLIC_URL";
    let raw = env.string_or(VAR, &format!("http://localhost:{}", bind.port()));
    let url = raw.trim().trim_end_matches('/');
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return Err(ConfigError::new(
            VAR,
            format!("{raw:?} is not an absolute http:// or https:// URL"),
        ));
    };
    let host = rest.split('/').next().unwrap_or_default();
    let problem = if host.is_empty() || host.starts_with(':') {
        "has no host"
    } else if url.contains(['?', '#']) {
        "may not have a query or fragment"
    } else if url.contains(|c: char| c.is_whitespace() || c.is_control()) {
        "may not contain spaces"
    } else {
        return Ok(url.to_owned());
    };
    Err(ConfigError::new(VAR, format!("{raw:?} {problem}")))
}

/// The grace period of a deleted organization, by default: 30 days.
pub const DELETED_ORG_RETENTION_DEFAULT_SECS: u64 = 30 * 86_400;

/// What production refuses: keys that development generates, metrics open
/// to anyone, and any origin allowed.
fn production_checks(s: &Settings) -> Result<(), ConfigError> {
    let why = "is required when CORKBOARD_ENV=production";
    if s.jwt.secret.is_none() {
        return Err(ConfigError::new("CORKBOARD_JWT_SECRET", why));
    }
    if s.api_keys.pepper.is_none() {
        return Err(ConfigError::new("CORKBOARD_API_KEY_PEPPER", why));
    }
    if s.metrics && s.metrics_token.is_none() {
        return Err(ConfigError::new(
            "CORKBOARD_METRICS_TOKEN",
            "is required when CORKBOARD_ENV=production and CORKBOARD_METRICS=on",
        ));
    }
    if s.trusted_proxies.trusts_everyone() {
        return Err(ConfigError::new(
            "CORKBOARD_TRUSTED_PROXIES",
            "may not trust every address (0.0.0.0/0, ::/0) when CORKBOARD_ENV=production: \
             any client could name its own address; list the proxies",
        ));
    }
    if s.allowed_origins.iter().any(|o| o == "*") {
        return Err(ConfigError::new(
            "CORKBOARD_ALLOWED_ORIGINS",
            "may not contain * when CORKBOARD_ENV=production; list the origins",
        ));
    }
    Ok(())
}

fn jwt(env: &Env<'_>) -> Result<JwtSettings, ConfigError> {
    let key_id = env.string_or("CORKBOARD_JWT_KEY_ID", "k1");
    Ok(JwtSettings {
        secret: env.secret("CORKBOARD_JWT_SECRET", MIN_SECRET_BYTES)?,
        previous: previous_key(env, &key_id)?,
        key_id,
        issuer: env.string_or("CORKBOARD_JWT_ISSUER", "corkboard"),
        audience: env.string_or("CORKBOARD_JWT_AUDIENCE", "corkboard"),
        access_ttl: env.secs("CORKBOARD_ACCESS_TOKEN_TTL_SECS", 900, 60..=900)?,
    })
}

/// The previous signing key for rotation: both variables or neither.
fn previous_key(
    env: &Env<'_>,
    current_kid: &str,
) -> Result<Option<(String, Vec<u8>)>, ConfigError> {
    let kid = env.string("CORKBOARD_JWT_PREVIOUS_KEY_ID");
    let secret = env.secret("CORKBOARD_JWT_PREVIOUS_SECRET", MIN_SECRET_BYTES)?;
    match (kid, secret) {
        (None, None) => Ok(None),
        (Some(kid), Some(_)) if kid == current_kid => Err(ConfigError::new(
            "CORKBOARD_JWT_PREVIOUS_KEY_ID",
            "must differ from CORKBOARD_JWT_KEY_ID",
        )),
        (Some(kid), Some(secret)) => Ok(Some((kid, secret))),
        (Some(_), None) => Err(ConfigError::new(
            "CORKBOARD_JWT_PREVIOUS_SECRET",
            "is required when CORKBOARD_JWT_PREVIOUS_KEY_ID is set",
        )),
        (None, Some(_)) => Err(ConfigError::new(
            "CORKBOARD_JWT_PREVIOUS_KEY_ID",
            "is required when CORKBOARD_JWT_PREVIOUS_SECRET is set",
        )),
    }
}

fn auth(env: &Env<'_>) -> Result<AuthSettings, ConfigError> {
    Ok(AuthSettings {
        refresh_ttl: env.secs(
            "CORKBOARD_REFRESH_TOKEN_TTL_SECS",
            crate::auth::REFRESH_TOKEN_TTL.as_secs(),
            3600..=365 * 86_400,
        )?,
        refresh_reuse_grace: env.secs(
            "CORKBOARD_REFRESH_REUSE_GRACE_SECS",
            crate::auth::REFRESH_REUSE_GRACE.as_secs(),
            0..=60,
        )?,
        max_failures_per_email: env.count(
            "CORKBOARD_LOGIN_MAX_FAILURES_PER_EMAIL",
            crate::auth::MAX_FAILURES_PER_EMAIL,
            1..=1000,
        )?,
        max_failures_per_ip: env.count(
            "CORKBOARD_LOGIN_MAX_FAILURES_PER_IP",
            crate::auth::MAX_FAILURES_PER_IP,
            1..=100_000,
        )?,
    })
}

/// `http(s)://host[:port]` entries, or `*` for every origin.
fn allowed_origins(env: &Env<'_>) -> Result<Vec<String>, ConfigError> {
    let origins: Vec<String> = env
        .string_or("CORKBOARD_ALLOWED_ORIGINS", "")
        .split(',')
        .map(|o| o.trim().trim_end_matches('/').to_owned())
        .filter(|o| !o.is_empty())
        .collect();
    for origin in &origins {
        let scheme_ok = origin.starts_with("http://") || origin.starts_with("https://");
        if origin != "*" && !scheme_ok {
            return Err(ConfigError::new(
                "CORKBOARD_ALLOWED_ORIGINS",
                format!("{origin:?} is not an http(s) origin or *"),
            ));
        }
    }
    Ok(origins)
}

fn trusted_proxies(env: &Env<'_>) -> Result<TrustedProxies, ConfigError> {
    let proxies = TrustedProxies::parse(&env.string_or("CORKBOARD_TRUSTED_PROXIES", ""))
        .map_err(|problem| ConfigError::new("CORKBOARD_TRUSTED_PROXIES", problem))?;
    let header =
        ForwardedHeader::parse(&env.string_or("CORKBOARD_FORWARDED_HEADER", "x-forwarded-for"))
            .map_err(|problem| ConfigError::new("CORKBOARD_FORWARDED_HEADER", problem))?;
    Ok(proxies.writing(header))
}

fn ws(env: &Env<'_>) -> Result<WsSettings, ConfigError> {
    let ws = WsSettings {
        max_message_bytes: env.parse(
            "CORKBOARD_WS_MAX_MESSAGE_BYTES",
            256 * 1024,
            1024..=8 * 1024 * 1024,
        )?,
        outbound_queue: env.parse("CORKBOARD_WS_OUTBOUND_QUEUE", 1024, 16..=1_000_000)?,
        outbound_queue_bytes: env.parse(
            "CORKBOARD_WS_OUTBOUND_QUEUE_BYTES",
            actors::DEFAULT_QUEUE_BYTES,
            64 * 1024..=1024 * 1024 * 1024,
        )?,
        max_subscriptions: env.parse("CORKBOARD_WS_MAX_SUBSCRIPTIONS", 100, 1..=10_000)?,
        max_sockets: env.parse("CORKBOARD_WS_MAX_SOCKETS", 25_000, 1..=1_000_000)?,
        auth_timeout: env.secs("CORKBOARD_WS_AUTH_TIMEOUT_SECS", 5, 1..=60)?,
        heartbeat_interval: env.secs("CORKBOARD_WS_HEARTBEAT_SECS", 15, 1..=300)?,
        client_timeout: env.secs("CORKBOARD_WS_CLIENT_TIMEOUT_SECS", 45, 2..=3600)?,
        write_stall_timeout: env.secs(
            "CORKBOARD_WS_WRITE_STALL_SECS",
            crate::session::writer::WRITE_STALL_TIMEOUT.as_secs(),
            1..=3600,
        )?,
    };
    if ws.client_timeout <= ws.heartbeat_interval {
        return Err(ConfigError::new(
            "CORKBOARD_WS_CLIENT_TIMEOUT_SECS",
            "must be longer than CORKBOARD_WS_HEARTBEAT_SECS",
        ));
    }
    Ok(ws)
}

fn rate_limits(env: &Env<'_>) -> Result<RateLimitSettings, ConfigError> {
    Ok(RateLimitSettings {
        principal: env.rate(
            ("CORKBOARD_RATE_LIMIT_USER_PER_SEC", 20),
            ("CORKBOARD_RATE_LIMIT_USER_BURST", 100),
        )?,
        ip: env.rate(
            ("CORKBOARD_RATE_LIMIT_IP_PER_SEC", 50),
            ("CORKBOARD_RATE_LIMIT_IP_BURST", 200),
        )?,
        ws_session: env.rate(
            ("CORKBOARD_RATE_LIMIT_WS_PER_SEC", 50),
            ("CORKBOARD_RATE_LIMIT_WS_BURST", 200),
        )?,
    })
}

fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}
