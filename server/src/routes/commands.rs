//! The one REST path to a board command. `POST /boards/{board}/commands`
//! and every resource-style route (`routes/resources.rs`) build a
//! [`Command`] and hand it to [`submit`], which reads the command id
//! (`Idempotency-Key`), submits it to the board actor (decided, committed,
//! broadcast, idempotent under its id, like a WebSocket `command`) and
//! counts it in the command metrics.

use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::HttpRequest;
use actix_web::HttpResponse;
use protocol::wire::COMMAND_ID_MAX;
use protocol::{BoardId, Command, Recorded};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::metrics::{CommandVerdict, Transport};
use crate::state::AppState;

/// Header carrying the client's command id (the idempotency key).
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The refusals every board command route documents, after its success
/// answer (`responses((status = 200, ...), CommandRefusals)`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only describes answers `ApiError` produces
pub enum CommandRefusals {
    #[response(
        status = 403,
        description = "The caller's role does not allow the command"
    )]
    Forbidden(ErrorBody),
    #[response(
        status = 404,
        description = "No such board, or the caller cannot see it"
    )]
    NotFound(ErrorBody),
    #[response(
        status = 422,
        description = "A rule refused the command; `code` names it, `details` holds its fields"
    )]
    Refused(ErrorBody),
    #[response(
        status = 504,
        description = "`timeout`: the board did not answer in time"
    )]
    Timeout(ErrorBody),
}

/// The `Idempotency-Key` header every board command route takes.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // read by `command_id`; this only documents it
pub struct IdempotencyKey {
    /// The command id: 1–64 visible ASCII characters
    #[param(rename = "Idempotency-Key")]
    idempotency_key: Option<String>,
}

/// The answer to a committed command.
#[derive(Serialize, ToSchema)]
pub struct CommandAck {
    /// The command id: the `Idempotency-Key` header, when one was sent.
    pub command_id: Option<String>,
    /// The board's seq after the command's last event.
    pub seq: u64,
    /// The events the command recorded, in seq order.
    pub events: Vec<Recorded>,
}

/// The command id: the `Idempotency-Key` header when present.
pub(super) fn command_id(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let id = value
        .to_str()
        .map_err(|_| ApiError::validation("Idempotency-Key", "must be visible ASCII"))?
        .trim();
    if id.is_empty() || id.len() > COMMAND_ID_MAX {
        return Err(ApiError::validation(
            "Idempotency-Key",
            format!("must be 1–{COMMAND_ID_MAX} characters"),
        ));
    }
    Ok(Some(id.to_owned()))
}

/// Submit `command` to `board` as the caller; answer `status` with the
/// committed events. Every REST route that runs a board command comes
/// here, so all of them take the command id from `Idempotency-Key` and are
/// counted in `corkboard_command_duration_seconds{transport="rest"}` alike:
/// from here (the request read and authenticated) to the board's answer. A
/// request refused before it became a command (a bad body, credential or
/// `Idempotency-Key`) is not counted.
pub(super) async fn submit(
    req: &HttpRequest,
    state: &AppState,
    auth: Auth,
    board: Uuid,
    command: Command,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let id = command_id(req)?;
    let started = Instant::now();
    let answered = state
        .registry
        .board(BoardId(board))
        .submit(auth.0.caller, command, id.clone())
        .await;
    let outcome = if answered.is_ok() {
        CommandVerdict::Ack
    } else {
        CommandVerdict::Rejected
    };
    state
        .metrics
        .command_done(Transport::Rest, outcome, started.elapsed());
    let committed = answered?;
    Ok(HttpResponse::build(status).json(CommandAck {
        command_id: id,
        seq: committed.seq,
        events: committed.events,
    }))
}
