//! The development mail outbox, read as a newcomer would: the `.eml`
//! files the server writes under `<data_dir>/mail/` when no SMTP relay is
//! configured.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::helpers::{TestApp, WAIT};

/// One message from the outbox.
#[derive(Debug, Clone)]
pub struct Eml {
    pub headers: Vec<(String, String)>,
    /// The text/plain part, its transfer encoding undone.
    pub text: String,
}

impl Eml {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.as_str())
    }

    /// The `token` parameter of the first link to `path` in the text.
    pub fn token(&self, path: &str) -> String {
        let at = self
            .text
            .find(&format!("{path}?token="))
            .unwrap_or_else(|| panic!("no {path} link in:\n{}", self.text));
        self.text[at + path.len() + "?token=".len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect()
    }
}

/// Headers (unfolded) and body of one MIME entity.
fn split(entity: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = entity
        .split_once("\r\n\r\n")
        .or_else(|| entity.split_once("\n\n"))
        .unwrap_or((entity, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    (headers, body)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map_or("", |(_, v)| v.as_str())
}

/// Undo quoted-printable (RFC 2045 §6.7).
fn unquote(body: &str) -> String {
    let mut bytes = Vec::new();
    let raw = body.replace("=\r\n", "").replace("=\n", "");
    let mut it = raw.bytes();
    while let Some(b) = it.next() {
        if b == b'=' {
            let hex: Vec<u8> = it.by_ref().take(2).collect();
            let decoded = std::str::from_utf8(&hex)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match decoded {
                Some(v) => bytes.push(v),
                None => {
                    bytes.push(b'=');
                    bytes.extend(hex);
                }
            }
        } else {
            bytes.push(b);
        }
    }
    String::from_utf8_lossy(&bytes).replace("\r\n", "\n")
}

/// Undo base64.
fn unbase64(body: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in body.bytes() {
        let Some(v) = ALPHABET.iter().position(|a| *a == c) else {
            continue;
        };
        bits = (bits << 6) | v as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    String::from_utf8_lossy(&out).replace("\r\n", "\n")
}

fn decode(headers: &[(String, String)], body: &str) -> String {
    match header(headers, "Content-Transfer-Encoding")
        .to_ascii_lowercase()
        .as_str()
    {
        "quoted-printable" => unquote(body),
        "base64" => unbase64(body),
        _ => body.replace("\r\n", "\n"),
    }
}

/// The text/plain part of a message (a single part, or one of a
/// multipart's).
fn text_of(headers: &[(String, String)], body: &str) -> String {
    let content_type = header(headers, "Content-Type");
    let Some(boundary) = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_owned())
    else {
        return decode(headers, body);
    };
    for part in body.split(&format!("--{boundary}")) {
        let part = part.trim_start_matches(['\r', '\n']);
        let (part_headers, part_body) = split(part);
        let part_type = header(&part_headers, "Content-Type").to_ascii_lowercase();
        if part_type.starts_with("text/plain") {
            return decode(&part_headers, part_body);
        }
        if part_type.starts_with("multipart/") {
            let text = text_of(&part_headers, part_body);
            if !text.is_empty() {
                return text;
            }
        }
    }
    String::new()
}

/// Read one `.eml` file.
pub fn read(path: &Path) -> Eml {
    let raw = std::fs::read_to_string(path).expect("an .eml file");
    let (headers, body) = split(&raw);
    let text = text_of(&headers, body);
    Eml { headers, text }
}

/// Every message in `app`'s outbox, oldest first.
pub fn all(app: &TestApp) -> Vec<Eml> {
    let dir = app.settings.data_dir.join("mail");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files.iter().map(|p| read(p)).collect()
}

/// The messages to `to` so far.
pub fn to(app: &TestApp, to: &str) -> Vec<Eml> {
    all(app)
        .into_iter()
        .filter(|m| m.header("To").to_lowercase().contains(&to.to_lowercase()))
        .collect()
}

/// Wait until `count` messages to `to` are in the outbox; the newest.
pub async fn nth_to(app: &TestApp, address: &str, count: usize) -> Eml {
    let deadline = Instant::now() + WAIT;
    loop {
        let mut got = to(app, address);
        if got.len() >= count {
            return got.swap_remove(count - 1);
        }
        assert!(
            Instant::now() < deadline,
            "{count} message(s) to {address} never arrived; outbox: {:?}",
            all(app)
                .iter()
                .map(|m| m.header("To").to_owned())
                .collect::<Vec<_>>()
        );
        // The outbox is files: polling is how it is read.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Wait for the first message to `to`.
pub async fn first_to(app: &TestApp, address: &str) -> Eml {
    nth_to(app, address, 1).await
}
