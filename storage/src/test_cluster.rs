//! Throwaway PostgreSQL clusters for tests (feature `test-util`).
//!
//! [`TestCluster::shared`] starts ONE cluster for the whole test process in
//! `/tmp/corkboard-test-<pid>` (initdb once, `fsync=off`, unix socket
//! only); [`crate::TestDb`] creates a database per test on it.
//!
//! The `postgres` process is a direct child of a dedicated keeper thread
//! that never exits, spawned with `PR_SET_PDEATHSIG = SIGTERM`: the kernel
//! sends that signal when the spawning *thread* dies, so the server goes
//! away with the test process however it ends (even SIGKILL). Directories
//! of test processes that no longer exist are removed at the next start.
//!
//! Outage tests should use a private [`TestCluster::start_new`] and its
//! [`stop`](TestCluster::stop)/[`start`](TestCluster::start): stopping the
//! shared cluster ([`test_cluster_stop`]) affects every test of the process.

use std::fs;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};

use crate::local_pg::{private_dir, tail};
use crate::pg_binaries::{
    conf_string, conn_value, initdb, run, server_command, PgBinaries, ServerUser,
};
use crate::test_db::{create_on, TestDb};

/// How long a throwaway server may take to accept connections.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Prefix of throwaway cluster directories in the temp directory.
const DIR_PREFIX: &str = "corkboard-test-";

/// A throwaway PostgreSQL cluster owned by this process.
pub struct TestCluster {
    dir: PathBuf,
    keeper: Mutex<mpsc::Sender<Control>>,
}

enum Control {
    Start(mpsc::Sender<anyhow::Result<()>>),
    Stop(mpsc::Sender<anyhow::Result<()>>),
}

impl TestCluster {
    /// The cluster shared by all tests of this process, started on first use.
    ///
    /// # Errors
    /// When PostgreSQL is not installed or the cluster cannot start.
    pub fn shared() -> anyhow::Result<&'static TestCluster> {
        static SHARED: OnceLock<Result<TestCluster, Arc<anyhow::Error>>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                let dir = std::env::temp_dir().join(format!("{DIR_PREFIX}{}", std::process::id()));
                TestCluster::create(dir).map_err(Arc::new)
            })
            .as_ref()
            .map_err(|e| anyhow!("{e:#}"))
    }

    /// A private cluster, e.g. for a test that stops the database. Stopped
    /// and deleted on drop.
    ///
    /// # Errors
    /// When PostgreSQL is not installed or the cluster cannot start.
    pub fn start_new() -> anyhow::Result<TestCluster> {
        static NEXT: AtomicUsize = AtomicUsize::new(1);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("{DIR_PREFIX}{}-{n}", std::process::id()));
        TestCluster::create(dir)
    }

    /// Connection string of the `postgres` database.
    pub fn server_url(&self) -> String {
        format!(
            "host={} user=corkboard dbname=postgres",
            conn_value(&self.dir.to_string_lossy())
        )
    }

    /// A fresh database on this cluster.
    ///
    /// # Errors
    /// When the cluster is stopped or unreachable.
    pub async fn create_database(&self) -> anyhow::Result<TestDb> {
        let host = conn_value(&self.dir.to_string_lossy());
        create_on(&self.server_url(), &|name| {
            format!("host={host} user=corkboard dbname={name}")
        })
        .await
    }

    /// Stops the server (fast shutdown), keeping its data. Blocks.
    ///
    /// # Errors
    /// When stopping fails.
    pub fn stop(&self) -> anyhow::Result<()> {
        self.control(Control::Stop)
    }

    /// Starts the server again after [`stop`](Self::stop) and waits until
    /// it accepts connections. Blocks. A no-op when running.
    ///
    /// # Errors
    /// When the server does not come up.
    pub fn start(&self) -> anyhow::Result<()> {
        self.control(Control::Start)
    }

    fn control(&self, make: fn(mpsc::Sender<anyhow::Result<()>>) -> Control) -> anyhow::Result<()> {
        let (tx, rx) = mpsc::channel();
        self.keeper
            .lock()
            .map_err(|_| anyhow!("test cluster keeper lock poisoned"))?
            .send(make(tx))
            .map_err(|_| anyhow!("test cluster keeper thread is gone"))?;
        rx.recv()
            .map_err(|_| anyhow!("test cluster keeper thread is gone"))?
    }

    fn create(dir: PathBuf) -> anyhow::Result<TestCluster> {
        remove_stale_dirs();
        let bin = PgBinaries::find()?;
        let user = ServerUser::needed()?;
        let _ = fs::remove_dir_all(&dir);
        private_dir(&dir, user)?;
        let data = dir.join("data");
        initdb(&bin, &data, user)?;
        let conf = format!(
            "\n# Throwaway test cluster: speed over durability.\n\
             listen_addresses = ''\n\
             unix_socket_directories = {}\n\
             fsync = off\n\
             synchronous_commit = off\n\
             full_page_writes = off\n\
             max_connections = 300\n",
            conf_string(dir.as_os_str())
        );
        let main = data.join("postgresql.conf");
        let current = fs::read_to_string(&main).context("read postgresql.conf")?;
        fs::write(&main, current + &conf).context("write postgresql.conf")?;

        let (tx, rx) = mpsc::channel();
        let server = Server {
            bin,
            user,
            data,
            log: dir.join("postgres.log"),
            child: None,
        };
        std::thread::Builder::new()
            .name(format!("pg-keeper-{}", dir.display()))
            .spawn(move || server.keep(rx))
            .context("spawn the test cluster keeper thread")?;
        let cluster = TestCluster {
            dir,
            keeper: Mutex::new(tx),
        };
        cluster.start()?;
        Ok(cluster)
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        let _ = self.control(Control::Stop);
        let _ = fs::remove_dir_all(&self.dir);
        // Dropping `keeper` next ends the keeper thread.
    }
}

