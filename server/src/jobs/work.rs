//! What each kind of job does.

use protocol::jobs::JobKind;
use protocol::{BoardId, ItemId};
use storage::jobs::ClaimedJob;

use crate::mail::{Delivered, Mail};

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
    /// Worth another attempt after `after` exactly (the job's own
    /// schedule, e.g. a webhook's).
    #[error("{error}")]
    RetryIn {
        error: String,
        after: std::time::Duration,
    },
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
        JobKind::Mail => return send(state, job).await,
        JobKind::Notify => return notify(state, job).await,
        JobKind::Webhook => return crate::webhooks::deliver::stream(state, job).await,
        JobKind::WebhookRedeliver => return crate::webhooks::deliver::redeliver(state, job).await,
        JobKind::PruneWebhookDeliveries => {
            db.prune_webhook_deliveries(state.settings.webhooks.log_retention)
                .await?
        }
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

/// Send one message. Its Message-ID is the job's, so a retry that reaches
/// a recipient twice (sent, then the node died before recording it) is
/// recognisably the same message.
async fn send(state: &AppState, job: &ClaimedJob) -> Result<(), JobError> {
    let mail: Mail = serde_json::from_value(job.payload.clone())
        .map_err(|e| JobError::Permanent(format!("not a message: {e}")))?;
    match state.mailer.send(&mail, &format!("job-{}", job.id)).await {
        Ok(Delivered::Smtp) => {
            tracing::info!(job_id = job.id, template = mail.template(), "mail sent");
            Ok(())
        }
        Ok(Delivered::File(_)) => Ok(()),
        Err(e) if e.is_transient() => Err(JobError::Retry(e.to_string())),
        Err(e) => Err(JobError::Permanent(e.to_string())),
    }
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
                Notice::Assigned { board, item, .. } => Mail::Assigned {
                    to: to.email,
                    name: to.name,
                    by: card.by.clone(),
                    item_key: card.key.clone(),
                    item_title: card.title.clone(),
                    board_id: BoardId(*board),
                    item_id: ItemId(*item),
                },
                Notice::Mentioned {
                    board,
                    item,
                    excerpt,
                    ..
                } => Mail::Mentioned {
                    to: to.email,
                    name: to.name,
                    by: card.by.clone(),
                    item_key: card.key.clone(),
                    item_title: card.title.clone(),
                    excerpt: excerpt.clone(),
                    board_id: BoardId(*board),
                    item_id: ItemId(*item),
                },
            };
            super::mail_job(&message).unique(format!("notify:{}:{}", job.id, to.user))
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
