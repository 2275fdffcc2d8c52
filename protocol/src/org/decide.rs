//! Every rule of an organization: who may change whom, the last owner,
//! invitations, ownership, deletion, the board directory.

use super::rejection::ForbiddenRule;
use super::{InviteState, Org, OrgCaller, OrgCommand, OrgCtx, OrgEvent, OrgRejection};
use crate::ids::{InviteId, UserId};
use crate::role::{Permission, Role};

/// Longest organization name, in characters after trimming.
pub const ORG_NAME_MAX: usize = 100;

/// Who acts, with their role here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Actor {
    User(UserId, Role),
    ApiKey(Role),
}

impl Actor {
    fn role(self) -> Role {
        match self {
            Actor::User(_, role) | Actor::ApiKey(role) => role,
        }
    }
}

fn forbidden(cmd: &OrgCommand, rule: ForbiddenRule) -> OrgRejection {
    OrgRejection::Forbidden {
        action: cmd.name().to_owned(),
        rule,
    }
}

/// The membership rules. `target` is the member's current role (`None`:
/// not a member yet — an add or an invite), `new` the role they get
/// (`None`: removal), `is_self` whether the actor is that user.
///
/// - anyone may leave (remove themself);
/// - touching anyone else, or one's own role, needs `ManageMembers` (admin+);
/// - the owner role (granting it, or changing/removing an owner) needs
///   `ManageOrg` (owner), and never an API key;
/// - nobody grants a role above their own, so an admin grants at most admin.
fn may_change(
    actor: Actor,
    target: Option<Role>,
    new: Option<Role>,
    is_self: bool,
) -> Result<(), ForbiddenRule> {
    if is_self && new.is_none() {
        return Ok(());
    }
    let role = actor.role();
    if !role.allows(Permission::ManageMembers) {
        return Err(ForbiddenRule::CannotManageMembers);
    }
    if target == Some(Role::Owner) || new == Some(Role::Owner) {
        if matches!(actor, Actor::ApiKey(_)) {
            return Err(ForbiddenRule::KeyCannotTouchOwner);
        }
        if !role.allows(Permission::ManageOrg) {
            return Err(ForbiddenRule::OwnerOnly);
        }
    }
    if new.is_some_and(|new| new > role) {
        return Err(ForbiddenRule::AboveOwnRole);
    }
    Ok(())
}

/// An organization's name: 1–100 characters after trimming.
///
/// # Errors
/// `invalid_field` naming `name`.
pub fn valid_org_name(name: &str) -> Result<String, OrgRejection> {
    let trimmed = name.trim();
    let len = trimmed.chars().count();
    if len == 0 || len > ORG_NAME_MAX {
        return Err(OrgRejection::InvalidField {
            field: "name".into(),
            rule: format!("must be 1–{ORG_NAME_MAX} characters"),
        });
    }
    Ok(trimmed.to_owned())
}

/// An item-key prefix: 2–10 characters, an uppercase ASCII letter then
/// uppercase letters or digits.
///
/// # Errors
/// `invalid_field` naming `key`.
pub fn valid_org_key(key: &str) -> Result<String, OrgRejection> {
    let mut chars = key.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_uppercase());
    let rest_ok = chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if !(2..=10).contains(&key.len()) || !first_ok || !rest_ok {
        return Err(OrgRejection::InvalidField {
            field: "key".into(),
            rule: "must be 2–10 characters: an uppercase letter, then uppercase letters or digits"
                .into(),
        });
    }
    Ok(key.to_owned())
}

fn valid_hash(hash: &str) -> Result<(), OrgRejection> {
    if hash.len() == 64 && hash.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')) {
        Ok(())
    } else {
        Err(OrgRejection::InvalidField {
            field: "token_hash".into(),
            rule: "must be 64 lowercase hex digits (SHA-256)".into(),
        })
    }
}

