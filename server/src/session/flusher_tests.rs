//! The flusher against real loopback sockets: a socket that takes part of
//! a chunk, and more ready sessions than one turn serves.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use actors::{OutFrame, SessionId, SessionQueue};
use protocol::Format;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

use super::flusher::{start, SESSIONS_PER_TURN};
use super::upgrade::OpenSockets;
use super::writer::{Outbound, Stall};

/// Frames the test pushes: more than the small send buffer below takes
/// at once, so chunks are written in part and finished later.
const FRAMES: usize = 3_000;

/// A connected pair whose server side has a small send buffer: (server
/// side, client side).
async fn small_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    server.set_nodelay(true).unwrap();
    socket2::SockRef::from(&server)
        .set_send_buffer_size(4096)
        .unwrap();
    (server, client)
}

/// The text payloads of the WebSocket frames in `bytes`, and whether a
/// close frame ended them.
fn texts(mut bytes: &[u8]) -> (Vec<String>, bool) {
    let mut texts = Vec::new();
    while bytes.len() >= 2 {
        let (opcode, mut len, mut at) = (bytes[0] & 0x0f, usize::from(bytes[1]), 2);
        if len == 126 {
            len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
            at = 4;
        }
        if opcode == 0x8 {
            return (texts, true);
        }
        texts.push(String::from_utf8(bytes[at..at + len].to_vec()).unwrap());
        bytes = &bytes[at + len..];
    }
    (texts, false)
}

#[actix_rt::test]
async fn a_socket_that_takes_part_of_a_chunk_gets_everything_in_order_then_the_close() {
    let (server, mut client) = small_pair().await;
    let (_read, write) = server.into_split();
    let SessionQueue { outbox, receiver } =
        SessionQueue::new(SessionId(1), Format::Json, FRAMES + 1);
    let alive = receiver.session_alive();
    let sockets = Arc::new(OpenSockets::default());
    let stall = Stall {
        timeout: Duration::from_secs(10),
        metrics: crate::metrics::Metrics::default(),
    };
    start(1, Outbound::new(receiver), write, stall, sockets.open());
    // Frames pushed while earlier ones wait for the slow reader.
    let pushing = actix_rt::spawn(async move {
        for n in 0..FRAMES {
            let text = format!("{n:05}{}", "x".repeat(200));
            outbox.push(OutFrame::Text(text.into())).expect("queued");
            if n % 50 == 0 {
                tokio::task::yield_now().await;
            }
        }
        drop(alive);
    });
    // Nothing is read until every frame is queued: the socket's
    // buffers fill, and later frames queue behind a chunk in part
    // written.
    pushing.await.unwrap();
    let mut received = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), client.read(&mut chunk))
            .await
            .expect("the writer keeps writing")
            .unwrap();
        if n == 0 {
            break;
        }
        received.extend_from_slice(&chunk[..n]);
    }
    let (texts, closed) = texts(&received);
    assert!(
        closed,
        "the close frame came last, then the end of the stream"
    );
    assert_eq!(texts.len(), FRAMES);
    for (n, text) in texts.iter().enumerate() {
        assert_eq!(&text[..5], format!("{n:05}"), "in order");
    }
    assert_eq!(sockets.count(), 0, "the socket is counted closed");
}

#[actix_rt::test]
async fn more_ready_sessions_than_one_turn_serves_all_get_their_frames() {
    let sockets = Arc::new(OpenSockets::default());
    let mut sessions = Vec::new();
    for n in 0..SESSIONS_PER_TURN as u64 + 44 {
        let (server, client) = small_pair().await;
        let (read, write) = server.into_split();
        let SessionQueue { outbox, receiver } = SessionQueue::new(SessionId(n), Format::Json, 8);
        let alive = receiver.session_alive();
        let stall = Stall {
            timeout: Duration::from_secs(10),
            metrics: crate::metrics::Metrics::default(),
        };
        start(n, Outbound::new(receiver), write, stall, sockets.open());
        sessions.push((outbox, alive, read, client));
    }
    // All enlisted at once, before the flusher runs.
    for (n, (outbox, ..)) in sessions.iter().enumerate() {
        outbox
            .push(OutFrame::Text(format!("to {n}").into()))
            .unwrap();
    }
    for (n, (_, _, _, client)) in sessions.iter_mut().enumerate() {
        let want = format!("to {n}");
        let mut got = vec![0u8; 2 + want.len()];
        tokio::time::timeout(Duration::from_secs(10), client.read_exact(&mut got))
            .await
            .expect("every session is served")
            .unwrap();
        assert_eq!(texts(&got), (vec![want], false));
    }
}
