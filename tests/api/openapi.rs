//! The served OpenAPI document and the routes agree, in both directions,
//! and the docs page works without any external resource.
//!
//! - Every route of the server's route table (`server::routes::API_ROUTES`,
//!   the list that registers them) is an operation of the served document,
//!   with the same path and method, and the document has no other.
//! - Every operation of the document is routed: a request to it reaches a
//!   handler, not the scope's `route not found` answer.
//! - On a documented path, a method the document does not list is not
//!   routed either (it catches a route registered beside the table on a
//!   documented path).

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::spawn_app;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// A concrete URL path for a templated one: a fresh UUID for every
/// parameter, a plain number for an item number.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closing brace") + start;
        let name = &rest[start + 1..end];
        if name == "number" {
            out.push('1');
        } else if name == "label" {
            out.push_str("bug");
        } else {
            out.push_str(&uuid::Uuid::new_v4().to_string());
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Whether an answer is the API scope's default: no route matched.
fn is_unrouted(status: StatusCode, body: &Value) -> bool {
    status == StatusCode::METHOD_NOT_ALLOWED
        || (status == StatusCode::NOT_FOUND && body["message"] == "route not found")
}

async fn send(app: &crate::helpers::TestApp, method: &str, path: &str) -> (StatusCode, Value) {
    let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
    let res = app
        .http
        .request(method, app.url(path))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// (method, path) of every operation in a document.
fn operations(spec: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            assert!(METHODS.contains(&method.as_str()), "{method} {path}");
            ops.insert((method.clone(), path.clone()));
        }
    }
    ops
}

#[actix_web::test]
async fn the_served_document_and_the_routes_agree_in_both_directions() {
    let app = spawn_app().await;
    let res = app
        .http
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK, "served without a credential");
    assert!(res.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("application/json"));
    let spec: Value = res.json().await.expect("JSON");
    assert!(spec["openapi"]
        .as_str()
        .expect("openapi")
        .starts_with("3.1"));

    let documented = operations(&spec);
    let registered: BTreeSet<(String, String)> = server::routes::API_ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), format!("{}{p}", server::routes::API_PREFIX)))
        .collect();
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    let unregistered: Vec<_> = documented.difference(&registered).collect();
    assert!(
        undocumented.is_empty() && unregistered.is_empty(),
        "routes without an operation: {undocumented:?}; operations without a route: {unregistered:?}"
    );

    // Every documented operation reaches a handler.
    for (method, path) in &documented {
        let (status, body) = send(&app, method, &concrete(path)).await;
        assert!(
            !is_unrouted(status, &body),
            "{method} {path} is documented but not routed: {status} {body}"
        );
    }

    // Other methods on documented paths reach none.
    let paths: BTreeSet<&String> = documented.iter().map(|(_, p)| p).collect();
    for path in paths {
        for method in METHODS {
            if documented.contains(&(method.to_owned(), path.clone())) {
                continue;
            }
            let (status, body) = send(&app, method, &concrete(path)).await;
            assert!(
                is_unrouted(status, &body),
                "{method} {path} is routed but not documented: {status} {body}"
            );
        }
    }

    // The check above can tell: an unknown path is unrouted.
    let (status, body) = send(&app, "get", "/api/v1/no-such-route").await;
    assert!(is_unrouted(status, &body), "{status} {body}");
}

#[actix_web::test]
async fn every_error_status_a_route_answers_here_is_documented_with_the_error_shape() {
    let app = spawn_app().await;
    let spec: Value = app
        .http
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON");
    // Unauthenticated requests with an empty JSON object: every route
    // answers an error (or its success for public ones); each status must
    // be one the operation lists, and errors must have the error shape.
    for (method, path) in operations(&spec) {
        let (status, body) = send(&app, &method, &concrete(&path)).await;
        let responses = &spec["paths"][&path][&method]["responses"];
        assert!(
            responses.get(status.as_str()).is_some(),
            "{method} {path} answered {status}, which it does not document: {body}"
        );
        if status.is_client_error() || status.is_server_error() {
            for field in ["code", "message", "request_id"] {
                assert!(
                    body[field].is_string(),
                    "{method} {path}: {field} in {body}"
                );
            }
        }
    }
}

#[actix_web::test]
async fn the_docs_page_is_self_contained() {
    let app = spawn_app().await;
    let res = app
        .http
        .get(app.url("/api/v1/docs"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/html"));
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(csp.contains("connect-src 'self'"), "{csp}");
    let page = res.text().await.expect("text");
    assert!(page.contains("fetch(\"./openapi.json\")"));
    // Nothing is loaded from elsewhere: no absolute URL at all.
    for needle in ["http://", "https://", "//cdn", "<link", "src="] {
        assert!(!page.contains(needle), "the page refers to {needle}");
    }
}

/// Found by schemathesis: PostgreSQL text cannot hold NUL, and a NUL in a
/// text field reached the database and answered 500.
#[actix_web::test]
async fn control_characters_in_text_fields_are_a_400_naming_the_field() {
    let app = spawn_app().await;
    let (token, _) = app.register(&crate::helpers::email()).await;
    let org = app.create_org(&token, &crate::helpers::org_key()).await;
    let cases = [
        (
            "/api/v1/auth/login",
            "",
            serde_json::json!({"email": "a\u{0}@b.c", "password": "x"}),
            "email",
        ),
        (
            "/api/v1/auth/register",
            "",
            serde_json::json!({"email": "n@example.com", "password": "long enough", "name": "N\u{0}"}),
            "name",
        ),
        (
            "/api/v1/orgs",
            token.as_str(),
            serde_json::json!({"name": "O\u{0}", "key": "NUL"}),
            "name",
        ),
        (
            &format!("/api/v1/orgs/{org}/members"),
            token.as_str(),
            serde_json::json!({"email": "x\u{0}@example.com", "role": "member"}),
            "email",
        ),
        (
            &format!("/api/v1/orgs/{org}/api-keys"),
            token.as_str(),
            serde_json::json!({"name": "k\u{0}", "role": "member"}),
            "name",
        ),
    ];
    for (path, token, body, field) in cases {
        let (status, answer) = app.post(token, path, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
        assert_eq!(answer["code"], "validation_failed", "{path}: {answer}");
        assert!(answer["details"][field].is_string(), "{path}: {answer}");
    }
    let (status, answer) = app
        .get(&token, &format!("/api/v1/orgs/{org}/items?label=a%00b"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(answer["details"]["label"].is_string(), "{answer}");
}