impl Org {
    /// Decides `cmd` from `ctx`'s caller at `ctx.now`: the events to
    /// append, or why not. Reads nothing but `self`, `ctx` and `cmd`.
    ///
    /// # Errors
    /// [`OrgRejection`]: `org_not_found` for a missing or deleted
    /// organization (and for a caller who is not a member, except to
    /// accept an invitation), `forbidden` with the rule, and the
    /// command-specific refusals.
    pub fn decide(&self, ctx: &OrgCtx, cmd: &OrgCommand) -> Result<Vec<OrgEvent>, OrgRejection> {
        if let OrgCommand::CreateOrg { name, key } = cmd {
            let OrgCaller::System(owner) = ctx.caller else {
                return Err(forbidden(cmd, ForbiddenRule::SystemOnly));
            };
            if self.exists() {
                return Err(OrgRejection::OrgAlreadyExists);
            }
            return Ok(vec![
                OrgEvent::OrgCreated {
                    name: valid_org_name(name)?,
                    key: valid_org_key(key)?,
                    owner,
                },
                OrgEvent::MemberAdded {
                    user: owner,
                    role: Role::Owner,
                },
            ]);
        }
        if !self.exists() || self.deleted {
            return Err(OrgRejection::OrgNotFound);
        }
        if cmd.is_system() {
            return match ctx.caller {
                OrgCaller::System(_) => self.directory(cmd),
                _ => Err(forbidden(cmd, ForbiddenRule::SystemOnly)),
            };
        }
        let actor = match ctx.caller {
            OrgCaller::User(user) => match self.role_of(user) {
                Some(role) => Actor::User(user, role),
                None if matches!(cmd, OrgCommand::AcceptInvite { .. }) => {
                    return self.accept(ctx, user, cmd)
                }
                // A stranger learns nothing about the organization.
                None => return Err(OrgRejection::OrgNotFound),
            },
            OrgCaller::ApiKey { role, .. } => Actor::ApiKey(role),
            OrgCaller::System(_) => return Err(forbidden(cmd, ForbiddenRule::SystemOnly)),
        };
        self.decide_as(ctx, actor, cmd)
    }

    fn decide_as(
        &self,
        ctx: &OrgCtx,
        actor: Actor,
        cmd: &OrgCommand,
    ) -> Result<Vec<OrgEvent>, OrgRejection> {
        let me = match actor {
            Actor::User(user, _) => Some(user),
            Actor::ApiKey(_) => None,
        };
        let check = |target, new, is_self| {
            may_change(actor, target, new, is_self).map_err(|rule| forbidden(cmd, rule))
        };
        match cmd {
            OrgCommand::AddMember { user, role } => {
                if self.members.contains_key(user) {
                    return Err(OrgRejection::AlreadyMember { user: *user });
                }
                check(None, Some(*role), false)?;
                Ok(vec![OrgEvent::MemberAdded {
                    user: *user,
                    role: *role,
                }])
            }
            OrgCommand::ChangeRole { user, role } => {
                let current = self.member(*user)?;
                check(Some(current), Some(*role), me == Some(*user))?;
                if current == *role {
                    return Err(OrgRejection::NoChange);
                }
                self.keeps_an_owner(current, 1)?;
                Ok(vec![OrgEvent::MemberRoleChanged {
                    user: *user,
                    role: *role,
                }])
            }
            OrgCommand::RemoveMember { user } => self.remove(
                *user,
                check(Some(self.member(*user)?), None, me == Some(*user)),
            ),
            OrgCommand::Leave => match me {
                Some(user) => self.remove(user, Ok(())),
                None => Err(forbidden(cmd, ForbiddenRule::NotAMember)),
            },
            OrgCommand::CreateInvite {
                invite,
                role,
                token_hash,
                expires_at,
            } => {
                check(None, Some(*role), false)?;
                valid_hash(token_hash)?;
                if self.invites.contains_key(invite) || self.invite_by_hash(token_hash).is_some() {
                    return Err(OrgRejection::InvalidField {
                        field: "invite".into(),
                        rule: "must be new".into(),
                    });
                }
                if *expires_at <= ctx.now {
                    return Err(OrgRejection::InvalidField {
                        field: "expires_at".into(),
                        rule: "must be in the future".into(),
                    });
                }
                Ok(vec![OrgEvent::InviteCreated {
                    invite: *invite,
                    role: *role,
                    token_hash: token_hash.clone(),
                    expires_at: *expires_at,
                }])
            }
            OrgCommand::AcceptInvite { .. } => match me {
                Some(user) => self.accept(ctx, user, cmd),
                None => Err(forbidden(cmd, ForbiddenRule::NotAMember)),
            },
            OrgCommand::RevokeInvite { invite } => {
                let found = self
                    .invites
                    .get(invite)
                    .ok_or(OrgRejection::InviteNotFound)?;
                check(None, Some(found.role), false)?;
                match found.state {
                    InviteState::Accepted => Err(OrgRejection::InviteUsed),
                    InviteState::Revoked => Err(OrgRejection::InviteRevoked),
                    InviteState::Pending => Ok(vec![OrgEvent::InviteRevoked { invite: *invite }]),
                }
            }
            OrgCommand::RenameOrg { name } => {
                self.owner_only(actor, cmd, false)?;
                let name = valid_org_name(name)?;
                if name == self.name {
                    return Err(OrgRejection::NoChange);
                }
                Ok(vec![OrgEvent::OrgRenamed { name }])
            }
            OrgCommand::TransferOwnership { to } => {
                self.owner_only(actor, cmd, true)?;
                let from = me.ok_or_else(|| forbidden(cmd, ForbiddenRule::KeyCannotTouchOwner))?;
                let current = self.member(*to)?;
                if *to == from || current == Role::Owner {
                    return Err(OrgRejection::NoChange);
                }
                Ok(vec![
                    OrgEvent::MemberRoleChanged {
                        user: *to,
                        role: Role::Owner,
                    },
                    OrgEvent::MemberRoleChanged {
                        user: from,
                        role: Role::Admin,
                    },
                ])
            }
            OrgCommand::DeleteOrg => {
                self.owner_only(actor, cmd, true)?;
                Ok(vec![OrgEvent::OrgDeleted])
            }
            OrgCommand::CreateOrg { .. }
            | OrgCommand::BoardAdded { .. }
            | OrgCommand::BoardArchived { .. }
            | OrgCommand::BoardRestored { .. } => Err(forbidden(cmd, ForbiddenRule::SystemOnly)),
        }
    }

