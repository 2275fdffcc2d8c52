//! Keeps the examples in `PROTOCOL.md` honest: every JSON line and
//! MessagePack hex dump there is produced by the real encoders. When a
//! message changes, this test fails and prints the blocks to paste
//! (`cargo test -p protocol spec_examples -- --nocapture`).

use serde::Serialize;

use super::{encode_json, encode_msgpack};
use crate::samples;

const SPEC: &str = include_str!("../../PROTOCOL.md");

/// Bytes as lowercase hex, 16 per line, separated by spaces.
fn hex_dump(bytes: &[u8]) -> String {
    bytes
        .chunks(16)
        .map(|line| {
            line.iter()
                .map(|byte| format!("{byte:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The two fenced blocks documenting one message.
fn blocks<T: Serialize>(msg: &T) -> [String; 2] {
    [
        format!("```json\n{}\n```", encode_json(msg)),
        format!("```text\n{}\n```", hex_dump(&encode_msgpack(msg))),
    ]
}

/// Every block the spec must contain, labelled for the failure report.
fn expected_blocks() -> Vec<(String, String)> {
    let mut expected = Vec::new();
    for msg in samples::client_msgs() {
        let label = format!("client {}", serde_json::to_value(&msg).unwrap()["type"]);
        for block in blocks(&msg) {
            expected.push((label.clone(), block));
        }
    }
    for msg in samples::server_msgs() {
        let label = format!("server {}", serde_json::to_value(&msg).unwrap()["type"]);
        for block in blocks(&msg) {
            expected.push((label.clone(), block));
        }
    }
    for command in samples::commands() {
        // Commands are shown as JSON only; their MessagePack follows the
        // same rules as the `command` message above.
        let block = format!("```json\n{}\n```", encode_json(&command));
        expected.push((format!("command {}", command.name()), block));
    }
    for event in samples::org_events() {
        // Organization events are shown as JSON only, like commands.
        let label = format!(
            "org event {}",
            serde_json::to_value(&event).unwrap()["type"]
        );
        expected.push((label, format!("```json\n{}\n```", encode_json(&event))));
    }
    expected
}

#[test]
fn protocol_md_examples_match_the_encoders() {
    let expected = expected_blocks();
    let missing: Vec<&str> = expected
        .iter()
        .filter(|(_, block)| !SPEC.contains(block.as_str()))
        .map(|(label, _)| label.as_str())
        .collect();
    if !missing.is_empty() {
        // Print every current block, so the spec can be regenerated whole.
        for (label, block) in &expected {
            println!("<!-- {label} -->\n{block}\n");
        }
    }
    assert!(
        missing.is_empty(),
        "PROTOCOL.md examples are stale or missing for: {}; the current blocks are printed above",
        missing.join(", ")
    );
}

#[test]
fn hex_dump_layout() {
    let bytes: Vec<u8> = (0..18).collect();
    assert_eq!(
        hex_dump(&bytes),
        "00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n10 11"
    );
}
