// Generated from the Rust definitions in protocol/ by `cargo test -p protocol`; do not edit.
// Regenerate: CORKBOARD_BLESS=1 cargo test -p protocol generated
/* eslint-disable */

/**
 * A board.
 *
 * The `Default` value is the nil UUID (all zero bits).
 */
export type BoardId = string;

/**
 * An organization (tenant).
 *
 * The `Default` value is the nil UUID (all zero bits).
 */
export type OrgId = string;

/**
 * A user account.
 *
 * The `Default` value is the nil UUID (all zero bits).
 */
export type UserId = string;

/**
 * A work item (card).
 *
 * The `Default` value is the nil UUID (all zero bits).
 */
export type ItemId = string;

/**
 * A column of a board.
 *
 * The `Default` value is the nil UUID (all zero bits).
 */
export type ColumnId = string;

/**
 * A comment on an item.
 *
 * The `Default` value is the nil UUID (all zero bits).
 */
export type CommentId = string;

/**
 * An invitation to join an organization.
 *
 * The `Default` value is the nil UUID (all zero bits).
 */
export type InviteId = string;

/**
 * Milliseconds since the Unix epoch. The core never reads a clock: the
 * caller passes `now` in [`crate::Ctx`].
 */
export type Millis = number;

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]: JsonValue } | null;

/**
 * A member's role in an organization, from most to least powerful.
 */
export type Role = "viewer" | "member" | "admin" | "owner";

/**
 * A column. Columns are ordered by `(position, id)`.
 */
export type Column = {
/**
 * The column's id.
 */
id: ColumnId,
/**
 * Its name, unique on the board ignoring case.
 */
name: string,
/**
 * Its fractional position key among the columns.
 */
position: string,
/**
 * Its work-in-progress limit: the most non-archived items it may hold
 * when items are added (a lowered limit does not evict anything).
 */
wip_limit: number | null, };

/**
 * A work item. Within a column, items are ordered by `(position, id)`.
 */
export type Item = {
/**
 * The item's id.
 */
id: ItemId,
/**
 * Its organization-wide number (`DS-123` has number 123).
 */
number: number,
/**
 * Its title.
 */
title: string,
/**
 * Its description.
 */
description: string,
/**
 * The column holding it (archived items keep theirs).
 */
column: ColumnId,
/**
 * Its fractional position key within the column.
 */
position: string,
/**
 * Assigned members.
 */
assignees: Array<UserId>,
/**
 * Labels.
 */
labels: Array<string>,
/**
 * Whether it is archived.
 */
archived: boolean,
/**
 * Who created it.
 */
created_by: UserId,
/**
 * When it was created.
 */
created_at: Millis,
/**
 * When it last changed.
 */
updated_at: Millis, };

/**
 * What `decide` needs to know about a comment: its item and its author.
 * The body is not kept in the board (it lives in the log and in the
 * `comments` read model), so comments do not make live boards large.
 */
export type CommentMeta = {
/**
 * The item commented on.
 */
item: ItemId,
/**
 * Who wrote it: the only one who may edit or delete it.
 */
author: UserId, };

/**
 * A board: its columns and items, and the seq of the last applied event.
 * `org` is `None` until `BoardCreated` is applied.
 */
export type Board = {
/**
 * The board's id.
 */
id: BoardId,
/**
 * The owning organization; `None` until the board is created.
 */
org: OrgId | null,
/**
 * The board's name.
 */
name: string,
/**
 * The seq of the last applied event (0 for a new board).
 */
seq: number,
/**
 * The columns, kept sorted by `(position, id)`.
 */
columns: Array<Column>,
/**
 * Every item, archived ones included, by id.
 */
items: { [key in ItemId]: Item },
/**
 * Whether the board is archived (read-only).
 */
archived: boolean,
/**
 * The comments on its items, by id (metadata only). Absent from the
 * encoding when empty, so snapshots without comments keep their bytes.
 */
comments?: { [key in CommentId]: CommentMeta }, };

/**
 * A fact about a board. Positions are fractional-index keys (see
 * [`crate::position`]): sorting items of a column by `(position, id)` gives
 * every client the same order, and each event is self-contained, so a
 * projection never needs the rest of the board to apply it.
 */
