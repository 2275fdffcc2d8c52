//! Members of an organization: list, add by email, change a role, remove
//! (or leave).
//!
//! Every membership change (add, re-role, remove, invite) is checked by one
//! pure function, [`may_change`]; re-roles and removals run it inside the
//! storage transaction that locks the org's roster, so the check and the
//! write see the same roster. The "at least one owner" rule is enforced by
//! that transaction (`storage::MembershipError::LastOwner`, 409
//! `last_owner`). See docs/organizations.md.

use actix_web::{web, HttpResponse};
use actors::Caller;
use protocol::codes::ErrorCode;
use protocol::{OrgId, Permission, Role, Roster, UserId};
use serde::{Deserialize, Serialize};
use storage::MembershipError;
use utoipa::ToSchema;
use uuid::Uuid;

use super::orgs::role_in;
use super::page::{list_page, ListPage, PageQuery};
use super::views::MemberView;
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// A registered user to add, with their role.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    /// The email of an existing account.
    email: String,
    #[schema(value_type = Role)]
    role: String,
}

/// A member's new role.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMember {
    #[schema(value_type = Role)]
    role: String,
}

list_page! {
    /// A page of the members of an organization, oldest membership first.
    MembersPage { members: MemberView }
}

/// A role change.
#[derive(Serialize, ToSchema)]
pub struct RoleChanged {
    user_id: UserId,
    role: Role,
    previous_role: Role,
}

/// Who asks for a membership change, with their role in the org.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A user (who may also be the target: `is_self`).
    User(Role),
    /// An API key of the org.
    ApiKey(Role),
}

impl Actor {
    fn role(self) -> Role {
        match self {
            Actor::User(role) | Actor::ApiKey(role) => role,
        }
    }
}

/// Why [`may_change`] refused. Every refusal is a 403.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The actor's role lacks `ManageMembers`.
    CannotManageMembers,
    /// Granting, taking or touching the owner role needs an owner.
    OwnerOnly,
    /// API keys never grant the owner role or touch an owner.
    KeyCannotTouchOwner,
    /// Nobody grants a role above their own.
    AboveOwnRole,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::CannotManageMembers => "your role cannot manage members",
            Refusal::OwnerOnly => "only an owner may grant the owner role or change an owner",
            Refusal::KeyCannotTouchOwner => {
                "an API key cannot grant the owner role or change an owner"
            }
            Refusal::AboveOwnRole => "you cannot grant a role above your own",
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> ApiError {
        ApiError::Forbidden {
            message: r.message().into(),
        }
    }
}

/// The membership rules, in one place. `target` is the member's current
/// role (`None`: not a member yet — an add or an invite), `new` the role
/// they get (`None`: removal), `is_self` whether the actor is that user.
///
/// - anyone may leave (remove themself);
/// - touching anyone else, or one's own role, needs `ManageMembers` (admin+);
/// - the owner role (granting it, or changing/removing an owner) needs
///   `ManageOrg` (owner), and never an API key;
/// - nobody grants a role above their own, so an admin grants at most admin.
///
/// The last-owner rule needs the whole roster and lives in storage.
///
/// # Errors
/// The [`Refusal`] naming the first rule that fails.
pub fn may_change(
    actor: Actor,
    target: Option<Role>,
    new: Option<Role>,
    is_self: bool,
) -> Result<(), Refusal> {
    if is_self && new.is_none() {
        return Ok(());
    }
    let role = actor.role();
    if !role.allows(Permission::ManageMembers) {
        return Err(Refusal::CannotManageMembers);
    }
    if target == Some(Role::Owner) || new == Some(Role::Owner) {
        if matches!(actor, Actor::ApiKey(_)) {
            return Err(Refusal::KeyCannotTouchOwner);
        }
        if !role.allows(Permission::ManageOrg) {
            return Err(Refusal::OwnerOnly);
        }
    }
    if new.is_some_and(|new| new > role) {
        return Err(Refusal::AboveOwnRole);
    }
    Ok(())
}

/// The caller as an [`Actor`] with their role in `roster` (a user) or the
/// key's role; a user no longer in the roster gets 404.
fn actor_in(caller: Caller, roster: &Roster) -> Result<Actor, ApiError> {
    match caller {
        Caller::User(user) => {
            roster
                .get(&user)
                .copied()
                .map(Actor::User)
                .ok_or(ApiError::NotFound {
                    what: "organization",
                })
        }
        Caller::ApiKey { role, .. } => Ok(Actor::ApiKey(role)),
    }
}

/// The caller as an [`Actor`] whose role in the org is `role`.
pub fn actor_of(caller: Caller, role: Role) -> Actor {
    match caller {
        Caller::User(_) => Actor::User(role),
        Caller::ApiKey { .. } => Actor::ApiKey(role),
    }
}

