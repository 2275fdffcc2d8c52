//! Identity: password hashing, access tokens, API keys, and the extractor
//! that turns an `Authorization: Bearer` header into a [`Principal`].

mod api_keys;
mod extractor;
mod jwt;
mod lockout;
mod password;
mod principal;
mod refresh;

pub use api_keys::{ApiKeys, GeneratedKey};
pub use extractor::{bearer_token, Auth};
pub use jwt::{is_expired, unix_now, unix_now_ms, AccessClaims, JwtKeys, TokenError, LEEWAY};
pub use lockout::{
    LoginScopes, LOGIN_FAILURE_WINDOW, LOGIN_LOCK_DURATION, MAX_FAILURES_PER_EMAIL,
    MAX_FAILURES_PER_IP,
};
pub use password::{hash_password, verify_password};
pub use principal::{authenticate, Credential, Principal, API_KEY_PREFIX};
pub use refresh::{
    hash_refresh_token, RefreshToken, MAX_REFRESH_TOKEN_LEN, REFRESH_REUSE_GRACE, REFRESH_TOKEN_TTL,
};
