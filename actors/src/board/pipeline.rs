//! A board's commands in batches. While one batch's commit is in flight,
//! the commands that arrive are prepared (the caller's role read, an item
//! number taken for a `create_item`) and queue up. Once that batch has
//! committed — applied, broadcast, every command acked — everything queued
//! is decided in order, each command on the board as the commands before
//! it left it, and appended as the next batch in one store call: one
//! commit for many commands, so a hot board is no longer held to one
//! command per commit.
//!
//! A batch is decided on committed state plus its own earlier commands, and
//! applied to the board as it is decided (copying a large board per batch
//! would cost more than the batch saves). Until its COMMIT answers, nothing
//! of it is acked, broadcast or shown: reads of the board and new
//! subscriptions wait for the answer (`after_batch`), and the log is not
//! read (a notice from another node waits too). When the append fails:
//!   - a seq taken by another node, a reused command id, a fault of one
//!     command's data, or an overloaded store: the board is reloaded from
//!     the log, and each command of the batch runs again on its own through
//!     the one-command path (`deciding.rs`), which catches up, answers
//!     duplicates and records refusals as it always has; the queue waits
//!     behind them;
//!   - an unknown outcome (timeout), or a reload that fails: the batch is
//!     answered `timeout`, the queued commands a retryable `unavailable`,
//!     and the actor stops, so the next request loads the board afresh.
//!
//! A refused command goes through the one-command path too (the log check
//! before a refusal, the recorded outcome), once the commands before it
//! have committed.

use std::collections::{HashSet, VecDeque};

use actix::fut::LocalBoxActorFuture;
use actix::prelude::*;
use protocol::{Board, Recorded, StoreError, UserId};

use super::deciding::Decision;
use super::{now_millis, BoardActor, Reply};
use crate::error::{bounded, ActorError};
use crate::handles::Committed;
use crate::stats::ActorStats;
use crate::traced::in_current_span;

/// The most commands one batch holds; more wait for the next.
pub const MAX_BATCH_COMMANDS: usize = 128;

/// A prepared command waiting for its turn.
pub(super) struct Queued {
    pub decision: Decision,
    /// The item number taken for a `create_item`.
    pub number: Option<u64>,
    pub reply: Reply<Committed>,
    /// Run it through the one-command path (after a batch that held it
    /// failed).
    pub alone: bool,
}

/// Work for once the batch in flight has its answer.
type AfterBatch = Box<dyn FnOnce(&mut BoardActor) -> LocalBoxActorFuture<BoardActor, ()>>;

/// The board's queue of prepared commands.
#[derive(Default)]
pub(super) struct Pipeline {
    queued: VecDeque<Queued>,
    /// A batch's commit, a one-command run, a catch-up or a reload is
    /// under way.
    busy: bool,
    /// A batch's append is in flight: the board holds its uncommitted
    /// events.
    in_flight: bool,
    /// Another node committed while a batch was in flight: catch up before
    /// deciding anything more.
    behind: bool,
    after_batch: Vec<AfterBatch>,
    /// The batch whose append is in flight.
    batch: Option<Batch>,
}

/// The answer to the batch in flight (see [`BoardActor::append_batch`]).
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct BatchAnswered(Result<(), StoreError>);

impl Handler<BatchAnswered> for BoardActor {
    type Result = ();

    fn handle(&mut self, msg: BatchAnswered, ctx: &mut Self::Context) {
        self.batch_answered(msg.0, ctx);
    }
}

/// Commands decided for one append.
pub(super) struct Batch {
    decided: Vec<Decided>,
    /// The board's seq before the batch.
    base_seq: u64,
    /// Applied to the board as decided (more than one command).
    in_place: bool,
    /// The span of the request that started the batch: what the answer
    /// logs carries its fields.
    span: tracing::Span,
}

/// One command of a batch, decided.
pub(super) struct Decided {
    decision: Decision,
    records: Vec<Recorded>,
    /// The board's seq after it.
    seq: u64,
    reply: Reply<Committed>,
}

impl BoardActor {
    /// Whether a batch, a one-command run, a catch-up or a reload is under
    /// way (the board must not passivate then).
    pub(super) fn pipeline_busy(&self) -> bool {
        self.pipeline.busy
    }

    /// Queue a prepared command and start a batch if none is under way.
    pub(super) fn enqueue(&mut self, queued: Queued, ctx: &mut Context<Self>) {
        self.pipeline.queued.push_back(queued);
        self.pump(ctx);
    }

