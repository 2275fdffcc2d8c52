//! Commands over the WebSocket, to a board (`command`) or to an
//! organization (`org_command`). Both read alike: the id is checked, the
//! command is queued at its aggregate's actor at once (so one session's
//! commands are decided in the order it sent them), the answer is `ack` /
//! `org_ack` once committed or `rejected`, and both are counted in
//! `corkboard_command_duration_seconds{transport="ws"}`.

use std::future::Future;
use std::time::Instant;

use ::actors::{ActorError, Caller};
use actix::Context;
use protocol::codes;
use protocol::wire::COMMAND_ID_MAX;
use protocol::{BoardId, Command, OrgCommand, OrgId, ServerMsg};

use super::WsSession;
use crate::metrics::{CommandVerdict, Transport};

/// How long a client should wait before retrying a command refused as
/// `overloaded`, `unavailable` or `timeout` (sent as `details.retry_after_ms`).
pub const RETRY_AFTER_MS: u64 = 250;

impl WsSession {
    pub(super) fn on_command(
        &mut self,
        id: String,
        board: BoardId,
        command: Command,
        ctx: &mut Context<Self>,
    ) {
        let Some(user) = self.command_caller(&id) else {
            return;
        };
        let submitted = self
            .state
            .registry
            .board(board)
            .submit(user, command, Some(id.clone()));
        self.answer_when_done(id, submitted, ctx, move |id, committed| ServerMsg::Ack {
            id,
            board,
            seq: committed.seq,
        });
    }

    pub(super) fn on_org_command(
        &mut self,
        id: String,
        org: OrgId,
        command: OrgCommand,
        ctx: &mut Context<Self>,
    ) {
        let Some(caller) = self.command_caller(&id) else {
            return;
        };
        let origin = protocol::Origin {
            ip: self.client.ip.clone(),
            user_agent: self.client.user_agent.clone(),
            request_id: self.client.request_id.clone(),
            api_key: matches!(caller, Caller::ApiKey { .. }),
        };
        let submitted = self.state.registry.org(org).with_origin(origin).submit(
            caller,
            command,
            Some(id.clone()),
        );
        self.answer_when_done(id, submitted, ctx, move |id, committed| ServerMsg::OrgAck {
            id,
            org,
            seq: committed.records.last().map_or(0, |rec| rec.seq),
        });
    }

    /// Who sends a command with id `id`: `None` before `auth`, or when the
    /// id cannot name a command (answered here, see `command_id_ok`).
    fn command_caller(&self, id: &str) -> Option<Caller> {
        let caller = self.principal.map(|p| p.caller)?;
        self.command_id_ok(id).then_some(caller)
    }

    /// Whether `id` can name a command; if not, the command is answered
    /// `rejected` here.
    fn command_id_ok(&self, id: &str) -> bool {
        let ok = !id.is_empty() && id.len() <= COMMAND_ID_MAX;
        if !ok {
            self.send(&ServerMsg::refused(
                id,
                codes::INVALID_COMMAND_ID,
                format!("command id must be 1–{COMMAND_ID_MAX} bytes"),
                None,
            ));
        }
        ok
    }

    /// Count the command once `submitted` answers, then send its `ack`
    /// (made by `ack`) or its `rejected`.
    fn answer_when_done<T: 'static>(
        &mut self,
        id: String,
        submitted: impl Future<Output = Result<T, ActorError>> + 'static,
        ctx: &mut Context<Self>,
        ack: impl FnOnce(String, T) -> ServerMsg + 'static,
    ) {
        let metrics = self.state.metrics.clone();
        let started = Instant::now();
        self.owe(
            Box::pin(async move {
                let res = submitted.await;
                let verdict = if res.is_ok() {
                    CommandVerdict::Ack
                } else {
                    CommandVerdict::Rejected
                };
                metrics.command_done(Transport::Ws, verdict, started.elapsed());
                match res {
                    Ok(committed) => ack(id, committed),
                    Err(e) => refusal(id, e),
                }
            }),
            ctx,
        );
    }
}

/// The `rejected` answer: a rule's refusal carries its fields as
/// `details`, as PROTOCOL.md shows them (the code is already `code`);
/// anything else says whether and when to retry.
fn refusal(id: String, e: ActorError) -> ServerMsg {
    match e {
        ActorError::Rejected(r) => ServerMsg::rejected(id, &r),
        ActorError::OrgRejected(r) => ServerMsg::rejected(id, &r),
        e => ServerMsg::refused(
            id,
            e.code(),
            e.client_message(),
            e.retryable().then_some(RETRY_AFTER_MS),
        ),
    }
}
