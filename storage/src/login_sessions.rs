//! The `login_sessions` and `refresh_tokens` tables: one row per sign-in
//! (a refresh-token family) and the SHA-256 hashes of its refresh tokens.
//!
//! This module never sees a token, only hashes. Every time comparison uses
//! the database's `now()`, so one clock decides expiry, the reuse grace
//! window and revocation order.

use std::time::Duration;

use protocol::{Millis, UserId};
use serde::Serialize;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::audit::{record, AuditEntry};
use crate::db::{to_sql_i64, Db, DbError};
use crate::keyset::{KeyType, Keyset, Order, Page, PageRequest};

/// A login session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LoginSessionRow {
    pub id: Uuid,
    pub user_id: UserId,
    pub created_at: Millis,
    /// The last refresh (access-token use does not count).
    pub last_used_at: Millis,
    pub expires_at: Millis,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub revoked_at: Option<Millis>,
    pub revoke_reason: Option<String>,
}

impl LoginSessionRow {
    fn from_row(row: &Row) -> LoginSessionRow {
        LoginSessionRow {
            id: row.get("id"),
            user_id: UserId(row.get("user_id")),
            created_at: Millis(row.get("created_ms")),
            last_used_at: Millis(row.get("last_used_ms")),
            expires_at: Millis(row.get("expires_ms")),
            user_agent: row.get("user_agent"),
            ip: row.get("ip"),
            revoked_at: row.get::<_, Option<i64>>("revoked_ms").map(Millis),
            revoke_reason: row.get("revoke_reason"),
        }
    }
}

/// The columns of [`LoginSessionRow`], timestamps as unix milliseconds.
const SESSION_COLUMNS: &str = "id, user_id, user_agent, ip, revoke_reason, \
     (extract(epoch FROM created_at) * 1000)::bigint AS created_ms, \
     (extract(epoch FROM last_used_at) * 1000)::bigint AS last_used_ms, \
     (extract(epoch FROM expires_at) * 1000)::bigint AS expires_ms, \
     (extract(epoch FROM revoked_at) * 1000)::bigint AS revoked_ms";

/// A user's live sessions, newest first. By creation, not by last use: a
/// session used between two pages must not move to a page already read.
const LIVE_SESSIONS: Keyset = Keyset {
    columns: &[SESSION_COLUMNS],
    from: "login_sessions",
    scope: "user_id = $1 AND revoked_at IS NULL AND expires_at > now()",
    key: "created_at",
    key_type: KeyType::Timestamptz,
    id: "id",
    order: Order::NewestFirst,
};

/// Why a login session was revoked; stored in `revoke_reason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevokeReason {
    /// The user logged out with this session's access token.
    Logout,
    /// The user revoked it from their session list.
    RevokedByUser,
    /// A refresh token of the family was presented again after the grace
    /// window: it has probably been stolen.
    RefreshTokenReused,
    /// Every session of the user was revoked (password change, account
    /// locked by an administrator).
    AllSessionsRevoked,
    /// An operator disabled the account.
    AccountDisabled,
}

impl RevokeReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RevokeReason::Logout => "logout",
            RevokeReason::RevokedByUser => "revoked_by_user",
            RevokeReason::RefreshTokenReused => "refresh_token_reused",
            RevokeReason::AllSessionsRevoked => "all_sessions_revoked",
            RevokeReason::AccountDisabled => "account_disabled",
        }
    }
}

/// A sign-in to record with [`Db::create_login_session`].
#[derive(Clone, Copy, Debug)]
pub struct NewLoginSession<'a> {
    pub id: Uuid,
    pub user: UserId,
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
    /// How long the session lives without a refresh.
    pub lifetime: Duration,
    /// SHA-256 of the session's first refresh token.
    pub refresh_hash: &'a [u8],
    /// The password hash the login was checked against: the session is
    /// made only while it is still the account's, and the account is not
    /// disabled or deleted (a reset, a change or a disabling may commit
    /// while the password is being verified).
    pub password_hash: &'a str,
}

/// What [`Db::create_login_session`] refuses with when the account's
/// password changed, or it was disabled or deleted, during the login.
pub const LOGIN_RACED: &str = "login credentials";

/// What presenting a refresh token led to; see [`Db::rotate_refresh_token`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rotation {
    /// The token was valid: it is now used and its successor is stored.
    /// `retry` is true when it had been used already, within the grace
    /// window (a client retrying after losing the response).
    Rotated {
        session: Uuid,
        user: UserId,
        retry: bool,
    },
    /// No such token.
    Unknown,
    /// The session ran past `expires_at`.
    Expired { session: Uuid, user: UserId },
    /// The session was revoked earlier.
    Revoked { session: Uuid, user: UserId },
    /// The token had been used before, longer ago than the grace window:
    /// the session has now been revoked (reason `refresh_token_reused`).
    Reused { session: Uuid, user: UserId },
}

