//! Typed handles in front of raw `Addr` plumbing. Every request is a
//! bounded `try_send` carrying a oneshot reply: a full mailbox answers
//! `overloaded` at once instead of queueing without limit.

use std::time::Duration;

use protocol::{Board, BoardId, ColumnId, Command, OrgId, Recorded, UserId};
use tokio::sync::oneshot;

use crate::board::{Create, Read, ReadPresence, Submit, Subscribe, Unsubscribe};
use crate::caller::Caller;
use crate::error::ActorError;
use crate::org::{
    AllocateNumber, CheckOrg, GetOrg, LiveOrg, OrgCommitted, ReturnNumber, SubmitOrg, SubscribeOrg,
    UnsubscribeOrg,
};
use crate::outbox::{Outbox, SessionId};
use crate::registry::{Registry, SendFailure};

/// What a committed command produced.
#[derive(Clone, Debug)]
pub struct Committed {
    /// Seq of the command's last event.
    pub seq: u64,
    pub events: Vec<Recorded>,
}

/// Attempts to reach a live actor when the one found has just stopped.
const ATTEMPTS: usize = 3;

/// The reply channel of one sent request.
type Answer<T> = oneshot::Receiver<Result<T, ActorError>>;

/// Send one request built by `make` through `send`.
fn attempt<M, T>(
    send: &impl Fn(M) -> Result<(), SendFailure>,
    make: &impl Fn(oneshot::Sender<Result<T, ActorError>>) -> M,
) -> Result<Answer<T>, SendFailure> {
    let (tx, rx) = oneshot::channel();
    send(make(tx)).map(|()| rx)
}

/// Await the answer to the request sent by `first`. A stopped actor is
/// replaced and the request sent again; when `retry_unanswered` is false,
/// a request the actor accepted but never answered is not sent again (it
/// may have taken effect).
async fn answered<M, T>(
    first: Result<Answer<T>, SendFailure>,
    send: impl Fn(M) -> Result<(), SendFailure>,
    make: impl Fn(oneshot::Sender<Result<T, ActorError>>) -> M,
    retry_unanswered: bool,
    deadline: Duration,
) -> Result<T, ActorError> {
    let mut sent = first;
    for _ in 0..ATTEMPTS {
        match sent {
            Ok(rx) => match tokio::time::timeout(deadline, rx).await {
                Ok(Ok(answer)) => return answer,
                Ok(Err(_)) if retry_unanswered => {}
                Ok(Err(_)) => {
                    return Err(ActorError::Unavailable(
                        "the board restarted while handling the command".into(),
                    ))
                }
                Err(_) => return Err(ActorError::Timeout),
            },
            Err(SendFailure::Full) => return Err(ActorError::Overloaded),
            Err(SendFailure::Closed) => {}
        }
        sent = attempt(&send, &make);
    }
    Err(ActorError::Unavailable("actor is restarting".into()))
}

/// Send a request built by `make` through `send` (a bounded `try_send` to
/// the registered actor) when first polled, and await its answer (see
/// [`answered`]).
async fn request<M, T>(
    send: impl Fn(M) -> Result<(), SendFailure>,
    make: impl Fn(oneshot::Sender<Result<T, ActorError>>) -> M,
    retry_unanswered: bool,
    deadline: Duration,
) -> Result<T, ActorError> {
    let first = attempt(&send, &make);
    answered(first, send, make, retry_unanswered, deadline).await
}

/// Like [`request`], but the request is sent now, before the returned
/// future is first polled: requests made one after another are queued in
/// that order, whatever order their futures are later polled in.
fn request_now<M, T>(
    send: impl Fn(M) -> Result<(), SendFailure> + 'static,
    make: impl Fn(oneshot::Sender<Result<T, ActorError>>) -> M + 'static,
    retry_unanswered: bool,
    deadline: Duration,
) -> impl std::future::Future<Output = Result<T, ActorError>> + 'static
where
    M: 'static,
    T: 'static,
{
    let mut first = attempt(&send, &make);
    // A stopped actor is replaced now too, not when the future is polled.
    for _ in 1..ATTEMPTS {
        if !matches!(first, Err(SendFailure::Closed)) {
            break;
        }
        first = attempt(&send, &make);
    }
    answered(first, send, make, retry_unanswered, deadline)
}

/// A handle to one board's actor.
#[derive(Clone)]
pub struct BoardHandle {
    id: BoardId,
    registry: Registry,
}

impl BoardHandle {
    pub(crate) fn new(id: BoardId, registry: Registry) -> Self {
        BoardHandle { id, registry }
    }

    /// The board's id.
    pub fn id(&self) -> BoardId {
        self.id
    }

