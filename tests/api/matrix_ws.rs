//! The isolation matrix, WebSocket half: every client message that names a
//! board or an organization, sent by every caller of `matrix_rest::world`
//! (users and API keys, authenticated by an `auth` message) with org-A ids,
//! and by the org-A callers with org-B ids.
//!
//! Outsiders get `error{not_found}` / `rejected{not_found}` — the very
//! answer an id that exists nowhere gets — viewers read but every command is
//! `forbidden`, members run item commands but not structural ones, admins
//! and owners both; and no frame anyone receives carries the other
//! organization's data.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{Wire, WsClient};
use crate::matrix_rest::{assert_clean, new_item, uuids, world, Who, World, CALLERS, INSIDERS};

/// The messages of the matrix, in the order each caller sends them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Subscribe,
    ItemCommand,
    ColumnCommand,
    SubscribeOrg,
    Presence,
    Unsubscribe,
    UnsubscribeOrg,
    Resume,
}

const STEPS: [Step; 8] = [
    Step::Subscribe,
    Step::ItemCommand,
    Step::ColumnCommand,
    Step::SubscribeOrg,
    Step::Presence,
    Step::Unsubscribe,
    Step::UnsubscribeOrg,
    Step::Resume,
];

impl Step {
    fn label(self) -> &'static str {
        match self {
            Step::Subscribe => "subscribe",
            Step::ItemCommand => "command create_item",
            Step::ColumnCommand => "command add_column",
            Step::SubscribeOrg => "subscribe_org",
            Step::Presence => "presence (after subscribe)",
            Step::Unsubscribe => "unsubscribe",
            Step::UnsubscribeOrg => "unsubscribe_org",
            Step::Resume => "subscribe since=0",
        }
    }

    /// What `who` must get for this message with org-A ids.
    fn expected(self, who: Who) -> &'static str {
        let outsider = who.is_outsider();
        match self {
            Step::Subscribe if outsider => "error:not_found",
            Step::Subscribe => "snapshot",
            Step::ItemCommand | Step::ColumnCommand if outsider => "rejected:not_found",
            Step::ItemCommand => match who {
                Who::Viewer | Who::ViewerKey => "rejected:forbidden",
                _ => "ack",
            },
            Step::ColumnCommand => match who {
                Who::Owner | Who::Admin | Who::AdminKey => "ack",
                _ => "rejected:forbidden",
            },
            Step::SubscribeOrg if outsider => "error:not_found",
            Step::SubscribeOrg => "org_snapshot",
            Step::Presence if outsider => "error:not_subscribed",
            Step::Presence => "(no answer)",
            Step::Unsubscribe => "unsubscribed",
            Step::UnsubscribeOrg => "org_unsubscribed",
            Step::Resume if outsider => "error:not_found",
            Step::Resume => "resumed",
        }
    }

    /// What an org-A caller must get for this message with org-B ids.
    fn expected_cross(self) -> &'static str {
        match self {
            Step::Subscribe | Step::SubscribeOrg | Step::Resume => "error:not_found",
            Step::ItemCommand | Step::ColumnCommand => "rejected:not_found",
            Step::Presence => "error:not_subscribed",
            Step::Unsubscribe => "unsubscribed",
            Step::UnsubscribeOrg => "org_unsubscribed",
        }
    }
}

/// A socket that keeps every frame it receives.
struct Probe {
    who: Who,
    ws: WsClient,
    frames: Vec<Value>,
    commands: u32,
}

impl Probe {
    async fn open(w: &World, who: Who) -> Probe {
        let mut ws = w.app.ws(w.token(who), Wire::Json).await;
        ws.with_presence = true;
        Probe {
            who,
            ws,
            frames: Vec::new(),
            commands: 0,
        }
    }

    /// Sends `msg` and reads until `done`; returns the frames read.
    async fn ask(&mut self, msg: Value, done: impl Fn(&Value) -> bool) -> Vec<Value> {
        self.ws.send(msg).await;
        let mut got = Vec::new();
        loop {
            let frame = self.ws.recv().await;
            self.frames.push(frame.clone());
            got.push(frame);
            if done(got.last().expect("a frame")) {
                return got;
            }
        }
    }

    /// Sends `msg`, which has no answer: the frames read before a pong.
    async fn tell(&mut self, msg: Value) -> Vec<Value> {
        self.ws.send(msg).await;
        self.drain().await
    }

    async fn drain(&mut self) -> Vec<Value> {
        let got = self.ws.until_pong().await;
        self.frames.extend(got.iter().cloned());
        got
    }

