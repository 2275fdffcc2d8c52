//! Registration, login and "who am I".
//!
//! Neither route tells whether an email is registered: registration answers
//! the same `202` for a new and a taken address (hashing the password in
//! both cases), and login answers the same `401` for an unknown address
//! and a wrong password (checking a dummy hash), and the same `429` when
//! locked. See `docs/auth.md`.

use protocol::codes::ErrorCode;
use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use protocol::UserId;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::extract::one_line;
use super::refresh_cookie;
use super::sessions::{start_session, ClientInfo, SessionTokens};
use super::views::OrgView;
use crate::auth::{hash_password, verify_password, Auth, LoginScopes};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use storage::audit::{Actor, AuditAction, AuditEntry};

/// Password length bounds, in characters.
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;
/// Longest email address accepted, in bytes as sent (RFC 5321).
pub const EMAIL_MAX: usize = 254;
/// What registration answers, whether or not the email was taken.
pub const REGISTER_ACCEPTED: &str =
    "if this email was not registered, the account now exists; log in to continue";

/// A new account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Register {
    /// A valid address, at most 254 bytes; compared case-insensitively.
    #[schema(format = "email", max_length = 254)]
    email: String,
    /// 8–128 characters.
    #[schema(min_length = 8, max_length = 128)]
    password: String,
    /// The display name: 1–100 characters after trimming.
    #[schema(min_length = 1, max_length = 100)]
    name: String,
}

/// Credentials.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    email: String,
    password: String,
}

/// What registration answers, whether or not the email was taken.
#[derive(Serialize, ToSchema)]
pub struct Registered {
    /// Always `accepted`.
    status: &'static str,
    message: &'static str,
}

/// A user account.
#[derive(Serialize, ToSchema)]
pub struct UserOut {
    id: UserId,
    email: String,
    name: String,
}

/// A successful login: the user and the new session's tokens.
#[derive(Serialize, ToSchema)]
pub struct LoginOut {
    user: UserOut,
    #[serde(flatten)]
    tokens: SessionTokens,
}

/// The calling user and their organizations.
#[derive(Serialize, ToSchema)]
pub struct Me {
    id: UserId,
    email: String,
    name: String,
    /// Whether the owner of the address followed the verification link
    /// (see `docs/auth.md` for what an unverified account may do).
    email_verified: bool,
    /// Mail when someone assigns the user a card or mentions them.
    notifications: super::account::Notifications,
    /// Every organization the user belongs to, with their role.
    orgs: Vec<OrgView>,
}

/// A 400 naming `field` unless `password` is 8–128 characters.
pub(super) fn valid_password(field: &str, password: &str) -> Result<(), ApiError> {
    let len = password.chars().count();
    if (PASSWORD_MIN..=PASSWORD_MAX).contains(&len) {
        Ok(())
    } else {
        Err(ApiError::validation(
            field,
            format!("must be {PASSWORD_MIN}–{PASSWORD_MAX} characters"),
        ))
    }
}

/// Hash `password` off the async threads.
pub(super) async fn hash(password: String) -> Result<String, ApiError> {
    web::block(move || hash_password(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

pub(super) fn valid_email(email: &str) -> Result<String, ApiError> {
    one_line("email", email)?;
    // The limit holds for the address as sent: trimming and case folding
    // (a 3-byte Kelvin sign becomes `k`) must not let a longer one in.
    let sent = email.len();
    let email = email.trim().to_lowercase();
    let ok = sent <= EMAIL_MAX
        && email.len() <= EMAIL_MAX
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email.chars().any(char::is_whitespace);
    if ok {
        Ok(email)
    } else {
        Err(ApiError::validation(
            "email",
            "must be a valid email address",
        ))
    }
}

/// Create an account. Answers the same 202 whether or not the email was
/// already registered, so addresses cannot be probed.
#[utoipa::path(
    post,
    path = "/api/v1/auth/register",
    tag = "auth",
    request_body = Register,
    responses((status = 202, description = "Registered (or the email was taken)", body = Registered)),
)]
pub async fn register(
    state: web::Data<AppState>,
    body: web::Json<Register>,
) -> Result<HttpResponse, ApiError> {
    let Register {
        email,
        password,
        name,
    } = body.into_inner();
    let email = valid_email(&email)?;
    one_line("name", &name)?;
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::validation("name", "must be 1–100 characters"));
    }
    valid_password("password", &password)?;
    // Hash first, whatever happens next, so a taken email costs the same
    // time as a new one.
    let hash = hash(password).await?;
    let id = UserId(Uuid::new_v4());
    let verification = super::account::new_token(super::account::VERIFY_PREFIX)?;
    let mail = super::account::verification_mail(&email, &name, &verification.token);
    let issued = storage::IssuedToken {
        hash: &verification.hash,
        purpose: storage::TokenPurpose::VerifyEmail,
        lifetime: super::account::VERIFY_LIFETIME,
        mail,
    };
    match state
        .db
        .register_user(id, &email, &name, &hash, issued)
        .await
    {
        Ok(_) => tracing::info!(user_id = %id, "account registered"),
        // The owner of the address could be told by email here; the caller
        // is told nothing.
        Err(storage::DbError::Conflict(_)) => {
            tracing::info!("registration for an email that is already taken")
        }
        Err(other) => return Err(other.into()),
    }
    Ok(HttpResponse::Accepted().json(Registered {
        status: "accepted",
        message: REGISTER_ACCEPTED,
    }))
}