/// A role named in a request body, field `field`.
pub fn parse_role(field: &str, role: &str) -> Result<Role, ApiError> {
    role.parse()
        .map_err(|_| ApiError::validation(field, "must be owner, admin, member or viewer"))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/members",
    tag = "members",
    params(("org" = Uuid, Path, description = "The organization"), PageQuery),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "A page of the members with their roles, oldest membership first", body = MembersPage),
        (status = 404, description = "No such organization, or the caller is not a member", body = ErrorBody),
    ),
)]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let org_id = OrgId(path.into_inner());
    role_in(&state, org_id, auth).await?;
    let page = MembersPage::request(&query)?;
    Ok(MembersPage::respond(state.db.members(org_id, page).await?))
}

/// Add a registered user by email (admins and owners; only an owner
/// grants the owner role).
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org}/members",
    tag = "members",
    params(("org" = Uuid, Path, description = "The organization")),
    request_body = AddMember,
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "Added", body = MemberView),
        (status = 403, description = "The caller's role may not grant this role", body = ErrorBody),
        (status = 404, description = "No such organization, or the caller is not a member", body = ErrorBody),
        (status = 409, description = "`already_member`", body = ErrorBody),
        (status = 504, description = "`timeout`: the organization did not answer in time", body = ErrorBody),
    ),
)]
pub async fn add(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    body: web::Json<AddMember>,
) -> Result<HttpResponse, ApiError> {
    let org_id = OrgId(path.into_inner());
    let role = role_in(&state, org_id, auth).await?;
    let AddMember {
        email,
        role: new_role,
    } = body.into_inner();
    let new_role = parse_role("role", &new_role)?;
    super::extract::one_line("email", &email)?;
    may_change(actor_of(auth.0.caller, role), None, Some(new_role), false)?;
    let user = state
        .db
        .user_by_email(&email.trim().to_lowercase())
        .await?
        .ok_or_else(|| ApiError::validation("email", "no account has this email"))?;
    state
        .db
        .add_member(org_id, user.id, new_role)
        .await
        .map_err(|e| match e {
            storage::DbError::Conflict(_) => ApiError::Conflict {
                code: ErrorCode::AlreadyMember,
                message: "this user is already a member".into(),
            },
            other => other.into(),
        })?;
    state
        .registry
        .org(org_id)
        .member_changed(user.id, Some(new_role))
        .await?;
    Ok(HttpResponse::Created().json(MemberView {
        user_id: user.id,
        email: user.email,
        name: user.name,
        role: new_role,
    }))
}

/// `PATCH /orgs/{org}/members/{user}` `{role}`: change a member's role.
#[utoipa::path(
    patch,
    path = "/api/v1/orgs/{org}/members/{user}",
    tag = "members",
    params(
        ("org" = Uuid, Path, description = "The organization"),
        ("user" = Uuid, Path, description = "The member"),
    ),
    request_body = UpdateMember,
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Changed", body = RoleChanged),
        (status = 403, description = "The caller's role may not make this change", body = ErrorBody),
        (status = 404, description = "No such organization or member", body = ErrorBody),
        (status = 409, description = "`last_owner`: the organization must keep an owner", body = ErrorBody),
        (status = 504, description = "`timeout`: the organization did not answer in time", body = ErrorBody),
    ),
)]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<UpdateMember>,
) -> Result<HttpResponse, ApiError> {
    let (org_id, target) = path.into_inner();
    let (org_id, target) = (OrgId(org_id), UserId(target));
    let new_role = parse_role("role", &body.into_inner().role)?;
    let previous = change_member(&state, auth, org_id, target, Some(new_role)).await?;
    Ok(HttpResponse::Ok().json(RoleChanged {
        user_id: target,
        role: new_role,
        previous_role: previous,
    }))
}

