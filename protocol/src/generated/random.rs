//! Seeded random boards for the conformance fixtures: a tiny deterministic
//! PRNG (SplitMix64, no dependency) drives valid-ish commands through the
//! real [`Board::decide`], so positions come from the real `between` and
//! the fixtures change only when the rules do.

use uuid::Uuid;

use crate::board::{Board, Command, Ctx, Recorded};
use crate::ids::{BoardId, ColumnId, CommentId, ItemId, Millis, OrgId, UserId};
use crate::role::{Role, Roster};

/// SplitMix64: small, fast and the same on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn pick<T: Copy>(&mut self, from: &[T]) -> Option<T> {
        (!from.is_empty()).then(|| from[self.below(from.len())])
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn index(&mut self) -> Option<u32> {
        self.chance(60).then(|| self.below(8) as u32)
    }
}

/// Users 1–4 are members (one of each role, the owner acting most).
pub fn user(n: u128) -> UserId {
    UserId(Uuid::from_u128(
        0x0200_0000_0000_4000_8000_0000_0000_0000 + n,
    ))
}

pub fn roster() -> Roster {
    [
        (user(1), Role::Owner),
        (user(2), Role::Admin),
        (user(3), Role::Member),
        (user(4), Role::Viewer),
    ]
    .into_iter()
    .collect()
}

/// Labels whose UTF-8 byte order differs from JavaScript's UTF-16 order
/// (U+FF5E sorts before U+1F600 in Rust, after its surrogates in JS), plus
/// case and accents.
pub const LABELS: &[&str] = &["bug", "Bug", "é", "e", "\u{FF5E}", "\u{1F600}", "z", "ui"];

const NAMES: &[&str] = &["Todo", "Doing", "Done", "QA", "Later", "Review", "Ideas"];

/// A random command against `board` from `rng`.
pub fn command(rng: &mut Rng, board: &Board) -> Command {
    let columns: Vec<ColumnId> = board.columns.iter().map(|c| c.id).collect();
    let items: Vec<ItemId> = board.items.keys().copied().collect();
    let comments: Vec<CommentId> = board.comments.keys().copied().collect();
    let unknown = Uuid::from_u128(u128::from(rng.next()));
    let column = rng.pick(&columns).unwrap_or(ColumnId(unknown));
    let item = rng.pick(&items).unwrap_or(ItemId(unknown));
    let comment = rng.pick(&comments).unwrap_or(CommentId(unknown));
    let user = user(1 + rng.below(5) as u128);
    let label = LABELS[rng.below(LABELS.len())].to_owned();
    let text = format!("text {}", rng.below(50));
    match rng.below(100) {
        0..=1 => Command::RenameBoard { name: text },
        2..=6 => Command::AddColumn {
            name: NAMES[rng.below(NAMES.len())].to_owned(),
            wip_limit: rng.chance(30).then(|| 1 + rng.below(6) as u32),
            index: rng.index(),
        },
        7..=8 => Command::RenameColumn {
            column,
            name: NAMES[rng.below(NAMES.len())].to_owned(),
        },
        9..=12 => Command::MoveColumn {
            column,
            index: rng.below(8) as u32,
        },
        13 => Command::RemoveColumn { column },
        14..=15 => Command::SetWipLimit {
            column,
            limit: rng.chance(50).then(|| 1 + rng.below(6) as u32),
        },
        16..=29 => Command::CreateItem {
            title: text,
            description: if rng.chance(30) {
                "more".into()
            } else {
                String::new()
            },
            column: rng.chance(80).then_some(column),
            index: rng.index(),
        },
        30..=37 => Command::EditItem {
            item,
            title: rng.chance(60).then(|| text.clone()),
            description: rng.chance(50).then(|| format!("d{}", rng.below(9))),
        },
        42..=61 => Command::MoveItem {
            item,
            column,
            index: rng.index(),
        },
        62..=66 => Command::AssignItem { item, user },
        67..=68 => Command::UnassignItem { item, user },
        69..=75 => Command::AddLabel { item, label },
        76..=77 => Command::RemoveLabel { item, label },
        78..=81 => Command::ArchiveItem { item },
        82..=84 => Command::RestoreItem { item },
        85 => Command::ArchiveBoard,
        86..=88 => Command::RestoreBoard,
        89..=93 => Command::AddComment { item, body: text },
        94..=96 => Command::EditComment {
            comment,
            body: text,
        },
        _ => Command::DeleteComment { comment },
    }
}

/// A created board with three columns, and its log so far.
pub fn created(rng: &mut Rng, board: BoardId, at: Millis) -> (Board, Vec<Recorded>) {
    let members = roster();
    let mut state = Board::new(board);
    let ctx = Ctx {
        actor: user(1),
        role: Role::Owner,
        now: at,
        new_id: Uuid::from_u128(u128::from(rng.next())),
        item_number: None,
        members: &members,
    };
    let columns: Vec<(ColumnId, String)> = ["Todo", "Doing", "Done"]
        .iter()
        .map(|name| {
            (
                ColumnId(Uuid::from_u128(u128::from(rng.next()))),
                (*name).to_owned(),
            )
        })
        .collect();
    let org = OrgId(Uuid::from_u128(0x0a00_0000_0000_4000_8000_0000_0000_0001));
    let events = state.create(&ctx, org, "Random", &columns).unwrap();
    let log = state.record(&ctx, None, events);
    for rec in &log {
        state.apply(rec);
    }
    (state, log)
}

/// Runs random commands against `board` (as random members), applying the
/// accepted ones, until at least `events` events are recorded (or twenty
/// times as many commands were tried); returns the recorded events.
pub fn run(
    rng: &mut Rng,
    board: &mut Board,
    events: usize,
    next_number: &mut u64,
) -> Vec<Recorded> {
    let members = roster();
    let mut log = Vec::new();
    for _ in 0..events * 20 {
        if log.len() >= events {
            break;
        }
        let cmd = command(rng, board);
        // Owner, admin or member: a viewer's commands would all be refused.
        let actor = user(1 + rng.below(3) as u128);
        let role = members.get(&actor).copied().unwrap_or(Role::Viewer);
        let now = Millis(1_767_225_600_000 + 1_000 * (board.seq as i64) + rng.below(1_000) as i64);
        let ctx = Ctx {
            actor,
            role,
            now,
            new_id: Uuid::from_u128(u128::from(rng.next()) << 64 | u128::from(rng.next())),
            item_number: Some(*next_number),
            members: &members,
        };
        let Ok(events) = board.decide(&ctx, &cmd) else {
            continue;
        };
        if cmd.needs_item_number() {
            *next_number += 1;
        }
        let id = format!("c-{}", rng.below(1_000_000));
        let recorded = board.record(&ctx, Some(&id), events);
        for rec in &recorded {
            board.apply(rec);
        }
        log.extend(recorded);
    }
    log
}
