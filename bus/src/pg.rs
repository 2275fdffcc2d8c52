//! The PostgreSQL engine: LISTEN/NOTIFY on one dedicated connection.
//!
//! A channel per watched topic (`LISTEN cb_b_<board>`), issued when the
//! first watcher of the topic appears and dropped (`UNLISTEN`) when the
//! last one goes, so the database only sends a node what it follows.
//! Publishing batches what is queued into one statement
//! (`SELECT pg_notify(c, p) FROM unnest(..)`), one round trip however many
//! notices. Payloads stay within NOTIFY's 8,000 bytes: a board's events
//! ride along when they fit, else receivers read the table.
//!
//! The connection's own session hears its notifications too; they carry
//! this node's id and are dropped. When the connection is lost the engine
//! says `Down`, reconnects with backoff, LISTENs again to everything
//! watched and says `Up`: the node then catches up from the tables, since
//! notifications sent meanwhile are gone.

use std::sync::Arc;

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client, NoTls};

use crate::front::{Front, Interest, Needed, Watched};
use crate::{decode, BusEvent, BusStats, NodeId, Topic, RECONNECT_MAX, RECONNECT_MIN};

/// Largest NOTIFY payload sent: PostgreSQL's limit is 8,000 bytes.
pub const MAX_PAYLOAD: usize = 7_900;
/// The listening connection's `application_name` (in `pg_stat_activity`).
pub const APPLICATION_NAME: &str = "corkboard-bus";
/// Most notices sent in one statement.
const PUBLISH_BATCH: usize = 256;

/// The LISTEN/NOTIFY engine (see the module documentation).
pub struct PgBus;

impl PgBus {
    /// Connect to `url` (in the background: the engine says `Up` on
    /// `sink` once it listens) as `node`. The engine stops when the
    /// returned bus is dropped.
    pub fn start(
        url: String,
        node: NodeId,
        sink: mpsc::Sender<BusEvent>,
        stats: Arc<BusStats>,
    ) -> Arc<Front> {
        let (front, queues) = Front::new(node, stats.clone(), Topic::name, MAX_PAYLOAD);
        let engine = Engine {
            url,
            node,
            sink,
            stats,
            watched: Watched::default(),
            publish_rx: queues.publish,
            interest_rx: queues.interest,
        };
        tokio::spawn(engine.run());
        front
    }
}

/// Why serving a connection ended.
enum Ended {
    /// The connection was lost (or a statement on it failed): reconnect.
    Lost,
    /// The bus was dropped: stop.
    Shutdown,
}

struct Engine {
    url: String,
    node: NodeId,
    sink: mpsc::Sender<BusEvent>,
    stats: Arc<BusStats>,
    watched: Watched,
    publish_rx: mpsc::Receiver<(String, String)>,
    interest_rx: mpsc::UnboundedReceiver<Interest>,
}

