//! Standard Webhooks signing: a secret is `whsec_` and base64 of 24 random
//! bytes; a message is signed with HMAC-SHA256 over
//! `{webhook-id}.{webhook-timestamp}.{body}`, and `webhook-signature` holds
//! `v1,<base64>` once per secret that signs (two during a rotation's
//! overlap), separated by spaces.

use aws_lc_rs::hmac;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rand::RngCore as _;

/// A secret's prefix.
pub const PREFIX: &str = "whsec_";
/// Random bytes in a new secret.
const SECRET_BYTES: usize = 24;

/// A new secret.
pub fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{PREFIX}{}", STANDARD.encode(bytes))
}

/// The `webhook-signature` value for `body` sent as message `id` at
/// `timestamp` (unix seconds), one `v1,` signature per secret. Secrets
/// that do not decode are skipped (none is ever stored).
pub fn signature(secrets: &[&str], id: &str, timestamp: u64, body: &[u8]) -> String {
    let mut signed = Vec::with_capacity(id.len() + 24 + body.len());
    signed.extend_from_slice(id.as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(timestamp.to_string().as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(body);
    secrets
        .iter()
        .filter_map(|secret| {
            let key = STANDARD.decode(secret.strip_prefix(PREFIX)?).ok()?;
            let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &key), &signed);
            Some(format!("v1,{}", STANDARD.encode(tag.as_ref())))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification's reference
    /// libraries (`standardwebhooks` test suites).
    #[test]
    fn matches_the_specifications_example() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&[secret], id, 1_614_265_330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_rotation_signs_with_both_secrets() {
        let (new, old) = (new_secret(), new_secret());
        assert!(new.starts_with(PREFIX) && new.len() == PREFIX.len() + 32);
        let both = signature(&[&new, &old], "msg_1", 1, b"{}");
        let parts: Vec<&str> = both.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], signature(&[&new], "msg_1", 1, b"{}"));
        assert_eq!(parts[1], signature(&[&old], "msg_1", 1, b"{}"));
        assert_eq!(signature(&["whsec_!!"], "msg_1", 1, b"{}"), "");
    }
}
