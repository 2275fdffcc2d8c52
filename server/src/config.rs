//! Settings, read once from the environment at start and validated: a bad
//! value stops the server with a message that names the variable. One
//! `Settings` value is passed down; there is no global configuration.
//! Every variable is listed, with its default, in `docs/configuration.md`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use actors::ActorConfig;

/// A configuration problem, naming the variable.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

/// Where the database is.
#[derive(Clone, Debug)]
pub enum DatabaseSettings {
    /// `DATABASE_URL`: use this server.
    Url(String),
    /// No URL: start a managed local PostgreSQL under the data directory.
    Managed,
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

/// Everything the server needs to run.
#[derive(Clone, Debug)]
pub struct Settings {
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
    pub workers: usize,
    pub shutdown_timeout: Duration,
}

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
        let env = Env(&get);
        let database = match env.string("DATABASE_URL") {
            Some(url) if !url.trim().is_empty() => DatabaseSettings::Url(url),
            _ => DatabaseSettings::Managed,
        };
        let key_id = env
            .string("CORKBOARD_JWT_KEY_ID")
            .unwrap_or_else(|| "k1".into());
        let secret = match env.string("CORKBOARD_JWT_SECRET") {
            Some(s) if s.len() < 32 => {
                return Err(ConfigError {
                    var: "CORKBOARD_JWT_SECRET",
                    problem: format!("must be at least 32 bytes, got {}", s.len()),
                })
            }
            Some(s) => Some(s.into_bytes()),
            None => None,
        };
        let pepper = match env.string("CORKBOARD_API_KEY_PEPPER") {
            Some(s) if s.len() < 32 => {
                return Err(ConfigError {
                    var: "CORKBOARD_API_KEY_PEPPER",
                    problem: format!("must be at least 32 bytes, got {}", s.len()),
                })
            }
            Some(s) => Some(s.into_bytes()),
            None => None,
        };
        let access_ttl = env.secs("CORKBOARD_ACCESS_TOKEN_TTL_SECS", 900, 60..=900)?;
        let auth = AuthSettings {
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
        };
        let ws_defaults = WsSettings {
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
        };
        if ws_defaults.client_timeout <= ws_defaults.heartbeat_interval {
            return Err(ConfigError {
                var: "CORKBOARD_WS_CLIENT_TIMEOUT_SECS",
                problem: "must be longer than CORKBOARD_WS_HEARTBEAT_SECS".into(),
            });
        }
        let bind: SocketAddr = env.parse_with("CORKBOARD_BIND", "127.0.0.1:8080".parse().ok())?;
        let actors = ActorConfig {
            idle_passivate_after: env.secs("CORKBOARD_IDLE_PASSIVATE_SECS", 300, 1..=86_400)?,
            store_timeout: env.secs("CORKBOARD_STORE_TIMEOUT_SECS", 5, 1..=60)?,
            ..ActorConfig::default()
        };
        let allowed_origins = env
            .string("CORKBOARD_ALLOWED_ORIGINS")
            .map(|s| {
                s.split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_owned())
                    .filter(|o| !o.is_empty())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        for origin in &allowed_origins {
            if !(origin.starts_with("http://") || origin.starts_with("https://")) {
                return Err(ConfigError {
                    var: "CORKBOARD_ALLOWED_ORIGINS",
                    problem: format!("{origin:?} is not an http(s) origin"),
                });
            }
        }
        let rate_limits = RateLimitSettings {
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
        };
        let metrics = match env.string("CORKBOARD_METRICS") {
            None => true,
            Some(raw) => match raw.trim().to_ascii_lowercase().as_str() {
                "on" => true,
                "off" => false,
                _ => {
                    return Err(ConfigError {
                        var: "CORKBOARD_METRICS",
                        problem: format!("{raw:?} is not valid: use on or off"),
                    })
                }
            },
        };
        Ok(Settings {
            bind,
            database,
            data_dir: PathBuf::from(
                env.string("CORKBOARD_DATA_DIR")
                    .unwrap_or_else(|| "./data".into()),
            ),
            db_pool_size: env.parse("CORKBOARD_DB_POOL_SIZE", 16, 2..=512)?,
            jwt: JwtSettings {
                secret,
                key_id: key_id.clone(),
                previous: previous_key(&env, &key_id)?,
                issuer: env
                    .string("CORKBOARD_JWT_ISSUER")
                    .unwrap_or_else(|| "corkboard".into()),
                audience: env
                    .string("CORKBOARD_JWT_AUDIENCE")
                    .unwrap_or_else(|| "corkboard".into()),
                access_ttl,
            },
            auth,
            api_keys: ApiKeySettings { pepper },
            allowed_origins,
            max_body_bytes: env.parse(
                "CORKBOARD_HTTP_MAX_BODY_BYTES",
                256 * 1024,
                1024..=16 * 1024 * 1024,
            )?,
            ws: ws_defaults,
            actors,
            rate_limits,
            metrics,
            workers: env.parse("CORKBOARD_WORKERS", default_workers(), 1..=256)?,
            shutdown_timeout: env.secs("CORKBOARD_SHUTDOWN_TIMEOUT_SECS", 10, 1..=300)?,
        })
    }
}

