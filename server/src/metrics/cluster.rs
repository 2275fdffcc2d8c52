//! The node among the others: who it is, its bus, and what catching up
//! cost (see `crate::cluster`).

use std::sync::atomic::Ordering;

use bus::BusStats;

use super::{Exposition, Kind};
use crate::state::AppState;

pub fn encode(page: &mut Exposition, state: &AppState) {
    let cluster = &state.cluster;
    let node = cluster.node.0.to_string();
    page.family(
        "corkboard_node_info",
        Kind::Gauge,
        "This node's id (as in its logs) and bus engine; always 1.",
    );
    page.sample(
        "corkboard_node_info",
        &[("node", node.as_str()), ("bus", cluster.engine)],
        1,
    );
    page.single(
        "corkboard_bus_up",
        Kind::Gauge,
        "1 while the bus is connected; 0 while it is down (the node is then not ready).",
        u8::from(cluster.bus.is_up()),
    );
    let bus = &cluster.bus;
    let counters: [(&str, &str, u64); 4] = [
        (
            "corkboard_bus_published_total",
            "Notices handed to the bus (commits, presence, revocations).",
            BusStats::get(&bus.published),
        ),
        (
            "corkboard_bus_dropped_total",
            "Notices dropped: the publish queue was full or the bus was down (receivers catch up from the log).",
            BusStats::get(&bus.dropped),
        ),
        (
            "corkboard_bus_received_total",
            "Notices heard from other nodes.",
            BusStats::get(&bus.received),
        ),
        (
            "corkboard_bus_connects_total",
            "Times the bus connection was established (1 plus reconnections).",
            BusStats::get(&bus.connects),
        ),
    ];
    for (name, help, value) in counters {
        page.single(name, Kind::Counter, help, value);
    }
    page.family(
        "corkboard_bus_lag_seconds",
        Kind::Histogram,
        "From a notice's sending on another node to its arrival here.",
    );
    cluster.lag.write(page, "corkboard_bus_lag_seconds", &[]);
    let s = state.registry.stats().snapshot();
    let counters: [(&str, &str, u64); 4] = [
        (
            "corkboard_catch_ups_total",
            "Boards and organizations that caught up with events another node committed.",
            s.catch_ups,
        ),
        (
            "corkboard_caught_up_events_total",
            "Events applied by those catch-ups.",
            s.events_caught_up,
        ),
        (
            "corkboard_seq_conflicts_total",
            "Appends that lost their seq to another node and were decided again.",
            s.seq_conflicts,
        ),
        (
            "corkboard_nodes_gone_total",
            "Other nodes found gone (heartbeat older than the timeout).",
            cluster.nodes_gone.load(Ordering::Relaxed),
        ),
    ];
    for (name, help, value) in counters {
        page.single(name, Kind::Counter, help, value);
    }
    page.single(
        "corkboard_peers",
        Kind::Gauge,
        "Other nodes alive at the last heartbeat.",
        cluster.peers.load(Ordering::Relaxed),
    );
}
