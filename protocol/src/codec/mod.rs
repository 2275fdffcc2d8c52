//! Encodings: JSON and MessagePack on the wire, MessagePack for persisted
//! events and snapshots.
//!
//! Both wire encodings carry the same serde types. MessagePack is written
//! with named fields (structs as maps) and in human-readable mode, so a UUID
//! is the same 36-character string in both encodings and a MessagePack
//! message reads like its JSON twin; a client may build its MessagePack
//! frames from plain objects. Decoding classifies every failure with a
//! stable [`DecodeError::code`].

use std::io::Cursor;

use serde::de::{DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::board::{Board, Event};
use crate::wire::{ClientMsg, ServerMsg};

#[cfg(test)]
mod spec_examples;
#[cfg(test)]
mod tests;

/// WebSocket subprotocol for JSON text frames.
pub const JSON_SUBPROTOCOL: &str = "corkboard.v1.json";
/// WebSocket subprotocol for MessagePack binary frames.
pub const MSGPACK_SUBPROTOCOL: &str = "corkboard.v1.msgpack";

/// The `type` tags of [`ClientMsg`].
pub const CLIENT_TYPES: &[&str] = &[
    "auth",
    "subscribe",
    "unsubscribe",
    "command",
    "org_command",
    "subscribe_org",
    "unsubscribe_org",
    "presence",
    "ping",
];
/// The `type` tags of [`ServerMsg`].
pub const SERVER_TYPES: &[&str] = &[
    "welcome",
    "snapshot",
    "event",
    "ack",
    "org_ack",
    "rejected",
    "unsubscribed",
    "error",
    "org_snapshot",
    "org_event",
    "org_unsubscribed",
    "presence",
    "presence_changed",
    "pong",
];
/// The `type` tags of [`crate::Command`] (see [`crate::Command::name`]).
pub const COMMAND_TYPES: &[&str] = &[
    "rename_board",
    "add_column",
    "rename_column",
    "move_column",
    "remove_column",
    "set_wip_limit",
    "create_item",
    "edit_item",
    "move_item",
    "assign_item",
    "unassign_item",
    "add_label",
    "remove_label",
    "archive_item",
    "restore_item",
    "archive_board",
    "restore_board",
    "add_comment",
    "edit_comment",
    "delete_comment",
];
/// The `type` tags of [`Event`].
pub const EVENT_TYPES: &[&str] = &[
    "board_created",
    "board_renamed",
    "column_added",
    "column_renamed",
    "column_moved",
    "column_removed",
    "wip_limit_set",
    "item_created",
    "item_edited",
    "item_moved",
    "item_assigned",
    "item_unassigned",
    "label_added",
    "label_removed",
    "item_archived",
    "item_restored",
    "board_archived",
    "board_restored",
    "comment_added",
    "comment_edited",
    "comment_deleted",
];
/// The `type` tags of [`crate::OrgEvent`].
pub const ORG_EVENT_TYPES: &[&str] = &[
    "member_added",
    "member_role_changed",
    "member_removed",
    "board_created",
    "board_archived",
    "board_restored",
    "org_created",
    "org_renamed",
    "org_deleted",
    "invite_created",
    "invite_accepted",
    "invite_revoked",
];

/// A wire encoding, chosen once per connection by subprotocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// JSON in WebSocket text frames (`corkboard.v1.json`).
    Json,
    /// MessagePack in WebSocket binary frames (`corkboard.v1.msgpack`).
    MsgPack,
}

impl Format {
    /// Both formats, in the server's order of preference when a client
    /// offers both.
    pub const ALL: [Format; 2] = [Format::Json, Format::MsgPack];

    /// The format for a `Sec-WebSocket-Protocol` value, if it is ours.
    pub fn from_subprotocol(name: &str) -> Option<Format> {
        match name.trim() {
            JSON_SUBPROTOCOL => Some(Format::Json),
            MSGPACK_SUBPROTOCOL => Some(Format::MsgPack),
            _ => None,
        }
    }

    /// The `Sec-WebSocket-Protocol` value of this format.
    pub fn subprotocol(&self) -> &'static str {
        match self {
            Format::Json => JSON_SUBPROTOCOL,
            Format::MsgPack => MSGPACK_SUBPROTOCOL,
        }
    }

    /// Whether messages travel in text frames (JSON) rather than binary.
    pub fn is_text(&self) -> bool {
        matches!(self, Format::Json)
    }
}

