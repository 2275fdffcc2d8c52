//! An in-memory [`BoardStore`] for tests of the actors and the server.
//!
//! One `std::sync::Mutex` guards all state. Every method does its work
//! synchronously inside the returned future, which holds no lock across an
//! await (it has none), so the store is safe on any executor. Appends are
//! checked like the `(board_id, seq)` primary key: a batch must continue
//! the board's log exactly, or nothing is written.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::{BoardStore, LoadedBoard, OrgOutcome, OrgRecord, Outcome, StoreError, StoreFuture};
use crate::board::{Board, Event, Recorded, Rejection};
use crate::ids::{BoardId, OrgId, UserId};
use crate::org::{Org, OrgRecorded, OrgRejection};

mod org;

/// What the store holds. A board's log is kept whole (snapshots do not
/// truncate it) so tests can inspect every event.
#[derive(Default)]
struct State {
    logs: HashMap<BoardId, Vec<Recorded>>,
    snapshots: HashMap<BoardId, Board>,
    orgs: HashMap<OrgId, OrgRecord>,
    /// The next unreserved item number per organization.
    next_number: HashMap<OrgId, u64>,
    /// Command outcomes by (board, author, command id).
    outcomes: HashMap<(BoardId, UserId, String), Outcome>,
    /// Organizations' logs.
    org_logs: HashMap<OrgId, Vec<OrgRecorded>>,
    /// Organization command outcomes by (org, author, command id).
    org_outcomes: HashMap<(OrgId, UserId, String), OrgOutcome>,
}

/// A [`BoardStore`] in memory, with switches to simulate an outage.
#[derive(Default)]
pub struct MemStore {
    state: Mutex<State>,
    unavailable: AtomicBool,
    faulty: AtomicBool,
}

impl MemStore {
    /// An empty, available store.
    pub fn new() -> MemStore {
        MemStore::default()
    }

    /// Adds or replaces an organization.
    pub fn insert_org(&self, org: OrgRecord) {
        self.lock().orgs.insert(org.id, org);
    }

    /// While `true`, every call fails with [`StoreError::Unavailable`], as
    /// when the database is down; `false` brings the store back.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }

    /// While `true`, every call fails with [`StoreError::Internal`], as
    /// when a stored record no longer decodes; `false` repairs the store.
    pub fn set_faulty(&self, faulty: bool) {
        self.faulty.store(faulty, Ordering::SeqCst);
    }

    /// The whole log of a board, in seq order (empty when unknown).
    pub fn events(&self, board: BoardId) -> Vec<Recorded> {
        self.lock().logs.get(&board).cloned().unwrap_or_default()
    }

    /// The latest snapshot saved for a board.
    pub fn snapshot(&self, board: BoardId) -> Option<Board> {
        self.lock().snapshots.get(&board).cloned()
    }

