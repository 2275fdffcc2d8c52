//! What each kind of job does.

use protocol::jobs::JobKind;
use storage::jobs::ClaimedJob;

use crate::state::AppState;

/// How a run failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt (an outage, a timeout, a 4xx from a mail
    /// server).
    #[error("{0}")]
    Retry(String),
    /// Another attempt would fail the same way (an undecodable payload, a
    /// recipient the mail server refuses): dead at once.
    #[error("{0}")]
    Permanent(String),
}

impl From<storage::DbError> for JobError {
    fn from(e: storage::DbError) -> Self {
        match e {
            storage::DbError::Unavailable(_) => JobError::Retry(e.to_string()),
            _ => JobError::Permanent(e.to_string()),
        }
    }
}

/// Run `job` once.
pub async fn run(state: &AppState, job: &ClaimedJob) -> Result<(), JobError> {
    let db = &state.db;
    let pruned = match job.kind {
        JobKind::Mail => return Err(JobError::Permanent("not yet implemented".into())),
        JobKind::Notify => return notify(state, job).await,
        JobKind::PruneSessions => {
            db.prune_login_sessions(state.settings.jwt.access_ttl + crate::auth::LEEWAY)
                .await?
        }
        JobKind::PruneLoginFailures => {
            db.prune_login_failures(crate::auth::LOGIN_FAILURE_WINDOW)
                .await?
        }
        JobKind::PruneTokens => db.prune_invites().await? + db.prune_account_tokens().await?,
        JobKind::PruneOutcomes => db.prune_command_outcomes().await?,
        JobKind::PruneSnapshots => db.prune_snapshots().await?,
        JobKind::PurgeDeletedOrgs => {
            purge_deleted_orgs(db, state.settings.deleted_org_retention).await?
        }
    };
    if pruned > 0 {
        tracing::info!(kind = job.kind.name(), deleted = pruned, "retention step");
    }
    Ok(())
}

/// Turn a notice into one mail job per recipient (each retried on its
/// own), queued together.
async fn notify(state: &AppState, job: &ClaimedJob) -> Result<(), JobError> {
    use storage::notify::Notice;
    let notice: Notice = serde_json::from_value(job.payload.clone())
        .map_err(|e| JobError::Permanent(format!("not a notice: {e}")))?;
    let Some((card, recipients)) = state.db.notice_recipients(&notice).await? else {
        return Ok(());
    };
    let mails: Vec<storage::jobs::NewJob> = recipients
        .into_iter()
        .map(|to| {
            let message = match &notice {
                Notice::Assigned { board, item, .. } => serde_json::json!({
                    "template": "assigned", "to": to.email, "name": to.name, "by": card.by,
                    "item_key": card.key, "item_title": card.title,
                    "board_id": board, "item_id": item,
                }),
                Notice::Mentioned {
                    board,
                    item,
                    excerpt,
                    ..
                } => serde_json::json!({
                    "template": "mentioned", "to": to.email, "name": to.name, "by": card.by,
                    "item_key": card.key, "item_title": card.title, "excerpt": excerpt,
                    "board_id": board, "item_id": item,
                }),
            };
            storage::jobs::NewJob::new(JobKind::Mail, message)
                .unique(format!("notify:{}:{}", job.id, to.user))
        })
        .collect();
    state.db.enqueue_all(&mails).await?;
    Ok(())
}

/// Remove the data of organizations deleted longer than `grace` ago; how
/// many organizations.
///
/// # Errors
/// [`storage::DbError::Unavailable`] when the database cannot be reached.
pub async fn purge_deleted_orgs(
    db: &storage::Db,
    grace: std::time::Duration,
) -> Result<u64, storage::DbError> {
    let grace = i64::try_from(grace.as_millis()).unwrap_or(i64::MAX);
    let now = i64::try_from(crate::auth::unix_now_ms()).unwrap_or(i64::MAX);
    let cutoff = protocol::Millis(now.saturating_sub(grace));
    let orgs = db.purge_deleted_orgs(cutoff).await?;
    for org in &orgs {
        tracing::info!(org_id = %org, "removed a deleted organization's data");
    }
    Ok(orgs.len() as u64)
}