    fn deadline(&self) -> Duration {
        // Org lookup, number allocation and append each have their own
        // store timeout; allow for all three plus slack.
        self.registry.config().store_timeout * 3 + Duration::from_secs(1)
    }

    /// Decide, persist, apply and broadcast `command` as `by`. The command
    /// is queued at the board now, so commands submitted one after another
    /// are decided in that order; the future resolves after the events are
    /// committed.
    ///
    /// # Errors
    /// `NotFound` (no such board, or `by` is not a member), `Rejected`
    /// (a rule), or a retryable infrastructure error.
    pub fn submit(
        &self,
        by: impl Into<Caller>,
        command: Command,
        command_id: Option<String>,
    ) -> impl std::future::Future<Output = Result<Committed, ActorError>> + 'static {
        let by = by.into();
        let (registry, id) = (self.registry.clone(), self.id);
        request_now(
            move |msg| registry.send_to_board(id, msg),
            move |reply| Submit {
                by,
                command: command.clone(),
                command_id: command_id.clone(),
                reply,
            },
            false,
            self.deadline(),
        )
    }

    /// Create the board in `org` (the id must be fresh).
    pub(crate) async fn create(
        &self,
        org: OrgId,
        by: impl Into<Caller>,
        name: String,
        columns: Vec<(ColumnId, String)>,
    ) -> Result<Committed, ActorError> {
        let by = by.into();
        request(
            |msg| self.registry.send_to_board(self.id, msg),
            |reply| Create {
                org,
                by,
                name: name.clone(),
                columns: columns.clone(),
                reply,
            },
            false,
            self.deadline(),
        )
        .await
    }

    /// Subscribe a session: the board pushes a snapshot (or the events
    /// after `since`, when it still holds them) into `outbox`, then every
    /// new event. Returns the board's seq at subscription.
    ///
    /// Queued at the board now, like [`BoardHandle::submit`], so a
    /// session's subscribe and the commands after it keep their order.
    ///
    /// # Errors
    /// `NotFound` when the board does not exist or `user` is not a member.
    pub fn subscribe(
        &self,
        user: impl Into<Caller>,
        outbox: Outbox,
        since: Option<u64>,
    ) -> impl std::future::Future<Output = Result<u64, ActorError>> + 'static {
        let user = user.into();
        let (registry, id) = (self.registry.clone(), self.id);
        request_now(
            move |msg| registry.send_to_board(id, msg),
            move |reply| Subscribe {
                user,
                outbox: outbox.clone(),
                since,
                reply,
            },
            true,
            self.deadline(),
        )
    }

    /// Stop sending this board's events to `session`. Fire and forget: a
    /// gone actor has no subscribers anyway.
    pub fn unsubscribe(&self, session: SessionId) {
        self.registry.send_live_board(
            self.id,
            Unsubscribe {
                session,
                answer: None,
            },
        );
    }

    /// Stop sending this board's events to `outbox`'s session, and queue
    /// `unsubscribed{reason: "requested"}` to it once the board has let go:
    /// no event of the board follows that answer, and the session's slot is
    /// free by then, so a subscribe sent after it is counted without this
    /// board. `false` when the message could not be queued (no live actor,
    /// which holds nothing; or a full mailbox): the caller answers.
    pub fn leave(&self, outbox: Outbox) -> bool {
        self.registry.send_live_board(
            self.id,
            Unsubscribe {
                session: outbox.session(),
                answer: Some(outbox),
            },
        )
    }

    /// Set `session`'s presence on the board (it must be subscribed; an
    /// unsubscribed session is ignored). Fire and forget: presence is
    /// ephemeral, a dropped update is superseded by the next.
    pub fn set_presence(&self, session: SessionId, state: protocol::PresenceState) {
        self.registry
            .send_live_board(self.id, crate::board::SetPresence { session, state });
    }

    /// The live board as `user` may see it.
    ///
    /// # Errors
    /// `NotFound` when the board does not exist or `user` is not a member.
    pub async fn read(&self, user: impl Into<Caller>) -> Result<Board, ActorError> {
        let user = user.into();
        request(
            |msg| self.registry.send_to_board(self.id, msg),
            |reply| Read { user, reply },
            true,
            self.deadline(),
        )
        .await
    }

    /// Who is subscribed to the board and what they show, as `user` may
    /// see it.
    ///
    /// # Errors
    /// `NotFound` when the board does not exist or `user` is not a member.
    pub async fn presence(
        &self,
        user: impl Into<Caller>,
    ) -> Result<Vec<protocol::PresenceEntry>, ActorError> {
        let user = user.into();
        request(
            |msg| self.registry.send_to_board(self.id, msg),
            |reply| ReadPresence { user, reply },
            true,
            self.deadline(),
        )
        .await
    }
}