export type Event = { "type": "board_created",
/**
 * The owning organization.
 */
org: OrgId,
/**
 * The board's name (trimmed).
 */
name: string, } | { "type": "board_renamed",
/**
 * The new name.
 */
name: string, } | { "type": "column_added",
/**
 * The new column's id.
 */
column: ColumnId,
/**
 * Its name.
 */
name: string,
/**
 * Its position key among the columns.
 */
position: string,
/**
 * Its work-in-progress limit, if any.
 */
wip_limit: number | null, } | { "type": "column_renamed",
/**
 * The column.
 */
column: ColumnId,
/**
 * The new name.
 */
name: string, } | { "type": "column_moved",
/**
 * The column.
 */
column: ColumnId,
/**
 * Its new position key.
 */
position: string, } | { "type": "column_removed",
/**
 * The column.
 */
column: ColumnId, } | { "type": "wip_limit_set",
/**
 * The column.
 */
column: ColumnId,
/**
 * The new limit.
 */
limit: number | null, } | { "type": "item_created",
/**
 * The new item's id.
 */
item: ItemId,
/**
 * Its organization-wide number (`DS-123` has number 123).
 */
number: number,
/**
 * Its title (trimmed).
 */
title: string,
/**
 * Its description (as written).
 */
description: string,
/**
 * The column it was created in.
 */
column: ColumnId,
/**
 * Its position key within that column.
 */
position: string, } | { "type": "item_edited",
/**
 * The item.
 */
item: ItemId,
/**
 * The new title, when it changed.
 */
title: string | null,
/**
 * The new description, when it changed.
 */
description: string | null, } | { "type": "item_moved",
/**
 * The item.
 */
item: ItemId,
/**
 * The column it is in now.
 */
column: ColumnId,
/**
 * Its new position key within that column.
 */
position: string, } | { "type": "item_assigned",
/**
 * The item.
 */
item: ItemId,
/**
 * The assignee.
 */
user: UserId, } | { "type": "item_unassigned",
/**
 * The item.
 */
item: ItemId,
/**
 * The former assignee.
 */
user: UserId, } | { "type": "label_added",
/**
 * The item.
 */
item: ItemId,
/**
 * The label (trimmed).
 */
label: string, } | { "type": "label_removed",
/**
 * The item.
 */
item: ItemId,
/**
 * The label.
 */
label: string, } | { "type": "item_archived",
/**
 * The item.
 */
item: ItemId, } | { "type": "item_restored",
/**
 * The item.
 */
item: ItemId, } | { "type": "board_archived" } | { "type": "board_restored" } | { "type": "comment_added",
/**
 * The new comment's id.
 */
comment: CommentId,
/**
 * The item commented on.
 */
item: ItemId,
/**
 * The text, as written.
 */
body: string, } | { "type": "comment_edited",
/**
 * The comment.
 */
comment: CommentId,
/**
 * The new text.
 */
body: string, } | { "type": "comment_deleted",
/**
 * The comment.
 */
comment: CommentId, };

/**
 * An event as recorded in a board's log: its place in the total order, who
 * caused it, when, and under which client command id.
 */
export type Recorded = {
/**
 * The board whose log holds the event.
 */
board: BoardId,
/**
 * The event's place in the board's log: 1 for `BoardCreated`, then
 * exactly one more per event.
 */
seq: number,
/**
 * When the command was decided.
 */
at: Millis,
/**
 * Who issued the command.
 */
by: UserId,
/**
 * The client's command id, when the event came from a client command.
 */
command_id?: string,
/**
 * The fact itself.
 */
event: Event, };

/**
 * A command against one board. Creating a board is an organization-level
 * operation ([`crate::Board::create`]), so it is not a variant here.
 */
