//! Fixed sample values shared by the tests: one instance of every event,
//! command, client and server message, with stable UUIDs, so golden bytes
//! and the examples in `PROTOCOL.md` never depend on randomness.

use std::collections::BTreeSet;

use uuid::Uuid;

use crate::board::{Board, Column, Command, Event, Item, Rejection};
use crate::ids::{BoardId, ColumnId, CommentId, InviteId, ItemId, Millis, OrgId, UserId};
use crate::org::{Member, OrgEvent, OrgRequest};
use crate::presence::{Cursor, PresenceChange, PresenceEntry, PresenceState};
use crate::role::Role;
use crate::wire::{ClientMsg, Limits, ServerMsg};

pub const BOARD: BoardId = BoardId(Uuid::from_u128(0x0b0a_0000_0000_4000_8000_0000_0000_0001));
pub const ORG: OrgId = OrgId(Uuid::from_u128(0x0a00_0000_0000_4000_8000_0000_0000_0001));
pub const TODO: ColumnId = ColumnId(Uuid::from_u128(0x0c00_0000_0000_4000_8000_0000_0000_0001));
pub const DONE: ColumnId = ColumnId(Uuid::from_u128(0x0c00_0000_0000_4000_8000_0000_0000_0002));
pub const ITEM: ItemId = ItemId(Uuid::from_u128(0x01e0_0000_0000_4000_8000_0000_0000_0001));
pub const USER: UserId = UserId(Uuid::from_u128(0x0200_0000_0000_4000_8000_0000_0000_0001));
pub const AT: Millis = Millis(1_767_225_600_000);
/// A second board of [`ORG`].
pub const BOARD_2: BoardId = BoardId(Uuid::from_u128(0x0b0a_0000_0000_4000_8000_0000_0000_0002));
/// A second user.
pub const USER_2: UserId = UserId(Uuid::from_u128(0x0200_0000_0000_4000_8000_0000_0000_0002));
/// An invitation of the samples.
pub const INVITE: InviteId = InviteId(Uuid::from_u128(0x0e1e_0000_0000_4000_8000_0000_0000_0001));
/// A comment on [`ITEM`].
pub const COMMENT: CommentId =
    CommentId(Uuid::from_u128(0x0c0e_0000_0000_4000_8000_0000_0000_0001));

/// One instance of every [`Event`] variant, in declaration order.
pub fn events() -> Vec<Event> {
    vec![
        Event::BoardCreated {
            org: ORG,
            name: "Roadmap".into(),
        },
        Event::BoardRenamed {
            name: "Roadmap 2026".into(),
        },
        Event::ColumnAdded {
            column: TODO,
            name: "To do".into(),
            position: "V".into(),
            wip_limit: Some(5),
        },
        Event::ColumnRenamed {
            column: TODO,
            name: "Next".into(),
        },
        Event::ColumnMoved {
            column: TODO,
            position: "U".into(),
        },
        Event::ColumnRemoved { column: DONE },
        Event::WipLimitSet {
            column: TODO,
            limit: None,
        },
        Event::ItemCreated {
            item: ITEM,
            number: 123,
            title: "Write the spec".into(),
            description: "".into(),
            column: TODO,
            position: "V".into(),
        },
        Event::ItemEdited {
            item: ITEM,
            title: Some("Write the protocol spec".into()),
            description: None,
        },
        Event::ItemMoved {
            item: ITEM,
            column: DONE,
            position: "V".into(),
        },
        Event::ItemAssigned {
            item: ITEM,
            user: USER,
        },
        Event::ItemUnassigned {
            item: ITEM,
            user: USER,
        },
        Event::LabelAdded {
            item: ITEM,
            label: "docs".into(),
        },
        Event::LabelRemoved {
            item: ITEM,
            label: "docs".into(),
        },
        Event::ItemArchived { item: ITEM },
        Event::ItemRestored { item: ITEM },
        Event::BoardArchived,
        Event::BoardRestored,
        Event::CommentAdded {
            comment: COMMENT,
            item: ITEM,
            body: "Draft is in the wiki.".into(),
        },
        Event::CommentEdited {
            comment: COMMENT,
            body: "Draft is in the wiki, section 2.".into(),
        },
        Event::CommentDeleted { comment: COMMENT },
    ]
}

