//! Fan-out micro-benchmark: one board event encoded once per wire format
//! and queued to every subscriber's outbox, through `Fanout::publish` as
//! `BoardActor::broadcast` does (and, for comparison, by a bare loop over
//! the outboxes), then taken off each queue as the session's connection
//! does.
//!
//! Run with `cargo bench -p actors --bench fanout`.

use actors::{Fanout, SessionId, SessionQueue, SharedFrame};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use protocol::{BoardId, ColumnId, Event, Format, ItemId, Millis, ServerMsg, UserId};
use uuid::Uuid;

/// Subscribers of the board.
const SUBSCRIBERS: usize = 1_000;
/// Frames each outbox may hold (the server's default).
const QUEUE: usize = 1_024;

fn event(seq: u64) -> ServerMsg {
    ServerMsg::Event {
        board: BoardId(Uuid::from_u128(0xb0)),
        seq,
        at: Millis(1_767_225_600_000),
        by: UserId(Uuid::from_u128(0x1)),
        command_id: Some("c-7f3a9e21".into()),
        event: Event::ItemMoved {
            item: ItemId(Uuid::from_u128(0x1700)),
            column: ColumnId(Uuid::from_u128(0xc01)),
            position: "Vk".into(),
        },
    }
}

/// `SUBSCRIBERS` outboxes, every fourth one speaking JSON, the others
/// MessagePack.
fn subscribers() -> Vec<SessionQueue> {
    (0..SUBSCRIBERS)
        .map(|n| {
            let format = if n % 4 == 0 {
                Format::Json
            } else {
                Format::MsgPack
            };
            SessionQueue::new(SessionId(n as u64), format, QUEUE)
        })
        .collect()
}

fn bench_fanout(c: &mut Criterion) {
    let mut queues = subscribers();
    let mut group = c.benchmark_group("fanout");
    group.throughput(Throughput::Elements(SUBSCRIBERS as u64));
    let mut seq = 0;
    group.bench_function("encode_once_push_1000", |b| {
        b.iter(|| {
            seq += 1;
            let frame = SharedFrame::new(event(seq));
            for SessionQueue { outbox, .. } in &queues {
                outbox
                    .push(frame.frame(outbox.format()))
                    .expect("the queue has room");
            }
            for SessionQueue { receiver, .. } in &mut queues {
                let taken = receiver.try_recv().expect("one frame queued");
                black_box(taken);
            }
        })
    });
    group.bench_function("fanout_publish_1000", |b| {
        // The same queues, as one board's subscribers.
        let mut board = Fanout::for_board(BoardId(Uuid::from_u128(0xb0)));
        for SessionQueue { outbox, .. } in &queues {
            board.attach(outbox.clone(), ()).expect("no limit");
        }
        b.iter(|| {
            seq += 1;
            let published = board.publish(&SharedFrame::new(event(seq)), None);
            assert_eq!(published.delivered, SUBSCRIBERS as u64);
            for SessionQueue { receiver, .. } in &mut queues {
                let taken = receiver.try_recv().expect("one frame queued");
                black_box(taken);
            }
        })
    });
    group.bench_function("encode_per_subscriber_push_1000", |b| {
        // The baseline encode-once saves: every subscriber encodes its own copy.
        b.iter(|| {
            seq += 1;
            let msg = event(seq);
            for SessionQueue { outbox, .. } in &queues {
                outbox.send(&msg).expect("the queue has room");
            }
            for SessionQueue { receiver, .. } in &mut queues {
                let taken = receiver.try_recv().expect("one frame queued");
                black_box(taken);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_fanout);
criterion_main!(benches);
