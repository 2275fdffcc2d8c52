//! Client bytes to whole WebSocket messages, with no I/O: the decoding step
//! of a socket's reader (`reader`), usable — and fuzzable — on any bytes.
//!
//! ```text
//! let mut assembler = FrameAssembler::new(limit);
//! // after each read appended to `buf`:
//! while let Some(message) = assembler.decode(&mut buf)? { /* … */ }
//! // on Err(e): close the socket with e.close_code(), read nothing more
//! ```
//!
//! [`FrameAssembler::decode`] consumes whole frames from the front of the
//! buffer and returns the next whole message (text with checked UTF-8,
//! binary, ping, pong or close; fragments put back together), or `None`
//! when it needs more bytes: the unfinished frame stays in the buffer. It
//! never panics, whatever the bytes; after an error the connection is to be
//! closed, and further calls mean nothing.
//!
//! # Limits
//! A frame whose header declares more than the limit is refused as soon as
//! its length (in the first 10 bytes) is in the buffer, before any of its
//! payload, and so is a continuation frame whose declared length takes its
//! message past the limit: [`FrameError::TooBig`]. So the caller never has
//! to hold more than one frame of at most `limit` payload bytes, and the
//! assembler keeps at most `limit` bytes of an unfinished message. Nothing
//! here reserves buffer space from a declared length: how the caller's
//! buffer grows is the caller's business.
//!
//! Every other framing fault that a header shows (reserved bits, an
//! unknown opcode, an unmasked frame, a fragmented or over-long control
//! frame) is refused on the header too.

use actix_codec::Decoder;
use actix_http::ws::{Codec, Frame, Item, OpCode, ProtocolError};
use actix_ws::AggregatedMessage;
use bytes::{Bytes, BytesMut};
use bytestring::ByteString;

/// Why a connection's bytes were refused. Each maps to the close code
/// the socket is closed with ([`FrameError::close_code`]).
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// A frame, or a fragmented message so far, declares more bytes than
    /// the limit (close 1009).
    #[error("a message of at least {at_least} bytes exceeds the limit of {limit} bytes")]
    TooBig { at_least: u64, limit: usize },
    /// A text message or a close reason is not valid UTF-8 (close 1007).
    #[error("a text message or close reason is not valid UTF-8")]
    InvalidUtf8,
    /// Reserved bits set, with no extension negotiated (close 1002).
    #[error("reserved bits are set but no extension was negotiated")]
    ReservedBits,
    /// Any other violation of RFC 6455 framing (close 1002).
    #[error("invalid framing: {0}")]
    Protocol(#[from] ProtocolError),
}

impl FrameError {
    /// The close code the socket is closed with (RFC 6455 §7.4.1).
    pub fn close_code(&self) -> u16 {
        match self {
            FrameError::TooBig { .. } => super::close::TOO_BIG,
            FrameError::InvalidUtf8 => super::close::INVALID_DATA,
            FrameError::ReservedBits | FrameError::Protocol(_) => super::close::PROTOCOL_ERROR,
        }
    }
}

/// Longest control frame payload (RFC 6455 §5.5).
const MAX_CONTROL_PAYLOAD: u64 = 125;

/// Frame opcodes (RFC 6455 §5.2).
mod opcode {
    pub const CONTINUATION: u8 = 0x0;
    pub const TEXT: u8 = 0x1;
    pub const BINARY: u8 = 0x2;
    pub const CLOSE: u8 = 0x8;
    pub const PING: u8 = 0x9;
    pub const PONG: u8 = 0xA;
}

/// What the first bytes of a frame declare.
struct Header {
    opcode: u8,
    /// Declared payload length.
    len: u64,
    /// Header bytes, masking key included.
    size: usize,
}

