//! A board publishes its commits on the bus only while another node is
//! known to follow it, or may without this one having heard so yet: the
//! node hears the others through `Registry::hear`, and what it publishes
//! is recorded by the bus below.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use protocol::bus::{Bus, Envelope, NodeId, Notice, Topic};
use protocol::{BoardId, MemStore};
use uuid::Uuid;

use super::{create_item, org_record, World, MEMBER};
use crate::{ActorConfig, Registry};

/// Another node, as the notices it sends name it.
const OTHER: NodeId = NodeId(Uuid::from_u128(0x0b00_0002));

/// A bus that keeps what is published (and hears nothing by itself).
#[derive(Default)]
struct RecordingBus {
    published: Mutex<Vec<Notice>>,
}

impl Bus for RecordingBus {
    fn node(&self) -> NodeId {
        NodeId(Uuid::from_u128(0x0b00_0001))
    }
    fn publish(&self, notice: Notice) {
        self.published.lock().unwrap().push(notice);
    }
    fn watch(&self, _: Topic) {}
    fn unwatch(&self, _: Topic) {}
}

impl RecordingBus {
    /// The seqs `board`'s `BoardCommitted` notices carried, in order.
    fn committed(&self, board: BoardId) -> Vec<u64> {
        self.published
            .lock()
            .unwrap()
            .iter()
            .filter_map(|n| match n {
                Notice::BoardCommitted { board: b, to, .. } if *b == board => Some(*to),
                _ => None,
            })
            .collect()
    }

    /// The `answer` flags of `board`'s hellos, in order.
    fn hellos(&self, board: BoardId) -> Vec<bool> {
        self.published
            .lock()
            .unwrap()
            .iter()
            .filter_map(|n| match n {
                Notice::PresenceHello { board: b, answer } if *b == board => Some(*answer),
                _ => None,
            })
            .collect()
    }
}

/// A world whose registry publishes on a [`RecordingBus`], with hellos
/// settling for `settle`.
fn world(settle: Duration) -> (World, Arc<RecordingBus>) {
    let config = ActorConfig {
        follow_settle: settle,
        ..ActorConfig::default()
    };
    let store = Arc::new(MemStore::new());
    store.insert_org(org_record());
    let bus = Arc::new(RecordingBus::default());
    let registry = Registry::with_bus(store.clone(), config.clone(), bus.clone());
    (World::from_parts(store, registry, config), bus)
}

impl World {
    /// Creates an item and gives the seq of its event.
    async fn create_seq(&self, board: BoardId, title: &str) -> u64 {
        let committed = self.submit(board, MEMBER, create_item(title)).await;
        committed.events.last().map(|rec| rec.seq).unwrap()
    }
}

/// A hello on `board`'s topic (an answer, if `answer`).
fn hello(board: BoardId, answer: bool) -> Notice {
    Notice::PresenceHello { board, answer }
}

fn from_other(notice: Notice) -> Envelope {
    Envelope {
        node: OTHER,
        sent_ms: 0,
        notice,
    }
}

#[actix_rt::test]
async fn a_board_no_other_node_follows_publishes_nothing_of_its_commits() {
    let (w, bus) = world(Duration::ZERO);
    let b = w.new_board().await;
    w.create_item(b.id, "alone").await;
    assert_eq!(bus.hellos(b.id), [false], "the board said hello once");
    assert!(bus.committed(b.id).is_empty(), "nobody follows the board");
}

#[actix_rt::test]
async fn a_hello_is_answered_and_the_board_then_publishes_its_commits() {
    let (w, bus) = world(Duration::ZERO);
    let b = w.new_board().await;
    w.create_item(b.id, "before").await;
    w.registry.hear(from_other(hello(b.id, false)));
    let seq = w.create_seq(b.id, "after").await;
    assert_eq!(bus.hellos(b.id), [false, true], "the hello was answered");
    assert_eq!(bus.committed(b.id), [seq], "only what followed the hello");
}

#[actix_rt::test]
async fn an_answer_is_not_answered_but_counts_as_a_follower() {
    let (w, bus) = world(Duration::ZERO);
    let b = w.new_board().await;
    w.registry.hear(from_other(hello(b.id, true)));
    let seq = w.create_seq(b.id, "followed").await;
    assert_eq!(bus.hellos(b.id), [false], "no answer to an answer");
    assert_eq!(bus.committed(b.id), [seq]);
}