export type Command = { "type": "rename_board",
/**
 * The new name: 1–100 characters after trimming.
 */
name: string, } | { "type": "add_column",
/**
 * The column's name: 1–50 characters, unique ignoring case.
 */
name: string,
/**
 * Its WIP limit (at least 1), or none.
 */
wip_limit?: number,
/**
 * Where to put it among the existing columns; the end when absent
 * or out of range.
 */
index?: number, } | { "type": "rename_column",
/**
 * The column.
 */
column: ColumnId,
/**
 * The new name: 1–50 characters, unique ignoring case.
 */
name: string, } | { "type": "move_column",
/**
 * The column.
 */
column: ColumnId,
/**
 * The target index among the other columns (out of range = end).
 */
index: number, } | { "type": "remove_column",
/**
 * The column; it must hold no item, archived ones included.
 */
column: ColumnId, } | { "type": "set_wip_limit",
/**
 * The column.
 */
column: ColumnId,
/**
 * The new limit (at least 1), or `null` to clear it.
 */
limit: number | null, } | { "type": "create_item",
/**
 * The title: 1–500 characters after trimming, on one line.
 */
title: string,
/**
 * The description: up to 64 KiB of text.
 */
description?: string,
/**
 * The column; the first column when absent.
 */
column?: ColumnId,
/**
 * The index among the column's items; the end when absent.
 */
index?: number, } | { "type": "edit_item",
/**
 * The item.
 */
item: ItemId,
/**
 * The new title, if it changes.
 */
title?: string,
/**
 * The new description, if it changes.
 */
description?: string, } | { "type": "move_item",
/**
 * The item.
 */
item: ItemId,
/**
 * The target column (may be the item's own column).
 */
column: ColumnId,
/**
 * The index among the target column's other items; the end when
 * absent or out of range.
 */
index?: number, } | { "type": "assign_item",
/**
 * The item.
 */
item: ItemId,
/**
 * The member to assign.
 */
user: UserId, } | { "type": "unassign_item",
/**
 * The item.
 */
item: ItemId,
/**
 * The assignee to remove.
 */
user: UserId, } | { "type": "add_label",
/**
 * The item.
 */
item: ItemId,
/**
 * The label: 1–50 characters after trimming.
 */
label: string, } | { "type": "remove_label",
/**
 * The item.
 */
item: ItemId,
/**
 * The label (trimmed before matching).
 */
label: string, } | { "type": "archive_item",
/**
 * The item.
 */
item: ItemId, } | { "type": "restore_item",
/**
 * The item.
 */
item: ItemId, } | { "type": "archive_board" } | { "type": "restore_board" } | { "type": "add_comment",
/**
 * The item; it must not be archived.
 */
item: ItemId,
/**
 * The text: 1–10,000 characters, not only whitespace, kept as
 * written.
 */
body: string, } | { "type": "edit_comment",
/**
 * The comment.
 */
comment: CommentId,
/**
 * The new text, as for `add_comment`.
 */
body: string, } | { "type": "delete_comment",
/**
 * The comment.
 */
comment: CommentId, };

/**
 * A rule violation found by [`crate::Board::decide`]. Never an
 * infrastructure failure: retrying the same command gives the same answer.
 */
export type Rejection = { "code": "board_not_found" } | { "code": "board_already_exists" } | { "code": "forbidden",
/**
 * The command (its wire name) that was refused.
 */
action: string, } | { "code": "invalid_field",
/**
 * The offending field, e.g. `title`.
 */
field: string,
/**
 * The rule it breaks, e.g. `must be 1–500 characters`.
 */
rule: string, } | { "code": "column_not_found",
/**
 * The column.
 */
column: ColumnId, } | { "code": "duplicate_column_name",
/**
 * The name as requested (trimmed).
 */
name: string, } | { "code": "column_not_empty",
/**
 * The column.
 */
column: ColumnId,
/**
 * How many items the column holds.
 */
items: number, } | { "code": "no_column" } | { "code": "too_many_columns",
/**
 * The maximum.
 */
max: number, } | { "code": "too_many_items",
/**
 * The maximum.
 */
max: number, } | { "code": "wip_limit_reached",
/**
 * The column.
 */
column: ColumnId,
/**
 * The column's WIP limit.
 */
limit: number, } | { "code": "item_not_found",
/**
 * The item.
 */
item: ItemId, } | { "code": "item_archived",
/**
 * The item.
 */
item: ItemId, } | { "code": "item_not_archived",
/**
 * The item.
 */
item: ItemId, } | { "code": "not_a_member",
/**
 * The user.
 */
user: UserId, } | { "code": "already_assigned",
/**
 * The user.
 */
user: UserId, } | { "code": "not_assigned",
/**
 * The user.
 */
user: UserId, } | { "code": "label_exists",
/**
 * The label.
 */
label: string, } | { "code": "label_not_found",
/**
 * The label.
 */
label: string, } | { "code": "no_change" } | { "code": "board_archived" } | { "code": "board_not_archived" } | { "code": "comment_not_found",
/**
 * The comment.
 */
comment: CommentId, } | { "code": "not_comment_author",
/**
 * The comment.
 */
comment: CommentId, };

/**
 * A member of an organization and their role.
 */
export type Member = {
/**
 * The user.
 */
user: UserId,
/**
 * Their role.
 */
role: Role, };

/**
 * Something that happened to an organization.
 */
