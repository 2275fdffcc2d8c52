//! The reading half of a WebSocket the server has taken over from the HTTP
//! dispatcher (see `upgrade`): bytes read from the socket go through a
//! [`FrameAssembler`], which decodes frames, puts fragmented messages back
//! together and refuses a frame or message above the hard limit on its
//! header, before its payload is read.
//!
//! Bytes are read into a buffer that exists only while some are waiting,
//! so an idle socket holds no read buffer at all. It grows
//! [`READ_CHUNK_BYTES`] at a time as bytes arrive, never by what a header
//! declares, and each read takes at most that much: the buffer holds at
//! most one unfinished frame (no more than the hard limit, plus its
//! header) and one read.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use actix_ws::AggregatedMessage;
use bytes::{BufMut, BytesMut};
use futures_util::Stream;
use tokio::net::tcp::OwnedReadHalf;

use super::assembler::{FrameAssembler, FrameError};

/// Bytes made room for, and read at most, with each read from the socket.
pub const READ_CHUNK_BYTES: usize = 4 * 1024;

/// Why a socket's stream of messages ended in an error.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The client's bytes were refused: close with the error's code.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// Reading from the socket failed: the connection is gone.
    #[error("reading from the socket failed: {0}")]
    Io(#[from] io::Error),
}

/// Incoming messages of one WebSocket: text (checked UTF-8), binary, ping,
/// pong and close, each whole. After any error, and at end of stream,
/// nothing more is read.
pub struct SocketReader {
    io: OwnedReadHalf,
    buf: BytesMut,
    assembler: FrameAssembler,
    /// The limit in force, which the session may change (see
    /// [`SocketReader::with_shared_limit`]).
    limit: Option<Arc<AtomicUsize>>,
    done: bool,
}

impl SocketReader {
    /// Reads from `io`, starting with `already_read` (bytes the HTTP layer
    /// read past the handshake). Frames and reassembled messages above
    /// `hard_limit` bytes are refused on their header.
    pub fn new(io: OwnedReadHalf, already_read: BytesMut, hard_limit: usize) -> Self {
        SocketReader {
            io,
            buf: already_read,
            assembler: FrameAssembler::new(hard_limit),
            limit: None,
            done: false,
        }
    }

    /// Read `limit` before each frame: the session lowers it (to
    /// `UNAUTHENTICATED_FRAME_LIMIT`) until the client authenticates, then
    /// raises it to the hard limit. Never above the hard limit.
    pub fn with_shared_limit(mut self, limit: Arc<AtomicUsize>) -> Self {
        self.limit = Some(limit);
        self
    }

    fn fail(&mut self, e: ReadError) -> Poll<Option<<Self as Stream>::Item>> {
        self.done = true;
        Poll::Ready(Some(Err(e)))
    }
}

impl Stream for SocketReader {
    type Item = Result<AggregatedMessage, ReadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            if let Some(limit) = &this.limit {
                this.assembler.set_limit(limit.load(Ordering::Relaxed));
            }
            match this.assembler.decode(&mut this.buf) {
                Ok(Some(message)) => return Poll::Ready(Some(Ok(message))),
                Ok(None) => {}
                Err(e) => return this.fail(e.into()),
            }
            if this.buf.is_empty() && this.buf.capacity() > 0 {
                // Nothing pending: give the buffer back while idle.
                this.buf = BytesMut::new();
            }
            if let Err(e) = ready!(this.io.as_ref().poll_read_ready(cx)) {
                return this.fail(e.into());
            }
            this.buf.reserve(READ_CHUNK_BYTES);
            let mut chunk = (&mut this.buf).limit(READ_CHUNK_BYTES);
            match this.io.try_read_buf(&mut chunk) {
                Ok(0) => {
                    this.done = true;
                    return Poll::Ready(None);
                }
                Ok(_) => {}
                // A spurious readiness: the next poll registers again.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return this.fail(e.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;
    use std::time::Duration;

    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;
    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    /// Long enough for bytes to cross the loopback, far shorter than any
    /// wait for a payload that never comes.
    const PROMPTLY: Duration = Duration::from_secs(5);

    /// The header of a client frame declaring `len` payload bytes, masked
    /// with the all-zero key (so a payload that follows reads as is).
    fn header(first_byte: u8, len: u64) -> Vec<u8> {
        crate::session::assembler::tests::header(first_byte, len, [0; 4])
    }

    fn client_frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
        let mut frame = header(first_byte, payload.len() as u64);
        frame.extend_from_slice(payload);
        frame
    }

