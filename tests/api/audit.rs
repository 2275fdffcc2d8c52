//! The audit log (docs/audit.md): every audited action leaves one entry
//! naming its actor, client IP, user agent and request id. Reading it,
//! lockouts and immutability: `audit_log.rs`.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{email, org_key, spawn_app, TestApp};
use crate::jobs::operator;
use crate::outbox;

pub(crate) const AGENT: &str = "audit-tests/1.0";
pub(crate) const PASSWORD: &str = "correct horse battery";

/// `method path` with `token` (if any), a fixed user agent and the request
/// id `rid`: its status and JSON body.
pub(crate) async fn call(
    app: &TestApp,
    method: Method,
    token: Option<&str>,
    path: &str,
    body: Option<Value>,
    rid: &str,
) -> (StatusCode, Value) {
    let mut req = app
        .http
        .request(method, app.url(path))
        .header("user-agent", AGENT)
        .header("x-request-id", rid);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Every entry of the instance, newest first (as an operator reads them).
async fn all_entries(app: &TestApp, operator: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = app
            .get(operator, &format!("/api/v1/admin/audit?limit=200{cursor}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        out.extend(page["entries"].as_array().expect("entries").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return out,
        }
    }
}

/// The entry of `action` written by request `rid`, checked for the
/// request's IP, user agent and id.
pub(crate) fn entry<'a>(entries: &'a [Value], rid: &str, action: &str) -> &'a Value {
    let found = entries
        .iter()
        .find(|e| e["request_id"] == rid && e["action"] == action)
        .unwrap_or_else(|| panic!("no {action} entry for {rid} in {entries:#?}"));
    assert_eq!(found["ip"], "127.0.0.1", "{found}");
    assert_eq!(found["user_agent"], AGENT, "{found}");
    assert!(found["at"].as_i64().is_some_and(|at| at > 0), "{found}");
    found
}

fn actor_is(entry: &Value, kind: &str, id: &str) {
    assert_eq!(entry["actor"]["kind"], kind, "{entry}");
    assert_eq!(entry["actor"]["id"], id, "{entry}");
}