export type OrgEvent = { "type": "member_added",
/**
 * The new member.
 */
user: UserId,
/**
 * Their role.
 */
role: Role, } | { "type": "member_role_changed",
/**
 * The member.
 */
user: UserId,
/**
 * The new role.
 */
role: Role, } | { "type": "member_removed",
/**
 * The former member.
 */
user: UserId, } | { "type": "board_created",
/**
 * The board.
 */
board: BoardId,
/**
 * Its name.
 */
name: string, } | { "type": "board_archived",
/**
 * The board.
 */
board: BoardId, } | { "type": "board_restored",
/**
 * The board.
 */
board: BoardId, } | { "type": "org_created",
/**
 * Its name.
 */
name: string,
/**
 * The item-key prefix (`DS` in `DS-123`).
 */
key: string,
/**
 * The first owner.
 */
owner: UserId, } | { "type": "org_renamed",
/**
 * The new name.
 */
name: string, } | { "type": "org_deleted" } | { "type": "invite_created",
/**
 * The invitation.
 */
invite: InviteId,
/**
 * The role it grants.
 */
role: Role,
/**
 * SHA-256 of its token, lowercase hex (the token is never stored).
 */
token_hash: string,
/**
 * When it stops being accepted.
 */
expires_at: Millis, } | { "type": "invite_accepted",
/**
 * The invitation.
 */
invite: InviteId,
/**
 * Who accepted it.
 */
user: UserId,
/**
 * Whether they became a member by it.
 */
joined: boolean, } | { "type": "invite_revoked",
/**
 * The invitation.
 */
invite: InviteId, };

/**
 * An organization command from a client, as `org_command.command`.
 */
export type OrgRequest = { "type": "add_member",
/**
 * The user.
 */
user: UserId,
/**
 * Their role.
 */
role: Role, } | { "type": "change_role",
/**
 * The member.
 */
user: UserId,
/**
 * The new role.
 */
role: Role, } | { "type": "remove_member",
/**
 * The member.
 */
user: UserId, } | { "type": "leave" } | { "type": "revoke_invite",
/**
 * The invitation.
 */
invite: InviteId, } | { "type": "rename_org",
/**
 * 1–100 characters after trimming.
 */
name: string, } | { "type": "transfer_ownership",
/**
 * The new owner.
 */
to: UserId, } | { "type": "delete_org" };

/**
 * A pointer position.
 */
export type Cursor = {
/**
 * Horizontal position.
 */
x: number,
/**
 * Vertical position.
 */
y: number, };

/**
 * What a session shows of itself on a board.
 */
export type PresenceState = {
/**
 * The item the user is looking at, if any.
 */
item?: ItemId,
/**
 * The user's pointer, in the client's board coordinates.
 */
cursor?: Cursor, };

/**
 * One session on a board.
 */
export type PresenceEntry = {
/**
 * The session (one browser tab; a user may have several).
 */
session: string,
/**
 * Who it is (a user, or an API key's id).
 */
user: UserId,
/**
 * What it shows.
 */
state: PresenceState, };

/**
 * What happened to a session's presence.
 */
export type PresenceChange = "joined" | "updated" | "left";

/**
 * Limits the server enforces on this session, sent in `welcome`.
 */
export type Limits = {
/**
 * Largest accepted frame, in bytes.
 */
max_frame_bytes: number,
/**
 * Boards one session may subscribe to at once.
 */
max_subscriptions: number,
/**
 * The server closes a socket that sends nothing for this long.
 */
idle_timeout_ms: number, };

/**
 * A message from client to server.
 */
export type ClientMsg = { "type": "auth",
/**
 * A JWT access token or an API key.
 */
token: string, } | { "type": "subscribe",
/**
 * The board.
 */
board: BoardId,
/**
 * The last seq the client has applied, to resume without a
 * snapshot; absent for a fresh subscription.
 */
since?: number, } | { "type": "unsubscribe",
/**
 * The board.
 */
board: BoardId, } | { "type": "command",
/**
 * The client's id for the command (1–64 bytes), its idempotency
 * key: sending the same id again never applies it twice.
 */
id: string,
/**
 * The board.
 */
board: BoardId,
/**
 * What to do.
 */
command: Command, } | { "type": "org_command",
/**
 * The client's id for the command (1–64 bytes): sending the same
 * id again never applies it twice.
 */
id: string,
/**
 * The organization.
 */
org: OrgId,
/**
 * What to do.
 */
command: OrgRequest, } | { "type": "subscribe_org",
/**
 * The organization.
 */
org: OrgId, } | { "type": "unsubscribe_org",
/**
 * The organization.
 */
org: OrgId, } | { "type": "presence",
/**
 * The board (must be subscribed).
 */
board: BoardId,
/**
 * The new state.
 */
state: PresenceState, } | { "type": "ping",
/**
 * Echoed in the `pong`.
 */
nonce?: number, };

