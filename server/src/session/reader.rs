//! The reading half of a WebSocket the server has taken over from the HTTP
//! dispatcher (see `upgrade`): frames are decoded straight from the socket
//! and fragmented messages are put back together. Bytes are read into a
//! buffer that exists only while some are waiting, so an idle socket holds
//! no read buffer at all.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use actix_codec::Decoder;
use actix_http::ws::{Codec, Frame, Item, ProtocolError};
use actix_ws::AggregatedMessage;
use bytes::{Bytes, BytesMut};
use bytestring::ByteString;
use futures_util::Stream;
use tokio::net::tcp::OwnedReadHalf;

/// Bytes made room for before each read from the socket.
pub const READ_CHUNK_BYTES: usize = 4 * 1024;

/// A message arriving in fragments, put back together.
struct Fragments {
    text: bool,
    bytes: BytesMut,
}

/// Incoming messages of one WebSocket: text (checked UTF-8), binary, ping,
/// pong and close, each whole. A frame or message above the size limit is
/// [`ProtocolError::Overflow`]; after any error, and at end of stream,
/// nothing more is read.
pub struct SocketReader {
    io: OwnedReadHalf,
    buf: BytesMut,
    codec: Codec,
    fragments: Option<Fragments>,
    max_message: usize,
    done: bool,
}

impl SocketReader {
    /// Reads from `io`, starting with `already_read` (bytes the HTTP layer
    /// read past the handshake). Frames and reassembled messages above
    /// `max_message` bytes are refused.
    pub fn new(io: OwnedReadHalf, already_read: BytesMut, max_message: usize) -> Self {
        SocketReader {
            io,
            buf: already_read,
            codec: Codec::new().max_size(max_message),
            fragments: None,
            max_message,
            done: false,
        }
    }

    /// One decoded frame into a whole message, or `None` while a
    /// fragmented one is still arriving.
    fn message(&mut self, frame: Frame) -> Result<Option<AggregatedMessage>, ProtocolError> {
        // The codec itself refuses a data frame inside a fragmented message
        // (control frames may come between fragments) and a continuation
        // without a start.
        let whole = match frame {
            Frame::Text(bytes) => text(bytes)?,
            Frame::Binary(bytes) => AggregatedMessage::Binary(bytes),
            Frame::Ping(bytes) => AggregatedMessage::Ping(bytes),
            Frame::Pong(bytes) => AggregatedMessage::Pong(bytes),
            Frame::Close(reason) => AggregatedMessage::Close(reason),
            Frame::Continuation(item) => return self.fragment(item),
        };
        Ok(Some(whole))
    }

    fn fragment(&mut self, item: Item) -> Result<Option<AggregatedMessage>, ProtocolError> {
        let (bytes, first_is_text, last) = match item {
            Item::FirstText(bytes) => (bytes, Some(true), false),
            Item::FirstBinary(bytes) => (bytes, Some(false), false),
            Item::Continue(bytes) => (bytes, None, false),
            Item::Last(bytes) => (bytes, None, true),
        };
        if let Some(text) = first_is_text {
            self.fragments = Some(Fragments {
                text,
                bytes: BytesMut::new(),
            });
        }
        let Some(fragments) = self.fragments.as_mut() else {
            return Err(ProtocolError::ContinuationNotStarted);
        };
        if fragments.bytes.len() + bytes.len() > self.max_message {
            return Err(ProtocolError::Overflow);
        }
        fragments.bytes.extend_from_slice(&bytes);
        if !last {
            return Ok(None);
        }
        let Fragments {
            text: is_text,
            bytes,
        } = self.fragments.take().expect("checked above");
        let bytes = bytes.freeze();
        Ok(Some(if is_text {
            text(bytes)?
        } else {
            AggregatedMessage::Binary(bytes)
        }))
    }
}

fn text(bytes: Bytes) -> Result<AggregatedMessage, ProtocolError> {
    ByteString::try_from(bytes)
        .map(AggregatedMessage::Text)
        .map_err(|e| ProtocolError::Io(io::Error::new(io::ErrorKind::InvalidData, e)))
}

impl Stream for SocketReader {
    type Item = Result<AggregatedMessage, ProtocolError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            match this.codec.decode(&mut this.buf) {
                Ok(Some(frame)) => match this.message(frame) {
                    Ok(Some(message)) => return Poll::Ready(Some(Ok(message))),
                    Ok(None) => continue,
                    Err(e) => return this.fail(e),
                },
                Ok(None) => {}
                Err(e) => return this.fail(e),
            }
            if this.buf.is_empty() && this.buf.capacity() > 0 {
                // Nothing pending: give the buffer back while idle.
                this.buf = BytesMut::new();
            }
            if let Err(e) = ready!(this.io.as_ref().poll_read_ready(cx)) {
                return this.fail(ProtocolError::Io(e));
            }
            this.buf.reserve(READ_CHUNK_BYTES);
            match this.io.try_read_buf(&mut this.buf) {
                Ok(0) => {
                    this.done = true;
                    return Poll::Ready(None);
                }
                Ok(_) => {}
                // A spurious readiness: the next poll registers again.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return this.fail(ProtocolError::Io(e)),
            }
        }
    }
}

impl SocketReader {
    fn fail(&mut self, e: ProtocolError) -> Poll<Option<<Self as Stream>::Item>> {
        self.done = true;
        Poll::Ready(Some(Err(e)))
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;

    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;
    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    /// A client frame, masked with the all-zero key (so the payload reads
    /// as is).
    fn client_frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
        assert!(payload.len() < 126);
        let mut frame = vec![first_byte, 0x80 | payload.len() as u8, 0, 0, 0, 0];
        frame.extend_from_slice(payload);
        frame
    }

    async fn pair(max_message: usize) -> (TcpStream, SocketReader) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let client = TcpStream::connect(listener.local_addr().expect("addr"))
            .await
            .expect("connect");
        let (server, _) = listener.accept().await.expect("accept");
        let (read, _write) = server.into_split();
        (
            client,
            SocketReader::new(read, BytesMut::new(), max_message),
        )
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
    async fn fragments_above_the_limit_are_an_overflow() {
        let (mut client, mut reader) = pair(8).await;
        let mut bytes = client_frame(0x01, b"12345");
        bytes.extend(client_frame(0x80, b"67890"));
        client.write_all(&bytes).await.expect("write");
        assert!(matches!(
            reader.next().await,
            Some(Err(ProtocolError::Overflow))
        ));
        assert!(
            reader.next().await.is_none(),
            "nothing is read after an error"
        );
    }

    #[tokio::test]
    async fn invalid_utf8_text_is_an_error_and_the_end_of_stream_is_none() {
        let (mut client, mut reader) = pair(1024).await;
        client
            .write_all(&client_frame(0x81, &[0xff, 0xfe]))
            .await
            .expect("write");
        assert!(matches!(
            reader.next().await,
            Some(Err(ProtocolError::Io(_)))
        ));

        let (client, mut reader) = pair(1024).await;
        drop(client);
        assert!(reader.next().await.is_none());
    }
}
