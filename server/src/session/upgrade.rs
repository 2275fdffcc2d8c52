//! Taking a WebSocket over from the HTTP dispatcher.
//!
//! actix-http hands every upgrade request, with its connection, to the
//! service built here. The request still goes through the whole
//! application (middleware, rate limits, the `/ws` route's origin, format
//! and credential checks) and its response is written back. When that
//! response is the route's `101 Switching Protocols`, the connection
//! leaves the HTTP layer: its socket is split into a reader stream for the
//! session actor and a writing half that the worker's flusher drains the
//! session's outbound queue into. Neither keeps a buffer while the socket
//! is idle, where the HTTP dispatcher would keep 8 KiB for reading and
//! 8 KiB for writing for the life of every connection.

use std::convert::Infallible;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use actix::{Actor, AsyncContext};
use actix_codec::Framed;
use actix_http::body::{BodySize, MessageBody};
use actix_http::{h1, HttpMessage, Request, StatusCode};
use actix_service::{fn_factory, fn_service, Service, ServiceFactory};
use actix_web::dev::{AppConfig, ServiceResponse};
use actix_web::HttpResponse;
use actors::{SessionId, SessionQueue};
use futures_util::SinkExt;
use protocol::Format;
use tokio::net::TcpStream;
use tokio::sync::Notify;

use super::reader::SocketReader;
use super::writer::{Outbound, Stall};
use super::{WsSession, UNAUTHENTICATED_FRAME_LIMIT};
use crate::auth::Principal;
use crate::state::AppState;

/// Put in the request's extensions by the upgrade service, so the `/ws`
/// route knows the connection can be taken over.
#[derive(Clone, Copy, Debug)]
pub struct TakeOver;

/// Put in the `101` response's extensions by the `/ws` route: what the
/// session needs once the socket is taken over.
#[derive(Clone)]
pub struct Accepted {
    pub state: actix_web::web::Data<AppState>,
    pub format: Format,
    pub principal: Option<Principal>,
    /// Frames and messages above this many bytes close the socket (1009).
    pub hard_limit: usize,
    /// The upgrade request's client IP, user agent and request id: the
    /// origin of the organization commands the socket sends, for the
    /// audit log.
    pub client: storage::audit::Context,
}

/// Counts the sockets taken over and still open, so a graceful shutdown
/// can wait for their close frames to go out.
#[derive(Debug, Default)]
pub struct OpenSockets {
    count: AtomicUsize,
    all_closed: Notify,
}

/// One open socket; dropping it counts it closed.
pub struct SocketGuard(Arc<OpenSockets>);

impl OpenSockets {
    /// Count one more open socket until the guard is dropped.
    pub fn open(self: &Arc<Self>) -> SocketGuard {
        self.count.fetch_add(1, Ordering::Relaxed);
        SocketGuard(Arc::clone(self))
    }

    /// Sockets open now.
    pub fn count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Resolves once no socket is open.
    pub async fn all_closed(&self) {
        loop {
            let notified = self.all_closed.notified();
            if self.count() == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for SocketGuard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::Relaxed) == 1 {
            self.0.all_closed.notify_waiters();
        }
    }
}

/// The upgrade service of one worker: an instance of the application
/// (made by `make_app`) answers each upgrade request.
pub fn factory<F, A, S, B>(
    make_app: F,
) -> impl ServiceFactory<
    (Request, Framed<TcpStream, h1::Codec>),
    Config = (),
    Response = (),
    Error = Infallible,
    InitError = (),
>
where
    F: Fn() -> A + 'static,
    A: actix_service::IntoServiceFactory<S, Request>,
    S: ServiceFactory<
            Request,
            Config = AppConfig,
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
        > + 'static,
    S::Service: 'static,
    B: MessageBody + 'static,
{
    fn_factory(move || {
        let app = make_app().into_factory();
        async move {
            let app = app.new_service(AppConfig::default()).await.map_err(|_| {
                tracing::error!("building the upgrade service's application failed")
            })?;
            let app = Rc::new(app);
            Ok::<_, ()>(fn_service(move |(req, framed)| {
                let app = Rc::clone(&app);
                async move {
                    take_over(&*app, req, framed).await;
                    Ok::<_, Infallible>(())
                }
            }))
        }
    })
}

