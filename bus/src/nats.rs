//! The NATS engine: core publish/subscribe on one client connection.
//!
//! A subject per watched topic (`corkboard.cb_b_<board>`), subscribed when
//! the first watcher of the topic appears and unsubscribed when the last
//! one goes, so the server only sends a node what it follows; the cluster
//! topic is always subscribed. Publishing drains a bounded queue into the
//! client, which batches writes by itself. Payloads stay within
//! [`MAX_PAYLOAD`], well under the server's default `max_payload` (1 MB): a
//! board's events ride along when they fit, else receivers read the table.
//!
//! The connection is opened with `no_echo`, so the server does not send a
//! node its own messages; any that come anyway carry this node's id and
//! are dropped. The client (async-nats) connects in the background,
//! retrying until the server is reachable, reconnects by itself with
//! backoff and subscribes again to everything subscribed; the engine says
//! `Down` when the connection is lost and `Up` once it is back and the
//! subscriptions are on their way to the server. Notices published while
//! down are dropped and counted: the node catches up from the tables, since
//! messages sent meanwhile are gone.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_nats::{Client, ConnectOptions, Event, Subscriber};
use tokio::sync::mpsc;
use tokio_stream::{StreamExt, StreamMap};

use crate::front::{Front, Interest, Needed, Watched};
use crate::{decode, BusEvent, BusStats, NodeId, Topic, RECONNECT_MAX, RECONNECT_MIN};

/// Largest message payload sent: the server's default `max_payload` is
/// 1 MB, and a deployment may lower it.
pub const MAX_PAYLOAD: usize = 512 * 1024;
/// What every subject of ours starts with (`corkboard.cb_b_<board>`).
pub const SUBJECT_PREFIX: &str = "corkboard.";
/// How often the client pings the server: two unanswered pings (a dead
/// server behind a live network path) count as a lost connection.
const PING_INTERVAL: Duration = Duration::from_secs(10);

/// The subject of `topic`.
pub fn subject(topic: Topic) -> String {
    format!("{SUBJECT_PREFIX}{}", topic.name())
}

/// The NATS engine (see the module documentation).
pub struct NatsBus;

impl NatsBus {
    /// Connect to `url` (`nats://host:port`; in the background: the engine
    /// says `Up` on `sink` once connected) as `node`. The engine stops when
    /// the returned bus is dropped.
    pub fn start(
        url: String,
        node: NodeId,
        sink: mpsc::Sender<BusEvent>,
        stats: Arc<BusStats>,
    ) -> Arc<Front> {
        let (front, queues) = Front::new(node, stats.clone(), subject, MAX_PAYLOAD);
        let engine = Engine {
            url,
            node,
            sink,
            stats,
            watched: Watched::default(),
            subscriptions: StreamMap::new(),
            interest_rx: queues.interest,
        };
        tokio::spawn(engine.run(queues.publish));
        front
    }
}

/// Wait before the `attempts`-th connection attempt in a row (async-nats
/// counts from 1): none for the first, then [`RECONNECT_MIN`] doubling up
/// to [`RECONNECT_MAX`]. Once the engine has stopped, a day: async-nats
/// cannot be told to give up a reconnection loop, so a stopped engine's
/// client (its connection lost, no one left to reconnect for) merely idles
/// until the runtime ends.
fn reconnect_delay(attempts: usize, stopped: &AtomicBool) -> Duration {
    if stopped.load(Ordering::Relaxed) {
        return Duration::from_secs(24 * 60 * 60);
    }
    if attempts <= 1 {
        return Duration::ZERO;
    }
    let doublings = u32::try_from(attempts - 2).unwrap_or(u32::MAX).min(16);
    (RECONNECT_MIN * 2u32.pow(doublings)).min(RECONNECT_MAX)
}

struct Engine {
    url: String,
    node: NodeId,
    sink: mpsc::Sender<BusEvent>,
    stats: Arc<BusStats>,
    watched: Watched,
    /// One subscription per watched topic, and the cluster topic's.
    subscriptions: StreamMap<Topic, Subscriber>,
    interest_rx: mpsc::UnboundedReceiver<Interest>,
}