/// One instance of every [`Command`] variant, in declaration order.
pub fn commands() -> Vec<Command> {
    vec![
        Command::RenameBoard {
            name: "Roadmap 2026".into(),
        },
        Command::AddColumn {
            name: "Done".into(),
            wip_limit: None,
            index: None,
        },
        Command::RenameColumn {
            column: TODO,
            name: "Next".into(),
        },
        Command::MoveColumn {
            column: TODO,
            index: 1,
        },
        Command::RemoveColumn { column: DONE },
        Command::SetWipLimit {
            column: TODO,
            limit: Some(3),
        },
        Command::CreateItem {
            title: "Write the spec".into(),
            description: "".into(),
            column: Some(TODO),
            index: Some(0),
        },
        Command::EditItem {
            item: ITEM,
            title: Some("Write the protocol spec".into()),
            description: None,
        },
        Command::MoveItem {
            item: ITEM,
            column: DONE,
            index: None,
        },
        Command::AssignItem {
            item: ITEM,
            user: USER,
        },
        Command::UnassignItem {
            item: ITEM,
            user: USER,
        },
        Command::AddLabel {
            item: ITEM,
            label: "docs".into(),
        },
        Command::RemoveLabel {
            item: ITEM,
            label: "docs".into(),
        },
        Command::ArchiveItem { item: ITEM },
        Command::RestoreItem { item: ITEM },
        Command::ArchiveBoard,
        Command::RestoreBoard,
        Command::AddComment {
            item: ITEM,
            body: "Draft is in the wiki.".into(),
        },
        Command::EditComment {
            comment: COMMENT,
            body: "Draft is in the wiki, section 2.".into(),
        },
        Command::DeleteComment { comment: COMMENT },
    ]
}

/// A small board: one column holding one item.
pub fn board() -> Board {
    let mut items = std::collections::BTreeMap::new();
    items.insert(
        ITEM,
        Item {
            id: ITEM,
            number: 123,
            title: "Write the spec".into(),
            description: "".into(),
            column: TODO,
            position: "V".into(),
            assignees: BTreeSet::from([USER]),
            labels: BTreeSet::from(["docs".to_owned()]),
            archived: false,
            created_by: USER,
            created_at: AT,
            updated_at: AT,
        },
    );
    Board {
        id: BOARD,
        org: Some(ORG),
        name: "Roadmap".into(),
        seq: 4,
        columns: vec![Column {
            id: TODO,
            name: "To do".into(),
            position: "V".into(),
            wip_limit: None,
        }],
        items,
        archived: false,
        comments: std::collections::BTreeMap::new(),
        by_column: Default::default(),
    }
}

/// One instance of every [`OrgEvent`] variant, in declaration order.
pub fn org_events() -> Vec<OrgEvent> {
    vec![
        OrgEvent::MemberAdded {
            user: USER_2,
            role: Role::Member,
        },
        OrgEvent::MemberRoleChanged {
            user: USER_2,
            role: Role::Admin,
        },
        OrgEvent::MemberRemoved { user: USER_2 },
        OrgEvent::BoardCreated {
            board: BOARD_2,
            name: "Hiring".into(),
        },
        OrgEvent::BoardArchived { board: BOARD_2 },
        OrgEvent::BoardRestored { board: BOARD_2 },
        OrgEvent::OrgCreated {
            name: "Design Studio".into(),
            key: "DS".into(),
            owner: USER,
        },
        OrgEvent::OrgRenamed {
            name: "Design Studio Ltd".into(),
        },
        OrgEvent::OrgDeleted,
        OrgEvent::InviteCreated {
            invite: INVITE,
            role: Role::Member,
            token_hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
            expires_at: Millis(1_767_225_600_000),
        },
        OrgEvent::InviteAccepted {
            invite: INVITE,
            user: USER_2,
            joined: true,
        },
        OrgEvent::InviteRevoked { invite: INVITE },
    ]
}

/// One instance of every [`ClientMsg`] variant, in declaration order.
pub fn client_msgs() -> Vec<ClientMsg> {
    vec![
        ClientMsg::Auth {
            token: "eyJhbGciOi...".into(),
        },
        ClientMsg::Subscribe {
            board: BOARD,
            since: Some(41),
        },
        ClientMsg::Unsubscribe { board: BOARD },
        ClientMsg::Command {
            id: "c-17".into(),
            board: BOARD,
            command: Command::MoveItem {
                item: ITEM,
                column: DONE,
                index: Some(0),
            },
        },
        ClientMsg::OrgCommand {
            id: "c-19".into(),
            org: ORG,
            command: OrgRequest::ChangeRole {
                user: USER_2,
                role: Role::Admin,
            },
        },
        ClientMsg::SubscribeOrg { org: ORG },
        ClientMsg::UnsubscribeOrg { org: ORG },
        ClientMsg::Presence {
            board: BOARD,
            state: PresenceState {
                item: Some(ITEM),
                cursor: Some(Cursor { x: 120, y: -4 }),
            },
        },
        ClientMsg::Ping { nonce: Some(7) },
    ]
}

