//! Account recovery and lifecycle: email verification, password reset
//! (forgotten) and change (logged in), account deletion, and the mail a
//! user wants. Every mail is a job queued in the same transaction as the
//! change that sends it. Policy in `docs/auth.md`.

use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use protocol::codes::ErrorCode;
use protocol::{OrgCommand, OrgId};
use serde::{Deserialize, Serialize};
use storage::audit::{Actor, AuditAction, AuditEntry};
use storage::jobs::NewJob;
use storage::{IssuedToken, MailPreferences, TokenPurpose};
use utoipa::ToSchema;

use super::auth::{hash, valid_email, valid_password};
use crate::auth::{
    hash_refresh_token, verify_password, Auth, Credential, RefreshToken, MAX_REFRESH_TOKEN_LEN,
};
use crate::error::{ApiError, ErrorBody};
use crate::jobs::mail_job;
use crate::mail::Mail;
use crate::revocation::Revoked;
use crate::state::AppState;

/// Verification links start with this, reset links with the other.
pub const VERIFY_PREFIX: &str = "cbv_";
pub const RESET_PREFIX: &str = "cbp_";
/// How long a verification link works.
pub const VERIFY_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long a password reset link works.
pub const RESET_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// What a reset request answers, whether or not the email has an account.
pub const RESET_ACCEPTED: &str =
    "if an account has this email, a link to reset its password is on its way";

/// A fresh single-use token (`<prefix><64 hex>`) and its hash.
pub fn new_token(prefix: &str) -> Result<RefreshToken, ApiError> {
    RefreshToken::with_prefix(prefix)
        .map_err(|_| ApiError::internal("the system random generator failed"))
}

/// The verification mail for a new account.
pub fn verification_mail(to: &str, name: &str, token: &str) -> NewJob {
    mail_job(&Mail::VerifyEmail {
        to: to.to_owned(),
        name: name.to_owned(),
        token: token.to_owned(),
    })
}

/// The user's choice of notification mail.
#[derive(Serialize, ToSchema)]
pub struct Notifications {
    /// Mail when someone assigns me a card.
    assigned: bool,
    /// Mail when someone mentions me (`@my@address`) in a comment.
    mentioned: bool,
}

impl From<MailPreferences> for Notifications {
    fn from(p: MailPreferences) -> Self {
        Notifications {
            assigned: p.assigned,
            mentioned: p.mentioned,
        }
    }
}

/// A token from a mailed link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkToken {
    /// The `token` parameter of the link.
    #[schema(min_length = 1, max_length = 128)]
    token: String,
}

/// Someone forgot their password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    #[schema(format = "email", max_length = 254)]
    email: String,
}

/// A new password, with the reset link's token.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirm {
    #[schema(min_length = 1, max_length = 128)]
    token: String,
    /// 8–128 characters.
    #[schema(min_length = 8, max_length = 128)]
    password: String,
}

/// A logged-in user's new password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    current_password: String,
    /// 8–128 characters.
    #[schema(min_length = 8, max_length = 128)]
    new_password: String,
}

/// The password, to confirm deleting the account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAccount {
    password: String,
}

/// What to change of the notification mail; what is left out stays.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationsPatch {
    assigned: Option<bool>,
    mentioned: Option<bool>,
}

/// An accepted request whose outcome is not told.
#[derive(Serialize, ToSchema)]
pub struct Accepted {
    /// Always `accepted`.
    status: &'static str,
    message: &'static str,
}

/// The hash of a presented link token, or the 400 every bad token gets.
fn token_hash(field: &str, token: &str) -> Result<[u8; 32], ApiError> {
    if token.is_empty() || token.len() > MAX_REFRESH_TOKEN_LEN {
        return Err(bad_link(field));
    }
    Ok(hash_refresh_token(token))
}

fn bad_link(field: &str) -> ApiError {
    ApiError::validation(
        field,
        "this link is not valid: it was used, replaced by a newer one, or has expired",
    )
}

/// The caller's login session: these routes need a user's access token.
fn session_of(auth: &Auth) -> Result<uuid::Uuid, ApiError> {
    match auth.0.credential {
        Credential::Access { session, .. } => Ok(session),
        Credential::ApiKey { .. } => Err(ApiError::Forbidden {
            message: "this route needs a user's access token, not an API key".into(),
        }),
    }
}

