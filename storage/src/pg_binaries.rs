//! Finding and running the PostgreSQL server binaries (`initdb`, `pg_ctl`,
//! `postgres`), shared by [`crate::LocalPostgres`] and the test clusters.
//!
//! PostgreSQL refuses to run as root. When this process is root, every
//! server binary runs as the `postgres` system user instead, and the
//! directories it must write are chowned to that user.

use std::ffi::OsStr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Why the managed PostgreSQL could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LocalPgError {
    /// No PostgreSQL server binaries on this machine.
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found via `pg_config --bindir`, \
         PATH or /usr/lib/postgresql/*/bin. Install them (Debian/Ubuntu: `apt-get install \
         postgresql`), or set DATABASE_URL to use an existing PostgreSQL database"
    )]
    NotFound,
    /// Running as root, but there is no unprivileged user to run PostgreSQL as.
    #[error(
        "running as root, but there is no `postgres` system user to run PostgreSQL as \
         (PostgreSQL refuses root). Create one (`useradd --system postgres`), run as an \
         ordinary user, or set DATABASE_URL"
    )]
    NoServerUser,
    /// A file system operation failed.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// A PostgreSQL program failed.
    #[error("{what} failed ({status}): {output}")]
    Command {
        what: String,
        status: String,
        output: String,
    },
    /// The server started but the database could not be prepared.
    #[error("{0}")]
    Setup(String),
}

impl LocalPgError {
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> LocalPgError {
        let what = what.into();
        move |source| LocalPgError::Io { what, source }
    }
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`.
#[derive(Clone, Debug)]
pub(crate) struct PgBinaries {
    bindir: PathBuf,
}

impl PgBinaries {
    /// Looks in `pg_config --bindir`, then PATH (a directory with `initdb`,
    /// following symlinks), then `/usr/lib/postgresql/<version>/bin`,
    /// highest version first.
    pub(crate) fn find() -> Result<PgBinaries, LocalPgError> {
        let from_pg_config = Command::new("pg_config")
            .arg("--bindir")
            .stdin(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
        let from_path = std::env::var_os("PATH")
            .map(|path| {
                std::env::split_paths(&path)
                    .filter_map(|dir| std::fs::canonicalize(dir.join("initdb")).ok())
                    .filter_map(|initdb| initdb.parent().map(Path::to_path_buf))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter_map(|e| {
                        let version = e.file_name().to_str()?.parse::<u32>().ok()?;
                        Some((version, e.path().join("bin")))
                    })
                    .collect()
            })
            .unwrap_or_default();
        versioned.sort_by_key(|v| std::cmp::Reverse(v.0));
        from_pg_config
            .into_iter()
            .chain(from_path)
            .chain(versioned.into_iter().map(|(_, dir)| dir))
            .find(|dir| {
                ["initdb", "pg_ctl", "postgres"]
                    .iter()
                    .all(|b| dir.join(b).is_file())
            })
            .map(|bindir| PgBinaries { bindir })
            .ok_or(LocalPgError::NotFound)
    }

    /// The path of one server program.
    pub(crate) fn program(&self, name: &str) -> PathBuf {
        self.bindir.join(name)
    }

    /// Whether these binaries compress with lz4: PostgreSQL 15 or later
    /// built `--with-lz4` (Debian's are). Before 15, `wal_compression`
    /// takes only a boolean.
    pub(crate) fn lz4(&self) -> bool {
        let output = |program: &str, arg: &str| {
            Command::new(self.program(program))
                .arg(arg)
                .stdin(Stdio::null())
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default()
        };
        let major = major_version(&output("postgres", "--version"));
        major >= Some(15) && output("pg_config", "--configure").contains("--with-lz4")
    }
}

/// The major version in `postgres --version`'s answer
/// (`postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)` gives 15).
fn major_version(answer: &str) -> Option<u32> {
    let rest = answer.split("PostgreSQL)").nth(1)?.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The unprivileged account PostgreSQL runs as when this process is root.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ServerUser {
    pub(crate) uid: u32,
    pub(crate) gid: u32,
}

impl ServerUser {
    /// `Some(postgres user)` when this process runs as root, `None` when it
    /// can run PostgreSQL itself.
    pub(crate) fn needed() -> Result<Option<ServerUser>, LocalPgError> {
        if effective_uid() != Some(0) {
            return Ok(None);
        }
        let id = |flag: &str| -> Option<u32> {
            let out = Command::new("id").args([flag, "postgres"]).output().ok()?;
            if !out.status.success() {
                return None;
            }
            String::from_utf8_lossy(&out.stdout).trim().parse().ok()
        };
        match (id("-u"), id("-g")) {
            (Some(uid), Some(gid)) => Ok(Some(ServerUser { uid, gid })),
            _ => Err(LocalPgError::NoServerUser),
        }
    }

    /// Gives `path` to this user.
    pub(crate) fn chown(&self, path: &Path) -> Result<(), LocalPgError> {
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid))
            .map_err(LocalPgError::io(format!("chown {}", path.display())))
    }

    /// Whether this user may search (traverse) `dir` and all its ancestors.
    pub(crate) fn can_traverse(&self, dir: &Path) -> bool {
        let mut test = Command::new("test");
        test.arg("-x").arg(dir).stdin(Stdio::null());
        self.apply(&mut test);
        test.status().is_ok_and(|s| s.success())
    }

    fn apply(&self, cmd: &mut Command) {
        cmd.uid(self.uid).gid(self.gid);
    }
}

/// The effective uid of this process, from `/proc/self/status`.
fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    // Uid: real effective saved filesystem
    line.split_whitespace().nth(2)?.parse().ok()
}

/// A command for a server program: as `user` if given, from `/` (the
/// caller's directory may not be readable by that user), without `PG*`
/// variables that would redirect it elsewhere.
pub(crate) fn server_command(program: &Path, user: Option<ServerUser>) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir("/").stdin(Stdio::null());
    for var in [
        "PGDATA",
        "PGHOST",
        "PGHOSTADDR",
        "PGPORT",
        "PGUSER",
        "PGDATABASE",
        "PGOPTIONS",
    ] {
        cmd.env_remove(var);
    }
    if let Some(user) = user {
        user.apply(&mut cmd);
    }
    cmd
}

/// Runs `cmd` to completion; a non-zero exit is an error with its output.
pub(crate) fn run(mut cmd: Command, what: &str) -> Result<Output, LocalPgError> {
    let output = cmd
        .output()
        .map_err(LocalPgError::io(format!("cannot run {what}")))?;
    if output.status.success() {
        return Ok(output);
    }
    Err(LocalPgError::Command {
        what: what.to_owned(),
        status: output.status.to_string(),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
        .trim()
        .to_owned(),
    })
}

/// Runs `initdb` for a fresh cluster in `data`: superuser `corkboard`,
/// trust authentication (the server only listens on a private unix
/// socket), UTF-8, C collation (byte order, like the fractional position
/// keys), no fsync of the new files.
pub(crate) fn initdb(
    bin: &PgBinaries,
    data: &Path,
    user: Option<ServerUser>,
) -> Result<(), LocalPgError> {
    let mut cmd = server_command(&bin.program("initdb"), user);
    cmd.arg("-D").arg(data).args([
        "-U",
        "corkboard",
        "--auth=trust",
        "-E",
        "UTF8",
        "--no-locale",
        "--no-sync",
    ]);
    run(cmd, "initdb").map(|_| ())
}

/// A string literal for `postgresql.conf`.
pub(crate) fn conf_string(s: &OsStr) -> String {
    format!(
        "'{}'",
        s.to_string_lossy()
            .replace('\\', "\\\\")
            .replace('\'', "''")
    )
}

/// A value for a libpq key-value connection string.
pub(crate) fn conn_value(s: &str) -> String {
    if !s.is_empty() && !s.contains(|c: char| c.is_whitespace() || c == '\'' || c == '\\') {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A short stable name for a path (FNV-1a, 48 bits in hex), for
/// directories that must have short paths.
pub(crate) fn short_hash(path: &Path) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in path.as_os_str().as_encoded_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{:012x}", hash >> 16)
}

/// Whether a unix socket directory is short enough: the socket path
/// `<dir>/.s.PGSQL.5432` must fit in `sun_path` (107 bytes).
pub(crate) fn socket_dir_fits(dir: &Path) -> bool {
    dir.as_os_str().len() <= 90
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conn_values_are_quoted_only_when_needed() {
        assert_eq!(conn_value("/tmp/x"), "/tmp/x");
        assert_eq!(conn_value("/tmp/a b"), "'/tmp/a b'");
        assert_eq!(conn_value("it's"), "'it\\'s'");
    }

    #[test]
    fn the_major_version_is_read_from_postgres_version() {
        let debian = "postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)\n";
        assert_eq!(major_version(debian), Some(15));
        assert_eq!(major_version("postgres (PostgreSQL) 9.6.24\n"), Some(9));
        assert_eq!(major_version("postgres (PostgreSQL) 17beta1\n"), Some(17));
        assert_eq!(major_version(""), None);
    }

    #[test]
    fn short_hash_is_stable_and_short() {
        let h = short_hash(Path::new("/work/main/data"));
        assert_eq!(h.len(), 12);
        assert_eq!(h, short_hash(Path::new("/work/main/data")));
        assert_ne!(h, short_hash(Path::new("/work/main/data2")));
    }
}
