//! Opaque refresh tokens: 256 random bits from the system generator,
//! written `cbr_<64 hex digits>` (URL-safe, and recognisable to secret
//! scanners), stored only as their SHA-256. Unlike passwords they carry
//! full entropy, so a fast hash is enough: nobody can guess a preimage.

use std::time::Duration;

use aws_lc_rs::digest::{digest, SHA256};
use aws_lc_rs::error::Unspecified;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};

/// Refresh tokens start with this.
pub const REFRESH_TOKEN_PREFIX: &str = "cbr_";
/// Random bytes in a refresh token.
pub const REFRESH_TOKEN_BYTES: usize = 32;
/// Default lifetime of a login session without a refresh (sliding: every
/// refresh restarts it). `CORKBOARD_REFRESH_TOKEN_TTL_SECS`.
pub const REFRESH_TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long after its first use a refresh token may be presented again and
/// still rotate — a client retrying after the response was lost, or two
/// tabs refreshing at once. Later presentations are reuse: the session is
/// revoked. `CORKBOARD_REFRESH_REUSE_GRACE_SECS`.
pub const REFRESH_REUSE_GRACE: Duration = Duration::from_secs(10);
/// Longer strings are not refresh tokens; they are refused unhashed.
pub const MAX_REFRESH_TOKEN_LEN: usize = 128;

/// A newly generated refresh token and its hash. `Debug` hides the token.
pub struct RefreshToken {
    /// Handed to the client once; never stored or logged.
    pub token: String,
    /// SHA-256 of `token`, what the database keeps.
    pub hash: [u8; 32],
}

impl std::fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshToken")
            .field("token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl RefreshToken {
    /// A fresh random token.
    ///
    /// # Errors
    /// Only if the system random generator fails.
    pub fn generate() -> Result<RefreshToken, Unspecified> {
        RefreshToken::with_prefix(REFRESH_TOKEN_PREFIX)
    }

    /// A fresh random token written `<prefix><64 hex digits>`: the same
    /// kind of secret for other single-use links (email verification,
    /// password reset), told apart by their prefix.
    ///
    /// # Errors
    /// Only if the system random generator fails.
    pub fn with_prefix(prefix: &str) -> Result<RefreshToken, Unspecified> {
        let mut bytes = [0u8; REFRESH_TOKEN_BYTES];
        SystemRandom::new().fill(&mut bytes)?;
        let mut token = String::with_capacity(prefix.len() + 2 * bytes.len());
        token.push_str(prefix);
        for b in bytes {
            token.push(hex_digit(b >> 4));
            token.push(hex_digit(b & 0x0f));
        }
        let hash = hash_refresh_token(&token);
        Ok(RefreshToken { token, hash })
    }
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(nibble & 0x0f)])
}

/// SHA-256 of a presented refresh token, for lookup.
pub fn hash_refresh_token(token: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, token.as_bytes()).as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_prefixed_hex_with_256_bits_and_hash_to_their_sha256() {
        let a = RefreshToken::generate().expect("random");
        let b = RefreshToken::generate().expect("random");
        assert_ne!(a.token, b.token);
        let hex = a.token.strip_prefix(REFRESH_TOKEN_PREFIX).expect("prefix");
        assert_eq!(hex.len(), 64);
        assert!(hex
            .bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert!(a.token.len() <= MAX_REFRESH_TOKEN_LEN);
        assert_eq!(a.hash, hash_refresh_token(&a.token));
        assert!(!format!("{a:?}").contains(hex));
    }

    #[test]
    fn the_hash_is_sha256() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        let h = hash_refresh_token("abc");
        assert_eq!(h[..4], [0xba, 0x78, 0x16, 0xbf]);
        assert_eq!(h[28..], [0xf2, 0x00, 0x15, 0xad]);
    }
}
