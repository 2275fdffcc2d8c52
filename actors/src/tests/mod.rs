//! Tests of the actor layer against `protocol::MemStore`: real actors on
//! real arbiters, no database. Every test runs under `#[actix_rt::test]`
//! (`Registry::new` starts arbiters, which needs a running `System`) and
//! asserts only on what callers can observe: replies, frames pushed into
//! outboxes, and what the store holds. Nothing waits with a sleep: a
//! board pushes its frames before it answers the command that caused them,
//! so after a reply the frames are already queued; anything else is awaited
//! with a timeout.

#![allow(clippy::unwrap_used)]

mod activation;
mod board;
mod concurrency;
mod crash;
mod fanout;
mod followers;
mod idempotency;
mod org;
mod org_retries;
mod org_view;
mod outage;
mod pipeline;
mod presence;
mod slow;
mod spans;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use protocol::codec::decode_server;
use protocol::{
    BoardId, BoardStore, ColumnId, Command, Event, Format, ItemId, MemStore, OrgId, OrgRecord,
    Rejection, Role, Roster, ServerMsg, UserId,
};
use uuid::Uuid;

use crate::{
    ActorConfig, ActorError, BoardHandle, Committed, OutFrame, Outbox, OutboxReceiver, Registry,
    SessionId, SessionQueue,
};

/// Longest wait for a reply or a frame before the test fails.
pub(super) const WAIT: Duration = Duration::from_secs(10);

pub(super) const ORG: OrgId = OrgId(Uuid::from_u128(0x0a00_0001));
pub(super) const OWNER: UserId = UserId(Uuid::from_u128(0x0100_0001));
pub(super) const ADMIN: UserId = UserId(Uuid::from_u128(0x0100_0002));
pub(super) const MEMBER: UserId = UserId(Uuid::from_u128(0x0100_0003));
pub(super) const VIEWER: UserId = UserId(Uuid::from_u128(0x0100_0004));
/// A user who belongs to no organization.
pub(super) const STRANGER: UserId = UserId(Uuid::from_u128(0x0100_0099));

pub(super) const BOARD_NAME: &str = "Roadmap";

/// The test organization, one member per role.
pub(super) fn org_record() -> OrgRecord {
    OrgRecord {
        id: ORG,
        name: "Data Science".into(),
        key: "DS".into(),
        members: Roster::from([
            (OWNER, Role::Owner),
            (ADMIN, Role::Admin),
            (MEMBER, Role::Member),
            (VIEWER, Role::Viewer),
        ]),
        boards: vec![],
    }
}

/// A store holding the test organization, and a registry in front of it.
pub(super) struct World {
    pub store: Arc<MemStore>,
    pub registry: Registry,
    config: ActorConfig,
}

impl World {
    pub fn new() -> World {
        World::with(ActorConfig::default())
    }

    pub fn with(config: ActorConfig) -> World {
        let store = Arc::new(MemStore::new());
        World::over(store.clone(), store, config)
    }

    /// A registry whose actors use `front`, a store in front of `store`
    /// (which this fills with the test organization).
    pub fn over(store: Arc<MemStore>, front: Arc<dyn BoardStore>, config: ActorConfig) -> World {
        store.insert_org(org_record());
        let registry = Registry::new(front, config.clone());
        World {
            store,
            registry,
            config,
        }
    }

    /// A world around a registry made elsewhere (over `store`, which
    /// already holds the test organization).
    pub fn from_parts(store: Arc<MemStore>, registry: Registry, config: ActorConfig) -> World {
        World {
            store,
            registry,
            config,
        }
    }

    /// A process restart: this registry's actors are stopped and a fresh
    /// registry serves the same store.
    pub fn restart(self) -> World {
        self.registry.shutdown();
        self.second_node()
    }

    /// Another registry on the same store while this one keeps running (a
    /// second node, or a stale actor).
    pub fn second_node(&self) -> World {
        World {
            store: self.store.clone(),
            registry: Registry::new(self.store.clone(), self.config.clone()),
            config: self.config.clone(),
        }
    }

    /// A handle to board `id`.
    pub fn board(&self, id: BoardId) -> BoardHandle {
        self.registry.board(id)
    }

