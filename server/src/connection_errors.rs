//! Errors that end an HTTP connection before or outside any request: bytes
//! that are not HTTP, a head too large, a client that hung up or was too
//! slow. They are the client's doing, answered with a 4xx (or nothing) by
//! actix-http, so they are logged at debug, not as server errors.
//!
//! actix-http logs every such error itself, as `ERROR stream error: …`
//! (target `actix_http::h1::dispatcher`), then returns it to the server.
//! [`QuietStreamErrors`] drops that line, and [`log`] logs the returned
//! error once at the level its kind deserves: debug for the client's
//! errors, error for the server's. Nothing is lost: every dropped line is
//! logged again by [`log`].

use actix_http::error::DispatchError;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// Where actix-http logs `stream error: …`.
const DISPATCHER_TARGET: &str = "actix_http::h1::dispatcher";

/// What actix-http's line starts with.
const STREAM_ERROR: &str = "stream error: ";

/// Whether ending a connection with `error` is the client's doing.
pub fn caused_by_client(error: &DispatchError) -> bool {
    match error {
        // Not HTTP, a head too large, an I/O error (a reset, a hang-up), or
        // a request head that did not arrive in time.
        DispatchError::Parse(_)
        | DispatchError::Io(_)
        | DispatchError::SlowRequestTimeout
        | DispatchError::DisconnectTimeout
        // A handler answered without reading the whole body (a 401 or 413
        // before the upload finished): expected.
        | DispatchError::HandlerDroppedPayload => true,
        _ => false,
    }
}

/// Log `error`, which ended a connection, once and at its level; for
/// `map_err` on the HTTP service.
pub fn log(error: DispatchError) -> DispatchError {
    match &error {
        // actix-http already logged the cause ("Upgrade handler error").
        DispatchError::Upgrade => {}
        e if caused_by_client(e) => {
            tracing::debug!(error = %e, "connection closed: malformed request or client gone");
        }
        e => tracing::error!(error = %e, "connection failed"),
    }
    error
}

/// A layer that drops actix-http's `stream error: …` lines (see the module
/// documentation); every other event passes.
#[derive(Clone, Copy, Debug, Default)]
pub struct QuietStreamErrors;

impl<S: Subscriber> Layer<S> for QuietStreamErrors {
    fn event_enabled(&self, event: &Event<'_>, _: Context<'_, S>) -> bool {
        let meta = event.metadata();
        if *meta.level() != Level::ERROR || meta.target() != DISPATCHER_TARGET {
            return true;
        }
        let mut message = Message::default();
        event.record(&mut message);
        !message.0.starts_with(STREAM_ERROR)
    }
}

/// An event's `message` field.
#[derive(Default)]
struct Message(String);

impl Visit for Message {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0 = value.to_owned();
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use actix_http::error::ParseError;
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    #[test]
    fn malformed_requests_and_hang_ups_are_the_clients_errors() {
        assert!(caused_by_client(&DispatchError::Parse(ParseError::Method)));
        assert!(caused_by_client(&DispatchError::Parse(
            ParseError::TooLarge
        )));
        assert!(caused_by_client(&DispatchError::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset
        ))));
        assert!(caused_by_client(&DispatchError::SlowRequestTimeout));
        assert!(!caused_by_client(&DispatchError::InternalError));
        assert!(!caused_by_client(&DispatchError::Upgrade));
    }

    /// Counts the events that reach it.
    #[derive(Clone, Default)]
    struct Seen(Arc<Mutex<Vec<String>>>);

    impl<S: Subscriber> Layer<S> for Seen {
        fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
            let mut message = Message::default();
            event.record(&mut message);
            if let Ok(mut seen) = self.0.lock() {
                seen.push(message.0);
            }
        }
    }

    #[test]
    fn only_actix_https_stream_error_lines_are_dropped() {
        let seen = Seen::default();
        let subscriber = tracing_subscriber::registry()
            .with(seen.clone())
            .with(QuietStreamErrors);
        tracing::subscriber::with_default(subscriber, || {
            tracing::error!(target: "actix_http::h1::dispatcher", "stream error: {}", "request parse error: invalid method specified");
            tracing::error!(target: "actix_http::h1::dispatcher", "Internal server error: unexpected eof");
            tracing::error!(target: "corkboard", "stream error: not actix's");
            tracing::debug!(
                error = "request parse error",
                "connection closed: malformed request or client gone"
            );
        });
        let seen = seen.0.lock().map(|s| s.clone()).unwrap_or_default();
        assert_eq!(
            seen,
            [
                "Internal server error: unexpected eof",
                "stream error: not actix's",
                "connection closed: malformed request or client gone",
            ]
        );
    }
}
