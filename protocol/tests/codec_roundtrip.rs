//! Property: every client and server message, with every command, event and
//! organization event inside, survives encode → decode unchanged in both
//! wire formats; so do persisted events and board snapshots. The unit tests
//! in `src/codec/tests.rs` pin one sample of each; these generate arbitrary
//! field values (any Unicode text, extreme integers, absent options).
//!
//! `strategies_cover_every_variant` keeps the strategies honest: a variant
//! added to an enum (and to its `*_TYPES` list) but not here fails it.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use protocol::codec::{
    decode_board, decode_client, decode_event, decode_server, encode, encode_board, encode_event,
    CLIENT_TYPES, COMMAND_TYPES, EVENT_TYPES, ORG_EVENT_TYPES, SERVER_TYPES,
};
use protocol::org::ORG_REQUEST_TYPES;
use protocol::{
    Board, BoardId, ClientMsg, Column, ColumnId, Command, CommentId, CommentMeta, Cursor, Event,
    Format, InviteId, Item, ItemId, Limits, Member, Millis, OrgEvent, OrgId, OrgRequest,
    PresenceChange, PresenceEntry, PresenceState, Role, ServerMsg, UserId,
};
use serde_json::Value;
use uuid::Uuid;

fn uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

fn board_id() -> impl Strategy<Value = BoardId> {
    uuid().prop_map(BoardId)
}
fn org_id() -> impl Strategy<Value = OrgId> {
    uuid().prop_map(OrgId)
}
fn user_id() -> impl Strategy<Value = UserId> {
    uuid().prop_map(UserId)
}
fn item_id() -> impl Strategy<Value = ItemId> {
    uuid().prop_map(ItemId)
}
fn column_id() -> impl Strategy<Value = ColumnId> {
    uuid().prop_map(ColumnId)
}
fn comment_id() -> impl Strategy<Value = CommentId> {
    uuid().prop_map(CommentId)
}
fn millis() -> impl Strategy<Value = Millis> {
    any::<i64>().prop_map(Millis)
}

/// Any Unicode text, short: the codecs treat every string alike.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..12).prop_map(|chars| chars.into_iter().collect())
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![
        Just(Role::Viewer),
        Just(Role::Member),
        Just(Role::Admin),
        Just(Role::Owner)
    ]
}

