//! The `corkboard` binary's command line, run as a user would. These live
//! here rather than in the `tests` crate because only this package's
//! integration tests are handed the built binary (`CARGO_BIN_EXE_corkboard`).

use std::path::Path;
use std::process::{Command, Output};

const SECRET: &str = "0123456789abcdef0123456789abcdef-not-for-production";

/// Run the binary in `dir` with a clean `CORKBOARD_*` environment plus `env`.
fn corkboard(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_corkboard"));
    cmd.current_dir(dir).args(args);
    for (var, _) in std::env::vars() {
        if var.starts_with("CORKBOARD_") || var == "DATABASE_URL" {
            cmd.env_remove(var);
        }
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("corkboard-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

#[test]
fn help_and_version_answer_without_starting_anything() {
    let dir = scratch("help");
    let help = corkboard(&dir, &["--help"], &[]);
    assert!(help.status.success());
    let out = text(&help.stdout);
    for needle in [
        "serve",
        "migrate",
        "config",
        "[env: CORKBOARD_BIND]",
        "[env: DATABASE_URL]",
    ] {
        assert!(out.contains(needle), "{needle} missing from --help:\n{out}");
    }
    let version = corkboard(&dir, &["--version"], &[]);
    assert!(version.status.success());
    assert!(
        text(&version.stdout).starts_with(&format!("corkboard {}", env!("CARGO_PKG_VERSION"))),
        "{}",
        text(&version.stdout)
    );
    let wrong = corkboard(&dir, &["--no-such-flag"], &[]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(text(&wrong.stderr).contains("--no-such-flag"));
    assert!(!dir.join("data").exists(), "--help must not create ./data");
}

#[test]
fn config_prints_the_effective_configuration_with_secrets_redacted() {
    let dir = scratch("config");
    let out = corkboard(
        &dir,
        &["config", "--bind", "127.0.0.1:9191"],
        &[
            ("CORKBOARD_JWT_SECRET", SECRET),
            (
                "DATABASE_URL",
                "postgres://ada:hunter2hunter2@db.internal/corkboard",
            ),
            ("CORKBOARD_BIND", "127.0.0.1:1111"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.contains("CORKBOARD_BIND=127.0.0.1:9191\n"),
        "the flag wins:\n{shown}"
    );
    assert!(
        shown.contains("CORKBOARD_JWT_SECRET=<redacted>\n"),
        "{shown}"
    );
    assert!(shown.contains("DATABASE_URL=postgres://ada:<redacted>@db.internal/corkboard\n"));
    assert!(shown.contains("CORKBOARD_ENV=development\n"), "{shown}");
    assert!(shown.contains("CORKBOARD_LOG_FORMAT="), "{shown}");
    assert!(
        !shown.contains(SECRET) && !shown.contains("hunter2"),
        "{shown}"
    );
    assert!(!dir.join("data").exists(), "config must not create ./data");
}

#[test]
fn an_invalid_or_unsafe_configuration_exits_2_naming_the_variable() {
    let dir = scratch("invalid");
    let out = corkboard(&dir, &["config"], &[("CORKBOARD_WORKERS", "many")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("CORKBOARD_WORKERS"),
        "{}",
        text(&out.stderr)
    );

    let production = [
        ("CORKBOARD_ENV", "production"),
        ("CORKBOARD_JWT_SECRET", SECRET),
    ];
    for args in [&["config"][..], &["serve"][..], &[][..]] {
        let out = corkboard(&dir, args, &production);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains("CORKBOARD_API_KEY_PEPPER"),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    assert!(
        !dir.join("data").exists(),
        "a refused start must not create ./data"
    );
}

#[actix_rt::test]
async fn migrate_applies_the_migrations_and_exits() {
    let db = storage::TestDb::new().await;
    let dir = scratch("migrate");
    let out = corkboard(&dir, &["migrate"], &[("DATABASE_URL", &db.url)]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let (client, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    actix_rt::spawn(connection);
    let row = client
        .query_one("SELECT count(*) FROM events", &[])
        .await
        .expect("the events table exists after migrate");
    assert_eq!(row.get::<_, i64>(0), 0);
    // Applying them again is a no-op.
    let again = corkboard(&dir, &["migrate"], &[("DATABASE_URL", &db.url)]);
    assert!(again.status.success(), "{}", text(&again.stderr));
}

#[actix_rt::test]
async fn admin_grant_makes_an_account_an_operator_and_names_an_unknown_email() {
    let db = storage::TestDb::new().await;
    let dir = scratch("admin");
    let url = [("DATABASE_URL", db.url.as_str())];
    // Nobody by that email yet: refused, naming it.
    let unknown = corkboard(&dir, &["admin", "grant", "ops@example.com"], &url);
    assert!(!unknown.status.success());
    assert!(
        text(&unknown.stderr).contains("no account has the email \"ops@example.com\""),
        "{}",
        text(&unknown.stderr)
    );
    let (client, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    actix_rt::spawn(connection);
    let id = uuid::Uuid::new_v4();
    client
        .execute(
            "INSERT INTO users (id, email, name, password_hash) VALUES ($1, 'ops@example.com', 'Ops', 'x')",
            &[&id],
        )
        .await
        .expect("a user");
    let operator = || async {
        client
            .query_one("SELECT operator FROM users WHERE id = $1", &[&id])
            .await
            .expect("the user")
            .get::<_, bool>(0)
    };
    assert!(!operator().await, "nobody is an operator by default");
    // Emails are matched as stored, lowercased.
    let granted = corkboard(&dir, &["admin", "grant", "Ops@Example.com"], &url);
    assert!(granted.status.success(), "{}", text(&granted.stderr));
    assert!(text(&granted.stdout).contains("is an instance operator"));
    assert!(operator().await);
    let revoked = corkboard(&dir, &["admin", "revoke", "ops@example.com"], &url);
    assert!(revoked.status.success(), "{}", text(&revoked.stderr));
    assert!(!operator().await);
}

/// A signal that arrives while the server is still starting (here: its
/// managed PostgreSQL is up, migrations are next) is not fatal: the server
/// finishes starting, shuts down gracefully, stops its PostgreSQL and
/// exits 0.
#[test]
fn sigterm_during_startup_shuts_down_gracefully() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::sync::mpsc;
    use std::time::Duration;

    let dir = scratch("sigterm");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_corkboard"));
    cmd.current_dir(&dir)
        .env_remove("DATABASE_URL")
        .env("CORKBOARD_BIND", "127.0.0.1:0")
        .env("CORKBOARD_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("the binary starts");
    let stdout = child.stdout.take().expect("piped");
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let wait_for = |needle: &str| loop {
        let line = lines
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("no log line with {needle:?}"));
        if line.contains(needle) {
            return line;
        }
    };
    wait_for("local PostgreSQL ready");
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    wait_for("local PostgreSQL stopped");
    let status = child.wait().expect("the server exits");
    assert!(status.success(), "exit status {status}");
    let _ = std::fs::remove_dir_all(&dir);
}