impl Engine {
    async fn run(mut self) {
        let mut backoff = RECONNECT_MIN;
        loop {
            // Interest that changed while disconnected.
            while let Ok(change) = self.interest_rx.try_recv() {
                self.watched.note(change);
            }
            let config = match self.url.parse::<tokio_postgres::Config>() {
                Ok(mut config) => {
                    config.application_name(APPLICATION_NAME);
                    config
                }
                Err(e) => {
                    tracing::error!(error = %e, "bus: the database URL does not parse; the bus stays down");
                    return;
                }
            };
            let (client, connection) = match config.connect(NoTls).await {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "bus: connecting to PostgreSQL failed");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(RECONNECT_MAX);
                    if self.sink.is_closed() {
                        return;
                    }
                    continue;
                }
            };
            let mut driver = tokio::spawn(drive(
                connection,
                self.node,
                self.sink.clone(),
                self.stats.clone(),
            ));
            let ended = match self.listen_all(&client).await {
                Ok(()) => {
                    // Back off afresh only once listening works: a LISTEN
                    // that keeps failing must not retry every 100 ms.
                    backoff = RECONNECT_MIN;
                    self.stats.set_up(true);
                    BusStats::add(&self.stats.connects, 1);
                    tracing::info!(topics = self.watched.len(), "bus: listening on PostgreSQL");
                    let _ = self.sink.send(BusEvent::Up).await;
                    let ended = self.serve(&client, &mut driver).await;
                    self.stats.set_up(false);
                    let _ = self.sink.send(BusEvent::Down).await;
                    ended
                }
                Err(e) => {
                    tracing::warn!(error = %e, "bus: LISTEN failed");
                    Ended::Lost
                }
            };
            driver.abort();
            match ended {
                Ended::Shutdown => return,
                Ended::Lost => {
                    tracing::warn!("bus: PostgreSQL connection lost; reconnecting");
                    tokio::time::sleep(backoff).await;
                }
            }
        }
    }

    /// Count a change of interest; the statement it needs, if any.
    fn note(&mut self, change: Interest) -> Option<String> {
        match self.watched.note(change)? {
            Needed::Start(topic) => Some(format!("LISTEN {}", topic.name())),
            Needed::Stop(topic) => Some(format!("UNLISTEN {}", topic.name())),
        }
    }

    async fn listen_all(&self, client: &Client) -> Result<(), tokio_postgres::Error> {
        let mut sql = format!("LISTEN {};", Topic::Cluster.name());
        for topic in self.watched.topics() {
            sql.push_str(&format!("LISTEN {};", topic.name()));
        }
        client.batch_execute(&sql).await
    }

    async fn serve(&mut self, client: &Client, driver: &mut tokio::task::JoinHandle<()>) -> Ended {
        let notify = match client
            .prepare("SELECT pg_notify(c, p) FROM unnest($1::text[], $2::text[]) AS t(c, p)")
            .await
        {
            Ok(stmt) => stmt,
            Err(_) => return Ended::Lost,
        };
        loop {
            tokio::select! {
                _ = &mut *driver => return Ended::Lost,
                change = self.interest_rx.recv() => {
                    let Some(change) = change else { return Ended::Shutdown };
                    if let Some(sql) = self.note(change) {
                        if client.batch_execute(&sql).await.is_err() {
                            return Ended::Lost;
                        }
                    }
                }
                first = self.publish_rx.recv() => {
                    let Some(first) = first else { return Ended::Shutdown };
                    let mut channels = vec![first.0];
                    let mut payloads = vec![first.1];
                    while channels.len() < PUBLISH_BATCH {
                        let Ok((c, p)) = self.publish_rx.try_recv() else { break };
                        channels.push(c);
                        payloads.push(p);
                    }
                    let n = channels.len() as u64;
                    if client.execute(&notify, &[&channels, &payloads]).await.is_err() {
                        BusStats::add(&self.stats.dropped, n);
                        return Ended::Lost;
                    }
                    BusStats::add(&self.stats.published, n);
                }
            }
        }
    }
}

/// Polls the connection (which must be polled for the client to work) and
/// hands other nodes' notifications to the node; returns when the
/// connection ends.
async fn drive(
    mut connection: tokio_postgres::Connection<
        tokio_postgres::Socket,
        tokio_postgres::tls::NoTlsStream,
    >,
    node: NodeId,
    sink: mpsc::Sender<BusEvent>,
    stats: Arc<BusStats>,
) {
    let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
    while let Some(message) = messages.next().await {
        match message {
            Ok(AsyncMessage::Notification(n)) => {
                let Some(envelope) = decode(n.payload().as_bytes()) else {
                    continue;
                };
                if envelope.node == node {
                    continue;
                }
                BusStats::add(&stats.received, 1);
                if sink.send(BusEvent::Notice(envelope)).await.is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "bus: PostgreSQL connection failed");
                return;
            }
        }
    }
}
