//! `GET /ws`: the WebSocket upgrade. Checks `Origin` against the allow-list
//! before upgrading, negotiates the wire format through
//! `Sec-WebSocket-Protocol`, and authenticates either from an
//! `Authorization: Bearer` header (non-browser clients) or from the first
//! `auth` message (browsers, which cannot set headers on an upgrade).

use std::sync::Arc;

use actix::{Actor, AsyncContext};
use actix_web::http::header::{HeaderValue, ORIGIN, SEC_WEBSOCKET_PROTOCOL};
use actix_web::{web, HttpRequest, HttpResponse};
use actors::{Outbox, SessionId};
use protocol::Format;

use crate::auth::{authenticate, bearer_token};
use crate::error::ApiError;
use crate::session::{writer, WsSession};
use crate::startup::AppState;

/// Frames above twice the configured message limit (at least this much)
/// are a protocol error (close 1009); frames between the limit and that get
/// an error reply and the session goes on. Kept close to the limit because
/// a frame is buffered whole before anyone looks at it, authenticated or not.
pub const MIN_HARD_FRAME_LIMIT: usize = 64 * 1024;

/// The wire format the client asked for. No header means JSON; a header
/// naming only unknown protocols is refused.
fn negotiate(req: &HttpRequest) -> Result<Option<Format>, ApiError> {
    let offered: Vec<String> = req
        .headers()
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    if offered.is_empty() {
        return Ok(None);
    }
    offered
        .iter()
        .find_map(|p| Format::from_subprotocol(p))
        .map(Some)
        .ok_or_else(|| ApiError::BadRequest {
            code: "unsupported_subprotocol",
            message: format!(
                "none of the offered subprotocols ({}) is supported; use {} or {}",
                offered.join(", "),
                Format::Json.subprotocol(),
                Format::MsgPack.subprotocol()
            ),
        })
}

/// Whether the request's `Origin` may open a socket: absent (non-browser
/// clients), on the allow-list, or the server's own origin.
fn origin_allowed(req: &HttpRequest, allowed: &[String]) -> bool {
    let Some(origin) = req.headers().get(ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true;
    };
    if crate::cors::origin_listed(origin, allowed) {
        return true;
    }
    let origin = origin.trim_end_matches('/');
    let info = req.connection_info();
    let own = [
        format!("http://{}", info.host()),
        format!("https://{}", info.host()),
    ];
    own.iter().any(|o| o == origin)
}

pub async fn upgrade(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if !origin_allowed(&req, &state.settings.allowed_origins) {
        return Err(ApiError::Forbidden {
            message: "this Origin may not open a WebSocket; add it to CORKBOARD_ALLOWED_ORIGINS"
                .into(),
        });
    }
    let offered = negotiate(&req)?;
    let principal = match bearer_token(&req) {
        Some(token) => Some(authenticate(&state, token).await.map_err(ApiError::from)?),
        None => None,
    };
    // actix-ws's own writing half (`_ws_session` and its response body) is
    // not used: the response body becomes `writer::OutboundBody`, which
    // drains the session's outbound queue directly.
    let (mut response, _ws_session, stream) =
        actix_ws::handle(&req, body).map_err(|e| ApiError::BadRequest {
            code: "not_a_websocket",
            message: format!("WebSocket handshake failed: {e}"),
        })?;
    let format = offered.unwrap_or(Format::Json);
    if offered.is_some() {
        response.headers_mut().insert(
            SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(format.subprotocol()),
        );
    }
    let hard_limit = (state.settings.ws.max_message_bytes * 2).max(MIN_HARD_FRAME_LIMIT);
    let stream = stream
        .max_frame_size(hard_limit)
        .aggregate_continuations()
        .max_continuation_size(hard_limit);
    let id = SessionId(state.next_session_id());
    let (outbox, rx, overflow) = Outbox::channel(id, format, state.settings.ws.outbound_queue);
    let outbox = outbox
        .with_counter(Arc::new(state.metrics.clone()))
        .with_byte_limit(state.settings.ws.outbound_queue_bytes);
    let app = state.clone();
    WsSession::create(move |ctx| {
        ctx.add_stream(stream);
        WsSession::new(id, app, outbox, principal)
    });
    Ok(response
        .map_body(|_, upgrade_body| writer::OutboundBody::new(rx, overflow, upgrade_body))
        .map_into_boxed_body())
}
