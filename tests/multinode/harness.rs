//! Real processes for the multi-node suite: one PostgreSQL database (a
//! fresh one on the test cluster), three `corkboard` processes sharing it,
//! a `nats-server` for the NATS variant, and `nginx` in front, with the
//! configuration `docs/deployment.md` shows. Every process is started on a
//! free loopback port and killed when its guard drops, even on panic.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Longest wait for a process to become ready.
pub const START_WAIT: Duration = Duration::from_secs(60);
/// The signing key every node shares: a token issued by one is good on all.
const JWT_SECRET: &str = "multi-node-test-signing-key-of-at-least-32-bytes";

/// Which bus the nodes talk over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Postgres,
    Nats,
}

/// A free loopback port (bound then released; the process binds it next).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// An executable on PATH or in the sbin directories Debian uses.
pub fn binary(name: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/local/sbin".into(), "/sbin".into()])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("`{name}` is not installed: apt-get install -y {package} (.ci/multi-node does)")
        })
}

/// The `corkboard` binary of this build (`cargo build -p server --bin
/// corkboard` first: .ci/multi-node does).
fn corkboard_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/multinode-… → target/<profile>/corkboard
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target directory");
    let bin = dir.join("corkboard");
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build -p server --bin corkboard` first",
        bin.display()
    );
    bin
}

/// A child process killed (SIGKILL) when dropped.
pub struct Proc {
    child: Option<Child>,
}

impl Proc {
    fn spawn(name: String, command: &mut Command) -> Proc {
        let child = command
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name}: {e}"));
        Proc { child: Some(child) }
    }

    /// SIGKILL, and wait for the process to be gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Wait until `addr` accepts TCP connections.
pub async fn accepts(addr: &str, what: &str) {
    let deadline = Instant::now() + START_WAIT;
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(Instant::now() < deadline, "{what} never listened on {addr}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A `nats-server` on a free loopback port.
pub async fn nats_server(port: u16) -> Proc {
    let bin = binary("nats-server", "nats-server");
    let proc = Proc::spawn(
        format!("nats-server:{port}"),
        Command::new(bin)
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    accepts(&format!("127.0.0.1:{port}"), "nats-server").await;
    proc
}

/// One `corkboard` node.
pub struct Node {
    pub port: u16,
    pub proc: Proc,
}

impl Node {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

/// Start a node on `database` with `bus` (`CORKBOARD_BUS`); returns once it
/// is ready (its bus connected).
pub async fn start_node(name: &str, database: &str, bus: &str, dir: &Path) -> Node {
    let port = free_port();
    std::fs::create_dir_all(dir).expect("node directory");
    let log = std::fs::File::create(dir.join("node.log")).expect("log file");
    let proc = Proc::spawn(
        name.to_owned(),
        Command::new(corkboard_binary())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DATABASE_URL", database)
            .env("CORKBOARD_BUS", bus)
            .env("CORKBOARD_BIND", format!("127.0.0.1:{port}"))
            .env("CORKBOARD_DATA_DIR", dir)
            .env("CORKBOARD_JWT_SECRET", JWT_SECRET)
            .env("CORKBOARD_WORKERS", "1")
            .env("CORKBOARD_DB_POOL_SIZE", "4")
            .env("CORKBOARD_LOG_FORMAT", "json")
            .env("RUST_LOG", "warn")
            .env("CORKBOARD_RATE_LIMIT_USER_PER_SEC", "100000")
            .env("CORKBOARD_RATE_LIMIT_USER_BURST", "100000")
            .env("CORKBOARD_RATE_LIMIT_IP_PER_SEC", "100000")
            .env("CORKBOARD_RATE_LIMIT_IP_BURST", "100000")
            .env("CORKBOARD_RATE_LIMIT_WS_PER_SEC", "10000")
            .env("CORKBOARD_RATE_LIMIT_WS_BURST", "10000")
            .env("CORKBOARD_LOGIN_MAX_FAILURES_PER_IP", "100000")
            .stdout(log.try_clone().expect("log"))
            .stderr(log),
    );
    let node = Node { port, proc };
    ready(&node.url("/health/ready"), name).await;
    node
}

/// Wait until `url` answers 200.
pub async fn ready(url: &str, what: &str) {
    server::webhooks::guard::install_tls_provider();
    let http = reqwest::Client::new();
    let deadline = Instant::now() + START_WAIT;
    loop {
        if let Ok(res) = http.get(url).timeout(Duration::from_secs(2)).send().await {
            if res.status() == reqwest::StatusCode::OK {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{what} never became ready at {url}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `nginx` in front of `nodes`, with the configuration of
/// `docs/deployment.md` (`docs/nginx.conf`), on a free port.
pub async fn nginx(nodes: &[u16], dir: &Path) -> (Proc, u16) {
    let port = free_port();
    std::fs::create_dir_all(dir.join("logs")).expect("nginx directory");
    let upstreams: String = nodes
        .iter()
        .map(|p| format!("        server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;\n"))
        .collect();
    let template = include_str!("../../docs/nginx.conf");
    let conf = template
        .replace(
            "        server 127.0.0.1:8081 max_fails=1 fail_timeout=2s;\n",
            "",
        )
        .replace(
            "        server 127.0.0.1:8082 max_fails=1 fail_timeout=2s;\n",
            "",
        )
        .replace(
            "        server 127.0.0.1:8080 max_fails=1 fail_timeout=2s;\n",
            &upstreams,
        )
        .replace("listen 80;", &format!("listen 127.0.0.1:{port};"));
    // A test instance: no daemon, one process (a SIGKILL takes it all),
    // its own pid and temp files, logs here.
    let conf = format!(
        "daemon off;\nmaster_process off;\npid {dir}/nginx.pid;\nerror_log {dir}/logs/error.log warn;\n{conf}",
        dir = dir.display()
    )
    .replace(
        "http {",
        &format!(
            "http {{\n    access_log off;\n    client_body_temp_path {d}/body;\n    proxy_temp_path {d}/proxy;\n    fastcgi_temp_path {d}/fastcgi;\n    uwsgi_temp_path {d}/uwsgi;\n    scgi_temp_path {d}/scgi;",
            d = dir.display()
        ),
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).expect("nginx.conf");
    let proc = Proc::spawn(
        format!("nginx:{port}"),
        Command::new(binary("nginx", "nginx"))
            .arg("-c")
            .arg(&path)
            .arg("-p")
            .arg(dir)
            .arg("-e")
            .arg(dir.join("logs/error.log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    accepts(&format!("127.0.0.1:{port}"), "nginx").await;
    (proc, port)
}

/// How soon a killed node's sessions leave the others' presence: the
/// server's heartbeat timeout plus one heartbeat and some slack.
pub const NODE_TIMEOUT_SLACK: Duration = Duration::from_secs(8);
