//! The session actor: lifecycle, heartbeat, authentication deadline.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ::actors::{OutFrame, Outbox, SessionId};
use actix::prelude::*;
use actix_ws::AggregatedMessage;
use protocol::codes;
use protocol::{BoardId, Format, OrgId, ServerMsg, UserId};
use tokio::sync::broadcast;

use super::assembler::FrameError;
use super::close;
use super::reader::ReadError;
use crate::auth::{Credential, Principal};
use crate::rate_limit::TokenBucket;
use crate::revocation::Revoked;
use crate::state::AppState;

/// The server's shared state as sessions hold it: one pointer, not a copy
/// of every handle in it (thousands of idle sessions each keep one).
pub type SharedState = actix_web::web::Data<AppState>;

/// One WebSocket connection.
pub struct WsSession {
    pub(super) id: SessionId,
    pub(super) state: SharedState,
    pub(super) outbox: Outbox,
    /// Who the session acts as, once authenticated.
    pub(super) principal: Option<Principal>,
    /// Boards subscribed to, or being subscribed to.
    pub(super) subscriptions: HashSet<BoardId>,
    /// Boards whose subscribe has not completed yet.
    pub(super) pending: HashSet<BoardId>,
    /// Pending subscribes the client has since unsubscribed from.
    pub(super) cancelled: HashSet<BoardId>,
    pub(super) org_subscriptions: HashSet<OrgId>,
    pub(super) opened: Instant,
    pub(super) last_heard: Instant,
    pub(super) strikes: u32,
    pub(super) closing: bool,
    pub(super) span: tracing::Span,
    /// The session's message rate limit.
    pub(super) rate: TokenBucket,
    /// Fires when the credential expires; replaced when a fresh token comes.
    expiry: Option<SpawnHandle>,
    /// The frame limit its socket reader applies, and the hard limit it is
    /// raised to once the client authenticates.
    frame_limit: Option<(Arc<AtomicUsize>, usize)>,
    /// Where the socket was opened from (client IP, user agent, the
    /// upgrade's request id): the origin of its organization commands.
    pub(super) client: storage::audit::Context,
    /// Commands sent and not answered yet.
    pub(super) answers: super::answers::Answers,
    /// Dropped with the session, which tells its socket's writer to close
    /// the socket once what is queued is out.
    _writer: ::actors::SessionAlive,
}

