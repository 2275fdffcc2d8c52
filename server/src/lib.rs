//! Corkboard's server: configuration, startup and shutdown, HTTP routes,
//! WebSocket sessions, authentication. The only crate that wires
//! `protocol`, `storage` and `actors` together.
//!
//! # Architecture invariant
//! Handlers and sessions never touch board state directly: every board
//! read and write goes through the board's actor (`actors::BoardHandle`),
//! so REST and WebSocket edits are ordered and broadcast the same way.
//! Clients get stable error codes; internal causes go to the log only.

pub mod app_assets;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod client_addr;
pub mod cluster;
pub mod config;
pub mod connection_errors;
pub mod cors;
pub mod error;
pub mod error_shape;
pub mod head;
pub mod jobs;
pub mod mail;
pub mod metrics;
pub mod openapi;
pub mod rate_limit;
pub mod request_id;
pub mod revocation;
pub mod routes;
pub mod session;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod webhooks;

pub use config::Settings;
pub use startup::{shutdown_signal, Application};
