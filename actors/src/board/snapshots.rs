//! When a board writes its snapshot. Loading a board reads its snapshot and
//! replays the events after it, so a snapshot bounds activation; but writing
//! one costs in proportion to the board's size and takes a database
//! connection the commits need. Two rules keep that cost in its place:
//!
//! - A board snapshots after `snapshot_every` events, or after half as many
//!   events as it has items and comments when that is more ([`due_after`]):
//!   writing a snapshot then costs at most about two records' encoding per
//!   event, whatever the board's size, and activation replays fewer events
//!   than the snapshot holds records. (Half, not all: a board that only
//!   grows has always had fewer events since its last snapshot than items.)
//!   Events are counted whichever node committed them; the check is made
//!   after this node's own commits.
//! - At most `snapshot_writers` snapshots are written at once, process-wide
//!   ([`Registry::snapshot_slot`]). A board whose snapshot is due while every
//!   slot is taken keeps counting and tries again after its next commit on
//!   this node. The write runs as a task of its own, not on the actor's
//!   context: a busy board polls its own futures only when its mailbox is
//!   empty, and would hold its slot (and a connection) meanwhile.
//!   Boards under the same even load come due together; without the slots
//!   a thousand of them wrote a snapshot each in the same second, held
//!   every pooled connection for seconds, and the commits queued behind
//!   them failed as `unavailable` (`loadtest/run commands --boards 1000`).
//!
//! A snapshot is best effort: a failed one is logged and the next one is
//! due after another full count.
//!
//! [`Registry::snapshot_slot`]: crate::registry::Registry::snapshot_slot

use super::BoardActor;

/// Events after the last snapshot at which the next one is due, for a board
/// of `records` items and comments.
pub(super) fn due_after(every: u64, records: usize) -> u64 {
    every.max(u64::try_from(records / 2).unwrap_or(u64::MAX))
}

impl BoardActor {
    /// Writes a snapshot in the background when one is due and a slot is
    /// free (see the module docs). Called after this node's own commits.
    pub(super) fn snapshot_if_due(&mut self) {
        let every = self.registry.config().snapshot_every;
        let records = self.board.items.len() + self.board.comments.len();
        if self.since_snapshot < due_after(every, records) {
            return;
        }
        let Some(slot) = self.registry.snapshot_slot() else {
            return;
        };
        self.since_snapshot = 0;
        let store = self.registry.store();
        let board = self.board.clone();
        let id = self.id;
        actix::spawn(tracing::Instrument::in_current_span(async move {
            if let Err(e) = store.save_snapshot(board).await {
                tracing::warn!(board_id = %id, error = %e, "saving snapshot failed");
            }
            drop(slot);
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::due_after;

    #[test]
    fn a_big_board_snapshots_after_half_its_items_in_events() {
        assert_eq!(due_after(500, 0), 500);
        assert_eq!(due_after(500, 1_000), 500);
        assert_eq!(due_after(500, 1_001), 500);
        assert_eq!(due_after(500, 50_000), 25_000);
    }

    #[test]
    fn a_board_that_only_grows_still_comes_due() {
        // After a snapshot of `n` items, `k` creations make `k` events and
        // `n + k` items: due once `k >= (n + k) / 2`, by `k = n`.
        let n = 40_000;
        let k = (1..=n).find(|k| *k as u64 >= due_after(500, n + k));
        assert!(k.is_some_and(|k| k + 1 >= n), "due after {k:?}");
    }
}
