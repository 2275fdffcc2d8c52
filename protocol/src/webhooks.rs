//! Webhook policy, pure: the event types an endpoint may ask for, and the
//! retry schedule of a delivery. Signing and sending are the server's.

use std::time::Duration;

use crate::codec::{EVENT_TYPES, ORG_EVENT_TYPES};

/// When to try a failed delivery again: after the first attempt fails,
/// wait the first of these, and so on; once they are spent the event is
/// given up on (it stays in the delivery log and can be redelivered).
/// The schedule Standard Webhooks' reference service (Svix) uses: the last
/// attempt comes about 28 hours after the first.
pub const RETRY_SCHEDULE: [Duration; 7] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];

/// An endpoint failing without a success for this long is disabled and its
/// organization's admins are mailed.
pub const DISABLE_AFTER: Duration = Duration::from_secs(5 * 24 * 3600);

/// How long a rotated-out secret still signs, beside the new one.
pub const SECRET_OVERLAP: Duration = Duration::from_secs(24 * 3600);

/// The wait before the next attempt after `failed` failed attempts of one
/// event (1 after the first), or `None` when `schedule` is spent.
pub fn next_retry(schedule: &[Duration], failed: u32) -> Option<Duration> {
    let index = usize::try_from(failed.checked_sub(1)?).ok()?;
    schedule.get(index).copied()
}

/// A webhook event type: the stream, a dot, the event's `type` tag —
/// `board.item_moved`, `org.member_added`.
pub fn event_type(stream: Stream, tag: &str) -> String {
    format!("{}.{tag}", stream.name())
}

/// Whether `name` is a webhook event type.
pub fn is_event_type(name: &str) -> bool {
    match name.split_once('.') {
        Some(("board", tag)) => EVENT_TYPES.contains(&tag),
        Some(("org", tag)) => ORG_EVENT_TYPES.contains(&tag),
        _ => false,
    }
}

/// Every webhook event type, boards' first.
pub fn event_types() -> Vec<String> {
    EVENT_TYPES
        .iter()
        .map(|t| event_type(Stream::Board, t))
        .chain(ORG_EVENT_TYPES.iter().map(|t| event_type(Stream::Org, t)))
        .collect()
}

/// Whose log an event is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stream {
    /// A board's.
    Board,
    /// An organization's.
    Org,
}

impl Stream {
    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            Stream::Board => "board",
            Stream::Org => "org",
        }
    }

    /// The stream stored as `name`.
    pub fn from_name(name: &str) -> Option<Stream> {
        match name {
            "board" => Some(Stream::Board),
            "org" => Some(Stream::Org),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_is_spent_after_its_last_wait() {
        assert_eq!(next_retry(&RETRY_SCHEDULE, 0), None);
        assert_eq!(next_retry(&RETRY_SCHEDULE, 1), Some(Duration::from_secs(5)));
        assert_eq!(
            next_retry(&RETRY_SCHEDULE, 7),
            Some(Duration::from_secs(36_000))
        );
        assert_eq!(next_retry(&RETRY_SCHEDULE, 8), None);
        let total: Duration = RETRY_SCHEDULE.iter().sum();
        assert!(total > Duration::from_secs(27 * 3600), "{total:?}");
    }

    #[test]
    fn event_types_name_their_stream() {
        assert!(is_event_type("board.item_moved"));
        assert!(is_event_type("org.member_added"));
        assert!(is_event_type("board.board_created"));
        assert!(is_event_type("org.board_created"));
        assert!(!is_event_type("item_moved"));
        assert!(!is_event_type("org.item_moved"));
        assert!(!is_event_type("board."));
        assert_eq!(
            event_types().len(),
            EVENT_TYPES.len() + ORG_EVENT_TYPES.len()
        );
        assert!(event_types().iter().all(|t| is_event_type(t)));
        for stream in [Stream::Board, Stream::Org] {
            assert_eq!(Stream::from_name(stream.name()), Some(stream));
        }
    }
}
