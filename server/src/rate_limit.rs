//! Rate limits: token buckets in memory, per process.
//!
//! - REST, per client IP (IPv6: per /64): the [`per_ip`] middleware, on
//!   `/api/` paths only — health checks, `/metrics` and the WebSocket
//!   upgrade are exempt.
//! - REST, per user or API key: checked by the `Auth` extractor, once the
//!   caller is known.
//! - WebSocket, per session: a [`TokenBucket`] in the session actor.
//!
//! Over a limit, REST answers 429 `rate_limited` with `Retry-After`; the
//! WebSocket answers the message (see `session::handle`). Memory is
//! bounded: a bucket that has refilled completely is the same as no bucket,
//! so idle ones are dropped by a sweep every [`SWEEP_INTERVAL`], and a map
//! never holds more than [`MAX_BUCKETS`]. Time is an argument (`*_at`) so
//! the arithmetic is tested without sleeping.

use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};
use dashmap::DashMap;
use protocol::UserId;

use crate::client_addr::ClientAddr;
use crate::config::{RateLimit, RateLimitSettings};
use crate::error::ApiError;
use crate::metrics::Limited;
use crate::state::AppState;

/// Most buckets one limiter keeps. When a sweep cannot make room, new keys
/// are let through untracked (fail open): refusing them would lock out
/// legitimate clients during a flood of distinct addresses, while tracking
/// them would let the flood grow memory — and an attacker with many
/// addresses gets a fresh bucket per address either way.
pub const MAX_BUCKETS: usize = 100_000;

/// How often idle buckets are dropped.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(10);

/// One token bucket.
#[derive(Clone, Copy, Debug)]
pub struct TokenBucket {
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn full(limit: RateLimit, now: Instant) -> TokenBucket {
        TokenBucket {
            tokens: f64::from(limit.burst),
            updated: now,
        }
    }

    fn refill(&mut self, limit: RateLimit, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens =
            (self.tokens + elapsed * f64::from(limit.per_sec)).min(f64::from(limit.burst));
        self.updated = now;
    }

    /// Take one token, or say how long until one is available.
    ///
    /// # Errors
    /// The wait, when the bucket is empty.
    pub fn take(&mut self, limit: RateLimit, now: Instant) -> Result<(), Duration> {
        self.refill(limit, now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        let missing = 1.0 - self.tokens;
        Err(Duration::from_secs_f64(missing / f64::from(limit.per_sec)))
    }

    /// Whether the bucket has refilled completely by `now` (then it is the
    /// same as a new one and can be forgotten).
    fn is_full(&self, limit: RateLimit, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens + elapsed * f64::from(limit.per_sec) >= f64::from(limit.burst)
    }
}

/// Token buckets by key, bounded.
#[derive(Debug)]
pub struct RateLimiter<K: Eq + Hash> {
    limit: RateLimit,
    buckets: DashMap<K, TokenBucket>,
    max_buckets: usize,
    last_sweep: Mutex<Instant>,
}

impl<K: Eq + Hash + Clone> RateLimiter<K> {
    pub fn new(limit: RateLimit, max_buckets: usize) -> Self {
        RateLimiter {
            limit,
            buckets: DashMap::new(),
            max_buckets,
            last_sweep: Mutex::new(Instant::now()),
        }
    }

    /// Take a token of `key`'s bucket now.
    ///
    /// # Errors
    /// How long to wait, when over the limit.
    pub fn check(&self, key: K) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    /// Take a token of `key`'s bucket at `now`.
    ///
    /// # Errors
    /// How long to wait, when over the limit.
    pub fn check_at(&self, key: K, now: Instant) -> Result<(), Duration> {
        self.sweep_if_due(now);
        if let Some(mut bucket) = self.buckets.get_mut(&key) {
            return bucket.take(self.limit, now);
        }
        if self.buckets.len() >= self.max_buckets {
            self.sweep(now);
            if self.buckets.len() >= self.max_buckets {
                tracing::warn!(
                    max = self.max_buckets,
                    "rate limiter full; letting a new client through untracked"
                );
                return Ok(());
            }
        }
        self.buckets
            .entry(key)
            .or_insert_with(|| TokenBucket::full(self.limit, now))
            .take(self.limit, now)
    }

    /// Buckets held.
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// Whether no bucket is held.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// Drop every bucket that has refilled completely.
    pub fn sweep(&self, now: Instant) {
        let limit = self.limit;
        self.buckets.retain(|_, bucket| !bucket.is_full(limit, now));
    }