/// Why a frame could not be decoded. [`DecodeError::code`] is the stable
/// machine code; `Display` names the problem (serde's own words).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Not valid JSON / MessagePack at all, or trailing bytes after it.
    #[error("malformed frame: {0}")]
    MalformedFrame(String),
    /// A `type` tag that names no known message, command or event.
    #[error("unknown type: {0}")]
    UnknownType(String),
    /// A known type with a missing, unknown or ill-typed field.
    #[error("invalid message: {0}")]
    InvalidMessage(String),
}

impl DecodeError {
    /// `malformed_frame`, `unknown_type` or `invalid_message`.
    pub fn code(&self) -> &'static str {
        match self {
            DecodeError::MalformedFrame(_) => crate::codes::MALFORMED_FRAME,
            DecodeError::UnknownType(_) => crate::codes::UNKNOWN_TYPE,
            DecodeError::InvalidMessage(_) => crate::codes::INVALID_MESSAGE,
        }
    }

    /// The problem without the code prefix, e.g. ``missing field `board` ``.
    pub fn detail(&self) -> &str {
        match self {
            DecodeError::MalformedFrame(detail)
            | DecodeError::UnknownType(detail)
            | DecodeError::InvalidMessage(detail) => detail,
        }
    }
}

/// A value that could not be serialized. Only a broken `Serialize`
/// implementation causes it; none of this crate's types can.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot encode: {0}")]
pub struct EncodeError(pub String);

/// The JSON text of a message.
///
/// # Errors
/// [`EncodeError`] when `msg`'s `Serialize` implementation fails (e.g. a map
/// with non-string keys).
pub fn try_encode_json<T: Serialize + ?Sized>(msg: &T) -> Result<String, EncodeError> {
    serde_json::to_string(msg).map_err(|e| EncodeError(e.to_string()))
}

/// The MessagePack bytes of a message: structs as maps with named fields,
/// human-readable (UUIDs as strings).
///
/// # Errors
/// [`EncodeError`] when `msg`'s `Serialize` implementation fails.
pub fn try_encode_msgpack<T: Serialize + ?Sized>(msg: &T) -> Result<Vec<u8>, EncodeError> {
    let mut buf = Vec::with_capacity(128);
    let mut ser = rmp_serde::Serializer::new(&mut buf)
        .with_struct_map()
        .with_human_readable();
    msg.serialize(&mut ser)
        .map_err(|e| EncodeError(e.to_string()))?;
    Ok(buf)
}

/// What an encoder produces for a value it cannot encode: a well-formed
/// `error` message with code `internal`, so the peer learns something went
/// wrong instead of receiving a broken frame.
fn encode_failure() -> ServerMsg {
    ServerMsg::Error {
        code: crate::codes::INTERNAL.to_owned(),
        message: "the server could not encode a message".to_owned(),
        board: None,
        org: None,
    }
}

/// The JSON text of a message (for a text frame).
///
/// Never fails for this crate's types. If `msg`'s `Serialize` failed anyway,
/// the result is an `error` message with code `internal`; use
/// [`try_encode_json`] to see the failure instead.
pub fn encode_json<T: Serialize + ?Sized>(msg: &T) -> String {
    try_encode_json(msg)
        .or_else(|_| try_encode_json(&encode_failure()))
        .unwrap_or_default()
}

/// The MessagePack bytes of a message (for a binary frame), with named
/// fields and UUIDs as strings.
///
/// Never fails for this crate's types. If `msg`'s `Serialize` failed anyway,
/// the result is an `error` message with code `internal`; use
/// [`try_encode_msgpack`] to see the failure instead.
pub fn encode_msgpack<T: Serialize + ?Sized>(msg: &T) -> Vec<u8> {
    try_encode_msgpack(msg)
        .or_else(|_| try_encode_msgpack(&encode_failure()))
        .unwrap_or_default()
}

/// A message in `format`: JSON as UTF-8 bytes, or MessagePack. This is how
/// a server encodes an event once per format and fans the bytes out.
pub fn encode<T: Serialize + ?Sized>(msg: &T, format: Format) -> Vec<u8> {
    match format {
        Format::Json => encode_json(msg).into_bytes(),
        Format::MsgPack => encode_msgpack(msg),
    }
}

/// Decodes a client frame.
///
/// # Errors
/// A [`DecodeError`] whose code tells a malformed frame, an unknown message
/// or command type, and an invalid message apart.
pub fn decode_client(bytes: &[u8], format: Format) -> Result<ClientMsg, DecodeError> {
    decode(
        bytes,
        format,
        Some(CLIENT_TYPES),
        &[
            ("command", "command", COMMAND_TYPES),
            ("org_command", "command", crate::org::ORG_REQUEST_TYPES),
        ],
    )
}

