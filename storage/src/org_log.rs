//! An organization's log (`org_events`) and its read models.
//!
//! Appending (see `write`, run by the StorageActor in the batch
//! transaction it shares with boards' appends) writes the events and
//! projects them onto `orgs`, `memberships` and `invites` in one
//! transaction, so the read models never disagree with the log; the
//! `(org_id, seq)` primary key refuses a second writer, the outcomes' key
//! a second use of a command id. Organizations created before the log
//! existed (schema version 12) get it seeded from their read models on
//! first load.

use protocol::codec::decode_org_event;
use protocol::{
    BoardId, InviteId, Millis, Org, OrgEvent, OrgId, OrgOutcome, OrgRecorded, OrgRejection, Role,
    UserId,
};
use uuid::Uuid;

use crate::db::{from_sql_i64, to_sql_i64};
use crate::orgs::parse_role;
use crate::{Db, DbError};

mod write;
pub(crate) use write::{is_duplicate, is_seq_conflict, refused_by_rule, write};

const SELECT_EVENTS: &str = "SELECT seq, at, actor, command_id, payload FROM org_events \
     WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";

/// Who sent an organization command with an id, for idempotency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgCommandKey {
    /// The author (a user, or an API key's creator).
    pub actor: UserId,
    /// The client's command id.
    pub command_id: String,
}

fn record_of(row: &tokio_postgres::Row) -> Result<OrgRecorded, DbError> {
    let payload: Vec<u8> = row.get("payload");
    let seq = from_sql_i64(row.get("seq"));
    let event = decode_org_event(&payload).map_err(|e| {
        DbError::Other(format!("org event {seq} cannot be decoded: {}", e.detail()))
    })?;
    Ok(OrgRecorded {
        seq,
        at: Millis(row.get("at")),
        by: UserId(row.get("actor")),
        command_id: row.get("command_id"),
        event,
    })
}

impl Db {
    /// The events of `org` after `after`, at most `limit`, in order.
    ///
    /// # Errors
    /// [`DbError::Unavailable`]; [`DbError::Other`] for an event that does
    /// not decode.
    pub async fn org_events(
        &self,
        org: OrgId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<OrgRecorded>, DbError> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(SELECT_EVENTS).await?;
        let rows = client
            .query(&stmt, &[&org.0, &to_sql_i64(after), &i64::from(limit)])
            .await?;
        rows.iter().map(record_of).collect()
    }

    /// The organization folded from its log, seeding the log from the
    /// read models first when the organization predates it; `None` when
    /// there is no such organization.
    ///
    /// # Errors
    /// As [`Db::org_events`].
    pub async fn load_org(&self, org: OrgId) -> Result<Option<Org>, DbError> {
        let mut records = self.org_events(org, 0, u32::MAX).await?;
        if records.is_empty() {
            if !self.seed_org_log(org).await? {
                return Ok(None);
            }
            records = self.org_events(org, 0, u32::MAX).await?;
        }
        let mut state = Org::new(org);
        for rec in &records {
            state.apply_recorded(rec);
        }
        Ok(Some(state))
    }

    /// Records that a command with an id was refused (kept as JSON, so a
    /// retry gets the same answer).
    ///
    /// # Errors
    /// [`DbError::Unavailable`] and [`DbError::Other`].
    pub async fn record_org_rejection(
        &self,
        org: OrgId,
        key: &OrgCommandKey,
        rejection: &OrgRejection,
        at: Millis,
    ) -> Result<(), DbError> {
        let json = serde_json::to_value(rejection)
            .map_err(|e| DbError::Other(format!("an org rejection does not encode: {e}")))?;
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "INSERT INTO org_command_outcomes (org_id, actor, command_id, rejection, at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .await?;
        client
            .execute(
                &stmt,
                &[&org.0, &key.actor.0, &key.command_id, &json, &at.0],
            )
            .await?;
        Ok(())
    }

