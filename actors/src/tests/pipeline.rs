//! One hot board with many writers: commands that queue behind a commit go
//! in the next batch (`board/pipeline.rs`). Order per writer, one seq per
//! event, idempotency, refusals in the middle of a queue, and a batch the
//! store refuses — whose commands then run one by one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use futures_util::future::join_all;
use protocol::{Recorded, StoreError, StoreFuture};

use super::*;

/// Writers on the one board, and commands each sends without waiting.
const WRITERS: usize = 8;
const PER_WRITER: usize = 40;
/// What each append takes: long enough for commands to queue behind it.
const APPEND_TAKES: Duration = Duration::from_millis(5);

/// A slow store in front of a `MemStore` that notes how many commands each
/// append held, and can refuse every append of more than one command.
struct Batches {
    inner: Arc<MemStore>,
    sizes: Mutex<Vec<usize>>,
    refuse_batches: AtomicBool,
}

impl Batches {
    fn new(inner: Arc<MemStore>) -> Arc<Batches> {
        Arc::new(Batches {
            inner,
            sizes: Mutex::default(),
            refuse_batches: AtomicBool::new(false),
        })
    }

    /// Commands per stored append, in order.
    fn sizes(&self) -> Vec<usize> {
        self.sizes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Commands in `events`: runs of one author and command id.
fn commands(events: &[Recorded]) -> usize {
    let mut n = 0;
    let mut last: Option<(UserId, &Option<String>)> = None;
    for rec in events {
        if last != Some((rec.by, &rec.command_id)) {
            n += 1;
            last = Some((rec.by, &rec.command_id));
        }
    }
    n
}

impl BoardStore for Batches {
    fn append(&self, events: Vec<Recorded>) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            tokio::time::sleep(APPEND_TAKES).await;
            let n = commands(&events);
            if n > 1 && self.refuse_batches.load(Ordering::SeqCst) {
                return Err(StoreError::Internal("this store refuses batches".into()));
            }
            self.inner.append(events).await?;
            self.sizes
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(n);
            Ok(())
        })
    }
    pass_on!(
        load_board,
        events_after,
        save_snapshot,
        load_org,
        reserve_item_numbers,
        find_outcome,
        record_rejection,
        load_org_log,
        append_org,
        org_events_after,
        find_org_outcome,
        record_org_rejection,
    );
}

/// A world whose board actors append through a [`Batches`] store.
fn world() -> (World, Arc<Batches>) {
    let mem = Arc::new(MemStore::new());
    let batches = Batches::new(mem.clone());
    let config = ActorConfig {
        arbiters: 2,
        ..ActorConfig::default()
    };
    (World::over(mem, batches.clone(), config), batches)
}

/// `WRITERS` writers each send `per_writer` commands made by `command`
/// at once, with ids `w{writer}-{n}`: the answers, by writer, in the
/// order each sent them.
async fn eight_writers(
    world: &World,
    board: BoardId,
    per_writer: usize,
    command: impl Fn(usize, usize) -> Command,
) -> Vec<Vec<Result<Committed, ActorError>>> {
    let handle = world.board(board);
    let writers = (0..WRITERS).map(|w| {
        // Each submit is queued when called, so each writer's commands
        // reach the board in the order sent.
        let sent: Vec<_> = (0..per_writer)
            .map(|n| handle.submit(MEMBER, command(w, n), Some(format!("w{w}-{n}"))))
            .collect();
        join_all(sent)
    });
    within(join_all(writers)).await
}

/// The seqs of committed answers, checking each writer's rise in the order
/// it sent them.
fn seqs_in_order(answers: &[Vec<Result<Committed, ActorError>>]) -> Vec<u64> {
    let mut all = Vec::new();
    for (w, answers) in answers.iter().enumerate() {
        let seqs: Vec<u64> = answers
            .iter()
            .filter_map(|a| a.as_ref().ok())
            .map(|c| c.seq)
            .collect();
        assert!(
            seqs.windows(2).all(|p| p[0] < p[1]),
            "writer {w} out of order: {seqs:?}"
        );
        all.extend(seqs);
    }
    all.sort_unstable();
    all
}

