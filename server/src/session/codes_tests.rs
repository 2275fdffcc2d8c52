//! Every code the session can send comes from `protocol::codes`: the
//! actors' and the token checker's error codes are checked here, where
//! both types are visible (the session's own literals are the catalog's
//! constants; rejections and decode errors are checked in `protocol`).

use actors::ActorError;
use protocol::{codes, Rejection};

use crate::auth::TokenError;

fn listed(code: &str) -> &'static codes::Code {
    codes::lookup(code).unwrap_or_else(|| panic!("{code} is not in protocol::codes"))
}

/// One of each variant; the exhaustive match fails to compile when a
/// variant is added, so it cannot be left out here.
fn actor_errors() -> Vec<ActorError> {
    let all = vec![
        ActorError::NotFound,
        ActorError::Rejected(Rejection::NoChange),
        ActorError::OrgRejected(protocol::OrgRejection::LastOwner),
        ActorError::Overloaded,
        ActorError::Unavailable("db down".into()),
        ActorError::Internal("undecodable event".into()),
        ActorError::Timeout,
        ActorError::TooManySubscriptions { max: 1 },
        ActorError::AlreadySubscribed,
    ];
    for e in &all {
        match e {
            ActorError::NotFound
            | ActorError::Rejected(_)
            | ActorError::OrgRejected(_)
            | ActorError::Overloaded
            | ActorError::Unavailable(_)
            | ActorError::Internal(_)
            | ActorError::Timeout
            | ActorError::TooManySubscriptions { .. }
            | ActorError::AlreadySubscribed => {}
        }
    }
    all
}

#[test]
fn every_actor_error_code_is_listed_with_its_retryability() {
    for e in actor_errors() {
        assert_eq!(listed(e.code()).retryable, e.retryable(), "{}", e.code());
    }
}

#[test]
fn every_token_error_code_is_listed() {
    let all = [
        TokenError::Expired,
        TokenError::Invalid,
        TokenError::Revoked,
        TokenError::Unavailable,
    ];
    for e in &all {
        match e {
            TokenError::Expired
            | TokenError::Invalid
            | TokenError::Revoked
            | TokenError::Unavailable => {}
        }
        let entry = listed(e.code());
        assert_eq!(
            entry.retryable,
            *e == TokenError::Unavailable,
            "{}",
            e.code()
        );
    }
}

#[test]
fn unsubscribe_reasons_sent_by_the_actors_are_listed() {
    // `actors` sends these as literals (board restart, lost access).
    for reason in ["access_lost", "board_restarted", "requested"] {
        listed(reason);
    }
}
