//! Reading the audit log (docs/audit.md): failed logins and lockouts are
//! recorded; an organization's admins read their organization's entries
//! only and members are refused; filters and pages; operator actions on
//! jobs are recorded; the database refuses to change or delete an entry.

use protocol::jobs::JobKind;
use reqwest::{Method, StatusCode};
use serde_json::json;
use storage::jobs::NewJob;

use crate::audit::{call, entry, PASSWORD};
use crate::helpers::{email, org_key, spawn_app, spawn_app_with};
use crate::jobs::operator;

#[actix_web::test]
async fn failed_logins_and_the_lockout_they_cause_are_recorded() {
    let app = spawn_app_with(|s| s.auth.max_failures_per_email = 3).await;
    let address = email();
    let (_, user) = app.register(&address).await;
    let op = operator(&app).await;
    for i in 0..3 {
        let body = json!({ "email": address, "password": "wrong wrong wrong" });
        let (status, _) = call(
            &app,
            Method::POST,
            None,
            "/api/v1/auth/login",
            Some(body),
            &format!("r-fail-{i}"),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let body = json!({ "email": address, "password": PASSWORD });
    let (status, body) = call(
        &app,
        Method::POST,
        None,
        "/api/v1/auth/login",
        Some(body),
        "r-locked",
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");

    let (status, page) = app.get(&op, "/api/v1/admin/audit?action=login.").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let entries = page["entries"].as_array().expect("entries").clone();
    for i in 0..3 {
        let e = entry(&entries, &format!("r-fail-{i}"), "login.failed");
        assert_eq!(e["target"]["id"], user.as_str());
        assert_eq!(e["details"]["reason"], "invalid_credentials");
    }
    let lock = entry(&entries, "r-fail-2", "login.locked");
    assert_eq!(lock["details"]["scope"], "email");
    assert_eq!(lock["details"]["email"], address.as_str());
    assert!(lock["details"]["locked_for_secs"]
        .as_u64()
        .is_some_and(|s| s > 0));
    // Only the third failure locked; the refusal itself adds nothing.
    let locks = entries
        .iter()
        .filter(|e| e["action"] == "login.locked")
        .count();
    assert_eq!(locks, 1);
}

#[actix_web::test]
async fn org_admins_read_only_their_org_and_members_are_refused() {
    let app = spawn_app().await;
    let (a_owner, _) = app.register(&email()).await;
    let (b_owner, _) = app.register(&email()).await;
    let member_mail = email();
    let (member, _) = app.register(&member_mail).await;
    let org_a = app.create_org(&a_owner, &org_key()).await;
    let org_b = app.create_org(&b_owner, &org_key()).await;
    app.add_member(&a_owner, &org_a, &member_mail, "member")
        .await;
    app.create_api_key(&b_owner, &org_b, "admin").await;

    let (status, page) = app
        .get(&a_owner, &format!("/api/v1/orgs/{org_a}/audit"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let entries = page["entries"].as_array().expect("entries");
    assert!(!entries.is_empty());
    assert!(
        entries.iter().all(|e| e["org_id"] == org_a.as_str()),
        "{page}"
    );
    assert!(entries.iter().any(|e| e["action"] == "member.added"));
    // Org B's entries exist, but not for A's owner.
    let (status, body) = app
        .get(&a_owner, &format!("/api/v1/orgs/{org_b}/audit"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (_, b_page) = app
        .get(&b_owner, &format!("/api/v1/orgs/{org_b}/audit"))
        .await;
    assert!(b_page["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .any(|e| e["action"] == "api_key.created"));
    // A member is refused, and so is an API key, even an admin one.
    let (status, body) = app
        .get(&member, &format!("/api/v1/orgs/{org_a}/audit"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (_, key) = app.create_api_key(&a_owner, &org_a, "admin").await;
    let (status, _) = app.get(&key, &format!("/api/v1/orgs/{org_a}/audit")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Login entries belong to no organization: operators only.
    assert!(entries.iter().all(|e| e["action"] != "login.succeeded"));
}

#[actix_web::test]
async fn the_audit_log_filters_and_pages() {
    let app = spawn_app().await;
    let (owner, owner_id) = app.register(&email()).await;
    let org = app.create_org(&owner, &org_key()).await;
    let mut members = Vec::new();
    for _ in 0..5 {
        let address = email();
        let (_, id) = app.register(&address).await;
        app.add_member(&owner, &org, &address, "viewer").await;
        members.push(id);
    }
    let path = format!("/api/v1/orgs/{org}/audit");
    // Three pages of two member.added entries, newest first, each once.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    for _ in 0..3 {
        let (status, page) = app
            .get(
                &owner,
                &format!("{path}?action=member.added&limit=2{cursor}"),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for e in page["entries"].as_array().expect("entries") {
            seen.push(e["target"]["id"].as_str().expect("target").to_owned());
        }
        cursor = page["next_cursor"]
            .as_str()
            .map(|c| format!("&cursor={c}"))
            .unwrap_or_default();
    }
    // The creator joined first, with the organization.
    members.reverse();
    members.push(owner_id.clone());
    assert_eq!(seen, members);
    assert!(cursor.is_empty(), "no fourth page");

    let (_, by_owner) = app
        .get(&owner, &format!("{path}?actor={owner_id}&action=org."))
        .await;
    let actions: Vec<&str> = by_owner["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(actions, ["org.created"]);
    let (_, future) = app
        .get(&owner, &format!("{path}?since=253402300799999"))
        .await;
    assert_eq!(future["entries"], json!([]));
    let (_, recent) = app
        .get(&owner, &format!("{path}?since=1&until=253402300799999"))
        .await;
    assert_eq!(
        recent["entries"].as_array().map(Vec::len),
        Some(7),
        "{recent}"
    );
    let (_, past) = app.get(&owner, &format!("{path}?until=1")).await;
    assert_eq!(past["entries"], json!([]));
    for bad in [
        "since=9223372036854775807",
        "until=-1",
        "action=login",
        "action=nothing.",
        "limit=0",
        "cursor=zz",
        "since=5&until=4",
    ] {
        let (status, body) = app.get(&owner, &format!("{path}?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    // Operators filter by organization.
    let op = operator(&app).await;
    let (_, page) = app
        .get(&op, &format!("/api/v1/admin/audit?org={org}&limit=200"))
        .await;
    assert_eq!(page["entries"].as_array().expect("entries").len(), 7);
}

#[actix_web::test]
async fn the_database_refuses_to_change_or_delete_an_entry() {
    let app = spawn_app().await;
    app.register(&email()).await;
    let db = app.db().await;
    let client = db.pool().get().await.expect("client");
    let count = "SELECT count(*) FROM audit_log";
    let before: i64 = client.query_one(count, &[]).await.expect("count").get(0);
    assert!(before > 0);
    for sql in [
        "UPDATE audit_log SET action = 'forged'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let err = client.batch_execute(sql).await.expect_err(sql);
        let text = format!("{err:?}");
        assert!(text.contains("append-only"), "{sql}: {text}");
    }
    let after: i64 = client.query_one(count, &[]).await.expect("count").get(0);
    assert_eq!(after, before);
    let forged = client
        .query_one(
            "SELECT count(*) FROM audit_log WHERE action = 'forged'",
            &[],
        )
        .await
        .expect("count");
    assert_eq!(forged.get::<_, i64>(0), 0);
}

#[actix_web::test]
async fn operator_job_actions_are_recorded() {
    let app = spawn_app_with(|s| s.jobs.workers = false).await;
    let op = operator(&app).await;
    let db = app.db().await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let job = NewJob::new(JobKind::PruneTokens, json!({ "n": i }));
        ids.push(db.enqueue(&job).await.expect("enqueue").expect("id"));
    }
    let client = db.pool().get().await.expect("client");
    client
        .batch_execute(
            "UPDATE jobs SET state = 'dead', attempts = max_attempts WHERE kind = 'prune_tokens'",
        )
        .await
        .expect("dead");
    let o = Some(op.as_str());
    let retry = format!("/api/v1/admin/jobs/{}/retry", ids[0]);
    let (status, _) = call(&app, Method::POST, o, &retry, None, "r-retry").await;
    assert_eq!(status, StatusCode::OK);
    let discard = format!("/api/v1/admin/jobs/{}", ids[1]);
    let (status, _) = call(&app, Method::DELETE, o, &discard, None, "r-discard").await;
    assert_eq!(status, StatusCode::OK);
    let all = "/api/v1/admin/jobs/retry-dead?kind=prune_tokens";
    let (status, _) = call(&app, Method::POST, o, all, None, "r-all").await;
    assert_eq!(status, StatusCode::OK);
    // Nothing dead is left: changing nothing records nothing.
    let none = "/api/v1/admin/jobs/discard-dead";
    call(&app, Method::POST, o, none, None, "r-none").await;

    let (_, page) = app.get(&op, "/api/v1/admin/audit?action=admin.").await;
    let entries = page["entries"].as_array().expect("entries").clone();
    assert_eq!(entries.len(), 3, "{page}");
    let retried = entry(&entries, "r-retry", "admin.job_retried");
    assert_eq!(retried["target"]["id"], ids[0].to_string());
    assert_eq!(retried["actor"]["kind"], "user");
    let discarded = entry(&entries, "r-discard", "admin.job_discarded");
    assert_eq!(discarded["target"]["id"], ids[1].to_string());
    let all = entry(&entries, "r-all", "admin.dead_jobs_retried");
    assert_eq!(all["details"]["count"], 1);
    assert_eq!(all["details"]["kind"], "prune_tokens");
}

#[actix_web::test]
async fn an_org_command_over_the_socket_names_the_socket_origin() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let app = spawn_app().await;
    let (owner, owner_id) = app.register(&email()).await;
    let org = app.create_org(&owner, &org_key()).await;
    let member_mail = email();
    let (_, member) = app.register(&member_mail).await;
    app.add_member(&owner, &org, &member_mail, "member").await;
    let bearer = format!("Bearer {owner}");
    let req = app.ws_request(&[
        ("authorization", &bearer),
        ("user-agent", crate::audit::AGENT),
        ("x-request-id", "r-socket"),
    ]);
    let (mut stream, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("connects");
    let command = json!({
        "type": "org_command", "id": "promote", "org": org,
        "command": { "type": "change_role", "user": member, "role": "admin" },
    });
    stream
        .send(Message::text(command.to_string()))
        .await
        .expect("sent");
    loop {
        let frame = stream.next().await.expect("frame").expect("ok");
        let msg: serde_json::Value =
            serde_json::from_str(frame.to_text().unwrap_or("null")).unwrap_or_default();
        if msg["id"] == "promote" {
            assert_eq!(msg["type"], "org_ack", "{msg}");
            break;
        }
    }
    let (_, page) = app
        .get(
            &owner,
            &format!("/api/v1/orgs/{org}/audit?action=member.role_changed"),
        )
        .await;
    let entries = page["entries"].as_array().expect("entries").clone();
    let e = entry(&entries, "r-socket", "member.role_changed");
    assert_eq!(e["actor"]["id"], owner_id.as_str());
    assert_eq!(e["target"]["id"], member.as_str());
}

#[actix_web::test]
async fn a_reused_refresh_token_is_recorded() {
    let app = spawn_app_with(|s| s.auth.refresh_reuse_grace = std::time::Duration::ZERO).await;
    let address = email();
    let (_, user) = app.register(&address).await;
    let op = operator(&app).await;
    let first = app.login(&address).await;
    let refresh = json!({ "refresh_token": first["refresh_token"] });
    let path = "/api/v1/auth/refresh";
    let (status, _) = call(&app, Method::POST, None, path, Some(refresh.clone()), "-").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = call(&app, Method::POST, None, path, Some(refresh), "r-reuse").await;
    assert_eq!(body["code"], "refresh_token_reused", "{status} {body}");
    let (_, page) = app
        .get(
            &op,
            "/api/v1/admin/audit?action=session.refresh_token_reused",
        )
        .await;
    let entries = page["entries"].as_array().expect("entries").clone();
    let e = entry(&entries, "r-reuse", "session.refresh_token_reused");
    assert_eq!(e["target"]["id"], first["session_id"]);
    assert_eq!(e["details"]["user"], user.as_str());
}