impl Header {
    /// The header at the front of `buf`, checked; `None` until its length
    /// is there.
    fn parse(buf: &[u8]) -> Result<Option<Header>, FrameError> {
        let [first, second, ..] = *buf else {
            return Ok(None);
        };
        if first & 0x70 != 0 {
            return Err(FrameError::ReservedBits);
        }
        if second & 0x80 == 0 {
            return Err(ProtocolError::UnmaskedFrame.into());
        }
        let fin = first & 0x80 != 0;
        let opcode = first & 0x0F;
        match opcode {
            opcode::CONTINUATION | opcode::TEXT | opcode::BINARY => {}
            opcode::CLOSE | opcode::PING | opcode::PONG if !fin => {
                return Err(ProtocolError::ContinuationFragment(OpCode::from(opcode)).into());
            }
            opcode::CLOSE | opcode::PING | opcode::PONG => {}
            other => return Err(ProtocolError::InvalidOpcode(other).into()),
        }
        let (len, at) = match second & 0x7F {
            126 => match buf.get(2..4) {
                Some(&[a, b]) => (u64::from(u16::from_be_bytes([a, b])), 4),
                _ => return Ok(None),
            },
            127 => match buf.get(2..10).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
                Some(bytes) => (u64::from_be_bytes(bytes), 10),
                None => return Ok(None),
            },
            short => (u64::from(short), 2),
        };
        if opcode >= opcode::CLOSE && len > MAX_CONTROL_PAYLOAD {
            let len = usize::try_from(len).unwrap_or(usize::MAX);
            return Err(ProtocolError::InvalidLength(len).into());
        }
        // The masking key follows; it is not needed to judge the frame.
        Ok(Some(Header {
            opcode,
            len,
            size: at + 4,
        }))
    }
}

/// A message arriving in fragments, put back together.
struct Fragments {
    text: bool,
    bytes: Vec<u8>,
}

/// Turns a client's bytes into whole messages, refusing any frame or
/// fragmented message above its limit on the frame's header.
pub struct FrameAssembler {
    codec: Codec,
    fragments: Option<Fragments>,
    limit: usize,
    /// The limit given to `new`, which `set_limit` never passes.
    ceiling: usize,
}

impl FrameAssembler {
    /// An assembler refusing frames and messages of more than `limit`
    /// payload bytes.
    pub fn new(limit: usize) -> Self {
        FrameAssembler {
            codec: Codec::new().max_size(limit),
            fragments: None,
            limit,
            ceiling: limit,
        }
    }

    /// Change the limit for the frames to come, at most to the one given
    /// to [`FrameAssembler::new`] (a session raises it from its
    /// unauthenticated limit once the client has authenticated).
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit.min(self.ceiling);
    }

    /// The next whole message from the front of `buf`, consuming the frames
    /// it took; `Ok(None)` when `buf` ends inside a frame (which stays in
    /// `buf`, so append more bytes and call again).
    ///
    /// # Errors
    /// [`FrameError`] when the bytes break RFC 6455 or the limit; the
    /// connection is to be closed with [`FrameError::close_code`].
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<AggregatedMessage>, FrameError> {
        loop {
            let Some(header) = Header::parse(buf)? else {
                return Ok(None);
            };
            self.check_size(&header)?;
            let end = (header.size as u64).saturating_add(header.len);
            if (buf.len() as u64) < end {
                return Ok(None);
            }
            if header.opcode == opcode::CLOSE {
                let (head, payload) = buf[..end as usize].split_at(header.size);
                check_close_reason(payload, &head[header.size - 4..])?;
            }
            // The frame is whole, so the codec neither waits nor reserves.
            let Some(frame) = self.codec.decode(buf)? else {
                return Ok(None);
            };
            if let Some(message) = self.message(frame)? {
                return Ok(Some(message));
            }
        }
    }

    /// Refuse a frame whose payload, with the fragments before it, would
    /// pass the limit.
    fn check_size(&self, header: &Header) -> Result<(), FrameError> {
        let so_far = match &self.fragments {
            Some(fragments) if header.opcode == opcode::CONTINUATION => fragments.bytes.len(),
            _ => 0,
        };
        let at_least = (so_far as u64).saturating_add(header.len);
        if at_least > self.limit as u64 {
            return Err(FrameError::TooBig {
                at_least,
                limit: self.limit,
            });
        }
        Ok(())
    }

    /// One decoded frame into a whole message, or `None` while a
    /// fragmented one is still arriving.
    fn message(&mut self, frame: Frame) -> Result<Option<AggregatedMessage>, FrameError> {
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

    fn fragment(&mut self, item: Item) -> Result<Option<AggregatedMessage>, FrameError> {
        let (bytes, first_is_text, last) = match item {
            Item::FirstText(bytes) => (bytes, Some(true), false),
            Item::FirstBinary(bytes) => (bytes, Some(false), false),
            Item::Continue(bytes) => (bytes, None, false),
            Item::Last(bytes) => (bytes, None, true),
        };
        if let Some(text) = first_is_text {
            self.fragments = Some(Fragments {
                text,
                bytes: Vec::new(),
            });
        }
        let Some(fragments) = self.fragments.as_mut() else {
            return Err(ProtocolError::ContinuationNotStarted.into());
        };
        // Copied, so the read buffers the fragments came in are not kept
        // alive; grown by doubling but never past the limit (checked on
        // the header: the total fits).
        let needed = fragments.bytes.len() + bytes.len();
        if needed > fragments.bytes.capacity() {
            let doubled = fragments.bytes.capacity().saturating_mul(2);
            let grown = doubled.clamp(needed, self.limit.max(needed));
            fragments.bytes.reserve_exact(grown - fragments.bytes.len());
        }
        fragments.bytes.extend_from_slice(&bytes);
        if !last {
            return Ok(None);
        }
        let Some(Fragments {
            text: is_text,
            bytes,
        }) = self.fragments.take()
        else {
            return Ok(None);
        };
        let bytes = Bytes::from(bytes);
        Ok(Some(if is_text {
            text(bytes)?
        } else {
            AggregatedMessage::Binary(bytes)
        }))
    }
}

