//! Appending to an organization's log inside the caller's transaction (a
//! StorageActor batch): the events, the command's outcome, and the
//! events' projections onto `orgs`, `memberships` and `invites`, as
//! pipelined statements, so an organization's append costs about one round
//! trip of the batch it shares.

use deadpool_postgres::Transaction;
use protocol::codec::encode_org_event;
use protocol::{Millis, OrgEvent, OrgId, OrgRecorded, OrgRejection};

use super::OrgCommandKey;
use crate::db::to_sql_i64;
use crate::projection::{execute, run_in_order, Params};

const INSERT_EVENT: &str = "INSERT INTO org_events (org_id, seq, at, actor, command_id, payload) \
     VALUES ($1, $2, $3, $4, $5, $6)";

/// No `ON CONFLICT`: a command id that already has an outcome (accepted,
/// or refused) violates `org_command_outcomes_pkey` and fails the append,
/// so a retry that slipped past the actor's lookup is answered as a
/// duplicate instead of being applied twice.
const INSERT_ACCEPTED: &str = "INSERT INTO org_command_outcomes \
     (org_id, actor, command_id, first_seq, last_seq, at) VALUES ($1, $2, $3, $4, $5, $6)";

const INSERT_ORG: &str = "INSERT INTO orgs (id, name, key) VALUES ($1, $2, $3)";
const RENAME_ORG: &str = "UPDATE orgs SET name = $2 WHERE id = $1";
const DELETE_ORG: &str = "UPDATE orgs SET deleted_at = to_timestamp($2) WHERE id = $1";
const UPSERT_MEMBER: &str = "INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3) \
     ON CONFLICT (org_id, user_id) DO UPDATE SET role = EXCLUDED.role";
const DELETE_MEMBER: &str = "DELETE FROM memberships WHERE org_id = $1 AND user_id = $2";
/// The token hash travels as the log's hex text; `decode` refuses one that
/// is not hex (SQLSTATE 22023), a permanent fault like any bad value.
const INSERT_INVITE: &str = "INSERT INTO invites \
     (id, org_id, role, token_hash, created_by, created_at, expires_at) \
     VALUES ($1, $2, $3, decode($4, 'hex'), $5, to_timestamp($6), to_timestamp($7))";
const ACCEPT_INVITE: &str =
    "UPDATE invites SET accepted_by = $2, accepted_at = to_timestamp($3) WHERE id = $1";
const REVOKE_INVITE: &str = "UPDATE invites SET revoked_at = to_timestamp($2) WHERE id = $1";

/// Whether `e` says one of the appended seqs is taken: another writer
/// appended to the organization's log first.
pub(crate) fn is_seq_conflict(e: &tokio_postgres::Error) -> bool {
    violates(e, "org_events_pkey")
}

/// Whether `e` says the command id already has an outcome.
pub(crate) fn is_duplicate(e: &tokio_postgres::Error) -> bool {
    violates(e, "org_command_outcomes_pkey")
}

/// The rule a refused org append broke that its log could not know: a
/// member added with a user id no account has, or a key another
/// organization took first.
pub(crate) fn refused_by_rule(
    e: &tokio_postgres::Error,
    records: &[OrgRecorded],
) -> Option<OrgRejection> {
    let db = e.as_db_error()?;
    let code = db.code();
    if *code == tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION
        && db.constraint() == Some("memberships_user_id_fkey")
    {
        return records.iter().find_map(|rec| match rec.event {
            OrgEvent::MemberAdded { user, .. } => Some(OrgRejection::UnknownUser { user }),
            _ => None,
        });
    }
    if violates(e, "orgs_key_key") {
        return records.iter().find_map(|rec| match &rec.event {
            OrgEvent::OrgCreated { key, .. } => Some(OrgRejection::KeyTaken { key: key.clone() }),
            _ => None,
        });
    }
    None
}

fn violates(e: &tokio_postgres::Error, constraint: &str) -> bool {
    e.as_db_error().is_some_and(|db| {
        *db.code() == tokio_postgres::error::SqlState::UNIQUE_VIOLATION
            && db.constraint() == Some(constraint)
    })
}

