//! WebSocket sessions: connecting from many source addresses, framing,
//! and the send-time marker carried in command ids.

use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs};

use anyhow::{bail, Context};
use futures_util::StreamExt;
use protocol::codec::{decode_server, encode};
use protocol::{BoardId, ClientMsg, Event, Format, ItemId, Millis, ServerMsg, UserId};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// An open session.
pub type Ws = WebSocketStream<TcpStream>;

/// Connections per loopback source address: one address gets about 28k
/// ephemeral ports towards one destination; stay well below.
const CONNECTIONS_PER_SOURCE: usize = 20_000;
/// Read buffer per connection: tungstenite's default is 128 KiB, which
/// would cost the generator gigabytes at 15,000 sessions.
const READ_BUFFER: usize = 8 * 1024;

/// Where and how sessions connect.
#[derive(Clone)]
pub struct Target {
    ws_url: String,
    addr: SocketAddr,
    /// The wire encoding.
    pub format: Format,
    token: String,
    sources: usize,
}

impl Target {
    /// Sessions to `base_url`'s `/ws`, authenticated with `token`, spread
    /// over enough loopback source addresses for `total` connections.
    pub fn new(
        base_url: &str,
        format: Format,
        token: &str,
        total: usize,
    ) -> anyhow::Result<Target> {
        let host_port = base_url.trim_start_matches("http://");
        let addr = host_port
            .to_socket_addrs()
            .with_context(|| format!("cannot resolve {host_port}"))?
            .find(SocketAddr::is_ipv4)
            .with_context(|| format!("{host_port} has no IPv4 address"))?;
        let sources = if addr.ip().is_loopback() {
            total.div_ceil(CONNECTIONS_PER_SOURCE).max(1)
        } else {
            1
        };
        Ok(Target {
            ws_url: format!("ws://{host_port}/ws"),
            addr,
            format,
            token: token.to_owned(),
            sources,
        })
    }

    /// Open connection number `i`: an authenticated session (header auth).
    pub async fn connect(&self, i: usize) -> anyhow::Result<Ws> {
        let socket = TcpSocket::new_v4()?;
        if self.sources > 1 {
            let source = Ipv4Addr::new(127, 0, 0, 1 + (i % self.sources) as u8);
            socket
                .bind(SocketAddr::from((source, 0)))
                .with_context(|| format!("bind {source}"))?;
        }
        let stream = socket
            .connect(self.addr)
            .await
            .with_context(|| format!("connect to {}", self.addr))?;
        stream.set_nodelay(true)?;
        let mut req = self.ws_url.as_str().into_client_request()?;
        req.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static(self.format.subprotocol()),
        );
        req.headers_mut().insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {}", self.token))?,
        );
        let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
        let (ws, _) = tokio_tungstenite::client_async_with_config(req, stream, Some(config))
            .await
            .context("websocket upgrade")?;
        Ok(ws)
    }
}

/// A client message as a frame of `format`.
pub fn frame(msg: &ClientMsg, format: Format) -> Message {
    let bytes = encode(msg, format);
    match format {
        Format::Json => Message::text(String::from_utf8_lossy(&bytes).into_owned()),
        Format::MsgPack => Message::binary(bytes),
    }
}

/// The payload of a data frame (`None` for control frames).
pub fn payload(msg: &Message) -> Option<(&[u8], Format)> {
    match msg {
        Message::Text(t) => Some((t.as_bytes(), Format::Json)),
        Message::Binary(b) => Some((&b[..], Format::MsgPack)),
        _ => None,
    }
}

/// The next server message, skipping control frames; an error when the
/// socket closes.
pub async fn recv(ws: &mut Ws) -> anyhow::Result<ServerMsg> {
    loop {
        let msg = ws.next().await.context("socket closed")??;
        if let Message::Close(frame) = &msg {
            bail!("socket closed by the server: {frame:?}");
        }
        if let Some((bytes, format)) = payload(&msg) {
            return Ok(decode_server(bytes, format)?);
        }
    }
}

/// Receive until `pick` returns something; fail on `error` messages.
pub async fn recv_until<T>(
    ws: &mut Ws,
    mut pick: impl FnMut(ServerMsg) -> Option<T>,
) -> anyhow::Result<T> {
    loop {
        match recv(ws).await? {
            ServerMsg::Error { code, message, .. } => bail!("server error {code}: {message}"),
            msg => {
                if let Some(found) = pick(msg) {
                    return Ok(found);
                }
            }
        }
    }
}

