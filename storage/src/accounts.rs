//! Account recovery and lifecycle (`account_tokens`, the account columns
//! of `users`, migration 0016): email verification, password reset and
//! change, account deletion, mail preferences. Each change and the mail
//! it sends (a job) commit in one transaction.

use std::time::Duration;

use deadpool_postgres::Transaction;
use protocol::UserId;
use uuid::Uuid;

use crate::audit::{record, AuditEntry};
use crate::db::{Db, DbError};
use crate::jobs::{enqueue, NewJob};

/// What a mailed single-use token is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::VerifyEmail => "verify_email",
            TokenPurpose::ResetPassword => "reset_password",
        }
    }
}

/// A token to store (by hash) and the mail that carries it.
pub struct IssuedToken<'a> {
    pub hash: &'a [u8; 32],
    pub purpose: TokenPurpose,
    pub lifetime: Duration,
    pub mail: NewJob,
}

/// Whether a user wants mail when assigned or mentioned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MailPreferences {
    pub assigned: bool,
    pub mentioned: bool,
}

/// A password reset that went through.
#[derive(Clone, Debug)]
pub struct PasswordReset {
    pub user: UserId,
    pub email: String,
    pub name: String,
    /// The login sessions the reset ended.
    pub sessions: Vec<Uuid>,
}

async fn store_token(
    tx: &Transaction<'_>,
    user: UserId,
    token: IssuedToken<'_>,
) -> Result<(), DbError> {
    // A new link of a purpose replaces the older ones: only the latest
    // mail works.
    tx.execute(
        "UPDATE account_tokens SET used_at = now() \
         WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
        &[&user.0, &token.purpose.as_str()],
    )
    .await?;
    tx.execute(
        "INSERT INTO account_tokens (token_hash, user_id, purpose, expires_at) \
         VALUES ($1, $2, $3, now() + make_interval(secs => $4::float8))",
        &[
            &token.hash.as_slice(),
            &user.0,
            &token.purpose.as_str(),
            &token.lifetime.as_secs_f64(),
        ],
    )
    .await?;
    enqueue(tx, &token.mail).await?;
    Ok(())
}

/// Use up a valid token of `purpose`; its user, or `None` when it is
/// unknown, used, expired, or its account was deleted.
async fn redeem(
    tx: &Transaction<'_>,
    hash: &[u8; 32],
    purpose: TokenPurpose,
) -> Result<Option<UserId>, DbError> {
    let row = tx
        .query_opt(
            "UPDATE account_tokens t SET used_at = now() FROM users u \
             WHERE t.token_hash = $1 AND t.purpose = $2 AND t.used_at IS NULL \
               AND t.expires_at > now() AND u.id = t.user_id AND u.deleted_at IS NULL \
             RETURNING t.user_id",
            &[&hash.as_slice(), &purpose.as_str()],
        )
        .await?;
    Ok(row.map(|r| UserId(r.get(0))))
}