/// Answer one upgrade request through the application; hand the
/// connection to a new session when the answer is the route's `101`.
async fn take_over<S, B>(app: &S, req: Request, mut framed: Framed<TcpStream, h1::Codec>)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody + 'static,
{
    req.extensions_mut().insert(TakeOver);
    let mut response: HttpResponse<_> = match app.call(req).await {
        Ok(res) => res.into_parts().1.map_into_boxed_body(),
        Err(e) => e.error_response(),
    };
    let accepted = response.extensions_mut().remove::<Accepted>();
    let (mut head, body) = actix_http::Response::from(response).into_parts();
    match accepted {
        Some(accepted) if head.status() == StatusCode::SWITCHING_PROTOCOLS => {
            if let Err(e) = framed.send(h1::Message::Item((head, BodySize::None))).await {
                tracing::debug!(error = %e, "writing the handshake failed");
                return;
            }
            let parts = framed.into_parts();
            start_session(parts.io, parts.read_buf, accepted);
        }
        _ => {
            // An error (or any other answer): write it whole and close.
            head.head_mut()
                .set_connection_type(actix_http::ConnectionType::Close);
            let Ok(bytes) = actix_web::body::to_bytes(body).await else {
                return;
            };
            let size = BodySize::Sized(bytes.len() as u64);
            // Head and body in one write, so a client reading only what
            // arrived with the head still gets the error body.
            let written = async {
                framed.feed(h1::Message::Item((head, size))).await?;
                if !bytes.is_empty() {
                    framed.feed(h1::Message::Chunk(Some(bytes))).await?;
                }
                framed.feed(h1::Message::Chunk(None)).await?;
                framed.flush().await
            };
            if let Err(e) = written.await {
                tracing::debug!(error = %e, "writing the refusal of an upgrade failed");
            }
        }
    }
}

/// Run the session of a socket just upgraded: its actor reads from the
/// socket, and the worker's flusher drains its outbound queue into it.
fn start_session(io: TcpStream, already_read: bytes::BytesMut, accepted: Accepted) {
    let Accepted {
        state,
        format,
        principal,
        hard_limit,
        client,
    } = accepted;
    // Events go out the moment they are written, not batched by Nagle.
    let _ = io.set_nodelay(true);
    let (read, write) = io.into_split();
    let id = SessionId(state.next_session_id());
    let SessionQueue { outbox, receiver } =
        SessionQueue::new(id, format, state.settings.ws.outbound_queue);
    let outbox = outbox
        .with_counter(Arc::new(state.metrics.clone()))
        .counting_cuts_in(state.registry.shared_stats())
        .with_subscription_limit(state.settings.ws.max_subscriptions)
        .with_byte_limit(state.settings.ws.outbound_queue_bytes);
    let open = state.sockets.open();
    let session_alive = receiver.session_alive();
    super::flusher::start(
        id.0,
        Outbound::new(receiver),
        write,
        Stall {
            timeout: state.settings.ws.write_stall_timeout,
            metrics: state.metrics.clone(),
        },
        open,
    );
    // Until the client authenticates, only frames an `auth` message needs.
    let frame_limit = Arc::new(AtomicUsize::new(if principal.is_some() {
        hard_limit
    } else {
        UNAUTHENTICATED_FRAME_LIMIT.min(hard_limit)
    }));
    let reader =
        SocketReader::new(read, already_read, hard_limit).with_shared_limit(frame_limit.clone());
    WsSession::create(move |ctx| {
        ctx.add_stream(reader);
        WsSession::new(id, state, outbox, principal, session_alive)
            .with_frame_limit(frame_limit, hard_limit)
            .with_client(client)
    });
}
