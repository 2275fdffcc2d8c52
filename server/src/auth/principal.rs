//! Authentication of a bearer credential: an access token (JWT) or an API
//! key, into a [`Principal`] — the same for REST and WebSocket.

use actors::Caller;
use protocol::{OrgId, Role, UserId};
use uuid::Uuid;

use super::TokenError;
use crate::state::AppState;

/// API keys start with this, so they are told apart from JWTs.
pub const API_KEY_PREFIX: &str = "cbk_";

/// How the caller proved who they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential {
    /// An access token of login session `session`, issued at `iat` and
    /// valid until `exp` (unix seconds).
    Access { session: Uuid, iat: u64, exp: u64 },
    /// An API key, valid until `exp` (unix seconds) if it expires.
    ApiKey { id: Uuid, exp: Option<u64> },
}

/// An authenticated caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Principal {
    pub caller: Caller,
    pub credential: Credential,
}

impl Principal {
    /// The user behind the credential; API keys have none.
    pub fn user(&self) -> Option<UserId> {
        self.caller.user()
    }

    /// Unix seconds after which the credential is no longer valid.
    pub fn expires_at(&self) -> Option<u64> {
        match self.credential {
            Credential::Access { exp, .. } => Some(exp),
            Credential::ApiKey { exp, .. } => exp,
        }
    }

    /// The API key's organization and role, if the caller is a key.
    pub fn key_scope(&self) -> Option<(OrgId, Role)> {
        match self.caller {
            Caller::ApiKey { org, role, .. } => Some((org, role)),
            Caller::User(_) => None,
        }
    }
}

/// Check `token` and say who it belongs to.
///
/// # Errors
/// [`TokenError::Expired`] or [`TokenError::Invalid`] (also for revoked
/// credentials, and for a database that cannot be asked).
pub async fn authenticate(state: &AppState, token: &str) -> Result<Principal, TokenError> {
    if token.starts_with(API_KEY_PREFIX) {
        return super::api_keys::verify(state, token).await;
    }
    let claims = state.jwt.verify(token)?;
    let user = claims.user();
    if state
        .revocations
        .token_revoked(claims.sid, user, claims.iat)
    {
        return Err(TokenError::Revoked);
    }
    Ok(Principal {
        caller: Caller::User(user),
        credential: Credential::Access {
            session: claims.sid,
            iat: claims.iat,
            exp: claims.exp,
        },
    })
}