/**
 * A message from server to client.
 */
export type ServerMsg = { "type": "welcome",
/**
 * The session's id (for support and logs).
 */
session: string,
/**
 * The authenticated user.
 */
user: UserId,
/**
 * What the server enforces on this session.
 */
limits: Limits, } | { "type": "snapshot",
/**
 * The board.
 */
board: BoardId,
/**
 * The seq of the last event included in `state`.
 */
seq: number,
/**
 * The board itself.
 */
state: Board,
/**
 * `true` when this snapshot answers a `subscribe{since}` that could
 * not be served as events (too old, or in the future): the client
 * must replace its copy of the board, not merge.
 */
reset?: boolean, } | { "type": "event",
/**
 * The board.
 */
board: BoardId,
/**
 * The event's seq: exactly one more than the previous event's.
 */
seq: number,
/**
 * When it happened.
 */
at: Millis,
/**
 * Who caused it.
 */
by: UserId,
/**
 * The id of the client command that caused it.
 */
command_id?: string,
/**
 * The fact.
 */
event: Event, } | { "type": "ack",
/**
 * The client's command id.
 */
id: string,
/**
 * The board.
 */
board: BoardId,
/**
 * The seq of the command's last event.
 */
seq: number, } | { "type": "org_ack",
/**
 * The client's command id.
 */
id: string,
/**
 * The organization.
 */
org: OrgId,
/**
 * The seq of the command's last event.
 */
seq: number, } | { "type": "rejected",
/**
 * The client's command id.
 */
id: string,
/**
 * A stable machine code, e.g. `wip_limit_reached`.
 */
code: string,
/**
 * A human explanation.
 */
message: string,
/**
 * Whether the same command may succeed later, unchanged.
 */
retryable: boolean,
/**
 * Structured details: the rejection's fields, e.g.
 * `{"column": …, "limit": 3}`.
 */
details?: JsonValue, } | { "type": "unsubscribed",
/**
 * The board.
 */
board: BoardId,
/**
 * Why, as a stable code (`requested`, `access_lost`, `board_restarted`; see `crate::codes`).
 */
reason: string, } | { "type": "error",
/**
 * A stable machine code, e.g. `malformed_frame`.
 */
code: string,
/**
 * A human explanation naming the problem.
 */
message: string,
/**
 * The board concerned, when there is one.
 */
board?: BoardId,
/**
 * The organization concerned, when there is one (a refused
 * `subscribe_org`).
 */
org?: OrgId, } | { "type": "org_snapshot",
/**
 * The organization.
 */
org: OrgId,
/**
 * Its name.
 */
name: string,
/**
 * Its item key (`DS` in `DS-123`).
 */
key: string,
/**
 * Members and roles.
 */
members: Array<Member>,
/**
 * Its boards, oldest first.
 */
boards: Array<BoardId>, } | { "type": "org_event",
/**
 * The organization.
 */
org: OrgId,
/**
 * When, in milliseconds since the Unix epoch.
 */
at: Millis,
/**
 * What happened.
 */
event: OrgEvent, } | { "type": "org_unsubscribed",
/**
 * The organization.
 */
org: OrgId,
/**
 * Why, as a stable code (`requested`, `access_lost`).
 */
reason: string, } | { "type": "presence",
/**
 * The board.
 */
board: BoardId,
/**
 * Every subscribed session, this one included.
 */
sessions: Array<PresenceEntry>, } | { "type": "presence_changed",
/**
 * The board.
 */
board: BoardId,
/**
 * What happened.
 */
change: PresenceChange,
/**
 * The session (with its last state when it left).
 */
entry: PresenceEntry, } | { "type": "pong",
/**
 * The `ping`'s nonce.
 */
nonce?: number, };

// Constants.