    /// Another node committed: `true` when the catch-up must wait for the
    /// batch in flight (it then runs right after).
    pub(super) fn behind_while_busy(&mut self) -> bool {
        if self.pipeline.in_flight {
            self.pipeline.behind = true;
        }
        self.pipeline.in_flight
    }

    /// Run `work` on the committed board: now (the future it returns is
    /// then the caller's to run), or once the batch in flight has its
    /// answer (before any other work: see [`Self::after_answer`]).
    pub(super) fn on_committed(
        &mut self,
        work: impl FnOnce(&mut BoardActor) -> LocalBoxActorFuture<BoardActor, ()> + 'static,
    ) -> LocalBoxActorFuture<BoardActor, ()> {
        if self.pipeline.in_flight {
            self.pipeline.after_batch.push(Box::new(work));
            actix::fut::ready(()).boxed_local()
        } else {
            work(self)
        }
    }

    /// Start the next piece of work, unless one is under way.
    fn pump(&mut self, ctx: &mut Context<Self>) {
        if self.pipeline.busy {
            return;
        }
        if self.pipeline.behind {
            self.pipeline.behind = false;
            self.pipeline.busy = true;
            let catch_up = self.catch_up().map(|_, act: &mut Self, ctx| act.idle(ctx));
            ctx.wait(in_current_span(catch_up));
            return;
        }
        let Some(front) = self.pipeline.queued.front() else {
            return;
        };
        if front.alone {
            if let Some(queued) = self.pipeline.queued.pop_front() {
                self.alone(queued, ctx);
            }
            return;
        }
        let batch = self.decide_batch();
        if batch.decided.is_empty() {
            // The front was refused (or the queue held only callers that
            // gave up): a refusal is settled by the one-command path.
            if let Some(queued) = self.pipeline.queued.pop_front() {
                self.alone(queued, ctx);
            }
            return;
        }
        self.append_batch(batch, ctx);
    }

    /// Done with one piece of work: on to the next.
    fn idle(&mut self, ctx: &mut Context<Self>) {
        self.pipeline.busy = false;
        self.pump(ctx);
    }

    /// Run `queued` through the one-command path, atomically (no other
    /// message of this board is handled meanwhile).
    fn alone(&mut self, queued: Queued, ctx: &mut Context<Self>) {
        self.give_back(queued.number);
        if queued.reply.is_closed() {
            return self.pump(ctx);
        }
        self.pipeline.busy = true;
        let mut decision = queued.decision;
        // Decided now: after a reload, events of other nodes may have come
        // in since it was first decided.
        decision.now = now_millis();
        let run = self
            .decide_and_settle(decision, 0, false, queued.reply)
            .map(|(), act: &mut Self, ctx| act.idle(ctx));
        ctx.wait(in_current_span(run));
    }

    /// Decide the queued commands in order, up to the first refusal (which
    /// then waits, at the front, for its own run) or
    /// [`MAX_BATCH_COMMANDS`]. A lone command leaves the board as it is
    /// (applied once committed, as always); as soon as a second follows,
    /// each is applied as it is decided, and the batch is `in_place`.
    fn decide_batch(&mut self) -> Batch {
        let mut batch = Batch {
            decided: Vec::new(),
            base_seq: self.board.seq,
            in_place: false,
            span: tracing::Span::current(),
        };
        let mut ids: HashSet<(UserId, String)> = HashSet::new();
        while batch.decided.len() < MAX_BATCH_COMMANDS {
            let Some(front) = self.pipeline.queued.front_mut() else {
                break;
            };
            if front.alone {
                break;
            }
            if front.reply.is_closed() {
                // The caller gave up (timed out) while this waited.
                if let Some(gone) = self.pipeline.queued.pop_front() {
                    self.give_back(gone.number);
                }
                continue;
            }
            if let Some(id) = &front.decision.command_id {
                // The same id twice in one batch: the second waits, and
                // its own append finds the first's outcome.
                if !ids.insert((front.decision.by.actor_id(), id.clone())) {
                    break;
                }
            }
            if let [first] = batch.decided.as_slice() {
                // A second command: the first goes onto the board now.
                for rec in &first.records {
                    self.board.apply(rec);
                }
                batch.in_place = true;
            }
            // Decided now: its events must not be dated before those of
            // the commands it follows.
            let front = self
                .pipeline
                .queued
                .front_mut()
                .expect("the front was just read");
            front.decision.now = now_millis();
            let Ok(records) = front.decision.run(&self.board, front.number) else {
                break;
            };
            let Some(queued) = self.pipeline.queued.pop_front() else {
                break;
            };
            if batch.in_place {
                for rec in &records {
                    self.board.apply(rec);
                }
            }
            let seq = records.last().map_or(self.board.seq, |r| r.seq);
            batch.decided.push(Decided {
                decision: queued.decision,
                records,
                seq,
                reply: queued.reply,
            });
        }
        batch
    }

