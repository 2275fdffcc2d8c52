//! Short-lived HS256 access tokens. The algorithm is pinned (a token that
//! claims another one is refused), `exp`, `nbf`, `iss`, `aud` and `sub` are
//! required, and the header carries a key id so keys can rotate.

use protocol::codes::ErrorCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{
    decode, encode, errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use protocol::UserId;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::JwtSettings;

/// Clock skew tolerated when checking `exp` and `nbf`: none. A token is
/// checked by the server that issued it or by one sharing its clock (NTP),
/// and PROTOCOL.md promises that a token stops working at `exp`: refused
/// on REST and by a new socket from that second on, and a live socket told
/// within a second ([`is_expired`]).
pub const LEEWAY: Duration = Duration::ZERO;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: Uuid,
    pub exp: u64,
    pub nbf: u64,
    pub iat: u64,
    pub iss: String,
    pub aud: String,
    pub jti: Uuid,
    /// The login session (refresh-token family) the token belongs to;
    /// revoking the session revokes its access tokens.
    pub sid: Uuid,
}

impl AccessClaims {
    pub fn user(&self) -> UserId {
        UserId(self.sub)
    }
}

/// Why a token was refused. The codes are stable and shown to clients.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the access token has expired")]
    Expired,
    #[error("the access token is invalid")]
    Invalid,
    #[error("the credential has been revoked")]
    Revoked,
    /// The credential could not be checked (database unreachable): not the
    /// client's fault, retry shortly.
    #[error("credentials cannot be checked right now; retry shortly")]
    Unavailable,
}

impl TokenError {
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }

    /// The code as the catalog's enum.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            TokenError::Expired => ErrorCode::TokenExpired,
            TokenError::Invalid => ErrorCode::InvalidToken,
            TokenError::Revoked => ErrorCode::TokenRevoked,
            TokenError::Unavailable => ErrorCode::Unavailable,
        }
    }
}

/// Signing and verification keys with their settings.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    /// Verification keys by key id: the current one and, during a
    /// rotation, the previous one.
    decoding: Vec<(String, DecodingKey)>,
    key_id: String,
    issuer: String,
    audience: String,
    ttl: Duration,
    validation: Validation,
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch.
pub fn unix_now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Whether a credential valid until `exp` (unix seconds) has expired at
/// `now_ms`: from the first instant of second `exp` on, the moment the
/// live-socket timer fires.
pub fn is_expired(exp: u64, now_ms: u64) -> bool {
    now_ms
        >= exp
            .saturating_mul(1000)
            .saturating_add(LEEWAY.as_millis() as u64)
}

impl JwtKeys {
    /// Keys from `settings` with `secret` (at least 32 bytes).
    pub fn new(settings: &JwtSettings, secret: &[u8]) -> JwtKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = LEEWAY.as_secs();
        validation.validate_nbf = true;
        validation.set_issuer(&[settings.issuer.as_str()]);
        validation.set_audience(&[settings.audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: std::iter::once((settings.key_id.clone(), DecodingKey::from_secret(secret)))
                .chain(
                    settings
                        .previous
                        .iter()
                        .map(|(kid, old)| (kid.clone(), DecodingKey::from_secret(old))),
                )
                .collect(),
            key_id: settings.key_id.clone(),
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            ttl: settings.access_ttl,
            validation,
        }
    }

    /// Lifetime of issued tokens.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Issue an access token for `user`.
    ///
    /// # Errors
    /// Only if signing fails, which does not happen with an HMAC key.
    pub fn issue(
        &self,
        user: UserId,
        session: Uuid,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let now = unix_now();
        let claims = AccessClaims {
            sub: user.0,
            exp: now + self.ttl.as_secs(),
            nbf: now,
            iat: now,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: Uuid::new_v4(),
            sid: session,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.key_id.clone());
        encode(&header, &claims, &self.encoding)
    }

