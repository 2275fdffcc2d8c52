//! The one integration-test binary. Every test spawns the real server on a
//! random port against its own fresh PostgreSQL database and talks to it
//! over HTTP and WebSocket, as a client would.

mod helpers;

mod api_keys;
mod auth;
mod boards;
mod frames;
mod idempotency;
mod live_access;
mod members;
mod restart;
mod rules;
mod tokens;
mod ws;
