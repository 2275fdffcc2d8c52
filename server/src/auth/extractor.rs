//! `AuthUser`: the caller of a REST route, from `Authorization: Bearer`.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use protocol::UserId;

use crate::error::ApiError;
use crate::startup::AppState;

/// An authenticated caller.
#[derive(Clone, Copy, Debug)]
pub struct AuthUser {
    pub id: UserId,
}

/// The bearer token of a request, if it has one.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<AuthUser, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<AppState>>() else {
            return ready(Err(ApiError::internal("application state missing")));
        };
        let result = match bearer_token(req) {
            None => Err(ApiError::Unauthorized {
                code: "missing_token",
                message: "send an access token in the Authorization: Bearer header".into(),
            }),
            Some(token) => state
                .jwt
                .verify(token)
                .map(|claims| AuthUser { id: claims.user() })
                .map_err(|e| ApiError::Unauthorized {
                    code: e.code(),
                    message: e.to_string(),
                }),
        };
        ready(result)
    }
}
