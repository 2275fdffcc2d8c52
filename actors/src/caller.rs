//! Who is asking: a user (through an access token) or an API key. Both act
//! with a role in one organization; the actors check it on every request.

use protocol::{OrgId, Role, UserId};
use uuid::Uuid;

use crate::org::LiveOrg;

/// The principal behind a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Caller {
    /// A user; their role comes from the organization's roster.
    User(UserId),
    /// An API key: it belongs to one organization and carries its own role.
    ApiKey { id: Uuid, org: OrgId, role: Role },
}

impl Caller {
    /// The id recorded as the author (`by`) of what the caller does: the
    /// user id, or the API key id.
    pub fn actor_id(&self) -> UserId {
        match self {
            Caller::User(user) => *user,
            Caller::ApiKey { id, .. } => UserId(*id),
        }
    }

    /// The user, if the caller is one.
    pub fn user(&self) -> Option<UserId> {
        match self {
            Caller::User(user) => Some(*user),
            Caller::ApiKey { .. } => None,
        }
    }

    /// The caller's role in `org`, or `None` when it has no access there.
    pub fn role_in(&self, org: &LiveOrg) -> Option<Role> {
        match self {
            Caller::User(user) => org.members.get(user).copied(),
            Caller::ApiKey {
                org: key_org, role, ..
            } => (*key_org == org.id).then_some(*role),
        }
    }
}

impl From<UserId> for Caller {
    fn from(user: UserId) -> Self {
        Caller::User(user)
    }
}
