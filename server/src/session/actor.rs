//! The session actor: lifecycle, heartbeat, authentication deadline.

use std::collections::HashSet;
use std::time::Instant;

use ::actors::{OutFrame, Outbox, SessionId};
use actix::prelude::*;
use actix_ws::{AggregatedMessage, ProtocolError};
use protocol::{BoardId, Format, ServerMsg, UserId};

use super::close;
use crate::startup::AppState;

/// One WebSocket connection.
pub struct WsSession {
    pub(super) id: SessionId,
    pub(super) state: AppState,
    pub(super) outbox: Outbox,
    pub(super) user: Option<UserId>,
    /// Unix seconds at which the presented token expires.
    pub(super) token_exp: u64,
    pub(super) subscriptions: HashSet<BoardId>,
    pub(super) opened: Instant,
    pub(super) last_heard: Instant,
    pub(super) strikes: u32,
    pub(super) closing: bool,
    pub(super) span: tracing::Span,
}

impl WsSession {
    pub fn new(
        id: SessionId,
        state: AppState,
        outbox: Outbox,
        user: Option<(UserId, u64)>,
    ) -> Self {
        let span = tracing::info_span!("ws", session = %id, user_id = tracing::field::Empty);
        if let Some((user, _)) = user {
            span.record("user_id", tracing::field::display(user));
        }
        WsSession {
            id,
            state,
            outbox,
            user: user.map(|(u, _)| u),
            token_exp: user.map(|(_, exp)| exp).unwrap_or(0),
            subscriptions: HashSet::new(),
            opened: Instant::now(),
            last_heard: Instant::now(),
            strikes: 0,
            closing: false,
            span,
        }
    }

    pub(super) fn format(&self) -> Format {
        self.outbox.format()
    }

    /// Queue a message; a full queue has already flagged the session.
    pub(super) fn send(&self, msg: &ServerMsg) {
        let _ = self.outbox.send(msg);
    }

    pub(super) fn error(&self, code: &str, message: impl Into<String>, board: Option<BoardId>) {
        self.send(&ServerMsg::Error {
            code: code.into(),
            message: message.into(),
            board,
        });
    }

    /// Close the socket after what is queued, and stop.
    pub(super) fn close(&mut self, code: u16, reason: &str, ctx: &mut Context<Self>) {
        if self.closing {
            return;
        }
        self.closing = true;
        let _ = self.outbox.push(OutFrame::Close {
            code,
            reason: reason.into(),
        });
        ctx.stop();
    }

    fn welcome(&self) -> ServerMsg {
        let ws = &self.state.settings.ws;
        ServerMsg::Welcome {
            session: self.id.to_string(),
            user: self.user.unwrap_or(UserId(uuid::Uuid::nil())),
            limits: protocol::Limits {
                max_frame_bytes: ws.max_message_bytes as u32,
                max_subscriptions: ws.max_subscriptions as u32,
                idle_timeout_ms: ws.client_timeout.as_millis() as u32,
            },
        }
    }

    /// Mark the session authenticated as `user` and greet it.
    pub(super) fn authenticated(&mut self, user: UserId, exp: u64) {
        let first = self.user.is_none();
        self.user = Some(user);
        self.token_exp = exp;
        self.span.record("user_id", tracing::field::display(user));
        if first {
            self.send(&self.welcome());
        }
    }

    fn heartbeat(&mut self, ctx: &mut Context<Self>) {
        let ws = &self.state.settings.ws;
        if self.outbox.is_closed() {
            ctx.stop();
            return;
        }
        if self.user.is_none() {
            if self.opened.elapsed() >= ws.auth_timeout {
                self.error("auth_timeout", "no auth message within the deadline", None);
                self.close(close::AUTH_TIMEOUT, "authentication timeout", ctx);
            }
            return;
        }
        if crate::auth::unix_now() > self.token_exp + crate::auth::LEEWAY.as_secs() {
            self.error(
                "token_expired",
                "the access token expired; reconnect with a fresh token",
                None,
            );
            self.close(close::POLICY, "token expired", ctx);
            return;
        }
        if self.last_heard.elapsed() >= ws.client_timeout {
            self.close(close::IDLE_TIMEOUT, "idle timeout", ctx);
            return;
        }
        let _ = self.outbox.push(OutFrame::Ping);
    }
}

impl Actor for WsSession {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let _enter = self.span.clone().entered();
        tracing::info!(format = ?self.format(), "session opened");
        self.state.metrics.sessions_opened();
        if self.user.is_some() {
            self.send(&self.welcome());
        }
        // Check the auth deadline and token expiry at a fine grain; ping at
        // the heartbeat interval.
        let tick = self
            .state
            .settings
            .ws
            .heartbeat_interval
            .min(self.state.settings.ws.auth_timeout / 2);
        ctx.run_interval(tick, |act, ctx| act.heartbeat(ctx));
        let mut shutdown = self.state.shutdown.clone();
        let going_away = async move {
            while !*shutdown.borrow_and_update() {
                if shutdown.changed().await.is_err() {
                    return false;
                }
            }
            true
        };
        ctx.spawn(
            actix::fut::wrap_future(going_away).map(|going, act: &mut Self, ctx| {
                if going {
                    act.error(
                        "server_shutdown",
                        "the server is shutting down; reconnect shortly",
                        None,
                    );
                    act.close(close::GOING_AWAY, "server shutting down; reconnect", ctx);
                }
            }),
        );
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        for board in self.subscriptions.drain() {
            self.state.registry.board(board).unsubscribe(self.id);
        }
        self.state.metrics.sessions_closed();
        let _enter = self.span.clone().entered();
        tracing::info!("session closed");
    }
}

impl StreamHandler<Result<AggregatedMessage, ProtocolError>> for WsSession {
    fn handle(&mut self, item: Result<AggregatedMessage, ProtocolError>, ctx: &mut Self::Context) {
        self.last_heard = Instant::now();
        let span = self.span.clone();
        let _enter = span.enter();
        match item {
            Ok(AggregatedMessage::Text(text)) => self.on_frame(text.as_bytes(), Format::Json, ctx),
            Ok(AggregatedMessage::Binary(bytes)) => self.on_frame(&bytes, Format::MsgPack, ctx),
            Ok(AggregatedMessage::Ping(_)) | Ok(AggregatedMessage::Pong(_)) => {}
            Ok(AggregatedMessage::Close(_)) => {
                self.closing = true;
                let _ = self.outbox.push(OutFrame::Close {
                    code: 1000,
                    reason: String::new(),
                });
                ctx.stop();
            }
            Err(ProtocolError::Overflow) => {
                self.error(
                    "message_too_large",
                    "frame exceeds the hard size limit",
                    None,
                );
                self.close(close::TOO_BIG, "message too big", ctx);
            }
            Err(e) => {
                tracing::debug!(error = %e, "websocket protocol error");
                self.close(1002, "protocol error", ctx);
            }
        }
    }

    fn finished(&mut self, ctx: &mut Self::Context) {
        ctx.stop();
    }
}
