//! Corkboard's sans-IO core.
//!
//! # Architecture invariant
//! This crate does no I/O, reads no clock and draws no random numbers: time,
//! fresh ids and organization facts come in through [`Ctx`]. Every rule of a
//! board lives in [`Board::decide`]; [`Board::apply`] only folds events, so
//! replaying a board's log always reproduces its state.

// Tests may unwrap: a panic is how a test fails. Non-test code is still
// linted (`cargo clippy --all-targets` checks the library on its own too).
#![cfg_attr(test, allow(clippy::unwrap_used))]
#![warn(missing_docs)]

pub mod board;
pub mod bus;
pub mod close;
pub mod codec;
pub mod codes;
#[cfg(test)]
mod generated;
pub mod ids;
pub mod jobs;
pub mod org;
pub mod origin;
pub mod position;
pub mod presence;
pub mod role;
#[cfg(test)]
mod samples;
pub mod store;
pub mod webhooks;
pub mod wire;

pub use board::{Board, Column, Command, CommentMeta, Ctx, Event, Item, Recorded, Rejection};
pub use codec::{DecodeError, Format};
pub use ids::{BoardId, ColumnId, CommentId, InviteId, ItemId, Millis, OrgId, UserId};
pub use org::{
    Member, Org, OrgCaller, OrgCommand, OrgCtx, OrgEvent, OrgRecorded, OrgRejection, OrgRequest,
};
pub use origin::Origin;
pub use presence::{Cursor, PresenceChange, PresenceEntry, PresenceState};
pub use role::{Permission, Role, Roster};
#[cfg(any(test, feature = "test-util"))]
pub use store::MemStore;
pub use store::{BoardStore, LoadedBoard, OrgOutcome, OrgRecord, Outcome, StoreError, StoreFuture};
pub use wire::{ClientMsg, Limits, ServerMsg};
