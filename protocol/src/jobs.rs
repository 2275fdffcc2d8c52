//! The kinds of background job and their policies: how often each may be
//! tried, how many run at once on one node, how long one run may take,
//! and how long to wait before the next attempt. Pure: the jitter comes in
//! as a number, the clock is the caller's.

use std::time::Duration;

/// What a job does. Its name is stored in `jobs.kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Send one email (payload: the message to render and its recipient).
    Mail,
    /// Tell a user they were assigned or mentioned, unless they turned
    /// such mail off (payload: the board event that did it).
    Notify,
    /// Delete expired login sessions and their refresh tokens.
    PruneSessions,
    /// Delete failed-login records whose window and lockout are over.
    PruneLoginFailures,
    /// Delete used, revoked or expired invitations and reset tokens.
    PruneTokens,
    /// Delete idempotency records (command outcomes) past their retention.
    PruneOutcomes,
    /// Delete snapshots a newer one supersedes.
    PruneSnapshots,
    /// Remove organizations deleted longer ago than their grace period.
    PurgeDeletedOrgs,
    /// Deliver one stream's (a board's or an organization's) committed
    /// events to one webhook endpoint, in seq order (payload: endpoint and
    /// stream). It keeps its own retry schedule per event.
    Webhook,
    /// Send one event to a webhook endpoint once more, out of order, when
    /// an admin asks (payload: endpoint, stream and seq).
    WebhookRedeliver,
    /// Delete webhook delivery logs past their retention.
    PruneWebhookDeliveries,
}

impl JobKind {
    /// Every kind, in the order of the admin API's listings.
    pub const ALL: [JobKind; 11] = [
        JobKind::Mail,
        JobKind::Notify,
        JobKind::PruneSessions,
        JobKind::PruneLoginFailures,
        JobKind::PruneTokens,
        JobKind::PruneOutcomes,
        JobKind::PruneSnapshots,
        JobKind::PurgeDeletedOrgs,
        JobKind::Webhook,
        JobKind::WebhookRedeliver,
        JobKind::PruneWebhookDeliveries,
    ];

    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            JobKind::Mail => "mail",
            JobKind::Notify => "notify",
            JobKind::PruneSessions => "prune_sessions",
            JobKind::PruneLoginFailures => "prune_login_failures",
            JobKind::PruneTokens => "prune_tokens",
            JobKind::PruneOutcomes => "prune_outcomes",
            JobKind::PruneSnapshots => "prune_snapshots",
            JobKind::PurgeDeletedOrgs => "purge_deleted_orgs",
            JobKind::Webhook => "webhook",
            JobKind::WebhookRedeliver => "webhook_redeliver",
            JobKind::PruneWebhookDeliveries => "prune_webhook_deliveries",
        }
    }

    /// The kind stored as `name`.
    pub fn from_name(name: &str) -> Option<JobKind> {
        JobKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Attempts before a job of this kind is dead.
    pub fn max_attempts(self) -> i32 {
        match self {
            // A mail server down for a while: the last try about 3 h
            // after the first (see `retry_delay`).
            JobKind::Mail | JobKind::Notify => 14,
            // A webhook job counts every failed event of its stream (each
            // given up after its own schedule); the endpoint is disabled
            // long before this many.
            JobKind::Webhook => 1000,
            _ => 5,
        }
    }

    /// Jobs of this kind one node runs at once.
    pub fn concurrency(self) -> usize {
        match self {
            JobKind::Mail | JobKind::Notify => 4,
            // One job per (endpoint, stream): many streams deliver at once.
            JobKind::Webhook | JobKind::WebhookRedeliver => 16,
            // Cleanups delete in batches; one at a time is plenty.
            _ => 1,
        }
    }

    /// How long one run may take before it counts as failed.
    pub fn timeout(self) -> Duration {
        match self {
            JobKind::Mail | JobKind::Notify => Duration::from_secs(60),
            // A run stops taking new events after a budget well inside this.
            JobKind::Webhook | JobKind::WebhookRedeliver => Duration::from_secs(120),
            _ => Duration::from_secs(300),
        }
    }

    /// For scheduled kinds, how often they run.
    pub fn every(self) -> Option<Duration> {
        match self {
            JobKind::Mail | JobKind::Notify | JobKind::Webhook | JobKind::WebhookRedeliver => None,
            JobKind::PruneSessions | JobKind::PruneLoginFailures | JobKind::PruneTokens => {
                Some(Duration::from_secs(3600))
            }
            JobKind::PruneOutcomes
            | JobKind::PruneSnapshots
            | JobKind::PurgeDeletedOrgs
            | JobKind::PruneWebhookDeliveries => Some(Duration::from_secs(3600)),
        }
    }
}

