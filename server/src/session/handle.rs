//! What a session does with each client message.

use std::time::{Duration, Instant};

use ::actors::ActorError;
use actix::prelude::*;
use protocol::codec::{command_id, decode_client};
use protocol::codes;
use protocol::{BoardId, ClientMsg, Format, OrgId, ServerMsg};

use super::{close, WsSession, UNAUTHENTICATED_MAX_MESSAGE_BYTES, UNAUTHENTICATED_STRIKES};
use crate::auth::{authenticate, TokenError};
use crate::error::retry_after_ms;
use crate::metrics::Limited;

impl WsSession {
    pub(super) fn on_frame(&mut self, bytes: &[u8], format: Format, ctx: &mut Context<Self>) {
        if self.closing {
            return;
        }
        let limit = if self.principal.is_some() {
            self.state.settings.ws.max_message_bytes
        } else {
            UNAUTHENTICATED_MAX_MESSAGE_BYTES
        };
        if bytes.len() > limit {
            self.state.metrics.message_in("invalid");
            self.error(
                codes::MESSAGE_TOO_LARGE,
                format!(
                    "message of {} bytes exceeds the limit of {limit} bytes",
                    bytes.len()
                ),
                None,
            );
            return;
        }
        if format != self.format() {
            self.state.metrics.message_in("invalid");
            let expected = if self.format() == Format::Json {
                "text"
            } else {
                "binary"
            };
            self.error(
                codes::MALFORMED_FRAME,
                format!(
                    "this connection speaks {}; send {expected} frames",
                    self.format().subprotocol()
                ),
                None,
            );
            return;
        }
        // Every frame that gets this far costs a decode, so every one takes
        // a token; the answer to one over the limit says so instead.
        let limited = self
            .rate
            .take(self.state.settings.rate_limits.ws_session, Instant::now())
            .err();
        let msg = match decode_client(bytes, format) {
            Ok(msg) => msg,
            Err(e) => {
                self.state.metrics.message_in("invalid");
                // A command whose id can be read is owed its one answer.
                let command_id = command_id(bytes, format);
                match (limited, command_id) {
                    (Some(wait), command_id) => self.rate_limited(command_id, wait),
                    (None, Some(id)) => self.send(&ServerMsg::refused(
                        id,
                        codes::INVALID_COMMAND,
                        e.to_string(),
                        None,
                    )),
                    (None, None) => self.error(e.code(), e.to_string(), None),
                }
                return;
            }
        };
        self.state.metrics.message_in(msg.kind());
        if let Some(wait) = limited {
            let command_id = match &msg {
                ClientMsg::Command { id, .. } | ClientMsg::OrgCommand { id, .. } => {
                    Some(id.clone())
                }
                _ => None,
            };
            self.rate_limited(command_id, wait);
            return;
        }
        match msg {
            ClientMsg::Auth { token } => self.on_auth(&token, ctx),
            ClientMsg::Ping { nonce } => self.send(&ServerMsg::Pong { nonce }),
            _ if self.principal.is_none() => {
                self.strikes += 1;
                self.error(codes::UNAUTHENTICATED, "send an auth message first", None);
                if self.strikes >= UNAUTHENTICATED_STRIKES {
                    self.close(close::POLICY, "not authenticated", ctx);
                }
            }
            ClientMsg::Subscribe { board, since } => self.on_subscribe(board, since, ctx),
            ClientMsg::Unsubscribe { board } => {
                self.forget_ended();
                // The board answers once it has let go of the session, so
                // a subscribe sent after the answer finds its slot free;
                // answering here at once would race the board.
                let mut board_answers = false;
                if self.subscriptions.remove(&board) {
                    if self.pending.contains(&board) {
                        // Still being attached: detach when that completes.
                        self.cancelled.insert(board);
                    }
                    board_answers = self.state.registry.board(board).leave(self.outbox.clone());
                }
                if !board_answers {
                    self.send(&ServerMsg::Unsubscribed {
                        board,
                        reason: codes::REQUESTED.into(),
                    });
                }
            }
            ClientMsg::Command { id, board, command } => self.on_command(id, board, command, ctx),
            ClientMsg::OrgCommand { id, org, command } => {
                self.on_org_command(id, org, command.into(), ctx);
            }
            ClientMsg::SubscribeOrg { org } => self.on_subscribe_org(org, ctx),
            ClientMsg::Presence { board, state } => {
                self.forget_ended();
                if let Err(problem) = state.validate() {
                    self.error(codes::INVALID_MESSAGE, problem, Some(board));
                } else if !self.subscriptions.contains(&board) {
                    self.error(
                        codes::NOT_SUBSCRIBED,
                        "subscribe to the board before sending presence",
                        Some(board),
                    );
                } else {
                    self.state
                        .registry
                        .board(board)
                        .set_presence(self.id, state);
                }
            }
            ClientMsg::UnsubscribeOrg { org } => {
                self.forget_ended();
                if self.org_subscriptions.remove(&org) {
                    self.state.registry.org(org).unsubscribe(self.id);
                }
                self.send(&ServerMsg::OrgUnsubscribed {
                    org,
                    reason: codes::REQUESTED.into(),
                });
            }
        }
    }

