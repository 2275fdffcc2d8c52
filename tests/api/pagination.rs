//! Every account list is paginated like the item list: `limit` (1–200,
//! default 50) and an opaque `cursor`, answered with
//! `{"<things>": [...], "next_cursor": …}`. For each list: more than one
//! page of entries, walked two at a time, every entry exactly once, the
//! last page's `next_cursor` null; and bad parameters are a 400 naming
//! them.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{email, org_key, spawn_app, TestApp};

/// Entries each test creates: more than two pages of two.
const ENTRIES: usize = 5;

/// One list: its path and the field holding its entries.
struct List {
    path: String,
    field: &'static str,
    /// The field of an entry that identifies it.
    id: &'static str,
}

impl List {
    fn new(path: impl Into<String>, field: &'static str, id: &'static str) -> List {
        List {
            path: path.into(),
            field,
            id,
        }
    }

    fn org(org: &str, field: &'static str, segment: &str) -> List {
        List::new(format!("/api/v1/orgs/{org}/{segment}"), field, "id")
    }

    /// `GET` one page: (status, body).
    async fn page(&self, app: &TestApp, token: &str, query: &str) -> (StatusCode, Value) {
        app.get(token, &format!("{}?{query}", self.path)).await
    }

    /// Every page, `limit` at a time, following `next_cursor`; the ids of
    /// the entries in the order served. Every page but the last is full;
    /// the last one has `next_cursor: null`. `between` runs after each
    /// page but the last.
    async fn walk(
        &self,
        app: &TestApp,
        token: &str,
        limit: usize,
        mut between: impl AsyncFnMut(usize),
    ) -> Vec<String> {
        let mut seen = Vec::new();
        let mut query = format!("limit={limit}");
        let mut n = 0;
        loop {
            n += 1;
            let (status, body) = self.page(app, token, &query).await;
            assert_eq!(status, StatusCode::OK, "{} {query}: {body}", self.path);
            let entries = body[self.field].as_array().expect(self.field);
            seen.extend(entries.iter().map(|e| id_of(e, self.id)));
            let Some(cursor) = body["next_cursor"].as_str() else {
                assert!(body["next_cursor"].is_null(), "{body}");
                assert!(entries.len() <= limit, "{body}");
                return seen;
            };
            assert_eq!(entries.len(), limit, "a page before the last is full");
            between(n).await;
            query = format!("limit={limit}&cursor={cursor}");
            assert!(n < 100, "pagination does not end");
        }
    }
}

impl List {
    /// Walked two at a time, the list serves exactly `expected`, each
    /// entry once, in this order.
    async fn serves_in_order(&self, app: &TestApp, token: &str, expected: &[String]) {
        let seen = self.walk(app, token, 2, nothing).await;
        exactly_once(&seen, expected);
        assert_eq!(seen, expected, "{}", self.path);
    }
}

fn id_of(entry: &Value, field: &str) -> String {
    entry[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {entry}"))
        .to_owned()
}

/// `seen` holds every id of `expected` exactly once, and nothing else.
fn exactly_once(seen: &[String], expected: &[String]) {
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "an entry was repeated: {seen:?}");
    assert_eq!(
        unique,
        expected.iter().collect::<BTreeSet<_>>(),
        "served {seen:?}"
    );
}

/// A user with an organization of their own.
async fn owner_with_org(app: &TestApp) -> (String, String, String) {
    let (token, user_id) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    (token, user_id, org)
}

async fn nothing(_: usize) {}

