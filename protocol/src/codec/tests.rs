use super::*;
use crate::samples;
use crate::wire::ClientMsg;

fn roundtrip_client(msg: &ClientMsg) {
    let json = encode_json(msg);
    assert_eq!(&decode_client(json.as_bytes(), Format::Json).unwrap(), msg);
    let packed = encode_msgpack(msg);
    assert_eq!(&decode_client(&packed, Format::MsgPack).unwrap(), msg);
}

#[test]
fn subprotocols() {
    for format in Format::ALL {
        assert_eq!(Format::from_subprotocol(format.subprotocol()), Some(format));
    }
    assert_eq!(
        Format::from_subprotocol("corkboard.v1.json"),
        Some(Format::Json)
    );
    assert_eq!(
        Format::from_subprotocol(" corkboard.v1.msgpack"),
        Some(Format::MsgPack)
    );
    assert_eq!(Format::from_subprotocol("corkboard.v2.json"), None);
    assert!(Format::Json.is_text() && !Format::MsgPack.is_text());
}

#[test]
fn client_messages_roundtrip_in_both_encodings() {
    for msg in samples::client_msgs() {
        roundtrip_client(&msg);
    }
    for command in samples::commands() {
        roundtrip_client(&ClientMsg::Command {
            id: "x".into(),
            board: samples::BOARD,
            command,
        });
    }
}

#[test]
fn server_messages_roundtrip_in_both_encodings() {
    let mut msgs = samples::server_msgs();
    msgs.push(ServerMsg::Rejected {
        id: "c-1".into(),
        code: "overloaded".into(),
        message: "try again".into(),
        retryable: true,
        details: Some(serde_json::json!({"retry_after_ms": 250, "why": ["queue", 1.5]})),
    });
    for event in samples::events() {
        msgs.push(ServerMsg::Event {
            board: samples::BOARD,
            seq: 1,
            at: samples::AT,
            by: samples::USER,
            command_id: None,
            event,
        });
    }
    for event in samples::org_events() {
        msgs.push(ServerMsg::OrgEvent {
            org: samples::ORG,
            at: samples::AT,
            event,
        });
    }
    msgs.push(ServerMsg::OrgUnsubscribed {
        org: samples::ORG,
        reason: "access_lost".into(),
    });
    msgs.push(ServerMsg::OrgSnapshot {
        org: samples::ORG,
        name: "Empty".into(),
        key: "EM".into(),
        members: Vec::new(),
        boards: Vec::new(),
    });
    let mut archived = samples::board();
    archived.archived = true;
    msgs.push(ServerMsg::Snapshot {
        board: samples::BOARD,
        seq: 9,
        state: archived,
        reset: true,
    });
    for msg in msgs {
        let json = encode_json(&msg);
        assert_eq!(decode_server(json.as_bytes(), Format::Json).unwrap(), msg);
        let packed = encode(&msg, Format::MsgPack);
        assert_eq!(decode_server(&packed, Format::MsgPack).unwrap(), msg);
        assert_eq!(encode(&msg, Format::Json), json.into_bytes());
    }
}

#[test]
fn msgpack_decodes_messages_built_from_plain_json_objects() {
    // What a JavaScript client does: build a plain object, pack it.
    for msg in samples::client_msgs() {
        let value = serde_json::to_value(&msg).unwrap();
        let packed = rmp_serde::to_vec_named(&value).unwrap();
        assert_eq!(decode_client(&packed, Format::MsgPack).unwrap(), msg);
    }
    let value = serde_json::json!({
        "type": "subscribe",
        "board": samples::BOARD.to_string(),
        "since": null,
    });
    let packed = rmp_serde::to_vec(&value).unwrap();
    assert_eq!(
        decode_client(&packed, Format::MsgPack).unwrap(),
        ClientMsg::Subscribe {
            board: samples::BOARD,
            since: None
        }
    );
}

#[test]
fn a_uuid_is_a_msgpack_string() {
    let packed = encode_msgpack(&samples::BOARD);
    // 0xd9 = str 8, followed by the length 36 and the hyphenated text.
    assert_eq!(packed[0], 0xd9);
    assert_eq!(packed[1], 36);
    assert_eq!(&packed[2..], samples::BOARD.to_string().as_bytes());
    // Inside a message, too: the map holds `"board": "<uuid>"`.
    let msg = encode_msgpack(&ClientMsg::Unsubscribe {
        board: samples::BOARD,
    });
    let text = samples::BOARD.to_string();
    let needle = [&[0xd9, 36][..], text.as_bytes()].concat();
    assert!(msg.windows(needle.len()).any(|w| w == needle.as_slice()));
}

