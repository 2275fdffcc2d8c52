//! Organizations as aggregates, shaped like boards: [`Org`] is the state,
//! [`Org::decide`] holds every membership, invitation, ownership and
//! directory rule and answers events or an [`OrgRejection`], and
//! [`Org::apply`] only folds events, so replaying an organization's log
//! always reproduces its state. The org actor is the only caller of
//! `decide` and the only writer of an organization.
//!
//! One source of truth for roles: [`Org::role_of`].

mod apply;
mod command;
mod decide;
mod event;
mod rejection;
mod request;
mod state;
#[cfg(test)]
mod tests;

pub use command::OrgCommand;
pub use decide::{valid_org_key, valid_org_name, ORG_NAME_MAX};
pub use event::{Member, OrgEvent, OrgRecorded};
pub use rejection::{ForbiddenRule, OrgRejection};
pub use request::{OrgRequest, ORG_REQUEST_TYPES};
pub use state::{BoardEntry, Invite, InviteState, Org};

use crate::ids::{Millis, UserId};
use crate::role::Role;

/// `bytes` as lowercase hex: how a token's SHA-256 is written in the log
/// (`token_hash`).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes written as hex in `text`; `None` when it is not hex.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// Who asks the organization for a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrgCaller {
    /// A user: their role is what the organization says it is.
    User(UserId),
    /// An API key of the organization, with its role; `by` is the user
    /// recorded for its events (the key's creator).
    ApiKey {
        /// The key's role.
        role: Role,
        /// Recorded as the events' author.
        by: UserId,
    },
    /// The server itself on behalf of a user: a board reporting its
    /// creation, archiving or restoring (already allowed by the board's
    /// own rules), or the creation of the organization.
    System(UserId),
}

impl OrgCaller {
    /// The user recorded as the author of the events.
    pub fn author(&self) -> UserId {
        match *self {
            OrgCaller::User(user) | OrgCaller::System(user) => user,
            OrgCaller::ApiKey { by, .. } => by,
        }
    }
}

/// What `decide` needs besides the state and the command: who asks, and
/// the time (the core reads no clock).
#[derive(Clone, Copy, Debug)]
pub struct OrgCtx {
    /// Who asks.
    pub caller: OrgCaller,
    /// The current time.
    pub now: Millis,
}
