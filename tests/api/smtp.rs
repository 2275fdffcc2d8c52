//! Outgoing mail through a real SMTP server (aiosmtpd, `smtp_server.rs`):
//! every template arrives with its From, To, Subject, Message-ID and link,
//! parsed without defects by Python's email package; a 550 refusal is a
//! permanent failure, a 450 or a relay that is not there a transient one.
//! Ignored by default: `bash .ci/mail` installs aiosmtpd and runs them.

use std::path::Path;

use protocol::{BoardId, ItemId, Role};
use server::config::{MailSettings, Secret};
use server::mail::{Delivered, Mail, MailError, Mailer};
use uuid::Uuid;

use crate::smtp_server::SmtpServer;

const PUBLIC: &str = "https://boards.example.com";
const FROM: &str = "Corkboard Tests <corkboard@example.com>";
/// Needs percent-encoding in a query and in a path.
const TOKEN: &str = "tok+en/with=odd&chars";
const TOKEN_ENCODED: &str = "tok%2Ben%2Fwith%3Dodd%26chars";

/// A mailer sending through `url`; the data directory is never written.
fn mailer(url: String) -> Mailer {
    let settings = MailSettings {
        smtp_url: Some(Secret(url)),
        from: FROM.parse().expect("mailbox"),
        public_url: PUBLIC.into(),
    };
    Mailer::new(&settings, Path::new("/nonexistent")).expect("mailer")
}

/// Each template, to its own recipient, with its subject and link (none
/// for a deleted account).
fn every_template() -> Vec<(Mail, &'static str, String)> {
    let board = BoardId(Uuid::from_u128(7));
    let item = ItemId(Uuid::from_u128(8));
    let card = format!("{PUBLIC}/o/DS/b/{board}/DS-12");
    let user = |to: &str| (to.to_owned(), "Zoë Åström".to_owned());
    let (to_verify, name) = user("verify@example.com");
    vec![
        (
            Mail::VerifyEmail {
                to: to_verify,
                name,
                token: TOKEN.into(),
            },
            "Confirm your email address for Corkboard",
            format!("{PUBLIC}/verify-email?token={TOKEN_ENCODED}"),
        ),
        (
            Mail::PasswordReset {
                to: "reset@example.com".into(),
                name: "Ada".into(),
                token: TOKEN.into(),
            },
            "Reset your Corkboard password",
            format!("{PUBLIC}/reset-password?token={TOKEN_ENCODED}"),
        ),
        (
            Mail::PasswordChanged {
                to: "changed@example.com".into(),
                name: "Ada".into(),
            },
            "Your Corkboard password was changed",
            format!("{PUBLIC}/login"),
        ),
        (
            Mail::AccountDeleted {
                to: "deleted@example.com".into(),
                name: "Ada".into(),
            },
            "Your Corkboard account was deleted",
            String::new(),
        ),
        (
            Mail::Invitation {
                to: "invited@example.com".into(),
                org_name: "Café Design".into(),
                inviter_name: "Grace".into(),
                role: Role::Member,
                token: TOKEN.into(),
            },
            "Grace invited you to join Café Design on Corkboard",
            format!("{PUBLIC}/invite/{TOKEN_ENCODED}"),
        ),
        (
            Mail::Assigned {
                to: "assigned@example.com".into(),
                name: "Ada".into(),
                by: "Grace".into(),
                item_key: "DS-12".into(),
                item_title: "Größere Schrift".into(),
                board_id: board,
                item_id: item,
            },
            "Grace assigned you DS-12: Größere Schrift",
            card.clone(),
        ),
        (
            Mail::Mentioned {
                to: "mentioned@example.com".into(),
                name: "Ada".into(),
                by: "Grace".into(),
                item_key: "DS-12".into(),
                item_title: "Größere Schrift".into(),
                excerpt: "@ada what do you think?".into(),
                board_id: board,
                item_id: item,
            },
            "Grace mentioned you on DS-12: Größere Schrift",
            card,
        ),
    ]
}

#[tokio::test]
#[ignore = "needs aiosmtpd: run by .ci/mail"]
async fn every_template_is_delivered_with_its_headers_and_link() {
    let server = SmtpServer::start().await;
    let mailer = mailer(server.url());
    for (n, (mail, subject, link)) in every_template().into_iter().enumerate() {
        let to = mail.recipient().to_owned();
        let id = format!("0192f1c4-0000-7000-8000-{n:012}");
        let delivered = mailer
            .send(&mail, &id)
            .await
            .expect("accepted by the relay");
        assert_eq!(delivered, Delivered::Smtp);

        let got = server.wait_for(&to).await;
        let what = mail.template();
        assert!(got.defects.is_empty(), "{what}: {:?}", got.defects);
        assert_eq!(got.rcpt_to, [to.as_str()], "{what}");
        assert_eq!(got.header("From"), Some(FROM), "{what}");
        let to_header = got.header("To").expect("To");
        assert!(
            to_header.ends_with(&format!("<{to}>")) || to_header == to,
            "{what}: {to_header}"
        );
        assert_eq!(got.header("Subject"), Some(subject), "{what}");
        let message_id = format!("<{id}@corkboard>");
        assert_eq!(
            got.header("Message-ID"),
            Some(message_id.as_str()),
            "{what}"
        );
        assert!(got.header("Date").is_some(), "{what}");
        let html = got.html.as_deref().expect("an HTML alternative");
        if !link.is_empty() {
            assert!(
                got.text.contains(&link),
                "{what}: {link} not in\n{}",
                got.text
            );
            assert!(html.contains(&format!("href=\"{link}\"")), "{what}: {html}");
        }
    }
    let verify = server.wait_for("verify@example.com").await;
    assert_eq!(verify.header("To"), Some("Zoë Åström <verify@example.com>"));
    assert!(verify.text.starts_with("Hi Zoë Åström,"), "{}", verify.text);
}