/// The `id` of a client frame that is a `command` message, read on its
/// own: when the frame does not decode (an unknown command type, a missing
/// field, a bad board id), the session still owes that id its one answer,
/// a `rejected`. `None` when the frame is not a map tagged `command` or its
/// `id` is not a string.
pub fn command_id(bytes: &[u8], format: Format) -> Option<String> {
    #[derive(Deserialize)]
    struct CommandProbe {
        #[serde(rename = "type")]
        tag: String,
        id: String,
    }
    parse::<CommandProbe>(bytes, format)
        .ok()
        .filter(|probe| probe.tag == "command" || probe.tag == "org_command")
        .map(|probe| probe.id)
}

/// Decodes a server frame (for test clients and the load generator).
///
/// # Errors
/// A [`DecodeError`], as for [`decode_client`].
pub fn decode_server(bytes: &[u8], format: Format) -> Result<ServerMsg, DecodeError> {
    decode(
        bytes,
        format,
        Some(SERVER_TYPES),
        &[
            ("event", "event", EVENT_TYPES),
            ("org_event", "event", ORG_EVENT_TYPES),
        ],
    )
}

/// The persisted encoding of an event (MessagePack, named fields,
/// human-readable), as stored in the `events` table. Pinned by golden-bytes
/// tests: it must never change for an existing variant.
///
/// Cannot fail: every field is a string, integer, UUID or an option of
/// those. Were it to fail, the result would be empty and
/// [`decode_event`] would report `malformed_frame`.
pub fn encode_event(event: &Event) -> Vec<u8> {
    try_encode_msgpack(event).unwrap_or_default()
}

/// Decodes a persisted event.
///
/// # Errors
/// [`DecodeError`]: `unknown_type` for an event type this version does not
/// know, `invalid_message` for a missing or ill-typed field.
pub fn decode_event(bytes: &[u8]) -> Result<Event, DecodeError> {
    decode(bytes, Format::MsgPack, Some(EVENT_TYPES), &[])
}

/// The snapshot encoding of a board (MessagePack, named fields,
/// human-readable).
///
/// Cannot fail for the same reasons as [`encode_event`]; were it to fail,
/// the result would be empty and [`decode_board`] would refuse it, which a
/// store treats like a missing snapshot.
pub fn encode_board(board: &Board) -> Vec<u8> {
    try_encode_msgpack(board).unwrap_or_default()
}

/// The persisted encoding of an organization event, as stored in the
/// `org_events` table: like [`encode_event`], pinned by golden bytes.
pub fn encode_org_event(event: &crate::OrgEvent) -> Vec<u8> {
    try_encode_msgpack(event).unwrap_or_default()
}

/// Decodes a persisted organization event.
///
/// # Errors
/// [`DecodeError`] as for [`decode_event`].
pub fn decode_org_event(bytes: &[u8]) -> Result<crate::OrgEvent, DecodeError> {
    decode(bytes, Format::MsgPack, Some(ORG_EVENT_TYPES), &[])
}

/// Decodes a board snapshot.
///
/// # Errors
/// [`DecodeError`] with code `malformed_frame` or `invalid_message`.
pub fn decode_board(bytes: &[u8]) -> Result<Board, DecodeError> {
    decode(bytes, Format::MsgPack, None, &[])
}

/// Parses `bytes` entirely as a `T`; the error is serde's message.
fn parse<T: DeserializeOwned>(bytes: &[u8], format: Format) -> Result<T, String> {
    match format {
        Format::Json => serde_json::from_slice(bytes).map_err(|e| e.to_string()),
        Format::MsgPack => {
            let mut de = rmp_serde::Deserializer::new(Cursor::new(bytes)).with_human_readable();
            let value = T::deserialize(&mut de).map_err(|e| e.to_string())?;
            let read = usize::try_from(de.get_ref().position()).unwrap_or(usize::MAX);
            if read < bytes.len() {
                return Err(format!(
                    "{} trailing byte(s) after the message",
                    bytes.len() - read
                ));
            }
            Ok(value)
        }
    }
}

/// Just the `type` tag of a map, ignoring everything else.
#[derive(Default, Deserialize)]
struct TagProbe {
    #[serde(rename = "type")]
    tag: Option<String>,
}

/// The `type` tags of the maps in the `command` and `event` fields.
#[derive(Default, Deserialize)]
struct NestedProbe {
    command: Option<TagProbe>,
    event: Option<TagProbe>,
}

