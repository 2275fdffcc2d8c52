//! The isolation matrix, REST half: every org- and board-scoped route of
//! `server/src/routes/mod.rs`, driven by every role of organization A, by
//! A's API keys, and by org B's owner and one of B's API keys (the
//! outsiders), always with org-A ids; then org-A callers with org-B ids.
//!
//! Outsiders get 404 — exactly the answer an id that exists nowhere gets —
//! forbidden actions 403 (per `Role::allows` and the membership rules),
//! allowed ones 2xx, and no response carries the other organization's data.
//! The world both halves share is built here (`world`); the WebSocket
//! half is `matrix_ws.rs`.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{email, spawn_app, TestApp};

/// Who makes a call. Org A: four roles and two API keys; org B (the
/// outsiders): its owner and an admin API key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    Owner,
    Admin,
    Member,
    Viewer,
    AdminKey,
    ViewerKey,
    Outsider,
    OutsiderKey,
}

pub const CALLERS: [Who; 8] = [
    Who::Owner,
    Who::Admin,
    Who::Member,
    Who::Viewer,
    Who::AdminKey,
    Who::ViewerKey,
    Who::Outsider,
    Who::OutsiderKey,
];

/// The org-A callers.
pub const INSIDERS: [Who; 6] = [
    Who::Owner,
    Who::Admin,
    Who::Member,
    Who::Viewer,
    Who::AdminKey,
    Who::ViewerKey,
];