/// Inserts `records` into `org`'s log, records `command`'s outcome (the
/// records' seqs), projects the records and writes the audit entries
/// they call for (naming `origin`), inside `tx`.
///
/// # Errors
/// The first failing statement's error: a taken seq violates
/// `org_events_pkey`, a used command id `org_command_outcomes_pkey`, a
/// taken org key `orgs_key_key`; `tx` must then be rolled back (or rolled
/// back to its savepoint).
pub(crate) async fn write(
    tx: &Transaction<'_>,
    org: OrgId,
    records: &[OrgRecorded],
    command: Option<&OrgCommandKey>,
    origin: Option<&protocol::Origin>,
) -> Result<(), tokio_postgres::Error> {
    let (Some(first), Some(last)) = (records.first(), records.last()) else {
        return Ok(());
    };
    let mut planned: Vec<(&'static str, Params<'static>)> = records
        .iter()
        .map(|rec| (INSERT_EVENT, event_row(org, rec)))
        .collect();
    if let Some(key) = command {
        planned.push((
            INSERT_ACCEPTED,
            vec![
                Box::new(org.0),
                Box::new(key.actor.0),
                Box::new(key.command_id.clone()),
                Box::new(to_sql_i64(first.seq)),
                Box::new(to_sql_i64(last.seq)),
                Box::new(last.at.0),
            ],
        ));
    }
    planned.extend(records.iter().filter_map(|rec| projection(org, rec)));
    planned.push(crate::webhooks::org_statement(org, first.seq));
    // The audit entries of membership, invite and organization changes,
    // in this transaction: committed with the change or not at all.
    planned.extend(
        crate::audit::org_entries(org, records, origin)
            .into_iter()
            .map(|entry| (crate::audit::INSERT, entry.params())),
    );
    run_planned(tx, planned).await
}

/// Inserts `records` into `org`'s log without projecting them: for a log
/// seeded from read models that already hold what it says.
pub(super) async fn insert_events(
    tx: &Transaction<'_>,
    org: OrgId,
    records: &[OrgRecorded],
) -> Result<(), tokio_postgres::Error> {
    let planned = records
        .iter()
        .map(|rec| (INSERT_EVENT, event_row(org, rec)))
        .collect();
    run_planned(tx, planned).await
}

/// Prepares every statement first (cached per connection), then sends them
/// all, pipelined, in order.
async fn run_planned(
    tx: &Transaction<'_>,
    planned: Vec<(&'static str, Params<'static>)>,
) -> Result<(), tokio_postgres::Error> {
    let mut prepared = Vec::with_capacity(planned.len());
    for (sql, params) in planned {
        prepared.push((tx.prepare_cached(sql).await?, params));
    }
    run_in_order(
        prepared
            .into_iter()
            .map(|(stmt, params)| execute(tx, stmt, params))
            .collect(),
    )
    .await
}

fn event_row(org: OrgId, rec: &OrgRecorded) -> Params<'static> {
    vec![
        Box::new(org.0),
        Box::new(to_sql_i64(rec.seq)),
        Box::new(rec.at.0),
        Box::new(rec.by.0),
        Box::new(rec.command_id.clone()),
        Box::new(encode_org_event(&rec.event)),
    ]
}

/// `to_timestamp` takes seconds.
fn seconds(at: Millis) -> f64 {
    at.0 as f64 / 1000.0
}

/// The statement that keeps the read models in step with one event, if it
/// touches them.
fn projection(org: OrgId, rec: &OrgRecorded) -> Option<(&'static str, Params<'static>)> {
    let at = seconds(rec.at);
    let planned: (&'static str, Params<'static>) = match &rec.event {
        OrgEvent::OrgCreated { name, key, .. } => (
            INSERT_ORG,
            vec![
                Box::new(org.0),
                Box::new(name.clone()),
                Box::new(key.clone()),
            ],
        ),
        OrgEvent::OrgRenamed { name } => {
            (RENAME_ORG, vec![Box::new(org.0), Box::new(name.clone())])
        }
        OrgEvent::OrgDeleted => (DELETE_ORG, vec![Box::new(org.0), Box::new(at)]),
        OrgEvent::MemberAdded { user, role } | OrgEvent::MemberRoleChanged { user, role } => (
            UPSERT_MEMBER,
            vec![Box::new(org.0), Box::new(user.0), Box::new(role.as_str())],
        ),
        OrgEvent::MemberRemoved { user } => {
            (DELETE_MEMBER, vec![Box::new(org.0), Box::new(user.0)])
        }
        OrgEvent::InviteCreated {
            invite,
            role,
            token_hash,
            expires_at,
        } => (
            INSERT_INVITE,
            vec![
                Box::new(invite.0),
                Box::new(org.0),
                Box::new(role.as_str()),
                Box::new(token_hash.clone()),
                Box::new(rec.by.0),
                Box::new(at),
                Box::new(seconds(*expires_at)),
            ],
        ),
        OrgEvent::InviteAccepted { invite, user, .. } => (
            ACCEPT_INVITE,
            vec![Box::new(invite.0), Box::new(user.0), Box::new(at)],
        ),
        OrgEvent::InviteRevoked { invite } => {
            (REVOKE_INVITE, vec![Box::new(invite.0), Box::new(at)])
        }
        // The directory's events mirror the boards' own logs, whose
        // projection is the `boards` table.
        OrgEvent::BoardCreated { .. }
        | OrgEvent::BoardArchived { .. }
        | OrgEvent::BoardRestored { .. } => return None,
    };
    Some(planned)
}