    /// `user`'s role, or `not_a_member`.
    fn member(&self, user: UserId) -> Result<Role, OrgRejection> {
        self.members
            .get(&user)
            .copied()
            .ok_or(OrgRejection::NotMember { user })
    }

    /// Refuses to take the owner role from the last `n` owner(s).
    fn keeps_an_owner(&self, current: Role, n: usize) -> Result<(), OrgRejection> {
        if current == Role::Owner && self.owners() <= n {
            return Err(OrgRejection::LastOwner);
        }
        Ok(())
    }

    fn remove(
        &self,
        user: UserId,
        allowed: Result<(), OrgRejection>,
    ) -> Result<Vec<OrgEvent>, OrgRejection> {
        let current = self.member(user)?;
        allowed?;
        self.keeps_an_owner(current, 1)?;
        Ok(vec![OrgEvent::MemberRemoved { user }])
    }

    /// Renaming, transferring and deleting: an owner; `user_only` refuses
    /// API keys whatever their role.
    fn owner_only(
        &self,
        actor: Actor,
        cmd: &OrgCommand,
        user_only: bool,
    ) -> Result<(), OrgRejection> {
        if user_only && matches!(actor, Actor::ApiKey(_)) {
            return Err(forbidden(cmd, ForbiddenRule::KeyCannotTouchOwner));
        }
        if !actor.role().allows(Permission::ManageOrg) {
            return Err(forbidden(cmd, ForbiddenRule::OwnerOnly));
        }
        Ok(())
    }

    fn accept(
        &self,
        ctx: &OrgCtx,
        user: UserId,
        cmd: &OrgCommand,
    ) -> Result<Vec<OrgEvent>, OrgRejection> {
        let OrgCommand::AcceptInvite { token_hash } = cmd else {
            return Err(forbidden(cmd, ForbiddenRule::NotAMember));
        };
        let (invite, found): (InviteId, _) = self
            .invite_by_hash(token_hash)
            .ok_or(OrgRejection::InviteNotFound)?;
        match found.state {
            InviteState::Accepted => return Err(OrgRejection::InviteUsed),
            InviteState::Revoked => return Err(OrgRejection::InviteRevoked),
            InviteState::Pending if ctx.now >= found.expires_at => {
                return Err(OrgRejection::InviteExpired)
            }
            InviteState::Pending => {}
        }
        if self.members.contains_key(&user) {
            return Ok(vec![OrgEvent::InviteAccepted {
                invite,
                user,
                joined: false,
            }]);
        }
        Ok(vec![
            OrgEvent::InviteAccepted {
                invite,
                user,
                joined: true,
            },
            OrgEvent::MemberAdded {
                user,
                role: found.role,
            },
        ])
    }

    /// A board's report: the directory follows the board's own log.
    fn directory(&self, cmd: &OrgCommand) -> Result<Vec<OrgEvent>, OrgRejection> {
        match cmd {
            OrgCommand::BoardAdded { board, name } => {
                if self.boards.contains_key(board) {
                    return Err(OrgRejection::NoChange);
                }
                Ok(vec![OrgEvent::BoardCreated {
                    board: *board,
                    name: name.clone(),
                }])
            }
            OrgCommand::BoardArchived { board } | OrgCommand::BoardRestored { board } => {
                let entry = self
                    .boards
                    .get(board)
                    .ok_or(OrgRejection::BoardNotFound { board: *board })?;
                let archive = matches!(cmd, OrgCommand::BoardArchived { .. });
                if entry.archived == archive {
                    return Err(OrgRejection::NoChange);
                }
                Ok(vec![if archive {
                    OrgEvent::BoardArchived { board: *board }
                } else {
                    OrgEvent::BoardRestored { board: *board }
                }])
            }
            _ => Err(forbidden(cmd, ForbiddenRule::SystemOnly)),
        }
    }
}