    /// Sends `step` about `board` / `org`; returns the outcome and the
    /// answer (the frame that ended it, `Null` when none).
    async fn step(&mut self, step: Step, board: &str, org: &str) -> (String, Value) {
        self.commands += 1;
        let id = format!("{}-{}", self.who.index(), self.commands);
        let is = |f: &Value, kind: &str, field: &str, value: &str| {
            f["type"] == kind && f[field] == value
        };
        let got = match step {
            Step::Subscribe | Step::Resume => {
                let mut msg = json!({ "type": "subscribe", "board": board });
                if step == Step::Resume {
                    msg["since"] = json!(0);
                }
                self.ask(msg, |f| {
                    (is(f, "presence", "board", board) && f["sessions"].is_array())
                        || is(f, "error", "board", board)
                })
                .await
            }
            Step::ItemCommand | Step::ColumnCommand => {
                let command = if step == Step::ItemCommand {
                    json!({ "type": "create_item", "title": format!("ws card {id}") })
                } else {
                    json!({ "type": "add_column", "name": format!("ws column {id}") })
                };
                let msg =
                    json!({ "type": "command", "id": id, "board": board, "command": command });
                self.ask(msg, |f| {
                    (f["type"] == "ack" || f["type"] == "rejected") && f["id"] == id.as_str()
                })
                .await
            }
            Step::SubscribeOrg => {
                // A refusal names the organization, so a client can tell
                // which of its subscribes it answers.
                self.ask(json!({ "type": "subscribe_org", "org": org }), |f| {
                    is(f, "org_snapshot", "org", org) || is(f, "error", "org", org)
                })
                .await
            }
            Step::Presence => {
                let state = json!({ "cursor": { "x": 7, "y": 9 } });
                self.tell(json!({ "type": "presence", "board": board, "state": state }))
                    .await
                    .into_iter()
                    .filter(|f| f["type"] == "error")
                    .collect()
            }
            Step::Unsubscribe => {
                self.ask(json!({ "type": "unsubscribe", "board": board }), |f| {
                    is(f, "unsubscribed", "board", board)
                })
                .await
            }
            Step::UnsubscribeOrg => {
                self.ask(json!({ "type": "unsubscribe_org", "org": org }), |f| {
                    is(f, "org_unsubscribed", "org", org)
                })
                .await
            }
        };
        let answer = got.last().cloned().unwrap_or(Value::Null);
        let outcome = match answer["type"].as_str() {
            None => "(no answer)".to_owned(),
            Some("error" | "rejected") => {
                format!(
                    "{}:{}",
                    answer["type"].as_str().unwrap_or(""),
                    answer["code"].as_str().unwrap_or("")
                )
            }
            Some("presence") if got.iter().any(|f| f["type"] == "snapshot") => {
                "snapshot".to_owned()
            }
            Some("presence") => "resumed".to_owned(),
            Some(other) => other.to_owned(),
        };
        (outcome, answer)
    }
}

/// `answer` with the id the client sent replaced and the command id
/// dropped: what must be identical for an existing and a made-up id.
fn normalized(answer: &Value, sent: &str) -> Value {
    let mut v: Value =
        serde_json::from_str(&answer.to_string().replace(sent, "<id>")).expect("json");
    if let Some(obj) = v.as_object_mut() {
        obj.remove("id");
    }
    v
}

/// The frame as scanned for leaks: the `board` / `org` that merely echo
/// an id the client itself sent (errors, unsubscribe answers) removed.
fn scanned(frame: &Value, sent: &[&str]) -> String {
    let mut f = frame.clone();
    if matches!(
        f["type"].as_str(),
        Some("error" | "unsubscribed" | "org_unsubscribed")
    ) {
        if let Some(obj) = f.as_object_mut() {
            for field in ["board", "org"] {
                if obj
                    .get(field)
                    .and_then(Value::as_str)
                    .is_some_and(|v| sent.contains(&v))
                {
                    obj.remove(field);
                }
            }
        }
    }
    f.to_string()
}

fn print_table(title: &str, callers: &[Who], rows: &[(Step, Vec<String>)]) {
    println!("\n{title}");
    let mut header = format!("| {:26} |", "message");
    for who in callers {
        header.push_str(&format!(" {:>20} |", who.label()));
    }
    println!("{header}");
    println!(
        "|{}|{}",
        "-".repeat(28),
        "----------------------|".repeat(callers.len())
    );
    for (step, cells) in rows {
        let mut line = format!("| {:26} |", step.label());
        for cell in cells {
            line.push_str(&format!(" {cell:>20} |"));
        }
        println!("{line}");
    }
}

