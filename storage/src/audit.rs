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
use protocol::{Millis, OrgEvent, OrgId, OrgRecorded, Origin, Role, UserId};
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::db::{Db, DbError};
use crate::projection::Params;

/// What was done. Stored as its [`AuditAction::as_str`]; the names are
/// part of the API (`GET …/audit?action=`), so a variant is never renamed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditAction {
    LoginSucceeded,
    /// Wrong password or unknown email (or a disabled account).
    LoginFailed,
    /// An email or a client IP reached its failure limit and is locked.
    LoginLocked,
    PasswordReset,
    PasswordChanged,
    AccountDeleted,
    /// One login session revoked from the session list.
    SessionRevoked,
    /// The caller's own session ended by logout.
    Logout,
    /// A refresh token was presented again after its grace window: the
    /// session was revoked as stolen.
    RefreshTokenReused,
    ApiKeyCreated,
    ApiKeyRevoked,
    OrgCreated,
    OrgRenamed,
    OrgOwnershipTransferred,
    OrgDeleted,
    MemberAdded,
    MemberRoleChanged,
    MemberRemoved,
    /// A member removed themself (`leave`, or account deletion).
    MemberLeft,
    InviteCreated,
    InviteAccepted,
    InviteRevoked,
    WebhookEndpointCreated,
    WebhookEndpointUpdated,
    WebhookEndpointDeleted,
    WebhookSecretRotated,
    AdminUserDisabled,
    AdminUserEnabled,
    /// An operator ended every login session of a user.
    AdminUserLoggedOut,
    AdminJobRetried,
    AdminJobDiscarded,
    AdminDeadJobsRetried,
    AdminDeadJobsDiscarded,
}

impl AuditAction {
    /// Every action, in the order of the enum.
    pub const ALL: &'static [AuditAction] = &[
        AuditAction::LoginSucceeded,
        AuditAction::LoginFailed,
        AuditAction::LoginLocked,
        AuditAction::PasswordReset,
        AuditAction::PasswordChanged,
        AuditAction::AccountDeleted,
        AuditAction::SessionRevoked,
        AuditAction::Logout,
        AuditAction::RefreshTokenReused,
        AuditAction::ApiKeyCreated,
        AuditAction::ApiKeyRevoked,
        AuditAction::OrgCreated,
        AuditAction::OrgRenamed,
        AuditAction::OrgOwnershipTransferred,
        AuditAction::OrgDeleted,
        AuditAction::MemberAdded,
        AuditAction::MemberRoleChanged,
        AuditAction::MemberRemoved,
        AuditAction::MemberLeft,
        AuditAction::InviteCreated,
        AuditAction::InviteAccepted,
        AuditAction::InviteRevoked,
        AuditAction::WebhookEndpointCreated,
        AuditAction::WebhookEndpointUpdated,
        AuditAction::WebhookEndpointDeleted,
        AuditAction::WebhookSecretRotated,
        AuditAction::AdminUserDisabled,
        AuditAction::AdminUserEnabled,
        AuditAction::AdminUserLoggedOut,
        AuditAction::AdminJobRetried,
        AuditAction::AdminJobDiscarded,
        AuditAction::AdminDeadJobsRetried,
        AuditAction::AdminDeadJobsDiscarded,
    ];

    /// The stored name, `area.what_happened`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AuditAction::LoginSucceeded => "login.succeeded",
            AuditAction::LoginFailed => "login.failed",
            AuditAction::LoginLocked => "login.locked",
            AuditAction::PasswordReset => "password.reset",
            AuditAction::PasswordChanged => "password.changed",
            AuditAction::AccountDeleted => "account.deleted",
            AuditAction::SessionRevoked => "session.revoked",
            AuditAction::Logout => "session.logout",
            AuditAction::RefreshTokenReused => "session.refresh_token_reused",
            AuditAction::ApiKeyCreated => "api_key.created",
            AuditAction::ApiKeyRevoked => "api_key.revoked",
            AuditAction::OrgCreated => "org.created",
            AuditAction::OrgRenamed => "org.renamed",
            AuditAction::OrgOwnershipTransferred => "org.ownership_transferred",
            AuditAction::OrgDeleted => "org.deleted",
            AuditAction::MemberAdded => "member.added",
            AuditAction::MemberRoleChanged => "member.role_changed",
            AuditAction::MemberRemoved => "member.removed",
            AuditAction::MemberLeft => "member.left",
            AuditAction::InviteCreated => "invite.created",
            AuditAction::InviteAccepted => "invite.accepted",
            AuditAction::InviteRevoked => "invite.revoked",
            AuditAction::WebhookEndpointCreated => "webhook.endpoint_created",
            AuditAction::WebhookEndpointUpdated => "webhook.endpoint_updated",
            AuditAction::WebhookEndpointDeleted => "webhook.endpoint_deleted",
            AuditAction::WebhookSecretRotated => "webhook.secret_rotated",
            AuditAction::AdminUserDisabled => "admin.user_disabled",
            AuditAction::AdminUserEnabled => "admin.user_enabled",
            AuditAction::AdminUserLoggedOut => "admin.user_logged_out",
            AuditAction::AdminJobRetried => "admin.job_retried",
            AuditAction::AdminJobDiscarded => "admin.job_discarded",
            AuditAction::AdminDeadJobsRetried => "admin.dead_jobs_retried",
            AuditAction::AdminDeadJobsDiscarded => "admin.dead_jobs_discarded",
        }
    }

    /// The action stored as `name`.
    pub fn from_name(name: &str) -> Option<AuditAction> {
        Self::ALL.iter().copied().find(|a| a.as_str() == name)
    }
}

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

