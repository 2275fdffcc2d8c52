//! The `audit_log` table: an append-only record of security-relevant
//! actions (docs/audit.md).
//!
//! # Invariants
//! - Append-only in the database: triggers refuse UPDATE, DELETE and
//!   TRUNCATE of `audit_log` (migration 0017), for every role.
//! - An entry is written in the transaction of the change it records
//!   wherever the change is one transaction: [`record`] takes that
//!   transaction. Organization changes get theirs from
//!   [`org_entries`], derived from the committed events inside the
//!   StorageActor's batch transaction. An entry therefore exists exactly
//!   when its change committed.
//! - The table never holds a secret: no password, token or key, only ids.

use deadpool_postgres::GenericClient;
use protocol::{Millis, OrgId, Origin, UserId};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

mod action;
mod org;
pub use action::AuditAction;
pub use org::org_entries;

use crate::db::{Db, DbError};
use crate::projection::Params;

/// Who acted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    User(UserId),
    ApiKey(Uuid),
    /// The server itself (a scheduled job, a board's report).
    System,
    /// Nobody known: a failed login names no one it could trust.
    Anonymous,
}

impl Actor {
    fn kind(self) -> &'static str {
        match self {
            Actor::User(_) => "user",
            Actor::ApiKey(_) => "api_key",
            Actor::System => "system",
            Actor::Anonymous => "anonymous",
        }
    }

    fn id(self) -> Option<Uuid> {
        match self {
            Actor::User(user) => Some(user.0),
            Actor::ApiKey(key) => Some(key),
            Actor::System | Actor::Anonymous => None,
        }
    }
}

/// The request an action came in: what the server knew about the client.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl From<&Origin> for Context {
    fn from(o: &Origin) -> Context {
        Context {
            ip: o.ip.clone(),
            user_agent: o.user_agent.clone(),
            request_id: o.request_id.clone(),
        }
    }
}

/// One entry to write with [`record`]. Built with [`AuditEntry::new`] and
/// the `org`, `target` and `details` setters.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEntry {
    pub action: AuditAction,
    /// The organization it concerns: its admins can read the entry.
    pub org: Option<OrgId>,
    pub actor: Actor,
    /// What it was done to: a kind (`user`, `session`, `api_key`, `invite`,
    /// `org`, `job`, `webhook_endpoint`, …) and an id.
    pub target: Option<(&'static str, String)>,
    /// Facts of this action (a role, a reason); never a secret.
    pub details: Value,
    pub context: Context,
}

impl AuditEntry {
    pub fn new(action: AuditAction, actor: Actor, context: Context) -> AuditEntry {
        AuditEntry {
            action,
            org: None,
            actor,
            target: None,
            details: Value::Object(Default::default()),
            context,
        }
    }

    /// The same entry, about organization `org`.
    #[must_use]
    pub fn org(mut self, org: OrgId) -> AuditEntry {
        self.org = Some(org);
        self
    }

    /// The same entry, done to `id` of kind `kind`.
    #[must_use]
    pub fn target(mut self, kind: &'static str, id: impl ToString) -> AuditEntry {
        self.target = Some((kind, id.to_string()));
        self
    }

    /// The same entry with `details` (a JSON object).
    #[must_use]
    pub fn details(mut self, details: Value) -> AuditEntry {
        self.details = details;
        self
    }

    /// The same entry as another action (a lockout that follows the
    /// failure it counted).
    #[must_use]
    pub fn action(mut self, action: AuditAction) -> AuditEntry {
        self.action = action;
        self
    }

    /// [`INSERT`]'s parameters.
    pub(crate) fn params(&self) -> Params<'static> {
        let (target_kind, target_id) = match &self.target {
            Some((kind, id)) => (Some(*kind), Some(id.clone())),
            None => (None, None),
        };
        vec![
            Box::new(self.action.as_str()),
            Box::new(self.org.map(|o| o.0)),
            Box::new(self.actor.kind()),
            Box::new(self.actor.id()),
            Box::new(target_kind),
            Box::new(target_id),
            Box::new(self.context.ip.clone()),
            Box::new(self.context.user_agent.clone()),
            Box::new(self.context.request_id.clone()),
            Box::new(self.details.clone()),
        ]
    }
}

