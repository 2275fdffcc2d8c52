//! Concurrent first use: the registry starts one actor per board, whatever
//! the number of callers and threads.

use actix::Arbiter;
use futures_util::future::join_all;
use protocol::{BoardId, Rejection};
use tokio::sync::oneshot;

use super::*;

/// Threads the callers run on, besides the registry's own arbiters.
const CALLER_THREADS: usize = 4;

/// Runs `calls` futures made by `make`, spread over [`CALLER_THREADS`]
/// threads, and returns their outputs in call order.
async fn from_many_threads<T, F, Fut>(calls: usize, make: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let threads: Vec<Arbiter> = (0..CALLER_THREADS).map(|_| Arbiter::new()).collect();
    let answers = (0..calls).map(|n| {
        let (tx, rx) = oneshot::channel();
        let call = make(n);
        let spawned = threads[n % CALLER_THREADS].spawn(async move {
            let _ = tx.send(call.await);
        });
        assert!(spawned, "caller thread is running");
        rx
    });
    let outputs = within(join_all(answers)).await;
    for thread in &threads {
        thread.stop();
    }
    outputs
        .into_iter()
        .map(|answer| answer.expect("the caller answered"))
        .collect()
}

#[actix_rt::test]
async fn concurrent_first_use_starts_one_actor() {
    let config = ActorConfig {
        arbiters: 3,
        ..ActorConfig::default()
    };
    let world = World::with(config);
    let board = world.new_board().await;
    // A restart, so the board's first use comes from the callers below.
    let world = world.restart();
    assert_eq!(world.registry.active_boards(), 0);

    let results = from_many_threads(50, |n| {
        let handle = world.board(board.id);
        async move {
            handle
                .submit(MEMBER, create_item(&format!("Item {n}")), None)
                .await
        }
    })
    .await;

    let mut seqs: Vec<u64> = results
        .iter()
        .map(|r| r.as_ref().expect("every submit commits").seq)
        .collect();
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (4..=53).collect::<Vec<u64>>(),
        "no seq twice, none lost"
    );
    assert_eq!(world.registry.active_boards(), 1);
    let stored: Vec<u64> = world.store.events(board.id).iter().map(|r| r.seq).collect();
    assert_eq!(stored, (1..=53).collect::<Vec<u64>>());
    let live = within(world.board(board.id).read(VIEWER)).await.unwrap();
    assert_eq!(live.seq, 53);
    assert_eq!(live.items.len(), 50);
}

#[actix_rt::test]
async fn concurrent_creates_of_one_board_let_exactly_one_win() {
    let world = World::new();
    let id = BoardId(uuid::Uuid::new_v4());
    let results = from_many_threads(10, |n| {
        let org = world.registry.org(ORG);
        async move {
            org.create_board(id, ADMIN, format!("Board {n}"), vec![])
                .await
        }
    })
    .await;

    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "{results:?}");
    for lost in results.into_iter().filter(Result::is_err) {
        assert_eq!(rejection(lost), Rejection::BoardAlreadyExists);
    }
    assert_eq!(world.stored_seq(id), 1);
}

#[actix_rt::test]
async fn concurrent_submits_to_an_unknown_board_are_all_not_found() {
    let world = World::new();
    let unknown = BoardId(uuid::Uuid::new_v4());
    let results = from_many_threads(20, |n| {
        let handle = world.board(unknown);
        async move {
            handle
                .submit(MEMBER, create_item(&format!("Item {n}")), None)
                .await
        }
    })
    .await;

    let other: Vec<_> = results.iter().filter(|r| !is_not_found(r)).collect();
    assert!(other.is_empty(), "not NotFound: {other:?}");
    assert!(world.store.events(unknown).is_empty());
}

/// Waits (briefly) until no message waits in a board or org mailbox: a
/// stopped actor drops its mailbox a moment after its last answer.
async fn mailboxes_drain(world: &World) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let s = world.registry.stats().snapshot();
        if s.board_mailbox_depth == 0 && s.org_mailbox_depth == 0 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "mailbox depth stuck at {} (boards), {} (orgs)",
            s.board_mailbox_depth,
            s.org_mailbox_depth
        );
        actix_rt::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[actix_rt::test]
async fn the_mailbox_depth_gauge_counts_every_message_out_again() {
    let world = World::new();
    let board = world.new_board().await;
    let world = world.restart();
    // Handled messages (a board activating under a burst) ...
    let results = from_many_threads(40, |n| {
        let handle = world.board(board.id);
        async move {
            handle
                .submit(MEMBER, create_item(&format!("Item {n}")), None)
                .await
        }
    })
    .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    // ... and messages to an actor that stops without handling them all.
    let unknown = BoardId(uuid::Uuid::new_v4());
    from_many_threads(40, |n| {
        let handle = world.board(unknown);
        async move {
            handle
                .submit(MEMBER, create_item(&format!("Item {n}")), None)
                .await
        }
    })
    .await;
    mailboxes_drain(&world).await;
}
