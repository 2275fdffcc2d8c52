//! API keys as bearer credentials: `cbk_<prefix>_<secret>`.
//!
//! The prefix (12 lowercase letters or digits) is public: it is stored as
//! is and finds the key. The secret (40 base62 characters, ~238 bits) is
//! shown once, at creation; only HMAC-SHA256(pepper, secret) is stored,
//! where the pepper is a server secret (`CORKBOARD_API_KEY_PEPPER`, or
//! derived from the JWT signing key). A stolen database therefore yields
//! neither usable keys nor hashes that can be checked offline.
//!
//! Verification does the same steps for every presented key — one lookup
//! by prefix, one constant-time HMAC comparison (against a dummy hash when
//! the key is malformed or unknown) — so the only timing difference is the
//! database's own. Revocation and expiry are looked at only after the
//! secret matched, so they reveal nothing to someone without it.

use std::time::{Duration, Instant};

use actors::Caller;
use aws_lc_rs::error::Unspecified;
use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use dashmap::mapref::entry::Entry;
use dashmap::DashMap;
use storage::Db;
use uuid::Uuid;

use super::{unix_now_ms, Credential, Principal, TokenError, API_KEY_PREFIX};
use crate::state::AppState;

/// Length of the public prefix.
pub const PREFIX_LEN: usize = 12;
/// Length of the secret of generated keys.
pub const SECRET_LEN: usize = 40;
/// Secret lengths accepted when parsing (generated keys have
/// [`SECRET_LEN`]; the range leaves room to change it).
const SECRET_LENS: std::ops::RangeInclusive<usize> = 32..=128;
/// A key's `last_used_at` is written at most this often.
pub const TOUCH_INTERVAL: Duration = Duration::from_secs(60);
/// HMAC message deriving the pepper from the JWT signing key. Changing it
/// invalidates every key.
const PEPPER_LABEL: &[u8] = b"corkboard api key pepper v1";

const PREFIX_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const SECRET_ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The server's API key secrets and bookkeeping, shared through `AppState`.
pub struct ApiKeys {
    pepper: hmac::Key,
    rng: SystemRandom,
    /// Compared against when the presented key is malformed or unknown.
    dummy_hash: [u8; 32],
    /// When each key's `last_used_at` was last written by this node.
    touched: DashMap<Uuid, Instant>,
}

/// A freshly generated key. `token` is shown to its creator once and
/// never stored; `secret_hash` is what is stored.
pub struct GeneratedKey {
    pub token: String,
    pub prefix: String,
    pub secret_hash: Vec<u8>,
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl ApiKeys {
    /// With `pepper` when configured, otherwise with one derived from the
    /// JWT signing key: `HMAC-SHA256(jwt_secret, "corkboard api key pepper v1")`.
    ///
    /// # Errors
    /// Only if the system random generator fails.
    pub fn new(pepper: Option<&[u8]>, jwt_secret: &[u8]) -> Result<ApiKeys, Unspecified> {
        let pepper = match pepper {
            Some(pepper) => hmac::Key::new(hmac::HMAC_SHA256, pepper),
            None => {
                let derived =
                    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, jwt_secret), PEPPER_LABEL);
                hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref())
            }
        };
        let rng = SystemRandom::new();
        let mut dummy_hash = [0u8; 32];
        rng.fill(&mut dummy_hash)?;
        Ok(ApiKeys {
            pepper,
            rng,
            dummy_hash,
            touched: DashMap::new(),
        })
    }

    /// A new random key.
    ///
    /// # Errors
    /// Only if the system random generator fails.
    pub fn generate(&self) -> Result<GeneratedKey, Unspecified> {
        let prefix = random_chars(&self.rng, PREFIX_ALPHABET, PREFIX_LEN)?;
        let secret = random_chars(&self.rng, SECRET_ALPHABET, SECRET_LEN)?;
        let secret_hash = self.hash(&secret);
        Ok(GeneratedKey {
            token: format!("{API_KEY_PREFIX}{prefix}_{secret}"),
            prefix,
            secret_hash,
        })
    }

    /// The stored form of `secret`.
    fn hash(&self, secret: &str) -> Vec<u8> {
        hmac::sign(&self.pepper, secret.as_bytes())
            .as_ref()
            .to_vec()
    }

    /// Whether `secret` hashes to `hash`, in constant time.
    fn secret_matches(&self, secret: &str, hash: &[u8]) -> bool {
        hmac::verify(&self.pepper, secret.as_bytes(), hash).is_ok()
    }

    /// Record in the background that key `id` was used, at most once per
    /// [`TOUCH_INTERVAL`] from this node; a failure is only logged.
    fn touch(&self, db: &Db, id: Uuid) {
        let now = Instant::now();
        let due = match self.touched.entry(id) {
            Entry::Occupied(mut last) => {
                let due = now.duration_since(*last.get()) >= TOUCH_INTERVAL;
                if due {
                    last.insert(now);
                }
                due
            }
            Entry::Vacant(slot) => {
                slot.insert(now);
                true
            }
        };
        if due {
            let db = db.clone();
            tokio::spawn(async move {
                if let Err(e) = db.touch_api_key(id).await {
                    tracing::warn!(api_key = %id, error = %e, "cannot record API key use");
                }
            });
        }
    }
}

/// `n` characters drawn uniformly from `alphabet` (rejection sampling, so
/// no character is more likely than another).
fn random_chars(rng: &SystemRandom, alphabet: &[u8], n: usize) -> Result<String, Unspecified> {
    let len = alphabet.len();
    // The largest multiple of the alphabet size that fits in a byte.
    let limit = 256 - 256 % len;
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 64];
    while out.len() < n {
        rng.fill(&mut buf)?;
        for &b in &buf {
            if usize::from(b) < limit && out.len() < n {
                out.push(char::from(alphabet[usize::from(b) % len]));
            }
        }
    }
    Ok(out)
}

