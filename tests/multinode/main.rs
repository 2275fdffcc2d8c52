//! Several nodes, for real: three `corkboard` processes on one PostgreSQL,
//! behind nginx, talking over each bus engine in turn. Every test runs
//! once with `CORKBOARD_BUS=postgres` and once with a `nats-server`.
//!
//! Needs `nginx` and `nats-server` installed and the `corkboard` binary
//! built: `bash .ci/multi-node` does all three, then runs
//! `cargo test -p tests --test multinode -- --ignored --test-threads=1`.

#![allow(clippy::unwrap_used)]

mod access;
mod client;
mod deployment;
mod failures;
mod harness;
mod jobs;
mod order;

/// Each test, once per engine.
macro_rules! on_both_engines {
    ($($test:ident),+ $(,)?) => {
        mod postgres {
            $(
                #[tokio::test]
                #[ignore = "starts nginx, nats-server and three nodes: bash .ci/multi-node"]
                async fn $test() {
                    crate::$test(crate::harness::Engine::Postgres).await;
                }
            )+
        }
        mod nats {
            $(
                #[tokio::test]
                #[ignore = "starts nginx, nats-server and three nodes: bash .ci/multi-node"]
                async fn $test() {
                    crate::$test(crate::harness::Engine::Nats).await;
                }
            )+
        }
    };
}

use access::revocations_and_removals_reach_sockets_on_other_nodes;
use failures::{a_bus_outage_loses_no_event, a_killed_node_s_clients_resume_on_another_gap_free};
use jobs::every_job_runs_once_on_one_of_the_nodes;
use order::{clients_on_every_node_see_one_order, writers_on_three_nodes_each_land_exactly_once};

on_both_engines!(
    clients_on_every_node_see_one_order,
    writers_on_three_nodes_each_land_exactly_once,
    revocations_and_removals_reach_sockets_on_other_nodes,
    a_killed_node_s_clients_resume_on_another_gap_free,
    a_bus_outage_loses_no_event,
    every_job_runs_once_on_one_of_the_nodes,
);
