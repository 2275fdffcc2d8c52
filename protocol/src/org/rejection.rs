//! Why an organization refused a command.

use serde::{Deserialize, Serialize};

use crate::codes;
use crate::ids::{BoardId, UserId};

/// Which rule made a command forbidden.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForbiddenRule {
    /// The caller's role lacks `ManageMembers` (admins and owners have it).
    CannotManageMembers,
    /// Granting, taking or touching the owner role, renaming, transferring
    /// or deleting the organization needs an owner.
    OwnerOnly,
    /// API keys never grant the owner role or touch an owner.
    KeyCannotTouchOwner,
    /// Nobody grants a role above their own.
    AboveOwnRole,
    /// Only the server reports boards and creates organizations.
    SystemOnly,
    /// The caller is not a member.
    NotAMember,
}

impl ForbiddenRule {
    /// The rule in words.
    pub fn message(self) -> &'static str {
        match self {
            ForbiddenRule::CannotManageMembers => "your role cannot manage members",
            ForbiddenRule::OwnerOnly => "only an owner may do this",
            ForbiddenRule::KeyCannotTouchOwner => {
                "an API key cannot grant the owner role or change an owner"
            }
            ForbiddenRule::AboveOwnRole => "you cannot grant a role above your own",
            ForbiddenRule::SystemOnly => "only the server reports boards and creates organizations",
            ForbiddenRule::NotAMember => "you are not a member of this organization",
        }
    }
}

/// A refused organization command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum OrgRejection {
    /// There is no such organization (or it was deleted).
    #[error("no such organization")]
    OrgNotFound,
    /// `CreateOrg` on an organization that exists.
    #[error("the organization already exists")]
    OrgAlreadyExists,
    /// A rule of who may do what.
    #[error("{}", rule.message())]
    Forbidden {
        /// The command (its wire name).
        action: String,
        /// The rule.
        rule: ForbiddenRule,
    },
    /// The user named is not a member.
    #[error("that user is not a member")]
    NotMember {
        /// The user.
        user: UserId,
    },
    /// The user named is already a member.
    #[error("this user is already a member")]
    AlreadyMember {
        /// The user.
        user: UserId,
    },
    /// The change would leave no owner.
    #[error("the organization must keep at least one owner: make another member owner first")]
    LastOwner,
    /// No invitation has that id or token.
    #[error("no such invite")]
    InviteNotFound,
    /// The invitation expired.
    #[error("the invite has expired")]
    InviteExpired,
    /// The invitation was already accepted.
    #[error("the invite has already been accepted")]
    InviteUsed,
    /// The invitation was revoked.
    #[error("the invite has been revoked")]
    InviteRevoked,
    /// A field breaks its rule.
    #[error("{field} {rule}")]
    InvalidField {
        /// The field.
        field: String,
        /// The rule it breaks.
        rule: String,
    },
    /// The command would change nothing (the same role, the same name).
    #[error("nothing to change")]
    NoChange,
    /// The board is not in the directory.
    #[error("no such board in this organization")]
    BoardNotFound {
        /// The board.
        board: BoardId,
    },
    /// No account has the user id named (found when the membership is
    /// written: the log cannot know every account).
    #[error("no account has this user id")]
    UnknownUser {
        /// The id.
        user: UserId,
    },
    /// Another organization took the key first (found when the
    /// organization is written: no one organization's log can know).
    #[error("the organization key {key} is taken")]
    KeyTaken {
        /// The key.
        key: String,
    },
}

impl OrgRejection {
    /// The stable code, from [`crate::codes`].
    pub fn code(&self) -> &'static str {
        match self {
            OrgRejection::OrgNotFound
            | OrgRejection::InviteNotFound
            | OrgRejection::BoardNotFound { .. }
            | OrgRejection::UnknownUser { .. } => codes::NOT_FOUND,
            OrgRejection::KeyTaken { .. } => codes::ORG_KEY_TAKEN,
            OrgRejection::NotMember { .. } => codes::NOT_A_MEMBER,
            OrgRejection::OrgAlreadyExists => codes::ORG_ALREADY_EXISTS,
            OrgRejection::Forbidden { .. } => codes::FORBIDDEN,
            OrgRejection::AlreadyMember { .. } => codes::ALREADY_MEMBER,
            OrgRejection::LastOwner => codes::LAST_OWNER,
            OrgRejection::InviteExpired => codes::INVITE_EXPIRED,
            OrgRejection::InviteUsed => codes::INVITE_USED,
            OrgRejection::InviteRevoked => codes::INVITE_REVOKED,
            OrgRejection::InvalidField { .. } => codes::INVALID_FIELD,
            OrgRejection::NoChange => codes::NO_CHANGE,
        }
    }
}
