//! `Auth`: the authenticated caller of a REST route, from
//! `Authorization: Bearer <access token or API key>`. Also where the
//! per-user (or per-API-key) rate limit is checked, and the caller's id put
//! on the request's log lines (`request_id::identify`), once it is known.

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use protocol::codes::ErrorCode;
use protocol::UserId;

use super::{authenticate, Principal};
use crate::error::ApiError;
use crate::state::AppState;

/// An authenticated caller.
#[derive(Clone, Copy, Debug)]
pub struct Auth(pub Principal);

impl Auth {
    /// The calling user; API keys are refused on user-only routes.
    ///
    /// # Errors
    /// 403 `user_required` for an API key.
    pub fn user(&self) -> Result<UserId, ApiError> {
        self.0.user().ok_or(ApiError::Forbidden {
            message: "this route needs a user's access token, not an API key".into(),
        })
    }
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

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Auth, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req).map(str::to_owned);
        let req = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let token = token.ok_or(ApiError::Unauthorized {
                code: ErrorCode::MissingToken,
                message: "send an access token or API key in the Authorization: Bearer header"
                    .into(),
            })?;
            let principal = authenticate(&state, &token).await.map_err(ApiError::from)?;
            crate::request_id::identify(&req, principal.caller);
            crate::rate_limit::check_principal(&state, principal.caller.actor_id())?;
            Ok(Auth(principal))
        })
    }
}