/// A duration as PostgreSQL milliseconds (`$n::bigint * interval '1 ms'`).
pub(crate) fn millis(d: Duration) -> i64 {
    to_sql_i64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Whether the (locked, used) token hashed as `presented` was first used
/// less than `grace` ago. Asked only once the row lock is held, and with
/// `clock_timestamp()` rather than the transaction's start time, so a use
/// that waited for a concurrent rotation sees that rotation as past.
async fn within_grace(
    tx: &deadpool_postgres::Transaction<'_>,
    presented: &[u8],
    grace: Duration,
) -> Result<bool, DbError> {
    let stmt = tx
        .prepare_cached(
            "SELECT clock_timestamp() - used_at < $2::bigint * interval '1 millisecond' \
               FROM refresh_tokens WHERE token_hash = $1",
        )
        .await?;
    let row = tx.query_one(&stmt, &[&presented, &millis(grace)]).await?;
    Ok(row.get::<_, Option<bool>>(0).unwrap_or(false))
}

impl Db {
    /// Records a sign-in and its first refresh token, and `audit` (the
    /// `login.succeeded` entry) when given, atomically.
    ///
    /// # Errors
    /// [`DbError::Other`] when the user does not exist;
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn create_login_session(
        &self,
        new: NewLoginSession<'_>,
        audit: Option<&AuditEntry>,
    ) -> Result<LoginSessionRow, DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let still = tx
            .query_opt(
                "SELECT 1 FROM users WHERE id = $1 AND password_hash = $2 \
                   AND disabled_at IS NULL AND deleted_at IS NULL FOR SHARE",
                &[&new.user.0, &new.password_hash],
            )
            .await?;
        if still.is_none() {
            return Err(DbError::Conflict(LOGIN_RACED));
        }
        let insert_session = tx
            .prepare_cached(&format!(
                "INSERT INTO login_sessions (id, user_id, expires_at, user_agent, ip) \
                 VALUES ($1, $2, now() + $3::bigint * interval '1 millisecond', $4, $5) \
                 RETURNING {SESSION_COLUMNS}"
            ))
            .await?;
        let insert_token = tx
            .prepare_cached("INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2)")
            .await?;
        let row = tx
            .query_one(
                &insert_session,
                &[
                    &new.id,
                    &new.user.0,
                    &millis(new.lifetime),
                    &new.user_agent,
                    &new.ip,
                ],
            )
            .await?;
        tx.execute(&insert_token, &[&new.refresh_hash, &new.id])
            .await?;
        if let Some(entry) = audit {
            record(&tx, entry).await?;
        }
        tx.commit().await?;
        Ok(LoginSessionRow::from_row(&row))
    }

    /// Exchanges the refresh token hashed as `presented` for its successor
    /// hashed as `successor`, in one transaction that locks the token and
    /// its session (`SELECT … FOR UPDATE`), so two concurrent uses of one
    /// token are serialized: the second sees the first's `used_at`.
    ///
    /// - unused, session live: the token is marked used, `successor` is
    ///   stored, the session's `last_used_at` is now and `expires_at` now +
    ///   `lifetime` (sliding) → [`Rotation::Rotated`];
    /// - used less than `reuse_grace` ago: the same, `retry: true` (the
    ///   first use keeps its `used_at`, so retries do not stretch the window);
    /// - used longer ago: the session is revoked → [`Rotation::Reused`];
    /// - revoked or expired session, unknown token: nothing changes.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached
    /// (nothing changed then).
    pub async fn rotate_refresh_token(
        &self,
        presented: &[u8],
        successor: &[u8],
        lifetime: Duration,
        reuse_grace: Duration,
    ) -> Result<Rotation, DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let lookup = tx
            .prepare_cached(
                "SELECT t.session_id, s.user_id, \
                        t.used_at IS NOT NULL AS used, \
                        s.revoked_at IS NOT NULL AS revoked, \
                        s.expires_at <= now() AS expired \
                   FROM refresh_tokens t JOIN login_sessions s ON s.id = t.session_id \
                  WHERE t.token_hash = $1 \
                    FOR UPDATE",
            )
            .await?;
        let Some(row) = tx.query_opt(&lookup, &[&presented]).await? else {
            return Ok(Rotation::Unknown);
        };
        let session: Uuid = row.get("session_id");
        let user = UserId(row.get("user_id"));
        let used: bool = row.get("used");
        if row.get::<_, bool>("revoked") {
            return Ok(Rotation::Revoked { session, user });
        }
        if row.get::<_, bool>("expired") {
            return Ok(Rotation::Expired { session, user });
        }
        if used && !within_grace(&tx, presented, reuse_grace).await? {
            let revoke = tx
                .prepare_cached(
                    "UPDATE login_sessions SET revoked_at = now(), revoke_reason = $2 \
                     WHERE id = $1",
                )
                .await?;
            tx.execute(
                &revoke,
                &[&session, &RevokeReason::RefreshTokenReused.as_str()],
            )
            .await?;
            tx.commit().await?;
            return Ok(Rotation::Reused { session, user });
        }
        let mark_used = tx
            .prepare_cached(
                "UPDATE refresh_tokens SET used_at = now() \
                 WHERE token_hash = $1 AND used_at IS NULL",
            )
            .await?;
        let insert_token = tx
            .prepare_cached("INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2)")
            .await?;
        let touch_session = tx
            .prepare_cached(
                "UPDATE login_sessions \
                    SET last_used_at = now(), \
                        expires_at = now() + $2::bigint * interval '1 millisecond' \
                  WHERE id = $1",
            )
            .await?;
        tx.execute(&mark_used, &[&presented]).await?;
        tx.execute(&insert_token, &[&successor, &session]).await?;
        tx.execute(&touch_session, &[&session, &millis(lifetime)])
            .await?;
        tx.commit().await?;
        Ok(Rotation::Rotated {
            session,
            user,
            retry: used,
        })
    }

    /// A login session by id, revoked or not.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn login_session(&self, id: Uuid) -> Result<Option<LoginSessionRow>, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM login_sessions WHERE id = $1"
            ))
            .await?;
        let row = client.query_opt(&stmt, &[&id]).await?;
        Ok(row.as_ref().map(LoginSessionRow::from_row))
    }

    /// A page of the user's live sessions (neither revoked nor expired),
    /// newest first.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn live_login_sessions(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> Result<Page<LoginSessionRow>, DbError> {
        LIVE_SESSIONS
            .fetch(self, &user.0, page, |row| {
                Ok(LoginSessionRow::from_row(row))
            })
            .await
    }

    /// Revokes session `id` if it belongs to `user`, and writes `audit` in
    /// the same transaction when it does. Idempotent: a session revoked
    /// earlier keeps its first `revoked_at` and reason.
    ///
    /// Returns whether `user` has such a session (revoked now or before).
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn revoke_login_session(
        &self,
        user: UserId,
        id: Uuid,
        reason: RevokeReason,
        audit: Option<&AuditEntry>,
    ) -> Result<bool, DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let stmt = tx
            .prepare_cached(
                "UPDATE login_sessions \
                    SET revoked_at = coalesce(revoked_at, now()), \
                        revoke_reason = coalesce(revoke_reason, $3) \
                  WHERE id = $1 AND user_id = $2 \
              RETURNING id",
            )
            .await?;
        let row = tx
            .query_opt(&stmt, &[&id, &user.0, &reason.as_str()])
            .await?;
        if let (Some(_), Some(entry)) = (&row, audit) {
            record(&tx, entry).await?;
        }
        tx.commit().await?;
        Ok(row.is_some())
    }

    /// Revokes every live session of `user`; returns their ids. Callers
    /// also revoke the user on the node (`Revoked::User`) so access tokens
    /// already issued stop working.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn revoke_user_login_sessions(
        &self,
        user: UserId,
        reason: RevokeReason,
    ) -> Result<Vec<Uuid>, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "UPDATE login_sessions SET revoked_at = now(), revoke_reason = $2 \
                  WHERE user_id = $1 AND revoked_at IS NULL \
              RETURNING id",
            )
            .await?;
        let rows = client.query(&stmt, &[&user.0, &reason.as_str()]).await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Sessions revoked less than `within` ago: the ones whose access
    /// tokens may still be unexpired. Loaded at start so a restart does not
    /// bring revoked access tokens back.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn login_sessions_revoked_within(
        &self,
        within: Duration,
    ) -> Result<Vec<Uuid>, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT id FROM login_sessions \
                  WHERE revoked_at > now() - $1::bigint * interval '1 millisecond'",
            )
            .await?;
        let rows = client.query(&stmt, &[&millis(within)]).await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}
