//! The `invites` table: single-use invitations into an organization.
//!
//! Only the SHA-256 of a token is stored; the caller hashes. Times are the
//! database's `now()`, so every node agrees on whether an invite expired.
//! Redeeming is one transaction that locks the invite row, checks it,
//! inserts the membership and marks the invite accepted: two concurrent
//! redemptions of one token cannot both succeed.

use protocol::{Millis, OrgId, Role, UserId};
use serde::Serialize;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::db::{Db, DbError};
use crate::keyset::{KeyType, Keyset, Order, Page, PageRequest};
use crate::orgs::parse_role;

/// Where an invite stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteStatus {
    /// Can be accepted.
    Pending,
    Accepted,
    Revoked,
    Expired,
}

/// An invite, without its token hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InviteRow {
    pub id: Uuid,
    pub org_id: OrgId,
    /// The role the invitee gets.
    pub role: Role,
    /// The user or API key that created it.
    pub created_by: Uuid,
    pub created_at: Millis,
    pub expires_at: Millis,
    pub accepted_by: Option<UserId>,
    pub accepted_at: Option<Millis>,
    pub revoked_at: Option<Millis>,
    pub status: InviteStatus,
}

impl InviteRow {
    fn from_row(row: &Row) -> Result<InviteRow, DbError> {
        let status = match row.get::<_, &str>("status") {
            "pending" => InviteStatus::Pending,
            "accepted" => InviteStatus::Accepted,
            "revoked" => InviteStatus::Revoked,
            _ => InviteStatus::Expired,
        };
        Ok(InviteRow {
            id: row.get("id"),
            org_id: OrgId(row.get("org_id")),
            role: parse_role(row.get("role"))?,
            created_by: row.get("created_by"),
            created_at: Millis(row.get("created_ms")),
            expires_at: Millis(row.get("expires_ms")),
            accepted_by: row.get::<_, Option<Uuid>>("accepted_by").map(UserId),
            accepted_at: row.get::<_, Option<i64>>("accepted_ms").map(Millis),
            revoked_at: row.get::<_, Option<i64>>("revoked_ms").map(Millis),
            status,
        })
    }
}

/// The columns of [`InviteRow`], times as unix milliseconds.
const INVITE_COLUMNS: &str = "id, org_id, role, created_by, \
     (extract(epoch FROM created_at) * 1000)::bigint AS created_ms, \
     (extract(epoch FROM expires_at) * 1000)::bigint AS expires_ms, \
     accepted_by, \
     (extract(epoch FROM accepted_at) * 1000)::bigint AS accepted_ms, \
     (extract(epoch FROM revoked_at) * 1000)::bigint AS revoked_ms, \
     CASE WHEN revoked_at IS NOT NULL THEN 'revoked' \
          WHEN accepted_at IS NOT NULL THEN 'accepted' \
          WHEN expires_at <= now() THEN 'expired' \
          ELSE 'pending' END AS status";

/// The invites of an organization, newest first.
const INVITES_OF_ORG: Keyset = Keyset {
    columns: &[INVITE_COLUMNS],
    from: "invites",
    scope: "org_id = $1",
    key: "created_at",
    key_type: KeyType::Timestamptz,
    id: "id",
    order: Order::NewestFirst,
};

/// What [`Db::create_invite`] stores.
#[derive(Clone, Debug)]
pub struct NewInvite {
    pub id: Uuid,
    pub org: OrgId,
    pub role: Role,
    /// SHA-256 of the token.
    pub token_hash: [u8; 32],
    /// The user or API key creating it.
    pub created_by: Uuid,
    /// Lifetime from now, in seconds (positive).
    pub ttl_secs: i64,
}

/// The outcome of a successful [`Db::redeem_invite`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Redeemed {
    pub org: OrgId,
    /// The user's role in the org now: the invite's, or the role they
    /// already had (an invite never changes an existing membership).
    pub role: Role,
    /// Whether a membership was created (false: already a member).
    pub joined: bool,
}

/// Why an invite could not be redeemed.
#[derive(Debug, thiserror::Error)]
pub enum RedeemError {
    /// No invite has this token.
    #[error("no invite has this token")]
    NotFound,
    #[error("the invite has expired")]
    Expired,
    #[error("the invite has already been accepted")]
    Used,
    #[error("the invite has been revoked")]
    Revoked,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<tokio_postgres::Error> for RedeemError {
    fn from(e: tokio_postgres::Error) -> Self {
        RedeemError::Db(e.into())
    }
}

/// The outcome of [`Db::revoke_invite`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevokeOutcome {
    /// Revoked now, or it already was (revoking is idempotent).
    Revoked,
    /// Already accepted: remove the member instead.
    Accepted,
    /// No such invite in this org.
    NotFound,
}

