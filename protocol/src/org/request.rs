//! What a client may ask of an organization over the WebSocket
//! (`org_command`): the membership and organization commands a person
//! sends, without the ones only the server issues (creating an
//! organization, reporting boards) or whose secret the server must draw
//! (creating an invitation: its token is random and shown once, so it is
//! created over REST, which can also mail it; accepting one needs the
//! token, which REST takes as it was shown).

use serde::{Deserialize, Serialize};

use super::OrgCommand;
use crate::ids::{InviteId, UserId};
use crate::role::Role;

/// An organization command from a client, as `org_command.command`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum OrgRequest {
    /// Add an existing account (admins; owners to grant `owner`).
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
    /// Remove a member.
    RemoveMember {
        /// The member.
        user: UserId,
    },
    /// Leave the organization.
    Leave,
    /// Revoke a pending invitation.
    RevokeInvite {
        /// The invitation.
        invite: InviteId,
    },
    /// Rename the organization (owners).
    RenameOrg {
        /// 1–100 characters after trimming.
        name: String,
    },
    /// Make another member the owner; the caller becomes an admin.
    TransferOwnership {
        /// The new owner.
        to: UserId,
    },
    /// Delete the organization (owners): its boards and items become
    /// unreachable at once.
    DeleteOrg,
}

/// The `type` tags of [`OrgRequest`].
pub const ORG_REQUEST_TYPES: &[&str] = &[
    "add_member",
    "change_role",
    "remove_member",
    "leave",
    "revoke_invite",
    "rename_org",
    "transfer_ownership",
    "delete_org",
];

impl From<OrgRequest> for OrgCommand {
    fn from(request: OrgRequest) -> OrgCommand {
        match request {
            OrgRequest::AddMember { user, role } => OrgCommand::AddMember { user, role },
            OrgRequest::ChangeRole { user, role } => OrgCommand::ChangeRole { user, role },
            OrgRequest::RemoveMember { user } => OrgCommand::RemoveMember { user },
            OrgRequest::Leave => OrgCommand::Leave,
            OrgRequest::RevokeInvite { invite } => OrgCommand::RevokeInvite { invite },
            OrgRequest::RenameOrg { name } => OrgCommand::RenameOrg { name },
            OrgRequest::TransferOwnership { to } => OrgCommand::TransferOwnership { to },
            OrgRequest::DeleteOrg => OrgCommand::DeleteOrg,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_type_is_listed_and_is_a_command_of_the_same_name() {
        let user = UserId(uuid::Uuid::from_u128(7));
        let requests = [
            OrgRequest::AddMember {
                user,
                role: Role::Member,
            },
            OrgRequest::ChangeRole {
                user,
                role: Role::Admin,
            },
            OrgRequest::RemoveMember { user },
            OrgRequest::Leave,
            OrgRequest::RevokeInvite {
                invite: InviteId(uuid::Uuid::from_u128(8)),
            },
            OrgRequest::RenameOrg { name: "x".into() },
            OrgRequest::TransferOwnership { to: user },
            OrgRequest::DeleteOrg,
        ];
        assert_eq!(requests.len(), ORG_REQUEST_TYPES.len());
        for (request, tag) in requests.into_iter().zip(ORG_REQUEST_TYPES) {
            let json = serde_json::to_value(&request).unwrap();
            assert_eq!(json["type"], *tag);
            assert_eq!(OrgCommand::from(request).name(), *tag);
        }
    }
}
