//! Registration, login and "who am I".

use actix_web::{web, HttpResponse};
use protocol::UserId;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{hash_password, verify_password, Auth};
use crate::error::ApiError;
use crate::startup::AppState;

/// Password length bounds, in characters.
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Register {
    email: String,
    password: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    email: String,
    password: String,
}

#[derive(Serialize)]
struct UserOut {
    id: UserId,
    email: String,
    name: String,
}

#[derive(Serialize)]
struct TokenOut {
    user: UserOut,
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
}

fn valid_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim().to_lowercase();
    let ok = email.len() <= 254
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

fn token_response(
    state: &AppState,
    user: UserOut,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, ApiError> {
    let access_token = state
        .jwt
        .issue(user.id, Uuid::new_v4())
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::build(status).json(TokenOut {
        user,
        access_token,
        token_type: "Bearer",
        expires_in: state.jwt.ttl().as_secs(),
    }))
}

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
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::validation("name", "must be 1–100 characters"));
    }
    let len = password.chars().count();
    if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&len) {
        return Err(ApiError::validation(
            "password",
            format!("must be {PASSWORD_MIN}–{PASSWORD_MAX} characters"),
        ));
    }
    let hash = web::block(move || hash_password(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let id = UserId(Uuid::new_v4());
    let row = state
        .db
        .create_user(id, &email, &name, &hash)
        .await
        .map_err(|e| match e {
            storage::DbError::Conflict(_) => ApiError::Conflict {
                code: "email_taken",
                message: "an account with this email already exists".into(),
            },
            other => other.into(),
        })?;
    let user = UserOut {
        id: row.id,
        email: row.email,
        name: row.name,
    };
    token_response(&state, user, actix_web::http::StatusCode::CREATED)
}

pub async fn login(
    state: web::Data<AppState>,
    body: web::Json<Login>,
) -> Result<HttpResponse, ApiError> {
    let Login { email, password } = body.into_inner();
    let email = email.trim().to_lowercase();
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
    match row {
        Some(row) if ok => {
            let user = UserOut {
                id: row.id,
                email: row.email,
                name: row.name,
            };
            token_response(&state, user, actix_web::http::StatusCode::OK)
        }
        _ => Err(ApiError::Unauthorized {
            code: "invalid_credentials",
            message: "email or password is wrong".into(),
        }),
    }
}

pub async fn me(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    let user_id = auth.user()?;
    let user = state
        .db
        .user_by_id(user_id)
        .await?
        .ok_or(ApiError::Unauthorized {
            code: "invalid_token",
            message: "the account no longer exists".into(),
        })?;
    let orgs = state.db.orgs_of_user(user_id).await?;
    let orgs: Vec<_> = orgs
        .into_iter()
        .map(|(org, role)| serde_json::json!({ "id": org.id, "name": org.name, "key": org.key, "role": role }))
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "orgs": orgs,
    })))
}