impl Db {
    /// Stores a new invite, valid for `ttl_secs` from now.
    ///
    /// # Errors
    /// [`DbError::Conflict`]`("invite token")` for a token hash already
    /// stored; [`DbError::Other`] when the org does not exist or the
    /// lifetime is not positive.
    #[cfg(feature = "test-util")]
    pub async fn create_invite(&self, new: &NewInvite) -> Result<InviteRow, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "INSERT INTO invites (id, org_id, role, token_hash, created_by, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6::bigint)) \
                 RETURNING {INVITE_COLUMNS}"
            ))
            .await?;
        let row = client
            .query_one(
                &stmt,
                &[
                    &new.id,
                    &new.org.0,
                    &new.role.as_str(),
                    &new.token_hash.as_slice(),
                    &new.created_by,
                    &new.ttl_secs,
                ],
            )
            .await?;
        InviteRow::from_row(&row)
    }

    /// A page of the invites of `org`, newest first.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn invites_of_org(
        &self,
        org: OrgId,
        page: PageRequest,
    ) -> Result<Page<InviteRow>, DbError> {
        INVITES_OF_ORG
            .fetch(self, &org.0, page, InviteRow::from_row)
            .await
    }

    /// Invite `id` of `org`, if it exists there.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn invite(&self, org: OrgId, id: Uuid) -> Result<Option<InviteRow>, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {INVITE_COLUMNS} FROM invites WHERE id = $1 AND org_id = $2"
            ))
            .await?;
        match client.query_opt(&stmt, &[&id, &org.0]).await? {
            Some(row) => Ok(Some(InviteRow::from_row(&row)?)),
            None => Ok(None),
        }
    }

    /// Revokes invite `id` of `org` so it can no longer be accepted.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    #[cfg(feature = "test-util")]
    pub async fn revoke_invite(&self, org: OrgId, id: Uuid) -> Result<RevokeOutcome, DbError> {
        let client = self.client().await?;
        let revoke = client
            .prepare_cached(
                "UPDATE invites SET revoked_at = coalesce(revoked_at, now()) \
                 WHERE id = $1 AND org_id = $2 AND accepted_at IS NULL RETURNING id",
            )
            .await?;
        if client.query_opt(&revoke, &[&id, &org.0]).await?.is_some() {
            return Ok(RevokeOutcome::Revoked);
        }
        // Not updated: either absent or accepted (the CHECK keeps an
        // accepted invite from ever being revoked, so this cannot change).
        let exists = client
            .prepare_cached("SELECT 1 FROM invites WHERE id = $1 AND org_id = $2")
            .await?;
        Ok(match client.query_opt(&exists, &[&id, &org.0]).await? {
            Some(_) => RevokeOutcome::Accepted,
            None => RevokeOutcome::NotFound,
        })
    }

    /// The organization of the invitation whose token hashes to
    /// `token_hash`, if any (accepting is decided by that organization).
    ///
    /// # Errors
    /// [`DbError::Unavailable`] and [`DbError::Other`].
    pub async fn invite_org(&self, token_hash: &[u8; 32]) -> Result<Option<OrgId>, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("SELECT org_id FROM invites WHERE token_hash = $1")
            .await?;
        Ok(client
            .query_opt(&stmt, &[&token_hash.as_slice()])
            .await?
            .map(|row| OrgId(row.get(0))))
    }

    /// Redeems the invite whose token hashes to `token_hash` for `user`:
    /// adds them to the org with the invite's role (unless already a
    /// member) and marks the invite accepted, in one transaction.
    ///
    /// # Errors
    /// [`RedeemError::NotFound`], [`RedeemError::Revoked`],
    /// [`RedeemError::Used`] or [`RedeemError::Expired`] (checked in that
    /// order); [`RedeemError::Db`] when the database fails.
    #[cfg(feature = "test-util")]
    pub async fn redeem_invite(
        &self,
        token_hash: &[u8; 32],
        user: UserId,
    ) -> Result<Redeemed, RedeemError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let find = tx
            .prepare_cached(
                "SELECT id, org_id, role, revoked_at IS NOT NULL, accepted_at IS NOT NULL, \
                 expires_at <= now() FROM invites WHERE token_hash = $1 FOR UPDATE",
            )
            .await?;
        let row = tx
            .query_opt(&find, &[&token_hash.as_slice()])
            .await?
            .ok_or(RedeemError::NotFound)?;
        let (id, org, role): (Uuid, OrgId, Role) =
            (row.get(0), OrgId(row.get(1)), parse_role(row.get(2))?);
        if row.get::<_, bool>(3) {
            return Err(RedeemError::Revoked);
        }
        if row.get::<_, bool>(4) {
            return Err(RedeemError::Used);
        }
        if row.get::<_, bool>(5) {
            return Err(RedeemError::Expired);
        }
        let insert = tx
            .prepare_cached(
                "INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3) \
                 ON CONFLICT (org_id, user_id) DO NOTHING RETURNING role",
            )
            .await?;
        let inserted = tx
            .query_opt(&insert, &[&org.0, &user.0, &role.as_str()])
            .await?;
        let (role, joined) = match inserted {
            Some(_) => (role, true),
            None => {
                let existing = tx
                    .prepare_cached(
                        "SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2",
                    )
                    .await?;
                let row = tx.query_one(&existing, &[&org.0, &user.0]).await?;
                (parse_role(row.get(0))?, false)
            }
        };
        let accept = tx
            .prepare_cached(
                "UPDATE invites SET accepted_by = $2, accepted_at = now() WHERE id = $1",
            )
            .await?;
        tx.execute(&accept, &[&id, &user.0]).await?;
        tx.commit().await?;
        Ok(Redeemed { org, role, joined })
    }
}
