//! What both engines share: the side the node talks to (a bounded publish
//! queue, the interest changes, the `Bus` impl) and the counting of
//! interest per topic. An engine owns the other ends of the queues and
//! does what a first watch or a last unwatch of a topic needs.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::{encode, Bus, BusStats, NodeId, Notice, Topic, PUBLISH_QUEUE};

/// A change of interest, from the node to its engine.
pub(crate) enum Interest {
    Watch(Topic),
    Unwatch(Topic),
}

/// A bus as the node sees it: publishing never waits, interest is queued.
pub struct Front {
    node: NodeId,
    publish: mpsc::Sender<(String, String)>,
    interest: mpsc::UnboundedSender<Interest>,
    stats: Arc<BusStats>,
    /// The engine's name of a topic (channel or subject).
    address: fn(Topic) -> String,
    /// The engine's largest payload.
    limit: usize,
}

/// The engine's ends of a [`Front`]'s queues.
pub(crate) struct Queues {
    pub publish: mpsc::Receiver<(String, String)>,
    pub interest: mpsc::UnboundedReceiver<Interest>,
}

impl Front {
    pub(crate) fn new(
        node: NodeId,
        stats: Arc<BusStats>,
        address: fn(Topic) -> String,
        limit: usize,
    ) -> (Arc<Front>, Queues) {
        let (publish, publish_rx) = mpsc::channel(PUBLISH_QUEUE);
        let (interest, interest_rx) = mpsc::unbounded_channel();
        let front = Arc::new(Front {
            node,
            publish,
            interest,
            stats,
            address,
            limit,
        });
        let queues = Queues {
            publish: publish_rx,
            interest: interest_rx,
        };
        (front, queues)
    }
}

impl Bus for Front {
    fn node(&self) -> NodeId {
        self.node
    }

    fn publish(&self, notice: Notice) {
        let address = (self.address)(notice.topic());
        let Some(payload) = encode(self.node, notice, self.limit) else {
            BusStats::add(&self.stats.dropped, 1);
            return;
        };
        if self.publish.try_send((address, payload)).is_err() {
            BusStats::add(&self.stats.dropped, 1);
        }
    }

    fn watch(&self, topic: Topic) {
        let _ = self.interest.send(Interest::Watch(topic));
    }

    fn unwatch(&self, topic: Topic) {
        let _ = self.interest.send(Interest::Unwatch(topic));
    }
}

/// What a change of interest asks of the engine.
pub(crate) enum Needed {
    /// The topic's first watcher: start hearing it.
    Start(Topic),
    /// Its last watcher left: stop.
    Stop(Topic),
}

/// Topics watched, and by how many.
#[derive(Default)]
pub(crate) struct Watched(HashMap<Topic, usize>);

impl Watched {
    /// Count `change`; what the engine must do, if anything.
    pub fn note(&mut self, change: Interest) -> Option<Needed> {
        match change {
            Interest::Watch(topic) => {
                let n = self.0.entry(topic).or_insert(0);
                *n += 1;
                (*n == 1).then_some(Needed::Start(topic))
            }
            Interest::Unwatch(topic) => {
                let n = self.0.get_mut(&topic)?;
                *n -= 1;
                if *n > 0 {
                    return None;
                }
                self.0.remove(&topic);
                Some(Needed::Stop(topic))
            }
        }
    }

    pub fn topics(&self) -> impl Iterator<Item = &Topic> {
        self.0.keys()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}