/// Log in with a password; the access token.
async fn log_in(app: &TestApp, address: &str, password: &str) -> String {
    let body = json!({ "email": address, "password": password });
    let (status, body) = call(
        app,
        Method::POST,
        None,
        "/api/v1/auth/login",
        Some(body),
        "-",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"].as_str().expect("token").to_owned()
}

#[actix_web::test]
async fn every_audited_action_is_recorded_with_actor_ip_user_agent_and_request_id() {
    let app = spawn_app().await;
    let (owner_mail, member_mail, guest_mail) = (email(), email(), email());
    let (_, owner_id) = app.register(&owner_mail).await;
    let (member, member_id) = app.register(&member_mail).await;
    let (guest, guest_id) = app.register(&guest_mail).await;
    let op = operator(&app).await;
    let (post, patch, delete) = (Method::POST, Method::PATCH, Method::DELETE);
    let login = |rid: &'static str, password: &'static str| {
        let body = json!({ "email": owner_mail, "password": password });
        call(
            &app,
            Method::POST,
            None,
            "/api/v1/auth/login",
            Some(body),
            rid,
        )
    };

    let (status, _) = login("r-login-bad", "not the password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, session) = login("r-login", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{session}");
    let owner = session["access_token"].as_str().expect("token").to_owned();
    let o = Some(owner.as_str());

    let (_, org) = call(
        &app,
        post.clone(),
        o,
        "/api/v1/orgs",
        Some(json!({ "name": "Audited", "key": org_key() })),
        "r-org",
    )
    .await;
    let org = org["id"].as_str().expect("org").to_owned();
    let base = format!("/api/v1/orgs/{org}");
    let add = json!({ "email": member_mail, "role": "member" });
    let (status, _) = call(
        &app,
        post.clone(),
        o,
        &format!("{base}/members"),
        Some(add),
        "r-add",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let role = json!({ "role": "admin" });
    call(
        &app,
        patch.clone(),
        o,
        &format!("{base}/members/{member_id}"),
        Some(role),
        "r-role",
    )
    .await;
    let (_, invite) = call(
        &app,
        post.clone(),
        o,
        &format!("{base}/invites"),
        Some(json!({ "role": "viewer" })),
        "r-invite",
    )
    .await;
    let accept = json!({ "token": invite["token"] });
    let (status, _) = call(
        &app,
        post.clone(),
        Some(&guest),
        "/api/v1/invites/accept",
        Some(accept),
        "r-accept",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, other) = call(
        &app,
        post.clone(),
        o,
        &format!("{base}/invites"),
        Some(json!({ "role": "member" })),
        "r-invite-2",
    )
    .await;
    let other = other["id"].as_str().expect("invite").to_owned();
    call(
        &app,
        delete.clone(),
        o,
        &format!("{base}/invites/{other}"),
        None,
        "r-uninvite",
    )
    .await;
    call(
        &app,
        delete.clone(),
        o,
        &format!("{base}/members/{guest_id}"),
        None,
        "r-remove",
    )
    .await;
    call(
        &app,
        patch.clone(),
        o,
        &base,
        Some(json!({ "name": "Renamed" })),
        "r-rename",
    )
    .await;
    let (_, key) = call(
        &app,
        post.clone(),
        o,
        &format!("{base}/api-keys"),
        Some(json!({ "name": "ci", "role": "member" })),
        "r-key",
    )
    .await;
    let key_id = key["id"].as_str().expect("key").to_owned();
    call(
        &app,
        delete.clone(),
        o,
        &format!("{base}/api-keys/{key_id}"),
        None,
        "r-unkey",
    )
    .await;
    let transfer = json!({ "user_id": member_id });
    let (status, _) = call(
        &app,
        post.clone(),
        o,
        &format!("{base}/transfer-ownership"),
        Some(transfer),
        "r-transfer",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    call(
        &app,
        delete.clone(),
        Some(&member),
        &base,
        None,
        "r-delete-org",
    )
    .await;

    let second = app.login(&owner_mail).await;
    let second_id = second["session_id"].as_str().expect("sid").to_owned();
    call(
        &app,
        delete.clone(),
        o,
        &format!("/api/v1/auth/sessions/{second_id}"),
        None,
        "r-revoke",
    )
    .await;
    let change = json!({ "current_password": PASSWORD, "new_password": "another long passphrase" });
    let (status, _) = call(
        &app,
        post.clone(),
        o,
        "/api/v1/auth/password",
        Some(change),
        "r-password",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    call(
        &app,
        post.clone(),
        o,
        "/api/v1/auth/logout",
        None,
        "r-logout",
    )
    .await;
    call(
        &app,
        post.clone(),
        None,
        "/api/v1/auth/password-reset",
        Some(json!({ "email": guest_mail })),
        "-",
    )
    .await;
    let reset = outbox::nth_to(&app, &guest_mail, 2)
        .await
        .token("/reset-password");
    let confirm = json!({ "token": reset, "password": "a reset passphrase" });
    let (status, _) = call(
        &app,
        post.clone(),
        None,
        "/api/v1/auth/password-reset/confirm",
        Some(confirm),
        "r-reset",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let guest = log_in(&app, &guest_mail, "a reset passphrase").await;
    let bye = json!({ "password": "a reset passphrase" });
    let (status, _) = call(
        &app,
        delete.clone(),
        Some(&guest),
        "/api/v1/me",
        Some(bye),
        "r-bye",
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let all = all_entries(&app, &op).await;
    let failed = entry(&all, "r-login-bad", "login.failed");
    assert_eq!(failed["actor"]["kind"], "anonymous");
    assert_eq!(failed["target"]["id"], owner_id.as_str());
    assert_eq!(failed["details"]["email"], owner_mail.as_str());
    let ok = entry(&all, "r-login", "login.succeeded");
    actor_is(ok, "user", &owner_id);
    assert_eq!(ok["target"]["id"], session["session_id"]);
    for (rid, action) in [
        ("r-org", "org.created"),
        ("r-add", "member.added"),
        ("r-role", "member.role_changed"),
        ("r-invite", "invite.created"),
        ("r-uninvite", "invite.revoked"),
        ("r-remove", "member.removed"),
        ("r-rename", "org.renamed"),
        ("r-key", "api_key.created"),
        ("r-unkey", "api_key.revoked"),
        ("r-transfer", "org.ownership_transferred"),
        ("r-revoke", "session.revoked"),
        ("r-password", "password.changed"),
        ("r-logout", "session.logout"),
    ] {
        let e = entry(&all, rid, action);
        actor_is(e, "user", &owner_id);
        if !action.starts_with("session.") && !action.starts_with("password.") {
            assert_eq!(e["org_id"], org.as_str(), "{e}");
        }
    }
    assert_eq!(
        entry(&all, "r-role", "member.role_changed")["details"]["role"],
        "admin"
    );
    assert_eq!(
        entry(&all, "r-transfer", "org.ownership_transferred")["target"]["id"],
        member_id.as_str()
    );
    assert_eq!(
        entry(&all, "r-revoke", "session.revoked")["target"]["id"],
        second_id.as_str()
    );
    actor_is(
        entry(&all, "r-accept", "invite.accepted"),
        "user",
        &guest_id,
    );
    actor_is(entry(&all, "r-accept", "member.added"), "user", &guest_id);
    actor_is(
        entry(&all, "r-delete-org", "org.deleted"),
        "user",
        &member_id,
    );
    actor_is(entry(&all, "r-reset", "password.reset"), "user", &guest_id);
    actor_is(entry(&all, "r-bye", "account.deleted"), "user", &guest_id);
}
