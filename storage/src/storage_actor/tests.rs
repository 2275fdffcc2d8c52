//! Intake behaviour that needs no database: overload, timeout, shutdown.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use protocol::{BoardId, Event, Millis, OrgId, UserId};
use tracing::Instrument;

use super::*;

fn rec(seq: u64) -> Recorded {
    Recorded {
        board: BoardId(uuid::Uuid::from_u128(1)),
        seq,
        at: Millis(0),
        by: UserId(uuid::Uuid::from_u128(2)),
        command_id: None,
        event: Event::BoardCreated {
            org: OrgId(uuid::Uuid::from_u128(3)),
            name: "b".into(),
        },
    }
}

/// Polls `fut` once; true when it is still pending.
async fn poll_once<F: Future + Unpin>(fut: &mut F) -> bool {
    std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *fut).poll(cx).is_pending())).await
}

#[tokio::test]
async fn a_full_queue_is_refused_at_once() {
    let config = StorageConfig {
        queue_capacity: 1,
        commit_timeout: Duration::from_secs(60),
        ..StorageConfig::default()
    };
    // No consumer: the queue stays full until the test drains it.
    let (handle, mut queue) = handle(&config);
    let mut first = Box::pin(handle.append(vec![rec(1)]));
    assert!(
        poll_once(&mut first).await,
        "first append waits for its commit"
    );
    assert_eq!(handle.queue_depth(), 1);

    let second = handle.append(vec![rec(2)]).await;
    assert!(matches!(second, Err(StoreError::Overloaded)), "{second:?}");

    let request = queue.recv().await.expect("the first request is queued");
    assert_eq!(request.append.events(), 1);
    request.answer(Ok(()));
    assert!(first.await.is_ok());
    assert_eq!(handle.queue_depth(), 0);
}

#[tokio::test]
async fn an_unanswered_append_times_out() {
    let config = StorageConfig {
        commit_timeout: Duration::from_millis(50),
        ..StorageConfig::default()
    };
    let (handle, _queue) = handle(&config);
    let result = handle.append(vec![rec(1)]).await;
    assert!(matches!(result, Err(StoreError::Timeout)), "{result:?}");
}

#[tokio::test]
async fn appends_after_the_actor_is_gone_are_unavailable() {
    let (handle, queue) = handle(&StorageConfig::default());
    drop(queue);
    let result = handle.append(vec![rec(1)]).await;
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn an_empty_append_is_a_no_op() {
    let (handle, _queue) = handle(&StorageConfig::default());
    assert!(handle.append(Vec::new()).await.is_ok());
    assert_eq!(handle.queue_depth(), 0);
}

#[test]
fn committed_batches_land_in_their_buckets() {
    let counters = Counters::default();
    counters.committed(1, 1, Duration::from_micros(400));
    counters.committed(3, 7, Duration::from_millis(3));
    counters.committed(1, 5000, Duration::from_secs(9));
    let stats = counters.snapshot();
    assert_eq!(stats.batches_committed, 3);
    assert_eq!(stats.events_committed, 5008);
    // 1 event ≤ 1; 7 events ≤ 10; 5000 events above every bound.
    assert_eq!(stats.batch_events[0], 1);
    assert_eq!(stats.batch_events[3], 1);
    assert_eq!(stats.batch_events.iter().sum::<u64>(), 2);
    // 400 µs ≤ 500 µs; 3 ms ≤ 5 ms; 9 s above every bound.
    assert_eq!(stats.commit_micros[0], 1);
    assert_eq!(stats.commit_micros[3], 1);
    assert_eq!(stats.commit_micros.iter().sum::<u64>(), 2);
    assert_eq!(stats.commit_micros_sum, 400 + 3_000 + 9_000_000);
}

#[test]
fn duplicate_command_ids_are_not_failures() {
    let counters = Counters::default();
    let duplicate = StoreError::Duplicate {
        board: BoardId(uuid::Uuid::from_u128(1)),
        command_id: "c-1".into(),
    };
    let org_duplicate = StoreError::OrgDuplicate {
        org: OrgId(uuid::Uuid::from_u128(3)),
        command_id: "c-1".into(),
    };
    counters.failed(1, &duplicate);
    counters.failed(1, &org_duplicate);
    counters.failed(2, &StoreError::Timeout);
    let stats = counters.snapshot();
    assert_eq!((stats.duplicates, stats.failures), (2, 2));
}

#[tokio::test]
async fn an_append_carries_its_callers_span_to_the_writer() {
    // Spans only get ids when a subscriber is interested in them.
    let _default = tracing::subscriber::set_default(tracing_subscriber::registry());
    let (handle, mut queue) = handle(&StorageConfig::default());
    let span = tracing::info_span!("http", request_id = "req-1");
    let mut append = Box::pin(handle.append(vec![rec(1)]).instrument(span.clone()));
    assert!(poll_once(&mut append).await, "waits for its commit");
    let request = queue.recv().await.expect("queued");
    assert!(span.id().is_some());
    assert_eq!(request.span.id(), span.id());

    // A batch of one is written in its request's span; a larger batch in
    // its own span, not in any one request's.
    let alone = [request];
    assert_eq!(writer::batch_span(&alone).id(), span.id());
    let [request] = alone;
    let other = tracing::info_span!("http", request_id = "req-2");
    let mut second = Box::pin(handle.append(vec![rec(2)]).instrument(other.clone()));
    assert!(poll_once(&mut second).await);
    let second_request = queue.recv().await.expect("queued");
    let batch = [request, second_request];
    let batch_span = writer::batch_span(&batch);
    assert!(batch_span.id().is_some());
    assert_ne!(batch_span.id(), span.id());
    assert_ne!(batch_span.id(), other.id());
}