    /// Creates a board with columns "To do" and "Done" as the owner.
    pub async fn new_board(&self) -> TestBoard {
        let id = BoardId(Uuid::new_v4());
        let todo = ColumnId(Uuid::new_v4());
        let done = ColumnId(Uuid::new_v4());
        let created = within(self.registry.org(ORG).create_board(
            id,
            OWNER,
            BOARD_NAME.into(),
            vec![(todo, "To do".into()), (done, "Done".into())],
        ))
        .await
        .expect("the owner creates a board");
        TestBoard {
            id,
            todo,
            done,
            created,
        }
    }

    /// Submits `command` as `by` and expects it to commit.
    pub async fn submit(&self, board: BoardId, by: UserId, command: Command) -> Committed {
        let name = command.name();
        within(self.board(board).submit(by, command, None))
            .await
            .unwrap_or_else(|e| panic!("{name} by {by} failed: {e:?}"))
    }

    /// Creates an item titled `title` (in the first column) as the member.
    pub async fn create_item(&self, board: BoardId, title: &str) -> (ItemId, u64) {
        let committed = self.submit(board, MEMBER, create_item(title)).await;
        created_item(&committed)
    }

    /// Seq of the board's last stored event.
    pub fn stored_seq(&self, board: BoardId) -> u64 {
        self.store.events(board).last().map_or(0, |rec| rec.seq)
    }
}

/// A board made by [`World::new_board`].
pub(super) struct TestBoard {
    pub id: BoardId,
    pub todo: ColumnId,
    pub done: ColumnId,
    pub created: Committed,
}

/// Runs `fut`, failing the test if it takes longer than [`WAIT`].
pub(super) async fn within<F: Future>(fut: F) -> F::Output {
    tokio::time::timeout(WAIT, fut)
        .await
        .expect("no answer in time")
}

pub(super) fn create_item(title: &str) -> Command {
    Command::CreateItem {
        title: title.into(),
        description: String::new(),
        column: None,
        index: None,
    }
}

/// The id and number of the item a `create_item` produced.
pub(super) fn created_item(committed: &Committed) -> (ItemId, u64) {
    match committed.events.as_slice() {
        [rec] => match &rec.event {
            Event::ItemCreated { item, number, .. } => (*item, *number),
            other => panic!("expected item_created, got {other:?}"),
        },
        other => panic!("expected one event, got {other:?}"),
    }
}

