//! `web/client/src/generated/protocol.ts`: every type that travels on the
//! WebSocket, as TypeScript declarations derived by `ts-rs` from the serde
//! types (so optional fields, tags and renames follow serde), followed by
//! the protocol's constants, close codes and error codes.
//!
//! Every integer is a JavaScript `number`: seqs, item numbers, millis and
//! limits all stay below 2^53, so the large-integer binding is set to
//! `number` here, in code, rather than through `TS_RS_LARGE_INT`.

use std::fmt::Write as _;

use ts_rs::{Config, TS};

use crate::board::{Board, Column, Command, CommentMeta, Event, Item, Recorded, Rejection};
use crate::codec::{
    CLIENT_TYPES, COMMAND_TYPES, EVENT_TYPES, JSON_SUBPROTOCOL, MSGPACK_SUBPROTOCOL,
    ORG_EVENT_TYPES, SERVER_TYPES,
};
use crate::ids::{BoardId, ColumnId, CommentId, InviteId, ItemId, Millis, OrgId, UserId};
use crate::org::{Member, OrgEvent, OrgRequest, ORG_REQUEST_TYPES};
use crate::presence::{Cursor, PresenceChange, PresenceEntry, PresenceState};
use crate::role::Role;
use crate::wire::{ClientMsg, Limits, ServerMsg, COMMAND_ID_MAX, PRESENCE_MIN_INTERVAL_MS};
use crate::{close, codes};

/// Where the file is committed, from the workspace root.
pub const PATH: &str = "web/client/src/generated/protocol.ts";

const HEADER: &str = "\
// Generated from the Rust definitions in protocol/ by `cargo test -p protocol`; do not edit.
// Regenerate: CORKBOARD_BLESS=1 cargo test -p protocol generated
/* eslint-disable */
";

/// `ts-rs`'s settings: every integer a `number`.
pub fn config() -> Config {
    Config::new().with_large_int("number")
}

/// A declaration: its TypeScript name, its text and its dependencies' names.
struct Decl {
    name: String,
    text: String,
    deps: Vec<String>,
}

fn decl<T: TS + 'static>(cfg: &Config) -> Decl {
    let mut text = T::docs().unwrap_or_default();
    text.push_str("export ");
    text.push_str(&T::decl(cfg));
    Decl {
        name: T::ident(cfg),
        text,
        deps: T::dependencies(cfg)
            .into_iter()
            .map(|d| d.ts_name)
            .collect(),
    }
}

/// Every exported type, in file order: ids first, then the board, the
/// organization, presence, and the messages that carry them.
fn decls(cfg: &Config) -> Vec<Decl> {
    vec![
        decl::<BoardId>(cfg),
        decl::<OrgId>(cfg),
        decl::<UserId>(cfg),
        decl::<ItemId>(cfg),
        decl::<ColumnId>(cfg),
        decl::<CommentId>(cfg),
        decl::<InviteId>(cfg),
        decl::<Millis>(cfg),
        decl::<serde_json::Value>(cfg),
        decl::<Role>(cfg),
        decl::<Column>(cfg),
        decl::<Item>(cfg),
        decl::<CommentMeta>(cfg),
        decl::<Board>(cfg),
        decl::<Event>(cfg),
        decl::<Recorded>(cfg),
        decl::<Command>(cfg),
        decl::<Rejection>(cfg),
        decl::<Member>(cfg),
        decl::<OrgEvent>(cfg),
        decl::<OrgRequest>(cfg),
        decl::<Cursor>(cfg),
        decl::<PresenceState>(cfg),
        decl::<PresenceEntry>(cfg),
        decl::<PresenceChange>(cfg),
        decl::<Limits>(cfg),
        decl::<ClientMsg>(cfg),
        decl::<ServerMsg>(cfg),
    ]
}