#[actix_rt::test]
async fn while_its_hello_settles_a_board_publishes_every_commit() {
    let (w, bus) = world(Duration::from_secs(3600));
    let b = w.new_board().await;
    let seq = w.create_seq(b.id, "early").await;
    assert!(
        bus.committed(b.id).contains(&seq),
        "answers may still be on their way: {:?}",
        bus.committed(b.id)
    );
}

#[actix_rt::test]
async fn the_bus_coming_back_says_hello_again() {
    let (w, bus) = world(Duration::ZERO);
    let b = w.new_board().await;
    w.registry.catch_up_all();
    // The hello goes out when the actor handles the message: a command
    // sent after it is answered after it.
    w.create_item(b.id, "after the outage").await;
    assert_eq!(bus.hellos(b.id), [false, false]);
}

/// Waits until every settle window `settle` long that a board opened
/// before the wait began has closed (a board created here says hello when
/// it starts; one loaded from the log again `WATCH_SETTLE` later): the
/// board's timers are due before the wait's.
async fn settled(settle: Duration) {
    actix_rt::time::sleep(crate::board::WATCH_SETTLE + settle + Duration::from_millis(500)).await;
}

#[actix_rt::test]
async fn the_settle_window_closes_and_a_new_hello_opens_another() {
    let settle = Duration::from_secs(1);
    let (w, bus) = world(settle);
    let b = w.new_board().await;
    let early = w.create_seq(b.id, "while settling").await;
    settled(settle).await;
    let late = w.create_seq(b.id, "settled").await;
    assert_eq!(bus.hellos(b.id), [false], "when it started");
    let published = bus.committed(b.id);
    assert!(published.contains(&early), "{published:?}");
    assert_eq!(
        published.last(),
        Some(&early),
        "nothing once the window closed"
    );
    w.registry.catch_up_all();
    let again = w.create_seq(b.id, "after a new hello").await;
    assert_eq!(bus.committed(b.id).last(), Some(&again), "not {late}");
}

#[actix_rt::test]
async fn whoever_publishes_on_the_board_follows_it() {
    let (w, bus) = world(Duration::ZERO);
    let b = w.new_board().await;
    let seq = w.stored_seq(b.id);
    // A commit notice from a node that never answered the hello (its
    // answer was lost, or it predates answers): the log has nothing new.
    w.registry.hear(from_other(Notice::BoardCommitted {
        board: b.id,
        to: seq,
        events: Vec::new(),
    }));
    let next = w.create_seq(b.id, "followed").await;
    assert_eq!(bus.committed(b.id), [next]);
}

#[actix_rt::test]
async fn this_nodes_own_hello_is_neither_answered_nor_a_follower() {
    let (w, bus) = world(Duration::ZERO);
    let b = w.new_board().await;
    w.registry.hear(Envelope {
        node: bus.node(),
        sent_ms: 0,
        notice: hello(b.id, false),
    });
    w.create_item(b.id, "alone").await;
    assert_eq!(bus.hellos(b.id), [false], "no answer to itself");
    assert!(bus.committed(b.id).is_empty());
}

#[actix_rt::test]
async fn a_node_gone_is_no_longer_published_to() {
    let (w, bus) = world(Duration::ZERO);
    let b = w.new_board().await;
    w.registry.hear(from_other(hello(b.id, true)));
    let followed = w.create_seq(b.id, "followed").await;
    w.registry.node_gone(OTHER);
    w.create_item(b.id, "alone again").await;
    assert_eq!(bus.committed(b.id), [followed]);
}

#[actix_rt::test]
async fn commits_found_by_the_sweep_say_hello_again() {
    let (w, bus) = world(Duration::ZERO);
    let b = w.new_board().await;
    assert_eq!(bus.hellos(b.id), [false], "when it started");
    // Another node commits to the board without publishing: it never
    // heard this node's hello.
    let other = w.second_node();
    other.create_item(b.id, "unpublished").await;
    let head = w.stored_seq(b.id);
    w.registry.board_behind(b.id, Some(head));
    // Answered after the catch-up (the actor handles one message at a time).
    let mine = w.create_seq(b.id, "mine").await;
    assert_eq!(mine, head + 1, "the sweep caught up");
    assert_eq!(bus.hellos(b.id), [false, false], "hello again");
    // A sweep that finds nothing new says nothing.
    w.registry.board_behind(b.id, Some(mine));
    w.create_item(b.id, "quiet").await;
    assert_eq!(bus.hellos(b.id), [false, false]);
}
