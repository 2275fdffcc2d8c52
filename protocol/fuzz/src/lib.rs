//! What the codec fuzz targets check besides "never panics": a frame that
//! decodes is a message that survives encoding and decoding again, in both
//! formats, unchanged.

use protocol::codec::{decode_client, encode};
use protocol::{ClientMsg, Format};

/// Decodes `data` as a client frame in `format`; when that succeeds, the
/// message must round-trip through both encodings.
///
/// # Panics
/// When a decoded message does not round-trip: the finding.
pub fn decode_and_roundtrip(data: &[u8], format: Format) {
    let Ok(msg) = decode_client(data, format) else {
        return;
    };
    for again in Format::ALL {
        let bytes = encode(&msg, again);
        match decode_client(&bytes, again) {
            Ok(back) => assert_eq!(back, msg, "{again:?} round-trip changed the message"),
            Err(error) => panic!("{again:?} refused its own encoding of {msg:?}: {error}"),
        }
    }
    check_kind(&msg);
}

/// The message's `kind` is the tag the JSON encoding carries.
fn check_kind(msg: &ClientMsg) {
    let json = encode(msg, Format::Json);
    let tag = format!("\"type\":\"{}\"", msg.kind());
    let text = String::from_utf8_lossy(&json);
    assert!(text.starts_with(&format!("{{{tag}")), "{text} lacks {tag}");
}