#[actix_rt::test]
async fn eight_writers_on_one_board_commit_in_batches_in_order() {
    let (world, batches) = world();
    let board = world.new_board().await;
    let first = board.created.seq + 1;
    let answers = eight_writers(&world, board.id, PER_WRITER, |w, n| {
        create_item(&format!("w{w} n{n}"))
    })
    .await;
    for (w, answers) in answers.iter().enumerate() {
        for (n, answer) in answers.iter().enumerate() {
            assert!(answer.is_ok(), "w{w}-{n}: {answer:?}");
        }
    }
    let total = WRITERS * PER_WRITER;
    let last = first + total as u64 - 1;
    assert_eq!(
        seqs_in_order(&answers),
        (first..=last).collect::<Vec<u64>>(),
        "one seq per event, none lost"
    );

    // Batched: fewer appends than commands, and some held many.
    let sizes = batches.sizes();
    let board_appends: Vec<usize> = sizes.into_iter().skip(1).collect(); // after the board's creation
    assert_eq!(board_appends.iter().sum::<usize>(), total);
    assert!(
        board_appends.len() * 4 <= total,
        "{} appends for {total} commands",
        board_appends.len()
    );
    assert!(board_appends.iter().any(|&n| n >= 8), "{board_appends:?}");

    // The log, the live board and the answers agree; numbers are distinct.
    let log = world.store.events(board.id);
    assert_eq!(log.last().map(|r| r.seq), Some(last));
    let live = within(world.board(board.id).read(VIEWER))
        .await
        .expect("read");
    assert_eq!((live.seq, live.items.len()), (last, total));
    let mut numbers: Vec<u64> = live.items.values().map(|i| i.number).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), total, "every item has its own number");

    // Sent again, every command gets its first answer and appends nothing.
    let again = eight_writers(&world, board.id, PER_WRITER, |w, n| {
        create_item(&format!("w{w} n{n}"))
    })
    .await;
    for (first, again) in answers.iter().flatten().zip(again.iter().flatten()) {
        let (first, again) = (
            first.as_ref().expect("committed"),
            again.as_ref().expect("replayed"),
        );
        assert_eq!((first.seq, &first.events), (again.seq, &again.events));
    }
    assert_eq!(world.stored_seq(board.id), last, "nothing appended twice");
}

#[actix_rt::test]
async fn a_refusal_in_a_queue_waits_for_the_commands_before_it() {
    let (world, _) = world();
    let board = world.new_board().await;
    let limit = Command::SetWipLimit {
        column: board.todo,
        limit: Some(5),
    };
    world.submit(board.id, ADMIN, limit).await;
    let answers = eight_writers(&world, board.id, 5, |w, n| {
        create_item(&format!("w{w} n{n}"))
    })
    .await;
    let accepted = answers.iter().flatten().filter(|a| a.is_ok()).count();
    assert_eq!(accepted, 5, "the column takes exactly its limit");
    for answer in answers.iter().flatten().filter(|a| a.is_err()) {
        assert!(
            matches!(
                answer,
                Err(ActorError::Rejected(Rejection::WipLimitReached { .. }))
            ),
            "{answer:?}"
        );
    }
    seqs_in_order(&answers);
    // A refusal was recorded: sent again, it is refused again, as it was.
    let again = eight_writers(&world, board.id, 5, |w, n| {
        create_item(&format!("w{w} n{n}"))
    })
    .await;
    for (first, again) in answers.iter().flatten().zip(again.iter().flatten()) {
        assert_eq!(first.is_ok(), again.is_ok());
    }
    assert_eq!(
        world.store.events(board.id).len(),
        usize::try_from(board.created.seq).unwrap_or(0) + 1 + 5
    );
}

#[actix_rt::test]
async fn a_batch_the_store_refuses_is_run_one_command_at_a_time() {
    let (world, batches) = world();
    let board = world.new_board().await;
    batches.refuse_batches.store(true, Ordering::SeqCst);
    let answers = eight_writers(&world, board.id, 10, |w, n| {
        create_item(&format!("w{w} n{n}"))
    })
    .await;
    for answer in answers.iter().flatten() {
        assert!(answer.is_ok(), "{answer:?}");
    }
    let first = board.created.seq + 1;
    let total = (WRITERS * 10) as u64;
    assert_eq!(
        seqs_in_order(&answers),
        (first..first + total).collect::<Vec<u64>>()
    );
    assert!(
        batches.sizes().iter().all(|&n| n == 1),
        "only single commands were stored"
    );
    let log = world.store.events(board.id);
    let mut ids: Vec<&str> = log.iter().filter_map(|r| r.command_id.as_deref()).collect();
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(
        (before, ids.len()),
        (WRITERS * 10, WRITERS * 10),
        "each command once"
    );
}