    /// Append `batch` as one store call, then ack and broadcast it, without
    /// holding the board's other messages meanwhile. The append runs as a
    /// task of its own, so it is sent at once, and its answer comes back as
    /// a message ([`BatchAnswered`]), handled in turn with the commands that
    /// arrived meanwhile (a future spawned on the actor would be polled only
    /// once its mailbox ran empty).
    fn append_batch(&mut self, batch: Batch, ctx: &mut Context<Self>) {
        self.pipeline.busy = true;
        self.pipeline.in_flight = true;
        let records: Vec<Recorded> = batch
            .decided
            .iter()
            .flat_map(|d| d.records.clone())
            .collect();
        let store = self.registry.store();
        let timeout = self.registry.config().store_timeout;
        let answer_to = ctx.address();
        let append = async move {
            let result = bounded(timeout, store.append(records)).await;
            answer_to.do_send(BatchAnswered(result));
        };
        self.pipeline.batch = Some(batch);
        actix::spawn(tracing::Instrument::in_current_span(append));
    }

    /// The batch in flight has its answer.
    fn batch_answered(&mut self, result: Result<(), StoreError>, ctx: &mut Context<Self>) {
        self.pipeline.in_flight = false;
        let Some(batch) = self.pipeline.batch.take() else {
            return;
        };
        let span = batch.span.clone();
        let _in_request = span.enter();
        let n = batch.decided.len();
        match result {
            Ok(()) => {
                let stats = self.registry.stats();
                ActorStats::add(&stats.commands_committed, n as u64);
                ActorStats::add(&stats.board_batches, 1);
                let records: Vec<Recorded> = batch
                    .decided
                    .iter()
                    .flat_map(|d| d.records.clone())
                    .collect();
                if batch.in_place {
                    self.publish_committed(&records);
                } else {
                    self.apply_committed(&records);
                }
                for decided in batch.decided {
                    let _ = decided.reply.send(Ok(Committed {
                        seq: decided.seq,
                        events: decided.records,
                    }));
                }
                self.after_answer(ctx);
            }
            Err(StoreError::Timeout) => {
                // The outcome is unknown: the events may yet commit.
                tracing::warn!(board_id = %self.id, commands = n, "append outcome unknown; reloading board");
                self.give_up(batch.decided, ActorError::Timeout, ctx);
            }
            Err(e) if batch.in_place => {
                tracing::warn!(board_id = %self.id, error = %e, commands = n, "append failed");
                // Atomic: the board holds the failed batch until reloaded,
                // and nothing may read it or the log meanwhile.
                let reload = self.reload_and_run_alone(batch, e);
                ctx.wait(in_current_span(reload));
            }
            Err(e) => self.lone_failed(batch.decided, e, ctx),
        }
    }

    /// A lone command's append failed, and the board is as it was before
    /// it: answered as the one-command path answers (`deciding.rs`).
    fn lone_failed(&mut self, decided: Vec<Decided>, error: StoreError, ctx: &mut Context<Self>) {
        // Another node took the seq, or the id was used: the one-command
        // path catches up and decides again, or answers with the first
        // outcome.
        let again = matches!(
            error,
            StoreError::Conflict { .. } | StoreError::Duplicate { .. }
        );
        // Certainly not stored: numbers go back. (Not after a lost
        // connection, which may hide a commit: the next append that finds
        // its seq taken catches up.)
        let not_stored = again || matches!(error, StoreError::Overloaded | StoreError::Internal(_));
        match &error {
            StoreError::Internal(_) => {
                tracing::error!(board_id = %self.id, error = %error, "append refused")
            }
            _ if !again => tracing::warn!(board_id = %self.id, error = %error, "append failed"),
            _ => {}
        }
        let answer = ActorError::from(error);
        for decided in decided {
            if not_stored {
                self.return_item_numbers(&decided.records);
            }
            if again {
                self.pipeline.queued.push_front(Queued {
                    decision: decided.decision,
                    number: None,
                    reply: decided.reply,
                    alone: true,
                });
            } else {
                let _ = decided.reply.send(Err(answer.clone()));
            }
        }
        self.after_answer(ctx);
    }

