//! `run_in_order` against real PostgreSQL errors: which failure a
//! pipelined transaction reports when answers are seen out of order.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio_postgres::error::SqlState;

use super::{execute, run_in_order, Params, Pending};
use crate::db::Db;
use crate::outcomes;
use crate::test_db::TestDb;

/// An answer that arrives just after its statement was first polled: the
/// first poll says "not yet" (and asks to be polled again), the next one
/// gives `result`.
struct Late {
    result: Option<Result<u64, tokio_postgres::Error>>,
    polled: bool,
}

impl Future for Late {
    type Output = Result<u64, tokio_postgres::Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if !self.polled {
            self.polled = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        match self.result.take() {
            Some(result) => Poll::Ready(result),
            None => panic!("a finished statement was polled again"),
        }
    }
}

fn late(result: Result<u64, tokio_postgres::Error>) -> Pending<'static> {
    Box::pin(Late {
        result: Some(result),
        polled: false,
    })
}

fn now(result: Result<u64, tokio_postgres::Error>) -> Pending<'static> {
    Box::pin(std::future::ready(result))
}

const OUTCOME: &str = "INSERT INTO command_outcomes (board_id, actor, command_id, first_seq, \
     last_seq, at) VALUES ($1, $2, $3, 1, 1, 0)";

/// The two errors of one real append that reused a command id, in the
/// order PostgreSQL raised them: the duplicate outcome, then "current
/// transaction is aborted" for the statement sent after it.
async fn duplicate_then_aborted(db: &Db) -> (tokio_postgres::Error, tokio_postgres::Error) {
    let (board, actor) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let mut client = db.client().await.expect("a connection");
    client
        .execute(OUTCOME, &[&board, &actor, &"retried"])
        .await
        .expect("the first outcome is recorded");
    let tx = client.transaction().await.expect("BEGIN");
    let insert = tx.prepare_cached(OUTCOME).await.expect("prepared");
    let touch = tx
        .prepare_cached("UPDATE boards SET seq = seq WHERE id = $1")
        .await
        .expect("prepared");
    let params: Params<'_> = vec![Box::new(board), Box::new(actor), Box::new("retried")];
    let duplicate = execute(&tx, insert, params)
        .await
        .expect_err("the command id is taken");
    let aborted = execute(&tx, touch, vec![Box::new(board)])
        .await
        .expect_err("the transaction is aborted");
    (duplicate, aborted)
}

fn code(e: &tokio_postgres::Error) -> Option<&SqlState> {
    e.as_db_error().map(|db| db.code())
}

#[tokio::test]
async fn the_first_failure_wins_when_a_later_answer_is_seen_first() {
    let test_db = TestDb::new().await;
    let db = Db::connect(&test_db.url, 2).await.expect("connected");
    db.migrate().await.expect("migrated");
    let (duplicate, aborted) = duplicate_then_aborted(&db).await;
    assert_eq!(code(&duplicate), Some(&SqlState::UNIQUE_VIOLATION));
    assert_eq!(code(&aborted), Some(&SqlState::IN_FAILED_SQL_TRANSACTION));

    // The events insert went fine, the outcome insert failed but its answer
    // came just after the first pass looked, while the board touch's answer
    // (25P02) was already there: the duplicate must still be what is
    // reported, or a retried command becomes a 503.
    let pending = vec![now(Ok(1)), late(Err(duplicate)), now(Err(aborted))];
    let reported = run_in_order(pending).await.expect_err("a statement failed");
    assert!(
        outcomes::is_duplicate(&reported),
        "reported {:?} instead of the duplicate command id",
        code(&reported)
    );
}

#[tokio::test]
async fn statements_finishing_on_their_first_poll_are_not_polled_again() {
    // `Late` panics when polled after it finished; `ready` does too.
    let pending = vec![now(Ok(1)), late(Ok(2)), now(Ok(3)), late(Ok(4))];
    run_in_order(pending)
        .await
        .expect("every statement succeeded");
}
