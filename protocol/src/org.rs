//! Organization-level facts that sessions can follow on the org channel:
//! membership changes and the board directory. They are ephemeral
//! notifications (the durable state is the membership table and each
//! board's own log), so they carry no seq.

use serde::{Deserialize, Serialize};

use crate::ids::{BoardId, UserId};
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
}
