//! Organization changes from REST: every route that changes an
//! organization parses its request, submits one `OrgCommand` to the
//! organization's actor (the only writer: decide → append → apply →
//! publish) through [`submit`] and maps a refusal to the API's error shape
//! here, in one place. Like board commands, every submission is counted
//! in `corkboard_command_duration_seconds{transport="rest"}`.

use std::time::Instant;

use actix_web::HttpRequest;
use actors::{ActorError, OrgCommitted};
use protocol::codes::ErrorCode;
use protocol::{OrgCommand, OrgId, OrgRejection};

#[cfg(doc)]
use super::commands::command_id;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::metrics::{CommandVerdict, Transport};
use crate::state::AppState;

/// Submits `command` to `org` as the caller of `req` (its origin goes
/// with the command, for the audit entries of its events), under `id`: the request's
/// `Idempotency-Key` (see [`command_id`]), whose retry gets the first
/// answer. Creating and accepting an invitation take none: a retry could
/// not be shown the invitation's token again (only its hash is kept).
///
/// # Errors
/// The refusal as the API answers it (see [`refusal`]), or the actor's
/// error.
pub async fn submit(
    state: &AppState,
    req: &HttpRequest,
    org: OrgId,
    auth: Auth,
    command: OrgCommand,
    id: Option<String>,
) -> Result<OrgCommitted, ApiError> {
    let started = Instant::now();
    let answered = state
        .registry
        .org(org)
        .with_origin(crate::audit::origin(req, &auth))
        .submit(auth.0.caller, command, id)
        .await;
    let verdict = if answered.is_ok() {
        CommandVerdict::Ack
    } else {
        CommandVerdict::Rejected
    };
    state
        .metrics
        .command_done(Transport::Rest, verdict, started.elapsed());
    answered.map_err(refusal)
}

/// An organization's refusal in the API's terms: strangers and missing
/// members are 404s, rule refusals 403, the last owner and duplicates 409,
/// used invitations 410, bad fields 400.
pub fn refusal(e: ActorError) -> ApiError {
    let ActorError::OrgRejected(r) = e else {
        return ApiError::Actor(e);
    };
    let message = r.to_string();
    match r {
        OrgRejection::OrgNotFound => ApiError::NotFound {
            what: "organization",
        },
        OrgRejection::NotMember { .. } => ApiError::NotFound { what: "member" },
        OrgRejection::InviteNotFound => ApiError::NotFound { what: "invite" },
        OrgRejection::BoardNotFound { .. } => ApiError::NotFound { what: "board" },
        OrgRejection::UnknownUser { .. } => ApiError::NotFound { what: "user" },
        OrgRejection::KeyTaken { .. } => ApiError::Conflict {
            code: ErrorCode::OrgKeyTaken,
            message,
        },
        OrgRejection::Forbidden { .. } => ApiError::Forbidden { message },
        OrgRejection::AlreadyMember { .. } => ApiError::Conflict {
            code: ErrorCode::AlreadyMember,
            message,
        },
        OrgRejection::LastOwner => ApiError::Conflict {
            code: ErrorCode::LastOwner,
            message,
        },
        OrgRejection::OrgAlreadyExists => ApiError::Conflict {
            code: ErrorCode::OrgAlreadyExists,
            message,
        },
        OrgRejection::NoChange => ApiError::Conflict {
            code: ErrorCode::NoChange,
            message,
        },
        OrgRejection::InviteExpired => ApiError::Gone {
            code: ErrorCode::InviteExpired,
            message,
        },
        OrgRejection::InviteUsed => ApiError::Gone {
            code: ErrorCode::InviteUsed,
            message,
        },
        OrgRejection::InviteRevoked => ApiError::Gone {
            code: ErrorCode::InviteRevoked,
            message,
        },
        OrgRejection::InvalidField { field, rule } => ApiError::validation(&field, rule),
    }
}