    fn sweep_if_due(&self, now: Instant) {
        // One caller sweeps; the others go on (try_lock) instead of waiting.
        let due = match self.last_sweep.try_lock() {
            Ok(mut last) if now.saturating_duration_since(*last) >= SWEEP_INTERVAL => {
                *last = now;
                true
            }
            _ => false,
        };
        if due {
            self.sweep(now);
        }
    }
}

/// The REST limiters of a server.
#[derive(Debug)]
pub struct RateLimits {
    /// Per user or API key (keyed by `Caller::actor_id`).
    pub principal: RateLimiter<UserId>,
    /// Per client IP.
    pub ip: RateLimiter<IpAddr>,
}

impl RateLimits {
    pub fn new(settings: &RateLimitSettings) -> RateLimits {
        RateLimits {
            principal: RateLimiter::new(settings.principal, MAX_BUCKETS),
            ip: RateLimiter::new(settings.ip, MAX_BUCKETS),
        }
    }
}

/// The key of a client address: IPv4 as is, IPv6 by its /64 prefix (one
/// subscriber usually holds a whole /64).
pub fn ip_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(prefix.into())
            }
        },
    }
}

/// Whether requests to `path` are rate limited per IP.
fn limited_path(path: &str) -> bool {
    path.starts_with("/api/")
}

/// Middleware: the per-IP limit of REST requests.
pub async fn per_ip(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if limited_path(req.path()) {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        if let Some(state) = state {
            let client = ClientAddr::of(req.request());
            if let Err(wait) = state.rate_limits.ip.check(ip_key(client.ip)) {
                state.metrics.rate_limited(Limited::Ip);
                let res = ApiError::RateLimited { retry_after: wait }.error_response();
                return Ok(req.into_response(res).map_into_right_body());
            }
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// The per-principal limit, for the `Auth` extractor.
///
/// # Errors
/// 429 `rate_limited` when over the limit.
pub fn check_principal(state: &AppState, caller: UserId) -> Result<(), ApiError> {
    state.rate_limits.principal.check(caller).map_err(|wait| {
        state.metrics.rate_limited(Limited::Principal);
        ApiError::RateLimited { retry_after: wait }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: RateLimit = RateLimit {
        per_sec: 10,
        burst: 3,
    };

    #[test]
    fn a_bucket_allows_its_burst_then_the_rate() {
        let t0 = Instant::now();
        let mut bucket = TokenBucket::full(LIMIT, t0);
        for _ in 0..3 {
            assert!(bucket.take(LIMIT, t0).is_ok());
        }
        let wait = bucket.take(LIMIT, t0).expect_err("burst spent");
        assert_eq!(wait, Duration::from_millis(100));
        // 50 ms later, half a token: wait the other 50 ms.
        let wait = bucket
            .take(LIMIT, t0 + Duration::from_millis(50))
            .expect_err("still empty");
        assert!(
            wait > Duration::from_millis(49) && wait <= Duration::from_millis(50),
            "{wait:?}"
        );
        assert!(bucket.take(LIMIT, t0 + Duration::from_millis(100)).is_ok());
        assert!(bucket.take(LIMIT, t0 + Duration::from_millis(100)).is_err());
        // A long pause refills up to the burst, not beyond.
        let later = t0 + Duration::from_secs(60);
        for _ in 0..3 {
            assert!(bucket.take(LIMIT, later).is_ok());
        }
        assert!(bucket.take(LIMIT, later).is_err());
    }

    #[test]
    fn keys_have_their_own_buckets() {
        let limiter = RateLimiter::new(LIMIT, 10);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check_at("a", t0).is_ok());
        }
        assert!(limiter.check_at("a", t0).is_err());
        assert!(limiter.check_at("b", t0).is_ok());
        assert_eq!(limiter.len(), 2);
    }

    #[test]
    fn idle_buckets_are_evicted_and_memory_is_bounded() {
        let limiter = RateLimiter::new(LIMIT, 2);
        let t0 = Instant::now();
        assert!(limiter.check_at(1, t0).is_ok());
        assert!(limiter.check_at(2, t0).is_ok());
        // Full: a third key is let through untracked.
        assert!(limiter.check_at(3, t0).is_ok());
        assert_eq!(limiter.len(), 2);
        // Once the others refilled (0.1 s), a sweep makes room.
        let later = t0 + Duration::from_millis(150);
        assert!(limiter.check_at(3, later).is_ok());
        assert_eq!(limiter.len(), 1);
        // The periodic sweep drops idle buckets too.
        let much_later = later + SWEEP_INTERVAL;
        assert!(limiter.check_at(4, much_later).is_ok());
        assert_eq!(limiter.len(), 1, "only the bucket just used is kept");
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64_prefix() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().expect("ip");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(ip_key(a), ip_key(b));
        assert_ne!(ip_key(a), ip_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().expect("ip");
        assert_eq!(ip_key(mapped), "192.0.2.7".parse::<IpAddr>().expect("ip"));
        let v4: IpAddr = "192.0.2.7".parse().expect("ip");
        assert_eq!(ip_key(v4), v4);
    }
}
