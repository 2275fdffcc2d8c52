//! Identity: password hashing, access tokens, API keys, and the extractor
//! that turns an `Authorization: Bearer` header into a [`Principal`].

mod api_keys;
mod extractor;
mod jwt;
mod password;
mod principal;

pub use extractor::{bearer_token, Auth};
pub use jwt::{unix_now, AccessClaims, JwtKeys, TokenError, LEEWAY};
pub use password::{hash_password, verify_password};
pub use principal::{authenticate, Credential, Principal, API_KEY_PREFIX};
