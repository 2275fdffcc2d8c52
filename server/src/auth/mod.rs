//! Identity: password hashing, access tokens, and the extractor that turns
//! an `Authorization: Bearer` header into an [`AuthUser`].

mod extractor;
mod jwt;
mod password;

pub use extractor::bearer_token;
pub use extractor::AuthUser;
pub use jwt::{unix_now, AccessClaims, JwtKeys, TokenError, LEEWAY};
pub use password::{hash_password, verify_password};