/// A handle to one organization's actor.
#[derive(Clone)]
pub struct OrgHandle {
    id: OrgId,
    registry: Registry,
    /// The request the commands come from, for the audit log.
    origin: Option<protocol::Origin>,
}

impl OrgHandle {
    pub(crate) fn new(id: OrgId, registry: Registry) -> Self {
        OrgHandle {
            id,
            registry,
            origin: None,
        }
    }

    /// The same handle, its commands marked as sent by the request
    /// `origin` (its IP, user agent and request id are recorded with the
    /// audit entries their events produce).
    pub fn with_origin(mut self, origin: protocol::Origin) -> Self {
        self.origin = Some(origin);
        self
    }

    /// The roster and board directory.
    ///
    /// # Errors
    /// `NotFound` for an unknown organization, or a retryable error.
    pub async fn view(&self) -> Result<std::sync::Arc<LiveOrg>, ActorError> {
        // What the live actor published is what it would answer.
        if let Some(view) = self.registry.org_view(self.id) {
            return Ok(view);
        }
        let deadline = self.registry.config().store_timeout + Duration::from_secs(1);
        request(
            |msg| self.registry.send_to_org(self.id, msg),
            GetOrg,
            true,
            deadline,
        )
        .await
    }

    /// `caller`'s role in the organization, from its actor's roster (the
    /// one source of roles, [`Caller::role_in`]).
    ///
    /// # Errors
    /// `NotFound` for an unknown or deleted organization and for a caller
    /// with no access to it; or a retryable error.
    pub async fn role(&self, caller: Caller) -> Result<protocol::Role, ActorError> {
        let view = self.view().await?;
        caller.role_in(&view).ok_or(ActorError::NotFound)
    }

    /// The next item number of the organization.
    pub(crate) async fn allocate_number(&self) -> Result<u64, ActorError> {
        if let Some(n) = self.registry.take_org_number(self.id) {
            return Ok(n);
        }
        let deadline = self.registry.config().store_timeout + Duration::from_secs(1);
        request(
            |msg| self.registry.send_to_org(self.id, msg),
            AllocateNumber,
            false,
            deadline,
        )
        .await
    }

    /// Give back a number from [`Self::allocate_number`] that nothing was
    /// stored with, so the next item can have it. Best effort: when the
    /// mailbox is full, or another number was handed out since, the number
    /// stays skipped.
    pub(crate) fn return_number(&self, n: u64) {
        // Into the published stock at once, or sent before the caller's
        // next `allocate_number`, on the same mailbox, so it arrives first.
        if !self.registry.give_back_org_number(self.id, n) {
            let _ = self.registry.send_to_org(self.id, ReturnNumber(n));
        }
    }