pub(crate) const INSERT: &str = "INSERT INTO audit_log \
     (action, org_id, actor_kind, actor_id, target_kind, target_id, ip, user_agent, request_id, details) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// Writes `entry` with `client`: pass the transaction of the change the
/// entry records, so both commit or neither does.
///
/// # Errors
/// [`DbError::Unavailable`] when the database cannot be reached; the
/// caller's transaction must then be rolled back.
pub async fn record(client: &impl GenericClient, entry: &AuditEntry) -> Result<(), DbError> {
    let stmt = client.prepare_cached(INSERT).await?;
    let params = entry.params();
    let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params
        .iter()
        .map(|p| p.as_ref() as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect();
    client.execute(&stmt, &refs).await?;
    Ok(())
}

/// One stored entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditRow {
    pub id: i64,
    /// Unix ms.
    pub at: Millis,
    pub action: String,
    pub org_id: Option<Uuid>,
    /// `user`, `api_key`, `system` or `anonymous`.
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub details: Value,
}

/// Which entries to read, newest first.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    /// Only this organization's entries (an org admin's view).
    pub org: Option<OrgId>,
    /// An action name, or a prefix ending in `.` (`member.`).
    pub action: Option<String>,
    /// Only what this user or API key did.
    pub actor: Option<Uuid>,
    /// At or after (unix ms).
    pub since: Option<Millis>,
    /// Before (unix ms).
    pub until: Option<Millis>,
    /// Entries with an id below this (the previous page's last).
    pub before_id: Option<i64>,
    pub limit: u32,
}

const SELECT: &str =
    "SELECT id, (extract(epoch FROM at) * 1000)::bigint AS at_ms, action, org_id, \
       actor_kind, actor_id, target_kind, target_id, ip, user_agent, request_id, details \
     FROM audit_log \
     WHERE ($1::uuid IS NULL OR org_id = $1) \
       AND ($2::text IS NULL OR action = $2 \
            OR (right($2, 1) = '.' AND left(action, length($2)) = $2)) \
       AND ($3::uuid IS NULL OR actor_id = $3) \
       AND ($4::bigint IS NULL OR at >= to_timestamp($4::bigint / 1000.0)) \
       AND ($5::bigint IS NULL OR at < to_timestamp($5::bigint / 1000.0)) \
       AND ($6::bigint IS NULL OR id < $6) \
     ORDER BY id DESC LIMIT $7";

impl Db {
    /// Writes `entry` on its own, for an action that is not one
    /// transaction of this crate (documented per caller in docs/audit.md).
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn record_audit(&self, entry: &AuditEntry) -> Result<(), DbError> {
        let client = self.client().await?;
        record(&client, entry).await
    }

    /// Entries matching `query`, newest first, at most `query.limit + 1`
    /// (one more than a page, so the caller knows whether another follows).
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<AuditRow>, DbError> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(SELECT).await?;
        let rows = client
            .query(
                &stmt,
                &[
                    &query.org.map(|o| o.0),
                    &query.action,
                    &query.actor,
                    &query.since.map(|m| m.0),
                    &query.until.map(|m| m.0),
                    &query.before_id,
                    &(i64::from(query.limit) + 1),
                ],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| AuditRow {
                id: r.get("id"),
                at: Millis(r.get("at_ms")),
                action: r.get("action"),
                org_id: r.get("org_id"),
                actor_kind: r.get("actor_kind"),
                actor_id: r.get("actor_id"),
                target_kind: r.get("target_kind"),
                target_id: r.get("target_id"),
                ip: r.get("ip"),
                user_agent: r.get("user_agent"),
                request_id: r.get("request_id"),
                details: r.get("details"),
            })
            .collect())
    }
}