/** WebSocket subprotocol for JSON text frames. */
export const JSON_SUBPROTOCOL = "corkboard.v1.json";
/** WebSocket subprotocol for MessagePack binary frames. */
export const MSGPACK_SUBPROTOCOL = "corkboard.v1.msgpack";
/** Largest client command id, in bytes. */
export const COMMAND_ID_MAX = 64;
/** Least time between two presence updates of one session that others see. */
export const PRESENCE_MIN_INTERVAL_MS = 50;
/** The `type` tags of `ClientMsg`. */
export const CLIENT_TYPES = ["auth", "subscribe", "unsubscribe", "command", "org_command", "subscribe_org", "unsubscribe_org", "presence", "ping"] as const;
/** The `type` tags of `ServerMsg`. */
export const SERVER_TYPES = ["welcome", "snapshot", "event", "ack", "org_ack", "rejected", "unsubscribed", "error", "org_snapshot", "org_event", "org_unsubscribed", "presence", "presence_changed", "pong"] as const;
/** The `type` tags of `Command`. */
export const COMMAND_TYPES = ["rename_board", "add_column", "rename_column", "move_column", "remove_column", "set_wip_limit", "create_item", "edit_item", "move_item", "assign_item", "unassign_item", "add_label", "remove_label", "archive_item", "restore_item", "archive_board", "restore_board", "add_comment", "edit_comment", "delete_comment"] as const;
/** The `type` tags of `OrgRequest`. */
export const ORG_REQUEST_TYPES = ["add_member", "change_role", "remove_member", "leave", "revoke_invite", "rename_org", "transfer_ownership", "delete_org"] as const;
/** The `type` tags of `Event`. */
export const EVENT_TYPES = ["board_created", "board_renamed", "column_added", "column_renamed", "column_moved", "column_removed", "wip_limit_set", "item_created", "item_edited", "item_moved", "item_assigned", "item_unassigned", "label_added", "label_removed", "item_archived", "item_restored", "board_archived", "board_restored", "comment_added", "comment_edited", "comment_deleted"] as const;
/** The `type` tags of `OrgEvent`. */
export const ORG_EVENT_TYPES = ["member_added", "member_role_changed", "member_removed", "board_created", "board_archived", "board_restored", "org_created", "org_renamed", "org_deleted", "invite_created", "invite_accepted", "invite_revoked"] as const;

// Close codes.

/** The WebSocket close codes the server sends. */
export const CLOSE = {
  /** Server shutting down: reconnect with backoff. */
  GOING_AWAY: 1001,
  /** Invalid WebSocket framing: a client bug; terminal. */
  PROTOCOL_ERROR: 1002,
  /** A text message (or close reason) that is not valid UTF-8: a client bug; terminal. */
  INVALID_DATA: 1007,
  /** Authentication failed, token expired or revoked: terminal unless a new token can be obtained; reconnect only with a fresh token. */
  POLICY: 1008,
  /** A frame or fragmented message above the hard limit, refused on its header: a client bug; terminal. */
  TOO_BIG: 1009,
  /** The credential could not be checked (database unreachable): reconnect with backoff, same token. */
  TRY_AGAIN_LATER: 1013,
  /** No `auth` message within the deadline: reconnect and authenticate first. */
  AUTH_TIMEOUT: 4000,
  /** The client sent nothing (not even a pong) for the idle timeout: reconnect. */
  IDLE_TIMEOUT: 4001,
  /** Outbound queue overflow: reconnect and resubscribe with `since`. */
  SLOW_CONSUMER: 4008,
} as const;
/** A close code the server sends. */
export type CloseCode = (typeof CLOSE)[keyof typeof CLOSE];
/** Close codes after which a client reconnects with backoff. */
export const CLOSE_RECONNECT = [1001, 1013, 4000, 4001, 4008] as const;
/** Close codes after which reconnecting as before fails the same way (`POLICY`: only with a new token). */
export const CLOSE_TERMINAL = [1002, 1007, 1008, 1009] as const;

// Error codes (`error.code`, `rejected.code`, `unsubscribed.reason`).

/** Every machine code a client can receive. */
export type ErrorCode =
  | "access_lost"
  | "account_disabled"
  | "already_assigned"
  | "already_member"
  | "already_subscribed"
  | "auth_timeout"
  | "bad_request"
  | "board_already_exists"
  | "board_archived"
  | "board_not_archived"
  | "board_not_found"
  | "board_restarted"
  | "column_not_empty"
  | "column_not_found"
  | "comment_not_found"
  | "conflict"
  | "duplicate_column_name"
  | "expectation_failed"
  | "forbidden"
  | "gone"
  | "internal"
  | "invalid_body"
  | "invalid_command"
  | "invalid_command_id"
  | "invalid_credentials"
  | "invalid_field"
  | "invalid_message"
  | "invalid_path"
  | "invalid_query"
  | "invalid_refresh_token"
  | "invalid_token"
  | "invite_expired"
  | "invite_revoked"
  | "invite_used"
  | "item_archived"
  | "item_not_archived"
  | "item_not_found"
  | "label_exists"
  | "label_not_found"
  | "last_owner"
  | "length_required"
  | "login_locked"
  | "malformed_frame"
  | "message_too_large"
  | "method_not_allowed"
  | "missing_refresh_token"
  | "missing_token"
  | "no_change"
  | "no_column"
  | "not_a_member"
  | "not_a_websocket"
  | "not_acceptable"
  | "not_assigned"
  | "not_comment_author"
  | "not_found"
  | "not_subscribed"
  | "org_already_exists"
  | "org_key_taken"
  | "overloaded"
  | "payload_too_large"
  | "rate_limited"
  | "refresh_token_expired"
  | "refresh_token_reused"
  | "request_header_fields_too_large"
  | "request_timeout"
  | "requested"
  | "server_shutdown"
  | "session_revoked"
  | "timeout"
  | "token_expired"
  | "token_revoked"
  | "too_many_columns"
  | "too_many_items"
  | "too_many_requests"
  | "too_many_subscriptions"
  | "unauthenticated"
  | "unauthorized"
  | "unavailable"
  | "unknown_type"
  | "unsupported_media_type"
  | "unsupported_subprotocol"
  | "uri_too_long"
  | "user_mismatch"
  | "validation_failed"
  | "wip_limit_reached"
