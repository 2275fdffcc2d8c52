//! The PostgreSQL engine against a real PostgreSQL.

#![allow(clippy::unwrap_used)]

mod conformance;

use std::sync::Arc;

use bus::pg::PgBus;
use bus::{BusEvent, BusStats, NodeId, Notice, Topic};
use conformance::End;
use protocol::OrgId;
use storage::TestDb;
use tokio::sync::mpsc;
use uuid::Uuid;

fn end(url: &str) -> End {
    let (tx, events) = mpsc::channel(bus::DELIVER_QUEUE);
    let stats = Arc::new(BusStats::default());
    let bus = PgBus::start(url.to_owned(), NodeId(Uuid::new_v4()), tx, stats.clone());
    End { bus, events, stats }
}

#[tokio::test]
async fn two_nodes_hear_what_they_watch() {
    let db = TestDb::new().await;
    conformance::two_nodes_hear_what_they_watch(end(&db.url), end(&db.url)).await;
}

#[tokio::test]
async fn a_lost_connection_is_reported_and_listened_again() {
    let db = TestDb::new().await;
    let (mut a, mut b) = (end(&db.url), end(&db.url));
    a.up().await;
    b.up().await;
    let org = OrgId(Uuid::new_v4());
    b.bus.watch(Topic::Org(org));
    tokio::time::sleep(conformance::QUIET).await;

    // Cut every listening connection but ours (the test's own).
    let (client, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(b.next().await, BusEvent::Down);
    assert_eq!(b.next().await, BusEvent::Up);
    assert!(BusStats::get(&b.stats.connects) >= 2);
    a.up().await;
    // b listens to the org again.
    a.bus.publish(Notice::OrgCommitted { org, to: 2 });
    assert!(matches!(
        b.notice().await.notice,
        Notice::OrgCommitted { to: 2, .. }
    ));
}