    /// Decide `command` in the organization as `caller` and commit it
    /// through its actor, the only writer of an organization: the events
    /// appended (with the organization as it was before), or why not.
    /// `command_id` is the client's idempotency key: a command sent again
    /// with the same id gets the first answer and is not applied twice.
    ///
    /// Like [`BoardHandle::submit`], the command is queued now, before the
    /// returned future is first polled, so one session's commands are
    /// decided in the order it sent them.
    ///
    /// # Errors
    /// `OrgRejected` with the rule that refused it (`org_not_found` for a
    /// caller outside the organization, or an API key of another one), or
    /// a retryable error; a timeout leaves the outcome unknown.
    pub fn submit(
        &self,
        caller: impl Into<Caller>,
        command: protocol::OrgCommand,
        command_id: Option<String>,
    ) -> impl std::future::Future<Output = Result<OrgCommitted, ActorError>> + 'static {
        let sent = self
            .org_caller(caller.into())
            .map(|caller| self.submit_as(caller, command, command_id));
        async move { sent?.await }
    }

    /// Whether the organization would accept `command` from `caller` now,
    /// without committing it.
    ///
    /// # Errors
    /// As [`Self::submit`].
    pub async fn check(
        &self,
        caller: impl Into<Caller>,
        command: protocol::OrgCommand,
    ) -> Result<(), ActorError> {
        let caller = self.org_caller(caller.into())?;
        let deadline = self.registry.config().store_timeout + Duration::from_secs(1);
        request(
            |msg| self.registry.send_to_org(self.id, msg),
            |reply| CheckOrg {
                caller,
                command: command.clone(),
                reply,
            },
            true,
            deadline,
        )
        .await
    }

    /// `caller` as the organization sees it: an API key of another
    /// organization is a stranger.
    fn org_caller(&self, caller: Caller) -> Result<protocol::OrgCaller, ActorError> {
        match caller {
            Caller::User(user) => Ok(protocol::OrgCaller::User(user)),
            key @ Caller::ApiKey { org, role, .. } if org == self.id => {
                Ok(protocol::OrgCaller::ApiKey {
                    role,
                    by: key.actor_id(),
                })
            }
            Caller::ApiKey { .. } => {
                Err(ActorError::OrgRejected(protocol::OrgRejection::OrgNotFound))
            }
        }
    }

    /// Create the organization with `owner` as its first owner.
    ///
    /// # Errors
    /// As [`Self::submit`]; `invalid_field` for a bad name or key.
    pub async fn create(
        &self,
        owner: UserId,
        name: String,
        key: String,
    ) -> Result<OrgCommitted, ActorError> {
        self.submit_as(
            protocol::OrgCaller::System(owner),
            protocol::OrgCommand::CreateOrg { name, key },
            None,
        )
        .await
    }

    fn submit_as(
        &self,
        caller: protocol::OrgCaller,
        command: protocol::OrgCommand,
        command_id: Option<String>,
    ) -> impl std::future::Future<Output = Result<OrgCommitted, ActorError>> + 'static {
        // Each store call has its own timeout. Without an id there is one
        // (the append); with one, at most four: the id's lookup, the append
        // or recording a refusal, and when another writer used the id
        // meanwhile, its outcome and records read back.
        let stores = if command_id.is_some() { 4 } else { 1 };
        let deadline = self.registry.config().store_timeout * stores + Duration::from_secs(1);
        let (registry, id, origin) = (self.registry.clone(), self.id, self.origin.clone());
        // Boards ask the actor (behind this command) until it is answered.
        let pending = self.registry.org_command_pending(id);
        let answer = request_now(
            move |msg| registry.send_to_org(id, msg),
            move |reply| SubmitOrg {
                caller,
                command: command.clone(),
                command_id: command_id.clone(),
                origin: origin.clone(),
                reply: Some(reply),
            },
            false,
            deadline,
        );
        async move {
            let answer = answer.await;
            drop(pending);
            answer
        }
    }

    /// Follow the org channel: an `org_snapshot` is pushed into `outbox`,
    /// then every `org_event`.
    ///
    /// # Errors
    /// `NotFound` when the organization does not exist or the caller has
    /// no access to it.
    pub async fn subscribe(
        &self,
        caller: impl Into<Caller>,
        outbox: Outbox,
    ) -> Result<(), ActorError> {
        let caller = caller.into();
        let deadline = self.registry.config().store_timeout + Duration::from_secs(1);
        request(
            |msg| self.registry.send_to_org(self.id, msg),
            |reply| SubscribeOrg {
                caller,
                outbox: outbox.clone(),
                reply,
            },
            true,
            deadline,
        )
        .await
    }

    /// Stop following the org channel.
    pub fn unsubscribe(&self, session: SessionId) {
        self.registry
            .send_live_org(self.id, UnsubscribeOrg { session });
    }

    /// Create a board named `name` with the given columns, as `by`.
    ///
    /// # Errors
    /// `NotFound` when `by` is not a member, `Rejected` when a rule (role,
    /// name) refuses it, or a retryable error.
    pub async fn create_board(
        &self,
        id: BoardId,
        by: impl Into<Caller>,
        name: String,
        columns: Vec<(ColumnId, String)>,
    ) -> Result<Committed, ActorError> {
        let committed = self
            .registry
            .board(id)
            .create(self.id, by, name, columns)
            .await?;
        let name = committed
            .events
            .iter()
            .find_map(|rec| match &rec.event {
                protocol::Event::BoardCreated { name, .. } => Some(name.clone()),
                _ => None,
            })
            .unwrap_or_default();
        // The directory follows, as a report the org actor commits to its
        // log; the board exists either way.
        let by = match committed.events.first() {
            Some(rec) => rec.by,
            None => return Ok(committed),
        };
        let reported = self
            .submit_as(
                protocol::OrgCaller::System(by),
                protocol::OrgCommand::BoardAdded { board: id, name },
                None,
            )
            .await;
        // `no_change`: the log was seeded from the read models after the
        // board was stored, so it already lists the board.
        match reported {
            Ok(_) | Err(ActorError::OrgRejected(protocol::OrgRejection::NoChange)) => {}
            Err(e) => {
                tracing::warn!(org_id = %self.id, board_id = %id, error = %e, "the organization's directory missed a new board");
            }
        }
        Ok(committed)
    }
}

#[cfg(test)]
impl BoardHandle {
    /// Make the board's live actor panic (crash-isolation tests).
    pub(crate) fn crash(&self) {
        self.registry.send_live_board(self.id, crate::board::Crash);
    }
}
