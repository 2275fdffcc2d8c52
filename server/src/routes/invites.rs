//! Invitations: an admin creates a single-use token for a role, anyone
//! holding it (a logged-in user) joins the organization with that role.
//!
//! The token is shown once, in the create response; only its SHA-256 is
//! stored. Who may invite for which role follows the same rules as adding a
//! member ([`super::members::may_change`]). See docs/organizations.md.

use actix_web::{web, HttpRequest, HttpResponse};
use aws_lc_rs::digest;
use protocol::codes::ErrorCode;
use protocol::org::{hex, ForbiddenRule};
use protocol::{InviteId, Millis, OrgCommand, OrgEvent, OrgId, Permission, Role};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::commands::{command_id, IdempotencyKey};
use super::members::parse_role;
use super::org_commands::submit;
use super::orgs::caller_role;
use super::page::{list_page, ListPage, PageQuery};
use super::views::InviteView;
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Invite tokens start with this, so a leaked one is recognizable.
pub const INVITE_TOKEN_PREFIX: &str = "cbi_";
/// Random bytes in a token (hex-encoded after the prefix).
const TOKEN_BYTES: usize = 32;
/// Lifetime of an invite when the request names none: one week.
pub const DEFAULT_EXPIRES_IN_HOURS: i64 = 168;
/// Longest lifetime of an invite: thirty days.
pub const MAX_EXPIRES_IN_HOURS: i64 = 720;
/// Longest token accepted by `accept` (a real one is 68 characters).
const TOKEN_MAX_LEN: usize = 256;

/// An invite to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvite {
    /// The role the invitee gets.
    #[schema(value_type = Role)]
    role: String,
    /// Lifetime in hours, 1–720; one week when absent.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 720)]
    expires_in_hours: Option<i64>,
    /// Mail the invitation (with its link) to this address as well.
    #[serde(default)]
    #[schema(format = "email", max_length = 254)]
    email: Option<String>,
}

/// An invite token to redeem.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvite {
    /// The `cbi_...` token from the invite.
    #[schema(min_length = 1, max_length = 256)]
    token: String,
}

/// A created invite, with its token: shown this once only.
#[derive(Serialize, ToSchema)]
pub struct CreatedInvite {
    id: Uuid,
    /// `cbi_` and 64 hex digits. Never shown again.
    token: String,
    role: Role,
    expires_at: Millis,
}

list_page! {
    /// A page of the invites of an organization, newest first.
    InvitesPage { invites: InviteView }
}

/// A redeemed invite.
#[derive(Serialize, ToSchema)]
pub struct AcceptedInvite {
    org_id: OrgId,
    /// The caller's role in the organization now (an invite never changes
    /// an existing membership).
    role: Role,
    /// Whether a membership was created (false: already a member).
    joined: bool,
}

/// A fresh random token.
fn new_token() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::thread_rng().fill_bytes(&mut bytes);
    let mut token = String::with_capacity(INVITE_TOKEN_PREFIX.len() + 2 * TOKEN_BYTES);
    token.push_str(INVITE_TOKEN_PREFIX);
    for b in bytes {
        token.push(char::from(HEX[usize::from(b >> 4)]));
        token.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    token
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// SHA-256 of a token, as stored.
fn token_hash(token: &str) -> [u8; 32] {
    let digest = digest::digest(&digest::SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// `POST /orgs/{org}/invites` `{role, expires_in_hours?}` → 201
/// `{id, token, role, expires_at}`; the token is never shown again.
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org}/invites",
    tag = "invites",
    params(("org" = Uuid, Path, description = "The organization")),
    request_body = CreateInvite,
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "Created; the token is shown this once", body = CreatedInvite),
        (status = 403, description = "The caller's role may not invite for this role", body = ErrorBody),
        (status = 404, description = "No such organization, or the caller is not a member", body = ErrorBody),
    ),
)]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    body: web::Json<CreateInvite>,
) -> Result<HttpResponse, ApiError> {
    let org_id = OrgId(path.into_inner());
    let CreateInvite {
        role: invite_role,
        expires_in_hours,
        email,
    } = body.into_inner();
    let invite_role = parse_role("role", &invite_role)?;
    let email = email.as_deref().map(super::auth::valid_email).transpose()?;
    let hours = expires_in_hours.unwrap_or(DEFAULT_EXPIRES_IN_HOURS);
    if !(1..=MAX_EXPIRES_IN_HOURS).contains(&hours) {
        return Err(ApiError::validation(
            "expires_in_hours",
            format!("must be 1–{MAX_EXPIRES_IN_HOURS}"),
        ));
    }
    let token = new_token();
    let invite = InviteId(Uuid::new_v4());
    let now = i64::try_from(crate::auth::unix_now()).unwrap_or(i64::MAX);
    let expires_at = Millis(now.saturating_add(hours * 3600).saturating_mul(1000));
    let command = OrgCommand::CreateInvite {
        invite,
        role: invite_role,
        token_hash: hex(&token_hash(&token)),
        expires_at,
    };
    submit(&state, &req, org_id, auth, command, None).await?;
    if let Some(to) = email {
        invitation_mail(&state, org_id, &auth, invite_role, &to, &token).await?;
    }
    Ok(HttpResponse::Created().json(CreatedInvite {
        id: invite.0,
        token,
        role: invite_role,
        expires_at,
    }))
}

