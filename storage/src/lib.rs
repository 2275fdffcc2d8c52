//! Corkboard's PostgreSQL layer: migrations, the event store implementing
//! [`protocol::BoardStore`], read-model projections and queries, account
//! tables, the StorageActor (group commit), the managed local PostgreSQL,
//! and (feature `test-util`) a fresh database per test.
//!
//! # Architecture invariants
//! - `events` is the source of truth. An append inserts its events and
//!   updates the read models (`boards`, `board_columns`, `items`,
//!   `comments`) in ONE transaction: they commit together or not at all.
//! - Ack means durable: [`StorageHandle::append`] and
//!   [`StorageHandle::append_org`] resolve `Ok` only after COMMIT of the
//!   transaction holding those events. There is no other way to append:
//!   boards' and organizations' events share the StorageActor's queue and
//!   batch transactions.
//! - The primary key `(board_id, seq)` guards the single writer per board,
//!   `(org_id, seq)` the one per organization: a second append of a seq
//!   fails with [`protocol::StoreError::Conflict`] (or `OrgConflict`) for
//!   that request only, never for the others sharing its batch. So does a
//!   reused command id (`Duplicate`, `OrgDuplicate`).
//! - Nothing waits without bound: the append queue is bounded (full means
//!   [`protocol::StoreError::Overloaded`] at once), every append has a
//!   commit timeout, and pool waits and connects time out after ~2 s.
//! - Projections need no board state: each event carries everything its
//!   statement needs (fractional position keys, ids), so read models can be
//!   rebuilt by replaying `events`.
//! - Timestamps of board data are unix milliseconds as recorded by the
//!   board actor ([`protocol::Millis`]); this crate reads no clock for them.

mod accounts;
mod admin;
mod api_keys;
pub mod audit;
mod comments;
mod db;
mod event_log;
mod invites;
mod item_queries;
pub mod jobs;
mod keyset;
mod local_pg;
mod lockout;
mod login_sessions;
mod migrate;
mod nodes;
pub mod notify;
mod org_log;
mod orgs;
mod outcomes;
mod pg_binaries;
mod pg_store;
pub mod projection;
mod queries;
mod retention;
mod storage_actor;
#[cfg(any(test, feature = "test-util"))]
mod test_cluster;
#[cfg(any(test, feature = "test-util"))]
mod test_db;
mod users;
pub mod webhooks;

pub use accounts::{IssuedToken, MailPreferences, PasswordReset, TokenPurpose};
pub use admin::{AdminOrgRow, AdminUserRow};
pub use api_keys::{ApiKeyRow, NewApiKey, StoredApiKey};
pub use comments::CommentRow;
pub use db::{Db, DbError, CONNECT_TIMEOUT, PING_TIMEOUT, POOL_TIMEOUT};
pub use invites::{InviteRow, InviteStatus, NewInvite, RedeemError, Redeemed, RevokeOutcome};
pub use item_queries::{ArchivedFilter, ItemFilter, ItemPage, KeyedItem, SearchHit};
pub use keyset::{After, Page, PageRequest};
pub use local_pg::{LocalPgError, LocalPostgres};
pub use lockout::LockoutPolicy;
pub use login_sessions::{LoginSessionRow, NewLoginSession, RevokeReason, Rotation, LOGIN_RACED};
pub use org_log::OrgCommandKey;
pub use orgs::{MemberRow, OrgRow};
pub use outcomes::COMMAND_OUTCOME_RETENTION;
pub use pg_store::PgStore;
pub use queries::{BoardRow, ColumnRow, ItemRow};
pub use retention::PURGE_BATCH;
pub use storage_actor::{
    spawn_storage_actor, StorageConfig, StorageHandle, StorageStats, StorageTask,
    BATCH_EVENTS_BUCKETS, COMMIT_MICROS_BUCKETS,
};
#[cfg(any(test, feature = "test-util"))]
pub use test_cluster::{test_cluster_start, test_cluster_stop, TestCluster};
#[cfg(any(test, feature = "test-util"))]
pub use test_db::TestDb;
pub use users::UserRow;