/// `(prefix, secret)` of a well-formed key.
fn parse(token: &str) -> Option<(&str, &str)> {
    let (prefix, secret) = token.strip_prefix(API_KEY_PREFIX)?.split_once('_')?;
    let well_formed = prefix.len() == PREFIX_LEN
        && prefix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && SECRET_LENS.contains(&secret.len())
        && secret.bytes().all(|b| b.is_ascii_alphanumeric());
    well_formed.then_some((prefix, secret))
}

/// Verify an API key.
///
/// # Errors
/// [`TokenError::Invalid`] for a malformed or unknown key or a wrong secret,
/// [`TokenError::Unavailable`] when the database cannot be asked;
/// [`TokenError::Revoked`] and
/// [`TokenError::Expired`] for a key whose secret matched but that is no
/// longer valid.
pub async fn verify(state: &AppState, token: &str) -> Result<Principal, TokenError> {
    let parsed = parse(token);
    // A malformed key goes through the same lookup and comparison (with an
    // empty prefix, which no key has) as a well-formed one.
    let (prefix, secret) = parsed.unwrap_or(("", token));
    let stored = state.db.api_key_by_prefix(prefix).await.map_err(|e| {
        tracing::warn!(error = %e, "cannot look up an API key");
        TokenError::Unavailable
    })?;
    let keys = &state.api_keys;
    let hash = stored
        .as_ref()
        .map_or(&keys.dummy_hash[..], |s| s.secret_hash.as_slice());
    let matches = keys.secret_matches(secret, hash);
    let key = match stored {
        Some(stored) if matches && parsed.is_some() => stored.key,
        _ => return Err(TokenError::Invalid),
    };
    if key.revoked_at.is_some() || state.revocations.key_revoked(key.id) {
        return Err(TokenError::Revoked);
    }
    let now_ms = i64::try_from(unix_now_ms()).unwrap_or(i64::MAX);
    if key.expires_at.is_some_and(|at| at.0 <= now_ms) {
        return Err(TokenError::Expired);
    }
    keys.touch(&state.db, key.id);
    Ok(Principal {
        caller: Caller::ApiKey {
            id: key.id,
            org: key.org_id,
            role: key.role,
        },
        credential: Credential::ApiKey {
            id: key.id,
            // Rounded up: a live socket is closed within the second after
            // the key expires, never before.
            exp: key
                .expires_at
                .map(|at| u64::try_from((at.0 + 999) / 1000).unwrap_or(0)),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(pepper: Option<&[u8]>, jwt_secret: &[u8]) -> ApiKeys {
        ApiKeys::new(pepper, jwt_secret).expect("random works")
    }

    #[test]
    fn generated_keys_have_the_documented_shape_and_parse() {
        let keys = keys(None, &[7; 32]);
        let key = keys.generate().expect("generates");
        let (prefix, secret) = parse(&key.token).expect("well formed");
        assert_eq!(prefix, key.prefix);
        assert_eq!(prefix.len(), PREFIX_LEN);
        assert!(prefix.bytes().all(|b| PREFIX_ALPHABET.contains(&b)));
        assert_eq!(secret.len(), SECRET_LEN);
        assert!(secret.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(key.secret_hash.len(), 32);
        assert!(keys.secret_matches(secret, &key.secret_hash));
        assert!(!format!("{key:?}").contains(secret), "Debug hides the key");

        let other = keys.generate().expect("generates");
        assert_ne!(other.prefix, key.prefix);
        assert_ne!(other.token, key.token);
    }

    #[test]
    fn the_hash_depends_on_the_pepper() {
        let secret = "s".repeat(SECRET_LEN);
        let a = keys(None, &[1; 32]);
        let b = keys(None, &[2; 32]);
        let explicit = keys(Some(&[1; 32]), &[1; 32]);
        let hash = a.hash(&secret);
        assert!(a.secret_matches(&secret, &hash));
        assert!(!b.secret_matches(&secret, &hash), "another JWT key");
        assert!(
            !explicit.secret_matches(&secret, &hash),
            "a configured pepper is not the JWT key itself"
        );
        assert!(!a.secret_matches(&"t".repeat(SECRET_LEN), &hash));
        assert!(!a.secret_matches(&secret, &a.dummy_hash));
        assert!(!a.secret_matches(&secret, &hash[..16]));
    }

    #[test]
    fn malformed_keys_do_not_parse() {
        let good = format!("cbk_abcdef012345_{}", "A".repeat(SECRET_LEN));
        assert!(parse(&good).is_some());
        for bad in [
            String::new(),
            "cbk_".into(),
            format!("cbx_abcdef012345_{}", "A".repeat(40)),
            format!("cbk_abcdef01234_{}", "A".repeat(40)),
            format!("cbk_ABCDEF012345_{}", "A".repeat(40)),
            format!("cbk_abcdef012345{}", "A".repeat(40)),
            format!("cbk_abcdef012345_{}", "A".repeat(31)),
            format!("cbk_abcdef012345_{}", "A".repeat(129)),
            format!("cbk_abcdef012345_{}-", "A".repeat(40)),
            format!("cbk_abcdef012345_{}_", "A".repeat(40)),
        ] {
            assert_eq!(parse(&bad), None, "{bad}");
        }
    }

    #[test]
    fn random_chars_use_the_whole_alphabet() {
        let rng = SystemRandom::new();
        let drawn = random_chars(&rng, SECRET_ALPHABET, 10_000).expect("random");
        assert_eq!(drawn.len(), 10_000);
        for &c in SECRET_ALPHABET {
            assert!(drawn.as_bytes().contains(&c), "{}", char::from(c));
        }
    }
}