/// The first retry's base delay by default; each further one doubles it.
pub const RETRY_BASE: Duration = Duration::from_secs(2);
/// The longest wait between two attempts.
pub const RETRY_CAP: Duration = Duration::from_secs(3600);

/// How long to wait after failed attempt number `attempt` (1 for the first
/// run) before the next: exponential from `base` (normally
/// [`RETRY_BASE`]), capped at [`RETRY_CAP`], with "equal jitter" — half the
/// delay fixed, the other half scaled by `jitter` in `[0, 1)` — so jobs
/// that failed together do not all come back at the same instant.
pub fn retry_delay(base: Duration, attempt: i32, jitter: f64) -> Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let full = base
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(RETRY_CAP);
    let half = full / 2;
    half + half.mul_f64(jitter.clamp(0.0, 1.0))
}

/// The email addresses mentioned in a comment: `@` followed by an address,
/// e.g. `thanks @ana@example.com!`, lowercased, each once, in order.
/// Trailing punctuation is not part of the address.
pub fn mentions(body: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for word in body.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
        let Some(address) = word.strip_prefix('@') else {
            continue;
        };
        let address = address.trim_end_matches(|c: char| !c.is_alphanumeric());
        let Some((local, domain)) = address.split_once('@') else {
            continue;
        };
        if local.is_empty() || !domain.contains('.') || domain.contains('@') {
            continue;
        }
        let address = address.to_lowercase();
        if !found.contains(&address) {
            found.push(address);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in JobKind::ALL {
            assert_eq!(JobKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(JobKind::from_name("nope"), None);
    }

    #[test]
    fn retry_delays_double_with_jitter_and_are_capped() {
        assert_eq!(retry_delay(RETRY_BASE, 1, 0.0), Duration::from_secs(1));
        assert_eq!(retry_delay(RETRY_BASE, 1, 1.0), Duration::from_secs(2));
        assert_eq!(retry_delay(RETRY_BASE, 2, 0.0), Duration::from_secs(2));
        assert_eq!(retry_delay(RETRY_BASE, 3, 0.5), Duration::from_secs(6));
        assert_eq!(retry_delay(RETRY_BASE, 40, 1.0), RETRY_CAP);
        assert_eq!(retry_delay(RETRY_BASE, 0, 0.0), Duration::from_secs(1));
        for attempt in 1..20 {
            assert!(
                retry_delay(RETRY_BASE, attempt, 0.99)
                    <= retry_delay(RETRY_BASE, attempt + 1, 0.0) * 2
            );
        }
    }

    #[test]
    fn mail_gives_up_after_a_few_hours() {
        let total: Duration = (1..JobKind::Mail.max_attempts())
            .map(|a| retry_delay(RETRY_BASE, a, 1.0))
            .sum();
        assert!(total > Duration::from_secs(2 * 3600) && total < Duration::from_secs(4 * 3600));
    }

    #[test]
    fn mentions_are_addresses_after_an_at() {
        assert_eq!(
            mentions("thanks @Ana@Example.com, and @bo@x.io! (@ana@example.com) me@x.io @@ @x"),
            vec!["ana@example.com".to_owned(), "bo@x.io".to_owned()]
        );
        assert!(mentions("mail me at ana@example.com").is_empty());
        assert!(mentions("@ana@localhost").is_empty());
    }
}
