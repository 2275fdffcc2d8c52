//! What the read routes answer for rows of the read models: one typed body
//! per shape, deriving both `Serialize` (what is sent) and `ToSchema` (what
//! the OpenAPI document says is sent), so the two cannot drift.
//!
//! `storage` has no OpenAPI dependency; each view is built from its row by
//! a `From` that names every field, so a field added to a row shows up here
//! only when a view chooses to send it.

use protocol::{BoardId, ColumnId, CommentId, ItemId, Millis, OrgId, Role, UserId};
use serde::Serialize;
use storage::{
    BoardRow, CommentRow, InviteRow, InviteStatus, ItemRow, KeyedItem, MemberRow, OrgRow, SearchHit,
};
use utoipa::ToSchema;
use uuid::Uuid;

/// An organization, with the caller's role in it.
#[derive(Serialize, ToSchema)]
pub struct OrgView {
    pub id: OrgId,
    pub name: String,
    /// The item-key prefix, e.g. `DS` in `DS-123`.
    pub key: String,
    /// The caller's role in the organization.
    pub role: Role,
}

impl OrgView {
    pub fn new(org: OrgRow, role: Role) -> OrgView {
        OrgView {
            id: org.id,
            name: org.name,
            key: org.key,
            role,
        }
    }
}

/// A member of an organization.
#[derive(Serialize, ToSchema)]
pub struct MemberView {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
}

impl From<MemberRow> for MemberView {
    fn from(m: MemberRow) -> MemberView {
        MemberView {
            user_id: m.user_id,
            email: m.email,
            name: m.name,
            role: m.role,
        }
    }
}

/// Where an invite stands.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InviteStatusView {
    /// Can be accepted.
    Pending,
    Accepted,
    Revoked,
    Expired,
}

impl From<InviteStatus> for InviteStatusView {
    fn from(s: InviteStatus) -> InviteStatusView {
        match s {
            InviteStatus::Pending => InviteStatusView::Pending,
            InviteStatus::Accepted => InviteStatusView::Accepted,
            InviteStatus::Revoked => InviteStatusView::Revoked,
            InviteStatus::Expired => InviteStatusView::Expired,
        }
    }
}

/// An invite as listed: never its token or the token's hash.
#[derive(Serialize, ToSchema)]
pub struct InviteView {
    pub id: Uuid,
    pub org_id: OrgId,
    /// The role the invitee gets.
    pub role: Role,
    /// The user or API key that created it.
    pub created_by: Uuid,
    pub created_at: Millis,
    pub expires_at: Millis,
    pub accepted_by: Option<UserId>,
    pub accepted_at: Option<Millis>,
    pub revoked_at: Option<Millis>,
    pub status: InviteStatusView,
}

impl From<InviteRow> for InviteView {
    fn from(i: InviteRow) -> InviteView {
        InviteView {
            id: i.id,
            org_id: i.org_id,
            role: i.role,
            created_by: i.created_by,
            created_at: i.created_at,
            expires_at: i.expires_at,
            accepted_by: i.accepted_by,
            accepted_at: i.accepted_at,
            revoked_at: i.revoked_at,
            status: i.status.into(),
        }
    }
}

/// A board as listed (from the read model; `GET /boards/{board}` answers
/// the live board with its columns and items).
#[derive(Serialize, ToSchema)]
pub struct BoardView {
    pub id: BoardId,
    pub org_id: OrgId,
    pub name: String,
    /// Seq of the last event projected into this row.
    pub seq: u64,
    /// Whether the board is archived (read-only).
    pub archived: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl From<BoardRow> for BoardView {
    fn from(b: BoardRow) -> BoardView {
        BoardView {
            id: b.id,
            org_id: b.org_id,
            name: b.name,
            seq: b.seq,
            archived: b.archived,
            created_at: b.created_at,
            updated_at: b.updated_at,
        }
    }
}

/// An item from the read model, with its human key.
#[derive(Serialize, ToSchema)]
pub struct ItemView {
    /// `KEY-number`, e.g. `DS-123`.
    pub key: String,
    pub id: ItemId,
    pub board_id: BoardId,
    pub org_id: OrgId,
    /// Organization-wide number (`DS-123` has number 123).
    pub number: u64,
    pub title: String,
    pub description: String,
    pub column_id: ColumnId,
    /// Fractional position key within the column.
    pub position: String,
    pub assignees: Vec<UserId>,
    pub labels: Vec<String>,
    pub archived: bool,
    pub created_by: UserId,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl ItemView {
    pub fn new(key: String, i: ItemRow) -> ItemView {
        ItemView {
            key,
            id: i.id,
            board_id: i.board_id,
            org_id: i.org_id,
            number: i.number,
            title: i.title,
            description: i.description,
            column_id: i.column_id,
            position: i.position,
            assignees: i.assignees,
            labels: i.labels,
            archived: i.archived,
            created_by: i.created_by,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

impl From<KeyedItem> for ItemView {
    fn from(k: KeyedItem) -> ItemView {
        ItemView::new(k.key, k.item)
    }
}

/// A search hit: the item, its rank and a highlighted snippet.
#[derive(Serialize, ToSchema)]
pub struct SearchHitView {
    /// Relevance; higher is better.
    pub rank: f32,
    /// Matching text with the matched words between `«` and `»`.
    pub snippet: String,
    #[serde(flatten)]
    pub item: ItemView,
}

impl From<SearchHit> for SearchHitView {
    fn from(h: SearchHit) -> SearchHitView {
        SearchHitView {
            rank: h.rank,
            snippet: h.snippet,
            item: ItemView::new(h.key, h.item),
        }
    }
}

/// A comment on an item.
#[derive(Serialize, ToSchema)]
pub struct CommentView {
    pub id: CommentId,
    pub item_id: ItemId,
    pub author: UserId,
    pub body: String,
    /// Seq of the `comment_added` event: the comment's place in the order.
    pub seq: u64,
    pub created_at: Millis,
    /// The time of the last edit (`created_at` when never edited).
    pub updated_at: Millis,
}

impl From<CommentRow> for CommentView {
    fn from(c: CommentRow) -> CommentView {
        CommentView {
            id: c.id,
            item_id: c.item_id,
            author: c.author,
            body: c.body,
            seq: c.seq,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}
