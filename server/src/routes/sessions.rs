//! Login sessions: refresh-token rotation, logout, listing and revoking
//! one's sessions. Policy and lifetimes are described in `docs/auth.md`.
//!
//! Every revocation is written to the database first (so refresh stops
//! working and a restarted node reloads it), then recorded on the node's
//! [`Revocations`](crate::revocation::Revocations), which refuses the
//! session's access tokens on REST and closes its live WebSockets (1008).

use protocol::codes::ErrorCode;
use std::net::IpAddr;

use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use protocol::{Millis, UserId};
use serde::{Deserialize, Serialize};
use storage::audit::{Actor, AuditAction, AuditEntry, Context};
use storage::{NewLoginSession, RevokeReason, Rotation};
use utoipa::ToSchema;
use uuid::Uuid;

use super::page::{list_page, ListPage, PageQuery};
use super::refresh_cookie::{self, OptionalJson};
use crate::auth::{hash_refresh_token, Auth, Credential, RefreshToken, MAX_REFRESH_TOKEN_LEN};
use crate::error::{ApiError, ErrorBody};
use crate::revocation::Revoked;
use crate::state::AppState;

/// Longest User-Agent kept with a session, in characters.
pub const USER_AGENT_MAX: usize = 256;

/// The tokens of a login session, as answered by login and refresh.
#[derive(Serialize, ToSchema)]
pub struct SessionTokens {
    /// Send as `Authorization: Bearer <access_token>`.
    access_token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    /// Seconds until the access token expires.
    expires_in: u64,
    /// Also set as the `corkboard_refresh` cookie, for browsers.
    pub(super) refresh_token: String,
    /// Seconds until the session expires unless refreshed.
    refresh_expires_in: u64,
    session_id: Uuid,
}

impl SessionTokens {
    fn new(
        state: &AppState,
        user: UserId,
        session: Uuid,
        refresh: RefreshToken,
    ) -> Result<SessionTokens, ApiError> {
        let access_token = state.jwt.issue(user, session).map_err(ApiError::internal)?;
        Ok(SessionTokens {
            access_token,
            token_type: "Bearer",
            expires_in: state.jwt.ttl().as_secs(),
            refresh_token: refresh.token,
            refresh_expires_in: state.settings.auth.refresh_ttl.as_secs(),
            session_id: session,
        })
    }
}

/// Who is signing in from where: recorded with the session.
#[derive(Clone, Debug)]
pub struct ClientInfo {
    /// The client's address: the TCP peer, or what a trusted proxy says
    /// (`client_addr`).
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl ClientInfo {
    pub fn of(req: &HttpRequest) -> ClientInfo {
        let user_agent = req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(USER_AGENT_MAX).collect());
        ClientInfo {
            ip: Some(crate::client_addr::ClientAddr::of(req).ip),
            user_agent,
        }
    }
}

fn random_failed(_: aws_lc_rs::error::Unspecified) -> ApiError {
    ApiError::internal("the system random generator failed")
}

/// Start a login session for `user` and issue its first tokens; the
/// session and its `login.succeeded` audit entry (from `context`) commit
/// together.
///
/// # Errors
/// 503 when the database cannot be reached.
pub async fn start_session(
    state: &AppState,
    user: UserId,
    client: &ClientInfo,
    context: Context,
    password_hash: &str,
) -> Result<SessionTokens, ApiError> {
    let refresh = RefreshToken::generate().map_err(random_failed)?;
    let id = Uuid::new_v4();
    let ip = client.ip.map(|ip| ip.to_string());
    let audit = AuditEntry::new(AuditAction::LoginSucceeded, Actor::User(user), context)
        .target("session", id);
    state
        .db
        .create_login_session(
            NewLoginSession {
                id,
                user,
                user_agent: client.user_agent.as_deref(),
                ip: ip.as_deref(),
                lifetime: state.settings.auth.refresh_ttl,
                refresh_hash: &refresh.hash,
                password_hash,
            },
            Some(&audit),
        )
        .await
        .map_err(|e| match e {
            // The password changed, or the account was disabled or deleted,
            // while this login was being checked.
            storage::DbError::Conflict(storage::LOGIN_RACED) => ApiError::Unauthorized {
                code: protocol::codes::ErrorCode::InvalidCredentials,
                message: "email or password is wrong".into(),
            },
            e => e.into(),
        })?;
    tracing::info!(user_id = %user, session_id = %id, "login session started");
    SessionTokens::new(state, user, id, refresh)
}

/// A refresh token to exchange. The body may be left out, be `null` or
/// lack the field when the `corkboard_refresh` cookie carries the token.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Refresh {
    /// Wins over the cookie when both are sent.
    #[serde(default)]
    refresh_token: Option<String>,
}