/// Stops the shared throwaway cluster, keeping its data (outage tests).
///
/// # Errors
/// When the cluster is not running or cannot be stopped.
pub fn test_cluster_stop() -> anyhow::Result<()> {
    TestCluster::shared()?.stop()
}

/// Starts the shared throwaway cluster again after [`test_cluster_stop`].
///
/// # Errors
/// When the server does not come up.
pub fn test_cluster_start() -> anyhow::Result<()> {
    TestCluster::shared()?.start()
}

/// The `postgres` process of a test cluster, owned by its keeper thread.
struct Server {
    bin: PgBinaries,
    user: Option<ServerUser>,
    data: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

impl Server {
    /// Serves start/stop requests until every sender is gone, then stops
    /// the server. For the shared cluster that never happens: the thread
    /// stays parked in `recv` for the life of the process, which keeps the
    /// child's parent-death signal from firing early.
    fn keep(mut self, control: mpsc::Receiver<Control>) {
        for request in control {
            match request {
                Control::Start(reply) => {
                    let _ = reply.send(self.start());
                }
                Control::Stop(reply) => {
                    let _ = reply.send(self.stop());
                }
            }
        }
        let _ = self.stop();
    }

    fn start(&mut self) -> anyhow::Result<()> {
        if let Some(child) = &mut self.child {
            if child.try_wait()?.is_none() {
                return Ok(());
            }
        }
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .context("open the test cluster log")?;
        let mut cmd = server_command(&self.bin.program("postgres"), self.user);
        cmd.arg("-D")
            .arg(&self.data)
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log));
        die_with_parent_thread(&mut cmd);
        let child = cmd.spawn().context("spawn postgres")?;
        self.child = Some(child);
        self.wait_ready()
    }

    /// Waits until `postmaster.pid` says "ready" (what `pg_ctl -w` checks).
    fn wait_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let pid_file = self.data.join("postmaster.pid");
        loop {
            if let Some(child) = &mut self.child {
                if let Some(status) = child.try_wait()? {
                    self.child = None;
                    bail!("postgres exited ({status}):\n{}", tail(&self.log));
                }
            }
            let status = fs::read_to_string(&pid_file).unwrap_or_default();
            if status.lines().nth(7).is_some_and(|l| l.trim() == "ready") {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "postgres not ready after {READY_TIMEOUT:?}:\n{}",
                    tail(&self.log)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop(&mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        let mut cmd = server_command(&self.bin.program("pg_ctl"), self.user);
        cmd.args(["stop", "-w", "-s", "-m", "fast", "-D"])
            .arg(&self.data);
        let stopped = run(cmd, "pg_ctl stop");
        if stopped.is_err() {
            let _ = child.kill();
        }
        child.wait()?;
        stopped?;
        Ok(())
    }
}

/// Makes the child receive SIGTERM when the thread that spawned it exits.
fn die_with_parent_thread(cmd: &mut std::process::Command) {
    // SAFETY: the closure runs in the forked child before exec and only
    // calls prctl(2), which is async-signal-safe. std applies uid/gid
    // before pre_exec hooks, so the credential change (which clears the
    // parent-death signal) has already happened.
    #[allow(unsafe_code)] // The only way to set PR_SET_PDEATHSIG for a child.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Removes throwaway cluster directories of test processes that are gone.
fn remove_stale_dirs() {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(DIR_PREFIX)) else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or_default();
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}