/// The previous signing key for rotation: both variables or neither.
fn previous_key<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    current_kid: &str,
) -> Result<Option<(String, Vec<u8>)>, ConfigError> {
    let kid = env.string("CORKBOARD_JWT_PREVIOUS_KEY_ID");
    let secret = env.string("CORKBOARD_JWT_PREVIOUS_SECRET");
    match (kid, secret) {
        (None, None) => Ok(None),
        (Some(kid), Some(secret)) => {
            if secret.len() < 32 {
                return Err(ConfigError {
                    var: "CORKBOARD_JWT_PREVIOUS_SECRET",
                    problem: format!("must be at least 32 bytes, got {}", secret.len()),
                });
            }
            if kid == current_kid {
                return Err(ConfigError {
                    var: "CORKBOARD_JWT_PREVIOUS_KEY_ID",
                    problem: "must differ from CORKBOARD_JWT_KEY_ID".into(),
                });
            }
            Ok(Some((kid, secret.into_bytes())))
        }
        (Some(_), None) => Err(ConfigError {
            var: "CORKBOARD_JWT_PREVIOUS_SECRET",
            problem: "is required when CORKBOARD_JWT_PREVIOUS_KEY_ID is set".into(),
        }),
        (None, Some(_)) => Err(ConfigError {
            var: "CORKBOARD_JWT_PREVIOUS_KEY_ID",
            problem: "is required when CORKBOARD_JWT_PREVIOUS_SECRET is set".into(),
        }),
    }
}

fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

struct Env<'a, F: Fn(&str) -> Option<String>>(&'a F);

