//! The [`Mailer`]: renders a [`Mail`] and hands it to the SMTP relay, or
//! writes it into the development outbox when no relay is configured.
//!
//! SMTP is lettre's async transport on tokio, one connection per message
//! (no pool: mail is sent from the job queue a few at a time, and a fresh
//! connection makes each failure belong to one message). TLS is rustls on
//! aws-lc-rs, verified against the system's trust store.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::Subject;
use lettre::message::Mailbox;
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::{self, AsyncSmtpTransportBuilder};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::outbox::Outbox;
use super::{Delivered, Mail, MailError};
use crate::config::MailSettings;

/// Longest wait for the relay: connecting, and each command's reply.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends mail. Cheap to clone: clones share one transport.
#[derive(Clone)]
pub struct Mailer {
    inner: Arc<Inner>,
}

struct Inner {
    from: Mailbox,
    public_url: String,
    route: Route,
}

enum Route {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(Outbox),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let route = match &self.inner.route {
            Route::Smtp(_) => "smtp",
            Route::Outbox(_) => "outbox",
        };
        f.debug_struct("Mailer")
            .field("route", &route)
            .field("from", &self.inner.from.to_string())
            .finish_non_exhaustive()
    }
}

/// Whether lettre accepts `url` as an SMTP URL (`CORKBOARD_SMTP_URL`).
///
/// # Errors
/// lettre's reason; it does not contain the URL, so no password.
pub fn check_smtp_url(url: &str) -> Result<(), smtp::Error> {
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map(drop)
}

impl Mailer {
    /// A mailer for `settings`: SMTP when a URL is set, otherwise the
    /// outbox under `data_dir`.
    ///
    /// # Errors
    /// [`MailError::Permanent`] when the SMTP URL is invalid (the settings
    /// check it first, so only for settings built by hand).
    pub fn new(settings: &MailSettings, data_dir: &Path) -> Result<Mailer, MailError> {
        let route = match &settings.smtp_url {
            Some(url) => Route::Smtp(smtp_transport(&url.0, &settings.public_url)?),
            None => Route::Outbox(Outbox::new(data_dir)),
        };
        Ok(Mailer {
            inner: Arc::new(Inner {
                from: settings.from.clone(),
                public_url: settings.public_url.clone(),
                route,
            }),
        })
    }

    /// Render `mail` and deliver it. `message_id` (the job id) becomes the
    /// `Message-ID`, so a retry sends the same message again.
    ///
    /// # Errors
    /// [`MailError::Transient`] to try again later, [`MailError::Permanent`]
    /// when retrying cannot help (see [`MailError`]).
    #[tracing::instrument(skip_all, fields(template = mail.template(), message_id = %message_id))]
    pub async fn send(&self, mail: &Mail, message_id: &str) -> Result<Delivered, MailError> {
        let inner = &self.inner;
        let message = mail.render(&inner.from, &inner.public_url, message_id)?;
        match &inner.route {
            Route::Smtp(transport) => {
                transport.send(message).await.map_err(classify)?;
                tracing::info!("mail sent");
                Ok(Delivered::Smtp)
            }
            Route::Outbox(outbox) => {
                let path = outbox.write(&message, message_id).await?;
                let subject = message.headers().get::<Subject>();
                tracing::info!(
                    path = %path.display(),
                    to = mail.recipient(),
                    subject = subject.as_ref().map(AsRef::as_ref).unwrap_or_default(),
                    "mail written"
                );
                Ok(Delivered::File(path))
            }
        }
    }
}

fn smtp_transport(
    url: &str,
    public_url: &str,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    let builder: AsyncSmtpTransportBuilder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|e| MailError::Permanent(format!("CORKBOARD_SMTP_URL is not valid: {e}")))?;
    let builder = builder.timeout(Some(SMTP_TIMEOUT));
    // lettre greets with the URL's path (`smtp://relay/corkboard.example.com`)
    // when there is one, else `[127.0.0.1]`; the public host is the better
    // default for a relay that checks the EHLO name.
    let builder = match helo_from_public_url(url, public_url) {
        Some(name) => builder.hello_name(ClientId::Domain(name)),
        None => builder,
    };
    Ok(builder.build())
}

/// The public URL's host, when it is a dotted domain name and the SMTP URL
/// names no EHLO domain of its own.
pub(super) fn helo_from_public_url(smtp_url: &str, public_url: &str) -> Option<String> {
    let after_scheme = smtp_url
        .split_once("://")
        .map_or(smtp_url, |(_, rest)| rest);
    let names_helo = after_scheme.find(['/', '?', '#']).is_some_and(|i| {
        let path = after_scheme[i..]
            .split(['?', '#'])
            .next()
            .unwrap_or_default();
        path.len() > 1
    });
    if names_helo {
        return None;
    }
    let host = public_url.split_once("://")?.1.split('/').next()?;
    let host = host.rsplit_once(':').map_or(host, |(name, _)| name);
    let is_domain = host.contains('.') && !host.starts_with('[') && host.parse::<IpAddr>().is_err();
    is_domain.then(|| host.to_owned())
}

/// A 5xx reply is final; every other failure — 4xx replies, refused or
/// dropped connections, timeouts, TLS — may pass. lettre's message already
/// carries its cause (`permanent error (550): …`).
fn classify(error: smtp::Error) -> MailError {
    if error.is_permanent() {
        MailError::Permanent(error.to_string())
    } else {
        MailError::Transient(error.to_string())
    }
}