#[actix_web::test]
async fn matrix_ws_every_message_every_caller_isolated() {
    let w = world().await;
    let (a, b) = (&w.a, &w.b);
    let mut failures = Vec::new();

    // Watchers for the whole run: A's owner on A's board and org, B's
    // owner on B's.
    let mut a_watch = Probe::open(&w, Who::Owner).await;
    let mut b_watch = Probe::open(&w, Who::Outsider).await;
    for (p, side) in [(&mut a_watch, a), (&mut b_watch, b)] {
        assert_eq!(
            p.step(Step::Subscribe, &side.board, &side.org).await.0,
            "snapshot"
        );
        assert_eq!(
            p.step(Step::SubscribeOrg, &side.board, &side.org).await.0,
            "org_snapshot"
        );
    }

    let mut probes = Vec::new();
    let mut table: Vec<(Step, Vec<String>)> = STEPS.iter().map(|&s| (s, Vec::new())).collect();
    for who in CALLERS {
        let mut p = Probe::open(&w, who).await;
        for (n, step) in STEPS.into_iter().enumerate() {
            let (outcome, answer) = p.step(step, &a.board, &a.org).await;
            if outcome != step.expected(who) {
                failures.push(format!(
                    "{} by {}: {outcome}, expected {}: {answer}",
                    step.label(),
                    who.label(),
                    step.expected(who)
                ));
            }
            if who.is_outsider() {
                // The same message about ids that exist nowhere.
                let (ghost_board, ghost_org) =
                    (Uuid::new_v4().to_string(), Uuid::new_v4().to_string());
                let (_, ghost) = p.step(step, &ghost_board, &ghost_org).await;
                let sent = if matches!(step, Step::SubscribeOrg | Step::UnsubscribeOrg) {
                    (&a.org, &ghost_org)
                } else {
                    (&a.board, &ghost_board)
                };
                assert_eq!(
                    normalized(&answer, sent.0),
                    normalized(&ghost, sent.1),
                    "{} by {}: an org-A id answers differently from an id that exists nowhere",
                    step.label(),
                    who.label()
                );
            }
            table[n].1.push(outcome);
        }
        probes.push(p);
        if who == Who::ViewerKey {
            // B keeps working meanwhile: its watcher must see only B.
            new_item(
                &w.app,
                w.token(Who::Outsider),
                &b.board,
                &format!("{} live", b.item_title),
            )
            .await;
        }
    }

    // Org-A callers with org-B ids.
    let mut cross: Vec<(Step, Vec<String>)> = STEPS.iter().map(|&s| (s, Vec::new())).collect();
    for p in probes.iter_mut().filter(|p| !p.who.is_outsider()) {
        for (n, step) in STEPS.into_iter().enumerate() {
            let (outcome, answer) = p.step(step, &b.board, &b.org).await;
            if outcome != step.expected_cross() {
                failures.push(format!(
                    "{} on B by {}: {outcome}, expected {}: {answer}",
                    step.label(),
                    p.who.label(),
                    step.expected_cross()
                ));
            }
            cross[n].1.push(outcome);
        }
    }

    print_table(
        "WebSocket isolation matrix: every caller with org-A ids",
        &CALLERS,
        &table,
    );
    print_table(
        "WebSocket isolation matrix: org-A callers with org-B ids",
        &INSIDERS,
        &cross,
    );
    assert!(
        failures.is_empty(),
        "matrix mismatches:\n{}",
        failures.join("\n")
    );

    // Whatever is still in flight arrives before the pongs.
    for p in probes.iter_mut().chain([&mut a_watch, &mut b_watch]) {
        p.drain().await;
    }

    // Each insider's presence reached A's watcher.
    for who in INSIDERS.into_iter().filter(|&w| w != Who::Owner) {
        let id = w.ids[who.index()].as_str();
        assert!(
            a_watch
                .frames
                .iter()
                .any(|f| f["type"] == "presence_changed"
                    && f["change"] == "updated"
                    && f["entry"]["user"] == id),
            "presence of {} reached the other subscribers",
            who.label()
        );
    }

    // No frame crosses organizations.
    let (a_probes, b_probes): (Vec<&Probe>, Vec<&Probe>) = probes
        .iter()
        .chain([&a_watch, &b_watch])
        .partition(|p| !p.who.is_outsider());
    let mut a_ids: BTreeSet<String> = w.a.strings.iter().flat_map(|s| uuids(s)).collect();
    let mut b_ids: BTreeSet<String> = w.b.strings.iter().flat_map(|s| uuids(s)).collect();
    let (a_sent, b_sent) = (
        [a.board.as_str(), a.org.as_str()],
        [b.board.as_str(), b.org.as_str()],
    );
    for p in &a_probes {
        for f in &p.frames {
            a_ids.extend(uuids(&scanned(f, &b_sent)));
        }
    }
    for p in &b_probes {
        for f in &p.frames {
            b_ids.extend(uuids(&scanned(f, &a_sent)));
        }
    }
    assert!(
        a_watch.frames.iter().any(|f| f["type"] == "event"),
        "A's watcher saw A's events"
    );
    assert!(
        b_watch.frames.iter().any(|f| f["type"] == "event"),
        "B's watcher saw B's event"
    );
    for p in &a_probes {
        for f in &p.frames {
            let context = format!("frame received by {}", p.who.label());
            assert_clean(&context, &scanned(f, &b_sent), &w.b.strings, &b_ids);
        }
    }
    for p in &b_probes {
        for f in &p.frames {
            let context = format!("frame received by {}", p.who.label());
            assert_clean(&context, &scanned(f, &a_sent), &w.a.strings, &a_ids);
        }
    }
}