    /// The batch in flight has its answer and the board is committed
    /// state: run what waited for that, one after the other and atomically
    /// (nothing else, not even the next batch, starts meanwhile), then go
    /// on with the queue.
    fn after_answer(&mut self, ctx: &mut Context<Self>) {
        let mut chain = actix::fut::ready(()).boxed_local();
        for work in std::mem::take(&mut self.pipeline.after_batch) {
            chain = chain
                .then(move |(), act: &mut Self, _| work(act))
                .boxed_local();
        }
        ctx.wait(in_current_span(
            chain.map(|(), act: &mut Self, ctx| act.idle(ctx)),
        ));
    }

    /// After a failed batch applied in place: load the board from the log
    /// as it was before the batch, apply what other nodes committed since
    /// as heard (subscribers get it), then run each command of the batch
    /// on its own, in order, before anything queued. After a lost
    /// connection the batch may have committed after all: a command with
    /// an id is run again and answered as a duplicate if so; one without an
    /// id gets the failure, as a lone command does.
    fn reload_and_run_alone(
        &mut self,
        batch: Batch,
        error: StoreError,
    ) -> LocalBoxActorFuture<Self, ()> {
        if matches!(error, StoreError::Conflict { .. }) {
            ActorStats::add(&self.registry.stats().seq_conflicts, 1);
        }
        let hidden_commit = !matches!(
            error,
            StoreError::Conflict { .. }
                | StoreError::Duplicate { .. }
                | StoreError::Internal(_)
                | StoreError::Overloaded
        );
        let (store, timeout, id) = (
            self.registry.store(),
            self.registry.config().store_timeout,
            self.id,
        );
        let load = async move { bounded(timeout, store.load_board(id)).await };
        actix::fut::wrap_future(load)
            .map(move |loaded, act: &mut Self, ctx| {
                let base = match loaded {
                    Ok(Some(loaded)) => rebuild(act.id, loaded, batch.base_seq),
                    Ok(None) | Err(_) => None,
                };
                let Some((board, heard)) = base else {
                    tracing::warn!(board_id = %act.id, "reloading after a failed batch failed; restarting the board");
                    return act.give_up(batch.decided, ActorError::from(error), ctx);
                };
                act.board = board;
                act.apply_heard(&heard);
                act.pipeline.behind = false;
                let shared = ActorError::from(error);
                for decided in batch.decided.into_iter().rev() {
                    if hidden_commit {
                        // Its numbers may be stored: they stay taken.
                        if decided.decision.command_id.is_none() {
                            // Run again, it could apply twice: answer the
                            // failure, as a lone command would get.
                            let _ = decided.reply.send(Err(shared.clone()));
                            continue;
                        }
                    } else {
                        act.return_item_numbers(&decided.records);
                    }
                    act.pipeline.queued.push_front(Queued {
                        decision: decided.decision,
                        number: None,
                        reply: decided.reply,
                        alone: true,
                    });
                }
                act.after_answer(ctx);
            })
            .boxed_local()
    }

    /// The board cannot go on from here: answer the batch with `error` and
    /// everything queued with a retryable `unavailable`, and stop, so the
    /// next request loads the board afresh.
    fn give_up(&mut self, batch: Vec<Decided>, error: ActorError, ctx: &mut Context<Self>) {
        for decided in batch {
            let _ = decided.reply.send(Err(error.clone()));
        }
        for queued in std::mem::take(&mut self.pipeline.queued) {
            self.give_back(queued.number);
            let _ = queued
                .reply
                .send(Err(ActorError::Unavailable("board was reloaded".into())));
        }
        self.pipeline.after_batch.clear();
        ctx.stop();
    }
}

/// The board at `base_seq` from what was loaded, and the events after it
/// (another node's): `None` when the loaded snapshot is past `base_seq`.
fn rebuild(
    id: protocol::BoardId,
    loaded: protocol::LoadedBoard,
    base_seq: u64,
) -> Option<(Board, Vec<Recorded>)> {
    let mut board = loaded.snapshot.unwrap_or_else(|| Board::new(id));
    if board.seq > base_seq {
        return None;
    }
    let mut heard = Vec::new();
    for rec in loaded.events {
        if rec.seq <= base_seq {
            board.apply(&rec);
        } else {
            heard.push(rec);
        }
    }
    Some((board, heard))
}
