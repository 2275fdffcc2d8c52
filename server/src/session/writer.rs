//! The writing half of a WebSocket the server has taken over from the HTTP
//! dispatcher: what a session's bounded outbound queue holds, encoded as
//! WebSocket frames, a chunk at a time ([`Outbound`]), and how a chunk is
//! written ([`send_now`], and [`write_rest`] for what it did not take). Each
//! event stays its own WebSocket message. The worker's flusher
//! (`flusher.rs`) drives both.
//!
//! When the queue overflowed (a slow consumer), the writer sends a close
//! frame with `CLOSE_SLOW_CONSUMER` instead of more data, and ends.

use std::task::{Context, Poll};
use std::time::Duration;

use actors::{OutFrame, OutboxReceiver};
use bytes::{BufMut, BytesMut};
use protocol::close::SLOW_CONSUMER as CLOSE_SLOW_CONSUMER;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;

use crate::metrics::Metrics;

/// Encoded bytes one wake-up gathers into a single write; more queued
/// frames go in the next write.
pub const MAX_CHUNK_BYTES: usize = 64 * 1024;

/// How long the writer waits for the peer to take any bytes at all: a
/// peer that reads nothing for this long is gone (or hostile), and the
/// connection is reset. A slow peer that keeps taking bytes is not cut by
/// this (its queue's limits cut it instead). The default of
/// `CORKBOARD_WS_WRITE_STALL_SECS`.
pub const WRITE_STALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Longest close reason a close frame can carry (RFC 6455: control frame
/// payloads are at most 125 bytes, two of them the code).
const MAX_CLOSE_REASON_BYTES: usize = 123;

const SLOW_CONSUMER_REASON: &str =
    "slow consumer: outbound queue overflowed; reconnect and resubscribe with since";

/// WebSocket opcodes the server sends.
mod opcode {
    pub const TEXT: u8 = 0x1;
    pub const BINARY: u8 = 0x2;
    pub const CLOSE: u8 = 0x8;
    pub const PING: u8 = 0x9;
    pub const PONG: u8 = 0xA;
}

/// Append one unmasked, final frame (server to client) to `buf`.
fn put_frame(buf: &mut BytesMut, opcode: u8, payload: &[u8]) {
    let len = payload.len();
    buf.reserve(len + 10);
    buf.put_u8(0x80 | opcode);
    if len < 126 {
        buf.put_u8(len as u8);
    } else if let Ok(short) = u16::try_from(len) {
        buf.put_u8(126);
        buf.put_u16(short);
    } else {
        buf.put_u8(127);
        buf.put_u64(len as u64);
    }
    buf.put_slice(payload);
}

/// Append a close frame with `code` and `reason` (cut to what fits).
fn put_close(buf: &mut BytesMut, code: u16, reason: &str) {
    let mut end = reason.len().min(MAX_CLOSE_REASON_BYTES);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let mut payload = [0u8; 2 + MAX_CLOSE_REASON_BYTES];
    payload[..2].copy_from_slice(&code.to_be_bytes());
    payload[2..2 + end].copy_from_slice(&reason.as_bytes()[..end]);
    put_frame(buf, opcode::CLOSE, &payload[..2 + end]);
}

/// Append `frame`; `true` when it was a close frame (nothing may follow).
fn put_out_frame(buf: &mut BytesMut, frame: &OutFrame) -> bool {
    match frame {
        OutFrame::Text(text) => put_frame(buf, opcode::TEXT, text.as_bytes()),
        OutFrame::Binary(bytes) => put_frame(buf, opcode::BINARY, bytes),
        OutFrame::Batch(frames) => {
            for inner in frames {
                // Batches hold catch-up data frames only.
                if matches!(inner, OutFrame::Text(_) | OutFrame::Binary(_)) {
                    put_out_frame(buf, inner);
                }
            }
        }
        OutFrame::Ping => put_frame(buf, opcode::PING, &[]),
        OutFrame::Pong(payload) => put_frame(buf, opcode::PONG, payload),
        OutFrame::Close { code, reason } => {
            put_close(buf, *code, reason);
            return true;
        }
    }
    false
}

/// The outbound queue of one session, drained a chunk at a time.
pub struct Outbound {
    queue: OutboxReceiver,
    done: bool,
}

impl Outbound {
    /// Drain `queue`, closing as a slow consumer once it overflowed, until
    /// a close frame went out or the session holding the queue's
    /// [`actors::SessionAlive`] is gone (boards may still hold outboxes of
    /// `queue` for a while).
    pub fn new(queue: OutboxReceiver) -> Self {
        Outbound { queue, done: false }
    }

    /// Encode what is queued (up to [`MAX_CHUNK_BYTES`]) into `buf`.
    fn gather(&mut self, cx: &mut Context<'_>, buf: &mut BytesMut) {
        // A cut wakes a waiting writer, and ends the queue for one that
        // was not; the frames queued before it are not sent.
        if self.queue.overflowed() {
            self.close_slow(buf);
            return;
        }
        while buf.len() < MAX_CHUNK_BYTES {
            match self.queue.poll_recv(cx) {
                Poll::Ready(Some(frame)) => {
                    if put_out_frame(buf, &frame) {
                        self.finish();
                        break;
                    }
                }
                Poll::Ready(None) if self.queue.overflowed() => {
                    // Cut while this chunk was gathered: what it holds
                    // goes, then the slow consumer's close.
                    self.close_slow(buf);
                    break;
                }
                Poll::Ready(None) => {
                    // The session ended without a close of its own (the
                    // client went away, or every sender is gone): nothing
                    // more will come.
                    put_frame(buf, opcode::CLOSE, &[]);
                    self.finish();
                    break;
                }
                Poll::Pending => break,
            }
        }
    }

    /// End with the slow consumer's close.
    fn close_slow(&mut self, buf: &mut BytesMut) {
        put_close(buf, CLOSE_SLOW_CONSUMER, SLOW_CONSUMER_REASON);
        self.finish();
    }

    /// Stop: refuse further frames.
    pub fn finish(&mut self) {
        self.done = true;
        self.queue.close();
    }

    /// Append the next chunk to write to `buf` (empty), once there is one;
    /// `None` after the close frame went out.
    pub fn poll_chunk_into(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut BytesMut,
    ) -> Poll<Option<()>> {
        if self.done {
            return Poll::Ready(None);
        }
        self.gather(cx, buf);
        if !buf.is_empty() {
            Poll::Ready(Some(()))
        } else if self.done {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    }

    /// The next chunk to write, as [`Outbound::poll_chunk_into`].
    #[cfg(test)]
    pub fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<BytesMut>> {
        let mut buf = BytesMut::new();
        self.poll_chunk_into(cx, &mut buf)
            .map(|more| more.map(|()| buf))
    }
}

/// How long the writer waits for a peer that takes no bytes, and where a
/// reset for that is counted.
pub struct Stall {
    pub timeout: Duration,
    pub metrics: Metrics,
}

/// Why a chunk could not be written.
pub enum Failed {
    Stalled,
    Io(String),
}

/// Write what `chunk` the socket takes now, without waiting: the bytes it
/// took (0 when its buffer is full).
///
/// Nearly always the socket takes the whole chunk at once. It is tried
/// without a timer (a `timeout` reads the clock and builds a timer for
/// every write: measurable at 100,000 deliveries a second), and straight on
/// the socket, past tokio's readiness record (another cache miss per
/// delivery). What it does not take goes to [`write_rest`].
pub fn send_now(io: &OwnedWriteHalf, chunk: &[u8]) -> Result<usize, Failed> {
    match socket2::SockRef::from(io.as_ref()).send(chunk) {
        Ok(0) if !chunk.is_empty() => Err(Failed::Io("the socket took no bytes".into())),
        Ok(n) => Ok(n),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(0),
        Err(e) => Err(Failed::Io(e.to_string())),
    }
}

/// Write all of `chunk` through tokio, which finds the socket full, records
/// that and waits for it to drain; failing when one write waits longer than
/// `stall` for the peer to take a byte.
pub async fn write_rest(
    io: &mut OwnedWriteHalf,
    mut chunk: &[u8],
    stall: Duration,
) -> Result<(), Failed> {
    while !chunk.is_empty() {
        match tokio::time::timeout(stall, io.write(chunk)).await {
            Ok(Ok(0)) => return Err(Failed::Io("the socket took no bytes".into())),
            Ok(Ok(n)) => chunk = &chunk[n..],
            Ok(Err(e)) => return Err(Failed::Io(e.to_string())),
            Err(_) => return Err(Failed::Stalled),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn encoded(frame: &OutFrame) -> Vec<u8> {
        let mut buf = BytesMut::new();
        put_out_frame(&mut buf, frame);
        buf.to_vec()
    }

    #[test]
    fn frame_headers_use_the_shortest_length_encoding() {
        assert_eq!(
            encoded(&OutFrame::Text("hi".into())),
            vec![0x81, 2, b'h', b'i']
        );
        let medium = encoded(&OutFrame::Binary(Bytes::from(vec![7u8; 300])));
        assert_eq!(&medium[..4], &[0x82, 126, 0x01, 0x2c]);
        assert_eq!(medium.len(), 4 + 300);
        let large = encoded(&OutFrame::Binary(Bytes::from(vec![7u8; 70_000])));
        assert_eq!(&large[..2], &[0x82, 127]);
        assert_eq!(&large[2..10], &70_000u64.to_be_bytes());
        assert_eq!(encoded(&OutFrame::Ping), vec![0x89, 0]);
        assert_eq!(
            encoded(&OutFrame::Pong(Bytes::from_static(b"hey"))),
            vec![0x8A, 3, b'h', b'e', b'y']
        );
    }

    #[test]
    fn close_reasons_are_cut_at_a_character_boundary() {
        let reason = "é".repeat(100); // 200 bytes
        let bytes = encoded(&OutFrame::Close {
            code: 4008,
            reason: reason.clone(),
        });
        assert_eq!(bytes[0], 0x88);
        let len = bytes[1] as usize;
        assert!(len <= 125, "control frames carry at most 125 bytes");
        assert_eq!(&bytes[2..4], &4008u16.to_be_bytes());
        let text = std::str::from_utf8(&bytes[4..]).expect("whole characters");
        assert!(reason.starts_with(text) && text.len() == 122);
    }

    #[test]
    fn a_batch_is_written_as_separate_messages() {
        let batch = OutFrame::Batch(vec![OutFrame::Text("a".into()), OutFrame::Text("b".into())]);
        assert_eq!(encoded(&batch), vec![0x81, 1, b'a', 0x81, 1, b'b']);
    }

    fn poll(body: &mut Outbound) -> Poll<Option<Vec<u8>>> {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        body.poll_chunk(&mut cx)
            .map(|chunk| chunk.map(|b| b.to_vec()))
    }

    fn body(capacity: usize) -> (actors::Outbox, Outbound, actors::SessionAlive) {
        let actors::SessionQueue { outbox, receiver } =
            actors::SessionQueue::new(actors::SessionId(1), protocol::Format::Json, capacity);
        let session = receiver.session_alive();
        (outbox, Outbound::new(receiver), session)
    }

    #[test]
    fn a_session_gone_while_boards_still_hold_its_queue_ends_the_writer() {
        let (outbox, mut body, session) = body(8);
        outbox.push(OutFrame::Text("last".into())).expect("queued");
        drop(session);
        let Poll::Ready(Some(chunk)) = poll(&mut body) else {
            panic!("a chunk")
        };
        assert_eq!(chunk, vec![0x81, 4, b'l', b'a', b's', b't', 0x88, 0]);
        assert_eq!(poll(&mut body), Poll::Ready(None));
        assert!(outbox.is_closed(), "a board's clone sees the queue closed");
    }

    #[test]
    fn everything_queued_goes_out_in_one_chunk_then_the_body_waits() {
        let (outbox, mut body, _session) = body(8);
        assert!(poll(&mut body).is_pending());
        for text in ["one", "two", "three"] {
            outbox.push(OutFrame::Text(text.into())).expect("queued");
        }
        let Poll::Ready(Some(chunk)) = poll(&mut body) else {
            panic!("a chunk")
        };
        assert_eq!(chunk.len(), 5 + 5 + 7);
        assert!(poll(&mut body).is_pending());
        outbox
            .push(OutFrame::Close {
                code: 1000,
                reason: String::new(),
            })
            .expect("queued");
        assert_eq!(
            poll(&mut body),
            Poll::Ready(Some(vec![0x88, 2, 0x03, 0xe8]))
        );
        assert_eq!(poll(&mut body), Poll::Ready(None));
        assert!(outbox.is_closed(), "nothing is accepted after the close");
    }

    #[test]
    fn an_overflowed_queue_is_closed_as_a_slow_consumer() {
        let (outbox, mut body, _session) = body(2);
        for _ in 0..3 {
            let _ = outbox.push(OutFrame::Text("x".into()));
        }
        let Poll::Ready(Some(chunk)) = poll(&mut body) else {
            panic!("a chunk")
        };
        assert_eq!(&chunk[..1], &[0x88], "only the close frame is sent");
        assert_eq!(&chunk[2..4], &CLOSE_SLOW_CONSUMER.to_be_bytes());
        assert_eq!(poll(&mut body), Poll::Ready(None));
    }

    #[test]
    fn a_session_gone_without_a_close_gets_an_empty_close() {
        let (outbox, mut body, _session) = body(2);
        drop(outbox);
        assert_eq!(poll(&mut body), Poll::Ready(Some(vec![0x88, 0])));
        assert_eq!(poll(&mut body), Poll::Ready(None));
    }
}
