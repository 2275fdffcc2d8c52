//! What the operator tier (`/api/v1/admin/*`) reads and changes across
//! every organization: the users (list, disable, enable, end every login
//! session) and the organizations (list with counts). Each change writes
//! its audit entry in its own transaction.

use protocol::{Millis, OrgId, UserId};
use tokio_postgres::Row;
use uuid::Uuid;

use crate::audit::{record, AuditEntry};
use crate::db::{Db, DbError};
use crate::keyset::{KeyType, Keyset, Order, Page, PageRequest};
use crate::login_sessions::RevokeReason;

/// A user as an operator sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminUserRow {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub operator: bool,
    pub email_verified: bool,
    pub created_at: Millis,
    /// When the account was disabled; `None` while it is enabled.
    pub disabled_at: Option<Millis>,
}

/// An organization as an operator sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminOrgRow {
    pub id: OrgId,
    pub name: String,
    pub key: String,
    pub created_at: Millis,
    pub members: i64,
    pub boards: i64,
}

/// Every account that is not deleted, newest first, whose email or name
/// matches `$1` (an `ILIKE` pattern, `%` for all).
const USERS: Keyset = Keyset {
    columns: &[
        "id, email, name, operator, email_verified_at IS NOT NULL AS verified, \
         (extract(epoch FROM created_at) * 1000)::bigint AS created_ms, \
         (extract(epoch FROM disabled_at) * 1000)::bigint AS disabled_ms",
    ],
    from: "users",
    scope: "deleted_at IS NULL AND (email ILIKE $1 OR name ILIKE $1)",
    key: "created_at",
    key_type: KeyType::Timestamptz,
    id: "id",
    order: Order::NewestFirst,
};

/// Every organization that is not deleted, newest first, whose name or key
/// matches `$1`.
const ORGS: Keyset = Keyset {
    columns: &["o.id, o.name, o.key, \
         (extract(epoch FROM o.created_at) * 1000)::bigint AS created_ms, \
         (SELECT count(*) FROM memberships m WHERE m.org_id = o.id) AS members, \
         (SELECT count(*) FROM boards b WHERE b.org_id = o.id) AS boards"],
    from: "orgs o",
    scope: "o.deleted_at IS NULL AND (o.name ILIKE $1 OR o.key ILIKE $1)",
    key: "o.created_at",
    key_type: KeyType::Timestamptz,
    id: "o.id",
    order: Order::NewestFirst,
};

/// `search` as a case-insensitive substring pattern, its own `%`, `_` and
/// `\` taken literally.
fn pattern(search: Option<&str>) -> String {
    let Some(search) = search.filter(|s| !s.is_empty()) else {
        return "%".into();
    };
    let mut out = String::with_capacity(search.len() + 2);
    out.push('%');
    for c in search.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

fn user_row(row: &Row) -> AdminUserRow {
    AdminUserRow {
        id: UserId(row.get("id")),
        email: row.get("email"),
        name: row.get("name"),
        operator: row.get("operator"),
        email_verified: row.get("verified"),
        created_at: Millis(row.get("created_ms")),
        disabled_at: row.get::<_, Option<i64>>("disabled_ms").map(Millis),
    }
}

impl Db {
    /// A page of accounts (deleted ones left out) whose email or name
    /// contains `search`, case-insensitively.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn admin_users(
        &self,
        search: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<AdminUserRow>, DbError> {
        USERS
            .fetch(self, &pattern(search), page, |row| Ok(user_row(row)))
            .await
    }

    /// A page of organizations (deleted ones left out) whose name or key
    /// contains `search`, with their member and board counts.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn admin_orgs(
        &self,
        search: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<AdminOrgRow>, DbError> {
        ORGS.fetch(self, &pattern(search), page, |row| {
            Ok(AdminOrgRow {
                id: OrgId(row.get("id")),
                name: row.get("name"),
                key: row.get("key"),
                created_at: Millis(row.get("created_ms")),
                members: row.get("members"),
                boards: row.get("boards"),
            })
        })
        .await
    }

    /// Whether `user`'s account is disabled.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn user_disabled(&self, user: UserId) -> Result<bool, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("SELECT disabled_at IS NOT NULL FROM users WHERE id = $1")
            .await?;
        let row = client.query_opt(&stmt, &[&user.0]).await?;
        Ok(row.is_some_and(|r| r.get(0)))
    }

    /// Disable (`disabled: true`) or enable `user`, with `audit`, in one
    /// transaction. Disabling also revokes every live login session (reason
    /// `account_disabled`); their ids are returned so the caller can end
    /// them on every node. Idempotent: disabling a disabled account keeps
    /// its first `disabled_at`. `None` when there is no such (undeleted)
    /// account.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn set_user_disabled(
        &self,
        user: UserId,
        disabled: bool,
        audit: &AuditEntry,
    ) -> Result<Option<Vec<Uuid>>, DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let found = tx
            .query_opt(
                "UPDATE users SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) END \
                 WHERE id = $1 AND deleted_at IS NULL RETURNING id",
                &[&user.0, &disabled],
            )
            .await?;
        if found.is_none() {
            return Ok(None);
        }
        let revoked = if disabled {
            revoke_all(&tx, user, RevokeReason::AccountDisabled).await?
        } else {
            Vec::new()
        };
        record(&tx, audit).await?;
        tx.commit().await?;
        Ok(Some(revoked))
    }

    /// End every live login session of `user` (reason
    /// `all_sessions_revoked`), with `audit`, in one transaction; the
    /// sessions ended. `None` when there is no such (undeleted) account.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn force_logout(
        &self,
        user: UserId,
        audit: &AuditEntry,
    ) -> Result<Option<Vec<Uuid>>, DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let found = tx
            .query_opt(
                "SELECT id FROM users WHERE id = $1 AND deleted_at IS NULL FOR UPDATE",
                &[&user.0],
            )
            .await?;
        if found.is_none() {
            return Ok(None);
        }
        let revoked = revoke_all(&tx, user, RevokeReason::AllSessionsRevoked).await?;
        record(&tx, audit).await?;
        tx.commit().await?;
        Ok(Some(revoked))
    }
}

async fn revoke_all(
    tx: &deadpool_postgres::Transaction<'_>,
    user: UserId,
    reason: RevokeReason,
) -> Result<Vec<Uuid>, DbError> {
    Ok(tx
        .query(
            "UPDATE login_sessions SET revoked_at = now(), revoke_reason = $2 \
              WHERE user_id = $1 AND revoked_at IS NULL RETURNING id",
            &[&user.0, &reason.as_str()],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn search_patterns_take_wildcards_literally() {
        assert_eq!(super::pattern(None), "%");
        assert_eq!(super::pattern(Some("")), "%");
        assert_eq!(super::pattern(Some("ada")), "%ada%");
        assert_eq!(super::pattern(Some("5%_\\")), "%5\\%\\_\\\\%");
    }
}