;
/** Every `ErrorCode`, sorted. */
export const ERROR_CODES = ["access_lost", "account_disabled", "already_assigned", "already_member", "already_subscribed", "auth_timeout", "bad_request", "board_already_exists", "board_archived", "board_not_archived", "board_not_found", "board_restarted", "column_not_empty", "column_not_found", "comment_not_found", "conflict", "duplicate_column_name", "expectation_failed", "forbidden", "gone", "internal", "invalid_body", "invalid_command", "invalid_command_id", "invalid_credentials", "invalid_field", "invalid_message", "invalid_path", "invalid_query", "invalid_refresh_token", "invalid_token", "invite_expired", "invite_revoked", "invite_used", "item_archived", "item_not_archived", "item_not_found", "label_exists", "label_not_found", "last_owner", "length_required", "login_locked", "malformed_frame", "message_too_large", "method_not_allowed", "missing_refresh_token", "missing_token", "no_change", "no_column", "not_a_member", "not_a_websocket", "not_acceptable", "not_assigned", "not_comment_author", "not_found", "not_subscribed", "org_already_exists", "org_key_taken", "overloaded", "payload_too_large", "rate_limited", "refresh_token_expired", "refresh_token_reused", "request_header_fields_too_large", "request_timeout", "requested", "server_shutdown", "session_revoked", "timeout", "token_expired", "token_revoked", "too_many_columns", "too_many_items", "too_many_requests", "too_many_subscriptions", "unauthenticated", "unauthorized", "unavailable", "unknown_type", "unsupported_media_type", "unsupported_subprotocol", "uri_too_long", "user_mismatch", "validation_failed", "wip_limit_reached"] as const;
/** The codes after which sending the same message again later may succeed. */
export const RETRYABLE_ERROR_CODES = ["auth_timeout", "board_restarted", "login_locked", "overloaded", "rate_limited", "request_timeout", "server_shutdown", "timeout", "too_many_requests", "unavailable"] as const;
/** What each code means. */
export const ERROR_CODE_DESCRIPTIONS: { readonly [code in ErrorCode]: string } = {
  access_lost: "Unsubscribed: the user lost access to the board or organization (removed, demoted, board gone).",
  account_disabled: "REST: an instance operator disabled the account; login and refresh are refused (401).",
  already_assigned: "The user is already assigned to the item.",
  already_member: "REST: the user is already a member of the organization (409).",
  already_subscribed: "Already subscribed to this board; send `since` to catch up, or unsubscribe first.",
  auth_timeout: "No `auth` message within the deadline; the socket closes (4000).",
  bad_request: "REST: a request the HTTP layer refused before any handler (400); only the status is known.",
  board_already_exists: "The board already exists.",
  board_archived: "The board is archived; restore it first.",
  board_not_archived: "The board is not archived.",
  board_not_found: "The board does not exist (or is not visible to you).",
  board_restarted: "Unsubscribed: the board's actor restarted; subscribe again with `since`.",
  column_not_empty: "The column to remove still holds items, archived ones included.",
  column_not_found: "The column does not exist on this board.",
  comment_not_found: "The comment does not exist on this board (or was deleted).",
  conflict: "REST: what the request creates already exists (409).",
  duplicate_column_name: "Another column already has this name (ignoring case).",
  expectation_failed: "REST: an `Expect` header the server does not meet (417).",
  forbidden: "Your role does not allow the command.",
  gone: "REST: the resource existed but can no longer be used (410).",
  internal: "A server bug or a permanent server fault (an undecodable row, an answer that could not be encoded); sending it again will fail the same way (REST 500).",
  invalid_body: "REST: the JSON body is missing, malformed or has an ill-typed or unknown field (400).",
  invalid_command: "A command message whose id could be read but which could not be decoded.",
  invalid_command_id: "The command id is empty or too long.",
  invalid_credentials: "REST: the email or password is wrong (401).",
  invalid_field: "A field breaks a rule (length, characters, range).",
  invalid_message: "A known message type with a missing, unknown or ill-typed field (or a message that is invalid in this state).",
  invalid_path: "REST: a path parameter is not a valid id or value (400).",
  invalid_query: "REST: the query string is invalid (400).",
  invalid_refresh_token: "REST: the refresh token is unknown or malformed (401).",
  invalid_token: "The access token is invalid; the socket closes (1008).",
  invite_expired: "REST: the invite has expired (410).",
  invite_revoked: "REST: the invite has been revoked (410).",
  invite_used: "REST: the invite has already been accepted (410, or 409 when revoking it).",
  item_archived: "The item is archived; restore it first.",
  item_not_archived: "The item is not archived.",
  item_not_found: "The item does not exist on this board.",
  label_exists: "The item already has the label.",
  label_not_found: "The item does not have the label.",
  last_owner: "REST: the organization must keep at least one owner (409).",
  length_required: "REST: the request needs a `Content-Length` (411).",
  login_locked: "REST: too many failed logins; retry after `Retry-After` (429).",
  malformed_frame: "Not valid JSON / MessagePack, trailing bytes, or the wrong frame kind for the subprotocol.",
  message_too_large: "The message exceeds the size limit.",
  method_not_allowed: "REST: the path does not accept this method; `Allow` lists those it does (405).",
  missing_refresh_token: "REST: neither the body nor the cookie has a refresh token (401).",
  missing_token: "REST: no `Authorization: Bearer` credential (401).",
  no_change: "The command would change nothing.",
  no_column: "The board has no column to put the item in.",
  not_a_member: "The user is not a member of the organization.",
  not_a_websocket: "The WebSocket upgrade request is not a valid handshake (400).",
  not_acceptable: "REST: no representation matches the `Accept` header (406).",
  not_assigned: "The user is not assigned to the item.",
  not_comment_author: "Only a comment's author may edit or delete it.",
  not_found: "The board or organization does not exist or is not visible to you.",
  not_subscribed: "The board is not subscribed by this session.",
  org_already_exists: "The organization already exists (an organization is created once).",
  org_key_taken: "REST: another organization has this key (409).",
  overloaded: "The board is overloaded; nothing was applied, retry shortly.",
  payload_too_large: "REST: the request body exceeds the size limit (413).",
  rate_limited: "Too many messages; retry after `details.retry_after_ms`.",
  refresh_token_expired: "REST: the login session has expired; log in again (401).",
  refresh_token_reused: "REST: the refresh token was already used; the login session is revoked (401).",
  request_header_fields_too_large: "REST: the request headers are too large (431).",
  request_timeout: "REST: the request was not received in time (408).",
  requested: "Unsubscribed because the client asked to.",
  server_shutdown: "The server is shutting down; reconnect shortly (close 1001 follows).",
  session_revoked: "REST: the login session has been revoked; log in again (401).",
  timeout: "The board did not answer in time; retry shortly.",
  token_expired: "The access token expired; reconnect with a fresh token (close 1008 follows).",
  token_revoked: "The credential was revoked (close 1008 follows).",
  too_many_columns: "The board already has the maximum number of columns.",
  too_many_items: "The board already has the maximum number of items.",
  too_many_requests: "REST: refused for now by the HTTP layer; retry later (429).",
  too_many_subscriptions: "The session already has the maximum number of subscriptions.",
  unauthenticated: "Send an `auth` message first.",
  unauthorized: "REST: the HTTP layer refused the credentials (401); only the status is known.",
  unavailable: "Storage or the credential check is temporarily unavailable; retry shortly.",
  unknown_type: "A `type` tag that names no known message, command or event.",
  unsupported_media_type: "REST: the body is not `application/json` (415).",
  unsupported_subprotocol: "The WebSocket upgrade offers no subprotocol the server speaks (400).",
  uri_too_long: "REST: the request URI is too long (414).",
  user_mismatch: "A re-`auth` named another user than the session's (close 1008 follows).",
  validation_failed: "REST: a field breaks a rule; `details` names each field (400).",
  wip_limit_reached: "The target column is at its work-in-progress limit.",
};
