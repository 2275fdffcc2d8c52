//! Codec micro-benchmarks: encoding and decoding, in JSON and MessagePack,
//! of the two messages that dominate traffic — a board event going out to
//! subscribers and a command coming in from a client.
//!
//! Run with `cargo bench -p protocol --bench codec`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use protocol::codec::{decode_client, decode_server, encode};
use protocol::{
    BoardId, ClientMsg, ColumnId, Command, Event, Format, ItemId, Millis, ServerMsg, UserId,
};
use uuid::Uuid;

const BOARD: BoardId = BoardId(Uuid::from_u128(0x0b0a_0000_0000_4000_8000_0000_0000_0001));
const TODO: ColumnId = ColumnId(Uuid::from_u128(0x0c00_0000_0000_4000_8000_0000_0000_0001));
const ITEM: ItemId = ItemId(Uuid::from_u128(0x01e0_0000_0000_4000_8000_0000_0000_0001));
const USER: UserId = UserId(Uuid::from_u128(0x0200_0000_0000_4000_8000_0000_0000_0001));

/// A typical live event: an item created by a client command.
fn event() -> ServerMsg {
    ServerMsg::Event {
        board: BOARD,
        seq: 4_217,
        at: Millis(1_767_225_600_000),
        by: USER,
        command_id: Some("c-7f3a9e21".into()),
        event: Event::ItemCreated {
            item: ITEM,
            number: 1_234,
            title: "Write the release notes for the next version".into(),
            description: "Cover the new search and the WebSocket limits.".into(),
            column: TODO,
            position: "Vk".into(),
        },
    }
}

/// A typical command: move an item to another column.
fn command() -> ClientMsg {
    ClientMsg::Command {
        id: "c-7f3a9e21".into(),
        board: BOARD,
        command: Command::MoveItem {
            item: ITEM,
            column: TODO,
            index: Some(3),
        },
    }
}

fn formats() -> [(&'static str, Format); 2] {
    [("json", Format::Json), ("msgpack", Format::MsgPack)]
}

fn bench_event(c: &mut Criterion) {
    let msg = event();
    let mut group = c.benchmark_group("event");
    for (name, format) in formats() {
        let bytes = encode(&msg, format);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(format!("encode/{name}"), |b| {
            b.iter(|| encode(black_box(&msg), format))
        });
        group.bench_function(format!("decode/{name}"), |b| {
            b.iter(|| decode_server(black_box(&bytes), format).expect("decodes"))
        });
    }
    group.finish();
}

fn bench_command(c: &mut Criterion) {
    let msg = command();
    let mut group = c.benchmark_group("command");
    for (name, format) in formats() {
        let bytes = encode(&msg, format);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(format!("encode/{name}"), |b| {
            b.iter(|| encode(black_box(&msg), format))
        });
        group.bench_function(format!("decode/{name}"), |b| {
            b.iter(|| decode_client(black_box(&bytes), format).expect("decodes"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_event, bench_command);
criterion_main!(benches);
