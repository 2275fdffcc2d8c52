//! The persistence port. `storage` implements it on PostgreSQL; `MemStore`
//! (behind the `test-util` feature) implements it in memory for actor tests. Futures are boxed so the trait
//! can be used as `Arc<dyn BoardStore>`; the core itself never awaits them.

use std::future::Future;
use std::pin::Pin;

use crate::board::{Board, Recorded};
use crate::ids::{BoardId, OrgId, UserId};
use crate::org::{Org, OrgRecorded, OrgRejection};
use crate::role::Roster;

#[cfg(any(test, feature = "test-util"))]
mod mem;
#[cfg(any(test, feature = "test-util"))]
pub use mem::MemStore;

/// A boxed, sendable future returned by store methods.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Why a store operation failed. Every variant but [`StoreError::Internal`]
/// is transient: the command may succeed when retried.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be reached for now (database down, connection
    /// lost, pool exhausted, serialization failure or deadlock, server
    /// shutting down). Retryable.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A permanent fault: a stored record does not decode, or the database
    /// refused a statement in a way that retrying cannot change (a server
    /// bug or corrupt data). Nothing was written. Not retryable.
    #[error("storage fault: {0}")]
    Internal(String),
    /// The storage queue is full; retry after a short delay.
    #[error("storage queue is full")]
    Overloaded,
    /// Another writer already appended at this seq (a second node, or a
    /// stale actor). The caller must reload the board and decide again.
    #[error("seq conflict on board {board} at seq {seq}")]
    Conflict {
        /// The board.
        board: BoardId,
        /// The seq that is already taken (or out of order).
        seq: u64,
    },
    /// Another writer already appended at this seq of an organization's
    /// log. The caller must reload the organization and decide again.
    #[error("seq conflict on organization {org} at seq {seq}")]
    OrgConflict {
        /// The organization.
        org: OrgId,
        /// The seq that is already taken.
        seq: u64,
    },
    /// The database refused an organization's append for a reason its
    /// log could not know (a user id with no account, a key another
    /// organization took first). Nothing was written; a rule's refusal.
    #[error("refused: {0}")]
    OrgRefused(crate::OrgRejection),
    /// The operation did not finish in time.
    #[error("storage timed out")]
    Timeout,
    /// The command id was already used on this board by this author:
    /// nothing was written; the caller answers with the original outcome
    /// ([`BoardStore::find_outcome`]).
    #[error("command {command_id:?} was already applied on board {board}")]
    Duplicate {
        /// The board.
        board: BoardId,
        /// The client's command id.
        command_id: String,
    },
    /// The command id was already used in this organization by this
    /// author (accepted or refused): nothing was written; the caller
    /// answers with the original outcome ([`BoardStore::find_org_outcome`]).
    /// The organization's actor looks the id up before deciding, so this
    /// only happens when another writer recorded the outcome in between.
    #[error("command {command_id:?} was already used in organization {org}")]
    OrgDuplicate {
        /// The organization.
        org: OrgId,
        /// The client's command id.
        command_id: String,
    },
}

/// What became of a command, kept under its client command id so that a
/// retry gets the original answer instead of applying it twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Committed as the events `first_seq ..= last_seq`.
    Accepted {
        /// Seq of the command's first event.
        first_seq: u64,
        /// Seq of the command's last event (the ack's seq).
        last_seq: u64,
    },
    /// Refused by a rule.
    Rejected(crate::Rejection),
}

/// What became of an organization command sent with a client command id,
/// kept so a retry gets the original answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrgOutcome {
    /// Committed as the events `first_seq ..= last_seq` of the org's log.
    Accepted {
        /// Seq of the command's first event.
        first_seq: u64,
        /// Seq of the command's last event.
        last_seq: u64,
    },
    /// Refused.
    Rejected(OrgRejection),
}

/// A board as loaded for activation: the latest snapshot (if any) and every
/// event after it, in seq order.
#[derive(Clone, Debug, Default)]
pub struct LoadedBoard {
    /// The latest snapshot, if one was saved.
    pub snapshot: Option<Board>,
    /// Every event after the snapshot (all of them without one), in order.
    pub events: Vec<Recorded>,
}

/// What an organization actor needs at activation.
#[derive(Clone, Debug)]
pub struct OrgRecord {
    /// The organization's id.
    pub id: OrgId,
    /// Its display name.
    pub name: String,
    /// The item key, e.g. `DS` for `DS-123`.
    pub key: String,
    /// Its members and their roles.
    pub members: Roster,
    /// Ids of the organization's boards, oldest first.
    pub boards: Vec<BoardId>,
}

