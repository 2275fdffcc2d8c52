//! Arbitrary client bytes through a session's frame decoding
//! (`FrameAssembler`, the sans-IO step of `session::reader`): it never
//! panics, never hands out a message above its limit, and gives the same
//! messages and the same verdict whether the bytes arrive at once or in
//! small reads, as they do from a socket.
//!
//! Input: one byte picks the limit, one seeds the read sizes, the rest is
//! the stream.

#![no_main]

use actix_ws::AggregatedMessage;
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use server::session::assembler::FrameAssembler;

/// Small limits reach the size checks; 16 KiB is the unauthenticated limit.
const LIMITS: [usize; 5] = [0, 8, 125, 1024, 16 * 1024];

/// What a run saw: the messages, then the close code of the error that
/// ended it (if any), and the bytes left undecoded.
#[derive(Debug, PartialEq)]
struct Outcome {
    messages: Vec<AggregatedMessage>,
    close_code: Option<u16>,
    left: usize,
}

/// Decodes everything `buf` holds; `false` once an error ended the stream.
fn drain(assembler: &mut FrameAssembler, buf: &mut BytesMut, outcome: &mut Outcome) -> bool {
    loop {
        match assembler.decode(buf) {
            Ok(Some(message)) => outcome.messages.push(message),
            Ok(None) => return true,
            Err(error) => {
                outcome.close_code = Some(error.close_code());
                return false;
            }
        }
    }
}

/// The stream fed as `reads` (lengths, cycled) would be by a socket.
fn run(stream: &[u8], limit: usize, reads: &mut dyn FnMut() -> usize) -> Outcome {
    let mut assembler = FrameAssembler::new(limit);
    let mut buf = BytesMut::new();
    let mut outcome = Outcome {
        messages: Vec::new(),
        close_code: None,
        left: 0,
    };
    let mut rest = stream;
    while !rest.is_empty() {
        let (read, more) = rest.split_at(reads().clamp(1, rest.len()));
        buf.extend_from_slice(read);
        rest = more;
        if !drain(&mut assembler, &mut buf, &mut outcome) {
            return outcome;
        }
    }
    outcome.left = buf.len();
    outcome
}

fuzz_target!(|data: &[u8]| {
    let [pick, seed, stream @ ..] = data else {
        return;
    };
    let limit = LIMITS[usize::from(*pick) % LIMITS.len()];
    let at_once = run(stream, limit, &mut || usize::MAX);
    for message in &at_once.messages {
        let len = match message {
            AggregatedMessage::Text(text) => text.len(),
            AggregatedMessage::Binary(bytes) => bytes.len(),
            AggregatedMessage::Ping(bytes) | AggregatedMessage::Pong(bytes) => {
                assert!(bytes.len() <= 125, "control payload of {}", bytes.len());
                bytes.len()
            }
            AggregatedMessage::Close(_) => 0,
        };
        assert!(
            len <= limit,
            "a message of {len} bytes passed the limit {limit}"
        );
    }
    // Read sizes from a small xorshift: mostly tiny, splitting headers.
    let mut state = u32::from(*seed) | 0x100;
    let mut reads = || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state % 16) as usize + 1
    };
    let piecewise = run(stream, limit, &mut reads);
    assert_eq!(
        at_once, piecewise,
        "the verdict depends on how bytes arrive"
    );
});