/// Marker before the send time in a command id (and item title).
const MARK: &[u8] = b"~T";

/// A command id carrying its send time: `~T<µs>~<tag>`.
pub fn timed_id(sent_us: u64, tag: &str) -> String {
    format!("~T{sent_us}~{tag}")
}

/// An `item_edited` event at `at` carrying the marker of `sent_us` in its
/// command id and title, as `fanout`'s subscribers receive them.
pub fn marked_event(at: i64, sent_us: u64) -> ServerMsg {
    let id = timed_id(sent_us, "w1-9");
    ServerMsg::Event {
        board: BoardId(uuid::Uuid::new_v4()),
        seq: 7,
        at: Millis(at),
        by: UserId(uuid::Uuid::new_v4()),
        command_id: Some(id.clone()),
        event: Event::ItemEdited {
            item: ItemId(uuid::Uuid::new_v4()),
            title: Some(id),
            description: None,
        },
    }
}

/// The send time embedded in a frame, without decoding the frame: cheap
/// enough for every delivery at 100k+ per second. The first `~T` that is
/// followed by digits and a closing `~` (the shape [`timed_id`] writes):
/// other bytes can spell `~T` too — a MessagePack `at` timestamp does for
/// one millisecond in every 65.5 s (and with a digit after it, for 10 ms of
/// the 256 ms in every 4.7 h when its third-lowest byte is `T`) — and such
/// a frame must not count as missing.
pub fn marker_time(bytes: &[u8]) -> Option<u64> {
    let mut rest = bytes;
    while let Some(at) = rest.windows(MARK.len()).position(|w| w == MARK) {
        rest = &rest[at + MARK.len()..];
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits > 0 && rest.get(digits) == Some(&b'~') {
            return std::str::from_utf8(&rest[..digits]).ok()?.parse().ok();
        }
    }
    None
}

/// Whether a server frame is an `event` (its type comes first in both
/// encodings), without decoding it.
pub fn is_event(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(24)];
    head.windows(7).any(|w| w == b"\"event\"") || head.windows(6).any(|w| w == b"\xa5event")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_survives_both_encodings_of_an_event() {
        let msg = marked_event(1, 1_234_567);
        for format in [Format::Json, Format::MsgPack] {
            let bytes = encode(&msg, format);
            assert!(is_event(&bytes), "{format:?}");
            assert_eq!(marker_time(&bytes), Some(1_234_567), "{format:?}");
        }
        let pong = encode(&ServerMsg::Pong { nonce: Some(1) }, Format::MsgPack);
        assert!(!is_event(&pong));
        assert_eq!(marker_time(b"no marker here"), None);
        assert_eq!(marker_time(b"~Tx"), None);
        assert_eq!(marker_time(b"~T12"), None, "a marker ends with ~");
    }

    /// An event whose `at` has `tail` as its low bytes, carrying `sent_us`.
    fn event_at(tail: i64, bits: u32, sent_us: u64) -> Vec<u8> {
        let now: i64 = 1_764_000_000_000;
        encode(
            &marked_event((now >> bits << bits) | tail, sent_us),
            Format::MsgPack,
        )
    }

    #[test]
    fn a_timestamp_that_spells_the_marker_is_passed_over() {
        // `at` ending in the bytes `~T` (one millisecond in every 65.5 s).
        let spelled = |bytes: &[u8], what: &[u8]| {
            bytes
                .windows(what.len())
                .position(|w| w == what)
                .expect("the frame holds it")
        };
        let bytes = event_at(0x7E54, 16, 42_000);
        assert!(
            spelled(&bytes, MARK) < spelled(&bytes, b"~T42000~"),
            "the timestamp's ~T comes first"
        );
        assert_eq!(marker_time(&bytes), Some(42_000));
        // `at` ending in `~T` and a digit.
        let bytes = event_at(0x7E_5431, 24, 43_000);
        assert!(
            spelled(&bytes, b"~T1") < spelled(&bytes, b"~T43000~"),
            "the timestamp's ~T1 comes first"
        );
        assert_eq!(marker_time(&bytes), Some(43_000));
    }
}
