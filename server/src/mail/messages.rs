//! The messages Corkboard sends, one variant per template. A [`Mail`] is
//! stored as a job payload (JSONB, tagged by `"template"`), so renaming a
//! variant or a field is a change of stored data: the serde test in
//! `tests.rs` pins the shape.
//!
//! Links follow the web app's routes (`web/app/src/router.tsx`): an invite
//! is `/invite/{token}`, a card `/o/{ORG}/b/{board}/{ORG-12}`.

use std::fmt;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{Address, Message};
use protocol::{BoardId, ItemId, Role};
use serde::{Deserialize, Serialize};

use super::letter::{one_line, path_link, token_link, Block, Letter};
use super::MailError;

/// How long a password reset link works; the reset mail says so.
pub const PASSWORD_RESET_VALID_FOR: Duration = Duration::from_secs(30 * 60);

/// The footer of every notification mail: where to turn them off.
const TURN_OFF: &str = "Turn these emails off under Account → Notifications, \
                        or through the API with PATCH /api/v1/me/notifications.";

/// One message to one person. `to` is the recipient's address; `name` the
/// name they gave (the greeting and the `To` display name).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum Mail {
    /// Confirm an address: a link to `/verify-email?token=…`.
    VerifyEmail {
        to: String,
        name: String,
        token: String,
    },
    /// A reset link to `/reset-password?token=…`, valid for
    /// [`PASSWORD_RESET_VALID_FOR`]; ignoring it is safe.
    PasswordReset {
        to: String,
        name: String,
        token: String,
    },
    /// The password changed and the other sessions were signed out.
    PasswordChanged { to: String, name: String },
    /// The account is gone.
    AccountDeleted { to: String, name: String },
    /// An invitation to an organization: a link to `/invite/{token}`.
    Invitation {
        to: String,
        org_name: String,
        inviter_name: String,
        role: Role,
        token: String,
    },
    /// `by` assigned the card `item_key` (`DS-12`: the organization's key,
    /// a dash, the card's number) to the recipient.
    Assigned {
        to: String,
        name: String,
        by: String,
        item_key: String,
        item_title: String,
        board_id: BoardId,
        item_id: ItemId,
    },
    /// `by` mentioned the recipient in a comment on `item_key`; `excerpt`
    /// is the comment's text (or its start).
    Mentioned {
        to: String,
        name: String,
        by: String,
        item_key: String,
        item_title: String,
        excerpt: String,
        board_id: BoardId,
        item_id: ItemId,
    },
    /// A webhook endpoint of `org_key` failed for so long it was disabled.
    WebhookDisabled {
        to: String,
        name: String,
        org_name: String,
        org_key: String,
        url: String,
        reason: String,
    },
}

/// Template and recipient only: a `Mail` may hold a token.
impl fmt::Debug for Mail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mail")
            .field("template", &self.template())
            .field("to", &self.recipient())
            .finish_non_exhaustive()
    }
}

impl Mail {
    /// The recipient's address, as given.
    pub fn recipient(&self) -> &str {
        match self {
            Mail::VerifyEmail { to, .. }
            | Mail::PasswordReset { to, .. }
            | Mail::PasswordChanged { to, .. }
            | Mail::AccountDeleted { to, .. }
            | Mail::Invitation { to, .. }
            | Mail::Assigned { to, .. }
            | Mail::Mentioned { to, .. }
            | Mail::WebhookDisabled { to, .. } => to,
        }
    }