#[actix_web::test]
async fn members_are_paged_oldest_first_each_exactly_once() {
    let app = spawn_app().await;
    let (owner, owner_id, org) = owner_with_org(&app).await;
    let mut expected = vec![owner_id];
    for _ in 1..ENTRIES {
        let member = email();
        expected.push(app.register(&member).await.1);
        app.add_member(&owner, &org, &member, "member").await;
    }
    let members = List::new(format!("/api/v1/orgs/{org}/members"), "members", "user_id");

    // Oldest membership first.
    members.serves_in_order(&app, &owner, &expected).await;
    // Without parameters: one page of up to 50.
    let (status, body) = members.page(&app, &owner, "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["members"].as_array().map(Vec::len), Some(ENTRIES));
    assert!(body["next_cursor"].is_null(), "{body}");
}

#[actix_web::test]
async fn boards_are_paged_each_exactly_once_even_when_one_is_created_meanwhile() {
    let app = spawn_app().await;
    let (owner, _, org) = owner_with_org(&app).await;
    let mut expected = Vec::new();
    for _ in 0..ENTRIES {
        expected.push(id_of(&app.create_board(&owner, &org).await, "id"));
    }
    let boards = List::org(&org, "boards", "boards");

    exactly_once(&boards.walk(&app, &owner, 2, nothing).await, &expected);

    // A board created after the first page is served once, on a later
    // page; none of the others moves.
    let mut created = None;
    let seen = boards
        .walk(&app, &owner, 2, async |n| {
            if n == 1 {
                created = Some(id_of(&app.create_board(&owner, &org).await, "id"));
            }
        })
        .await;
    expected.push(created.expect("created after the first page"));
    exactly_once(&seen, &expected);
    assert_eq!(seen.last(), expected.last(), "oldest first");
}

#[actix_web::test]
async fn invites_are_paged_newest_first_each_exactly_once() {
    let app = spawn_app().await;
    let (owner, _, org) = owner_with_org(&app).await;
    let mut expected = Vec::new();
    for _ in 0..ENTRIES {
        let (status, body) = app
            .post(
                &owner,
                &format!("/api/v1/orgs/{org}/invites"),
                json!({ "role": "member" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        expected.push(id_of(&body, "id"));
    }
    let invites = List::org(&org, "invites", "invites");

    expected.reverse();
    invites.serves_in_order(&app, &owner, &expected).await;
}

#[actix_web::test]
async fn api_keys_are_paged_oldest_first_each_exactly_once() {
    let app = spawn_app().await;
    let (owner, _, org) = owner_with_org(&app).await;
    let mut expected = Vec::new();
    for _ in 0..ENTRIES {
        expected.push(app.create_api_key(&owner, &org, "member").await.0);
    }
    // A revoked key is still listed.
    let (status, body) = app.revoke_api_key(&owner, &org, &expected[1]).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let keys = List::org(&org, "api_keys", "api-keys");

    keys.serves_in_order(&app, &owner, &expected).await;
}

#[actix_web::test]
async fn my_orgs_are_paged_oldest_membership_first_each_exactly_once() {
    let app = spawn_app().await;
    let (token, _) = app.register(&email()).await;
    let mut expected = Vec::new();
    for _ in 0..ENTRIES {
        expected.push(app.create_org(&token, &org_key()).await);
    }
    // Someone else's organization is not mine.
    owner_with_org(&app).await;
    let orgs = List::new("/api/v1/orgs", "orgs", "id");

    orgs.serves_in_order(&app, &token, &expected).await;
}

#[actix_web::test]
async fn my_sessions_are_paged_newest_first_each_exactly_once() {
    let app = spawn_app().await;
    let email = email();
    let (first_token, _) = app.register(&email).await;
    let mut logins = Vec::new();
    for _ in 1..ENTRIES {
        logins.push(app.login(&email).await);
    }
    let sessions = List::new("/api/v1/auth/sessions", "sessions", "id");
    let token = logins[ENTRIES - 2]["access_token"].as_str().expect("token");

    // The session of the registration is the one no login answered.
    let (_, body) = sessions.page(&app, &first_token, "").await;
    let current: Vec<&Value> = body["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .filter(|s| s["current"] == true)
        .collect();
    assert_eq!(current.len(), 1, "{body}");
    let mut expected = vec![id_of(current[0], "id")];
    expected.extend(logins.iter().map(|l| id_of(l, "session_id")));

    expected.reverse();
    sessions.serves_in_order(&app, token, &expected).await;
}

#[actix_web::test]
async fn a_bad_limit_or_cursor_is_a_400_naming_it_on_every_list() {
    let app = spawn_app().await;
    let (owner, _, org) = owner_with_org(&app).await;
    for _ in 0..3 {
        app.create_board(&owner, &org).await;
    }
    let (status, body) = List::org(&org, "boards", "boards")
        .page(&app, &owner, "limit=1")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let boards_cursor = body["next_cursor"].as_str().expect("a second page");

    let lists = [
        List::new(format!("/api/v1/orgs/{org}/members"), "members", "user_id"),
        List::org(&org, "boards", "boards"),
        List::org(&org, "invites", "invites"),
        List::org(&org, "api_keys", "api-keys"),
        List::new("/api/v1/orgs", "orgs", "id"),
        List::new("/api/v1/auth/sessions", "sessions", "id"),
    ];
    for list in &lists {
        for (query, field) in [
            ("limit=0".to_owned(), "limit"),
            ("limit=201".to_owned(), "limit"),
            ("cursor=not-a-cursor".to_owned(), "cursor"),
            ("cursor=6e3a35".to_owned(), "cursor"),
            (format!("cursor={}", "61".repeat(500)), "cursor"),
        ] {
            let (status, body) = list.page(&app, &owner, &query).await;
            let case = format!("{} {query}: {body}", list.path);
            assert_eq!(status, StatusCode::BAD_REQUEST, "{case}");
            assert_eq!(body["code"], "validation_failed", "{case}");
            assert!(body["details"][field].is_string(), "{case}");
        }
        // A cursor belongs to the list that handed it out.
        let (status, body) = list
            .page(&app, &owner, &format!("cursor={boards_cursor}"))
            .await;
        if list.field == "boards" {
            assert_eq!(status, StatusCode::OK, "{body}");
        } else {
            assert_eq!(status, StatusCode::BAD_REQUEST, "{}: {body}", list.path);
            assert!(body["details"]["cursor"].is_string(), "{body}");
        }
        for query in ["limit=many", "limit=-1", "page=2"] {
            let (status, body) = list.page(&app, &owner, query).await;
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "{} {query}: {body}",
                list.path
            );
            assert_eq!(body["code"], "invalid_query", "{body}");
        }
        let (status, body) = list.page(&app, &owner, "limit=200").await;
        assert_eq!(status, StatusCode::OK, "{} limit=200: {body}", list.path);
        assert!(body[list.field].is_array(), "{body}");
    }
}

#[actix_web::test]
async fn the_openapi_document_shows_every_list_paginated() {
    let app = spawn_app().await;
    let (token, _) = app.register(&email()).await;
    let (status, spec) = app.get(&token, "/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    for (path, field) in [
        ("/api/v1/orgs/{org}/members", "members"),
        ("/api/v1/orgs/{org}/boards", "boards"),
        ("/api/v1/orgs/{org}/invites", "invites"),
        ("/api/v1/orgs/{org}/api-keys", "api_keys"),
        ("/api/v1/orgs", "orgs"),
        ("/api/v1/auth/sessions", "sessions"),
    ] {
        let operation = &spec["paths"][path]["get"];
        let params: Vec<&Value> = operation["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{path}: parameters in {operation}"))
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| &p["name"])
            .collect();
        assert_eq!(params, ["limit", "cursor"], "{path}");
        let schema = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: a named 200 schema in {operation}"));
        let name = schema.trim_start_matches("#/components/schemas/");
        let properties = &spec["components"]["schemas"][name]["properties"];
        assert_eq!(properties[field]["type"], "array", "{path}: {properties}");
        assert!(
            properties["next_cursor"].is_object(),
            "{path}: {properties}"
        );
    }
}