fn command() -> impl Strategy<Value = Command> {
    let opt_u32 = || prop::option::of(any::<u32>());
    prop_oneof![
        text().prop_map(|name| Command::RenameBoard { name }),
        (text(), opt_u32(), opt_u32()).prop_map(|(name, wip_limit, index)| Command::AddColumn {
            name,
            wip_limit,
            index
        }),
        (column_id(), text()).prop_map(|(column, name)| Command::RenameColumn { column, name }),
        (column_id(), any::<u32>())
            .prop_map(|(column, index)| Command::MoveColumn { column, index }),
        column_id().prop_map(|column| Command::RemoveColumn { column }),
        (column_id(), opt_u32()).prop_map(|(column, limit)| Command::SetWipLimit { column, limit }),
        (text(), text(), prop::option::of(column_id()), opt_u32()).prop_map(
            |(title, description, column, index)| Command::CreateItem {
                title,
                description,
                column,
                index
            }
        ),
        (
            item_id(),
            prop::option::of(text()),
            prop::option::of(text())
        )
            .prop_map(|(item, title, description)| Command::EditItem {
                item,
                title,
                description
            }),
        (item_id(), column_id(), opt_u32()).prop_map(|(item, column, index)| Command::MoveItem {
            item,
            column,
            index
        }),
        (item_id(), user_id()).prop_map(|(item, user)| Command::AssignItem { item, user }),
        (item_id(), user_id()).prop_map(|(item, user)| Command::UnassignItem { item, user }),
        (item_id(), text()).prop_map(|(item, label)| Command::AddLabel { item, label }),
        (item_id(), text()).prop_map(|(item, label)| Command::RemoveLabel { item, label }),
        item_id().prop_map(|item| Command::ArchiveItem { item }),
        item_id().prop_map(|item| Command::RestoreItem { item }),
        Just(Command::ArchiveBoard),
        Just(Command::RestoreBoard),
        (item_id(), text()).prop_map(|(item, body)| Command::AddComment { item, body }),
        (comment_id(), text()).prop_map(|(comment, body)| Command::EditComment { comment, body }),
        comment_id().prop_map(|comment| Command::DeleteComment { comment }),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    let opt_u32 = || prop::option::of(any::<u32>());
    prop_oneof![
        (org_id(), text()).prop_map(|(org, name)| Event::BoardCreated { org, name }),
        text().prop_map(|name| Event::BoardRenamed { name }),
        (column_id(), text(), text(), opt_u32()).prop_map(|(column, name, position, wip_limit)| {
            Event::ColumnAdded {
                column,
                name,
                position,
                wip_limit,
            }
        }),
        (column_id(), text()).prop_map(|(column, name)| Event::ColumnRenamed { column, name }),
        (column_id(), text())
            .prop_map(|(column, position)| Event::ColumnMoved { column, position }),
        column_id().prop_map(|column| Event::ColumnRemoved { column }),
        (column_id(), opt_u32()).prop_map(|(column, limit)| Event::WipLimitSet { column, limit }),
        (item_id(), any::<u64>(), text(), text(), column_id(), text()).prop_map(
            |(item, number, title, description, column, position)| Event::ItemCreated {
                item,
                number,
                title,
                description,
                column,
                position,
            }
        ),
        (
            item_id(),
            prop::option::of(text()),
            prop::option::of(text())
        )
            .prop_map(|(item, title, description)| Event::ItemEdited {
                item,
                title,
                description
            }),
        (item_id(), column_id(), text()).prop_map(|(item, column, position)| Event::ItemMoved {
            item,
            column,
            position
        }),
        (item_id(), user_id()).prop_map(|(item, user)| Event::ItemAssigned { item, user }),
        (item_id(), user_id()).prop_map(|(item, user)| Event::ItemUnassigned { item, user }),
        (item_id(), text()).prop_map(|(item, label)| Event::LabelAdded { item, label }),
        (item_id(), text()).prop_map(|(item, label)| Event::LabelRemoved { item, label }),
        item_id().prop_map(|item| Event::ItemArchived { item }),
        item_id().prop_map(|item| Event::ItemRestored { item }),
        Just(Event::BoardArchived),
        Just(Event::BoardRestored),
        (comment_id(), item_id(), text()).prop_map(|(comment, item, body)| Event::CommentAdded {
            comment,
            item,
            body
        }),
        (comment_id(), text()).prop_map(|(comment, body)| Event::CommentEdited { comment, body }),
        comment_id().prop_map(|comment| Event::CommentDeleted { comment }),
    ]
}

fn org_event() -> impl Strategy<Value = OrgEvent> {
    prop_oneof![
        (user_id(), role()).prop_map(|(user, role)| OrgEvent::MemberAdded { user, role }),
        (user_id(), role()).prop_map(|(user, role)| OrgEvent::MemberRoleChanged { user, role }),
        user_id().prop_map(|user| OrgEvent::MemberRemoved { user }),
        (board_id(), text()).prop_map(|(board, name)| OrgEvent::BoardCreated { board, name }),
        board_id().prop_map(|board| OrgEvent::BoardArchived { board }),
        board_id().prop_map(|board| OrgEvent::BoardRestored { board }),
        (text(), text(), user_id()).prop_map(|(name, key, owner)| OrgEvent::OrgCreated {
            name,
            key,
            owner
        }),
        text().prop_map(|name| OrgEvent::OrgRenamed { name }),
        Just(OrgEvent::OrgDeleted),
        (uuid(), role(), text(), millis()).prop_map(|(invite, role, token_hash, expires_at)| {
            OrgEvent::InviteCreated {
                invite: InviteId(invite),
                role,
                token_hash,
                expires_at,
            }
        }),
        (uuid(), user_id(), any::<bool>()).prop_map(|(invite, user, joined)| {
            OrgEvent::InviteAccepted {
                invite: InviteId(invite),
                user,
                joined,
            }
        }),
        uuid().prop_map(|invite| OrgEvent::InviteRevoked {
            invite: InviteId(invite)
        }),
    ]
}

fn presence_state() -> impl Strategy<Value = PresenceState> {
    let cursor = (any::<i32>(), any::<i32>()).prop_map(|(x, y)| Cursor { x, y });
    (prop::option::of(item_id()), prop::option::of(cursor))
        .prop_map(|(item, cursor)| PresenceState { item, cursor })
}

fn presence_entry() -> impl Strategy<Value = PresenceEntry> {
    (text(), user_id(), presence_state()).prop_map(|(session, user, state)| PresenceEntry {
        session,
        user,
        state,
    })
}

fn item() -> impl Strategy<Value = Item> {
    let ids = (item_id(), any::<u64>(), column_id(), user_id());
    let texts = (text(), text(), text());
    let sets = (
        prop::collection::btree_set(user_id(), 0..3),
        prop::collection::btree_set(text(), 0..3),
    );
    let rest = (any::<bool>(), millis(), millis());
    (ids, texts, sets, rest).prop_map(
        |(
            (id, number, column, created_by),
            (title, description, position),
            (assignees, labels),
            (archived, created_at, updated_at),
        )| Item {
            id,
            number,
            title,
            description,
            column,
            position,
            assignees,
            labels,
            archived,
            created_by,
            created_at,
            updated_at,
        },
    )
}

/// A board as serde sees it: any field values, consistent or not.
fn board() -> impl Strategy<Value = Board> {
    let column = (column_id(), text(), text(), prop::option::of(any::<u32>())).prop_map(
        |(id, name, position, wip_limit)| Column {
            id,
            name,
            position,
            wip_limit,
        },
    );
    let items = prop::collection::vec(item(), 0..3)
        .prop_map(|items| items.into_iter().map(|it| (it.id, it)).collect());
    let comment = (item_id(), user_id()).prop_map(|(item, author)| CommentMeta { item, author });
    let comments = prop::collection::btree_map(comment_id(), comment, 0..3);
    let head = (board_id(), prop::option::of(org_id()), text(), any::<u64>());
    (
        head,
        prop::collection::vec(column, 0..3),
        items,
        any::<bool>(),
        comments,
    )
        .prop_map(
            |((id, org, name, seq), columns, items, archived, comments): (
                _,
                _,
                BTreeMap<ItemId, Item>,
                _,
                _,
            )| {
                // Built field by field: the board's per-column index is
                // private (derived from `items`, never encoded).
                let mut board = Board::new(id);
                board.org = org;
                board.name = name;
                board.seq = seq;
                board.columns = columns;
                board.items = items;
                board.archived = archived;
                board.comments = comments;
                board
            },
        )
}

/// Rejection details: any JSON value (floats included) but a bare `null`.
/// `details: null` and no `details` are one value on the wire (serde reads
/// `null` into an `Option<Value>` as `None`), so `Some(Value::Null)` cannot
/// round-trip; the server never sends it (`ServerMsg::rejected` gives an
/// object or nothing).
fn details() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        // Floats of at most 13 significant digits: serde_json, built
        // without its `float_roundtrip` feature, may read a longer one
        // back one unit in the last place off (e.g. -1.1734628200115105e-298
        // as …103e-298). No message field is a float; only `details` could
        // carry one, and the server puts none there.
        (any::<i16>(), 0..8i32).prop_map(|(m, e)| Value::from(f64::from(m) / 2f64.powi(e))),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(text(), inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
    .prop_filter("a bare null is no details", |value| !value.is_null())
}

fn org_request() -> impl Strategy<Value = OrgRequest> {
    prop_oneof![
        (user_id(), role()).prop_map(|(user, role)| OrgRequest::AddMember { user, role }),
        (user_id(), role()).prop_map(|(user, role)| OrgRequest::ChangeRole { user, role }),
        user_id().prop_map(|user| OrgRequest::RemoveMember { user }),
        Just(OrgRequest::Leave),
        any::<u128>().prop_map(|n| OrgRequest::RevokeInvite {
            invite: InviteId(Uuid::from_u128(n))
        }),
        text().prop_map(|name| OrgRequest::RenameOrg { name }),
        user_id().prop_map(|to| OrgRequest::TransferOwnership { to }),
        Just(OrgRequest::DeleteOrg),
    ]
}

fn client_msg() -> impl Strategy<Value = ClientMsg> {
    prop_oneof![
        1 => text().prop_map(|token| ClientMsg::Auth { token }),
        1 => (board_id(), prop::option::of(any::<u64>()))
            .prop_map(|(board, since)| ClientMsg::Subscribe { board, since }),
        1 => board_id().prop_map(|board| ClientMsg::Unsubscribe { board }),
        // Weighted so that every command shows up often.
        20 => (text(), board_id(), command())
            .prop_map(|(id, board, command)| ClientMsg::Command { id, board, command }),
        8 => (text(), org_id(), org_request())
            .prop_map(|(id, org, command)| ClientMsg::OrgCommand { id, org, command }),
        1 => org_id().prop_map(|org| ClientMsg::SubscribeOrg { org }),
        1 => org_id().prop_map(|org| ClientMsg::UnsubscribeOrg { org }),
        1 => (board_id(), presence_state())
            .prop_map(|(board, state)| ClientMsg::Presence { board, state }),
        1 => prop::option::of(any::<u64>()).prop_map(|nonce| ClientMsg::Ping { nonce }),
    ]
}

fn server_msg() -> impl Strategy<Value = ServerMsg> {
    let limits = (any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(f, s, i)| Limits {
        max_frame_bytes: f,
        max_subscriptions: s,
        idle_timeout_ms: i,
    });
    let member = (user_id(), role()).prop_map(|(user, role)| Member { user, role });
    let change = prop_oneof![
        Just(PresenceChange::Joined),
        Just(PresenceChange::Updated),
        Just(PresenceChange::Left)
    ];
    prop_oneof![
        1 => (text(), user_id(), limits).prop_map(|(session, user, limits)| ServerMsg::Welcome {
            session,
            user,
            limits
        }),
        1 => (board_id(), any::<u64>(), board(), any::<bool>()).prop_map(
            |(board, seq, state, reset)| ServerMsg::Snapshot {
                board,
                seq,
                state,
                reset
            }
        ),
        // Weighted so that every event shows up often.
        21 => (
            (board_id(), any::<u64>(), millis(), user_id()),
            prop::option::of(text()),
            event()
        )
            .prop_map(|((board, seq, at, by), command_id, event)| ServerMsg::Event {
                board,
                seq,
                at,
                by,
                command_id,
                event,
            }),
        1 => (text(), board_id(), any::<u64>())
            .prop_map(|(id, board, seq)| ServerMsg::Ack { id, board, seq }),
        1 => (text(), org_id(), any::<u64>())
            .prop_map(|(id, org, seq)| ServerMsg::OrgAck { id, org, seq }),
        1 => (text(), text(), text(), any::<bool>(), prop::option::of(details())).prop_map(
            |(id, code, message, retryable, details)| ServerMsg::Rejected {
                id,
                code,
                message,
                retryable,
                details,
            }
        ),
        1 => (board_id(), text()).prop_map(|(board, reason)| ServerMsg::Unsubscribed { board, reason }),
        1 => (text(), text(), prop::option::of(board_id()), prop::option::of(org_id()))
            .prop_map(|(code, message, board, org)| ServerMsg::Error {
                code,
                message,
                board,
                org
            }),
        1 => (
            org_id(),
            text(),
            text(),
            prop::collection::vec(member, 0..4),
            prop::collection::vec(board_id(), 0..4),
        )
            .prop_map(|(org, name, key, members, boards)| ServerMsg::OrgSnapshot {
                org,
                name,
                key,
                members,
                boards,
            }),
        6 => (org_id(), millis(), org_event())
            .prop_map(|(org, at, event)| ServerMsg::OrgEvent { org, at, event }),
        1 => (org_id(), text()).prop_map(|(org, reason)| ServerMsg::OrgUnsubscribed { org, reason }),
        1 => (board_id(), prop::collection::vec(presence_entry(), 0..3))
            .prop_map(|(board, sessions)| ServerMsg::Presence { board, sessions }),
        1 => (board_id(), change, presence_entry()).prop_map(|(board, change, entry)| {
            ServerMsg::PresenceChanged {
                board,
                change,
                entry,
            }
        }),
        1 => prop::option::of(any::<u64>()).prop_map(|nonce| ServerMsg::Pong { nonce }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn client_messages_roundtrip(msg in client_msg()) {
        for format in Format::ALL {
            let bytes = encode(&msg, format);
            prop_assert_eq!(decode_client(&bytes, format), Ok(msg.clone()), "{:?}", format);
        }
    }

    #[test]
    fn server_messages_roundtrip(msg in server_msg()) {
        for format in Format::ALL {
            let bytes = encode(&msg, format);
            prop_assert_eq!(decode_server(&bytes, format), Ok(msg.clone()), "{:?}", format);
        }
    }

    #[test]
    fn rejection_details_roundtrip(details in details()) {
        let msg = ServerMsg::Rejected {
            id: "c-1".into(),
            code: "overloaded".into(),
            message: String::new(),
            retryable: true,
            details: Some(details),
        };
        for format in Format::ALL {
            let bytes = encode(&msg, format);
            prop_assert_eq!(decode_server(&bytes, format), Ok(msg.clone()), "{:?}", format);
        }
    }

    #[test]
    fn persisted_events_and_boards_roundtrip(event in event(), board in board()) {
        prop_assert_eq!(decode_event(&encode_event(&event)), Ok(event));
        prop_assert_eq!(decode_board(&encode_board(&board)), Ok(board));
    }
}

/// The `type` tag a value carries in JSON.
fn tag<T: serde::Serialize>(value: &T, field: Option<&str>) -> String {
    let json = serde_json::to_value(value).unwrap_or_default();
    let inner = field.map_or(&json, |field| &json[field]);
    inner["type"].as_str().unwrap_or_default().to_owned()
}

/// The tags of `samples` draws from `strategy`.
fn tags_drawn<T: std::fmt::Debug>(
    strategy: impl Strategy<Value = T>,
    tag_of: impl Fn(&T) -> Option<String>,
) -> BTreeSet<String> {
    let mut runner = TestRunner::deterministic();
    (0..3000)
        .filter_map(|_| {
            let value = strategy.new_tree(&mut runner).ok()?.current();
            tag_of(&value)
        })
        .collect()
}

fn set(tags: &[&str]) -> BTreeSet<String> {
    tags.iter().map(|tag| (*tag).to_owned()).collect()
}

#[test]
fn strategies_cover_every_variant() {
    let clients = tags_drawn(client_msg(), |msg| Some(msg.kind().to_owned()));
    assert_eq!(clients, set(CLIENT_TYPES));
    let commands = tags_drawn(client_msg(), |msg| match msg {
        ClientMsg::Command { command, .. } => Some(command.name().to_owned()),
        _ => None,
    });
    assert_eq!(commands, set(COMMAND_TYPES));
    let org_requests = tags_drawn(client_msg(), |msg| match msg {
        ClientMsg::OrgCommand { command, .. } => Some(tag(command, None)),
        _ => None,
    });
    assert_eq!(org_requests, set(ORG_REQUEST_TYPES));
    let servers = tags_drawn(server_msg(), |msg| Some(msg.kind().to_owned()));
    assert_eq!(servers, set(SERVER_TYPES));
    let events = tags_drawn(server_msg(), |msg| {
        matches!(msg, ServerMsg::Event { .. }).then(|| tag(msg, Some("event")))
    });
    assert_eq!(events, set(EVENT_TYPES));
    let org_events = tags_drawn(server_msg(), |msg| {
        matches!(msg, ServerMsg::OrgEvent { .. }).then(|| tag(msg, Some("event")))
    });
    assert_eq!(org_events, set(ORG_EVENT_TYPES));
    assert_eq!(
        tags_drawn(event(), |e| Some(tag(e, None))),
        set(EVENT_TYPES)
    );
}
