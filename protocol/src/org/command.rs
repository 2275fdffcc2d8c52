//! What a caller asks of an organization.

use serde::{Deserialize, Serialize};

use crate::ids::{BoardId, InviteId, Millis, UserId};
use crate::role::Role;

/// A request to change an organization. Ids, hashes and expiry times come
/// from the caller (the core draws no random numbers and reads no clock).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OrgCommand {
    /// Create the organization with the caller as its owner.
    CreateOrg {
        /// 1–100 characters after trimming.
        name: String,
        /// 2–10 characters: an uppercase letter, then uppercase letters or digits.
        key: String,
    },
    /// Add an existing account.
    AddMember {
        /// The user.
        user: UserId,
        /// Their role.
        role: Role,
    },
    /// Change a member's role.
    ChangeRole {
        /// The member.
        user: UserId,
        /// The new role.
        role: Role,
    },
    /// Remove a member (oneself: see `Leave`).
    RemoveMember {
        /// The member.
        user: UserId,
    },
    /// The caller leaves.
    Leave,
    /// Create an invitation.
    CreateInvite {
        /// Its id.
        invite: InviteId,
        /// The role it grants.
        role: Role,
        /// SHA-256 of its token, lowercase hex.
        token_hash: String,
        /// When it stops being accepted.
        expires_at: Millis,
    },
    /// The caller accepts the invitation whose token hashes to this.
    AcceptInvite {
        /// SHA-256 of the token, lowercase hex.
        token_hash: String,
    },
    /// Revoke a pending invitation.
    RevokeInvite {
        /// The invitation.
        invite: InviteId,
    },
    /// Rename the organization.
    RenameOrg {
        /// 1–100 characters after trimming.
        name: String,
    },
    /// Make another member the owner; the caller becomes an admin.
    TransferOwnership {
        /// The new owner (a member).
        to: UserId,
    },
    /// Delete the organization (an owner).
    DeleteOrg,
    /// A board was created (reported by the server for a board command).
    BoardAdded {
        /// The board.
        board: BoardId,
        /// Its name.
        name: String,
    },
    /// A board was archived (reported).
    BoardArchived {
        /// The board.
        board: BoardId,
    },
    /// A board was restored (reported).
    BoardRestored {
        /// The board.
        board: BoardId,
    },
}

impl OrgCommand {
    /// The command's wire name (`add_member`, …), for `forbidden` refusals.
    pub fn name(&self) -> &'static str {
        match self {
            OrgCommand::CreateOrg { .. } => "create_org",
            OrgCommand::AddMember { .. } => "add_member",
            OrgCommand::ChangeRole { .. } => "change_role",
            OrgCommand::RemoveMember { .. } => "remove_member",
            OrgCommand::Leave => "leave",
            OrgCommand::CreateInvite { .. } => "create_invite",
            OrgCommand::AcceptInvite { .. } => "accept_invite",
            OrgCommand::RevokeInvite { .. } => "revoke_invite",
            OrgCommand::RenameOrg { .. } => "rename_org",
            OrgCommand::TransferOwnership { .. } => "transfer_ownership",
            OrgCommand::DeleteOrg => "delete_org",
            OrgCommand::BoardAdded { .. } => "board_added",
            OrgCommand::BoardArchived { .. } => "board_archived",
            OrgCommand::BoardRestored { .. } => "board_restored",
        }
    }

    /// Whether only the server itself sends it (a board's report, or the
    /// creation of the organization).
    pub fn is_system(&self) -> bool {
        matches!(
            self,
            OrgCommand::CreateOrg { .. }
                | OrgCommand::BoardAdded { .. }
                | OrgCommand::BoardArchived { .. }
                | OrgCommand::BoardRestored { .. }
        )
    }
}
