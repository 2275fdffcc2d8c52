//! What every engine must do, written once: the PostgreSQL and NATS tests
//! run it against a real broker each.

use std::sync::Arc;
use std::time::Duration;

use bus::{Bus, BusEvent, BusStats, Envelope, NodeId, Notice, Revocation, Topic};
use protocol::{BoardId, Millis, OrgId, Recorded, UserId};
use tokio::sync::mpsc;
use uuid::Uuid;

/// Longest wait for something the test expects to hear.
pub const WAIT: Duration = Duration::from_secs(10);
/// How long silence must last for "nothing heard" to count.
pub const QUIET: Duration = Duration::from_millis(300);

/// One node's end of the bus under test.
pub struct End {
    pub bus: Arc<dyn Bus>,
    pub events: mpsc::Receiver<BusEvent>,
    pub stats: Arc<BusStats>,
}

impl End {
    pub fn node(&self) -> NodeId {
        self.bus.node()
    }

    /// The next event, skipping nothing; panics after `WAIT`.
    pub async fn next(&mut self) -> BusEvent {
        tokio::time::timeout(WAIT, self.events.recv())
            .await
            .expect("a bus event within the wait")
            .expect("the engine is running")
    }

    /// The next notice (ups and downs skipped).
    pub async fn notice(&mut self) -> Envelope {
        loop {
            if let BusEvent::Notice(envelope) = self.next().await {
                return envelope;
            }
        }
    }

    /// Waits for `Up`.
    pub async fn up(&mut self) {
        while self.next().await != BusEvent::Up {}
    }

    /// Nothing heard for `QUIET`.
    pub async fn quiet(&mut self) {
        if let Ok(Some(BusEvent::Notice(n))) = tokio::time::timeout(QUIET, self.events.recv()).await
        {
            panic!("heard {n:?}");
        }
    }
}

fn committed(board: BoardId, seq: u64, title_len: usize) -> Recorded {
    Recorded {
        board,
        seq,
        at: Millis(1),
        by: UserId(Uuid::nil()),
        command_id: None,
        event: protocol::Event::BoardRenamed {
            name: "x".repeat(title_len),
        },
    }
}

/// Two ends on one broker, both up: interest is per topic, a node does
/// not hear itself, the cluster topic reaches everyone, events ride along
/// when they fit and are left out when they do not, and unwatching ends
/// the interest.
pub async fn two_nodes_hear_what_they_watch(mut a: End, mut b: End) {
    a.up().await;
    b.up().await;
    let (board, other) = (BoardId(Uuid::new_v4()), BoardId(Uuid::new_v4()));
    b.bus.watch(Topic::Board(board));
    let org = OrgId(Uuid::new_v4());
    b.bus.watch(Topic::Org(org));
    // Interest is registered asynchronously: publish until heard.
    let heard = loop {
        a.bus.publish(Notice::OrgCommitted { org, to: 1 });
        if let Ok(Some(BusEvent::Notice(n))) =
            tokio::time::timeout(Duration::from_millis(200), b.events.recv()).await
        {
            break n;
        }
    };
    assert_eq!(heard.node, a.node());
    assert!(matches!(heard.notice, Notice::OrgCommitted { to: 1, .. }));
    while let Ok(Some(_)) = tokio::time::timeout(QUIET, b.events.recv()).await {}

    let small = vec![committed(board, 2, 10), committed(board, 3, 10)];
    a.bus.publish(Notice::BoardCommitted {
        board,
        to: 3,
        events: small.clone(),
    });
    a.bus.publish(Notice::BoardCommitted {
        board: other,
        to: 9,
        events: vec![],
    });
    let heard = b.notice().await;
    assert_eq!(
        heard.notice,
        Notice::BoardCommitted {
            board,
            to: 3,
            events: small
        }
    );
    b.quiet().await;

    // Too big for one message of any engine (PostgreSQL's NOTIFY takes
    // 8,000 bytes, a NATS server 1 MB by default; this is over 1 MB): the
    // events are left out, the notice is not.
    let big: Vec<_> = (4..1100).map(|seq| committed(board, seq, 1000)).collect();
    a.bus.publish(Notice::BoardCommitted {
        board,
        to: 1099,
        events: big,
    });
    let heard = b.notice().await;
    assert_eq!(
        heard.notice,
        Notice::BoardCommitted {
            board,
            to: 1099,
            events: vec![]
        }
    );

    // Everyone hears the cluster topic; nobody hears themselves.
    let revoked = Notice::Revoked(Revocation::ApiKey {
        key: Uuid::new_v4(),
    });
    b.bus.publish(revoked.clone());
    assert_eq!(a.notice().await.notice, revoked);
    b.quiet().await;

    // Interest is counted: two watches need two unwatches.
    b.bus.watch(Topic::Board(board));
    b.bus.unwatch(Topic::Board(board));
    tokio::time::sleep(QUIET).await;
    a.bus.publish(Notice::BoardCommitted {
        board,
        to: 1100,
        events: vec![],
    });
    assert!(matches!(
        b.notice().await.notice,
        Notice::BoardCommitted { to: 1100, .. }
    ));
    b.bus.unwatch(Topic::Board(board));
    tokio::time::sleep(QUIET).await;
    a.bus.publish(Notice::BoardCommitted {
        board,
        to: 1101,
        events: vec![],
    });
    b.quiet().await;
    assert!(BusStats::get(&a.stats.published) >= 5);
    assert!(BusStats::get(&b.stats.received) >= 4);
}