/// Persistence of boards (event log, snapshots, read models) and the
/// organization facts the actors need.
pub trait BoardStore: Send + Sync + 'static {
    /// Load a board for activation. `None` when it has no events at all.
    ///
    /// # Errors
    /// Any [`StoreError`] when the board could not be read.
    fn load_board(&self, board: BoardId) -> StoreFuture<'_, Option<LoadedBoard>>;

    /// Append events of one board (consecutive seqs, continuing the log) and
    /// update the read models, atomically. Resolves only after COMMIT.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when a seq is already taken,
    /// [`StoreError::Duplicate`] when an event's command id (with its
    /// author) was already used on the board; any other variant when
    /// nothing was written.
    fn append(&self, events: Vec<Recorded>) -> StoreFuture<'_, ()>;

    /// Events of a board with `seq > after`, at most `limit`, in order.
    ///
    /// # Errors
    /// Any [`StoreError`] when the log could not be read.
    fn events_after(
        &self,
        board: BoardId,
        after: u64,
        limit: u32,
    ) -> StoreFuture<'_, Vec<Recorded>>;

    /// Store a snapshot of the board at `board.seq`. Best effort: a lost
    /// snapshot only makes the next activation replay more events.
    ///
    /// # Errors
    /// Any [`StoreError`] when the snapshot was not stored.
    fn save_snapshot(&self, board: Board) -> StoreFuture<'_, ()>;

    /// Load an organization with its members and boards.
    ///
    /// # Errors
    /// Any [`StoreError`] when the organization could not be read.
    fn load_org(&self, org: OrgId) -> StoreFuture<'_, Option<OrgRecord>>;

    /// Reserve `count` item numbers for `org`; returns the first. The
    /// reservation is durable before this resolves, so numbers are never
    /// handed out twice, even across restarts (unused ones are skipped).
    ///
    /// # Errors
    /// Any [`StoreError`] when nothing was reserved.
    fn reserve_item_numbers(&self, org: OrgId, count: u32) -> StoreFuture<'_, u64>;

    /// The recorded outcome of command `command_id` sent by `actor` on
    /// `board`, if any. Appending events that carry a command id records
    /// their outcome in the same transaction, so an accepted command is
    /// found as soon as it is acked.
    fn find_outcome(
        &self,
        board: BoardId,
        actor: UserId,
        command_id: String,
    ) -> StoreFuture<'_, Option<Outcome>>;

    /// Record that command `command_id` of `actor` on `board` was refused,
    /// so a retry gets the same refusal. Keeps an existing record.
    fn record_rejection(
        &self,
        board: BoardId,
        actor: UserId,
        command_id: String,
        rejection: crate::Rejection,
    ) -> StoreFuture<'_, ()>;

    /// An organization folded from its log (seeded once from the read
    /// models for organizations made before the log); `None` when there
    /// is no such organization.
    ///
    /// # Errors
    /// Any [`StoreError`] when the log could not be read.
    fn load_org_log(&self, org: OrgId) -> StoreFuture<'_, Option<Org>>;

    /// Append events of one organization (consecutive seqs, continuing its
    /// log), project them onto the read models and record the command's
    /// outcome under `command` (author, command id), atomically. Resolves
    /// only after COMMIT. `origin` names the request that sent the command,
    /// for the audit entries a store derives from the events in the same
    /// transaction (a store without an audit log ignores it).
    ///
    /// # Errors
    /// [`StoreError::OrgConflict`] when a seq is taken,
    /// [`StoreError::OrgDuplicate`] when the command id (with its author)
    /// already has an outcome in the organization, accepted or refused;
    /// any other variant when nothing was written.
    fn append_org(
        &self,
        org: OrgId,
        records: Vec<OrgRecorded>,
        command: Option<(UserId, String)>,
        origin: Option<crate::Origin>,
    ) -> StoreFuture<'_, ()>;

    /// Events of an organization's log with `seq > after`, at most
    /// `limit`, in order: what a recorded outcome's seqs stand for.
    ///
    /// # Errors
    /// Any [`StoreError`] when the log could not be read.
    fn org_events_after(
        &self,
        org: OrgId,
        after: u64,
        limit: u32,
    ) -> StoreFuture<'_, Vec<OrgRecorded>>;

    /// The recorded outcome of an organization command, if any. Appending
    /// records an accepted command's outcome in the same transaction, so
    /// it is found as soon as the append is answered.
    fn find_org_outcome(
        &self,
        org: OrgId,
        actor: UserId,
        command_id: String,
    ) -> StoreFuture<'_, Option<OrgOutcome>>;

    /// Record that an organization command was refused. Keeps an existing
    /// record.
    fn record_org_rejection(
        &self,
        org: OrgId,
        actor: UserId,
        command_id: String,
        rejection: OrgRejection,
    ) -> StoreFuture<'_, ()>;
}
