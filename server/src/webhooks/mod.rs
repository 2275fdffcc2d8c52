//! Webhooks by the Standard Webhooks specification: endpoints that an
//! organization's admins register get every committed event they asked
//! for, signed, in seq order per stream, retried on a schedule over hours
//! (`protocol::webhooks::RETRY_SCHEDULE`), with a delivery log. See
//! `docs/webhooks.md`.
//!
//! - [`sign`]: secrets (`whsec_…`) and the `webhook-signature` header.
//! - [`guard`]: which addresses an endpoint may reach.
//! - [`deliver`]: the `webhook` and `webhook_redeliver` jobs.

pub mod deliver;
pub mod guard;
pub mod sign;

use std::time::Duration;

/// How webhooks behave on this node (`CORKBOARD_WEBHOOK_*`).
#[derive(Clone, Debug)]
pub struct WebhookSettings {
    /// Allow endpoints on loopback, private and link-local addresses
    /// (`CORKBOARD_WEBHOOK_ALLOW_PRIVATE`; for tests and closed networks).
    pub allow_private: bool,
    /// The waits between attempts of one event.
    pub schedule: Vec<Duration>,
    /// Failing this long without a success disables an endpoint.
    pub disable_after: Duration,
    /// How long a rotated-out secret still signs.
    pub secret_overlap: Duration,
    /// How long one request may take.
    pub timeout: Duration,
    /// How long the delivery log keeps an attempt.
    pub log_retention: Duration,
}

/// How long the delivery log keeps attempts by default.
pub const LOG_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long one delivery request may take by default.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            allow_private: false,
            schedule: protocol::webhooks::RETRY_SCHEDULE.to_vec(),
            disable_after: protocol::webhooks::DISABLE_AFTER,
            secret_overlap: protocol::webhooks::SECRET_OVERLAP,
            timeout: REQUEST_TIMEOUT,
            log_retention: LOG_RETENTION,
        }
    }
}
