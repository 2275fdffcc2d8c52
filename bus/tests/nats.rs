//! The NATS engine against a real `nats-server` (Debian package
//! `nats-server`), one per test on a free loopback port.

#![allow(clippy::unwrap_used)]

mod conformance;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use bus::nats::NatsBus;
use bus::{BusEvent, BusStats, NodeId, Notice, Topic};
use conformance::End;
use protocol::{BoardId, Millis, OrgId, Recorded, UserId};
use tokio::sync::mpsc;
use uuid::Uuid;

fn end(url: &str) -> End {
    let (tx, events) = mpsc::channel(bus::DELIVER_QUEUE);
    let stats = Arc::new(BusStats::default());
    let bus = NatsBus::start(url.to_owned(), NodeId(Uuid::new_v4()), tx, stats.clone());
    End { bus, events, stats }
}

/// The `nats-server` binary: on PATH, or where Debian puts it.
fn nats_server_binary() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/bin".into()])
        .map(|dir| dir.join("nats-server"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "nats-server not found on PATH, in /usr/sbin or in /usr/bin: these tests need a \
                 real NATS server; install the Debian package `nats-server` \
                 (apt-get install -y nats-server)"
            )
        })
}

/// A loopback port nobody listens on (now).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `nats-server` process, killed when dropped (panics included).
struct Server {
    child: Child,
}

impl Server {
    /// Starts one on `127.0.0.1:port` and waits until it accepts
    /// connections.
    async fn start(binary: &Path, port: u16) -> Server {
        let child = Command::new(binary)
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        let mut server = Server { child };
        let deadline = tokio::time::Instant::now() + conformance::WAIT;
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return server;
            }
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("nats-server on port {port} exited at start: {status}");
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "nats-server on port {port} does not accept connections"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGKILL: the server gets no chance to say goodbye to its clients.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn url(port: u16) -> String {
    format!("nats://127.0.0.1:{port}")
}

#[tokio::test]
#[ignore = "needs nats-server (Debian package nats-server): run by .ci/multi-node"]
async fn two_nodes_hear_what_they_watch() {
    let port = free_port();
    let _server = Server::start(&nats_server_binary(), port).await;
    conformance::two_nodes_hear_what_they_watch(end(&url(port)), end(&url(port))).await;
}

#[tokio::test]
#[ignore = "needs nats-server (Debian package nats-server): run by .ci/multi-node"]
async fn the_first_connection_waits_for_the_server() {
    let binary = nats_server_binary();
    let port = free_port();
    let mut a = end(&url(port));
    // Nothing listens yet: no `Up`, and the engine keeps trying.
    assert!(
        tokio::time::timeout(Duration::from_millis(500), a.events.recv())
            .await
            .is_err(),
        "an event before the server is there"
    );
    let _server = Server::start(&binary, port).await;
    assert_eq!(a.next().await, BusEvent::Up);
    assert!(a.stats.is_up());
    assert_eq!(BusStats::get(&a.stats.connects), 1);
}

#[tokio::test]
#[ignore = "needs nats-server (Debian package nats-server): run by .ci/multi-node"]
async fn a_lost_connection_is_reported_and_subscribed_again() {
    let binary = nats_server_binary();
    let port = free_port();
    let server = Server::start(&binary, port).await;
    let (mut a, mut b) = (end(&url(port)), end(&url(port)));
    a.up().await;
    b.up().await;
    let org = OrgId(Uuid::new_v4());
    b.bus.watch(Topic::Org(org));
    tokio::time::sleep(conformance::QUIET).await;

    // The server dies (SIGKILL).
    drop(server);
    assert_eq!(b.next().await, BusEvent::Down);
    assert_eq!(a.next().await, BusEvent::Down);
    assert!(!a.stats.is_up());
    // Published while down: dropped and counted, not queued.
    a.bus.publish(Notice::OrgCommitted { org, to: 1 });
    let deadline = tokio::time::Instant::now() + conformance::WAIT;
    while BusStats::get(&a.stats.dropped) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not counted as dropped"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A new server on the same port: both come back by themselves.
    let _server = Server::start(&binary, port).await;
    assert_eq!(b.next().await, BusEvent::Up);
    assert!(BusStats::get(&b.stats.connects) >= 2);
    a.up().await;
    // b is subscribed to the org again, without watching it anew. (`Up`
    // means the subscriptions were written to the server, not that it has
    // read them yet: publish until heard, within the wait.)
    let deadline = tokio::time::Instant::now() + conformance::WAIT;
    let heard = loop {
        a.bus.publish(Notice::OrgCommitted { org, to: 2 });
        if let Ok(Some(BusEvent::Notice(n))) =
            tokio::time::timeout(Duration::from_millis(200), b.events.recv()).await
        {
            break n;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "b did not hear the org again"
        );
    };
    assert_eq!(heard.node, a.node());
    assert!(matches!(heard.notice, Notice::OrgCommitted { to: 2, .. }));
    assert_eq!(BusStats::get(&a.stats.dropped), 1);
}

#[tokio::test]
#[ignore = "needs nats-server (Debian package nats-server): run by .ci/multi-node"]
async fn a_board_s_events_ride_along_far_beyond_what_postgres_takes() {
    let port = free_port();
    let _server = Server::start(&nats_server_binary(), port).await;
    let (mut a, mut b) = (end(&url(port)), end(&url(port)));
    a.up().await;
    b.up().await;
    let board = BoardId(Uuid::new_v4());
    b.bus.watch(Topic::Board(board));
    tokio::time::sleep(conformance::QUIET).await;
    // About 40 KB: five times NOTIFY's limit, well within ours.
    let events: Vec<_> = (1..40)
        .map(|seq| Recorded {
            board,
            seq,
            at: Millis(1),
            by: UserId(Uuid::nil()),
            command_id: None,
            event: protocol::Event::BoardRenamed {
                name: "x".repeat(1000),
            },
        })
        .collect();
    let notice = Notice::BoardCommitted {
        board,
        to: 39,
        events,
    };
    let whole = bus::encode(a.node(), notice.clone(), bus::nats::MAX_PAYLOAD).unwrap();
    assert!(whole.len() > bus::pg::MAX_PAYLOAD, "{} bytes", whole.len());
    a.bus.publish(notice.clone());
    assert_eq!(b.notice().await.notice, notice);
}