    /// The state, even if a panicking test thread poisoned the lock: every
    /// mutation below is validated before it starts, so the state is never
    /// left half-written.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Fails when the outage or the fault switch is on.
    fn check_available(&self) -> Result<(), StoreError> {
        if self.faulty.load(Ordering::SeqCst) {
            return Err(StoreError::Internal(
                "memory store made faulty for this test".to_owned(),
            ));
        }
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable(
                "memory store switched off for this test".to_owned(),
            ));
        }
        Ok(())
    }

    fn append_now(&self, events: Vec<Recorded>) -> Result<(), StoreError> {
        self.check_available()?;
        let Some(first) = events.first() else {
            return Ok(());
        };
        let board = first.board;
        if events.iter().any(|rec| rec.board != board) {
            return Err(StoreError::Unavailable(
                "one append must hold the events of one board".to_owned(),
            ));
        }
        let mut state = self.lock();
        let last = state
            .logs
            .get(&board)
            .and_then(|log| log.last())
            .map_or(0, |rec| rec.seq);
        // Each seq must follow the previous one, starting right after the
        // stored log; the first one that does not is the conflicting key.
        if let Some((_, rec)) = (last + 1..)
            .zip(&events)
            .find(|(expected, rec)| rec.seq != *expected)
        {
            return Err(StoreError::Conflict {
                board,
                seq: rec.seq,
            });
        }
        // Idempotency: a command id (per author) is used once per board.
        let mut commands: Vec<((BoardId, UserId, String), Outcome)> = Vec::new();
        for rec in &events {
            let Some(id) = &rec.command_id else { continue };
            let key = (board, rec.by, id.clone());
            if state.outcomes.contains_key(&key) {
                return Err(StoreError::Duplicate {
                    board,
                    command_id: id.clone(),
                });
            }
            match commands.iter_mut().find(|(k, _)| *k == key) {
                Some((_, Outcome::Accepted { last_seq, .. })) => *last_seq = rec.seq,
                _ => commands.push((
                    key,
                    Outcome::Accepted {
                        first_seq: rec.seq,
                        last_seq: rec.seq,
                    },
                )),
            }
        }
        state.outcomes.extend(commands);
        // Read model: the organization's board directory.
        for rec in &events {
            if let Event::BoardCreated { org, .. } = &rec.event {
                if let Some(record) = state.orgs.get_mut(org) {
                    if !record.boards.contains(&board) {
                        record.boards.push(board);
                    }
                }
            }
        }
        state.logs.entry(board).or_default().extend(events);
        Ok(())
    }

    fn load_board_now(&self, board: BoardId) -> Result<Option<LoadedBoard>, StoreError> {
        self.check_available()?;
        let state = self.lock();
        let snapshot = state.snapshots.get(&board).cloned();
        let after = snapshot.as_ref().map_or(0, |snapshot| snapshot.seq);
        let events: Vec<Recorded> = state
            .logs
            .get(&board)
            .map(|log| log.iter().filter(|rec| rec.seq > after).cloned().collect())
            .unwrap_or_default();
        if snapshot.is_none() && events.is_empty() {
            return Ok(None);
        }
        Ok(Some(LoadedBoard { snapshot, events }))
    }

    fn events_after_now(
        &self,
        board: BoardId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<Recorded>, StoreError> {
        self.check_available()?;
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(self
            .lock()
            .logs
            .get(&board)
            .map(|log| {
                log.iter()
                    .filter(|rec| rec.seq > after)
                    .take(limit)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
    }

    fn save_snapshot_now(&self, board: Board) -> Result<(), StoreError> {
        self.check_available()?;
        let mut state = self.lock();
        // Never replace a newer snapshot with an older one.
        let newer_stored = state
            .snapshots
            .get(&board.id)
            .is_some_and(|stored| stored.seq > board.seq);
        if !newer_stored {
            state.snapshots.insert(board.id, board);
        }
        Ok(())
    }

    fn reserve_now(&self, org: OrgId, count: u32) -> Result<u64, StoreError> {
        self.check_available()?;
        let mut state = self.lock();
        let next = state.next_number.entry(org).or_insert(1);
        let first = *next;
        *next = next.saturating_add(u64::from(count));
        Ok(first)
    }
}

impl BoardStore for MemStore {
    fn load_board(&self, board: BoardId) -> StoreFuture<'_, Option<LoadedBoard>> {
        Box::pin(async move { self.load_board_now(board) })
    }

    fn append(&self, events: Vec<Recorded>) -> StoreFuture<'_, ()> {
        Box::pin(async move { self.append_now(events) })
    }

    fn events_after(
        &self,
        board: BoardId,
        after: u64,
        limit: u32,
    ) -> StoreFuture<'_, Vec<Recorded>> {
        Box::pin(async move { self.events_after_now(board, after, limit) })
    }

    fn save_snapshot(&self, board: Board) -> StoreFuture<'_, ()> {
        Box::pin(async move { self.save_snapshot_now(board) })
    }

    fn load_org(&self, org: OrgId) -> StoreFuture<'_, Option<OrgRecord>> {
        Box::pin(async move {
            self.check_available()?;
            Ok(self.lock().orgs.get(&org).cloned())
        })
    }

    fn reserve_item_numbers(&self, org: OrgId, count: u32) -> StoreFuture<'_, u64> {
        Box::pin(async move { self.reserve_now(org, count) })
    }

    fn find_outcome(
        &self,
        board: BoardId,
        actor: UserId,
        command_id: String,
    ) -> StoreFuture<'_, Option<Outcome>> {
        Box::pin(async move {
            self.check_available()?;
            Ok(self
                .lock()
                .outcomes
                .get(&(board, actor, command_id))
                .cloned())
        })
    }

    fn record_rejection(
        &self,
        board: BoardId,
        actor: UserId,
        command_id: String,
        rejection: Rejection,
    ) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            self.check_available()?;
            self.lock()
                .outcomes
                .entry((board, actor, command_id))
                .or_insert(Outcome::Rejected(rejection));
            Ok(())
        })
    }

    fn load_org_log(&self, org: OrgId) -> StoreFuture<'_, Option<Org>> {
        Box::pin(async move { self.load_org_log_now(org) })
    }

    fn append_org(
        &self,
        org: OrgId,
        records: Vec<OrgRecorded>,
        command: Option<(UserId, String)>,
        _origin: Option<crate::Origin>,
    ) -> StoreFuture<'_, ()> {
        Box::pin(async move { self.append_org_now(org, records, command) })
    }

    fn org_events_after(
        &self,
        org: OrgId,
        after: u64,
        limit: u32,
    ) -> StoreFuture<'_, Vec<OrgRecorded>> {
        Box::pin(async move { self.org_events_after_now(org, after, limit) })
    }

    fn find_org_outcome(
        &self,
        org: OrgId,
        actor: UserId,
        command_id: String,
    ) -> StoreFuture<'_, Option<OrgOutcome>> {
        Box::pin(async move {
            self.check_available()?;
            Ok(self
                .lock()
                .org_outcomes
                .get(&(org, actor, command_id))
                .cloned())
        })
    }

    fn record_org_rejection(
        &self,
        org: OrgId,
        actor: UserId,
        command_id: String,
        rejection: OrgRejection,
    ) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            self.check_available()?;
            self.lock()
                .org_outcomes
                .entry((org, actor, command_id))
                .or_insert(OrgOutcome::Rejected(rejection));
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests;
