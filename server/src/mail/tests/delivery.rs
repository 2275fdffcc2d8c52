//! The outbox (file names, atomic `.eml` files, an unwritable directory)
//! and an SMTP relay that is not there.

use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use uuid::Uuid;

use super::*;
use crate::config::{MailSettings, Secret};
use crate::mail::outbox::{file_name, utc_stamp};
use crate::mail::transport::helo_from_public_url;
use crate::mail::{Delivered, Mailer, OUTBOX_DIR};

#[test]
fn outbox_names_sort_by_utc_time() {
    let at = |secs: u64, millis: u64| UNIX_EPOCH + Duration::from_millis(secs * 1000 + millis);
    assert_eq!(utc_stamp(UNIX_EPOCH), "19700101T000000.000Z");
    assert_eq!(utc_stamp(at(1_796_333_323, 456)), "20261203T212843.456Z");
    assert_eq!(utc_stamp(at(951_782_400, 0)), "20000229T000000.000Z");
    assert_eq!(
        file_name(at(1_796_333_323, 7), "job/1 x", 0xab),
        "20261203T212843.007Z-job_1_x-000000ab.eml"
    );
    let earlier = file_name(at(1_796_333_323, 999), "zzz", u32::MAX);
    let later = file_name(at(1_796_333_324, 0), "aaa", 0);
    assert!(earlier < later);
}

/// A fresh directory under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!("corkboard-mail-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn outbox_settings() -> MailSettings {
    MailSettings {
        smtp_url: None,
        from: from(),
        public_url: PUBLIC.into(),
    }
}

#[tokio::test]
async fn without_smtp_each_message_is_a_new_eml_file_in_the_outbox() {
    let data = TempDir::new();
    let mailer = Mailer::new(&outbox_settings(), &data.0).expect("mailer");
    let mail = &every_mail()[0];
    let Delivered::File(first) = mailer.send(mail, "job-7").await.expect("written") else {
        panic!("not written to a file");
    };
    let Delivered::File(second) = mailer.send(mail, "job-7").await.expect("written") else {
        panic!("not written to a file");
    };
    assert_ne!(first, second, "a retry does not overwrite the first file");
    assert_eq!(first.parent(), Some(data.0.join(OUTBOX_DIR).as_path()));
    let name = first.file_name().and_then(|n| n.to_str()).expect("name");
    assert!(
        name.ends_with(".eml") && name.contains("Z-job-7-"),
        "{name}"
    );
    let mut entries: Vec<_> = std::fs::read_dir(data.0.join(OUTBOX_DIR))
        .expect("outbox")
        .map(|e| e.expect("entry").file_name())
        .collect();
    entries.sort();
    assert_eq!(entries.len(), 2, "no temporary files left: {entries:?}");

    let text = std::fs::read_to_string(&first).expect("readable");
    let (head, body) = text
        .split_once("\r\n\r\n")
        .expect("headers, blank line, body");
    for line in [
        "From: Corkboard <corkboard@example.com>",
        "To: Ada <ada@example.com>",
        "Subject: Confirm your email address for Corkboard",
        "Message-ID: <job-7@corkboard>",
        "MIME-Version: 1.0",
    ] {
        assert!(
            head.lines().any(|l| l == line),
            "{line} missing in:\n{head}"
        );
    }
    assert!(head.lines().any(|l| l.starts_with("Date: ")), "{head}");
    assert!(head.contains("multipart/alternative"), "{head}");
    assert!(body.contains("text/plain; charset=utf-8") && body.contains("text/html"));
    let decoded = quoted_printable(body);
    assert!(
        decoded.contains(&format!("{PUBLIC}/verify-email?token={TOKEN_ENCODED}")),
        "{decoded}"
    );
}

/// Quoted-printable decoded (RFC 2045 §6.7), enough for ASCII bodies:
/// soft line breaks removed, `=XX` turned back into its byte.
fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let mut out = String::with_capacity(joined.len());
    let mut rest = joined.as_str();
    while let Some(at) = rest.find('=') {
        out.push_str(&rest[..at]);
        let hex = rest.get(at + 1..at + 3).unwrap_or_default();
        match u8::from_str_radix(hex, 16) {
            Ok(byte) if hex.len() == 2 => {
                out.push(char::from(byte));
                rest = &rest[at + 3..];
            }
            _ => {
                out.push('=');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn an_unwritable_outbox_is_transient() {
    let data = TempDir::new();
    let not_a_dir = data.0.join("file");
    std::fs::write(&not_a_dir, b"x").expect("file");
    let mailer = Mailer::new(&outbox_settings(), &not_a_dir).expect("mailer");
    let err = mailer
        .send(&every_mail()[2], "1")
        .await
        .expect_err("cannot write");
    assert!(err.is_transient(), "{err}");
}

#[tokio::test]
async fn an_unreachable_relay_is_transient() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let settings = MailSettings {
        smtp_url: Some(Secret(format!("smtp://127.0.0.1:{port}"))),
        ..outbox_settings()
    };
    let mailer = Mailer::new(&settings, std::path::Path::new("/nonexistent")).expect("mailer");
    let err = mailer
        .send(&every_mail()[3], "1")
        .await
        .expect_err("refused");
    assert!(err.is_transient(), "{err}");
}

#[test]
fn the_ehlo_name_is_the_public_host_unless_the_smtp_url_names_one() {
    let public = "https://boards.example.com:8443/corkboard";
    for (smtp, helo) in [
        ("smtp://relay:25", Some("boards.example.com")),
        ("smtps://relay?tls=required", Some("boards.example.com")),
        ("smtp://relay/", Some("boards.example.com")),
        ("smtp://relay/mail.example.com", None),
    ] {
        assert_eq!(
            helo_from_public_url(smtp, public).as_deref(),
            helo,
            "{smtp}"
        );
    }
    for public in [
        "http://localhost:8080",
        "http://127.0.0.1:8080",
        "http://[::1]:8080",
    ] {
        assert_eq!(
            helo_from_public_url("smtp://relay", public),
            None,
            "{public}"
        );
    }
}