#[test]
fn persisted_events_and_boards_roundtrip() {
    for event in samples::events() {
        assert_eq!(decode_event(&encode_event(&event)).unwrap(), event);
    }
    let board = samples::board();
    assert_eq!(decode_board(&encode_board(&board)).unwrap(), board);
    assert_eq!(decode_board(&[0xc1]).unwrap_err().code(), "malformed_frame");
    assert_eq!(
        decode_board(&encode_msgpack(&samples::events()[0]))
            .unwrap_err()
            .code(),
        "invalid_message"
    );
    let unknown = encode_msgpack(&serde_json::json!({"type": "item_exploded"}));
    let error = decode_event(&unknown).unwrap_err();
    assert_eq!(error.code(), "unknown_type", "{error}");
}

fn client_error(json: &str) -> DecodeError {
    let from_json = decode_client(json.as_bytes(), Format::Json).unwrap_err();
    // The same problem in MessagePack gets the same code, when the text is
    // JSON at all.
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(json) {
        let packed = rmp_serde::to_vec_named(&value).unwrap();
        let from_msgpack = decode_client(&packed, Format::MsgPack).unwrap_err();
        assert_eq!(from_msgpack.code(), from_json.code(), "{from_msgpack}");
    }
    from_json
}

#[test]
fn malformed_frames() {
    for json in [
        "",
        "{",
        "{\"type\":\"ping\"} x",
        "not json",
        "{\"type\":\"ping\",}",
    ] {
        let error = client_error(json);
        assert_eq!(error.code(), "malformed_frame", "{json}: {error}");
    }
    for bytes in [
        &[][..],
        &[0xc1],
        &[0x81, 0xa4],
        &[0xc0, 0xc0],
        &[0x92, 0x01],
    ] {
        let error = decode_client(bytes, Format::MsgPack).unwrap_err();
        assert_eq!(error.code(), "malformed_frame", "{bytes:?}: {error}");
    }
    let mut trailing = encode_msgpack(&ClientMsg::Ping { nonce: None });
    trailing.push(0xc0);
    let error = decode_client(&trailing, Format::MsgPack).unwrap_err();
    assert_eq!(error.code(), "malformed_frame");
    assert!(error.to_string().contains("trailing"), "{error}");
}

