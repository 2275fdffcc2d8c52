//! The retention step for deleted organizations. Deleting an organization
//! (`org_deleted` in its log) sets `orgs.deleted_at` and makes its boards
//! and items unreachable at once; the rows stay for a grace period, during
//! which an operator can still recover them by hand (the log is intact),
//! and are then removed here, one organization per transaction.

use std::time::Duration;

use protocol::{Millis, OrgId};

use crate::db::{Db, DbError};

/// Organizations removed per pass at most, so one pass stays short; the
/// next pass takes the rest.
pub const PURGE_BATCH: i64 = 100;

/// What one organization's removal deletes, in order: everything keyed by
/// its boards, the boards, its log, and the organization (whose
/// memberships, invitations and API keys go with it, `ON DELETE CASCADE`).
const PURGE_ORG: [&str; 10] = [
    "DELETE FROM events WHERE board_id IN (SELECT id FROM boards WHERE org_id = $1)",
    "DELETE FROM snapshots WHERE board_id IN (SELECT id FROM boards WHERE org_id = $1)",
    "DELETE FROM command_outcomes WHERE board_id IN (SELECT id FROM boards WHERE org_id = $1)",
    "DELETE FROM comments WHERE board_id IN (SELECT id FROM boards WHERE org_id = $1)",
    "DELETE FROM items WHERE org_id = $1",
    "DELETE FROM board_columns WHERE board_id IN (SELECT id FROM boards WHERE org_id = $1)",
    "DELETE FROM boards WHERE org_id = $1",
    "DELETE FROM org_command_outcomes WHERE org_id = $1",
    "DELETE FROM org_events WHERE org_id = $1",
    "DELETE FROM orgs WHERE id = $1",
];

impl Db {
    /// Removes every row of the organizations deleted before `cutoff`
    /// (at most [`PURGE_BATCH`] of them); returns which were removed.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached; what
    /// was removed before an error stays removed.
    pub async fn purge_deleted_orgs(&self, cutoff: Millis) -> Result<Vec<OrgId>, DbError> {
        let mut client = self.client().await?;
        let due: Vec<OrgId> = client
            .query(
                "SELECT id FROM orgs WHERE deleted_at < to_timestamp($1::bigint / 1000.0) \
                 ORDER BY deleted_at LIMIT $2",
                &[&cutoff.0, &PURGE_BATCH],
            )
            .await?
            .iter()
            .map(|row| OrgId(row.get(0)))
            .collect();
        for org in &due {
            let tx = client.transaction().await?;
            for statement in PURGE_ORG {
                tx.execute(statement, &[&org.0]).await?;
            }
            tx.commit().await?;
        }
        Ok(due)
    }
}

/// How long used, revoked or expired invitations stay listed (as
/// `accepted`, `revoked`, `expired`) before the retention step removes
/// them.
pub const INVITE_HISTORY: Duration = Duration::from_secs(30 * 24 * 3600);

impl Db {
    /// Delete login sessions that expired, or were revoked, longer than
    /// `keep` ago (their refresh tokens go with them, `ON DELETE
    /// CASCADE`). `keep` must outlast an access token, since a restarted
    /// node reloads recent revocations from these rows. Returns how many.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn prune_login_sessions(&self, keep: Duration) -> Result<u64, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "DELETE FROM login_sessions \
                 WHERE expires_at < now() - make_interval(secs => $1::float8) \
                    OR revoked_at < now() - make_interval(secs => $1::float8)",
            )
            .await?;
        Ok(client.execute(&stmt, &[&keep.as_secs_f64()]).await?)
    }

    /// Delete failed-login records whose counting `window` is over and
    /// whose lock (if any) was served. Returns how many.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn prune_login_failures(&self, window: Duration) -> Result<u64, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "DELETE FROM login_failures \
                 WHERE window_started_at < now() - make_interval(secs => $1::float8) \
                   AND (locked_until IS NULL OR locked_until < now())",
            )
            .await?;
        Ok(client.execute(&stmt, &[&window.as_secs_f64()]).await?)
    }

    /// Delete invitations used, revoked or expired more than
    /// [`INVITE_HISTORY`] ago. Returns how many.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn prune_invites(&self) -> Result<u64, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "DELETE FROM invites WHERE \
                 coalesce(accepted_at, revoked_at, expires_at) \
                   < now() - make_interval(secs => $1::float8)",
            )
            .await?;
        Ok(client
            .execute(&stmt, &[&INVITE_HISTORY.as_secs_f64()])
            .await?)
    }

    /// Delete snapshots nothing can load any more: those of boards that no
    /// longer exist. (Each board keeps one snapshot, replaced in place, so
    /// a newer snapshot never leaves an older one behind.) Returns how
    /// many.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn prune_snapshots(&self) -> Result<u64, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "DELETE FROM snapshots s WHERE NOT EXISTS \
                 (SELECT 1 FROM boards b WHERE b.id = s.board_id)",
            )
            .await?;
        Ok(client.execute(&stmt, &[]).await?)
    }
}
