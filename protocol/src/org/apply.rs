//! Folding an organization's events. No rule lives here: `decide` has
//! already refused what breaks one, so replaying any log reproduces the
//! state it was decided against.

use super::{BoardEntry, Invite, InviteState, Org, OrgEvent, OrgRecorded};

impl Org {
    /// Applies one recorded event and advances `seq`.
    pub fn apply_recorded(&mut self, rec: &OrgRecorded) {
        self.apply(&rec.event);
        self.seq = rec.seq;
    }

    /// Applies one event.
    pub fn apply(&mut self, event: &OrgEvent) {
        match event {
            OrgEvent::OrgCreated { name, key, .. } => {
                self.name.clone_from(name);
                self.key.clone_from(key);
            }
            OrgEvent::OrgRenamed { name } => self.name.clone_from(name),
            OrgEvent::OrgDeleted => self.deleted = true,
            OrgEvent::MemberAdded { user, role } | OrgEvent::MemberRoleChanged { user, role } => {
                self.members.insert(*user, *role);
            }
            OrgEvent::MemberRemoved { user } => {
                self.members.remove(user);
            }
            OrgEvent::BoardCreated { board, name } => {
                if !self.boards.contains_key(board) {
                    self.board_order.push(*board);
                }
                self.boards.insert(
                    *board,
                    BoardEntry {
                        name: name.clone(),
                        archived: false,
                    },
                );
            }
            OrgEvent::BoardArchived { board } | OrgEvent::BoardRestored { board } => {
                if let Some(entry) = self.boards.get_mut(board) {
                    entry.archived = matches!(event, OrgEvent::BoardArchived { .. });
                }
            }
            OrgEvent::InviteCreated {
                invite,
                role,
                token_hash,
                expires_at,
            } => {
                self.invites.insert(
                    *invite,
                    Invite {
                        role: *role,
                        token_hash: token_hash.clone(),
                        expires_at: *expires_at,
                        state: InviteState::Pending,
                    },
                );
            }
            OrgEvent::InviteAccepted { invite, .. } | OrgEvent::InviteRevoked { invite } => {
                if let Some(found) = self.invites.get_mut(invite) {
                    found.state = if matches!(event, OrgEvent::InviteRevoked { .. }) {
                        InviteState::Revoked
                    } else {
                        InviteState::Accepted
                    };
                }
            }
        }
    }
}