fn text(bytes: Bytes) -> Result<AggregatedMessage, FrameError> {
    ByteString::try_from(bytes)
        .map(AggregatedMessage::Text)
        .map_err(|_| FrameError::InvalidUtf8)
}

/// A close frame's reason must be UTF-8 (RFC 6455 §5.5.1); the codec would
/// refuse it with the same error as an unknown close code, so it is checked
/// here, on the masked payload (at most 125 bytes).
fn check_close_reason(masked: &[u8], mask: &[u8]) -> Result<(), FrameError> {
    let mut payload = [0u8; MAX_CONTROL_PAYLOAD as usize];
    for (out, (byte, key)) in payload
        .iter_mut()
        .zip(masked.iter().zip(mask.iter().cycle()))
    {
        *out = byte ^ key;
    }
    let len = masked.len().min(payload.len());
    match payload[..len].get(2..) {
        Some(reason) if std::str::from_utf8(reason).is_err() => Err(FrameError::InvalidUtf8),
        _ => Ok(()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The header of a client frame declaring `len` payload bytes, masked
    /// with `mask` (the all-zero key lets a payload that follows read as is).
    pub(crate) fn header(first_byte: u8, len: u64, mask: [u8; 4]) -> Vec<u8> {
        let mut bytes = vec![first_byte];
        if len < 126 {
            bytes.push(0x80 | len as u8);
        } else if let Ok(short) = u16::try_from(len) {
            bytes.push(0x80 | 126);
            bytes.extend(short.to_be_bytes());
        } else {
            bytes.push(0x80 | 127);
            bytes.extend(len.to_be_bytes());
        }
        bytes.extend(mask);
        bytes
    }

    /// A client frame masked with `mask`.
    fn masked(first_byte: u8, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
        let mut bytes = header(first_byte, payload.len() as u64, mask);
        bytes.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        bytes
    }

    fn frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
        masked(first_byte, payload, [0x37, 0xfa, 0x21, 0x3d])
    }

    /// Every message in `bytes`, fed in one piece, or the first error.
    fn decode_all(limit: usize, bytes: &[u8]) -> Result<Vec<AggregatedMessage>, FrameError> {
        let mut assembler = FrameAssembler::new(limit);
        let mut buf = BytesMut::from(bytes);
        let mut messages = Vec::new();
        while let Some(message) = assembler.decode(&mut buf)? {
            messages.push(message);
        }
        Ok(messages)
    }

    #[test]
    fn bytes_fed_one_at_a_time_give_the_same_messages() {
        let mut bytes = frame(0x01, "{\"title\":\"caf".as_bytes());
        bytes.extend(frame(0x89, b"mid"));
        bytes.extend(frame(0x80, "é\"}".as_bytes()));
        bytes.extend(frame(0x82, &[7; 300]));
        bytes.extend(frame(0x88, &[0x03, 0xe8, b'b', b'y', b'e']));
        let mut assembler = FrameAssembler::new(1024);
        let mut buf = BytesMut::new();
        let mut messages = Vec::new();
        for byte in bytes {
            buf.extend_from_slice(&[byte]);
            while let Some(message) = assembler.decode(&mut buf).expect("valid") {
                messages.push(message);
            }
        }
        assert!(buf.is_empty(), "every frame consumed");
        let [ping, text, binary, close] = &messages[..] else {
            panic!("four messages, got {messages:?}");
        };
        assert!(matches!(ping, AggregatedMessage::Ping(p) if &p[..] == b"mid"));
        assert!(matches!(text, AggregatedMessage::Text(t) if &**t == "{\"title\":\"café\"}"));
        assert!(matches!(binary, AggregatedMessage::Binary(b) if b.len() == 300));
        assert!(
            matches!(close, AggregatedMessage::Close(Some(r)) if r.description.as_deref() == Some("bye"))
        );
    }

    #[test]
    fn a_limit_can_be_lowered_and_raised_but_never_past_the_first() {
        let mut assembler = FrameAssembler::new(1000);
        assembler.set_limit(100);
        assert_eq!(assembler.limit, 100);
        assembler.set_limit(1_000_000);
        assert_eq!(assembler.limit, 1000, "the codec's ceiling stands");
    }

    #[test]
    fn the_limit_is_inclusive_for_frames_and_fragmented_messages() {
        assert!(decode_all(300, &frame(0x82, &[0; 300])).is_ok());
        let err = decode_all(300, &frame(0x82, &[0; 301])).expect_err("too big");
        assert!(matches!(
            err,
            FrameError::TooBig {
                at_least: 301,
                limit: 300
            }
        ));

        let mut bytes = frame(0x02, &[0; 200]);
        bytes.extend(frame(0x80, &[0; 100]));
        assert!(decode_all(300, &bytes).is_ok());
        bytes.extend(frame(0x02, &[0; 200]));
        bytes.extend(frame(0x80, &[0; 101]));
        let err = decode_all(300, &bytes).expect_err("too big");
        assert!(matches!(
            err,
            FrameError::TooBig {
                at_least: 301,
                limit: 300
            }
        ));
    }

    #[test]
    fn a_refused_header_consumes_nothing_and_reserves_nothing() {
        let mut assembler = FrameAssembler::new(1024);
        let mut buf = BytesMut::from(&[0x82, 0xFF][..]);
        buf.extend_from_slice(&(1u64 << 62).to_be_bytes());
        let before = buf.capacity();
        assert!(matches!(
            assembler.decode(&mut buf),
            Err(FrameError::TooBig { .. })
        ));
        assert_eq!(buf.len(), 10, "the header stays; no mask was needed");
        assert_eq!(buf.capacity(), before);
    }

    #[test]
    fn a_partial_header_waits_without_touching_the_buffer() {
        for cut in 0..14 {
            let whole = frame(0x82, &[1; 70_000]);
            let mut assembler = FrameAssembler::new(100_000);
            let mut buf = BytesMut::from(&whole[..cut]);
            let before = buf.capacity();
            assert!(
                matches!(assembler.decode(&mut buf), Ok(None)),
                "cut at {cut}"
            );
            assert_eq!((buf.len(), buf.capacity()), (cut, before), "cut at {cut}");
        }
    }

    #[test]
    fn framing_faults_a_header_shows_are_refused_on_the_header() {
        let refused = |bytes: &[u8]| {
            let mut buf = BytesMut::from(bytes);
            let err = FrameAssembler::new(1 << 20)
                .decode(&mut buf)
                .expect_err("refused");
            (err.close_code(), err)
        };
        // A ping declaring 200 bytes, none of them sent.
        let (code, err) = refused(&[0x89, 0x80 | 126, 0, 200]);
        assert_eq!(code, 1002, "{err}");
        // A fragmented ping.
        assert_eq!(refused(&[0x09, 0x80]).0, 1002);
        // An unmasked frame, reserved bits, an unknown opcode.
        assert_eq!(refused(&[0x81, 0x05]).0, 1002);
        assert!(matches!(refused(&[0xC1, 0x85]).1, FrameError::ReservedBits));
        assert_eq!(refused(&[0x83, 0x80]).0, 1002);
    }

    #[test]
    fn invalid_utf8_is_refused_in_text_messages_and_close_reasons_alone() {
        let code = |bytes: Vec<u8>| decode_all(1024, &bytes).expect_err("refused").close_code();
        assert_eq!(code(frame(0x81, &[b'a', 0xff])), 1007);
        let mut split = frame(0x01, b"ok");
        split.extend(frame(0x80, &[0xc3]));
        assert_eq!(code(split), 1007, "a character cut short at the end");
        assert_eq!(code(frame(0x88, &[0x03, 0xe8, 0xff])), 1007);
        assert!(
            decode_all(1024, &frame(0x82, &[0xff, 0xfe])).is_ok(),
            "binary is bytes"
        );
    }

    #[test]
    fn the_fragment_buffer_never_grows_past_the_limit() {
        let mut assembler = FrameAssembler::new(1000);
        let mut buf = BytesMut::from(&frame(0x02, &[0; 600])[..]);
        buf.extend(frame(0x00, &[0; 300]));
        assert!(matches!(assembler.decode(&mut buf), Ok(None)));
        let held = assembler.fragments.as_ref().map(|f| f.bytes.capacity());
        assert_eq!(held, Some(1000), "doubling stops at the limit");
        buf.extend(frame(0x80, &[0; 100]));
        assert!(matches!(
            assembler.decode(&mut buf),
            Ok(Some(AggregatedMessage::Binary(b))) if b.len() == 1000
        ));
    }

    /// What decoding `bytes` fed in `chunks` gives: each message (as its
    /// debug text), then the close code of the error that ended it, if any.
    fn outcome(limit: usize, bytes: &[u8], chunks: &mut dyn Iterator<Item = usize>) -> Vec<String> {
        let mut assembler = FrameAssembler::new(limit);
        let mut buf = BytesMut::new();
        let mut seen = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            let (chunk, after) = rest.split_at(chunks.next().unwrap_or(1).clamp(1, rest.len()));
            rest = after;
            buf.extend_from_slice(chunk);
            loop {
                match assembler.decode(&mut buf) {
                    Ok(Some(message)) => seen.push(format!("{message:?}")),
                    Ok(None) => break,
                    Err(e) => {
                        seen.push(format!("close {}", e.close_code()));
                        return seen;
                    }
                }
            }
        }
        seen
    }

    #[test]
    fn any_bytes_in_any_chunks_decode_alike_and_never_panic() {
        // A fixed xorshift, so a failure reproduces.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let first_bytes = [
            0x81, 0x82, 0x01, 0x02, 0x00, 0x80, 0x88, 0x89, 0x8A, 0x8B, 0xC1,
        ];
        let (mut messages, mut closes) = (0, 0);
        for _ in 0..2000 {
            let mut bytes = Vec::new();
            for _ in 0..next() % 6 {
                let first = first_bytes[(next() % first_bytes.len() as u64) as usize];
                let payload: Vec<u8> = (0..next() % 140).map(|_| next() as u8).collect();
                match next() % 8 {
                    0 => bytes.extend((0..next() % 12).map(|_| next() as u8)),
                    1 => bytes.extend(masked(first, b"", [0; 4]).iter().take(2)),
                    _ => bytes.extend(frame(first, &payload)),
                }
            }
            let whole = outcome(100, &bytes, &mut std::iter::once(bytes.len()));
            let sizes: Vec<usize> = (0..bytes.len())
                .map(|_| 1 + (next() % 9) as usize)
                .collect();
            let chunked = outcome(100, &bytes, &mut sizes.into_iter());
            assert_eq!(whole, chunked, "{bytes:02x?}");
            closes += whole.iter().filter(|o| o.starts_with("close")).count();
            messages += whole.len();
        }
        // Both paths were taken often, not only the first error.
        assert!(
            closes > 200 && messages - closes > 200,
            "{messages} {closes}"
        );
    }
}
