//! Login lockout: failed logins are counted per email address and per
//! client IP; a scope that reaches its limit within the window is locked,
//! and a locked login is refused before the password is checked.
//!
//! Counting is by the address typed, not by account, so a lock looks the
//! same whether or not the account exists (no user enumeration). A
//! successful login clears the email's counter, never the IP's (one valid
//! account must not let a guesser reset its address).
//!
//! The client IP is the TCP peer address, or — when that peer is in
//! `CORKBOARD_TRUSTED_PROXIES` — the client its forwarding headers name
//! (`client_addr`); headers from any other peer are ignored.

use std::net::IpAddr;
use std::time::Duration;

use storage::audit::AuditEntry;
use storage::{Db, DbError, LockoutPolicy};

use crate::config::AuthSettings;

/// Failures are counted in windows of this length, from a series' first.
pub const LOGIN_FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// How long a locked email or IP stays locked.
pub const LOGIN_LOCK_DURATION: Duration = Duration::from_secs(15 * 60);
/// Failures per email within the window that lock it
/// (`CORKBOARD_LOGIN_MAX_FAILURES_PER_EMAIL`).
pub const MAX_FAILURES_PER_EMAIL: u32 = 5;
/// Failures per client IP within the window that lock it
/// (`CORKBOARD_LOGIN_MAX_FAILURES_PER_IP`).
pub const MAX_FAILURES_PER_IP: u32 = 20;

/// The lockout scopes of one login attempt.
#[derive(Clone, Debug)]
pub struct LoginScopes {
    email: String,
    ip: Option<String>,
}

impl LoginScopes {
    /// `email` already trimmed and lowercased.
    pub fn new(email: &str, ip: Option<IpAddr>) -> LoginScopes {
        LoginScopes {
            email: format!("email:{email}"),
            ip: ip.map(|ip| format!("ip:{ip}")),
        }
    }

    fn all(&self) -> Vec<String> {
        std::iter::once(self.email.clone())
            .chain(self.ip.clone())
            .collect()
    }

    /// How much longer the attempt is locked out, if it is.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn locked(&self, db: &Db) -> Result<Option<Duration>, DbError> {
        db.login_lock(&self.all()).await
    }

    /// Count a failed attempt against the email and the IP, and record
    /// it (`failed`, a `login.failed` audit entry, plus a `login.locked`
    /// one per scope it locked) in the same transaction.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn failed(
        &self,
        db: &Db,
        settings: &AuthSettings,
        failed: &AuditEntry,
    ) -> Result<(), DbError> {
        let mut scopes = vec![(
            self.email.as_str(),
            policy(settings.max_failures_per_email),
            "email",
        )];
        if let Some(ip) = &self.ip {
            scopes.push((ip.as_str(), policy(settings.max_failures_per_ip), "ip"));
        }
        for kind in db.record_failed_login(&scopes, failed).await? {
            match kind {
                "ip" => {
                    tracing::warn!(scope = ?self.ip, "login locked for a client address after repeated failures")
                }
                _ => tracing::warn!("login locked for an email address after repeated failures"),
            }
        }
        Ok(())
    }

    /// A successful login: forget the email's failures.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn succeeded(&self, db: &Db) -> Result<(), DbError> {
        db.clear_login_failures(&self.email).await
    }
}

fn policy(max_failures: u32) -> LockoutPolicy {
    LockoutPolicy {
        max_failures,
        window: LOGIN_FAILURE_WINDOW,
        lock_for: LOGIN_LOCK_DURATION,
    }
}
