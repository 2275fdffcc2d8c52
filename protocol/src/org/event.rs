//! What happens to an organization: the events of its log. Every change
//! of membership, invitations, name, ownership and the board directory is
//! one of these, decided by [`super::Org::decide`] and folded by
//! [`super::Org::apply`]. Sessions on the org channel receive them too,
//! except the invitation events, which carry a token's hash and concern
//! admins only ([`OrgEvent::is_public`]).
//!
//! Stored forever in MessagePack (golden bytes in the tests): add
//! variants, never rename or re-type one.

use serde::{Deserialize, Serialize};

use crate::ids::{BoardId, InviteId, Millis, UserId};
use crate::role::Role;

/// A member of an organization and their role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Member {
    /// The user.
    pub user: UserId,
    /// Their role.
    pub role: Role,
}

/// Something that happened to an organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OrgEvent {
    /// A user joined.
    MemberAdded {
        /// The new member.
        user: UserId,
        /// Their role.
        role: Role,
    },
    /// A member's role changed.
    MemberRoleChanged {
        /// The member.
        user: UserId,
        /// The new role.
        role: Role,
    },
    /// A member left or was removed.
    MemberRemoved {
        /// The former member.
        user: UserId,
    },
    /// A board was created.
    BoardCreated {
        /// The board.
        board: BoardId,
        /// Its name.
        name: String,
    },
    /// A board was archived.
    BoardArchived {
        /// The board.
        board: BoardId,
    },
    /// An archived board was restored.
    BoardRestored {
        /// The board.
        board: BoardId,
    },
    /// The organization was created, by its first owner.
    OrgCreated {
        /// Its name.
        name: String,
        /// The item-key prefix (`DS` in `DS-123`).
        key: String,
        /// The first owner.
        owner: UserId,
    },
    /// The organization was renamed.
    OrgRenamed {
        /// The new name.
        name: String,
    },
    /// The organization was deleted: its boards and items are unreachable
    /// from now on, and a retention step removes the data later.
    OrgDeleted,
    /// An invitation was created.
    InviteCreated {
        /// The invitation.
        invite: InviteId,
        /// The role it grants.
        role: Role,
        /// SHA-256 of its token, lowercase hex (the token is never stored).
        token_hash: String,
        /// When it stops being accepted.
        expires_at: Millis,
    },
    /// An invitation was accepted: `user` joined with its role (or was
    /// already a member, `joined: false`, and keeps their role).
    InviteAccepted {
        /// The invitation.
        invite: InviteId,
        /// Who accepted it.
        user: UserId,
        /// Whether they became a member by it.
        joined: bool,
    },
    /// An invitation was revoked.
    InviteRevoked {
        /// The invitation.
        invite: InviteId,
    },
}

impl OrgEvent {
    /// Whether the org channel sends this event to every subscribed
    /// member. Invitation events carry a token's hash and are for admins
    /// and the log only.
    pub fn is_public(&self) -> bool {
        !matches!(
            self,
            OrgEvent::InviteCreated { .. }
                | OrgEvent::InviteAccepted { .. }
                | OrgEvent::InviteRevoked { .. }
        )
    }

    /// The member this event adds, changes or removes, if any.
    pub fn member(&self) -> Option<UserId> {
        match self {
            OrgEvent::MemberAdded { user, .. }
            | OrgEvent::MemberRoleChanged { user, .. }
            | OrgEvent::MemberRemoved { user } => Some(*user),
            _ => None,
        }
    }
}

/// One event of an organization's log, as stored and broadcast.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgRecorded {
    /// Position in the organization's log, from 1, without gaps.
    pub seq: u64,
    /// When it was decided.
    pub at: Millis,
    /// Who decided it (a user; for an API key, the key's creator; for a
    /// board's report, the user whose board command caused it).
    pub by: UserId,
    /// The command it answers, when a client gave an id.
    pub command_id: Option<String>,
    /// What happened.
    pub event: OrgEvent,
}
