//! Rendering: headers, links with encoded tokens, stable Message-IDs,
//! UTF-8, injection, permanent errors, the stored payload's shape.

use protocol::{ItemId, Role};
use uuid::Uuid;

use super::*;
use crate::mail::MailError;

#[test]
fn every_template_has_its_headers_and_one_link_under_the_public_url() {
    for mail in every_mail() {
        let message = mail.render(&from(), PUBLIC, "job-42").expect("renders");
        let what = mail.template();
        assert_eq!(
            header(&message, "From"),
            "Corkboard <corkboard@example.com>"
        );
        assert!(
            header(&message, "To").contains("<ada@example.com>")
                || header(&message, "To") == "ada@example.com",
            "{what}"
        );
        assert!(!header(&message, "Subject").is_empty(), "{what}");
        assert!(
            header(&message, "Date").contains("GMT") || header(&message, "Date").contains("+0000"),
            "{what}"
        );
        assert_eq!(
            header(&message, "Message-ID"),
            "<job-42@corkboard>",
            "{what}"
        );
        assert_eq!(mail.recipient(), "ada@example.com");
        let links = links(&mail);
        if what != "account_deleted" {
            assert_eq!(links.len(), 1, "{what}: {links:?}");
        }
        assert!(
            links.iter().all(|l| l.starts_with(PUBLIC)),
            "{what}: {links:?}"
        );
        let plain = mail.letter(PUBLIC).expect("renders").plain();
        assert!(links.iter().all(|l| plain.contains(l.as_str())), "{what}");
    }
}

#[test]
fn links_point_at_the_app_routes_with_the_token_encoded() {
    let links: Vec<String> = every_mail().iter().flat_map(links).collect();
    let board = board();
    assert_eq!(
        links,
        [
            format!("{PUBLIC}/verify-email?token={TOKEN_ENCODED}"),
            format!("{PUBLIC}/reset-password?token={TOKEN_ENCODED}"),
            format!("{PUBLIC}/login"),
            format!("{PUBLIC}/invite/{TOKEN_ENCODED}"),
            format!("{PUBLIC}/o/DS/b/{board}/DS-12"),
            format!("{PUBLIC}/o/DS/b/{board}/DS-12"),
            format!("{PUBLIC}/o/DS"),
        ]
    );
}

#[test]
fn the_texts_say_what_each_message_promises() {
    let plain: Vec<String> = every_mail()
        .iter()
        .map(|m| m.letter(PUBLIC).expect("renders").plain())
        .collect();
    assert!(plain[1].contains("expires in 30 minutes"), "{}", plain[1]);
    assert!(plain[1].contains("safe to ignore"), "{}", plain[1]);
    assert!(plain[2].contains("other sessions were signed out"));
    assert!(plain[2].contains("If it was not you"));
    assert!(plain[4].contains("Grace invited you to join Design on Corkboard as an admin"));
    for notification in &plain[5..7] {
        assert!(notification.contains("Turn these emails off under Account → Notifications"));
        assert!(notification.contains("PATCH /api/v1/me/notifications"));
    }
    assert!(
        plain[6].contains("> @ada can you look?\n> Thanks"),
        "{}",
        plain[6]
    );
    assert!(plain[7].contains("disabled the webhook endpoint https://hooks.example.com/corkboard"));
    assert!(plain[7].contains("every delivery failed for 5 days"));
    assert!(plain[7].contains("\"enabled\": true"));
}

#[test]
fn the_message_id_is_the_callers_and_stays_the_same_on_a_retry() {
    let mail = &every_mail()[1];
    let first = mail.render(&from(), PUBLIC, "0192f1c4-7d1e-7000-8000-000000000001");
    let again = mail.render(&from(), PUBLIC, "0192f1c4-7d1e-7000-8000-000000000001");
    let other = mail.render(&from(), PUBLIC, "17");
    let id = |m: &Result<Message, MailError>| header(m.as_ref().expect("renders"), "Message-ID");
    assert_eq!(
        id(&first),
        "<0192f1c4-7d1e-7000-8000-000000000001@corkboard>"
    );
    assert_eq!(id(&first), id(&again));
    assert_eq!(id(&other), "<17@corkboard>");
    for bad in ["", "a b", "x>y", "a@b", &"x".repeat(129)] {
        let err = mail.render(&from(), PUBLIC, bad).expect_err("refused");
        assert!(!err.is_transient(), "{bad:?}");
    }
}

