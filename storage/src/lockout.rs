//! The `login_failures` table: failed logins counted per scope (an email
//! address or a client IP) in a fixed window, and the lock a scope gets
//! when it reaches its limit.
//!
//! Scopes are plain strings chosen by the caller (`email:<lowercased>`,
//! `ip:<address>`); counting does not care whether an account exists, so a
//! lock says nothing about which emails are registered. Every comparison
//! uses the database's `now()`.

use std::time::Duration;

use deadpool_postgres::GenericClient;
use serde_json::json;

use crate::audit::{record, AuditAction, AuditEntry};
use crate::db::{Db, DbError};
use crate::login_sessions::millis;

/// When a scope gets locked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures within `window` that lock the scope.
    pub max_failures: u32,
    /// The counting window, from the first failure of a series.
    pub window: Duration,
    /// How long a lock lasts.
    pub lock_for: Duration,
}

fn from_millis(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// A failure series starts afresh when its window has passed or its lock
/// has been served (`f` is the stored row, `$3` the window in ms).
const FRESH_SERIES: &str = "(f.window_started_at + $3::bigint * interval '1 millisecond' <= now() \
      OR f.locked_until <= now())";

impl Db {
    /// The longest lock still running on any of `scopes`, or `None` when
    /// none is locked.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn login_lock(&self, scopes: &[String]) -> Result<Option<Duration>, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT (extract(epoch FROM max(locked_until) - now()) * 1000)::bigint \
                   FROM login_failures \
                  WHERE scope = ANY($1) AND locked_until > now()",
            )
            .await?;
        let row = client.query_one(&stmt, &[&scopes]).await?;
        Ok(row.get::<_, Option<i64>>(0).map(from_millis))
    }

    /// Counts one failed login for `scope`, atomically (an upsert, so
    /// concurrent failures are all counted). Returns how long the scope is
    /// now locked for, if this failure reached `policy.max_failures`.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn record_login_failure(
        &self,
        scope: &str,
        policy: &LockoutPolicy,
    ) -> Result<Option<Duration>, DbError> {
        let client = self.client().await?;
        count_failure(&client, scope, policy).await
    }

    /// Counts one failed login against each of `scopes` (scope, its
    /// policy, and the kind named in the audit log: `email` or `ip`) and
    /// writes `failed` (a `login.failed` entry) and a `login.locked` entry
    /// for each scope this failure locked, in one transaction. Returns
    /// the kinds locked now.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached
    /// (nothing is counted or recorded then).
    pub async fn record_failed_login(
        &self,
        scopes: &[(&str, LockoutPolicy, &'static str)],
        failed: &AuditEntry,
    ) -> Result<Vec<&'static str>, DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        record(&tx, failed).await?;
        let mut locked = Vec::new();
        for (scope, policy, kind) in scopes {
            if let Some(lock) = count_failure(&tx, scope, policy).await? {
                let mut details = failed.details.clone();
                if let Some(map) = details.as_object_mut() {
                    map.insert("scope".into(), json!(kind));
                    map.insert("locked_for_secs".into(), json!(lock.as_secs()));
                }
                let entry = failed
                    .clone()
                    .action(AuditAction::LoginLocked)
                    .details(details);
                record(&tx, &entry).await?;
                locked.push(*kind);
            }
        }
        tx.commit().await?;
        Ok(locked)
    }

    /// Forgets the failures (and any lock) of `scope`, after a successful
    /// login.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn clear_login_failures(&self, scope: &str) -> Result<(), DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("DELETE FROM login_failures WHERE scope = $1")
            .await?;
        client.execute(&stmt, &[&scope]).await?;
        Ok(())
    }
}

/// Counts one failure of `scope` with `client` (an upsert, so concurrent
/// failures are all counted); how long the scope is now locked for, if
/// this failure reached `policy.max_failures`.
async fn count_failure(
    client: &impl GenericClient,
    scope: &str,
    policy: &LockoutPolicy,
) -> Result<Option<Duration>, DbError> {
    let stmt = client
        .prepare_cached(&format!(
            "INSERT INTO login_failures AS f (scope, failures, window_started_at, locked_until) \
                 VALUES ($1, 1, now(), CASE WHEN $2::int <= 1 \
                     THEN now() + $4::bigint * interval '1 millisecond' END) \
                 ON CONFLICT (scope) DO UPDATE SET \
                     failures = CASE WHEN {FRESH_SERIES} THEN 1 ELSE f.failures + 1 END, \
                     window_started_at = CASE WHEN {FRESH_SERIES} \
                         THEN now() ELSE f.window_started_at END, \
                     locked_until = CASE \
                         WHEN (CASE WHEN {FRESH_SERIES} THEN 1 ELSE f.failures + 1 END) >= $2::int \
                             THEN now() + $4::bigint * interval '1 millisecond' \
                         WHEN {FRESH_SERIES} THEN NULL \
                         ELSE f.locked_until END \
                 RETURNING CASE WHEN locked_until > now() THEN \
                     (extract(epoch FROM locked_until - now()) * 1000)::bigint END"
        ))
        .await?;
    let max_failures = i32::try_from(policy.max_failures).unwrap_or(i32::MAX);
    let row = client
        .query_one(
            &stmt,
            &[
                &scope,
                &max_failures,
                &millis(policy.window),
                &millis(policy.lock_for),
            ],
        )
        .await?;
    Ok(row.get::<_, Option<i64>>(0).map(from_millis))
}
