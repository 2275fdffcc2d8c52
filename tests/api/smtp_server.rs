//! A real SMTP server for the mail tests: Python's aiosmtpd on a free
//! loopback port, storing what it accepts in a maildir of its own, killed
//! (and its maildir removed) when dropped, even on panic.
//!
//! The interpreter is `CORKBOARD_TEST_AIOSMTPD_PYTHON`, a python with
//! aiosmtpd 1.4 installed: `.ci/mail` makes one in `target/smtp-venv`. The
//! messages are read back through Python's own email parser
//! (`smtp_harness.py decode`), so a test sees headers and bodies decoded
//! as a mail client would, plus any defect the parser found.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

/// Names the python that has aiosmtpd.
pub const PYTHON_VAR: &str = "CORKBOARD_TEST_AIOSMTPD_PYTHON";
/// Longest wait for the server to listen.
const START_WAIT: Duration = Duration::from_secs(30);
/// Longest wait for a message to arrive.
const MAIL_WAIT: Duration = Duration::from_secs(30);
/// Pause between two looks at the port or the maildir.
const POLL_EVERY: Duration = Duration::from_millis(50);

/// One aiosmtpd process.
pub struct SmtpServer {
    /// The loopback port it listens on.
    pub port: u16,
    child: Child,
    python: PathBuf,
    /// Holds `maildir/` and the server's log.
    dir: PathBuf,
}

/// A message as the server stored it, decoded.
#[derive(Debug, Clone, Deserialize)]
pub struct ReceivedMail {
    /// Its file in the maildir.
    pub file: String,
    /// The envelope recipients (`RCPT TO`).
    pub rcpt_to: Vec<String>,
    /// Every header, in order, encoded words decoded.
    pub headers: Vec<(String, String)>,
    /// The text/plain body, transfer encoding undone.
    pub text: String,
    /// The text/html body, if there is one.
    pub html: Option<String>,
    /// What Python's email parser found wrong (nothing, for a good message).
    pub defects: Vec<String>,
}

impl ReceivedMail {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl SmtpServer {
    /// aiosmtpd's stock maildir handler: every recipient accepted.
    pub async fn start() -> SmtpServer {
        SmtpServer::spawn("aiosmtpd.handlers.Mailbox", &[]).await
    }

    /// Like [`SmtpServer::start`], but `RCPT TO` each listed address is
    /// answered with its reply code (550 refuses for good, 450 for now).
    pub async fn refusing(rules: &[(&str, u16)]) -> SmtpServer {
        let rules: Vec<String> = rules.iter().map(|(a, c)| format!("{a}={c}")).collect();
        SmtpServer::spawn("smtp_harness.Refusing", &rules).await
    }

    async fn spawn(handler: &str, handler_args: &[String]) -> SmtpServer {
        let python = python();
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("corkboard-smtp-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("smtp test directory");
        let log = File::create(dir.join("server.log")).expect("smtp server log");
        let child = Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", handler])
            .arg(dir.join("maildir"))
            .args(handler_args)
            .env("PYTHONPATH", harness_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting aiosmtpd with {}: {e}", python.display()));
        let mut server = SmtpServer {
            port,
            child,
            python,
            dir,
        };
        server.wait_until_listening().await;
        server
    }

    /// Poll-connect until the port accepts, failing fast if the process
    /// exits (a missing module, a taken port).
    async fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + START_WAIT;
        let addr = format!("127.0.0.1:{}", self.port);
        while tokio::net::TcpStream::connect(&addr).await.is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("aiosmtpd exited ({status}):\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "aiosmtpd never listened on {addr}:\n{}",
                self.log()
            );
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    /// `smtp://127.0.0.1:{port}`: plain SMTP, for `CORKBOARD_SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message stored so far, oldest file name first.
    pub async fn received(&self) -> Vec<ReceivedMail> {
        let maildir = self.dir.join("maildir");
        if !maildir.join("new").is_dir() {
            return Vec::new();
        }
        let mut command = Command::new(&self.python);
        command
            .arg(harness_dir().join("smtp_harness.py"))
            .arg("decode")
            .arg(&maildir);
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("decoder task")
            .expect("running smtp_harness.py decode");
        assert!(
            output.status.success(),
            "smtp_harness.py decode failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("decoded messages as JSON")
    }

    /// The first message stored for envelope recipient `to`, waiting for
    /// it to arrive (up to `MAIL_WAIT`).
    pub async fn wait_for(&self, to: &str) -> ReceivedMail {
        let deadline = Instant::now() + MAIL_WAIT;
        loop {
            let received = self.received().await;
            if let Some(mail) = received
                .iter()
                .find(|m| m.rcpt_to.iter().any(|r| r.eq_ignore_ascii_case(to)))
            {
                return mail.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no mail for {to} within {MAIL_WAIT:?}; received: {:?}\n{}",
                received.iter().map(|m| &m.rcpt_to).collect::<Vec<_>>(),
                self.log()
            );
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The python named by `CORKBOARD_TEST_AIOSMTPD_PYTHON`; a relative path
/// is taken from the workspace root (cargo runs tests in `tests/`).
fn python() -> PathBuf {
    let python = std::env::var_os(PYTHON_VAR).unwrap_or_else(|| {
        panic!("{PYTHON_VAR} is not set: point it at a python with aiosmtpd (bash .ci/mail does)")
    });
    let python = PathBuf::from(python);
    if python.is_relative() && python.components().count() > 1 {
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join(python)
    } else {
        python
    }
}

/// This directory: `smtp_harness.py` lives beside this file.
fn harness_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/api"))
}

/// A free loopback port (bound then released; aiosmtpd binds it next).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
