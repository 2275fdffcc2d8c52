//! The managed local PostgreSQL that `cargo run` uses when no `DATABASE_URL`
//! is set: a private cluster under the data directory, listening only on a
//! unix socket, started with `pg_ctl` and stopped on drop.
//!
//! The server is started detached (`pg_ctl start`), so it survives a
//! SIGKILL of this process; the next start finds it running on the same
//! data directory and reuses it.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::db::describe;
pub use crate::pg_binaries::LocalPgError;
use crate::pg_binaries::{
    conf_string, conn_value, initdb, run, server_command, short_hash, socket_dir_fits, PgBinaries,
    ServerUser,
};

/// Where clusters go when the `postgres` user cannot reach the data
/// directory (e.g. it lives under `/root`).
const FALLBACK_ROOT: &str = "/var/lib/corkboard";
/// How long `pg_ctl start` may wait for the server to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// The database the application uses.
const DATABASE: &str = "corkboard";
/// The config file this module owns inside the cluster, included from
/// `postgresql.conf`, rewritten at every start.
const CONF_FILE: &str = "corkboard.conf";
/// How often the managed cluster's autovacuum looks for tables to analyze
/// (PostgreSQL's default is one minute).
const AUTOVACUUM_NAPTIME: &str = "5s";

/// A running local PostgreSQL cluster.
#[derive(Debug)]
pub struct LocalPostgres {
    bin: PgBinaries,
    cluster: PathBuf,
    socket_dir: PathBuf,
    user: Option<ServerUser>,
    running: bool,
}

impl LocalPostgres {
    /// Starts (creating on first use) the cluster for `data_dir`, or reuses
    /// one already running there, and makes sure the `corkboard` database
    /// exists. Blocks until the server accepts connections.
    ///
    /// # Errors
    /// [`LocalPgError::NotFound`] when PostgreSQL is not installed (the
    /// message says what to install); other variants when the cluster
    /// cannot be created or started.
    pub fn start(data_dir: &Path) -> Result<LocalPostgres, LocalPgError> {
        let bin = PgBinaries::find()?;
        let user = ServerUser::needed()?;
        fs::create_dir_all(data_dir)
            .map_err(LocalPgError::io(format!("create {}", data_dir.display())))?;
        let data_dir = fs::canonicalize(data_dir)
            .map_err(LocalPgError::io(format!("resolve {}", data_dir.display())))?;

        let base = match user {
            Some(u) if !u.can_traverse(&data_dir) => {
                let fallback = Path::new(FALLBACK_ROOT).join(short_hash(&data_dir));
                tracing::info!(
                    data_dir = %data_dir.display(),
                    cluster = %fallback.display(),
                    "the postgres user cannot reach the data directory; keeping the cluster elsewhere"
                );
                fs::create_dir_all(&fallback)
                    .map_err(LocalPgError::io(format!("create {}", fallback.display())))?;
                fallback
            }
            _ => data_dir.clone(),
        };
        let cluster = base.join("pg");
        let socket_dir = if socket_dir_fits(&base.join("run")) {
            base.join("run")
        } else {
            std::env::temp_dir().join(format!("corkboard-{}", short_hash(&base)))
        };
        for dir in [&cluster, &socket_dir] {
            private_dir(dir, user)?;
        }

        let mut pg = LocalPostgres {
            bin,
            cluster,
            socket_dir,
            user,
            running: false,
        };
        if !pg.cluster.join("PG_VERSION").exists() {
            tracing::info!(cluster = %pg.cluster.display(), "creating PostgreSQL cluster");
            initdb(&pg.bin, &pg.cluster, user)?;
        }
        pg.write_config()?;
        if pg.is_running() {
            tracing::info!(cluster = %pg.cluster.display(), "reusing running PostgreSQL");
        } else {
            pg.pg_ctl_start()?;
        }
        pg.running = true;
        pg.ensure_database()?;
        tracing::info!(socket = %pg.socket_dir.display(), "local PostgreSQL ready");
        Ok(pg)
    }

    /// The libpq key-value connection string of the `corkboard` database.
    pub fn url(&self) -> String {
        self.url_for(DATABASE)
    }

    /// The cluster's data directory (`PGDATA`).
    pub fn cluster_dir(&self) -> &Path {
        &self.cluster
    }

    /// The directory holding the server's unix socket.
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// Stops the server (`pg_ctl stop -m fast`: sessions are disconnected,
    /// committed data is kept). Idempotent; also done on drop.
    pub fn stop(&mut self) {
        if !self.running {
            return;
        }
        self.running = false;
        let mut cmd = server_command(&self.bin.program("pg_ctl"), self.user);
        cmd.args(["stop", "-w", "-s", "-m", "fast", "-D"])
            .arg(&self.cluster);
        match run(cmd, "pg_ctl stop") {
            Ok(_) => tracing::info!(cluster = %self.cluster.display(), "local PostgreSQL stopped"),
            Err(e) => tracing::warn!(error = %e, "stopping local PostgreSQL failed"),
        }
    }

    fn url_for(&self, dbname: &str) -> String {
        format!(
            "host={} user=corkboard dbname={dbname}",
            conn_value(&self.socket_dir.to_string_lossy())
        )
    }

