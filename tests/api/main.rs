//! The one integration-test binary. Every test spawns the real server on a
//! random port against its own fresh PostgreSQL database and talks to it
//! over HTTP and WebSocket, as a client would.

mod helpers;
pub mod smtp_server;

mod account;
mod admin_users;
mod api_keys;
mod app_assets;
mod audit;
mod audit_log;
mod auth;
mod backpressure;
mod boards;
mod cookies;
mod errors;
mod faults;
mod frames;
mod head;
mod idempotency;
mod item_history;
mod jobs;
mod jobs_runtime;
pub mod kill;
mod kill_jobs;
mod live_access;
mod matrix_rest;
mod matrix_ws;
mod members;
mod openapi;
mod operations;
mod ordering;
mod org_commands;
mod outage;
mod outbox;
mod pagination;
mod policies;
mod production;
mod proxy;
mod queries;
mod resources;
mod restart;
mod rules;
mod shutdown;
mod smtp;
mod tokens;
mod transport;
mod webhook_receiver;
mod webhooks;
mod webhooks_standard;
mod ws;