fn js_string(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn string_list(out: &mut String, doc: &str, name: &str, items: &[&str]) {
    let items: Vec<String> = items.iter().map(|s| js_string(s)).collect();
    writeln!(out, "/** {doc} */").unwrap();
    writeln!(
        out,
        "export const {name} = [{}] as const;",
        items.join(", ")
    )
    .unwrap();
}

fn constants(out: &mut String) {
    out.push_str("\n// Constants.\n\n");
    let subprotocols = [
        ("JSON_SUBPROTOCOL", JSON_SUBPROTOCOL, "JSON text frames"),
        (
            "MSGPACK_SUBPROTOCOL",
            MSGPACK_SUBPROTOCOL,
            "MessagePack binary frames",
        ),
    ];
    for (name, value, what) in subprotocols {
        writeln!(out, "/** WebSocket subprotocol for {what}. */").unwrap();
        writeln!(out, "export const {name} = {};", js_string(value)).unwrap();
    }
    writeln!(out, "/** Largest client command id, in bytes. */").unwrap();
    writeln!(out, "export const COMMAND_ID_MAX = {COMMAND_ID_MAX};").unwrap();
    writeln!(
        out,
        "/** Least time between two presence updates of one session that others see. */"
    )
    .unwrap();
    writeln!(
        out,
        "export const PRESENCE_MIN_INTERVAL_MS = {PRESENCE_MIN_INTERVAL_MS};"
    )
    .unwrap();
    string_list(
        out,
        "The `type` tags of `ClientMsg`.",
        "CLIENT_TYPES",
        CLIENT_TYPES,
    );
    string_list(
        out,
        "The `type` tags of `ServerMsg`.",
        "SERVER_TYPES",
        SERVER_TYPES,
    );
    string_list(
        out,
        "The `type` tags of `Command`.",
        "COMMAND_TYPES",
        COMMAND_TYPES,
    );
    string_list(
        out,
        "The `type` tags of `OrgRequest`.",
        "ORG_REQUEST_TYPES",
        ORG_REQUEST_TYPES,
    );
    string_list(
        out,
        "The `type` tags of `Event`.",
        "EVENT_TYPES",
        EVENT_TYPES,
    );
    string_list(
        out,
        "The `type` tags of `OrgEvent`.",
        "ORG_EVENT_TYPES",
        ORG_EVENT_TYPES,
    );
}

fn close_codes(out: &mut String) {
    out.push_str("\n// Close codes.\n\n");
    out.push_str("/** The WebSocket close codes the server sends. */\nexport const CLOSE = {\n");
    for c in close::ALL {
        writeln!(out, "  /** {} */", c.description).unwrap();
        writeln!(out, "  {}: {},", c.name, c.code).unwrap();
    }
    out.push_str("} as const;\n");
    out.push_str("/** A close code the server sends. */\n");
    out.push_str("export type CloseCode = (typeof CLOSE)[keyof typeof CLOSE];\n");
    let codes = |reconnect: bool| -> String {
        let list: Vec<String> = close::ALL
            .iter()
            .filter(|c| c.reconnect == reconnect)
            .map(|c| c.code.to_string())
            .collect();
        list.join(", ")
    };
    writeln!(
        out,
        "/** Close codes after which a client reconnects with backoff. */\n\
         export const CLOSE_RECONNECT = [{}] as const;",
        codes(true)
    )
    .unwrap();
    writeln!(
        out,
        "/** Close codes after which reconnecting as before fails the same way \
         (`POLICY`: only with a new token). */\n\
         export const CLOSE_TERMINAL = [{}] as const;",
        codes(false)
    )
    .unwrap();
}

fn error_codes(out: &mut String) {
    out.push_str("\n// Error codes (`error.code`, `rejected.code`, `unsubscribed.reason`).\n\n");
    out.push_str("/** Every machine code a client can receive. */\nexport type ErrorCode =\n");
    for c in codes::ALL {
        writeln!(out, "  | {}", js_string(c.code)).unwrap();
    }
    out.push_str(";\n");
    let all: Vec<&str> = codes::ALL.iter().map(|c| c.code).collect();
    string_list(out, "Every `ErrorCode`, sorted.", "ERROR_CODES", &all);
    let retryable: Vec<&str> = codes::ALL
        .iter()
        .filter(|c| c.retryable)
        .map(|c| c.code)
        .collect();
    string_list(
        out,
        "The codes after which sending the same message again later may succeed.",
        "RETRYABLE_ERROR_CODES",
        &retryable,
    );
    out.push_str("/** What each code means. */\n");
    out.push_str(
        "export const ERROR_CODE_DESCRIPTIONS: { readonly [code in ErrorCode]: string } = {\n",
    );
    for c in codes::ALL {
        writeln!(out, "  {}: {},", c.code, js_string(c.description)).unwrap();
    }
    out.push_str("};\n");
}

/// The whole file.
pub fn render() -> String {
    let cfg = config();
    let mut out = String::from(HEADER);
    for d in decls(&cfg) {
        out.push('\n');
        // ts-rs leaves a space at the end of each field's line.
        for line in d.text.trim_end().lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    constants(&mut out);
    close_codes(&mut out);
    error_codes(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_ts_is_current() {
        super::super::check_or_bless(PATH, &render());
    }

    #[test]
    fn every_dependency_is_declared_and_no_bigint() {
        let cfg = config();
        let decls = decls(&cfg);
        let names: Vec<&str> = decls.iter().map(|d| d.name.as_str()).collect();
        for d in &decls {
            for dep in &d.deps {
                assert!(names.contains(&dep.as_str()), "{} needs {dep}", d.name);
            }
            assert!(!d.text.contains("bigint"), "{} has a bigint", d.name);
            assert!(!d.text.contains("import "), "{} imports", d.name);
        }
    }
}