    async fn pair(hard_limit: usize) -> (TcpStream, SocketReader) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let client = TcpStream::connect(listener.local_addr().expect("addr"))
            .await
            .expect("connect");
        let (server, _) = listener.accept().await.expect("accept");
        let (read, _write) = server.into_split();
        (client, SocketReader::new(read, BytesMut::new(), hard_limit))
    }

    /// The reader's next item, which must come without waiting for more
    /// bytes than were sent.
    async fn next_promptly(
        reader: &mut SocketReader,
    ) -> Option<Result<AggregatedMessage, ReadError>> {
        tokio::time::timeout(PROMPTLY, reader.next())
            .await
            .expect("an answer without waiting for more bytes")
    }

    #[tokio::test]
    async fn an_idle_socket_holds_no_read_buffer() {
        let (mut client, mut reader) = pair(1024).await;
        client
            .write_all(&client_frame(0x81, b"hello"))
            .await
            .expect("write");
        match reader.next().await {
            Some(Ok(AggregatedMessage::Text(text))) => assert_eq!(&*text, "hello"),
            other => panic!("expected the text, got {other:?}"),
        }
        let pending = poll_fn(|cx| Poll::Ready(Pin::new(&mut reader).poll_next(cx).is_pending()));
        assert!(pending.await, "nothing more to read yet");
        assert_eq!(reader.buf.capacity(), 0, "the read buffer was given back");
    }

    #[tokio::test]
    async fn a_header_declaring_more_than_the_limit_is_refused_before_its_payload() {
        for declared in [64 * 1024 * 1024, 1 << 62, u64::MAX] {
            let (mut client, mut reader) = pair(512 * 1024).await;
            client
                .write_all(&header(0x82, declared))
                .await
                .expect("write");
            match next_promptly(&mut reader).await {
                Some(Err(ReadError::Frame(e @ FrameError::TooBig { at_least, .. }))) => {
                    assert_eq!(at_least, declared);
                    assert_eq!(e.close_code(), 1009);
                }
                other => panic!("declared {declared}: expected too big, got {other:?}"),
            }
            assert!(
                reader.buf.capacity() <= 2 * READ_CHUNK_BYTES,
                "declared {declared}: nothing was reserved for the payload ({} bytes)",
                reader.buf.capacity()
            );
            assert!(
                reader.next().await.is_none(),
                "nothing is read after an error"
            );
        }
    }

    #[tokio::test]
    async fn a_fragment_taking_its_message_past_the_limit_is_refused_on_its_header() {
        let (mut client, mut reader) = pair(8).await;
        let mut bytes = client_frame(0x01, b"12345");
        // A ping between fragments counts for nothing.
        bytes.extend(client_frame(0x89, b"ping!"));
        // Its payload never comes: the header alone is refused.
        bytes.extend(header(0x80, 4));
        client.write_all(&bytes).await.expect("write");
        assert!(matches!(
            next_promptly(&mut reader).await,
            Some(Ok(AggregatedMessage::Ping(_)))
        ));
        match next_promptly(&mut reader).await {
            Some(Err(ReadError::Frame(
                e @ FrameError::TooBig {
                    at_least: 9,
                    limit: 8,
                },
            ))) => {
                assert_eq!(e.close_code(), 1009)
            }
            other => panic!("expected too big, got {other:?}"),
        }
        assert!(reader.next().await.is_none());
    }

    #[tokio::test]
    async fn invalid_utf8_text_closes_with_1007_and_the_end_of_stream_is_none() {
        let (mut client, mut reader) = pair(1024).await;
        client
            .write_all(&client_frame(0x81, &[0xff, 0xfe]))
            .await
            .expect("write");
        match next_promptly(&mut reader).await {
            Some(Err(ReadError::Frame(e @ FrameError::InvalidUtf8))) => {
                assert_eq!(e.close_code(), 1007)
            }
            other => panic!("expected invalid UTF-8, got {other:?}"),
        }

        let (client, mut reader) = pair(1024).await;
        drop(client);
        assert!(reader.next().await.is_none());
    }
}