impl Who {
    pub fn label(self) -> &'static str {
        match self {
            Who::Owner => "A owner",
            Who::Admin => "A admin",
            Who::Member => "A member",
            Who::Viewer => "A viewer",
            Who::AdminKey => "A admin key",
            Who::ViewerKey => "A viewer key",
            Who::Outsider => "B owner",
            Who::OutsiderKey => "B admin key",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn is_outsider(self) -> bool {
        matches!(self, Who::Outsider | Who::OutsiderKey)
    }
}

/// One organization of the world and its distinctive strings.
pub struct Side {
    pub org: String,
    pub key: String,
    pub board: String,
    pub item: String,
    pub item_title: String,
    pub invite: String,
    pub api_key: String,
    /// The org's member (org A's is the `Member` caller).
    pub member: String,
    /// Every string that must never reach the other organization.
    pub strings: Vec<String>,
}

/// Org A with owner, admin, member, viewer, an admin key and a viewer key,
/// a board with an item, an invite and an API key; org B with its owner,
/// a member, a board with two items (B's item number 2 has no A
/// counterpart while A has one item), an invite and an admin API key.
pub struct World {
    pub app: TestApp,
    /// Bearer token of each caller, by `Who::index`.
    pub tokens: Vec<String>,
    /// The id each caller acts as (user id or API key id).
    pub ids: Vec<String>,
    pub a: Side,
    pub b: Side,
}

impl World {
    pub fn token(&self, who: Who) -> &str {
        &self.tokens[who.index()]
    }
}

fn id_of(body: &Value, field: &str) -> String {
    body[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {body}"))
        .to_owned()
}

async fn new_org(app: &TestApp, token: &str, name: &str, key: &str) -> String {
    let (status, body) = app
        .post(token, "/api/v1/orgs", json!({ "name": name, "key": key }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    id_of(&body, "id")
}

/// Creates an item; returns (item id, number).
pub async fn new_item(app: &TestApp, token: &str, board: &str, title: &str) -> (String, u64) {
    let (status, body) = app
        .command(
            token,
            board,
            json!({ "type": "create_item", "title": title }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let event = &body["events"][0]["event"];
    (
        id_of(event, "item"),
        event["number"].as_u64().expect("number"),
    )
}

/// Creates an invite; returns (id, token).
pub async fn new_invite(app: &TestApp, token: &str, org: &str, role: &str) -> (String, String) {
    let (status, body) = app
        .post(
            token,
            &format!("/api/v1/orgs/{org}/invites"),
            json!({ "role": role }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (id_of(&body, "id"), id_of(&body, "token"))
}

/// Creates an API key; returns (id, prefix, key).
pub async fn new_key(
    app: &TestApp,
    token: &str,
    org: &str,
    role: &str,
) -> (String, String, String) {
    let (status, body) = app
        .post(
            token,
            &format!("/api/v1/orgs/{org}/api-keys"),
            json!({ "name": format!("matrix {role} key"), "role": role }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (
        id_of(&body, "id"),
        id_of(&body, "prefix"),
        id_of(&body, "key"),
    )
}

/// A 10-character org key that cannot occur by chance in a token.
fn distinctive_key(letter: char) -> String {
    format!("ISO{letter}{:06}", Uuid::new_v4().as_u128() % 1_000_000)
}

/// Builds one side: owner (already registered), a member, a board, items,
/// an invite and an API key. Returns the side and the member's token.
async fn side(app: &TestApp, owner: &str, letter: char, items: usize) -> (Side, String) {
    let tag = Uuid::new_v4().simple().to_string();
    let name = format!("Org{letter} {tag}");
    let key = distinctive_key(letter);
    let org = new_org(app, owner, &name, &key).await;
    let member_email = email();
    let (member_token, member) = app.register(&member_email).await;
    app.add_member(owner, &org, &member_email, "member").await;
    let board = id_of(&app.create_board(owner, &org).await, "id");
    let item_title = format!("secret item of org {letter} {tag}");
    let (item, _) = new_item(app, owner, &board, &item_title).await;
    for n in 1..items {
        new_item(app, owner, &board, &format!("{item_title} #{n}")).await;
    }
    let (invite, _) = new_invite(app, owner, &org, "member").await;
    let (api_key, api_key_prefix, _) = new_key(app, owner, &org, "admin").await;
    let strings = vec![
        org.clone(),
        name.clone(),
        key.clone(),
        board.clone(),
        item.clone(),
        item_title.clone(),
        invite.clone(),
        api_key.clone(),
        api_key_prefix.clone(),
        member.clone(),
        member_email.clone(),
    ];
    let side = Side {
        org,
        key,
        board,
        item,
        item_title,
        invite,
        api_key,
        member,
        strings,
    };
    (side, member_token)
}

pub async fn world() -> World {
    let app = spawn_app().await;
    let a_owner_email = email();
    let (a_owner, a_owner_id) = app.register(&a_owner_email).await;
    let (mut a, a_member) = side(&app, &a_owner, 'A', 1).await;
    a.strings.extend([a_owner_id.clone(), a_owner_email]);
    let mut roles = Vec::new();
    for role in ["admin", "viewer"] {
        let mail = email();
        let (token, id) = app.register(&mail).await;
        app.add_member(&a_owner, &a.org, &mail, role).await;
        a.strings.extend([id.clone(), mail]);
        roles.push((token, id));
    }
    let mut keys = Vec::new();
    for role in ["admin", "viewer"] {
        let (id, prefix, key) = new_key(&app, &a_owner, &a.org, role).await;
        a.strings.extend([id.clone(), prefix]);
        keys.push((key, id));
    }

    let b_owner_email = email();
    let (b_owner, b_owner_id) = app.register(&b_owner_email).await;
    let (mut b, _) = side(&app, &b_owner, 'B', 2).await;
    b.strings.extend([b_owner_id.clone(), b_owner_email]);
    let (b_key_id, b_key_prefix, b_key) = new_key(&app, &b_owner, &b.org, "admin").await;
    b.strings.extend([b_key_id.clone(), b_key_prefix]);

    let [(admin, admin_id), (viewer, viewer_id)] = <[_; 2]>::try_from(roles).expect("two");
    let [(admin_key, admin_key_id), (viewer_key, viewer_key_id)] =
        <[_; 2]>::try_from(keys).expect("two");
    let tokens = vec![
        a_owner, admin, a_member, viewer, admin_key, viewer_key, b_owner, b_key,
    ];
    let ids = vec![
        a_owner_id,
        admin_id,
        a.member.clone(),
        viewer_id,
        admin_key_id,
        viewer_key_id,
        b_owner_id,
        b_key_id,
    ];
    World {
        app,
        tokens,
        ids,
        a,
        b,
    }
}

/// Every UUID in `text` (lowercase, hyphenated).
pub fn uuids(text: &str) -> BTreeSet<String> {
    let bytes = text.as_bytes();
    let mut out = BTreeSet::new();
    for start in 0..bytes.len().saturating_sub(35) {
        let candidate = &bytes[start..start + 36];
        let ok = candidate.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        });
        if ok {
            out.insert(String::from_utf8_lossy(candidate).to_lowercase());
        }
    }
    out
}

/// Panics when `text` contains any of `forbidden` (strings or UUIDs).
pub fn assert_clean(context: &str, text: &str, forbidden: &[String], ids: &BTreeSet<String>) {
    for s in forbidden {
        assert!(
            !text.contains(s.as_str()),
            "{context}: leaks {s:?} of the other organization: {text}"
        );
    }
    let leaked: Vec<_> = uuids(text).intersection(ids).cloned().collect();
    assert!(
        leaked.is_empty(),
        "{context}: leaks ids {leaked:?} of the other organization: {text}"
    );
}

/// A 404 in the API's error shape.
fn assert_not_found_shape(context: &str, body: &Value) {
    assert_eq!(body["code"], "not_found", "{context}: {body}");
    assert!(body["message"].is_string(), "{context}: {body}");
    assert!(body["request_id"].is_string(), "{context}: {body}");
}

async fn call(
    app: &TestApp,
    token: &str,
    method: &Method,
    path: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let mut req = app
        .http
        .request(method.clone(), app.url(path))
        .bearer_auth(token);
    if let Some(body) = body {
        req = req.json(body);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// One route of the matrix: per caller a path and body, and the expected
/// status (0: not called).
struct Row {
    route: String,
    method: Method,
    calls: Vec<(String, Option<Value>)>,
    expect: [u16; 8],
}

impl Row {
    fn new(
        route: &str,
        method: Method,
        expect: [u16; 8],
        per: impl Fn(Who) -> (String, Option<Value>),
    ) -> Row {
        Row {
            route: route.to_owned(),
            method,
            calls: CALLERS.iter().map(|&w| per(w)).collect(),
            expect,
        }
    }
}

/// Statuses expected per caller, in `CALLERS` order:
/// owner, admin, member, viewer, A admin key, A viewer key, B owner, B key.
const READ: [u16; 8] = [200, 200, 200, 200, 200, 200, 404, 404];
const MANAGE: [u16; 8] = [200, 200, 403, 403, 200, 403, 404, 404];
const MANAGE_CREATED: [u16; 8] = [201, 201, 403, 403, 201, 403, 404, 404];
const MANAGE_DELETED: [u16; 8] = [204, 204, 403, 403, 204, 403, 404, 404];
const EDIT: [u16; 8] = [200, 200, 200, 403, 200, 403, 404, 404];
/// API-key management needs a user's token: keys get 403 whatever the org
/// (the same answer for any org id, so it reveals nothing).
const KEYS_CREATED: [u16; 8] = [201, 201, 403, 403, 403, 403, 404, 403];
const KEYS_LISTED: [u16; 8] = [200, 200, 403, 403, 403, 403, 404, 403];
const KEYS_DELETED: [u16; 8] = [204, 204, 403, 403, 403, 403, 404, 403];
const USER_ONLY: [u16; 8] = [200, 200, 200, 200, 403, 403, 200, 403];

/// A result of the matrix, for the leak checks.
struct Seen {
    who: Who,
    route: String,
    body: String,
}

fn print_table(title: &str, rows: &[(String, [u16; 8], [u16; 8])]) {
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    println!("\n{title}");
    let mut header = format!("| {:width$} |", "route");
    for who in CALLERS {
        header.push_str(&format!(" {:>12} |", who.label()));
    }
    println!("{header}");
    println!("|{}|{}", "-".repeat(width + 2), "--------------|".repeat(8));
    for (route, got, expect) in rows {
        let mut line = format!("| {route:width$} |");
        for i in 0..8 {
            let cell = match (got[i], expect[i]) {
                (0, _) => "-".to_owned(),
                (g, e) if g == e => g.to_string(),
                (g, e) => format!("{g}≠{e}"),
            };
            line.push_str(&format!(" {cell:>12} |"));
        }
        println!("{line}");
    }
}

/// Runs `rows`: in each, callers expected to be refused go first (so a
/// route that consumes state is tried by them before it is used up).
/// Outsider calls are replayed with every org-A id replaced by a fresh
/// random one and must get the identical answer. Returns the table.
async fn run(
    w: &World,
    rows: &[Row],
    a_ids: &[String],
    seen: &mut Vec<Seen>,
    failures: &mut Vec<String>,
) -> Vec<(String, [u16; 8], [u16; 8])> {
    let mut table = Vec::new();
    for row in rows {
        let mut got = [0u16; 8];
        let mut order: Vec<Who> = CALLERS
            .into_iter()
            .filter(|w| row.expect[w.index()] != 0)
            .collect();
        order.sort_by_key(|w| (200..300).contains(&row.expect[w.index()]));
        for who in order {
            let (path, body) = &row.calls[who.index()];
            let (status, answer) =
                call(&w.app, w.token(who), &row.method, path, body.as_ref()).await;
            let context = format!("{} {} by {}", row.method, path, who.label());
            got[who.index()] = status.as_u16();
            if status.as_u16() != row.expect[who.index()] {
                failures.push(format!(
                    "{}: {} got {status}, expected {}: {answer}",
                    row.route,
                    who.label(),
                    row.expect[who.index()]
                ));
            }
            if status == StatusCode::NOT_FOUND {
                assert_not_found_shape(&context, &answer);
            }
            if who.is_outsider() {
                let ghost = a_ids.iter().fold(path.clone(), |p, id| {
                    p.replace(id.as_str(), &Uuid::new_v4().to_string())
                });
                assert_ne!(&ghost, path, "{context}: no org-A id to replace");
                let (ghost_status, ghost_answer) =
                    call(&w.app, w.token(who), &row.method, &ghost, body.as_ref()).await;
                assert_eq!(
                    (status, &answer["code"], &answer["message"]),
                    (
                        ghost_status,
                        &ghost_answer["code"],
                        &ghost_answer["message"]
                    ),
                    "{context}: an org-A id answers differently from an id that exists nowhere"
                );
            }
            seen.push(Seen {
                who,
                route: context,
                body: answer.to_string(),
            });
        }
        table.push((row.route.clone(), got, row.expect));
    }
    table
}

/// Bodies seen by org-A callers carry nothing of B; bodies seen by the
/// outsiders carry nothing of A, not even an id that any org-A answer
/// contained.
fn assert_no_cross_org_data(w: &World, seen: &[Seen], a_ids: &[String]) {
    let b_ids: BTreeSet<String> = w.b.strings.iter().flat_map(|s| uuids(s)).collect();
    let mut a_side: BTreeSet<String> = a_ids.iter().cloned().collect();
    a_side.extend(w.a.strings.iter().flat_map(|s| uuids(s)));
    for s in seen.iter().filter(|s| !s.who.is_outsider()) {
        assert_clean(&s.route, &s.body, &w.b.strings, &b_ids);
        a_side.extend(uuids(&s.body));
    }
    for s in seen.iter().filter(|s| s.who.is_outsider()) {
        assert_clean(&s.route, &s.body, &w.a.strings, &a_side);
    }
}

#[actix_web::test]
async fn matrix_rest_every_route_every_caller_isolated() {
    let w = world().await;
    let app = &w.app;
    let owner = w.token(Who::Owner).to_owned();
    let (a, b) = (&w.a, &w.b);
    let mut a_ids: Vec<String> = [&a.org, &a.board, &a.item, &a.invite, &a.api_key, &a.member]
        .into_iter()
        .cloned()
        .collect();

    // Per caller: a user to add, a viewer to re-role then remove, an
    // invite to revoke, an API key to revoke, an admin invite to accept.
    let mut add_email = Vec::new();
    let mut target = Vec::new();
    let mut invite = Vec::new();
    let mut key = Vec::new();
    let mut accept = Vec::new();
    for _ in CALLERS {
        let mail = email();
        let (_, id) = app.register(&mail).await;
        add_email.push(mail);
        a_ids.push(id);
        let mail = email();
        let (_, id) = app.register(&mail).await;
        app.add_member(&owner, &a.org, &mail, "viewer").await;
        target.push(id.clone());
        a_ids.push(id);
        let (id, _) = new_invite(app, &owner, &a.org, "member").await;
        invite.push(id.clone());
        a_ids.push(id);
        let (id, _, _) = new_key(app, &owner, &a.org, "viewer").await;
        key.push(id.clone());
        a_ids.push(id);
        accept.push(new_invite(app, &owner, &a.org, "admin").await.1);
    }

    let mut seen = Vec::new();
    let mut failures = Vec::new();

    // Org-A callers with org-B ids, first: A has one item, B has two, so
    // number 2 exists only in B.
    const CROSS: [u16; 8] = [404, 404, 404, 404, 404, 404, 0, 0];
    const CROSS_KEYS: [u16; 8] = [404, 404, 403, 403, 403, 403, 0, 0];
    let (ao, bo) = (a.org.clone(), b.org.clone());
    let cross = vec![
        Row::new(
            "PATCH /orgs/{A}/members/{B member}",
            Method::PATCH,
            CROSS,
            |_| {
                (
                    format!("/api/v1/orgs/{ao}/members/{}", b.member),
                    Some(json!({ "role": "viewer" })),
                )
            },
        ),
        Row::new(
            "DELETE /orgs/{A}/members/{B member}",
            Method::DELETE,
            CROSS,
            |_| (format!("/api/v1/orgs/{ao}/members/{}", b.member), None),
        ),
        Row::new(
            "DELETE /orgs/{A}/invites/{B invite}",
            Method::DELETE,
            CROSS,
            |_| (format!("/api/v1/orgs/{ao}/invites/{}", b.invite), None),
        ),
        Row::new(
            "DELETE /orgs/{A}/api-keys/{B key}",
            Method::DELETE,
            CROSS_KEYS,
            |_| (format!("/api/v1/orgs/{ao}/api-keys/{}", b.api_key), None),
        ),
        Row::new("GET /orgs/{A}/items/2 (B only)", Method::GET, CROSS, |_| {
            (format!("/api/v1/orgs/{ao}/items/2"), None)
        }),
        Row::new("GET /orgs/{A}/items/{Bkey}-1", Method::GET, CROSS, |_| {
            (format!("/api/v1/orgs/{ao}/items/{}-1", b.key), None)
        }),
        Row::new("GET /boards/{B}", Method::GET, CROSS, |_| {
            (format!("/api/v1/boards/{}", b.board), None)
        }),
        Row::new("POST /boards/{B}/commands", Method::POST, CROSS, |_| {
            (
                format!("/api/v1/boards/{}/commands", b.board),
                Some(json!({ "type": "create_item", "title": "planted" })),
            )
        }),
        Row::new("GET /orgs/{B}", Method::GET, CROSS, |_| {
            (format!("/api/v1/orgs/{bo}"), None)
        }),
        Row::new("GET /orgs/{B}/members", Method::GET, CROSS, |_| {
            (format!("/api/v1/orgs/{bo}/members"), None)
        }),
        Row::new("GET /orgs/{B}/boards", Method::GET, CROSS, |_| {
            (format!("/api/v1/orgs/{bo}/boards"), None)
        }),
        Row::new("POST /orgs/{B}/invites", Method::POST, CROSS, |_| {
            (
                format!("/api/v1/orgs/{bo}/invites"),
                Some(json!({ "role": "viewer" })),
            )
        }),
    ];
    let cross_table = run(&w, &cross, &a_ids, &mut seen, &mut failures).await;

    let i = |who: Who| who.index();
    let org_path = |rest: &str| format!("/api/v1/orgs/{ao}{rest}");
    let board_path = |rest: &str| format!("/api/v1/boards/{}{rest}", a.board);
    let rows = vec![
        Row::new("GET /orgs/{A}", Method::GET, READ, |_| (org_path(""), None)),
        Row::new("GET /orgs/{A}/members", Method::GET, READ, |_| {
            (org_path("/members"), None)
        }),
        Row::new(
            "POST /orgs/{A}/members",
            Method::POST,
            MANAGE_CREATED,
            |w| {
                (
                    org_path("/members"),
                    Some(json!({ "email": add_email[i(w)], "role": "viewer" })),
                )
            },
        ),
        Row::new(
            "PATCH /orgs/{A}/members/{user}",
            Method::PATCH,
            MANAGE,
            |w| {
                (
                    org_path(&format!("/members/{}", target[i(w)])),
                    Some(json!({ "role": "member" })),
                )
            },
        ),
        Row::new(
            "DELETE /orgs/{A}/members/{user}",
            Method::DELETE,
            MANAGE_DELETED,
            |w| (org_path(&format!("/members/{}", target[i(w)])), None),
        ),
        Row::new(
            "POST /orgs/{A}/invites",
            Method::POST,
            MANAGE_CREATED,
            |_| (org_path("/invites"), Some(json!({ "role": "member" }))),
        ),
        Row::new("GET /orgs/{A}/invites", Method::GET, MANAGE, |_| {
            (org_path("/invites"), None)
        }),
        Row::new(
            "DELETE /orgs/{A}/invites/{id}",
            Method::DELETE,
            MANAGE_DELETED,
            |w| (org_path(&format!("/invites/{}", invite[i(w)])), None),
        ),
        Row::new("POST /orgs/{A}/api-keys", Method::POST, KEYS_CREATED, |w| {
            (
                org_path("/api-keys"),
                Some(json!({ "name": format!("by {}", w.label()), "role": "viewer" })),
            )
        }),
        Row::new("GET /orgs/{A}/api-keys", Method::GET, KEYS_LISTED, |_| {
            (org_path("/api-keys"), None)
        }),
        Row::new(
            "DELETE /orgs/{A}/api-keys/{id}",
            Method::DELETE,
            KEYS_DELETED,
            |w| (org_path(&format!("/api-keys/{}", key[i(w)])), None),
        ),
        Row::new("GET /orgs/{A}/boards", Method::GET, READ, |_| {
            (org_path("/boards"), None)
        }),
        Row::new("POST /orgs/{A}/boards", Method::POST, MANAGE_CREATED, |w| {
            (
                org_path("/boards"),
                Some(json!({ "name": format!("Board of {}", w.label()) })),
            )
        }),
        Row::new("GET /orgs/{A}/items/1", Method::GET, READ, |_| {
            (org_path("/items/1"), None)
        }),
        Row::new("GET /orgs/{A}/items/{Akey}-1", Method::GET, READ, |_| {
            (org_path(&format!("/items/{}-1", a.key)), None)
        }),
        Row::new("GET /boards/{A}", Method::GET, READ, |_| {
            (board_path(""), None)
        }),
        Row::new("POST /boards/{A}/commands item", Method::POST, EDIT, |w| {
            (
                board_path("/commands"),
                Some(json!({ "type": "create_item", "title": format!("card of {}", w.label()) })),
            )
        }),
        Row::new(
            "POST /boards/{A}/commands column",
            Method::POST,
            MANAGE,
            |w| {
                (
                    board_path("/commands"),
                    Some(
                        json!({ "type": "add_column", "name": format!("Column of {}", w.label()) }),
                    ),
                )
            },
        ),
    ];
    let table = run(&w, &rows, &a_ids, &mut seen, &mut failures).await;

    // Login sessions are the user's own: one of the other org's owner is
    // not found (and stays alive).
    let mut session_ids = Vec::new();
    for who in [Who::Owner, Who::Outsider] {
        let (status, body) = app.get(w.token(who), "/api/v1/auth/sessions").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        session_ids.push(id_of(&body["sessions"][0], "id"));
    }
    let (a_session, b_session) = (session_ids[0].clone(), session_ids[1].clone());
    a_ids.push(a_session.clone());
    const SESSIONS: [u16; 8] = [404, 404, 404, 404, 403, 403, 404, 403];
    let sessions = vec![Row::new(
        "DELETE /auth/sessions/{other org's owner's}",
        Method::DELETE,
        SESSIONS,
        |w| {
            let id = if w.is_outsider() {
                &a_session
            } else {
                &b_session
            };
            (format!("/api/v1/auth/sessions/{id}"), None)
        },
    )];
    let mut mine = run(&w, &sessions, &a_ids, &mut seen, &mut failures).await;
    for who in [Who::Owner, Who::Outsider] {
        let (status, body) = app.get(w.token(who), "/api/v1/me").await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{} still signed in: {body}",
            who.label()
        );
    }

    // User-scoped routes list only the caller's own organization.
    for (route, path) in [
        ("GET /me", "/api/v1/me"),
        ("GET /orgs", "/api/v1/orgs"),
        ("GET /auth/sessions", "/api/v1/auth/sessions"),
    ] {
        let mut got = [0u16; 8];
        for who in CALLERS {
            let (status, body) = app.get(w.token(who), path).await;
            got[who.index()] = status.as_u16();
            if status != StatusCode::OK {
                continue;
            }
            if path != "/api/v1/auth/sessions" {
                let orgs: Vec<&Value> = body["orgs"]
                    .as_array()
                    .expect("orgs")
                    .iter()
                    .map(|o| &o["id"])
                    .collect();
                let expected = if who.is_outsider() { &b.org } else { &a.org };
                assert_eq!(
                    orgs,
                    [expected.as_str()],
                    "{route} by {}: {body}",
                    who.label()
                );
            }
            seen.push(Seen {
                who,
                route: format!("{route} by {}", who.label()),
                body: body.to_string(),
            });
        }
        for who in CALLERS {
            if got[who.index()] != USER_ONLY[who.index()] {
                failures.push(format!("{route}: {} got {}", who.label(), got[who.index()]));
            }
        }
        mine.push((route.to_owned(), got, USER_ONLY));
    }

    // Last, as it makes the outsider a member: an invite token is a bearer
    // capability, so anyone logged in who holds one joins; members keep
    // their role (joined: false); API keys cannot accept.
    const ACCEPT: [u16; 8] = [200, 200, 200, 200, 403, 403, 200, 403];
    let accept_row = Row::new(
        "POST /invites/accept (A admin invite)",
        Method::POST,
        ACCEPT,
        |w| {
            (
                "/api/v1/invites/accept".to_owned(),
                Some(json!({ "token": accept[i(w)] })),
            )
        },
    );
    let mut got = [0u16; 8];
    for who in CALLERS {
        let (path, body) = &accept_row.calls[who.index()];
        let (status, answer) = call(app, w.token(who), &Method::POST, path, body.as_ref()).await;
        got[who.index()] = status.as_u16();
        if status == StatusCode::OK {
            let joined = who == Who::Outsider;
            assert_eq!(
                answer["joined"],
                joined,
                "accept by {}: {answer}",
                who.label()
            );
            assert_eq!(answer["org_id"], a.org.as_str(), "{answer}");
        }
    }
    for who in CALLERS {
        if got[who.index()] != ACCEPT[who.index()] {
            failures.push(format!("accept: {} got {}", who.label(), got[who.index()]));
        }
    }
    mine.push((accept_row.route.clone(), got, ACCEPT));

    print_table(
        "REST isolation matrix: org-A callers with org-B ids",
        &cross_table,
    );
    print_table("REST isolation matrix: every caller with org-A ids", &table);
    print_table(
        "REST isolation matrix: user-scoped routes and invite tokens",
        &mine,
    );
    assert!(
        failures.is_empty(),
        "matrix mismatches:\n{}",
        failures.join("\n")
    );
    assert_no_cross_org_data(&w, &seen, &a_ids);

    // Accepting never changed a member's role; the outsider joined.
    let (status, body) = app
        .get(&owner, &format!("/api/v1/orgs/{}/members", a.org))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let role_of = |who: Who| {
        body["members"]
            .as_array()
            .expect("members")
            .iter()
            .find(|m| m["user_id"] == w.ids[who.index()].as_str())
            .map(|m| m["role"].clone())
    };
    for (who, role) in [
        (Who::Owner, "owner"),
        (Who::Admin, "admin"),
        (Who::Member, "member"),
        (Who::Viewer, "viewer"),
        (Who::Outsider, "admin"),
    ] {
        assert_eq!(role_of(who), Some(json!(role)), "{}: {body}", who.label());
    }
}

#[test]
fn matrix_leak_check_finds_planted_ids_and_strings() {
    let id = Uuid::new_v4().to_string();
    let found = uuids(&format!(
        r#"{{"x":"{}","y":"not-a-uuid"}}"#,
        id.to_uppercase()
    ));
    assert!(found.len() == 1 && found.contains(&id), "{found:?}");
    let ids: BTreeSet<String> = [id.clone()].into();
    let planted = [
        format!(r#"{{"board":"{id}"}}"#),
        r#"{"name":"OrgB secret"}"#.to_owned(),
    ];
    for body in planted {
        let caught = std::panic::catch_unwind(|| {
            assert_clean("planted", &body, &["OrgB secret".to_owned()], &ids)
        });
        assert!(caught.is_err(), "{body} passed the leak check");
    }
    assert_clean(
        "clean",
        r#"{"code":"not_found"}"#,
        &["OrgB".to_owned()],
        &ids,
    );
}