impl Db {
    /// Create a user with `email` (trimmed, lowercased) and send the
    /// verification mail, in one transaction.
    ///
    /// # Errors
    /// [`DbError::Conflict`]`("email")` when the email is taken (nothing
    /// is sent).
    pub async fn register_user(
        &self,
        id: UserId,
        email: &str,
        name: &str,
        password_hash: &str,
        verification: IssuedToken<'_>,
    ) -> Result<(), DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "INSERT INTO users (id, email, name, password_hash) VALUES ($1, lower(trim($2)), $3, $4)",
            &[&id.0, &email, &name, &password_hash],
        )
        .await?;
        store_token(&tx, id, verification).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Store a new token for `user` and queue its mail, in one
    /// transaction; earlier unused tokens of the purpose stop working.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn issue_account_token(
        &self,
        user: UserId,
        token: IssuedToken<'_>,
    ) -> Result<(), DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        store_token(&tx, user, token).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Mark the email of the verification token `hash` verified; its
    /// user, or `None` when the token is not (or no longer) valid.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn verify_email(&self, hash: &[u8; 32]) -> Result<Option<UserId>, DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let user = redeem(&tx, hash, TokenPurpose::VerifyEmail).await?;
        if let Some(user) = user {
            tx.execute(
                "UPDATE users SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = $1",
                &[&user.0],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(user)
    }

    /// Whether `user`'s email is verified.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn email_verified(&self, user: UserId) -> Result<bool, DbError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT email_verified_at IS NOT NULL FROM users WHERE id = $1",
                &[&user.0],
            )
            .await?;
        Ok(row.is_some_and(|r| r.get(0)))
    }

    /// Reset the password with the reset token `hash`: the new hash is
    /// stored, the email counts as verified (the link proved it), every
    /// login session is revoked, `mail` (built from the account) is
    /// queued and `audit` recorded, in one transaction. `None` when the token is not valid.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn reset_password(
        &self,
        hash: &[u8; 32],
        password_hash: &str,
        mail: impl FnOnce(&PasswordReset) -> NewJob,
        audit: impl FnOnce(&PasswordReset) -> AuditEntry,
    ) -> Result<Option<PasswordReset>, DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let Some(user) = redeem(&tx, hash, TokenPurpose::ResetPassword).await? else {
            return Ok(None);
        };
        let row = tx
            .query_one(
                "UPDATE users SET password_hash = $2, \
                   email_verified_at = coalesce(email_verified_at, now()) \
                 WHERE id = $1 RETURNING email, name",
                &[&user.0, &password_hash],
            )
            .await?;
        let sessions = tx
            .query(
                "UPDATE login_sessions SET revoked_at = now(), revoke_reason = 'all_sessions_revoked' \
                 WHERE user_id = $1 AND revoked_at IS NULL RETURNING id",
                &[&user.0],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let reset = PasswordReset {
            user,
            email: row.get(0),
            name: row.get(1),
            sessions,
        };
        enqueue(&tx, &mail(&reset)).await?;
        record(&tx, &audit(&reset)).await?;
        tx.commit().await?;
        Ok(Some(reset))
    }

    /// Store `user`'s new password hash, revoke every login session but
    /// `keep`, and queue `mail`, in one transaction; the revoked sessions.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn change_password(
        &self,
        user: UserId,
        keep: Uuid,
        password_hash: &str,
        mail: &NewJob,
        audit: &AuditEntry,
    ) -> Result<Vec<Uuid>, DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "UPDATE users SET password_hash = $2 WHERE id = $1",
            &[&user.0, &password_hash],
        )
        .await?;
        let revoked = tx
            .query(
                "UPDATE login_sessions SET revoked_at = now(), revoke_reason = 'all_sessions_revoked' \
                 WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL RETURNING id",
                &[&user.0, &keep],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        enqueue(&tx, mail).await?;
        record(&tx, audit).await?;
        tx.commit().await?;
        Ok(revoked)
    }

    /// Delete `user`'s account: personal data replaced by placeholders
    /// (the id stays, so the event log and comments still name a valid
    /// actor, shown as "Deleted user"), tokens removed, sessions revoked
    /// and stripped of IP and user agent, and `mail` queued (to the old
    /// address), in one transaction. The caller removed their memberships first.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn delete_account(
        &self,
        user: UserId,
        mail: &NewJob,
        audit: &AuditEntry,
    ) -> Result<(), DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "UPDATE users SET email = 'deleted-' || id || '@deleted.invalid', \
               name = 'Deleted user', password_hash = '!', operator = false, \
               email_verified_at = NULL, notify_assigned = false, notify_mentioned = false, \
               deleted_at = now() \
             WHERE id = $1",
            &[&user.0],
        )
        .await?;
        tx.execute("DELETE FROM account_tokens WHERE user_id = $1", &[&user.0])
            .await?;
        // Sessions are revoked, not deleted, so a restarted node still
        // refuses their unexpired access tokens.
        tx.execute(
            "UPDATE login_sessions SET revoked_at = coalesce(revoked_at, now()), \
               revoke_reason = coalesce(revoke_reason, 'all_sessions_revoked'), \
               ip = NULL, user_agent = NULL \
             WHERE user_id = $1",
            &[&user.0],
        )
        .await?;
        enqueue(&tx, mail).await?;
        record(&tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `user`'s mail preferences.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn mail_preferences(&self, user: UserId) -> Result<MailPreferences, DbError> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "SELECT notify_assigned, notify_mentioned FROM users WHERE id = $1",
                &[&user.0],
            )
            .await?;
        Ok(MailPreferences {
            assigned: row.get(0),
            mentioned: row.get(1),
        })
    }

    /// Change what is given of `user`'s mail preferences; the result.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn set_mail_preferences(
        &self,
        user: UserId,
        assigned: Option<bool>,
        mentioned: Option<bool>,
    ) -> Result<MailPreferences, DbError> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "UPDATE users SET notify_assigned = coalesce($2, notify_assigned), \
                   notify_mentioned = coalesce($3, notify_mentioned) \
                 WHERE id = $1 RETURNING notify_assigned, notify_mentioned",
                &[&user.0, &assigned, &mentioned],
            )
            .await?;
        Ok(MailPreferences {
            assigned: row.get(0),
            mentioned: row.get(1),
        })
    }

    /// Delete used tokens and those expired over a day ago. Returns how
    /// many.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn prune_account_tokens(&self) -> Result<u64, DbError> {
        let client = self.client().await?;
        Ok(client
            .execute(
                "DELETE FROM account_tokens WHERE used_at IS NOT NULL \
                 OR expires_at < now() - interval '1 day'",
                &[],
            )
            .await?)
    }
}

impl Db {
    /// The keys of organizations where `user` is the only owner (their
    /// account cannot be deleted before they hand those over or delete
    /// them).
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn orgs_solely_owned(&self, user: UserId) -> Result<Vec<String>, DbError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT o.key FROM memberships m JOIN orgs o ON o.id = m.org_id \
                 WHERE m.user_id = $1 AND m.role = 'owner' AND o.deleted_at IS NULL \
                   AND NOT EXISTS (SELECT 1 FROM memberships other \
                     WHERE other.org_id = m.org_id AND other.role = 'owner' \
                       AND other.user_id <> m.user_id) \
                 ORDER BY o.key",
                &[&user.0],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}
