//! Idempotent organization commands: a client command id (per author and
//! organization) is decided at most once. The actor looks the id up
//! before deciding, in the same one-at-a-time step as the decision and the
//! append, so a retry gets the first answer (the original records, marked
//! `replayed`, or the original refusal) however the organization changed
//! since. An accepted command's outcome is recorded in its append's
//! transaction; a refused one's before the refusal is sent. Should another
//! writer (a second node, a stale actor) record the id between the lookup
//! and the append, the append fails as a duplicate (the outcome's key is
//! not `ON CONFLICT DO NOTHING`) and is answered with that first outcome;
//! between the lookup and recording a refusal, the record keeps the first
//! outcome, which is read back and sent.

use std::sync::Arc;
use std::time::Duration;

use actix::fut::LocalBoxActorFuture;
use actix::prelude::*;
use protocol::{BoardStore, Org, OrgId, OrgOutcome, OrgRejection, UserId};

use super::submit::OrgCommitted;
use super::{view_of, OrgActor, Reply};
use crate::error::{bounded, ActorError};
use crate::stats::ActorStats;

/// What a command id says before the command is decided.
pub(super) enum Prior {
    /// The id has no outcome yet: decide the command.
    New,
    /// The id was used: the first answer, or why it cannot be given now
    /// (nothing was decided; the caller may retry).
    Answered(Result<OrgCommitted, ActorError>),
}

/// The outcome recorded for `command_id` of `author`, as an answer.
async fn prior(
    store: Arc<dyn BoardStore>,
    timeout: Duration,
    org: OrgId,
    author: UserId,
    command_id: String,
) -> Prior {
    match bounded(timeout, store.find_org_outcome(org, author, command_id)).await {
        Ok(None) => Prior::New,
        Ok(Some(outcome)) => Prior::Answered(original(store, timeout, org, outcome).await),
        Err(e) => Prior::Answered(Err(ActorError::from(e))),
    }
}

/// The answer the first attempt of a command got. An accepted command's
/// records are read back from the log with everything before them, to
/// rebuild the organization as it was (`before`): organizations' logs are
/// short (membership and directory changes) and replays rare.
async fn original(
    store: Arc<dyn BoardStore>,
    timeout: Duration,
    org: OrgId,
    outcome: OrgOutcome,
) -> Result<OrgCommitted, ActorError> {
    let (first_seq, last_seq) = match outcome {
        OrgOutcome::Rejected(rejection) => return Err(ActorError::OrgRejected(rejection)),
        OrgOutcome::Accepted {
            first_seq,
            last_seq,
        } => (first_seq, last_seq),
    };
    let limit = u32::try_from(last_seq).unwrap_or(u32::MAX);
    let log = bounded(timeout, store.org_events_after(org, 0, limit)).await?;
    let mut before = Org::new(org);
    let mut records = Vec::new();
    for rec in log {
        if rec.seq < first_seq {
            before.apply_recorded(&rec);
        } else {
            records.push(rec);
        }
    }
    let expected = (last_seq + 1).saturating_sub(first_seq);
    if records.len() as u64 != expected {
        return Err(ActorError::Internal(format!(
            "organization {org}: the events {first_seq}..={last_seq} of a recorded command are not in its log"
        )));
    }
    Ok(OrgCommitted {
        records,
        before: view_of(&before),
        replayed: true,
    })
}

impl OrgActor {
    /// Looks up `command_id` of `author` before its command is decided.
    pub(super) fn prior(
        &self,
        author: UserId,
        command_id: String,
    ) -> LocalBoxActorFuture<Self, Prior> {
        let (store, timeout, org) = (
            self.registry.store(),
            self.registry.config().store_timeout,
            self.id,
        );
        actix::fut::wrap_future(prior(store, timeout, org, author, command_id))
            .map(|prior, act: &mut Self, _| {
                if matches!(
                    prior,
                    Prior::Answered(Ok(_) | Err(ActorError::OrgRejected(_)))
                ) {
                    ActorStats::add(&act.registry.stats().commands_replayed, 1);
                }
                prior
            })
            .boxed_local()
    }

    /// Answers a command whose append found its id already used (another
    /// writer recorded it after this actor looked): with the first answer.
    pub(super) fn answer_duplicate(
        &self,
        author: UserId,
        command_id: String,
        reply: Option<Reply<OrgCommitted>>,
    ) -> LocalBoxActorFuture<Self, ()> {
        self.prior(author, command_id)
            .map(|prior, _, _| {
                let answer = match prior {
                    Prior::Answered(answer) => answer,
                    Prior::New => Err(ActorError::Unavailable(
                        "the command's outcome was not found; retry".into(),
                    )),
                };
                super::submit::answer(reply, answer);
            })
            .boxed_local()
    }

    /// Records that `command_id` of `author` was refused, then sends what
    /// the store holds for the id: the refusal, so a retry gets it even once
    /// the organization would accept the command — or, should another
    /// writer have recorded the id since the lookup (the record keeps an
    /// existing outcome), that first outcome.
    pub(super) fn settle_refusal(
        &self,
        author: UserId,
        command_id: String,
        rejection: OrgRejection,
        reply: Option<Reply<OrgCommitted>>,
    ) -> LocalBoxActorFuture<Self, ()> {
        if rejection == OrgRejection::OrgNotFound {
            // Nothing to remember for a stranger (or an organization that
            // does not exist): recording it would let anyone make the
            // server write rows for any id.
            super::submit::answer(reply, Err(ActorError::OrgRejected(rejection)));
            return actix::fut::ready(()).boxed_local();
        }
        let (store, timeout, org) = (
            self.registry.store(),
            self.registry.config().store_timeout,
            self.id,
        );
        let settle = async move {
            let record =
                store.record_org_rejection(org, author, command_id.clone(), rejection.clone());
            if let Err(e) = bounded(timeout, record).await {
                // The refusal stands; only a retry's answer could differ.
                tracing::warn!(org_id = %org, error = %e, "recording an org command's refusal failed");
                return Err(ActorError::OrgRejected(rejection));
            }
            match prior(store, timeout, org, author, command_id).await {
                Prior::Answered(first @ Ok(_)) => first,
                // Ours, or another refusal recorded first; when the store
                // cannot say, ours stands.
                Prior::Answered(Err(ActorError::OrgRejected(first))) => {
                    Err(ActorError::OrgRejected(first))
                }
                Prior::Answered(Err(_)) | Prior::New => Err(ActorError::OrgRejected(rejection)),
            }
        };
        actix::fut::wrap_future(settle)
            .map(move |answer, act: &mut Self, _| {
                if answer.is_ok() {
                    ActorStats::add(&act.registry.stats().commands_replayed, 1);
                }
                super::submit::answer(reply, answer);
            })
            .boxed_local()
    }
}
