//! Arbitrary bytes as a MessagePack binary frame: `decode_client` never
//! panics, and whatever it accepts round-trips through both encodings.

#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::Format;

fuzz_target!(|data: &[u8]| {
    protocol_fuzz::decode_and_roundtrip(data, Format::MsgPack);
});