#[tokio::test]
#[ignore = "needs aiosmtpd: run by .ci/mail"]
async fn a_refused_recipient_is_permanent_and_a_deferred_one_transient() {
    let server =
        SmtpServer::refusing(&[("gone@example.com", 550), ("busy@example.com", 450)]).await;
    let mailer = mailer(server.url());
    let to = |address: &str| Mail::PasswordChanged {
        to: address.into(),
        name: "Ada".into(),
    };

    let err = mailer
        .send(&to("gone@example.com"), "1")
        .await
        .expect_err("refused");
    assert!(
        matches!(err, MailError::Permanent(ref m) if m.contains("550")),
        "{err}"
    );
    let err = mailer
        .send(&to("busy@example.com"), "2")
        .await
        .expect_err("deferred");
    assert!(
        matches!(err, MailError::Transient(ref m) if m.contains("450")),
        "{err}"
    );

    // The same server still takes everyone else.
    let sent = mailer
        .send(&to("fine@example.com"), "3")
        .await
        .expect("accepted");
    assert_eq!(sent, Delivered::Smtp);
    let got = server.wait_for("fine@example.com").await;
    assert_eq!(got.header("Message-ID"), Some("<3@corkboard>"));
    assert!(server
        .received()
        .await
        .iter()
        .all(|m| m.rcpt_to == ["fine@example.com"]));
}

#[tokio::test]
#[ignore = "needs aiosmtpd: run by .ci/mail"]
async fn a_relay_that_is_gone_is_transient() {
    let server = SmtpServer::start().await;
    let url = server.url();
    drop(server);
    let mail = Mail::AccountDeleted {
        to: "ada@example.com".into(),
        name: "Ada".into(),
    };
    let err = mailer(url)
        .send(&mail, "1")
        .await
        .expect_err("nobody listens");
    assert!(err.is_transient(), "{err}");
}

#[tokio::test]
#[ignore = "needs aiosmtpd: run by .ci/mail"]
async fn an_invalid_recipient_is_permanent_before_anything_is_sent() {
    let server = SmtpServer::start().await;
    let mail = Mail::AccountDeleted {
        to: "not an address".into(),
        name: "Ada".into(),
    };
    let err = mailer(server.url())
        .send(&mail, "1")
        .await
        .expect_err("invalid");
    assert!(matches!(err, MailError::Permanent(_)), "{err}");
    assert!(server.received().await.is_empty());
}

/// The newcomer's path over real SMTP: register, forget the password,
/// reset it from the mailed link, log in with the new one. Every message
/// goes through the server's job queue to aiosmtpd.
#[actix_web::test]
#[ignore = "needs aiosmtpd: run by .ci/mail"]
async fn a_password_is_reset_through_a_real_smtp_server() {
    let smtp = SmtpServer::start().await;
    let app = crate::helpers::spawn_app_with(|s| {
        s.mail.smtp_url = Some(Secret(smtp.url()));
        s.mail.public_url = PUBLIC.into();
    })
    .await;
    let address = crate::helpers::email();
    app.register(&address).await;
    let verification = smtp.wait_for(&address).await;
    assert!(verification.defects.is_empty(), "{verification:?}");
    let res = app
        .http
        .post(app.url("/api/v1/auth/password-reset"))
        .json(&serde_json::json!({ "email": address }))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), reqwest::StatusCode::ACCEPTED);
    // The second message to the address is the reset.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let reset = loop {
        let mut to_them: Vec<_> = smtp
            .received()
            .await
            .into_iter()
            .filter(|m| m.rcpt_to.iter().any(|r| r.eq_ignore_ascii_case(&address)))
            .collect();
        if to_them.len() >= 2 {
            to_them.sort_by(|a, b| a.file.cmp(&b.file));
            break to_them
                .into_iter()
                .find(|m| m.text.contains("/reset-password?token="))
                .expect("a reset message");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no reset mail arrived"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let link = format!("{PUBLIC}/reset-password?token=");
    let at = reset.text.find(&link).expect("the link") + link.len();
    let token: String = reset.text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let res = app
        .http
        .post(app.url("/api/v1/auth/password-reset/confirm"))
        .json(&serde_json::json!({ "token": token, "password": "a brand new passphrase" }))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    let res = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({ "email": address, "password": "a brand new passphrase" }))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), reqwest::StatusCode::OK);
}
