//! `GET /ws`: the WebSocket upgrade. Checks `Origin` against the allow-list
//! before upgrading, negotiates the wire format through
//! `Sec-WebSocket-Protocol`, and authenticates either from an
//! `Authorization: Bearer` header (non-browser clients) or from the first
//! `auth` message (browsers, which cannot set headers on an upgrade).

use actix_web::http::header::{HeaderValue, HOST, ORIGIN, SEC_WEBSOCKET_PROTOCOL};
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use protocol::codes::ErrorCode;
use protocol::Format;

use crate::auth::{authenticate, bearer_token};
use crate::client_addr::ClientAddr;
use crate::error::ApiError;
use crate::session::upgrade::{Accepted, TakeOver};
use crate::state::AppState;

/// The hard limit is twice the configured message limit, and at least
/// this much. A frame or fragmented message above it is refused on its
/// header, before its payload is read (close 1009); messages between the
/// message limit and the hard limit get an error reply and the session
/// goes on. Kept close to the message limit because a frame below it is
/// buffered whole before anyone looks at it, authenticated or not.
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
            code: ErrorCode::UnsupportedSubprotocol,
            message: format!(
                "none of the offered subprotocols ({}) is supported; use {} or {}",
                offered.join(", "),
                Format::Json.subprotocol(),
                Format::MsgPack.subprotocol()
            ),
        })
}

/// Whether the request's `Origin` may open a socket: absent (non-browser
/// clients), on the allow-list, or the server's own origin — the scheme the
/// client used (HTTPS when a trusted proxy says so, see `client_addr`) and
/// the `Host` it asked for. Forwarded host headers are not consulted: a
/// proxy passes `Host` through.
fn origin_allowed(req: &HttpRequest, allowed: &[String]) -> bool {
    let Some(origin) = req.headers().get(ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true;
    };
    if crate::cors::origin_listed(origin, allowed) {
        return true;
    }
    let Some(host) = req.headers().get(HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let scheme = if ClientAddr::of(req).https {
        "https"
    } else {
        "http"
    };
    origin.trim_end_matches('/') == format!("{scheme}://{host}")
}

/// Checks an upgrade request and answers `101 Switching Protocols` with
/// what the session needs in the response's extensions; the upgrade
/// service (`session::upgrade`) then takes the connection over.
pub async fn upgrade(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let not_a_websocket = |why: String| ApiError::BadRequest {
        code: ErrorCode::NotAWebsocket,
        message: format!("WebSocket handshake failed: {why}"),
    };
    // Only a request the upgrade service passed on can be taken over.
    if req.extensions().get::<TakeOver>().is_none() {
        return Err(not_a_websocket(
            "not an upgrade request (send `Connection: Upgrade` and `Upgrade: websocket`)".into(),
        ));
    }
    if state.sockets.count() >= state.settings.ws.max_sockets {
        return Err(ApiError::Actor(actors::ActorError::Overloaded));
    }
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
    let mut response = actix_http::ws::handshake(req.head())
        .map(|mut builder| HttpResponse::from(builder.finish()).map_into_boxed_body())
        .map_err(|e| not_a_websocket(e.to_string()))?;
    let format = offered.unwrap_or(Format::Json);
    if offered.is_some() {
        response.headers_mut().insert(
            SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(format.subprotocol()),
        );
    }
    let hard_limit = (state.settings.ws.max_message_bytes * 2).max(MIN_HARD_FRAME_LIMIT);
    response.extensions_mut().insert(Accepted {
        state: state.clone(),
        format,
        principal,
        hard_limit,
        client: crate::audit::context(&req),
    });
    Ok(response)
}
