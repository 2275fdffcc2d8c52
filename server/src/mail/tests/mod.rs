//! Unit tests of outgoing mail: rendering (`render.rs`) and delivery to
//! the outbox and to an unreachable relay (`delivery.rs`). Delivery over
//! real SMTP is tested in `tests/api/smtp.rs`.

mod delivery;
mod render;

use protocol::{BoardId, ItemId, Role};
use uuid::Uuid;

use super::letter::Block;
use super::{Mail, Mailbox, Message};

pub const PUBLIC: &str = "https://corkboard.example.com";
/// A token with every character that needs encoding in a query or a path.
pub const TOKEN: &str = "a+b/c=d&e f?g#h%";
pub const TOKEN_ENCODED: &str = "a%2Bb%2Fc%3Dd%26e%20f%3Fg%23h%25";

pub fn from() -> Mailbox {
    "Corkboard <corkboard@example.com>"
        .parse()
        .expect("mailbox")
}

pub fn board() -> BoardId {
    BoardId(Uuid::from_u128(0xb0a2d))
}

/// One of each template.
pub fn every_mail() -> Vec<Mail> {
    let (to, name) = ("ada@example.com".to_owned(), "Ada".to_owned());
    vec![
        Mail::VerifyEmail {
            to: to.clone(),
            name: name.clone(),
            token: TOKEN.into(),
        },
        Mail::PasswordReset {
            to: to.clone(),
            name: name.clone(),
            token: TOKEN.into(),
        },
        Mail::PasswordChanged {
            to: to.clone(),
            name: name.clone(),
        },
        Mail::AccountDeleted {
            to: to.clone(),
            name: name.clone(),
        },
        Mail::Invitation {
            to: to.clone(),
            org_name: "Design".into(),
            inviter_name: "Grace".into(),
            role: Role::Admin,
            token: TOKEN.into(),
        },
        Mail::Assigned {
            to: to.clone(),
            name: name.clone(),
            by: "Grace".into(),
            item_key: "DS-12".into(),
            item_title: "Fix the login page".into(),
            board_id: board(),
            item_id: ItemId(Uuid::from_u128(12)),
        },
        Mail::Mentioned {
            to: to.clone(),
            name: name.clone(),
            by: "Grace".into(),
            item_key: "DS-12".into(),
            item_title: "Fix the login page".into(),
            excerpt: "@ada can you look?\nThanks".into(),
            board_id: board(),
            item_id: ItemId(Uuid::from_u128(12)),
        },
        Mail::WebhookDisabled {
            to: to.clone(),
            name: name.clone(),
            org_name: "Design Studio".into(),
            org_key: "DS".into(),
            url: "https://hooks.example.com/corkboard".into(),
            reason: "every delivery failed for 5 days".into(),
        },
    ]
}

pub fn links(mail: &Mail) -> Vec<String> {
    let letter = mail.letter(PUBLIC).expect("renders");
    letter
        .blocks
        .into_iter()
        .filter_map(|b| match b {
            Block::Link { url, .. } => Some(url),
            _ => None,
        })
        .collect()
}

pub fn header(message: &Message, name: &str) -> String {
    message
        .headers()
        .get_raw(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_owned()
}