#[test]
fn utf8_names_are_encoded_in_headers_and_kept_in_the_body() {
    let mail = Mail::Invitation {
        to: "zoe@example.com".into(),
        org_name: "Café 北京".into(),
        inviter_name: "Zoë Åström".into(),
        role: Role::Member,
        token: "t".into(),
    };
    let message = mail.render(&from(), PUBLIC, "1").expect("renders");
    let raw = message.formatted();
    assert!(
        raw.is_ascii(),
        "every header and body part is 7-bit encoded"
    );
    let text = String::from_utf8(raw).expect("ascii");
    assert!(text.contains("Subject: =?utf-8?"), "{text}");
    assert!(text.contains("charset=utf-8"), "{text}");
    let letter = mail.letter(PUBLIC).expect("renders");
    assert_eq!(
        letter.subject,
        "Zoë Åström invited you to join Café 北京 on Corkboard"
    );
    assert!(letter
        .plain()
        .contains("Zoë Åström invited you to join Café 北京"));
    assert!(letter.html().contains("Zoë Åström"));
}

#[test]
fn names_and_titles_cannot_break_headers_or_html() {
    let mail = Mail::Assigned {
        to: "ada@example.com".into(),
        name: "Ada\r\nBcc: eve@example.com".into(),
        by: "<script>Grace</script>".into(),
        item_key: "DS-3".into(),
        item_title: "two\nlines".into(),
        board_id: board(),
        item_id: ItemId(Uuid::nil()),
    };
    let message = mail.render(&from(), PUBLIC, "1").expect("renders");
    let text = String::from_utf8(message.formatted()).expect("ascii");
    assert!(!text.contains("\r\nBcc:"), "{text}");
    let letter = mail.letter(PUBLIC).expect("renders");
    assert_eq!(
        letter.subject,
        "<script>Grace</script> assigned you DS-3: two lines"
    );
    assert!(letter.html().contains("&lt;script&gt;Grace&lt;/script&gt;"));
    assert!(!letter.html().contains("<script>"));
}

#[test]
fn an_invalid_recipient_or_card_key_is_permanent() {
    let mail = Mail::PasswordChanged {
        to: "not an address".into(),
        name: "Ada".into(),
    };
    let err = mail.render(&from(), PUBLIC, "1").expect_err("refused");
    assert!(
        matches!(err, MailError::Permanent(ref m) if m.contains("not an address")),
        "{err}"
    );
    let mut mail = every_mail().remove(5);
    if let Mail::Assigned { item_key, .. } = &mut mail {
        *item_key = "12".into();
    }
    assert!(!mail
        .render(&from(), PUBLIC, "1")
        .expect_err("refused")
        .is_transient());
}

#[test]
fn the_stored_payload_is_tagged_by_template_and_keeps_its_shape() {
    let mail = Mail::PasswordReset {
        to: "a@x.org".into(),
        name: "A".into(),
        token: "t".into(),
    };
    let json = serde_json::to_value(&mail).expect("serializes");
    assert_eq!(
        json,
        serde_json::json!({"template": "password_reset", "to": "a@x.org", "name": "A", "token": "t"})
    );
    let invitation = serde_json::json!({
        "template": "invitation", "to": "a@x.org", "org_name": "O", "inviter_name": "I",
        "role": "viewer", "token": "t"
    });
    let parsed: Mail = serde_json::from_value(invitation).expect("parses");
    assert_eq!(parsed.template(), "invitation");
    for mail in every_mail() {
        let json = serde_json::to_value(&mail).expect("serializes");
        assert_eq!(json["template"], mail.template());
        let back: Mail = serde_json::from_value(json).expect("round-trips");
        assert!(back == mail, "{}", mail.template());
    }
}

#[test]
fn debug_output_never_shows_a_token() {
    for mail in every_mail() {
        let shown = format!("{mail:?}");
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(shown.contains(mail.template()), "{shown}");
    }
}