    /// The outcome recorded for a command id, if any.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] and [`DbError::Other`].
    pub async fn org_outcome(
        &self,
        org: OrgId,
        key: &OrgCommandKey,
    ) -> Result<Option<OrgOutcome>, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("SELECT first_seq, last_seq, rejection FROM org_command_outcomes WHERE org_id = $1 AND actor = $2 AND command_id = $3")
            .await?;
        let Some(row) = client
            .query_opt(&stmt, &[&org.0, &key.actor.0, &key.command_id])
            .await?
        else {
            return Ok(None);
        };
        let first: Option<i64> = row.get("first_seq");
        let last: Option<i64> = row.get("last_seq");
        Ok(Some(
            match (
                first,
                last,
                row.get::<_, Option<serde_json::Value>>("rejection"),
            ) {
                (Some(first), Some(last), _) => OrgOutcome::Accepted {
                    first_seq: from_sql_i64(first),
                    last_seq: from_sql_i64(last),
                },
                (_, _, Some(json)) => {
                    OrgOutcome::Rejected(serde_json::from_value(json).map_err(|e| {
                        DbError::Other(format!("a stored org rejection does not decode: {e}"))
                    })?)
                }
                _ => {
                    return Err(DbError::Other(
                        "an org command outcome with neither events nor a rejection".into(),
                    ))
                }
            },
        ))
    }

    /// Writes the log of an organization that has read models but no
    /// events yet (created before schema version 12): its creation, its
    /// members, invitations and boards as they are now. Returns whether
    /// the organization exists. Concurrent loads seed once (the orgs row
    /// is locked, and the log re-checked under the lock).
    async fn seed_org_log(&self, org: OrgId) -> Result<bool, DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let Some(row) = tx
            .query_opt("SELECT name, key, (extract(epoch FROM created_at) * 1000)::bigint AS at, deleted_at IS NOT NULL AS deleted FROM orgs WHERE id = $1 FOR UPDATE", &[&org.0])
            .await?
        else {
            return Ok(false);
        };
        let logged: i64 = tx
            .query_one(
                "SELECT count(*) FROM org_events WHERE org_id = $1",
                &[&org.0],
            )
            .await?
            .get(0);
        if logged > 0 {
            return Ok(true);
        }
        let created = Millis(row.get("at"));
        let members = tx
            .query(
                "SELECT user_id, role, (extract(epoch FROM created_at) * 1000)::bigint AS at FROM memberships \
                 WHERE org_id = $1 ORDER BY created_at, user_id",
                &[&org.0],
            )
            .await?;
        let owner = members
            .iter()
            .find(|m| m.get::<_, &str>("role") == "owner")
            .map_or(UserId(Uuid::nil()), |m| UserId(m.get("user_id")));
        let mut events: Vec<(Millis, OrgEvent)> = vec![(
            created,
            OrgEvent::OrgCreated {
                name: row.get("name"),
                key: row.get("key"),
                owner,
            },
        )];
        for m in &members {
            let role: Role = parse_role(m.get("role"))?;
            events.push((
                Millis(m.get("at")),
                OrgEvent::MemberAdded {
                    user: UserId(m.get("user_id")),
                    role,
                },
            ));
        }
        let invites = tx
            .query(
                "SELECT id, role, token_hash, accepted_by, \
                   (extract(epoch FROM created_at) * 1000)::bigint AS at, \
                   (extract(epoch FROM expires_at) * 1000)::bigint AS expires, \
                   (extract(epoch FROM accepted_at) * 1000)::bigint AS accepted, \
                   (extract(epoch FROM revoked_at) * 1000)::bigint AS revoked \
                 FROM invites WHERE org_id = $1 ORDER BY created_at, id",
                &[&org.0],
            )
            .await?;
        for i in &invites {
            let invite = InviteId(i.get("id"));
            events.push((
                Millis(i.get("at")),
                OrgEvent::InviteCreated {
                    invite,
                    role: parse_role(i.get("role"))?,
                    token_hash: protocol::org::hex(i.get::<_, &[u8]>("token_hash")),
                    expires_at: Millis(i.get("expires")),
                },
            ));
            if let Some(at) = i.get::<_, Option<i64>>("accepted") {
                let user = i
                    .get::<_, Option<Uuid>>("accepted_by")
                    .map_or(UserId(Uuid::nil()), UserId);
                events.push((
                    Millis(at),
                    OrgEvent::InviteAccepted {
                        invite,
                        user,
                        joined: true,
                    },
                ));
            }
            if let Some(at) = i.get::<_, Option<i64>>("revoked") {
                events.push((Millis(at), OrgEvent::InviteRevoked { invite }));
            }
        }
        for b in tx.query("SELECT id, name, archived, created_at FROM boards WHERE org_id = $1 ORDER BY created_at, id", &[&org.0]).await? {
            let board = BoardId(b.get("id"));
            events.push((Millis(b.get("created_at")), OrgEvent::BoardCreated { board, name: b.get("name") }));
            if b.get::<_, bool>("archived") {
                events.push((Millis(b.get("created_at")), OrgEvent::BoardArchived { board }));
            }
        }
        if row.get::<_, bool>("deleted") {
            events.push((created, OrgEvent::OrgDeleted));
        }
        let records: Vec<OrgRecorded> = events
            .into_iter()
            .enumerate()
            .map(|(i, (at, event))| OrgRecorded {
                seq: i as u64 + 1,
                at,
                by: owner,
                command_id: None,
                event,
            })
            .collect();
        write::insert_events(&tx, org, &records).await?;
        tx.commit().await?;
        Ok(true)
    }
}
