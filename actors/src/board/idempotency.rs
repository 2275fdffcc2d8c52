//! Idempotent commands: a client command id (per author and board) is
//! applied at most once. An accepted command's outcome is recorded in the
//! same transaction as its events, so a retry's append fails as a
//! duplicate and is answered with the original ack; a refused command's
//! outcome is recorded before the refusal is sent, so a retry gets the same
//! refusal even if the board has changed since.

use actix::prelude::*;
use protocol::{BoardId, BoardStore, Outcome, Rejection, StoreError, UserId};
use std::sync::Arc;
use std::time::Duration;

use super::{BoardActor, Reply};
use crate::error::{bounded, ActorError};
use crate::handles::Committed;
use crate::stats::ActorStats;

async fn with_timeout<T>(
    timeout: Duration,
    call: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, ActorError> {
    bounded(timeout, call).await.map_err(ActorError::from)
}

/// The answer the first attempt of a command got.
async fn original(
    store: Arc<dyn BoardStore>,
    timeout: Duration,
    board: BoardId,
    outcome: Outcome,
) -> Result<Committed, ActorError> {
    match outcome {
        Outcome::Rejected(rejection) => Err(ActorError::Rejected(rejection)),
        Outcome::Accepted {
            first_seq,
            last_seq,
        } => {
            let count = u32::try_from(last_seq + 1 - first_seq).unwrap_or(u32::MAX);
            let events =
                with_timeout(timeout, store.events_after(board, first_seq - 1, count)).await?;
            Ok(Committed {
                seq: last_seq,
                events,
            })
        }
    }
}

impl BoardActor {
    /// Answer a command whose id was already used, with its first outcome.
    pub(super) fn answer_duplicate(
        &mut self,
        actor: UserId,
        command_id: String,
        reply: Reply<Committed>,
    ) -> actix::fut::LocalBoxActorFuture<Self, ()> {
        ActorStats::add(&self.registry.stats().commands_replayed, 1);
        let (store, timeout, board) = (
            self.registry.store(),
            self.registry.config().store_timeout,
            self.id,
        );
        let fut = async move {
            let found = with_timeout(timeout, store.find_outcome(board, actor, command_id)).await?;
            match found {
                Some(outcome) => original(store, timeout, board, outcome).await,
                None => Err(ActorError::Unavailable("command outcome not found".into())),
            }
        };
        actix::fut::wrap_future(fut)
            .map(move |answer, _, _| {
                let _ = reply.send(answer);
            })
            .boxed_local()
    }

    /// Settle a refusal of a command with an id: if the id was used before,
    /// the original outcome wins (the command may have been applied, which
    /// is why it is refused now); otherwise record the refusal, then send it.
    pub(super) fn settle_rejection(
        &mut self,
        actor: UserId,
        command_id: String,
        rejection: Rejection,
        reply: Reply<Committed>,
    ) -> actix::fut::LocalBoxActorFuture<Self, ()> {
        let (store, timeout, board) = (
            self.registry.store(),
            self.registry.config().store_timeout,
            self.id,
        );
        let fut = async move {
            let found = with_timeout(
                timeout,
                store.find_outcome(board, actor, command_id.clone()),
            )
            .await?;
            if let Some(outcome) = found {
                return original(store, timeout, board, outcome).await;
            }
            let record = store.record_rejection(board, actor, command_id, rejection.clone());
            if let Err(e) = with_timeout(timeout, record).await {
                // The refusal stands; only a retry's answer could differ.
                tracing::warn!(board_id = %board, error = %e, "recording a rejection failed");
            }
            Err(ActorError::Rejected(rejection))
        };
        actix::fut::wrap_future(fut)
            .map(move |answer, _, _| {
                let _ = reply.send(answer);
            })
            .boxed_local()
    }
}
