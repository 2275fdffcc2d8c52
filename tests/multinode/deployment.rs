//! Three nodes (and what they need) started for one test, stopped when it
//! ends.

use std::path::PathBuf;

use crate::client::Api;
use crate::harness::{self, Engine, Node, Proc};

pub struct Deployment {
    pub nodes: Vec<Node>,
    pub nginx_port: u16,
    pub nats_port: u16,
    pub database_url: String,
    nginx: Proc,
    nats: Option<Proc>,
    _db: storage::TestDb,
    dir: PathBuf,
}

impl Deployment {
    /// A fresh database, the bus (a `nats-server` for NATS), three nodes
    /// and nginx in front of them, all ready.
    pub async fn start(engine: Engine) -> Deployment {
        let db = storage::TestDb::new().await;
        let dir =
            std::env::temp_dir().join(format!("corkboard-multinode-{}", uuid::Uuid::new_v4()));
        let nats_port = harness::free_port();
        let (nats, bus) = match engine {
            Engine::Postgres => (None, "postgres".to_owned()),
            Engine::Nats => (
                Some(harness::nats_server(nats_port).await),
                format!("nats://127.0.0.1:{nats_port}"),
            ),
        };
        let mut nodes = Vec::new();
        for i in 0..3 {
            let name = format!("node{i}");
            nodes.push(harness::start_node(&name, &db.url, &bus, &dir.join(&name)).await);
        }
        let ports: Vec<u16> = nodes.iter().map(|n| n.port).collect();
        let (nginx, nginx_port) = harness::nginx(&ports, &dir.join("nginx")).await;
        Deployment {
            nodes,
            nginx_port,
            nats_port,
            database_url: db.url.clone(),
            nginx,
            nats,
            _db: db,
            dir,
        }
    }

    /// REST straight to node `i`.
    pub fn node(&self, i: usize) -> Api {
        Api::new(self.nodes[i].port)
    }

    /// Node `i`'s data directory (its mail outbox is `mail/` in it).
    pub fn node_dir(&self, i: usize) -> PathBuf {
        self.dir.join(format!("node{i}"))
    }

    /// REST through nginx.
    pub fn proxy(&self) -> Api {
        Api::new(self.nginx_port)
    }

    /// Stop the NATS server (SIGKILL).
    pub fn kill_nats(&mut self) {
        if let Some(mut nats) = self.nats.take() {
            nats.kill();
        }
    }

    /// Start the NATS server again on its port.
    pub async fn restart_nats(&mut self) {
        self.nats = Some(harness::nats_server(self.nats_port).await);
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        self.nginx.kill();
        for node in &mut self.nodes {
            node.proc.kill();
        }
        self.kill_nats();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        } else {
            eprintln!("node logs kept in {}", self.dir.display());
        }
    }
}
