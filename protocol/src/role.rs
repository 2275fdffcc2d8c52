//! Organization roles and the one permission table that decides what each
//! role may do.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// An organization's members and their roles.
pub type Roster = BTreeMap<crate::ids::UserId, Role>;

/// A member's role in an organization, from most to least powerful.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads boards and subscribes to them.
    Viewer,
    /// Also creates, edits, moves, assigns and labels items.
    Member,
    /// Also changes board structure (columns, limits) and membership.
    Admin,
    /// Everything an admin can, and owns the organization.
    Owner,
}

impl Role {
    /// The wire and database spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Member => "member",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    /// Whether this role may do `action`. This is the permission table:
    /// every REST route and every WebSocket message is checked against it.
    ///
    /// | permission | viewer | member | admin | owner |
    /// |---|---|---|---|---|
    /// | `Read` (org, boards, items, subscribe) | ✓ | ✓ | ✓ | ✓ |
    /// | `EditItems` (item commands, comments) | | ✓ | ✓ | ✓ |
    /// | `ManageBoards` (create/archive boards, columns, WIP limits) | | | ✓ | ✓ |
    /// | `ManageMembers` (add, re-role, remove members below owner) | | | ✓ | ✓ |
    /// | `ManageApiKeys` | | | ✓ | ✓ |
    /// | `ManageOrg` (rename, owners) | | | | ✓ |
    pub fn allows(&self, action: Permission) -> bool {
        let least = match action {
            Permission::Read => Role::Viewer,
            Permission::EditItems => Role::Member,
            Permission::ManageBoards
            | Permission::ManageMembers
            | Permission::ManageApiKeys
            | Permission::ManageWebhooks => Role::Admin,
            Permission::ManageOrg => Role::Owner,
        };
        *self >= least
    }

    /// Whether this role may change items (create, edit, move, assign...).
    pub fn can_edit_items(&self) -> bool {
        self.allows(Permission::EditItems)
    }

    /// Whether this role may change board structure.
    pub fn can_manage(&self) -> bool {
        self.allows(Permission::ManageBoards)
    }
}

/// What a caller wants to do, for [`Role::allows`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read the organization, its boards and items; subscribe to them.
    Read,
    /// Create, edit, move, assign, label, archive items.
    EditItems,
    /// Create and archive boards; change columns and WIP limits.
    ManageBoards,
    /// Add members, change their roles (below owner), remove them.
    ManageMembers,
    /// Create, list and revoke API keys.
    ManageApiKeys,
    /// Register, change and delete webhook endpoints; read their log.
    ManageWebhooks,
    /// Rename the organization; grant or take the owner role.
    ManageOrg,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown role name.
#[derive(Debug, thiserror::Error)]
#[error("unknown role {0:?}; expected owner, admin, member or viewer")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "member" => Ok(Role::Member),
            "admin" => Ok(Role::Admin),
            "owner" => Ok(Role::Owner),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}
