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
    AllocateNumber, BoardAdded, GetOrg, LiveOrg, ReturnNumber, SetMember, SubscribeOrg,
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
        self.registry
            .send_live_board(self.id, Unsubscribe { session });
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
}

impl OrgHandle {
    pub(crate) fn new(id: OrgId, registry: Registry) -> Self {
        OrgHandle { id, registry }
    }

    /// The roster and board directory.
    ///
    /// # Errors
    /// `NotFound` for an unknown organization, or a retryable error.
    pub async fn view(&self) -> Result<std::sync::Arc<LiveOrg>, ActorError> {
        let deadline = self.registry.config().store_timeout + Duration::from_secs(1);
        request(
            |msg| self.registry.send_to_org(self.id, msg),
            GetOrg,
            true,
            deadline,
        )
        .await
    }

    /// The next item number of the organization.
    pub(crate) async fn allocate_number(&self) -> Result<u64, ActorError> {
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
        // Sent before the caller's next `allocate_number`, on the same
        // mailbox, so it arrives first.
        let _ = self.registry.send_to_org(self.id, ReturnNumber(n));
    }

    /// Tell the organization's actor (starting it if needed) that a
    /// membership changed in storage: the live roster follows at once, the
    /// org channel hears of it, and a removed member loses every live
    /// subscription of the organization.
    ///
    /// Resolves once the organization's actor has applied the change and
    /// queued the `access_lost` notices to the boards, so anything the
    /// caller does afterwards is ordered after it.
    ///
    /// # Errors
    /// A retryable error when the actor cannot be reached; the change is in
    /// storage anyway and every board re-checks the roster on each request.
    pub async fn member_changed(
        &self,
        user: UserId,
        role: Option<protocol::Role>,
    ) -> Result<(), ActorError> {
        let deadline = self.registry.config().store_timeout + Duration::from_secs(1);
        let tell = || {
            request(
                |msg| self.registry.send_to_org(self.id, msg),
                |reply| SetMember { user, role, reply },
                true,
                deadline,
            )
        };
        match tell().await {
            Err(ActorError::Overloaded | ActorError::Timeout) => {
                // The live actor cannot take it: its roster would stay
                // stale. Forget it; a fresh one reloads the roster from
                // storage (which has the change) and cuts the user off.
                tracing::warn!(org_id = %self.id, "org actor unreachable; reloading it for a membership change");
                self.registry.forget_org(self.id);
                tell().await
            }
            other => other,
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
        self.registry
            .send_live_org(self.id, BoardAdded { board: id, name });
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