impl WsSession {
    pub fn new(
        id: SessionId,
        state: SharedState,
        outbox: Outbox,
        principal: Option<Principal>,
        writer: ::actors::SessionAlive,
    ) -> Self {
        let span = tracing::info_span!("ws", session = %id, user_id = tracing::field::Empty);
        let state_rate = state.settings.rate_limits.ws_session;
        if let Some(p) = &principal {
            span.record("user_id", tracing::field::display(p.caller.actor_id()));
        }
        WsSession {
            id,
            state,
            outbox,
            principal,
            subscriptions: HashSet::new(),
            pending: HashSet::new(),
            cancelled: HashSet::new(),
            org_subscriptions: HashSet::new(),
            opened: Instant::now(),
            last_heard: Instant::now(),
            strikes: 0,
            closing: false,
            span,
            rate: TokenBucket::full(state_rate, Instant::now()),
            expiry: None,
            frame_limit: None,
            client: storage::audit::Context::default(),
            answers: super::answers::Answers::default(),
            _writer: writer,
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
            org: None,
        });
    }

    /// An `error` about an organization (a refused `subscribe_org`).
    pub(super) fn org_error(&self, code: &str, message: impl Into<String>, org: OrgId) {
        self.send(&ServerMsg::Error {
            code: code.into(),
            message: message.into(),
            board: None,
            org: Some(org),
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
            user: self
                .principal
                .map(|p| p.caller.actor_id())
                .unwrap_or(UserId(uuid::Uuid::nil())),
            limits: protocol::Limits {
                max_frame_bytes: ws.max_message_bytes as u32,
                max_subscriptions: ws.max_subscriptions as u32,
                idle_timeout_ms: ws.client_timeout.as_millis() as u32,
            },
        }
    }

    /// Record where the socket was opened from (for the audit log).
    pub fn with_client(mut self, client: storage::audit::Context) -> Self {
        self.client = client;
        self
    }

    /// Share the socket reader's frame limit: raised to `hard_limit` when
    /// the client authenticates.
    pub fn with_frame_limit(mut self, limit: Arc<AtomicUsize>, hard_limit: usize) -> Self {
        self.frame_limit = Some((limit, hard_limit));
        self
    }

    /// Mark the session authenticated as `principal` (or refreshed with a
    /// new credential) and greet it the first time.
    pub(super) fn authenticated(&mut self, principal: Principal, ctx: &mut Context<Self>) {
        if let Some((limit, hard_limit)) = &self.frame_limit {
            limit.store(*hard_limit, Ordering::Relaxed);
        }
        let first = self.principal.is_none();
        self.principal = Some(principal);
        self.span.record(
            "user_id",
            tracing::field::display(principal.caller.actor_id()),
        );
        if first {
            self.send(&self.welcome());
        }
        self.watch_expiry(ctx);
    }

    /// Whether the session's credential has expired.
    fn credential_expired(&self) -> bool {
        self.principal
            .and_then(|p| p.expires_at())
            .is_some_and(|exp| crate::auth::is_expired(exp, crate::auth::unix_now_ms()))
    }

    /// Arm a timer for the moment the credential expires (PROTOCOL.md: the
    /// socket learns of it within a second), replacing the previous
    /// credential's timer. The heartbeat checks too, as a backstop.
    fn watch_expiry(&mut self, ctx: &mut Context<Self>) {
        if let Some(old) = self.expiry.take() {
            ctx.cancel_future(old);
        }
        let Some(exp) = self.principal.and_then(|p| p.expires_at()) else {
            return;
        };
        let due_ms = exp.saturating_mul(1000);
        let wait = Duration::from_millis(due_ms.saturating_sub(crate::auth::unix_now_ms()));
        self.expiry = Some(ctx.run_later(wait, |act, ctx| {
            act.expiry = None;
            if act.credential_expired() {
                act.expired(ctx);
            } else {
                // The monotonic timer ran ahead of the wall clock.
                act.watch_expiry(ctx);
            }
        }));
    }

    fn expired(&mut self, ctx: &mut Context<Self>) {
        self.error(
            codes::TOKEN_EXPIRED,
            "the access token expired; reconnect with a fresh token",
            None,
        );
        self.close(close::POLICY, "token expired", ctx);
    }

    /// Whether `revoked` takes this session's credential away.
    fn is_revoked_by(&self, revoked: Revoked) -> bool {
        let Some(p) = self.principal else {
            return false;
        };
        match (revoked, p.credential) {
            (Revoked::Session(sid), Credential::Access { session, .. }) => sid == session,
            (Revoked::User(user), Credential::Access { .. }) => p.user() == Some(user),
            (Revoked::ApiKey(key), Credential::ApiKey { id, .. }) => key == id,
            _ => false,
        }
    }

    /// Whether the credential is revoked according to the node's sets (for
    /// a session that missed broadcasts).
    fn credential_revoked(&self) -> bool {
        let Some(p) = self.principal else {
            return false;
        };
        match p.credential {
            Credential::Access { session, iat, .. } => p
                .user()
                .is_some_and(|user| self.state.revocations.token_revoked(session, user, iat)),
            Credential::ApiKey { id, .. } => self.state.revocations.key_revoked(id),
        }
    }

    fn revoked(&mut self, ctx: &mut Context<Self>) {
        tracing::info!("credential revoked; closing session");
        self.error(
            codes::TOKEN_REVOKED,
            "the credential of this session was revoked",
            None,
        );
        self.close(close::POLICY, "credential revoked", ctx);
    }

    /// Listen for revocations until the session ends.
    fn listen_revocations(
        &mut self,
        mut rx: broadcast::Receiver<Revoked>,
        ctx: &mut Context<Self>,
    ) {
        let next = async move {
            let got = rx.recv().await;
            (got, rx)
        };
        ctx.spawn(
            actix::fut::wrap_future(next).map(|(got, rx), act: &mut Self, ctx| {
                match got {
                    Ok(revoked) if act.is_revoked_by(revoked) => return act.revoked(ctx),
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        if act.credential_revoked() {
                            return act.revoked(ctx);
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
                if !act.closing {
                    act.listen_revocations(rx, ctx);
                }
            }),
        );
    }

    fn heartbeat(&mut self, ctx: &mut Context<Self>) {
        let ws = &self.state.settings.ws;
        if self.outbox.is_closed() {
            ctx.stop();
            return;
        }
        if self.principal.is_none() {
            if self.opened.elapsed() >= ws.auth_timeout {
                self.error(
                    codes::AUTH_TIMEOUT,
                    "no auth message within the deadline",
                    None,
                );
                self.close(close::AUTH_TIMEOUT, "authentication timeout", ctx);
            }
            return;
        }
        if self.credential_expired() {
            self.expired(ctx);
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
        if self.principal.is_some() {
            self.send(&self.welcome());
            self.watch_expiry(ctx);
        }
        let revocations = self.state.revocations.subscribe();
        self.listen_revocations(revocations, ctx);
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
                        codes::SERVER_SHUTDOWN,
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
        for org in self.org_subscriptions.drain() {
            self.state.registry.org(org).unsubscribe(self.id);
        }
        self.state.metrics.sessions_closed();
        let _enter = self.span.clone().entered();
        tracing::info!("session closed");
    }
}

impl StreamHandler<Result<AggregatedMessage, ReadError>> for WsSession {
    fn handle(&mut self, item: Result<AggregatedMessage, ReadError>, ctx: &mut Self::Context) {
        self.last_heard = Instant::now();
        let span = self.span.clone();
        let _enter = span.enter();
        match item {
            Ok(AggregatedMessage::Text(text)) => self.on_frame(text.as_bytes(), Format::Json, ctx),
            Ok(AggregatedMessage::Binary(bytes)) => self.on_frame(&bytes, Format::MsgPack, ctx),
            Ok(AggregatedMessage::Ping(payload)) => {
                let _ = self.outbox.push(OutFrame::Pong(payload));
            }
            Ok(AggregatedMessage::Pong(_)) => {}
            Ok(AggregatedMessage::Close(_)) => {
                self.closing = true;
                let _ = self.outbox.push(OutFrame::Close {
                    code: 1000,
                    reason: String::new(),
                });
                ctx.stop();
            }
            Err(ReadError::Frame(e)) => {
                tracing::debug!(error = %e, "refused the client's bytes");
                if let FrameError::TooBig { .. } = e {
                    self.error(codes::MESSAGE_TOO_LARGE, e.to_string(), None);
                }
                self.close(e.close_code(), &e.to_string(), ctx);
            }
            Err(ReadError::Io(e)) => {
                // The connection is gone: no close frame would arrive.
                tracing::debug!(error = %e, "websocket read failed");
                ctx.stop();
            }
        }
    }

    fn finished(&mut self, ctx: &mut Self::Context) {
        ctx.stop();
    }
}
