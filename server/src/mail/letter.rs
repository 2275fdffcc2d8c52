//! A message's content as a few kinds of block, rendered twice — as plain
//! text and as a simple HTML alternative — into one MIME message. Keeping
//! the templates (`messages.rs`) free of markup means the two renderings
//! cannot say different things.

use lettre::message::{Mailbox, MultiPart};
use lettre::Message;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::MailError;

/// The right-hand side of every `Message-ID`: `<{id}@corkboard>`.
pub const MESSAGE_ID_DOMAIN: &str = "corkboard";

/// Longest message id accepted (a job id is a UUID or a number).
const MAX_MESSAGE_ID_LEN: usize = 128;

/// Everything but RFC 3986's unreserved characters is percent-encoded, so
/// a token is safe both as a query value and as a path segment.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One piece of a message body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A paragraph.
    Text(String),
    /// A link on a line of its own; `label` is the HTML link's text.
    Link { label: String, url: String },
    /// Someone else's words (a comment excerpt), quoted.
    Quote(String),
    /// Why this mail came and how to stop it, below a separator.
    Footer(String),
}

/// A message before MIME: recipient, subject and body blocks.
#[derive(Debug, Clone)]
pub struct Letter {
    pub to: Mailbox,
    pub subject: String,
    pub blocks: Vec<Block>,
}

impl Letter {
    /// The body as plain text: blocks separated by blank lines, quotes
    /// prefixed with `> `, the footer after a `-- ` signature separator.
    pub fn plain(&self) -> String {
        let mut parts = Vec::with_capacity(self.blocks.len());
        for block in &self.blocks {
            parts.push(match block {
                Block::Text(text) => text.clone(),
                Block::Link { url, .. } => url.clone(),
                Block::Quote(text) => text
                    .lines()
                    .map(|line| format!("> {line}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
                Block::Footer(text) => format!("-- \n{text}"),
            });
        }
        let mut body = parts.join("\n\n");
        body.push('\n');
        body
    }

    /// The body as a small HTML document with the same blocks.
    pub fn html(&self) -> String {
        let mut body = String::from(
            "<!DOCTYPE html>\n<html><body style=\"font-family: sans-serif; line-height: 1.5\">\n",
        );
        for block in &self.blocks {
            let html = match block {
                Block::Text(text) => format!("<p>{}</p>", escape(text)),
                Block::Link { label, url } => {
                    format!("<p><a href=\"{}\">{}</a></p>", escape(url), escape(label))
                }
                Block::Quote(text) => format!(
                    "<blockquote style=\"border-left: 3px solid #ccc; margin: 0; \
                     padding-left: 1em\">{}</blockquote>",
                    escape(text).replace('\n', "<br>")
                ),
                Block::Footer(text) => format!(
                    "<hr><p style=\"color: #666; font-size: smaller\">{}</p>",
                    escape(text)
                ),
            };
            body.push_str(&html);
            body.push('\n');
        }
        body.push_str("</body></html>\n");
        body
    }

    /// The MIME message: `From`, `To`, `Subject`, `Date` (now),
    /// `Message-ID: <{message_id}@corkboard>`, and a
    /// `multipart/alternative` body of plain text and HTML, UTF-8.
    ///
    /// # Errors
    /// [`MailError::Permanent`] for a message id that is empty, too long or
    /// not made of letters, digits, `-`, `_` and `.`.
    pub fn into_message(self, from: &Mailbox, message_id: &str) -> Result<Message, MailError> {
        check_message_id(message_id)?;
        let (plain, html) = (self.plain(), self.html());
        Message::builder()
            .from(from.clone())
            .to(self.to)
            .subject(self.subject)
            .message_id(Some(format!("<{message_id}@{MESSAGE_ID_DOMAIN}>")))
            .date_now()
            .multipart(MultiPart::alternative_plain_html(plain, html))
            .map_err(|e| MailError::Permanent(format!("the message cannot be built: {e}")))
    }
}

fn check_message_id(id: &str) -> Result<(), MailError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if id.is_empty() || id.len() > MAX_MESSAGE_ID_LEN || !id.chars().all(allowed) {
        return Err(MailError::Permanent(format!(
            "message id {id:?} is not 1–{MAX_MESSAGE_ID_LEN} letters, digits, '-', '_' or '.'"
        )));
    }
    Ok(())
}

/// `{public_url}{path}?token={token}`, the token percent-encoded.
pub fn token_link(public_url: &str, path: &str, token: &str) -> String {
    format!("{public_url}{path}?token={}", encode(token))
}

/// `{public_url}` followed by each segment, percent-encoded, after a `/`.
pub fn path_link(public_url: &str, segments: &[&str]) -> String {
    let mut url = public_url.to_owned();
    for segment in segments {
        url.push('/');
        url.push_str(&encode(segment));
    }
    url
}

fn encode(component: &str) -> String {
    utf8_percent_encode(component, COMPONENT).to_string()
}

/// `text` on one line: control characters (a newline in a card title)
/// become spaces, for subjects and other one-line places.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
