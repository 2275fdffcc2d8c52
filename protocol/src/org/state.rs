//! The state of an organization, folded from its log.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{BoardId, InviteId, Millis, OrgId, UserId};
use crate::role::{Role, Roster};

/// Where an invitation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteState {
    /// Can be accepted until it expires.
    Pending,
    /// Accepted once; it cannot be used again.
    Accepted,
    /// Revoked by an admin.
    Revoked,
}

/// An invitation to join.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    /// The role it grants.
    pub role: Role,
    /// SHA-256 of the token, lowercase hex.
    pub token_hash: String,
    /// When it stops being accepted.
    pub expires_at: Millis,
    /// Where it stands (expiry is judged against `now` when accepting).
    pub state: InviteState,
}

/// A board of the directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardEntry {
    /// Its name when created.
    pub name: String,
    /// Whether it is archived.
    pub archived: bool,
}

/// An organization: who belongs with which role, its pending and past
/// invitations, its boards, its name and key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Org {
    /// The organization.
    pub id: OrgId,
    /// Its name (empty before `OrgCreated`).
    pub name: String,
    /// The item-key prefix.
    pub key: String,
    /// The members and their roles.
    pub members: Roster,
    /// Every invitation by id.
    pub invites: BTreeMap<InviteId, Invite>,
    /// Every board by id.
    pub boards: BTreeMap<BoardId, BoardEntry>,
    /// The boards in the order they were created.
    pub board_order: Vec<BoardId>,
    /// Whether the organization was deleted.
    pub deleted: bool,
    /// The seq of the last event applied (0: nothing yet).
    pub seq: u64,
}

impl Org {
    /// An organization with an empty log.
    pub fn new(id: OrgId) -> Org {
        Org {
            id,
            name: String::new(),
            key: String::new(),
            members: Roster::new(),
            invites: BTreeMap::new(),
            boards: BTreeMap::new(),
            board_order: Vec::new(),
            deleted: false,
            seq: 0,
        }
    }

    /// Whether `OrgCreated` was applied.
    pub fn exists(&self) -> bool {
        !self.key.is_empty()
    }

    /// The role of `user` in this organization, if a member. The one
    /// answer to "what may this user do here".
    pub fn role_of(&self, user: UserId) -> Option<Role> {
        if self.deleted {
            return None;
        }
        self.members.get(&user).copied()
    }

    /// How many owners there are.
    pub fn owners(&self) -> usize {
        self.members.values().filter(|r| **r == Role::Owner).count()
    }

    /// The pending invitation whose token hashes to `token_hash`.
    pub fn invite_by_hash(&self, token_hash: &str) -> Option<(InviteId, &Invite)> {
        self.invites
            .iter()
            .find(|(_, invite)| invite.token_hash == token_hash)
            .map(|(id, invite)| (*id, invite))
    }
}