impl Engine {
    async fn run(mut self, publish_rx: mpsc::Receiver<(String, String)>) {
        let stopped = Arc::new(AtomicBool::new(false));
        // The client's connection events, handed over from its callback
        // (which must not wait on the node) to the loop below.
        let (events, mut events_rx) = mpsc::unbounded_channel();
        let options = ConnectOptions::new()
            .name(format!("corkboard-{}", self.node))
            .no_echo()
            .retry_on_initial_connect()
            .max_reconnects(None)
            .ping_interval(PING_INTERVAL)
            .reconnect_delay_callback({
                let stopped = stopped.clone();
                move |attempts| reconnect_delay(attempts, &stopped)
            })
            .event_callback(move |event| {
                let _ = events.send(event);
                async {}
            });
        // With `retry_on_initial_connect` this only fails on a malformed
        // url: the connection itself is made in the background.
        let client = match options.connect(self.url.as_str()).await {
            Ok(client) => client,
            Err(e) => {
                tracing::error!(error = %e, "bus: bad NATS url; the bus stays down");
                return;
            }
        };
        let publisher = tokio::spawn(publish(client.clone(), publish_rx, self.stats.clone()));
        self.subscribe(&client, Topic::Cluster).await;
        loop {
            tokio::select! {
                change = self.interest_rx.recv() => {
                    let Some(change) = change else { break };
                    self.note(&client, change).await;
                }
                event = events_rx.recv() => {
                    let Some(event) = event else { break };
                    self.connection_event(&client, event).await;
                }
                Some((_, message)) = self.subscriptions.next() => {
                    let Some(envelope) = decode(&message.payload) else {
                        continue;
                    };
                    if envelope.node == self.node {
                        continue;
                    }
                    BusStats::add(&self.stats.received, 1);
                    let _ = self.sink.send(BusEvent::Notice(envelope)).await;
                }
            }
        }
        // The bus was dropped: stop. Dropping the subscriptions and the
        // last client closes the connection.
        stopped.store(true, Ordering::Relaxed);
        publisher.abort();
        self.stats.set_up(false);
        tracing::info!("bus: NATS engine stopped");
    }

    /// Count a change of interest, subscribing or unsubscribing as needed
    /// (the cluster topic is subscribed for good).
    async fn note(&mut self, client: &Client, change: Interest) {
        match self.watched.note(change) {
            Some(Needed::Start(topic)) if topic != Topic::Cluster => {
                self.subscribe(client, topic).await;
            }
            // Dropping the subscriber unsubscribes.
            Some(Needed::Stop(topic)) if topic != Topic::Cluster => {
                self.subscriptions.remove(&topic);
            }
            _ => {}
        }
    }

    /// Subscribe to `topic`'s subject (queued by the client while it is
    /// disconnected, and sent again by it after every reconnection).
    async fn subscribe(&mut self, client: &Client, topic: Topic) {
        match client.subscribe(subject(topic)).await {
            Ok(subscriber) => {
                self.subscriptions.insert(topic, subscriber);
            }
            Err(e) => {
                tracing::warn!(error = %e, topic = %topic.name(), "bus: NATS subscribe failed")
            }
        }
    }

    async fn connection_event(&mut self, client: &Client, event: Event) {
        match event {
            Event::Connected => {
                // The client queues its subscriptions again before it
                // serves anything else: once this flush is through, they
                // are written to the server, and `Up` can say so.
                if let Err(e) = client.flush().await {
                    tracing::warn!(error = %e, "bus: NATS flush after connecting failed");
                }
                self.stats.set_up(true);
                BusStats::add(&self.stats.connects, 1);
                tracing::info!(topics = self.watched.len(), "bus: connected to NATS");
                let _ = self.sink.send(BusEvent::Up).await;
            }
            Event::Disconnected => {
                if !self.stats.is_up() {
                    return;
                }
                self.stats.set_up(false);
                tracing::warn!("bus: NATS connection lost; reconnecting");
                let _ = self.sink.send(BusEvent::Down).await;
            }
            Event::SlowConsumer(_) => {
                tracing::warn!(
                    "bus: NATS dropped messages for this node (slow consumer); catching up"
                );
                let _ = self.sink.send(BusEvent::Missed).await;
            }
            other => tracing::debug!(event = %other, "bus: NATS event"),
        }
    }
}

/// Hands queued notices to the client while connected; drops and counts
/// them while not. Returns when the bus is dropped.
async fn publish(
    client: Client,
    mut queue: mpsc::Receiver<(String, String)>,
    stats: Arc<BusStats>,
) {
    while let Some((subject, payload)) = queue.recv().await {
        if !stats.is_up() {
            BusStats::add(&stats.dropped, 1);
            continue;
        }
        match client.publish(subject, payload.into()).await {
            Ok(()) => BusStats::add(&stats.published, 1),
            Err(e) => {
                tracing::warn!(error = %e, "bus: NATS publish failed");
                BusStats::add(&stats.dropped, 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::BoardId;

    #[test]
    fn subjects_are_the_topic_names_under_one_prefix() {
        assert_eq!(subject(Topic::Cluster), "corkboard.cb_cluster");
        let board = BoardId(uuid::Uuid::nil());
        assert_eq!(
            subject(Topic::Board(board)),
            format!("corkboard.cb_b_{}", "0".repeat(32))
        );
    }

    #[test]
    fn reconnecting_backs_off_from_none_to_the_maximum() {
        let running = AtomicBool::new(false);
        assert_eq!(reconnect_delay(1, &running), Duration::ZERO);
        assert_eq!(reconnect_delay(2, &running), RECONNECT_MIN);
        assert_eq!(reconnect_delay(3, &running), RECONNECT_MIN * 2);
        assert_eq!(reconnect_delay(1_000, &running), RECONNECT_MAX);
        assert_eq!(reconnect_delay(usize::MAX, &running), RECONNECT_MAX);
        let stopped = AtomicBool::new(true);
        assert!(reconnect_delay(2, &stopped) > Duration::from_secs(3600));
    }
}