/// Check the caller's password; 401 `invalid_credentials` when wrong.
async fn check_password(state: &AppState, auth: &Auth, password: String) -> Result<(), ApiError> {
    let user = auth.user()?;
    let stored = state
        .db
        .user_by_id(user)
        .await?
        .map(|u| u.password_hash)
        .unwrap_or_else(|| state.dummy_hash.to_string());
    let ok = web::block(move || verify_password(&password, &stored))
        .await
        .map_err(ApiError::internal)?;
    if ok {
        Ok(())
    } else {
        Err(ApiError::Unauthorized {
            code: ErrorCode::InvalidCredentials,
            message: "the password is wrong".into(),
        })
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/verify-email",
    tag = "auth",
    request_body = LinkToken,
    responses(
        (status = 200, description = "The email is verified", body = Accepted),
        (status = 400, description = "`validation_failed` on `token`: unknown, used, replaced or expired", body = ErrorBody),
    ),
)]
pub async fn verify_email(
    state: web::Data<AppState>,
    body: web::Json<LinkToken>,
) -> Result<HttpResponse, ApiError> {
    let hash = token_hash("token", &body.token)?;
    match state.db.verify_email(&hash).await? {
        Some(user) => {
            tracing::info!(user_id = %user, "email verified");
            Ok(HttpResponse::Ok().json(Accepted {
                status: "verified",
                message: "the email address is verified",
            }))
        }
        None => Err(bad_link("token")),
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/verify-email/resend",
    tag = "auth",
    security(("access_token" = [])),
    responses(
        (status = 202, description = "A new link is on its way (the older ones stop working)", body = Accepted),
        (status = 403, description = "Called with an API key", body = ErrorBody),
        (status = 409, description = "`conflict`: the email is already verified", body = ErrorBody),
    ),
)]
pub async fn resend_verification(
    state: web::Data<AppState>,
    auth: Auth,
) -> Result<HttpResponse, ApiError> {
    session_of(&auth)?;
    let user_id = auth.user()?;
    if state.db.email_verified(user_id).await? {
        return Err(ApiError::Conflict {
            code: ErrorCode::Conflict,
            message: "the email address is already verified".into(),
        });
    }
    let user = state
        .db
        .user_by_id(user_id)
        .await?
        .ok_or(ApiError::NotFound { what: "user" })?;
    let token = new_token(VERIFY_PREFIX)?;
    let issued = IssuedToken {
        hash: &token.hash,
        purpose: TokenPurpose::VerifyEmail,
        lifetime: VERIFY_LIFETIME,
        // No unique key: the new link replaces the old one, so its mail
        // must go even while an earlier one is still queued, retrying or
        // dead (that one's link no longer works). The rate limit bounds
        // how many a user can ask for.
        mail: verification_mail(&user.email, &user.name, &token.token),
    };
    state.db.issue_account_token(user.id, issued).await?;
    Ok(HttpResponse::Accepted().json(Accepted {
        status: "accepted",
        message: "a new verification link is on its way",
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset",
    tag = "auth",
    request_body = ResetRequest,
    responses(
        (status = 202, description = "The same answer whether or not an account has the email", body = Accepted),
        (status = 400, description = "`validation_failed`: not an email address", body = ErrorBody),
    ),
)]
pub async fn request_reset(
    state: web::Data<AppState>,
    body: web::Json<ResetRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = valid_email(&body.email)?;
    // The token is made either way, so both answers cost about the same.
    let token = new_token(RESET_PREFIX)?;
    if let Some(user) = state.db.user_by_email(&email).await? {
        let issued = IssuedToken {
            hash: &token.hash,
            purpose: TokenPurpose::ResetPassword,
            lifetime: RESET_LIFETIME,
            mail: mail_job(&Mail::PasswordReset {
                to: user.email,
                name: user.name,
                token: token.token,
            }),
        };
        state.db.issue_account_token(user.id, issued).await?;
        tracing::info!(user_id = %user.id, "password reset requested");
    } else {
        tracing::info!("password reset requested for an email without an account");
    }
    Ok(HttpResponse::Accepted().json(Accepted {
        status: "accepted",
        message: RESET_ACCEPTED,
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset/confirm",
    tag = "auth",
    request_body = ResetConfirm,
    responses(
        (status = 200, description = "The password is changed and every login session ended; log in with the new one", body = Accepted),
        (status = 400, description = "`validation_failed` on `token` (unknown, used, replaced or expired) or `password`", body = ErrorBody),
    ),
)]
pub async fn confirm_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<ResetConfirm>,
) -> Result<HttpResponse, ApiError> {
    let context = crate::audit::context(&req);
    let ResetConfirm { token, password } = body.into_inner();
    valid_password("password", &password)?;
    let token_hash = token_hash("token", &token)?;
    let new_hash = hash(password).await?;
    let reset = state
        .db
        .reset_password(
            &token_hash,
            &new_hash,
            |r| {
                mail_job(&Mail::PasswordChanged {
                    to: r.email.clone(),
                    name: r.name.clone(),
                })
            },
            // The link's holder proved the mailbox, not a login: the
            // account it reset is the target and the actor.
            |r| {
                AuditEntry::new(AuditAction::PasswordReset, Actor::User(r.user), context)
                    .target("user", r.user)
                    .details(serde_json::json!({ "sessions_ended": r.sessions.len() }))
            },
        )
        .await?
        .ok_or_else(|| bad_link("token"))?;
    // The sessions it ended, not "the user before now": a login made in
    // the same second, after the reset, must keep working.
    for session in &reset.sessions {
        state.revocations.revoke(Revoked::Session(*session));
    }
    tracing::info!(user_id = %reset.user, sessions = reset.sessions.len(), "password reset; every login session ended");
    Ok(HttpResponse::Ok().json(Accepted {
        status: "reset",
        message: "the password is changed and every login session has ended: log in again",
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/password",
    tag = "auth",
    request_body = PasswordChange,
    security(("access_token" = [])),
    responses(
        (status = 200, description = "Changed; every other login session ended, this one goes on", body = Accepted),
        (status = 400, description = "`validation_failed` on `new_password`", body = ErrorBody),
        (status = 401, description = "`invalid_credentials`: the current password is wrong", body = ErrorBody),
        (status = 403, description = "Called with an API key", body = ErrorBody),
    ),
)]
pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    body: web::Json<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let session = session_of(&auth)?;
    let PasswordChange {
        current_password,
        new_password,
    } = body.into_inner();
    valid_password("new_password", &new_password)?;
    check_password(&state, &auth, current_password).await?;
    let user_id = auth.user()?;
    let user = state
        .db
        .user_by_id(user_id)
        .await?
        .ok_or(ApiError::NotFound { what: "user" })?;
    let new_hash = hash(new_password).await?;
    let notice = mail_job(&Mail::PasswordChanged {
        to: user.email,
        name: user.name,
    });
    // `sessions_ended` is counted by the statement that ends them, so the
    // entry says "every other session" rather than a number.
    let audit = crate::audit::entry(&req, &auth, AuditAction::PasswordChanged)
        .target("user", user_id)
        .details(serde_json::json!({ "other_sessions_ended": true, "kept_session": session }));
    let revoked = state
        .db
        .change_password(user_id, session, &new_hash, &notice, &audit)
        .await?;
    for other in &revoked {
        state.revocations.revoke(Revoked::Session(*other));
    }
    tracing::info!(user_id = %user_id, ended = revoked.len(), "password changed");
    Ok(HttpResponse::Ok().json(Accepted {
        status: "changed",
        message: "the password is changed; every other login session has ended",
    }))
}

#[utoipa::path(
    delete,
    path = "/api/v1/me",
    tag = "auth",
    request_body = DeleteAccount,
    security(("access_token" = [])),
    responses(
        (status = 204, description = "Deleted: the user left every organization, their personal data is gone, every session ended"),
        (status = 401, description = "`invalid_credentials`: the password is wrong", body = ErrorBody),
        (status = 403, description = "Called with an API key", body = ErrorBody),
        (status = 409, description = "`last_owner`: the user is the only owner of an organization (named in the message); hand it over or delete it first", body = ErrorBody),
    ),
)]
pub async fn delete_account(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    body: web::Json<DeleteAccount>,
) -> Result<HttpResponse, ApiError> {
    session_of(&auth)?;
    check_password(&state, &auth, body.into_inner().password).await?;
    let user_id = auth.user()?;
    let owned = state.db.orgs_solely_owned(user_id).await?;
    if !owned.is_empty() {
        return Err(ApiError::Conflict {
            code: ErrorCode::LastOwner,
            message: format!(
                "you are the only owner of {}: transfer ownership or delete the organization first",
                owned.join(", ")
            ),
        });
    }
    let user = state
        .db
        .user_by_id(user_id)
        .await?
        .ok_or(ApiError::NotFound { what: "user" })?;
    // Membership is the organizations' to change: leave each through its
    // actor, so every node's sessions hear it.
    for (org, _) in state.db.orgs_of_user(user_id).await? {
        super::org_commands::submit(&state, &req, OrgId(org.id.0), auth, OrgCommand::Leave, None)
            .await?;
    }
    let farewell = mail_job(&Mail::AccountDeleted {
        to: user.email,
        name: user.name,
    });
    let audit =
        crate::audit::entry(&req, &auth, AuditAction::AccountDeleted).target("user", user_id);
    state.db.delete_account(user_id, &farewell, &audit).await?;
    state.revocations.revoke(Revoked::User(user_id));
    tracing::info!(user_id = %user_id, "account deleted");
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    patch,
    path = "/api/v1/me/notifications",
    tag = "auth",
    request_body = NotificationsPatch,
    security(("access_token" = [])),
    responses(
        (status = 200, description = "The notification mail the user now gets", body = Notifications),
        (status = 403, description = "Called with an API key", body = ErrorBody),
    ),
)]
pub async fn set_notifications(
    state: web::Data<AppState>,
    auth: Auth,
    body: web::Json<NotificationsPatch>,
) -> Result<HttpResponse, ApiError> {
    session_of(&auth)?;
    let NotificationsPatch {
        assigned,
        mentioned,
    } = body.into_inner();
    let now = state
        .db
        .set_mail_preferences(auth.user()?, assigned, mentioned)
        .await?;
    Ok(HttpResponse::Ok().json(Notifications::from(now)))
}
