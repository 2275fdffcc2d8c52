//! Given/when/then tests of the organization rules: `given(events)` folds
//! a log, `.when(caller, command)` decides, and each test compares the
//! outcome with the expected events or rejection.

mod golden;
mod invites;
mod members;
mod org;
mod replay;

use uuid::Uuid;

use super::{ForbiddenRule, Org, OrgCaller, OrgCommand, OrgCtx, OrgEvent, OrgRejection};
use crate::ids::{BoardId, InviteId, Millis, OrgId, UserId};
use crate::role::Role;

const ORG: OrgId = OrgId(Uuid::from_u128(0x0a));
const NOW: Millis = Millis(1_767_225_600_000);

const OWNER: UserId = UserId(Uuid::from_u128(0x1));
const ADMIN: UserId = UserId(Uuid::from_u128(0x2));
const MEMBER: UserId = UserId(Uuid::from_u128(0x3));
const VIEWER: UserId = UserId(Uuid::from_u128(0x4));
/// Not in the organization.
const STRANGER: UserId = UserId(Uuid::from_u128(0x5));
const SECOND_OWNER: UserId = UserId(Uuid::from_u128(0x6));

fn invite(n: u128) -> InviteId {
    InviteId(Uuid::from_u128(0x1e00 + n))
}

fn board(n: u128) -> BoardId {
    BoardId(Uuid::from_u128(0xb00 + n))
}

/// A token hash for invitation `n`.
fn hash(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

fn user(u: UserId) -> OrgCaller {
    OrgCaller::User(u)
}

fn key(role: Role) -> OrgCaller {
    OrgCaller::ApiKey { role, by: ADMIN }
}

fn system() -> OrgCaller {
    OrgCaller::System(OWNER)
}

fn forbidden(action: &str, rule: ForbiddenRule) -> OrgRejection {
    OrgRejection::Forbidden {
        action: action.into(),
        rule,
    }
}

/// The log of a typical organization: created by OWNER, with an admin, a
/// member and a viewer.
fn founded() -> Vec<OrgEvent> {
    vec![
        OrgEvent::OrgCreated {
            name: "Design Studio".into(),
            key: "DS".into(),
            owner: OWNER,
        },
        OrgEvent::MemberAdded {
            user: OWNER,
            role: Role::Owner,
        },
        OrgEvent::MemberAdded {
            user: ADMIN,
            role: Role::Admin,
        },
        OrgEvent::MemberAdded {
            user: MEMBER,
            role: Role::Member,
        },
        OrgEvent::MemberAdded {
            user: VIEWER,
            role: Role::Viewer,
        },
    ]
}

/// `founded()` and then `more`.
fn with(more: Vec<OrgEvent>) -> Vec<OrgEvent> {
    let mut log = founded();
    log.extend(more);
    log
}

struct Given {
    org: Org,
    now: Millis,
}

fn given(events: Vec<OrgEvent>) -> Given {
    let mut org = Org::new(ORG);
    for event in &events {
        org.apply(event);
    }
    Given { org, now: NOW }
}

impl Given {
    fn at(mut self, now: Millis) -> Given {
        self.now = now;
        self
    }

    fn when(&self, caller: OrgCaller, cmd: OrgCommand) -> Result<Vec<OrgEvent>, OrgRejection> {
        self.org.decide(
            &OrgCtx {
                caller,
                now: self.now,
            },
            &cmd,
        )
    }

    /// Decides and applies, for a following `when`.
    fn then_apply(mut self, caller: OrgCaller, cmd: OrgCommand) -> Given {
        let events = self.when(caller, cmd).expect("accepted");
        for event in &events {
            self.org.apply(event);
        }
        self
    }
}