/// Queue the invitation mail to `to`. The invitee's address is not part
/// of the organization's log, so this job is queued right after the
/// invite commits rather than in its transaction (see `docs/mail.md`).
async fn invitation_mail(
    state: &AppState,
    org: OrgId,
    auth: &Auth,
    role: Role,
    to: &str,
    token: &str,
) -> Result<(), ApiError> {
    let org_name = state
        .db
        .org(org)
        .await?
        .map_or_else(String::new, |o| o.name);
    let inviter_name = match auth.user() {
        Ok(user) => state
            .db
            .user_by_id(user)
            .await?
            .map_or_else(|| "Someone".to_owned(), |u| u.name),
        Err(_) => format!("An API key of {org_name}"),
    };
    let message = crate::mail::Mail::Invitation {
        to: to.to_owned(),
        org_name,
        inviter_name,
        role,
        token: token.to_owned(),
    };
    state.db.enqueue(&crate::jobs::mail_job(&message)).await?;
    Ok(())
}

/// `GET /orgs/{org}/invites`: the invites of the org, newest first, a page
/// at a time, with their status; never a token or its hash.
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/invites",
    tag = "invites",
    params(("org" = Uuid, Path, description = "The organization"), PageQuery),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "A page of the invites, newest first", body = InvitesPage),
        (status = 403, description = "The caller's role cannot manage members", body = ErrorBody),
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
    let role = caller_role(&state, org_id, auth).await?;
    if !role.allows(Permission::ManageMembers) {
        return Err(ApiError::Forbidden {
            message: ForbiddenRule::CannotManageMembers.message().into(),
        });
    }
    let page = InvitesPage::request(&query)?;
    Ok(InvitesPage::respond(
        state.db.invites_of_org(org_id, page).await?,
    ))
}

/// `DELETE /orgs/{org}/invites/{id}`: revoke (204, idempotent); 409
/// `invite_used` when it was already accepted.
#[utoipa::path(
    delete,
    path = "/api/v1/orgs/{org}/invites/{id}",
    tag = "invites",
    params(
        ("org" = Uuid, Path, description = "The organization"),
        ("id" = Uuid, Path, description = "The invite"),
        IdempotencyKey,
    ),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 204, description = "Revoked (or it already was)"),
        (status = 403, description = "The caller's role may not revoke this invite", body = ErrorBody),
        (status = 404, description = "No such organization or invite", body = ErrorBody),
        (status = 409, description = "`invite_used`: already accepted", body = ErrorBody),
    ),
)]
pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (org_id, id) = path.into_inner();
    let command = OrgCommand::RevokeInvite {
        invite: InviteId(id),
    };
    match submit(
        &state,
        &req,
        OrgId(org_id),
        auth,
        command,
        command_id(&req)?,
    )
    .await
    {
        // Revoking twice is done once.
        Ok(_)
        | Err(ApiError::Gone {
            code: ErrorCode::InviteRevoked,
            ..
        }) => Ok(HttpResponse::NoContent().finish()),
        Err(ApiError::Gone {
            code: ErrorCode::InviteUsed,
            ..
        }) => Err(ApiError::Conflict {
            code: ErrorCode::InviteUsed,
            message: "the invite has already been accepted; remove the member instead".into(),
        }),
        Err(e) => Err(e),
    }
}

/// `POST /invites/accept` `{token}` → 200 `{org_id, role, joined}`, for a
/// logged-in user (not an API key).
#[utoipa::path(
    post,
    path = "/api/v1/invites/accept",
    tag = "invites",
    request_body = AcceptInvite,
    security(("access_token" = [])),
    responses(
        (status = 200, description = "Joined (or already a member)", body = AcceptedInvite),
        (status = 403, description = "Called with an API key", body = ErrorBody),
        (status = 404, description = "No invite has this token", body = ErrorBody),
        (status = 410, description = "`invite_expired`, `invite_used` or `invite_revoked`", body = ErrorBody),
        (status = 504, description = "`timeout`: the organization did not answer in time", body = ErrorBody),
    ),
)]
pub async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    body: web::Json<AcceptInvite>,
) -> Result<HttpResponse, ApiError> {
    let user = auth.user()?;
    let token = body.into_inner().token;
    let token = token.trim();
    if token.is_empty() || token.len() > TOKEN_MAX_LEN {
        return Err(ApiError::validation(
            "token",
            format!("must be 1–{TOKEN_MAX_LEN} characters"),
        ));
    }
    let hash = token_hash(token);
    let org = state
        .db
        .invite_org(&hash)
        .await?
        .ok_or(ApiError::NotFound { what: "invite" })?;
    let command = OrgCommand::AcceptInvite {
        token_hash: hex(&hash),
    };
    let committed = submit(&state, &req, org, auth, command, None).await?;
    let (joined, role) = committed
        .records
        .iter()
        .find_map(|rec| match &rec.event {
            OrgEvent::MemberAdded { role, .. } => Some((true, *role)),
            _ => None,
        })
        .or_else(|| {
            let before = committed.before.as_ref()?;
            Some((false, *before.members.get(&user)?))
        })
        .ok_or(ApiError::NotFound { what: "invite" })?;
    Ok(HttpResponse::Ok().json(AcceptedInvite {
        org_id: org,
        role,
        joined,
    }))
}

#[cfg(test)]
mod tests {
    use super::{new_token, token_hash, INVITE_TOKEN_PREFIX};

    #[test]
    fn tokens_are_prefixed_random_hex_and_hash_to_sha256() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(a.starts_with(INVITE_TOKEN_PREFIX));
        assert_eq!(a.len(), INVITE_TOKEN_PREFIX.len() + 64);
        assert!(a[INVITE_TOKEN_PREFIX.len()..]
            .bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(token_hash("abc")[..4], [0xba, 0x78, 0x16, 0xbf],);
        assert_ne!(token_hash(&a), token_hash(&b));
    }
}
