//! What this node hears from the others, routed to the live actors it
//! concerns. A notice for a board or organization that has no live actor
//! here is dropped: an actor that starts later loads the log anyway.

use protocol::bus::{Envelope, NodeId, Notice, Revocation};
use protocol::{BoardId, OrgId};

use crate::board::{Behind, HeardPresence, NodeGone, PresenceHello, SayHello};
use crate::org::OrgBehind;
use crate::registry::Registry;

/// Whether `seqs` continue a log that ends at `seq`, one by one.
pub(crate) fn follows(seq: u64, seqs: impl Iterator<Item = u64>) -> bool {
    seqs.enumerate().all(|(i, s)| s == seq + 1 + i as u64)
}

impl Registry {
    /// Route a notice another node sent. Revocations are the node's
    /// business (its sessions, its credential checks): they are handed back.
    pub fn hear(&self, envelope: Envelope) -> Option<Revocation> {
        let node = envelope.node;
        match envelope.notice {
            Notice::BoardCommitted { board, to, events } => {
                self.send_live_board(
                    board,
                    Behind {
                        to: Some(to),
                        events,
                        from: Some(node),
                    },
                );
            }
            Notice::OrgCommitted { org, to } => {
                self.send_live_org(org, OrgBehind { to: Some(to) });
            }
            Notice::Presence {
                board,
                change,
                entry,
            } => {
                self.send_live_board(
                    board,
                    HeardPresence {
                        node,
                        change,
                        entry,
                    },
                );
            }
            Notice::PresenceHello { board, answer } => {
                self.send_live_board(board, PresenceHello { node, answer });
            }
            Notice::Revoked(revocation) => return Some(revocation),
        }
        None
    }

    /// Every live board and organization reads what it missed from the
    /// log, and every live board asks the others who is present and who
    /// follows it: the bus came back, and what it carried meanwhile is lost.
    pub fn catch_up_all(&self) {
        for board in self.live_boards() {
            self.board_behind(board, None);
            self.send_live_board(board, SayHello);
        }
        for org in self.live_orgs() {
            self.org_behind(org, None);
        }
    }

    /// The board's log ends at `head` (`None`: unknown); its live actor,
    /// if any, catches up when it is behind.
    pub fn board_behind(&self, board: BoardId, head: Option<u64>) {
        self.send_live_board(board, Behind::look(head));
    }

    /// The organization's log ends at `head` (see `board_behind`).
    pub fn org_behind(&self, org: OrgId, head: Option<u64>) {
        self.send_live_org(org, OrgBehind { to: head });
    }

    /// `node` is gone: the sessions it had are no longer present.
    pub fn node_gone(&self, node: NodeId) {
        for board in self.live_boards() {
            self.send_live_board(board, NodeGone(node));
        }
    }
}