/// The rule that refused a request.
pub(super) fn rejection<T: std::fmt::Debug>(result: Result<T, ActorError>) -> Rejection {
    match result {
        Err(ActorError::Rejected(rejection)) => rejection,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// Whether a request was answered `NotFound`.
pub(super) fn is_not_found<T>(result: &Result<T, ActorError>) -> bool {
    matches!(result, Err(ActorError::NotFound))
}

/// A JSON outbox with room for `capacity` frames, and its receiving end.
pub(super) fn outbox(session: u64, capacity: usize) -> (Outbox, OutboxReceiver) {
    let SessionQueue { outbox, receiver } =
        SessionQueue::new(SessionId(session), Format::Json, capacity);
    (outbox, receiver)
}

/// Decodes a frame as a client would.
pub(super) fn decode(frame: &OutFrame) -> ServerMsg {
    match frame {
        OutFrame::Text(text) => decode_server(text.as_bytes(), Format::Json).expect("valid JSON"),
        OutFrame::Binary(bytes) => decode_server(bytes, Format::MsgPack).expect("valid MsgPack"),
        other => panic!("expected a data frame, got {other:?}"),
    }
}

/// Whether a frame carries presence (which most tests skip).
pub(super) fn is_presence(frame: &OutFrame) -> bool {
    matches!(frame, OutFrame::Text(_) | OutFrame::Binary(_))
        && matches!(
            decode(frame),
            ServerMsg::Presence { .. } | ServerMsg::PresenceChanged { .. }
        )
}

/// The next frame of an outbox, waiting for it (presence frames skipped).
pub(super) async fn next_frame(rx: &mut OutboxReceiver) -> OutFrame {
    loop {
        let frame = within(rx.recv()).await.expect("the outbox was closed");
        if !is_presence(&frame) {
            return frame;
        }
    }
}

/// The next frame of an outbox, presence included.
pub(super) async fn next_any(rx: &mut OutboxReceiver) -> ServerMsg {
    decode(&within(rx.recv()).await.expect("the outbox was closed"))
}

/// The next message of an outbox, waiting for it (presence skipped).
pub(super) async fn next_msg(rx: &mut OutboxReceiver) -> ServerMsg {
    decode(&next_frame(rx).await)
}

/// Every frame already queued in an outbox, without waiting (presence
/// skipped).
pub(super) fn queued(rx: &mut OutboxReceiver) -> Vec<ServerMsg> {
    std::iter::from_fn(|| rx.try_recv().ok())
        .filter(|frame| !is_presence(frame))
        .map(|frame| decode(&frame))
        .collect()
}

/// The seq of an `event` message.
pub(super) fn event_seq(msg: &ServerMsg) -> u64 {
    match msg {
        ServerMsg::Event { seq, .. } => *seq,
        other => panic!("expected an event, got {other:?}"),
    }
}

/// The seq of a `snapshot` message.
pub(super) fn snapshot_seq(msg: &ServerMsg) -> u64 {
    match msg {
        ServerMsg::Snapshot { seq, state, .. } => {
            assert_eq!(state.seq, *seq, "a snapshot's state is at its seq");
            *seq
        }
        other => panic!("expected a snapshot, got {other:?}"),
    }
}

/// `BoardStore` methods of a test store that only pass the call on to its
/// `inner` store; the store writes out the methods it changes.
macro_rules! pass_on {
    ($($method:ident),* $(,)?) => {
        $(pass_on!(@one $method);)*
    };
    (@one load_board) => {
        fn load_board(&self, board: BoardId) -> protocol::StoreFuture<'_, Option<protocol::LoadedBoard>> {
            self.inner.load_board(board)
        }
    };
    (@one append) => {
        fn append(&self, events: Vec<protocol::Recorded>) -> protocol::StoreFuture<'_, ()> {
            self.inner.append(events)
        }
    };
    (@one events_after) => {
        fn events_after(&self, board: BoardId, after: u64, limit: u32) -> protocol::StoreFuture<'_, Vec<protocol::Recorded>> {
            self.inner.events_after(board, after, limit)
        }
    };
    (@one save_snapshot) => {
        fn save_snapshot(&self, board: protocol::Board) -> protocol::StoreFuture<'_, ()> {
            self.inner.save_snapshot(board)
        }
    };
    (@one load_org) => {
        fn load_org(&self, org: OrgId) -> protocol::StoreFuture<'_, Option<OrgRecord>> {
            self.inner.load_org(org)
        }
    };
    (@one reserve_item_numbers) => {
        fn reserve_item_numbers(&self, org: OrgId, count: u32) -> protocol::StoreFuture<'_, u64> {
            self.inner.reserve_item_numbers(org, count)
        }
    };
    (@one find_outcome) => {
        fn find_outcome(&self, board: BoardId, actor: UserId, command_id: String) -> protocol::StoreFuture<'_, Option<protocol::Outcome>> {
            self.inner.find_outcome(board, actor, command_id)
        }
    };
    (@one record_rejection) => {
        fn record_rejection(&self, board: BoardId, actor: UserId, command_id: String, rejection: Rejection) -> protocol::StoreFuture<'_, ()> {
            self.inner.record_rejection(board, actor, command_id, rejection)
        }
    };
    (@one load_org_log) => {
        fn load_org_log(&self, org: OrgId) -> protocol::StoreFuture<'_, Option<protocol::Org>> {
            self.inner.load_org_log(org)
        }
    };
    (@one append_org) => {
        fn append_org(
            &self,
            org: OrgId,
            records: Vec<protocol::OrgRecorded>,
            command: Option<(UserId, String)>,
            origin: Option<protocol::Origin>,
        ) -> protocol::StoreFuture<'_, ()> {
            self.inner.append_org(org, records, command, origin)
        }
    };
    (@one org_events_after) => {
        fn org_events_after(&self, org: OrgId, after: u64, limit: u32) -> protocol::StoreFuture<'_, Vec<protocol::OrgRecorded>> {
            self.inner.org_events_after(org, after, limit)
        }
    };
    (@one find_org_outcome) => {
        fn find_org_outcome(&self, org: OrgId, actor: UserId, command_id: String) -> protocol::StoreFuture<'_, Option<protocol::OrgOutcome>> {
            self.inner.find_org_outcome(org, actor, command_id)
        }
    };
    (@one record_org_rejection) => {
        fn record_org_rejection(&self, org: OrgId, actor: UserId, command_id: String, rejection: protocol::OrgRejection) -> protocol::StoreFuture<'_, ()> {
            self.inner.record_org_rejection(org, actor, command_id, rejection)
        }
    };
}
pub(super) use pass_on;