fn refused(code: ErrorCode, message: &str) -> ApiError {
    ApiError::Unauthorized {
        code,
        message: message.into(),
    }
}

/// `POST /auth/refresh {refresh_token}`: a new access token and a new
/// refresh token; the presented one is used up. Without a token in the
/// body, the `corkboard_refresh` cookie's is used; the answer sets the new
/// one as that cookie, and a refused cookie token is cleared.
#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh",
    tag = "sessions",
    request_body(
        content = Option<Refresh>,
        description = "Optional: without a body, with `null` or without `refresh_token`, the `corkboard_refresh` cookie is used",
    ),
    params(
        ("corkboard_refresh" = Option<String>, Cookie, description = "The refresh token, as login and refresh set it (`HttpOnly`, `SameSite=Strict`, `Path=/api/v1/auth`); read only when the body has no `refresh_token`"),
    ),
    responses(
        (status = 200, description = "New tokens; the presented refresh token is used up", body = SessionTokens,
            headers(("Set-Cookie" = String, description = "`corkboard_refresh=<new refresh token>; HttpOnly; SameSite=Strict; Path=/api/v1/auth; Max-Age=<refresh_expires_in>`, plus `Secure` over HTTPS"))),
        (status = 401, description = "`missing_refresh_token` (neither body nor cookie has one), `invalid_refresh_token`, `refresh_token_reused` (the session is revoked), `session_revoked` or `refresh_token_expired`; when the refused token came from the cookie, the answer clears it (`Set-Cookie` with `Max-Age=0`)", body = ErrorBody,
            headers(("Set-Cookie" = String, description = "`corkboard_refresh=; …; Max-Age=0` when the refused token came from the cookie"))),
    ),
)]
pub async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: OptionalJson<Refresh>,
) -> Result<HttpResponse, ApiError> {
    let from_body = body.0.and_then(|b| b.refresh_token);
    let (presented, from_cookie) = match from_body {
        Some(token) => (token, false),
        None => match refresh_cookie::presented(&req) {
            Some(token) => (token, true),
            None => {
                return Err(refused(
                    ErrorCode::MissingRefreshToken,
                    "send refresh_token in the body or the corkboard_refresh cookie",
                ))
            }
        },
    };
    match rotate(&state, &req, &presented).await {
        Ok(tokens) => Ok(HttpResponse::Ok()
            .insert_header(refresh_cookie::set(
                &req,
                &tokens.refresh_token,
                state.settings.auth.refresh_ttl,
            ))
            .json(tokens)),
        // The browser would otherwise keep sending a token that can never
        // work again.
        Err(refusal @ ApiError::Unauthorized { .. }) if from_cookie => {
            let mut res = refusal.error_response();
            refresh_cookie::append(&mut res, refresh_cookie::clear(&req));
            Ok(res)
        }
        Err(other) => Err(other),
    }
}

/// Exchange `presented` for new tokens: the same rules whichever way the
/// token came.
async fn rotate(
    state: &AppState,
    req: &HttpRequest,
    presented: &str,
) -> Result<SessionTokens, ApiError> {
    if presented.len() > MAX_REFRESH_TOKEN_LEN {
        return Err(refused(
            ErrorCode::InvalidRefreshToken,
            "the refresh token is invalid",
        ));
    }
    let successor = RefreshToken::generate().map_err(random_failed)?;
    let auth = &state.settings.auth;
    let rotation = state
        .db
        .rotate_refresh_token(
            &hash_refresh_token(presented),
            &successor.hash,
            auth.refresh_ttl,
            auth.refresh_reuse_grace,
        )
        .await?;
    match rotation {
        Rotation::Rotated {
            session,
            user,
            retry,
        } => {
            if retry {
                tracing::info!(session_id = %session, "refresh token presented again within the grace window");
            }
            SessionTokens::new(state, user, session, successor)
        }
        Rotation::Reused { session, user } => {
            tracing::warn!(
                session_id = %session,
                user_id = %user,
                "refresh token reused after the grace window; login session revoked"
            );
            state.revocations.revoke(Revoked::Session(session));
            // After the rotation's commit (docs/audit.md): the revocation
            // stands whether or not this entry can be written.
            let reused = AuditEntry::new(
                AuditAction::RefreshTokenReused,
                Actor::Anonymous,
                crate::audit::context(req),
            )
            .target("session", session)
            .details(serde_json::json!({ "user": user.0 }));
            if let Err(e) = state.db.record_audit(&reused).await {
                tracing::warn!(error = %e, "the audit entry of a reused refresh token was not written");
            }
            Err(refused(
                ErrorCode::RefreshTokenReused,
                "this refresh token was already used; the session has been revoked, log in again",
            ))
        }
        // Disabling an account revokes its sessions: say which it was.
        Rotation::Revoked { user, .. } => Err(if state.db.user_disabled(user).await? {
            refused(
                ErrorCode::AccountDisabled,
                "this account has been disabled by an operator",
            )
        } else {
            refused(
                ErrorCode::SessionRevoked,
                "the login session has been revoked; log in again",
            )
        }),
        Rotation::Expired { .. } => Err(refused(
            ErrorCode::RefreshTokenExpired,
            "the login session has expired; log in again",
        )),
        Rotation::Unknown => Err(refused(
            ErrorCode::InvalidRefreshToken,
            "the refresh token is invalid",
        )),
    }
}