    /// Drop the entries of subscriptions the server ended by itself: a
    /// board that sent `unsubscribed` (access lost, board restarted, ...) or
    /// an org channel that sent `org_unsubscribed` has let go of the
    /// session's outbox, which is where this reads it. Subscribes still in
    /// flight are kept.
    fn forget_ended(&mut self) {
        let (pending, outbox) = (&self.pending, &self.outbox);
        self.subscriptions
            .retain(|board| pending.contains(board) || outbox.held_by(*board));
        self.org_subscriptions
            .retain(|org| outbox.held_by_org(*org));
    }

    /// Answer a message over the session's rate limit: a command is
    /// `rejected` (retryable, with `details.retry_after_ms`), anything else
    /// gets an `error`. The session goes on.
    fn rate_limited(&self, command_id: Option<String>, wait: Duration) {
        self.state.metrics.rate_limited(Limited::WsSession);
        let retry_after_ms = retry_after_ms(wait);
        let message = format!("too many messages; retry after {retry_after_ms} ms");
        match command_id {
            Some(id) => self.send(&ServerMsg::refused(
                id,
                codes::RATE_LIMITED,
                message,
                Some(retry_after_ms),
            )),
            None => self.error(codes::RATE_LIMITED, message, None),
        }
    }

    fn on_auth(&mut self, token: &str, ctx: &mut Context<Self>) {
        let state = self.state.clone();
        let token = token.to_owned();
        let check = async move { authenticate(&state, &token).await };
        // Wait: messages after `auth` must see the session authenticated.
        ctx.wait(
            actix::fut::wrap_future(check).map(|res, act: &mut Self, ctx| match res {
                Ok(principal) => {
                    if let Some(current) = act.principal {
                        if current.caller != principal.caller {
                            act.error(
                                codes::USER_MISMATCH,
                                "a session cannot change who it acts as",
                                None,
                            );
                            act.close(close::POLICY, "user mismatch", ctx);
                            return;
                        }
                    }
                    act.authenticated(principal, ctx);
                }
                Err(TokenError::Unavailable) => {
                    act.error(
                        codes::UNAVAILABLE,
                        TokenError::Unavailable.to_string(),
                        None,
                    );
                    act.close(
                        close::TRY_AGAIN_LATER,
                        "credentials cannot be checked; retry shortly",
                        ctx,
                    );
                }
                Err(e) => {
                    act.error(e.code(), e.to_string(), None);
                    act.close(close::POLICY, "authentication failed", ctx);
                }
            }),
        );
    }

    fn on_subscribe(&mut self, board: BoardId, since: Option<u64>, ctx: &mut Context<Self>) {
        let Some(user) = self.principal.map(|p| p.caller) else {
            return;
        };
        // The limit counts the boards that hold the session (its outbox's
        // slots, taken by a board when it attaches the session), not the
        // subscribes in flight: a burst to boards that do not exist holds
        // nothing, and boards attaching at once cannot pass the limit.
        self.forget_ended();
        let max = self.state.settings.ws.max_subscriptions;
        if !self.subscriptions.contains(&board) && self.outbox.subscriptions_held() >= max {
            let e = ActorError::TooManySubscriptions { max };
            self.error(e.code(), e.to_string(), Some(board));
            return;
        }
        // Tracked (and cancellable) from now on, not only once attached.
        let resubscribe = !self.subscriptions.insert(board);
        self.pending.insert(board);
        self.cancelled.remove(&board);
        // Queued at the board now: spawned futures are not first polled in
        // the order they were spawned.
        let fut = self
            .state
            .registry
            .board(board)
            .subscribe(user, self.outbox.clone(), since);
        ctx.spawn(
            actix::fut::wrap_future(fut).map(move |res, act: &mut Self, _| {
                act.pending.remove(&board);
                let cancelled = act.cancelled.remove(&board);
                match res {
                    Ok(_) if cancelled => act.state.registry.board(board).unsubscribe(act.id),
                    Ok(_) => {}
                    Err(e) => {
                        if !resubscribe {
                            act.subscriptions.remove(&board);
                        }
                        if !cancelled {
                            act.error(e.code(), subscribe_message(&e, "board"), Some(board));
                        }
                    }
                }
            }),
        );
    }

    fn on_subscribe_org(&mut self, org: OrgId, ctx: &mut Context<Self>) {
        let Some(caller) = self.principal.map(|p| p.caller) else {
            return;
        };
        let handle = self.state.registry.org(org);
        let outbox = self.outbox.clone();
        let fut = async move { handle.subscribe(caller, outbox).await };
        ctx.spawn(
            actix::fut::wrap_future(fut).map(move |res, act: &mut Self, _| match res {
                Ok(()) => {
                    act.org_subscriptions.insert(org);
                }
                Err(e) => act.org_error(e.code(), subscribe_message(&e, "organization"), org),
            }),
        );
    }
}

fn subscribe_message(e: &ActorError, what: &str) -> String {
    match e {
        ActorError::NotFound => format!("{what} not found"),
        other => other.client_message(),
    }
}
