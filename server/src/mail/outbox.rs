//! The development outbox: with no SMTP relay configured, each message is
//! written as an RFC 5322 `.eml` file under `<data_dir>/mail/`, for a
//! developer to open in a mail client or an editor.
//!
//! Names sort by time and never collide:
//! `20261203T212203.123Z-<message id>-<random>.eml` (UTC, milliseconds).
//! A file appears whole or not at all: it is written under a hidden
//! temporary name in the same directory, flushed, then renamed.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use lettre::Message;

use super::MailError;

/// The outbox's directory under the data directory.
pub const OUTBOX_DIR: &str = "mail";

/// Longest part of a file name taken from the message id.
const MAX_ID_IN_NAME: usize = 64;

/// Writes messages into one directory.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
}

impl Outbox {
    /// The outbox under `data_dir`; the directory is created on first use.
    pub fn new(data_dir: &Path) -> Outbox {
        Outbox {
            dir: data_dir.join(OUTBOX_DIR),
        }
    }

    /// Write `message` as a new `.eml` file and return its path.
    ///
    /// # Errors
    /// [`MailError::Transient`] when the directory or file cannot be
    /// written (a full disk may have room later).
    pub async fn write(&self, message: &Message, message_id: &str) -> Result<PathBuf, MailError> {
        let bytes = message.formatted();
        let name = file_name(SystemTime::now(), message_id, rand::random());
        let dir = self.dir.clone();
        let written = tokio::task::spawn_blocking(move || write_atomically(&dir, &name, &bytes))
            .await
            .map_err(|e| MailError::Transient(format!("the outbox writer stopped: {e}")))?;
        written.map_err(|e| {
            MailError::Transient(format!(
                "writing to the mail outbox {}: {e}",
                self.dir.display()
            ))
        })
    }
}

fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    fs::create_dir_all(dir)?;
    let temporary = dir.join(format!(".{name}.tmp"));
    let path = dir.join(name);
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| fs::rename(&temporary, &path));
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written.map(|()| path)
}

/// `{utc stamp}-{message id, file-name safe}-{nonce as 8 hex digits}.eml`.
pub fn file_name(now: SystemTime, message_id: &str, nonce: u32) -> String {
    let id: String = message_id
        .chars()
        .take(MAX_ID_IN_NAME)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{}-{id}-{nonce:08x}.eml", utc_stamp(now))
}

/// `YYYYMMDDTHHMMSS.mmmZ` (ISO 8601 basic format, UTC); the epoch for a
/// time before it.
pub fn utc_stamp(now: SystemTime) -> String {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, of_day) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}.{:03}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60,
        since.subsec_millis()
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for days on or after the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}
