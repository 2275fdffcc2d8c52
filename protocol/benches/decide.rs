//! Board rule micro-benchmarks: deciding and applying typical commands on a
//! board that already holds 1,000 items (the board actor's per-command CPU,
//! storage aside).
//!
//! Run with `cargo bench -p protocol --bench decide`.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use protocol::{
    Board, BoardId, ColumnId, Command, Ctx, ItemId, Millis, OrgId, Role, Roster, UserId,
};
use uuid::Uuid;

const BOARD: BoardId = BoardId(Uuid::from_u128(0xb0));
const ORG: OrgId = OrgId(Uuid::from_u128(0x0a));
const OWNER: UserId = UserId(Uuid::from_u128(0x1));
/// Items on the board before each measured command.
const ITEMS: u128 = 1_000;
/// Columns the items are spread over.
const COLUMNS: u128 = 4;

fn column(n: u128) -> ColumnId {
    ColumnId(Uuid::from_u128(0xc00 + n))
}

fn item(n: u128) -> ItemId {
    ItemId(Uuid::from_u128(0x1_0000 + n))
}

fn ctx(members: &Roster, new_id: u128, number: u64) -> Ctx<'_> {
    Ctx {
        actor: OWNER,
        role: Role::Owner,
        now: Millis(1_767_225_600_000),
        new_id: Uuid::from_u128(new_id),
        item_number: Some(number),
        members,
    }
}

/// Decide, record and apply `command`; panics if it is refused (the
/// benchmark would otherwise measure the wrong path).
fn run(board: &mut Board, ctx: &Ctx, command: &Command) {
    let events = board.decide(ctx, command).expect("the command is accepted");
    for rec in board.record(ctx, Some("c-1"), events) {
        board.apply(&rec);
    }
}

/// A board with [`COLUMNS`] columns and [`ITEMS`] items spread over them.
fn board(members: &Roster) -> Board {
    let mut board = Board::new(BOARD);
    let columns: Vec<(ColumnId, String)> = (0..COLUMNS)
        .map(|n| (column(n), format!("Column {n}")))
        .collect();
    let events = board
        .create(&ctx(members, 0, 0), ORG, "Bench", &columns)
        .expect("the board is created");
    for rec in board.record(&ctx(members, 0, 0), None, events) {
        board.apply(&rec);
    }
    for n in 0..ITEMS {
        let create = Command::CreateItem {
            title: format!("Item number {n}"),
            description: "A description of moderate length.".into(),
            column: Some(column(n % COLUMNS)),
            index: None,
        };
        run(
            &mut board,
            &ctx(members, 0x1_0000 + n, n as u64 + 1),
            &create,
        );
    }
    board
}

fn bench_decide_apply(c: &mut Criterion) {
    let members = Roster::from([(OWNER, Role::Owner)]);
    let full = board(&members);
    let mut group = c.benchmark_group("board_1000_items");

    let create = Command::CreateItem {
        title: "One more item".into(),
        description: String::new(),
        column: Some(column(0)),
        index: Some(10),
    };
    group.bench_function("decide/create_item", |b| {
        let ctx = ctx(&members, 0xffff_ffff, 5_000);
        b.iter(|| black_box(&full).decide(&ctx, black_box(&create)))
    });
    // Appending (no index), what the app and most clients send: the key
    // after the column's last item.
    let append = Command::CreateItem {
        title: "One more item".into(),
        description: String::new(),
        column: Some(column(0)),
        index: None,
    };
    group.bench_function("decide/create_item_append", |b| {
        let ctx = ctx(&members, 0xffff_ffff, 5_000);
        b.iter(|| black_box(&full).decide(&ctx, black_box(&append)))
    });
    group.bench_function("decide_apply/create_item", |b| {
        let ctx = ctx(&members, 0xffff_ffff, 5_000);
        b.iter_batched_ref(
            || full.clone(),
            |board| run(board, &ctx, &create),
            BatchSize::LargeInput,
        )
    });

    let mut board = full.clone();
    let mut flip = false;
    group.bench_function("decide_apply/edit_item", |b| {
        let ctx = ctx(&members, 0xffff_ffff, 0);
        b.iter(|| {
            flip = !flip;
            let title = if flip { "Renamed" } else { "Renamed again" };
            let edit = Command::EditItem {
                item: item(500),
                title: Some(title.into()),
                description: None,
            };
            run(&mut board, &ctx, &edit)
        })
    });

    let mut board = full.clone();
    let mut k = 0u128;
    group.bench_function("decide_apply/move_item", |b| {
        let ctx = ctx(&members, 0xffff_ffff, 0);
        b.iter(|| {
            // Move items around within the middle of their columns, so
            // positions stay short.
            k += 1;
            let moved = Command::MoveItem {
                item: item(k % ITEMS),
                column: column((k + 1) % COLUMNS),
                index: Some(((k * 7) % 200) as u32),
            };
            run(&mut board, &ctx, &moved)
        })
    });
    group.finish();
}

criterion_group!(benches, bench_decide_apply);
criterion_main!(benches);