/// The audit entries an organization's committed `records` call for,
/// written by the org append in its transaction (`org_log::write`):
/// membership, invite and organization changes. A transfer of ownership
/// (the new owner promoted, the old one made admin by one command) is one
/// `org.ownership_transferred` entry; a removal of oneself is
/// `member.left`. Board directory events are not audited (boards have
/// their own event log).
pub fn org_entries(
    org: OrgId,
    records: &[OrgRecorded],
    origin: Option<&Origin>,
) -> Vec<AuditEntry> {
    let context = origin.map(Context::from).unwrap_or_default();
    let api_key = origin.is_some_and(|o| o.api_key);
    let mut out = Vec::new();
    let mut i = 0;
    while i < records.len() {
        let rec = &records[i];
        let actor = if api_key {
            Actor::ApiKey(rec.by.0)
        } else {
            Actor::User(rec.by)
        };
        let entry = |action| AuditEntry::new(action, actor, context.clone()).org(org);
        // Ownership transfer: promoted to owner, then the author demoted.
        if let (
            OrgEvent::MemberRoleChanged {
                user: to,
                role: Role::Owner,
            },
            Some(OrgEvent::MemberRoleChanged {
                user: from,
                role: Role::Admin,
            }),
        ) = (&rec.event, records.get(i + 1).map(|r| &r.event))
        {
            if *from == rec.by {
                out.push(
                    entry(AuditAction::OrgOwnershipTransferred)
                        .target("user", to.0)
                        .details(json!({ "from": from.0 })),
                );
                i += 2;
                continue;
            }
        }
        let made = match &rec.event {
            OrgEvent::OrgCreated { name, key, owner } => Some(
                entry(AuditAction::OrgCreated)
                    .target("org", org.0)
                    .details(json!({ "name": name, "key": key, "owner": owner.0 })),
            ),
            OrgEvent::OrgRenamed { name } => Some(
                entry(AuditAction::OrgRenamed)
                    .target("org", org.0)
                    .details(json!({ "name": name })),
            ),
            OrgEvent::OrgDeleted => Some(entry(AuditAction::OrgDeleted).target("org", org.0)),
            OrgEvent::MemberAdded { user, role } => Some(
                entry(AuditAction::MemberAdded)
                    .target("user", user.0)
                    .details(json!({ "role": role.as_str() })),
            ),
            OrgEvent::MemberRoleChanged { user, role } => Some(
                entry(AuditAction::MemberRoleChanged)
                    .target("user", user.0)
                    .details(json!({ "role": role.as_str() })),
            ),
            OrgEvent::MemberRemoved { user } if *user == rec.by && !api_key => {
                Some(entry(AuditAction::MemberLeft).target("user", user.0))
            }
            OrgEvent::MemberRemoved { user } => {
                Some(entry(AuditAction::MemberRemoved).target("user", user.0))
            }
            OrgEvent::InviteCreated {
                invite,
                role,
                expires_at,
                ..
            } => Some(
                entry(AuditAction::InviteCreated)
                    .target("invite", invite.0)
                    .details(json!({ "role": role.as_str(), "expires_at": expires_at.0 })),
            ),
            OrgEvent::InviteAccepted { invite, user, .. } => Some(
                entry(AuditAction::InviteAccepted)
                    .target("invite", invite.0)
                    .details(json!({ "user": user.0 })),
            ),
            OrgEvent::InviteRevoked { invite } => {
                Some(entry(AuditAction::InviteRevoked).target("invite", invite.0))
            }
            OrgEvent::BoardCreated { .. }
            | OrgEvent::BoardArchived { .. }
            | OrgEvent::BoardRestored { .. } => None,
        };
        out.extend(made);
        i += 1;
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for a in AuditAction::ALL {
            assert!(seen.insert(a.as_str()), "{a:?} repeats a name");
            assert_eq!(AuditAction::from_name(a.as_str()), Some(*a));
        }
        assert_eq!(AuditAction::from_name("login"), None);
    }

    #[test]
    fn a_transfer_is_one_entry_and_leaving_is_not_a_removal() {
        let org = OrgId(Uuid::new_v4());
        let (old, new) = (UserId(Uuid::new_v4()), UserId(Uuid::new_v4()));
        let rec = |seq, event| OrgRecorded {
            seq,
            at: Millis(1),
            by: old,
            command_id: None,
            event,
        };
        let records = [
            rec(
                1,
                OrgEvent::MemberRoleChanged {
                    user: new,
                    role: Role::Owner,
                },
            ),
            rec(
                2,
                OrgEvent::MemberRoleChanged {
                    user: old,
                    role: Role::Admin,
                },
            ),
            rec(3, OrgEvent::MemberRemoved { user: old }),
        ];
        let origin = Origin {
            ip: Some("10.0.0.1".into()),
            ..Origin::default()
        };
        let entries = org_entries(org, &records, Some(&origin));
        let actions: Vec<_> = entries.iter().map(|e| e.action).collect();
        assert_eq!(
            actions,
            [
                AuditAction::OrgOwnershipTransferred,
                AuditAction::MemberLeft
            ]
        );
        assert_eq!(entries[0].target, Some(("user", new.0.to_string())));
        assert_eq!(entries[0].context.ip.as_deref(), Some("10.0.0.1"));
        assert!(entries.iter().all(|e| e.org == Some(org)));
    }
}
