//! The caller's tracing span reaches what the actors log while handling
//! its request, on their own threads and after their awaits: a warning
//! about a REST command carries that request's `request_id`.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use protocol::Command;
use serde_json::Value;
use tracing::Instrument;

use super::*;

/// Log lines written by the process-wide subscriber, as JSON. Actors run
/// on arbiter threads, so a thread-local subscriber would not see them.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    /// Installed once per test binary; every test's lines land here.
    fn global() -> Lines {
        static LINES: OnceLock<Lines> = OnceLock::new();
        LINES
            .get_or_init(|| {
                let lines = Lines::default();
                let writer = lines.clone();
                let subscriber = tracing_subscriber::fmt()
                    .with_max_level(tracing::Level::INFO)
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_writer(move || writer.clone())
                    .finish();
                tracing::subscriber::set_global_default(subscriber)
                    .expect("no other subscriber in this test binary");
                lines
            })
            .clone()
    }

    /// The lines whose message is `message`.
    fn with_message(&self, message: &str) -> Vec<Value> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|line| line["message"] == message)
            .collect()
    }
}

/// The `request_id`s of the spans a line was logged in.
fn request_ids(line: &Value) -> Vec<&str> {
    line["spans"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|span| span["request_id"].as_str())
        .collect()
}

/// Runs `call` the way a route does: made and awaited in the request's
/// span (handles queue their message when called, not when polled).
async fn in_request<F: Future>(request_id: &str, call: impl FnOnce() -> F) -> F::Output {
    let span = tracing::info_span!("http", request_id);
    let fut = span.in_scope(call);
    within(fut.instrument(span)).await
}

#[actix_rt::test]
async fn a_board_warning_while_handling_a_command_carries_the_request_id() {
    let lines = Lines::global();
    let world = World::new();
    let board = world.new_board().await;
    world.store.set_unavailable(true);
    let rename = Command::RenameBoard {
        name: "Renamed".into(),
    };
    let failed = in_request("req-board-append", || {
        world.board(board.id).submit(ADMIN, rename, None)
    })
    .await;
    assert!(failed.expect_err("the store is down").retryable());

    // The board logs before it answers, so the line is there already.
    let warned: Vec<Value> = lines
        .with_message("append failed")
        .into_iter()
        .filter(|line| line["board_id"] == board.id.to_string())
        .collect();
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert_eq!(request_ids(&warned[0]), ["req-board-append"], "{warned:?}");
    assert_eq!(warned[0]["span"]["request_id"], "req-board-append");
}

#[actix_rt::test]
async fn an_org_warning_caused_by_a_command_carries_the_request_id() {
    let lines = Lines::global();
    let world = World::new();
    let board = world.new_board().await;
    // No number block is reserved yet: the org actor asks the store.
    world.store.set_unavailable(true);
    let failed = in_request("req-org-numbers", || {
        world
            .board(board.id)
            .submit(MEMBER, create_item("One"), None)
    })
    .await;
    assert!(failed.expect_err("the store is down").retryable());

    let warned = lines.with_message("reserving item numbers failed");
    assert!(
        warned
            .iter()
            .any(|line| request_ids(line) == ["req-org-numbers"]),
        "{warned:?}"
    );
}