    /// The template's name, as in the stored payload's `"template"`.
    pub fn template(&self) -> &'static str {
        match self {
            Mail::VerifyEmail { .. } => "verify_email",
            Mail::PasswordReset { .. } => "password_reset",
            Mail::PasswordChanged { .. } => "password_changed",
            Mail::AccountDeleted { .. } => "account_deleted",
            Mail::Invitation { .. } => "invitation",
            Mail::Assigned { .. } => "assigned",
            Mail::Mentioned { .. } => "mentioned",
            Mail::WebhookDisabled { .. } => "webhook_disabled",
        }
    }

    /// The message, ready to send: plain text with an HTML alternative,
    /// `From: from`, `Message-ID: <{message_id}@corkboard>` (pass the job
    /// id, so a retried send keeps its id), `Date` now, links under
    /// `public_url` (no trailing slash) with tokens percent-encoded.
    ///
    /// # Errors
    /// [`MailError::Permanent`] when the recipient address is invalid, a
    /// card key has no organization prefix, or the message id is unusable.
    pub fn render(
        &self,
        from: &Mailbox,
        public_url: &str,
        message_id: &str,
    ) -> Result<Message, MailError> {
        self.letter(public_url)?.into_message(from, message_id)
    }

    /// Recipient, subject and body blocks.
    pub(super) fn letter(&self, public_url: &str) -> Result<Letter, MailError> {
        let address: Address = self.recipient().trim().parse().map_err(|e| {
            MailError::Permanent(format!(
                "invalid recipient address {:?}: {e}",
                self.recipient()
            ))
        })?;
        let to = |name: &str| {
            let name = one_line(name);
            Mailbox::new((!name.is_empty()).then_some(name), address.clone())
        };
        let hi = |name: &str| Block::Text(format!("Hi {},", one_line(name)));
        let text = |s: String| Block::Text(s);
        let link = |label: &str, url: String| Block::Link {
            label: label.to_owned(),
            url,
        };
        let letter = match self {
            Mail::VerifyEmail {
                to: email,
                name,
                token,
            } => Letter {
                to: to(name),
                subject: "Confirm your email address for Corkboard".into(),
                blocks: vec![
                    hi(name),
                    text(format!(
                        "Please confirm that {email} is your email address by opening this link:"
                    )),
                    link(
                        "Confirm my email address",
                        token_link(public_url, "/verify-email", token),
                    ),
                    text("If you did not sign up for Corkboard, you can ignore this email.".into()),
                ],
            },
            Mail::PasswordReset {
                to: email,
                name,
                token,
            } => {
                let minutes = PASSWORD_RESET_VALID_FOR.as_secs() / 60;
                Letter {
                    to: to(name),
                    subject: "Reset your Corkboard password".into(),
                    blocks: vec![
                        hi(name),
                        text(format!(
                            "Someone, probably you, asked to reset the password of your \
                             Corkboard account ({email}). To choose a new password, open this \
                             link:"
                        )),
                        link(
                            "Choose a new password",
                            token_link(public_url, "/reset-password", token),
                        ),
                        text(format!("The link expires in {minutes} minutes.")),
                        text(
                            "If you did not ask for this, it is safe to ignore this email: \
                             your password stays as it is."
                                .into(),
                        ),
                    ],
                }
            }
            Mail::PasswordChanged { to: email, name } => Letter {
                to: to(name),
                subject: "Your Corkboard password was changed".into(),
                blocks: vec![
                    hi(name),
                    text(format!(
                        "The password of your Corkboard account ({email}) was just changed, \
                         and all your other sessions were signed out."
                    )),
                    text("If this was you, there is nothing else to do.".into()),
                    text(
                        "If it was not you, someone else knows your password: reset it at once \
                         from the login page (ask for a password reset link), and tell your \
                         Corkboard administrator."
                            .into(),
                    ),
                    link("Go to the login page", path_link(public_url, &["login"])),
                ],
            },
            Mail::AccountDeleted { to: email, name } => Letter {
                to: to(name),
                subject: "Your Corkboard account was deleted".into(),
                blocks: vec![
                    hi(name),
                    text(format!(
                        "Your Corkboard account ({email}) has been deleted, and you have been \
                         signed out everywhere. This is the last email Corkboard sends you \
                         about it."
                    )),
                    text(
                        "If you did not ask for this, contact your Corkboard administrator.".into(),
                    ),
                ],
            },
            Mail::Invitation {
                org_name,
                inviter_name,
                role,
                token,
                ..
            } => {
                let (inviter, org) = (one_line(inviter_name), one_line(org_name));
                Letter {
                    to: to(""),
                    subject: format!("{inviter} invited you to join {org} on Corkboard"),
                    blocks: vec![
                        text("Hello,".into()),
                        text(format!(
                            "{inviter} invited you to join {org} on Corkboard as {}.",
                            role_phrase(*role)
                        )),
                        text(
                            "To accept, open this link; you can log in or create an account \
                             there:"
                                .into(),
                        ),
                        link(
                            "Accept the invitation",
                            path_link(public_url, &["invite", token]),
                        ),
                        text(
                            "If you were not expecting this invitation, you can ignore this \
                             email."
                                .into(),
                        ),
                    ],
                }
            }
            Mail::Assigned {
                name,
                by,
                item_key,
                item_title,
                board_id,
                ..
            } => {
                let (by, title) = (one_line(by), one_line(item_title));
                Letter {
                    to: to(name),
                    subject: format!("{by} assigned you {item_key}: {title}"),
                    blocks: vec![
                        hi(name),
                        text(format!("{by} assigned {item_key} “{title}” to you.")),
                        link(
                            &format!("Open {item_key}"),
                            card_link(public_url, *board_id, item_key)?,
                        ),
                        Block::Footer(format!(
                            "You get this email because a card was assigned to you. {TURN_OFF}"
                        )),
                    ],
                }
            }
            Mail::Mentioned {
                name,
                by,
                item_key,
                item_title,
                excerpt,
                board_id,
                ..
            } => {
                let (by, title) = (one_line(by), one_line(item_title));
                Letter {
                    to: to(name),
                    subject: format!("{by} mentioned you on {item_key}: {title}"),
                    blocks: vec![
                        hi(name),
                        text(format!("{by} mentioned you on {item_key} “{title}”:")),
                        Block::Quote(excerpt.trim().to_owned()),
                        link(
                            &format!("Open {item_key}"),
                            card_link(public_url, *board_id, item_key)?,
                        ),
                        Block::Footer(format!(
                            "You get this email because someone mentioned you on a card. \
                             {TURN_OFF}"
                        )),
                    ],
                }
            }
            Mail::WebhookDisabled {
                name,
                org_name,
                org_key,
                url,
                reason,
                ..
            } => {
                let org = one_line(org_name);
                Letter {
                    to: to(name),
                    subject: format!("A webhook endpoint of {org} was disabled"),
                    blocks: vec![
                        hi(name),
                        text(format!(
                            "Corkboard disabled the webhook endpoint {} of {org}: {}. \
                             Nothing is sent to it until an admin enables it again \
                             (PATCH /api/v1/orgs/{{org}}/webhooks/{{id}} with \
                             {{\"enabled\": true}}); the events since are then delivered \
                             in order.",
                            one_line(url),
                            one_line(reason)
                        )),
                        link(
                            &format!("Open {org}"),
                            path_link(public_url, &["o", org_key]),
                        ),
                        Block::Footer(
                            "You get this email because you are an admin of this \
                             organization."
                                .into(),
                        ),
                    ],
                }
            }
        };
        Ok(letter)
    }
}

/// The card in the app: `/o/{ORG}/b/{board}/{ORG-12}`, the organization's
/// key being the card key's prefix.
fn card_link(public_url: &str, board: BoardId, item_key: &str) -> Result<String, MailError> {
    match item_key.rsplit_once('-') {
        Some((org, number)) if !org.is_empty() && !number.is_empty() => Ok(path_link(
            public_url,
            &["o", org, "b", &board.to_string(), item_key],
        )),
        _ => Err(MailError::Permanent(format!(
            "card key {item_key:?} is not ORG-NUMBER"
        ))),
    }
}

/// "a member", with what the role may do.
fn role_phrase(role: Role) -> &'static str {
    match role {
        Role::Viewer => "a viewer (you can read its boards)",
        Role::Member => "a member (you can create and edit cards)",
        Role::Admin => "an admin (you can also manage its boards and members)",
        Role::Owner => "an owner",
    }
}