    /// Check a token and return its claims.
    ///
    /// # Errors
    /// [`TokenError::Expired`] from `exp` on ([`is_expired`]), otherwise
    /// [`TokenError::Invalid`] for any other problem (signature, algorithm,
    /// issuer, audience, key id, malformed).
    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        let key = self
            .decoding
            .iter()
            .find(|(kid, _)| Some(kid.as_str()) == header.kid.as_deref())
            .map(|(_, key)| key)
            .ok_or(TokenError::Invalid)?;
        let claims = decode::<AccessClaims>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })?;
        // The library accepts a token during its `exp` second; we do not.
        if is_expired(claims.exp, unix_now_ms()) {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &[u8]) -> JwtKeys {
        let settings = JwtSettings {
            secret: None,
            key_id: "k1".into(),
            previous: None,
            issuer: "corkboard".into(),
            audience: "corkboard".into(),
            access_ttl: Duration::from_secs(900),
        };
        JwtKeys::new(&settings, secret)
    }

    #[test]
    fn issued_tokens_verify_and_name_the_user() {
        let keys = keys(&[7; 32]);
        let user = UserId(Uuid::new_v4());
        let token = keys.issue(user, Uuid::new_v4()).expect("signs");
        assert_eq!(keys.verify(&token).expect("valid").user(), user);
    }

    #[test]
    fn a_token_signed_with_another_key_is_invalid() {
        let token = keys(&[1; 32])
            .issue(UserId(Uuid::new_v4()), Uuid::new_v4())
            .expect("signs");
        assert_eq!(
            keys(&[2; 32]).verify(&token).err(),
            Some(TokenError::Invalid)
        );
    }

    /// A token signed with `keys(&[7; 32])`'s key, expiring at `exp`.
    fn signed_until(exp: u64) -> String {
        let claims = AccessClaims {
            sub: Uuid::new_v4(),
            exp,
            nbf: exp - 60,
            iat: exp - 60,
            iss: "corkboard".into(),
            aud: "corkboard".into(),
            jti: Uuid::new_v4(),
            sid: Uuid::new_v4(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("k1".into());
        encode(&header, &claims, &EncodingKey::from_secret(&[7; 32])).expect("signs")
    }

    #[test]
    fn expired_tokens_say_so() {
        let token = signed_until(unix_now() - 3600);
        assert_eq!(
            keys(&[7; 32]).verify(&token).err(),
            Some(TokenError::Expired)
        );
    }

    #[test]
    fn a_token_expires_at_the_first_instant_of_its_exp_second() {
        assert!(!is_expired(100, 99_999));
        assert!(is_expired(100, 100_000));
        assert!(is_expired(100, 105_000));
    }

    #[test]
    fn a_token_whose_exp_is_now_is_expired() {
        let keys = keys(&[7; 32]);
        let now = unix_now();
        assert_eq!(
            keys.verify(&signed_until(now)).err(),
            Some(TokenError::Expired)
        );
        assert_eq!(
            keys.verify(&signed_until(now - 5)).err(),
            Some(TokenError::Expired)
        );
    }

    #[test]
    fn tokens_of_the_previous_key_stay_valid_during_a_rotation() {
        let old = keys(&[1; 32]);
        let token = old
            .issue(UserId(Uuid::new_v4()), Uuid::new_v4())
            .expect("signs");
        let settings = JwtSettings {
            secret: None,
            key_id: "k2".into(),
            previous: Some(("k1".into(), vec![1; 32])),
            issuer: "corkboard".into(),
            audience: "corkboard".into(),
            access_ttl: Duration::from_secs(900),
        };
        let rotated = JwtKeys::new(&settings, &[2; 32]);
        assert!(
            rotated.verify(&token).is_ok(),
            "old tokens verify with the previous key"
        );
        let fresh = rotated
            .issue(UserId(Uuid::new_v4()), Uuid::new_v4())
            .expect("signs");
        assert!(rotated.verify(&fresh).is_ok());
        assert_eq!(
            old.verify(&fresh).err(),
            Some(TokenError::Invalid),
            "unknown kid"
        );
    }

    #[test]
    fn garbage_is_invalid() {
        assert_eq!(
            keys(&[7; 32]).verify("not.a.token").err(),
            Some(TokenError::Invalid)
        );
    }
}