#[test]
fn unknown_types() {
    let error = client_error(r#"{"type":"subscrbe","board":"x"}"#);
    assert_eq!(error.code(), "unknown_type");
    assert!(
        error
            .to_string()
            .contains("unknown variant `subscrbe`, expected one of"),
        "{error}"
    );
    let error = client_error(&format!(
        r#"{{"type":"command","id":"1","board":"{}","command":{{"type":"explode"}}}}"#,
        samples::BOARD
    ));
    assert_eq!(error.code(), "unknown_type");
    assert!(error.to_string().contains("`explode`"), "{error}");
    let error = decode_server(br#"{"type":"hello"}"#, Format::Json).unwrap_err();
    assert_eq!(error.code(), "unknown_type");
}

/// Serde reads an internally tagged enum's tag as a variant name or as its
/// index; only the documented string tags are the protocol.
#[test]
fn a_type_tag_must_be_a_documented_string_not_a_variant_index() {
    let board = samples::BOARD.to_string();
    let cases = [
        // `8` is `ping`'s index among the client messages.
        serde_json::json!({ "type": 8 }),
        serde_json::json!({ "type": 8, "nonce": 1 }),
        // `3` is `command`, `6` is `create_item`.
        serde_json::json!({ "type": 3, "id": "c", "board": board,
            "command": { "type": "create_item", "title": "t" } }),
        serde_json::json!({ "type": "command", "id": "c", "board": board,
            "command": { "type": 6, "title": "t" } }),
        serde_json::json!({ "type": 3, "id": "c", "board": board,
            "command": { "type": 6, "title": "t" } }),
        serde_json::json!({ "type": true }),
    ];
    for value in cases {
        let packed = rmp_serde::to_vec_named(&value).unwrap();
        let error = decode_client(&packed, Format::MsgPack).unwrap_err();
        assert_eq!(error.code(), "invalid_message", "{value}: {error}");
        assert!(error.detail().contains("invalid type"), "{error}");
        let error = decode_client(value.to_string().as_bytes(), Format::Json).unwrap_err();
        assert_eq!(error.code(), "invalid_message", "{value}: {error}");
    }
    let event = serde_json::json!({ "type": "event", "board": board, "seq": 1,
        "at": 0, "by": board, "event": { "type": 7, "item": board } });
    let packed = rmp_serde::to_vec_named(&event).unwrap();
    assert_eq!(
        decode_server(&packed, Format::MsgPack).unwrap_err().code(),
        "invalid_message"
    );
    // A stored event whose tag was replaced by its index.
    let mut by_index = serde_json::to_value(&samples::events()[0]).unwrap();
    let name = by_index["type"].as_str().unwrap().to_owned();
    let index = EVENT_TYPES.iter().position(|t| *t == name).unwrap();
    by_index["type"] = serde_json::json!(index);
    let stored = encode_msgpack(&by_index);
    assert_eq!(decode_event(&stored).unwrap_err().code(), "invalid_message");
    // The string tags still decode.
    let ping = rmp_serde::to_vec_named(&serde_json::json!({ "type": "ping" })).unwrap();
    assert_eq!(
        decode_client(&ping, Format::MsgPack).unwrap(),
        ClientMsg::Ping { nonce: None }
    );
}

/// The code of a server frame's decode error, checked to be the same in
/// both encodings.
fn server_error_code(value: &serde_json::Value) -> &'static str {
    let json = serde_json::to_vec(value).unwrap();
    let from_json = decode_server(&json, Format::Json).unwrap_err();
    let packed = rmp_serde::to_vec_named(value).unwrap();
    let from_msgpack = decode_server(&packed, Format::MsgPack).unwrap_err();
    assert_eq!(from_msgpack.code(), from_json.code(), "{from_msgpack}");
    from_json.code()
}

#[test]
fn org_channel_and_board_archive_types_are_known() {
    // Known new names with a bad field are invalid messages, not unknown.
    for json in [
        r#"{"type":"subscribe_org"}"#.to_owned(),
        r#"{"type":"unsubscribe_org","org":"nope"}"#.to_owned(),
        format!(
            r#"{{"type":"command","id":"1","board":"{}","command":{{"type":"archive_board","why":"x"}}}}"#,
            samples::BOARD
        ),
        format!(
            r#"{{"type":"command","id":"1","board":"{}","command":{{"type":"restore_board","board":"x"}}}}"#,
            samples::BOARD
        ),
    ] {
        let error = client_error(&json);
        assert_eq!(error.code(), "invalid_message", "{json}: {error}");
    }
    let error = client_error(r#"{"type":"subscribe_orgs","org":"x"}"#);
    assert_eq!(error.code(), "unknown_type", "{error}");
    let org = samples::ORG.to_string();
    let board = samples::BOARD.to_string();
    let user = samples::USER.to_string();
    // Server messages: new names are known.
    for value in [
        serde_json::json!({"type": "org_snapshot", "org": org}),
        serde_json::json!({"type": "org_unsubscribed", "org": org}),
        serde_json::json!({"type": "org_event", "org": org, "at": 1,
            "event": {"type": "member_removed"}}),
        // Server messages may gain fields, so only a missing one is invalid.
        serde_json::json!({"type": "event", "board": board, "at": 1, "by": user,
            "event": {"type": "board_archived"}}),
    ] {
        assert_eq!(server_error_code(&value), "invalid_message", "{value}");
    }
    // An unknown event inside `org_event` is an unknown type, like one inside
    // `event`; board events are not org events and vice versa.
    for value in [
        serde_json::json!({"type": "org_event", "org": org, "at": 1,
            "event": {"type": "org_exploded"}}),
        serde_json::json!({"type": "org_event", "org": org, "at": 1,
            "event": {"type": "item_moved"}}),
        serde_json::json!({"type": "event", "board": board, "seq": 1, "at": 1, "by": user,
            "event": {"type": "member_added"}}),
        serde_json::json!({"type": "org_snapshots", "org": org}),
    ] {
        assert_eq!(server_error_code(&value), "unknown_type", "{value}");
    }
    // Unit variants travel as a map holding only the tag.
    assert_eq!(
        encode_json(&Command::ArchiveBoard),
        r#"{"type":"archive_board"}"#
    );
    assert_eq!(
        decode_event(&encode_msgpack(
            &serde_json::json!({"type": "board_restored"})
        ))
        .unwrap(),
        Event::BoardRestored
    );
}

#[test]
fn the_sample_unknown_type_error_is_what_the_decoder_says() {
    let packed = encode_msgpack(&serde_json::json!({"type": "subscrbe", "board": "x"}));
    let error = decode_client(&packed, Format::MsgPack).unwrap_err();
    assert_eq!(error.to_string(), samples::UNKNOWN_TYPE_MESSAGE);
}

#[test]
fn a_snapshot_without_the_archived_field_is_not_archived() {
    // What a server older than board archiving stored and sent.
    let mut value = serde_json::to_value(samples::board()).unwrap();
    assert_eq!(value["archived"], false);
    value.as_object_mut().unwrap().remove("archived");
    let old = rmp_serde::to_vec_named(&value).unwrap();
    let board = decode_board(&old).unwrap();
    assert!(!board.archived);
    assert_eq!(board, samples::board());
    let json = serde_json::json!({"type": "snapshot", "board": samples::BOARD, "seq": 4,
        "state": value});
    let msg = decode_server(json.to_string().as_bytes(), Format::Json).unwrap();
    assert_eq!(
        msg,
        ServerMsg::Snapshot {
            board: samples::BOARD,
            seq: 4,
            state: samples::board(),
            reset: false,
        }
    );
}

#[test]
fn invalid_messages() {
    let cases = [
        (r#"{"type":"subscribe"}"#, "missing field `board`"),
        (r#"{"board":"x"}"#, "missing field `type`"),
        (r#"{"type":"ping","nonce":"x"}"#, "invalid type"),
        (r#"{"type":"ping","color":"red"}"#, "unknown field `color`"),
        (r#"{"type":"unsubscribe","board":"nope"}"#, "UUID"),
        (r#"{"type":1}"#, "invalid type"),
        ("[]", ""),
        ("42", "invalid type"),
        (
            &format!(
                r#"{{"type":"command","id":"1","board":"{}","command":{{"type":"archive_item"}}}}"#,
                samples::BOARD
            ),
            "missing field `item`",
        ),
        (
            &format!(
                r#"{{"type":"command","id":"1","board":"{}","command":"archive_item"}}"#,
                samples::BOARD
            ),
            "",
        ),
    ];
    for (json, needle) in cases {
        let error = client_error(json);
        assert_eq!(error.code(), "invalid_message", "{json}: {error}");
        assert!(error.detail().contains(needle), "{json}: {error}");
        assert!(error.to_string().starts_with("invalid message: "));
    }
}

#[test]
fn the_type_lists_match_the_serde_tags() {
    fn tag<T: Serialize>(value: &T) -> String {
        serde_json::to_value(value).unwrap()["type"]
            .as_str()
            .unwrap()
            .to_owned()
    }
    let tags: Vec<String> = samples::client_msgs().iter().map(tag).collect();
    assert_eq!(tags, CLIENT_TYPES);
    let tags: Vec<String> = samples::server_msgs().iter().map(tag).collect();
    assert_eq!(tags, SERVER_TYPES);
    let tags: Vec<String> = samples::commands().iter().map(tag).collect();
    assert_eq!(tags, COMMAND_TYPES);
    let names: Vec<&str> = samples::commands().iter().map(Command::name).collect();
    assert_eq!(names, COMMAND_TYPES);
    let tags: Vec<String> = samples::events().iter().map(tag).collect();
    assert_eq!(tags, EVENT_TYPES);
    let tags: Vec<String> = samples::org_events().iter().map(tag).collect();
    assert_eq!(tags, ORG_EVENT_TYPES);
}

use crate::board::Command;

#[test]
fn the_id_of_an_undecodable_command_can_be_read() {
    let board = samples::BOARD.to_string();
    let cases = [
        (
            serde_json::json!({ "type": "command", "id": "c-1", "board": board,
            "command": { "type": "explode" } }),
            Some("c-1"),
        ),
        (
            serde_json::json!({ "type": "command", "id": "c-2", "board": "nope",
            "command": {} }),
            Some("c-2"),
        ),
        (
            serde_json::json!({ "type": "command", "board": board }),
            None,
        ),
        (serde_json::json!({ "type": "command", "id": 7 }), None),
        (
            serde_json::json!({ "type": "subscribe", "id": "c-3" }),
            None,
        ),
        (serde_json::json!("command"), None),
    ];
    for (value, id) in cases {
        let json = value.to_string();
        assert_eq!(
            command_id(json.as_bytes(), Format::Json).as_deref(),
            id,
            "{value}"
        );
        let packed = rmp_serde::to_vec_named(&value).unwrap();
        assert_eq!(
            command_id(&packed, Format::MsgPack).as_deref(),
            id,
            "{value}"
        );
    }
    assert_eq!(command_id(b"{", Format::Json), None);
}
