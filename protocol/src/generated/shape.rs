//! Checks the generated declarations against what serde actually emits:
//! for a sample of every variant (`crate::samples`) and the fold fixtures'
//! boards and records, every key of the JSON is a field of the TypeScript
//! variant, every required field is present, and a `null` only appears
//! where the type allows it. A serde attribute that `ts-rs` reads
//! differently from serde fails here.

use std::collections::BTreeMap;

use serde::Serialize;
use ts_rs::TS;

use super::typescript::config;
use crate::board::{Board, Column, Command, Event, Item, Recorded};
use crate::org::OrgEvent;
use crate::samples;
use crate::wire::{ClientMsg, ServerMsg};

/// A field of a declaration: whether it is optional, and its line.
struct Field {
    optional: bool,
    line: String,
}

/// The fields of each variant of `T`'s declaration, by tag value (`""` for
/// a struct).
fn variants<T: TS>() -> BTreeMap<String, BTreeMap<String, Field>> {
    let decl = T::decl(&config());
    let body = decl
        .split_once(" = ")
        .map_or(decl.as_str(), |(_, body)| body);
    let mut out = BTreeMap::new();
    for chunk in body.split("} | {") {
        let tag = ["\"type\": \"", "\"code\": \""]
            .iter()
            .find_map(|open| chunk.split_once(open))
            .and_then(|(_, rest)| rest.split_once('"'))
            .map_or(String::new(), |(tag, _)| tag.to_owned());
        let mut fields = BTreeMap::new();
        for line in chunk.lines() {
            let Some((name, _)) = line.split_once(": ") else {
                continue;
            };
            let (name, optional) = match name.strip_suffix('?') {
                Some(name) => (name, true),
                None => (name, false),
            };
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                fields.insert(
                    name.to_owned(),
                    Field {
                        optional,
                        line: line.to_owned(),
                    },
                );
            }
        }
        out.insert(tag, fields);
    }
    out
}

/// Compares the JSON of every value with `T`'s declaration.
fn check<T: TS + Serialize>(values: &[T]) {
    let decl = variants::<T>();
    let name = T::ident(&config());
    for value in values {
        let json = serde_json::to_value(value).unwrap();
        let object = json.as_object().unwrap();
        let tag = ["type", "code"]
            .iter()
            .find_map(|key| object.get(*key).and_then(|v| v.as_str()))
            .filter(|_| decl.len() > 1 || !decl.contains_key(""))
            .unwrap_or_default();
        let fields = decl
            .get(tag)
            .unwrap_or_else(|| panic!("{name}: no variant {tag}"));
        for (key, v) in object {
            if ["type", "code"].contains(&key.as_str()) && !tag.is_empty() {
                continue;
            }
            let field = fields
                .get(key)
                .unwrap_or_else(|| panic!("{name}.{tag}: {key} undeclared"));
            assert!(
                !v.is_null() || field.line.contains("null"),
                "{name}.{key}: null"
            );
        }
        for (key, field) in fields {
            assert!(
                field.optional || object.contains_key(key),
                "{name}.{tag}: {key} missing"
            );
        }
    }
}

#[test]
fn generated_types_match_the_json_serde_emits() {
    // The parser sees every variant and field, so the checks below bite.
    assert_eq!(
        variants::<ServerMsg>().len(),
        crate::codec::SERVER_TYPES.len()
    );
    assert_eq!(variants::<Event>().len(), crate::codec::EVENT_TYPES.len());
    assert_eq!(
        variants::<Command>().len(),
        crate::codec::COMMAND_TYPES.len()
    );
    assert_eq!(variants::<Board>()[""].len(), 8);
    assert_eq!(variants::<ServerMsg>()["rejected"].len(), 5);
    let board = samples::board();
    let mut empty = Board::new(samples::BOARD);
    empty.comments.insert(
        crate::ids::CommentId::default(),
        crate::board::CommentMeta {
            item: samples::ITEM,
            author: samples::USER,
        },
    );
    check::<Board>(&[board.clone(), empty]);
    check::<Item>(&board.items.values().cloned().collect::<Vec<_>>());
    check::<Column>(&board.columns);
    check::<Event>(&samples::events());
    check::<Command>(&samples::commands());
    check::<OrgEvent>(&samples::org_events());
    check::<ClientMsg>(&samples::client_msgs());
    check::<ServerMsg>(&samples::server_msgs());
    let recorded = |command_id: Option<&str>| Recorded {
        board: samples::BOARD,
        seq: 1,
        at: samples::AT,
        by: samples::USER,
        command_id: command_id.map(str::to_owned),
        event: Event::BoardArchived,
    };
    check::<Recorded>(&[recorded(None), recorded(Some("c-1"))]);
}