    /// Points the server at our socket directory and nothing else. Kept in
    /// a file of its own so `postgresql.conf` stays initdb's.
    fn write_config(&self) -> Result<(), LocalPgError> {
        let conf = self.cluster.join(CONF_FILE);
        let lz4 = self.bin.lz4();
        let mut text = format!(
            "# Written by Corkboard at every start; edit postgresql.conf instead.\n\
             listen_addresses = ''\n\
             unix_socket_directories = {}\n\
             # Statistics for freshly loaded tables within seconds, not a\n\
             # minute: until ANALYZE has seen them, the planner takes a\n\
             # 100,000-item table for a small one and sorts it whole.\n\
             autovacuum_naptime = '{AUTOVACUUM_NAPTIME}'\n\
             # Commits never wait while a new 16 MB WAL segment is filled\n\
             # with zeroes: under load that made one commit in a hundred\n\
             # wait 50 ms. Less WAL: full-page images compressed.\n\
             wal_init_zero = off\n\
             wal_compression = {}\n",
            conf_string(self.socket_dir.as_os_str()),
            if lz4 { "lz4" } else { "on" },
        );
        if lz4 {
            // Not written otherwise: pglz is the default, and before 14
            // the setting does not exist (an unknown one stops the start).
            text.push_str(
                "# Board snapshots (and any other value over 2 kB) compressed\n\
                 # with lz4, not pglz: 2 us less of PostgreSQL's CPU per\n\
                 # command over 1,000 boards.\n\
                 default_toast_compression = lz4\n",
            );
        }
        fs::write(&conf, text).map_err(LocalPgError::io(format!("write {}", conf.display())))?;
        if let Some(u) = self.user {
            u.chown(&conf)?;
        }
        let main = self.cluster.join("postgresql.conf");
        let current = fs::read_to_string(&main)
            .map_err(LocalPgError::io(format!("read {}", main.display())))?;
        let include = format!("include_if_exists = '{CONF_FILE}'");
        if !current.lines().any(|l| l.trim() == include) {
            fs::write(&main, format!("{current}\n{include}\n"))
                .map_err(LocalPgError::io(format!("write {}", main.display())))?;
        }
        Ok(())
    }

    /// Whether a postmaster is running on this cluster (`pg_ctl status`).
    fn is_running(&self) -> bool {
        let mut cmd = server_command(&self.bin.program("pg_ctl"), self.user);
        cmd.args(["status", "-D"]).arg(&self.cluster);
        cmd.output().is_ok_and(|o| o.status.success())
    }

    fn pg_ctl_start(&self) -> Result<(), LocalPgError> {
        let log = self.cluster.join("server.log");
        let mut cmd = server_command(&self.bin.program("pg_ctl"), self.user);
        cmd.args(["start", "-w", "-s", "-t"])
            .arg(START_TIMEOUT.as_secs().to_string())
            .arg("-D")
            .arg(&self.cluster)
            .arg("-l")
            .arg(&log);
        tracing::info!(cluster = %self.cluster.display(), "starting local PostgreSQL");
        run(cmd, "pg_ctl start").map_err(|e| match e {
            LocalPgError::Command {
                what,
                status,
                output,
            } => LocalPgError::Command {
                what,
                status,
                output: format!("{output}\n--- {} ---\n{}", log.display(), tail(&log)),
            },
            other => other,
        })?;
        Ok(())
    }

    /// Creates the `corkboard` database unless it exists. Runs on a
    /// thread of its own with a private runtime, so it works whether or
    /// not the caller is inside a tokio runtime.
    fn ensure_database(&self) -> Result<(), LocalPgError> {
        let url = self.url_for("postgres");
        let work = move || -> Result<(), LocalPgError> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(LocalPgError::io("create a runtime"))?;
            rt.block_on(create_database_if_missing(&url, DATABASE))
        };
        std::thread::scope(|s| {
            s.spawn(work)
                .join()
                .unwrap_or_else(|_| Err(LocalPgError::Setup("database setup panicked".into())))
        })
    }
}

impl Drop for LocalPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Connects to `server_url` and creates `name` unless it exists.
pub(crate) async fn create_database_if_missing(
    server_url: &str,
    name: &str,
) -> Result<(), LocalPgError> {
    let setup = |e: tokio_postgres::Error| {
        LocalPgError::Setup(format!("create database {name}: {}", describe(&e)))
    };
    let (client, conn) = tokio_postgres::connect(server_url, tokio_postgres::NoTls)
        .await
        .map_err(setup)?;
    let conn = tokio::spawn(conn);
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await
        .map_err(setup)?
        .is_some();
    if !exists {
        let created = client
            .batch_execute(&format!(
                "CREATE DATABASE \"{}\"",
                name.replace('"', "\"\"")
            ))
            .await;
        match created {
            Ok(()) => tracing::info!(database = name, "created database"),
            // Created concurrently by someone else: fine.
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::DUPLICATE_DATABASE) => {}
            Err(e) => return Err(setup(e)),
        }
    }
    drop(client);
    let _ = conn.await;
    Ok(())
}

/// Creates `dir` (and parents) with mode 0700, owned by the server user.
pub(crate) fn private_dir(dir: &Path, user: Option<ServerUser>) -> Result<(), LocalPgError> {
    fs::create_dir_all(dir).map_err(LocalPgError::io(format!("create {}", dir.display())))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(LocalPgError::io(format!("chmod {}", dir.display())))?;
    if let Some(u) = user {
        u.chown(dir)?;
    }
    Ok(())
}

/// The last lines of a log file, for error messages.
pub(crate) fn tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