/// `DELETE /orgs/{org}/members/{user}`: remove a member, or leave (204).
#[utoipa::path(
    delete,
    path = "/api/v1/orgs/{org}/members/{user}",
    tag = "members",
    params(
        ("org" = Uuid, Path, description = "The organization"),
        ("user" = Uuid, Path, description = "The member (the caller's own id: leave)"),
    ),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "The caller's role may not remove this member", body = ErrorBody),
        (status = 404, description = "No such organization or member", body = ErrorBody),
        (status = 409, description = "`last_owner`: the organization must keep an owner", body = ErrorBody),
        (status = 504, description = "`timeout`: the organization did not answer in time", body = ErrorBody),
    ),
)]
pub async fn remove(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (org_id, target) = path.into_inner();
    change_member(&state, auth, OrgId(org_id), UserId(target), None).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Re-roles (`Some`) or removes (`None`) `target` as the caller, checking
/// [`may_change`] against the locked roster, then tells the live org actor.
/// Returns the target's previous role.
async fn change_member(
    state: &AppState,
    auth: Auth,
    org: OrgId,
    target: UserId,
    new_role: Option<Role>,
) -> Result<Role, ApiError> {
    // Outsiders (and keys of other orgs) get 404 before anything else.
    role_in(state, org, auth).await?;
    let caller = auth.0.caller;
    let is_self = caller.user() == Some(target);
    let previous = state
        .db
        .change_member(org, target, new_role, |roster, current| {
            let actor = actor_in(caller, roster)?;
            may_change(actor, Some(current), new_role, is_self).map_err(ApiError::from)
        })
        .await
        .map_err(|e| match e {
            MembershipError::NotMember => ApiError::NotFound { what: "member" },
            MembershipError::LastOwner => ApiError::Conflict {
                code: ErrorCode::LastOwner,
                message: "the organization must keep at least one owner: \
                          make another member owner first"
                    .into(),
            },
            MembershipError::Refused(e) => e,
            MembershipError::Db(e) => e.into(),
        })?;
    state
        .registry
        .org(org)
        .member_changed(target, new_role)
        .await?;
    Ok(previous)
}

#[cfg(test)]
mod tests {
    use super::{may_change, Actor, Refusal};
    use protocol::Role::{self, Admin, Member, Owner, Viewer};

    const ALL: [Role; 4] = [Viewer, Member, Admin, Owner];

    #[test]
    fn anyone_may_leave() {
        for role in ALL {
            assert_eq!(
                may_change(Actor::User(role), Some(role), None, true),
                Ok(())
            );
        }
    }

    #[test]
    fn viewers_and_members_cannot_manage_members() {
        for role in [Viewer, Member] {
            for target in [None, Some(Viewer)] {
                assert_eq!(
                    may_change(Actor::User(role), target, Some(Viewer), false),
                    Err(Refusal::CannotManageMembers)
                );
            }
            assert_eq!(
                may_change(Actor::User(role), Some(Viewer), None, false),
                Err(Refusal::CannotManageMembers)
            );
            // Nor raise themselves.
            assert_eq!(
                may_change(Actor::User(role), Some(role), Some(Admin), true),
                Err(Refusal::CannotManageMembers)
            );
        }
    }

    #[test]
    fn admins_manage_everyone_below_owner_up_to_admin() {
        let admin = Actor::User(Admin);
        for target in [None, Some(Viewer), Some(Member), Some(Admin)] {
            for new in [Viewer, Member, Admin] {
                assert_eq!(may_change(admin, target, Some(new), false), Ok(()));
            }
        }
        assert_eq!(may_change(admin, Some(Admin), None, false), Ok(()));
        assert_eq!(
            may_change(admin, Some(Member), Some(Owner), false),
            Err(Refusal::OwnerOnly)
        );
        assert_eq!(
            may_change(admin, None, Some(Owner), false),
            Err(Refusal::OwnerOnly)
        );
        assert_eq!(
            may_change(admin, Some(Owner), Some(Admin), false),
            Err(Refusal::OwnerOnly)
        );
        assert_eq!(
            may_change(admin, Some(Owner), None, false),
            Err(Refusal::OwnerOnly)
        );
        assert_eq!(
            may_change(admin, Some(Admin), Some(Owner), true),
            Err(Refusal::OwnerOnly)
        );
    }

    #[test]
    fn owners_may_do_anything() {
        for target in [None, Some(Viewer), Some(Member), Some(Admin), Some(Owner)] {
            for new in ALL {
                assert_eq!(
                    may_change(Actor::User(Owner), target, Some(new), false),
                    Ok(())
                );
            }
            assert_eq!(may_change(Actor::User(Owner), target, None, false), Ok(()));
        }
        // Stepping down (the last-owner rule is storage's).
        assert_eq!(
            may_change(Actor::User(Owner), Some(Owner), Some(Member), true),
            Ok(())
        );
    }

    #[test]
    fn api_keys_follow_their_role_but_never_touch_owners() {
        assert_eq!(
            may_change(Actor::ApiKey(Admin), Some(Member), Some(Viewer), false),
            Ok(())
        );
        assert_eq!(
            may_change(Actor::ApiKey(Member), Some(Viewer), None, false),
            Err(Refusal::CannotManageMembers)
        );
        for key in [Actor::ApiKey(Admin), Actor::ApiKey(Owner)] {
            assert_eq!(
                may_change(key, Some(Owner), Some(Admin), false),
                Err(Refusal::KeyCannotTouchOwner)
            );
            assert_eq!(
                may_change(key, Some(Owner), None, false),
                Err(Refusal::KeyCannotTouchOwner)
            );
            assert_eq!(
                may_change(key, None, Some(Owner), false),
                Err(Refusal::KeyCannotTouchOwner)
            );
        }
    }
}