impl NestedProbe {
    fn tag(self, field: &str) -> Option<String> {
        match field {
            "command" => self.command.and_then(|probe| probe.tag),
            "event" => self.event.and_then(|probe| probe.tag),
            _ => None,
        }
    }
}

/// Refuses a `type` tag that is not a string, at the top level and in the
/// map of a `command` or `event` field. Serde reads an internally tagged
/// enum's tag as a variant name *or as its index*, so without this check
/// `{"type": 7}` would decode as the eighth variant (`ping`); the protocol
/// has only the documented string tags.
struct StringTags;

impl<'de> Deserialize<'de> for StringTags {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_map(TagsVisitor { nested: true })
            .map(|()| StringTags)
    }
}

/// Visits a map, checking its `type` and (when `nested`) the `type` of the
/// maps in its `command` and `event` fields; skips everything else.
struct TagsVisitor {
    nested: bool,
}

impl<'de> Visitor<'de> for TagsVisitor {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Type => map.next_value::<StringTag>().map(drop)?,
                Key::Nested if self.nested => map.next_value::<NestedTags>().map(drop)?,
                Key::Nested | Key::Other => map.next_value::<IgnoredAny>().map(drop)?,
            }
        }
        Ok(())
    }
}

/// The `command` or `event` map of a message.
struct NestedTags;

impl<'de> Deserialize<'de> for NestedTags {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_map(TagsVisitor { nested: false })
            .map(|()| NestedTags)
    }
}

/// A map key, as far as [`TagsVisitor`] cares.
enum Key {
    Type,
    Nested,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Key, E> {
                Ok(match key {
                    "type" => Key::Type,
                    "command" | "event" => Key::Nested,
                    _ => Key::Other,
                })
            }
            fn visit_bytes<E: serde::de::Error>(self, _: &[u8]) -> Result<Key, E> {
                Ok(Key::Other)
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Key, E> {
                Ok(Key::Other)
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Key, E> {
                Ok(Key::Other)
            }
        }
        de.deserialize_identifier(KeyVisitor)
    }
}

/// A `type` tag that is a string (which one is the real parse's business).
struct StringTag;

impl<'de> Deserialize<'de> for StringTag {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct TagVisitor;
        impl Visitor<'_> for TagVisitor {
            type Value = StringTag;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("one of the documented string tags")
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<StringTag, E> {
                Ok(StringTag)
            }
        }
        de.deserialize_str(TagVisitor)
    }
}

/// Decodes a `T`. The happy path parses twice: the message, then a pass
/// that allocates nothing to check that its tags are strings
/// ([`StringTags`]); only a failure pays for the extra passes that
/// classify it.
///
/// `types` lists the known top-level tags; each `nested` entry
/// `(tag, field, known)` says that a message tagged `tag` holds a tagged
/// value in `field` whose known tags are `known` (`command` in client
/// messages; `event` in server `event` and `org_event` messages).
fn decode<T: DeserializeOwned>(
    bytes: &[u8],
    format: Format,
    types: Option<&[&str]>,
    nested: &[(&str, &str, &[&str])],
) -> Result<T, DecodeError> {
    let error = match parse::<T>(bytes, format) {
        Ok(value) if types.is_none() => return Ok(value),
        Ok(value) => {
            return match parse::<StringTags>(bytes, format) {
                Ok(StringTags) => Ok(value),
                // An ill-typed field, as `{"type": 7}` is in JSON.
                Err(error) => Err(DecodeError::InvalidMessage(format!("`type`: {error}"))),
            };
        }
        Err(error) => error,
    };
    if let Err(malformed) = parse::<IgnoredAny>(bytes, format) {
        return Err(DecodeError::MalformedFrame(malformed));
    }
    let Some(types) = types else {
        return Err(DecodeError::InvalidMessage(error));
    };
    let tag = parse::<TagProbe>(bytes, format).unwrap_or_default().tag;
    match tag {
        Some(tag) if !types.contains(&tag.as_str()) => Err(DecodeError::UnknownType(error)),
        Some(tag) => match nested.iter().find(|(outer, _, _)| *outer == tag) {
            Some((_, field, known)) => {
                let inner = parse::<NestedProbe>(bytes, format)
                    .unwrap_or_default()
                    .tag(field);
                match inner {
                    Some(inner) if !known.contains(&inner.as_str()) => {
                        Err(DecodeError::UnknownType(error))
                    }
                    _ => Err(DecodeError::InvalidMessage(error)),
                }
            }
            _ => Err(DecodeError::InvalidMessage(error)),
        },
        None => Err(DecodeError::InvalidMessage(error)),
    }
}