/// What the server says about `{"type":"subscrbe"}`: checked against the
/// real decoder by `codec::tests`.
pub const UNKNOWN_TYPE_MESSAGE: &str = "unknown type: unknown variant `subscrbe`, expected one of `auth`, `subscribe`, `unsubscribe`, `command`, `org_command`, `subscribe_org`, `unsubscribe_org`, `presence`, `ping`";

/// One instance of every [`ServerMsg`] variant, in declaration order.
pub fn server_msgs() -> Vec<ServerMsg> {
    vec![
        ServerMsg::Welcome {
            session: "s-1".into(),
            user: USER,
            limits: Limits {
                max_frame_bytes: 65_536,
                max_subscriptions: 64,
                idle_timeout_ms: 60_000,
            },
        },
        ServerMsg::Snapshot {
            board: BOARD,
            seq: 4,
            state: board(),
            reset: false,
        },
        ServerMsg::Event {
            board: BOARD,
            seq: 42,
            at: AT,
            by: USER,
            command_id: Some("c-17".into()),
            event: Event::ItemMoved {
                item: ITEM,
                column: DONE,
                position: "V".into(),
            },
        },
        ServerMsg::Ack {
            id: "c-17".into(),
            board: BOARD,
            seq: 42,
        },
        ServerMsg::OrgAck {
            id: "c-19".into(),
            org: ORG,
            seq: 7,
        },
        ServerMsg::rejected(
            "c-18",
            &Rejection::WipLimitReached {
                column: DONE,
                limit: 3,
            },
        ),
        ServerMsg::Unsubscribed {
            board: BOARD,
            reason: "access_lost".into(),
        },
        ServerMsg::Error {
            code: "unknown_type".into(),
            message: UNKNOWN_TYPE_MESSAGE.into(),
            board: None,
            org: None,
        },
        ServerMsg::OrgSnapshot {
            org: ORG,
            name: "Design Studio".into(),
            key: "DS".into(),
            members: vec![
                Member {
                    user: USER,
                    role: Role::Owner,
                },
                Member {
                    user: USER_2,
                    role: Role::Member,
                },
            ],
            boards: vec![BOARD, BOARD_2],
        },
        ServerMsg::OrgEvent {
            org: ORG,
            at: AT,
            event: OrgEvent::MemberAdded {
                user: USER_2,
                role: Role::Member,
            },
        },
        ServerMsg::OrgUnsubscribed {
            org: ORG,
            reason: "requested".into(),
        },
        ServerMsg::Presence {
            board: BOARD,
            sessions: vec![PresenceEntry {
                session: "s7".into(),
                user: USER,
                state: PresenceState {
                    item: Some(ITEM),
                    cursor: None,
                },
            }],
        },
        ServerMsg::PresenceChanged {
            board: BOARD,
            change: PresenceChange::Joined,
            entry: PresenceEntry {
                session: "s8".into(),
                user: USER_2,
                state: PresenceState::default(),
            },
        },
        ServerMsg::Pong { nonce: Some(7) },
    ]
}

/// The declaration index of an event variant. The exhaustive match makes a
/// new variant a compile error here until it gets a sample (and a golden
/// encoding).
pub fn event_index(event: &Event) -> usize {
    match event {
        Event::BoardCreated { .. } => 0,
        Event::BoardRenamed { .. } => 1,
        Event::ColumnAdded { .. } => 2,
        Event::ColumnRenamed { .. } => 3,
        Event::ColumnMoved { .. } => 4,
        Event::ColumnRemoved { .. } => 5,
        Event::WipLimitSet { .. } => 6,
        Event::ItemCreated { .. } => 7,
        Event::ItemEdited { .. } => 8,
        Event::ItemMoved { .. } => 9,
        Event::ItemAssigned { .. } => 10,
        Event::ItemUnassigned { .. } => 11,
        Event::LabelAdded { .. } => 12,
        Event::LabelRemoved { .. } => 13,
        Event::ItemArchived { .. } => 14,
        Event::ItemRestored { .. } => 15,
        Event::BoardArchived => 16,
        Event::BoardRestored => 17,
        Event::CommentAdded { .. } => 18,
        Event::CommentEdited { .. } => 19,
        Event::CommentDeleted { .. } => 20,
    }
}

