//! Outgoing mail: the messages Corkboard sends ([`Mail`], one variant per
//! template) and the [`Mailer`] that delivers them, through an SMTP relay
//! when `CORKBOARD_SMTP_URL` is set and otherwise into the development
//! outbox, one `.eml` file per message under `<data_dir>/mail/`
//! (`docs/mail.md`).
//!
//! # Architecture invariant
//! Nothing here decides *whether* to send: callers (the job queue) hand a
//! [`Mail`] and a stable message id to [`Mailer::send`], and retry exactly
//! the failures this module calls [`MailError::Transient`]. The message id
//! becomes the `Message-ID` header, so a retried send is recognisably the
//! same message. Rendering is a pure function of the [`Mail`], the sender,
//! the public URL, the id and the clock; tokens only ever appear inside
//! links, never in a log line.

mod letter;
mod messages;
mod outbox;
mod transport;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

pub use lettre::message::Mailbox;
pub use lettre::Message;
pub use messages::{Mail, PASSWORD_RESET_VALID_FOR};
pub use outbox::{utc_stamp, OUTBOX_DIR};
pub use transport::{check_smtp_url, Mailer, SMTP_TIMEOUT};

/// Why a message was not delivered: worth retrying or not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// Try again later: the relay was unreachable or timed out, answered
    /// with a 4xx reply, the TLS handshake failed, or the outbox file could
    /// not be written.
    #[error("mail not delivered yet: {0}")]
    Transient(String),
    /// Retrying cannot help: the relay answered with a 5xx reply, or the
    /// recipient address (or the message itself) is invalid.
    #[error("mail refused: {0}")]
    Permanent(String),
}

impl MailError {
    /// Whether the job queue should try this message again later.
    pub fn is_transient(&self) -> bool {
        matches!(self, MailError::Transient(_))
    }
}

/// Where a message went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    /// Accepted by the SMTP relay.
    Smtp,
    /// Written to this `.eml` file of the development outbox.
    File(PathBuf),
}