impl<F: Fn(&str) -> Option<String>> Env<'_, F> {
    fn string(&self, var: &str) -> Option<String> {
        (self.0)(var)
    }

    fn parse_with<T: std::str::FromStr>(
        &self,
        var: &'static str,
        default: Option<T>,
    ) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.string(var) {
            Some(raw) => raw.trim().parse().map_err(|e: T::Err| ConfigError {
                var,
                problem: format!("{raw:?} is not valid: {e}"),
            }),
            None => default.ok_or(ConfigError {
                var,
                problem: "is required".into(),
            }),
        }
    }

    fn parse(
        &self,
        var: &'static str,
        default: usize,
        range: std::ops::RangeInclusive<usize>,
    ) -> Result<usize, ConfigError> {
        let value = self.parse_with(var, Some(default))?;
        if !range.contains(&value) {
            return Err(ConfigError {
                var,
                problem: format!("{value} is outside {}..={}", range.start(), range.end()),
            });
        }
        Ok(value)
    }

    fn count(
        &self,
        var: &'static str,
        default: u32,
        range: std::ops::RangeInclusive<usize>,
    ) -> Result<u32, ConfigError> {
        let value = self.parse(var, default as usize, range)?;
        u32::try_from(value).map_err(|_| ConfigError {
            var,
            problem: format!("{value} is too large"),
        })
    }

    fn rate(
        &self,
        (per_sec_var, per_sec): (&'static str, u32),
        (burst_var, burst): (&'static str, u32),
    ) -> Result<RateLimit, ConfigError> {
        Ok(RateLimit {
            per_sec: self.count(per_sec_var, per_sec, 1..=1_000_000)?,
            burst: self.count(burst_var, burst, 1..=10_000_000)?,
        })
    }

    fn secs(
        &self,
        var: &'static str,
        default: u64,
        range: std::ops::RangeInclusive<usize>,
    ) -> Result<Duration, ConfigError> {
        let secs = self.parse(var, default as usize, range)?;
        Ok(Duration::from_secs(secs as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_need_no_configuration() {
        let s = settings(&[]).expect("defaults are valid");
        assert_eq!(s.bind.port(), 8080);
        assert!(matches!(s.database, DatabaseSettings::Managed));
        assert_eq!(s.jwt.access_ttl, Duration::from_secs(900));
        assert_eq!(s.auth.refresh_ttl, Duration::from_secs(30 * 86_400));
        assert_eq!(s.auth.refresh_reuse_grace, Duration::from_secs(10));
        assert_eq!(
            (s.auth.max_failures_per_email, s.auth.max_failures_per_ip),
            (5, 20)
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = settings(&[("CORKBOARD_BIND", "nope")]).expect_err("rejected");
        assert_eq!(err.var, "CORKBOARD_BIND");
        let err = settings(&[("CORKBOARD_JWT_SECRET", "short")]).expect_err("rejected");
        assert_eq!(err.var, "CORKBOARD_JWT_SECRET");
        let err = settings(&[("CORKBOARD_ACCESS_TOKEN_TTL_SECS", "86400")]).expect_err("rejected");
        assert_eq!(err.var, "CORKBOARD_ACCESS_TOKEN_TTL_SECS");
        let err = settings(&[("CORKBOARD_ALLOWED_ORIGINS", "example.com")]).expect_err("rejected");
        assert_eq!(err.var, "CORKBOARD_ALLOWED_ORIGINS");
        for var in [
            "CORKBOARD_REFRESH_TOKEN_TTL_SECS",
            "CORKBOARD_REFRESH_REUSE_GRACE_SECS",
            "CORKBOARD_LOGIN_MAX_FAILURES_PER_EMAIL",
            "CORKBOARD_LOGIN_MAX_FAILURES_PER_IP",
        ] {
            let err = settings(&[(var, "999999999")]).expect_err("out of range");
            assert_eq!(err.var, var);
        }
        let err = settings(&[("CORKBOARD_LOGIN_MAX_FAILURES_PER_EMAIL", "0")]).expect_err("zero");
        assert_eq!(err.var, "CORKBOARD_LOGIN_MAX_FAILURES_PER_EMAIL");
    }

    #[test]
    fn rate_limits_and_metrics_are_configurable_and_validated() {
        let s = settings(&[]).expect("defaults are valid");
        assert!(s.metrics);
        assert_eq!(
            s.rate_limits.principal,
            RateLimit {
                per_sec: 20,
                burst: 100
            }
        );
        assert_eq!(
            (s.rate_limits.ip.per_sec, s.rate_limits.ip.burst),
            (50, 200)
        );
        assert_eq!(
            (
                s.rate_limits.ws_session.per_sec,
                s.rate_limits.ws_session.burst
            ),
            (50, 200)
        );
        let s = settings(&[
            ("CORKBOARD_METRICS", "off"),
            ("CORKBOARD_RATE_LIMIT_WS_PER_SEC", "5"),
            ("CORKBOARD_RATE_LIMIT_WS_BURST", "7"),
        ])
        .expect("valid");
        assert!(!s.metrics);
        assert_eq!(
            s.rate_limits.ws_session,
            RateLimit {
                per_sec: 5,
                burst: 7
            }
        );
        for var in [
            "CORKBOARD_RATE_LIMIT_USER_PER_SEC",
            "CORKBOARD_RATE_LIMIT_USER_BURST",
            "CORKBOARD_RATE_LIMIT_IP_PER_SEC",
            "CORKBOARD_RATE_LIMIT_IP_BURST",
            "CORKBOARD_RATE_LIMIT_WS_PER_SEC",
            "CORKBOARD_RATE_LIMIT_WS_BURST",
        ] {
            assert_eq!(settings(&[(var, "0")]).expect_err("zero").var, var);
            assert_eq!(settings(&[(var, "x")]).expect_err("not a number").var, var);
        }
        let err = settings(&[("CORKBOARD_METRICS", "maybe")]).expect_err("rejected");
        assert_eq!(err.var, "CORKBOARD_METRICS");
    }

    #[test]
    fn the_api_key_pepper_is_validated_and_redacted() {
        let err = settings(&[("CORKBOARD_API_KEY_PEPPER", "short")]).expect_err("rejected");
        assert_eq!(err.var, "CORKBOARD_API_KEY_PEPPER");
        let pepper = "p".repeat(32);
        let ok = settings(&[("CORKBOARD_API_KEY_PEPPER", &pepper)]).expect("32 bytes suffice");
        assert_eq!(ok.api_keys.pepper.as_deref(), Some(pepper.as_bytes()));
        assert!(
            !format!("{ok:?}").contains(&pepper),
            "the pepper is redacted"
        );
    }
}