/// The login session of an access token; API keys have none.
fn session_of(auth: &Auth) -> Result<(UserId, Uuid), ApiError> {
    let user = auth.user()?;
    match auth.0.credential {
        Credential::Access { session, .. } => Ok((user, session)),
        Credential::ApiKey { .. } => Err(ApiError::Forbidden {
            message: "this route needs a user's access token, not an API key".into(),
        }),
    }
}

/// `POST /auth/logout`: revoke the session of the access token used, and
/// clear the refresh cookie.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "sessions",
    security(("access_token" = [])),
    responses(
        (status = 204, description = "Logged out: the session and its tokens are revoked; the `corkboard_refresh` cookie is cleared",
            headers(("Set-Cookie" = String, description = "`corkboard_refresh=; HttpOnly; SameSite=Strict; Path=/api/v1/auth; Max-Age=0`"))),
        (status = 403, description = "Called with an API key", body = ErrorBody),
    ),
)]
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
) -> Result<HttpResponse, ApiError> {
    let (user, session) = session_of(&auth)?;
    let audit = crate::audit::entry(&req, &auth, AuditAction::Logout).target("session", session);
    state
        .db
        .revoke_login_session(user, session, RevokeReason::Logout, Some(&audit))
        .await?;
    state.revocations.revoke(Revoked::Session(session));
    tracing::info!(user_id = %user, session_id = %session, "logged out");
    Ok(HttpResponse::NoContent()
        .insert_header(refresh_cookie::clear(&req))
        .finish())
}

/// A live login session.
#[derive(Serialize, ToSchema)]
pub struct SessionOut {
    id: Uuid,
    created_at: Millis,
    last_used_at: Millis,
    expires_at: Millis,
    user_agent: Option<String>,
    ip: Option<String>,
    /// Whether this is the session of the access token asking.
    current: bool,
}

list_page! {
    /// A page of my live sessions, newest first.
    SessionsPage { sessions: SessionOut }
}

/// `GET /auth/sessions`: my live sessions, newest first (by creation, so
/// a session used while I page does not move).
#[utoipa::path(
    get,
    path = "/api/v1/auth/sessions",
    tag = "sessions",
    params(PageQuery),
    security(("access_token" = [])),
    responses(
        (status = 200, description = "A page of my live sessions, newest first", body = SessionsPage),
        (status = 403, description = "Called with an API key", body = ErrorBody),
    ),
)]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (user, current) = session_of(&auth)?;
    let page = SessionsPage::request(&query)?;
    let page = state.db.live_login_sessions(user, page).await?;
    Ok(SessionsPage::respond(page.map(|s| SessionOut {
        current: s.id == current,
        id: s.id,
        created_at: s.created_at,
        last_used_at: s.last_used_at,
        expires_at: s.expires_at,
        user_agent: s.user_agent,
        ip: s.ip,
    })))
}

/// `DELETE /auth/sessions/{id}`: revoke one of my sessions (404 for any
/// other id, so session ids of other users cannot be probed).
#[utoipa::path(
    delete,
    path = "/api/v1/auth/sessions/{id}",
    tag = "sessions",
    params(("id" = Uuid, Path, description = "The session")),
    security(("access_token" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "Called with an API key", body = ErrorBody),
        (status = 404, description = "No live session of mine has this id", body = ErrorBody),
    ),
)]
pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (user, _) = session_of(&auth)?;
    let id = path.into_inner();
    let audit = crate::audit::entry(&req, &auth, AuditAction::SessionRevoked).target("session", id);
    if !state
        .db
        .revoke_login_session(user, id, RevokeReason::RevokedByUser, Some(&audit))
        .await?
    {
        return Err(ApiError::NotFound { what: "session" });
    }
    state.revocations.revoke(Revoked::Session(id));
    tracing::info!(user_id = %user, session_id = %id, "login session revoked by its user");
    Ok(HttpResponse::NoContent().finish())
}