/// The declaration index of a server message variant (see [`event_index`]).
pub fn server_msg_index(msg: &ServerMsg) -> usize {
    match msg {
        ServerMsg::Welcome { .. } => 0,
        ServerMsg::Snapshot { .. } => 1,
        ServerMsg::Event { .. } => 2,
        ServerMsg::Ack { .. } => 3,
        ServerMsg::OrgAck { .. } => 4,
        ServerMsg::Rejected { .. } => 5,
        ServerMsg::Unsubscribed { .. } => 6,
        ServerMsg::Error { .. } => 7,
        ServerMsg::OrgSnapshot { .. } => 8,
        ServerMsg::OrgEvent { .. } => 9,
        ServerMsg::OrgUnsubscribed { .. } => 10,
        ServerMsg::Presence { .. } => 11,
        ServerMsg::PresenceChanged { .. } => 12,
        ServerMsg::Pong { .. } => 13,
    }
}

/// The declaration index of a client message variant (see [`event_index`]).
pub fn client_msg_index(msg: &ClientMsg) -> usize {
    match msg {
        ClientMsg::Auth { .. } => 0,
        ClientMsg::Subscribe { .. } => 1,
        ClientMsg::Unsubscribe { .. } => 2,
        ClientMsg::Command { .. } => 3,
        ClientMsg::OrgCommand { .. } => 4,
        ClientMsg::SubscribeOrg { .. } => 5,
        ClientMsg::UnsubscribeOrg { .. } => 6,
        ClientMsg::Presence { .. } => 7,
        ClientMsg::Ping { .. } => 8,
    }
}

/// The declaration index of an organization event variant (see
/// [`event_index`]).
pub fn org_event_index(event: &OrgEvent) -> usize {
    match event {
        OrgEvent::MemberAdded { .. } => 0,
        OrgEvent::MemberRoleChanged { .. } => 1,
        OrgEvent::MemberRemoved { .. } => 2,
        OrgEvent::BoardCreated { .. } => 3,
        OrgEvent::BoardArchived { .. } => 4,
        OrgEvent::BoardRestored { .. } => 5,
        OrgEvent::OrgCreated { .. } => 6,
        OrgEvent::OrgRenamed { .. } => 7,
        OrgEvent::OrgDeleted => 8,
        OrgEvent::InviteCreated { .. } => 9,
        OrgEvent::InviteAccepted { .. } => 10,
        OrgEvent::InviteRevoked { .. } => 11,
    }
}

/// The declaration index of a command variant (see [`event_index`]).
pub fn command_index(command: &Command) -> usize {
    match command {
        Command::RenameBoard { .. } => 0,
        Command::AddColumn { .. } => 1,
        Command::RenameColumn { .. } => 2,
        Command::MoveColumn { .. } => 3,
        Command::RemoveColumn { .. } => 4,
        Command::SetWipLimit { .. } => 5,
        Command::CreateItem { .. } => 6,
        Command::EditItem { .. } => 7,
        Command::MoveItem { .. } => 8,
        Command::AssignItem { .. } => 9,
        Command::UnassignItem { .. } => 10,
        Command::AddLabel { .. } => 11,
        Command::RemoveLabel { .. } => 12,
        Command::ArchiveItem { .. } => 13,
        Command::RestoreItem { .. } => 14,
        Command::ArchiveBoard => 15,
        Command::RestoreBoard => 16,
        Command::AddComment { .. } => 17,
        Command::EditComment { .. } => 18,
        Command::DeleteComment { .. } => 19,
    }
}

#[test]
fn samples_cover_every_variant_once() {
    let indexes: Vec<usize> = events().iter().map(event_index).collect();
    assert_eq!(indexes, (0..21).collect::<Vec<_>>());
    let indexes: Vec<usize> = server_msgs().iter().map(server_msg_index).collect();
    assert_eq!(indexes, (0..14).collect::<Vec<_>>());
    let indexes: Vec<usize> = client_msgs().iter().map(client_msg_index).collect();
    assert_eq!(indexes, (0..9).collect::<Vec<_>>());
    let indexes: Vec<usize> = commands().iter().map(command_index).collect();
    assert_eq!(indexes, (0..20).collect::<Vec<_>>());
    let names: BTreeSet<&str> = commands().iter().map(Command::name).collect();
    assert_eq!(names.len(), 20);
    let indexes: Vec<usize> = org_events().iter().map(org_event_index).collect();
    assert_eq!(indexes, (0..12).collect::<Vec<_>>());
}