/// 429 `login_locked` for `remaining`, rounded up to whole seconds.
fn locked(remaining: Duration) -> ApiError {
    let secs = remaining.as_secs() + u64::from(remaining.subsec_nanos() > 0);
    ApiError::TooManyRequests {
        code: ErrorCode::LoginLocked,
        message: "too many failed logins; try again later".into(),
        retry_after_secs: secs.max(1),
    }
}

/// Log in: starts a login session and returns its first tokens. An
/// unknown email and a wrong password answer the same 401; repeated
/// failures lock the account and the address for a while (429). The
/// refresh token is also set as the `corkboard_refresh` cookie.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    request_body = Login,
    responses(
        (status = 200, description = "Logged in", body = LoginOut,
            headers(("Set-Cookie" = String, description = "`corkboard_refresh=<refresh_token>; HttpOnly; SameSite=Strict; Path=/api/v1/auth; Max-Age=<refresh_expires_in>`, plus `Secure` over HTTPS: the refresh token for browsers, out of reach of script"))),
        (status = 401, description = "`invalid_credentials`: email or password is wrong", body = ErrorBody),
        (status = 429, description = "`login_locked` (`details.retry_after_secs`) or `rate_limited`", body = ErrorBody),
    ),
)]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<Login>,
) -> Result<HttpResponse, ApiError> {
    let Login { email, password } = body.into_inner();
    one_line("email", &email)?;
    let email = email.trim().to_lowercase();
    if email.len() > EMAIL_MAX {
        return Err(ApiError::validation(
            "email",
            format!("must be at most {EMAIL_MAX} bytes"),
        ));
    }
    let client = ClientInfo::of(&req);
    let scopes = LoginScopes::new(&email, client.ip);
    // Before the password is looked at, and the same for every address.
    if let Some(remaining) = scopes.locked(&state.db).await? {
        return Err(locked(remaining));
    }
    let row = state.db.user_by_email(&email).await?;
    // Verify against a fixed hash when the account does not exist, so both
    // cases take the same time and say the same thing.
    let stored = row
        .as_ref()
        .map(|r| r.password_hash.clone())
        .unwrap_or_else(|| state.dummy_hash.to_string());
    let ok = web::block(move || verify_password(&password, &stored))
        .await
        .map_err(ApiError::internal)?;
    let context = crate::audit::context(&req);
    match row {
        // The right password of a disabled account: said plainly (the
        // password proved who is asking), and recorded as a failure.
        Some(row) if ok && row.disabled => {
            let refused = AuditEntry::new(AuditAction::LoginFailed, Actor::Anonymous, context)
                .target("user", row.id)
                .details(json!({ "email": email, "reason": "account_disabled" }));
            state.db.record_audit(&refused).await?;
            Err(ApiError::Unauthorized {
                code: ErrorCode::AccountDisabled,
                message: "this account has been disabled by an operator".into(),
            })
        }
        Some(row) if ok => {
            scopes.succeeded(&state.db).await?;
            let tokens =
                start_session(&state, row.id, &client, context, &row.password_hash).await?;
            let user = UserOut {
                id: row.id,
                email: row.email,
                name: row.name,
            };
            let cookie =
                refresh_cookie::set(&req, &tokens.refresh_token, state.settings.auth.refresh_ttl);
            Ok(HttpResponse::Ok()
                .insert_header(cookie)
                .json(LoginOut { user, tokens }))
        }
        _ => {
            let mut failed = AuditEntry::new(AuditAction::LoginFailed, Actor::Anonymous, context)
                .details(json!({ "email": email, "reason": "invalid_credentials" }));
            if let Some(row) = &row {
                failed = failed.target("user", row.id);
            }
            scopes
                .failed(&state.db, &state.settings.auth, &failed)
                .await?;
            Err(ApiError::Unauthorized {
                code: ErrorCode::InvalidCredentials,
                message: "email or password is wrong".into(),
            })
        }
    }
}

/// The calling user and their organizations. Needs a user's access
/// token (an API key gets 403).
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "auth",
    security(("access_token" = [])),
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 403, description = "Called with an API key", body = ErrorBody),
    ),
)]
pub async fn me(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    let user_id = auth.user()?;
    let user = state
        .db
        .user_by_id(user_id)
        .await?
        .ok_or(ApiError::Unauthorized {
            code: ErrorCode::InvalidToken,
            message: "the account no longer exists".into(),
        })?;
    let orgs = state.db.orgs_of_user(user_id).await?;
    let orgs = orgs
        .into_iter()
        .map(|(org, role)| OrgView::new(org, role))
        .collect();
    let email_verified = state.db.email_verified(user_id).await?;
    let notifications = state.db.mail_preferences(user_id).await?.into();
    Ok(HttpResponse::Ok().json(Me {
        id: user.id,
        email: user.email,
        name: user.name,
        email_verified,
        notifications,
        orgs,
    }))
}
