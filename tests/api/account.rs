//! Account recovery and lifecycle end to end, reading the mail the
//! server writes to its development outbox: verification on register,
//! password reset (one use, 30 minutes, every session ended, the same
//! answer for an unknown address), password change, account deletion,
//! and notification mail with its opt-out.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{email, org_key, spawn_app, TestApp, Wire};
use crate::outbox;

const PASSWORD: &str = "correct horse battery";

async fn post_anon(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    let res = app
        .http
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn login_status(app: &TestApp, address: &str, password: &str) -> StatusCode {
    app.http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": address, "password": password }))
        .send()
        .await
        .expect("login")
        .status()
}

async fn me(app: &TestApp, token: &str) -> Value {
    let (status, body) = app.get(token, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[actix_web::test]
async fn registering_mails_a_verification_link_that_verifies_once() {
    let app = spawn_app().await;
    let address = email();
    let (token, _) = app.register(&address).await;
    assert_eq!(me(&app, &token).await["email_verified"], false);
    let mail = outbox::first_to(&app, &address).await;
    assert!(
        mail.header("Subject")
            .to_lowercase()
            .contains("confirm your email"),
        "{mail:?}"
    );
    let link = mail.token("/verify-email");
    assert!(link.starts_with("cbv_"), "{link}");

    let (status, body) =
        post_anon(&app, "/api/v1/auth/verify-email", json!({ "token": link })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(me(&app, &token).await["email_verified"], true);
    // Used up.
    let (status, body) =
        post_anon(&app, "/api/v1/auth/verify-email", json!({ "token": link })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["details"]["token"].is_string(), "{body}");
    // Verified: nothing to resend.
    let (status, _) = app
        .post(&token, "/api/v1/auth/verify-email/resend", Value::Null)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[actix_web::test]
async fn a_resent_verification_link_replaces_the_first() {
    let app = spawn_app().await;
    let address = email();
    let (token, _) = app.register(&address).await;
    let first = outbox::first_to(&app, &address)
        .await
        .token("/verify-email");
    let (status, _) = app
        .post(&token, "/api/v1/auth/verify-email/resend", Value::Null)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let second = outbox::nth_to(&app, &address, 2)
        .await
        .token("/verify-email");
    assert_ne!(first, second);
    let (status, _) = post_anon(&app, "/api/v1/auth/verify-email", json!({ "token": first })).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the older link stopped working"
    );
    let (status, _) = post_anon(
        &app,
        "/api/v1/auth/verify-email",
        json!({ "token": second }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[actix_web::test]
async fn a_forgotten_password_is_reset_from_the_mailed_link_once_and_every_session_ends() {
    let app = spawn_app().await;
    let address = email();
    let (token, _) = app.register(&address).await;
    let mut socket = app.ws(&token, Wire::Json).await;

    // The same answer for an account and for an address without one.
    let (status, known) = post_anon(
        &app,
        "/api/v1/auth/password-reset",
        json!({ "email": address }),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let stranger = email();
    let (status, unknown) = post_anon(
        &app,
        "/api/v1/auth/password-reset",
        json!({ "email": stranger }),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(known, unknown);

    // Mail 1 is the verification, mail 2 the reset.
    let mail = outbox::nth_to(&app, &address, 2).await;
    assert!(mail.text.contains("30 minutes"), "{}", mail.text);
    let reset = mail.token("/reset-password");
    assert!(reset.starts_with("cbp_"));

    // A too-short password is refused, and the link still works after.
    let (status, body) = post_anon(
        &app,
        "/api/v1/auth/password-reset/confirm",
        json!({ "token": reset, "password": "short" }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["details"]["password"].is_string(), "{body}");
    let (status, body) = post_anon(
        &app,
        "/api/v1/auth/password-reset/confirm",
        json!({ "token": reset, "password": "a brand new passphrase" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Every session ended: the old access token, and the open socket.
    let (status, _) = app.get(&token, "/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let code = socket.closed().await;
    assert_eq!(code, 1008, "the live socket is closed as revoked");
    assert_eq!(
        login_status(&app, &address, PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
    // A login right after the reset (within the same second) is a new
    // session, not one the reset ended.
    let (status, fresh) = post_anon(
        &app,
        "/api/v1/auth/login",
        json!({ "email": address, "password": "a brand new passphrase" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    let fresh = fresh["access_token"].as_str().expect("access token");
    assert_eq!(me(&app, fresh).await["email"], address.as_str());
    // Single use.
    let (status, _) = post_anon(
        &app,
        "/api/v1/auth/password-reset/confirm",
        json!({ "token": reset, "password": "yet another passphrase" }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // The owner is told, and the address counts as verified now.
    let told = outbox::nth_to(&app, &address, 3).await;
    assert!(
        told.header("Subject").to_lowercase().contains("password"),
        "{told:?}"
    );
    assert!(
        outbox::to(&app, &stranger).is_empty(),
        "nothing is mailed to an unknown address"
    );
}

#[actix_web::test]
async fn a_reset_link_expires_after_30_minutes() {
    let app = spawn_app().await;
    let address = email();
    app.register(&address).await;
    post_anon(
        &app,
        "/api/v1/auth/password-reset",
        json!({ "email": address }),
    )
    .await;
    let reset = outbox::nth_to(&app, &address, 2)
        .await
        .token("/reset-password");
    let db = app.db().await;
    let client = db.pool().get().await.expect("client");
    let left: f64 = client
        .query_one(
            "SELECT extract(epoch FROM expires_at - created_at)::float8 FROM account_tokens \
             WHERE purpose = 'reset_password'",
            &[],
        )
        .await
        .expect("row")
        .get(0);
    assert!((left - 1800.0).abs() < 1.0, "valid for 30 minutes: {left}");
    client
        .execute(
            "UPDATE account_tokens SET expires_at = now() - interval '1 second' \
             WHERE purpose = 'reset_password'",
            &[],
        )
        .await
        .expect("expire");
    let (status, _) = post_anon(
        &app,
        "/api/v1/auth/password-reset/confirm",
        json!({ "token": reset, "password": "a brand new passphrase" }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn changing_the_password_ends_the_other_sessions_and_keeps_this_one() {
    let app = spawn_app().await;
    let address = email();
    let (token, _) = app.register(&address).await;
    let other = app.login(&address).await;
    let other = other["access_token"].as_str().expect("token").to_owned();

    let (status, body) = app
        .post(
            &token,
            "/api/v1/auth/password",
            json!({ "current_password": "wrong password", "new_password": "a brand new passphrase" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "invalid_credentials");
    let (status, body) = app
        .post(
            &token,
            "/api/v1/auth/password",
            json!({ "current_password": PASSWORD, "new_password": "a brand new passphrase" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        app.get(&token, "/api/v1/me").await.0,
        StatusCode::OK,
        "this session goes on"
    );
    assert_eq!(
        app.get(&other, "/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED,
        "the other ended"
    );
    assert_eq!(
        login_status(&app, &address, "a brand new passphrase").await,
        StatusCode::OK
    );
    let told = outbox::nth_to(&app, &address, 2).await;
    assert!(
        told.header("Subject").to_lowercase().contains("password"),
        "{told:?}"
    );
}

#[actix_web::test]
async fn deleting_an_account_anonymizes_it_and_keeps_the_log_consistent() {
    let app = spawn_app().await;
    let owner = email();
    let (owner_token, _) = app.register(&owner).await;
    let org = app.create_org(&owner_token, &org_key()).await;
    let leaver = email();
    let (token, user_id) = app.register(&leaver).await;
    app.add_member(&owner_token, &org, &leaver, "member").await;
    let board = app.create_board(&owner_token, &org).await;
    let board = board["id"].as_str().expect("id").to_owned();
    let (status, created) = app
        .command(
            &token,
            &board,
            json!({ "type": "create_item", "title": "mine" }),
        )
        .await;
    assert!(status.is_success(), "{created}");

    // The only owner of an organization cannot leave it ownerless.
    let (status, body) = app
        .exchange_delete(&owner_token, "/api/v1/me", json!({ "password": PASSWORD }))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "last_owner");
    // The password is asked for.
    let (status, _) = app
        .exchange_delete(&token, "/api/v1/me", json!({ "password": "not it" }))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = app
        .exchange_delete(&token, "/api/v1/me", json!({ "password": PASSWORD }))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    // Gone: no login, no token, no membership; a farewell to the old address.
    assert_eq!(
        app.get(&token, "/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_status(&app, &leaver, PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
    let (_, members) = app
        .get(&owner_token, &format!("/api/v1/orgs/{org}/members"))
        .await;
    assert!(
        !members.to_string().contains(&user_id),
        "no longer a member: {members}"
    );
    let farewell = outbox::nth_to(&app, &leaver, 2).await;
    assert!(
        farewell
            .header("Subject")
            .to_lowercase()
            .contains("deleted"),
        "{farewell:?}"
    );
    // The address is free for a new account.
    let (status, _) = post_anon(
        &app,
        "/api/v1/auth/register",
        json!({ "email": leaver, "password": PASSWORD, "name": "Again" }),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(login_status(&app, &leaver, PASSWORD).await, StatusCode::OK);

    // The log still names the old actor, now without personal data; the
    // board loads and its history reads.
    let db = app.db().await;
    let client = db.pool().get().await.expect("client");
    let row = client
        .query_one(
            "SELECT email, name, password_hash, deleted_at IS NOT NULL FROM users WHERE id = $1",
            &[&user_id.parse::<uuid::Uuid>().expect("uuid")],
        )
        .await
        .expect("the row stays");
    let (kept_email, name, hash, deleted): (String, String, String, bool) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    assert!(!kept_email.contains(&leaver) && kept_email.ends_with("@deleted.invalid"));
    assert_eq!(
        (name.as_str(), hash.as_str(), deleted),
        ("Deleted user", "!", true)
    );
    let (status, events) = app
        .get(&owner_token, &format!("/api/v1/boards/{board}/events"))
        .await;
    assert_eq!(status, StatusCode::OK, "{events}");
    assert!(
        events.to_string().contains(&user_id),
        "the log names the actor's id"
    );
}

#[actix_web::test]
async fn assignments_and_mentions_are_mailed_unless_turned_off() {
    let app = spawn_app().await;
    let owner = email();
    let (owner_token, _) = app.register(&owner).await;
    let org = app.create_org(&owner_token, &org_key()).await;
    let ana = email();
    let (ana_token, ana_id) = app.register(&ana).await;
    app.add_member(&owner_token, &org, &ana, "member").await;
    let outsider = email();
    app.register(&outsider).await;
    // Notifications go to verified addresses only.
    for address in [&ana, &outsider] {
        let link = outbox::first_to(&app, address).await.token("/verify-email");
        post_anon(&app, "/api/v1/auth/verify-email", json!({ "token": link })).await;
    }
    let board = app.create_board(&owner_token, &org).await;
    let board = board["id"].as_str().expect("id").to_owned();
    let mut ws = app.ws(&owner_token, Wire::Json).await;
    let item = ws
        .command(
            "c1",
            &board,
            json!({ "type": "create_item", "title": "Ship the release" }),
        )
        .await;
    assert_eq!(item["type"], "ack", "{item}");
    let (_, state) = app
        .get(&owner_token, &format!("/api/v1/boards/{board}"))
        .await;
    let item_id = state["items"]
        .as_object()
        .and_then(|items| items.keys().next())
        .expect("the item")
        .to_owned();

    let ack = ws
        .command(
            "a1",
            &board,
            json!({ "type": "assign_item", "item": item_id, "user": ana_id }),
        )
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let assigned = outbox::nth_to(&app, &ana, 2).await;
    assert!(
        assigned.text.contains("Ship the release"),
        "{}",
        assigned.text
    );
    assert!(
        assigned.text.contains("Test User"),
        "names who did it: {}",
        assigned.text
    );

    // A mention of a member is mailed; of someone outside the org, not.
    let body = format!("@{ana} and @{outsider}: please look");
    let ack = ws
        .command(
            "m1",
            &board,
            json!({ "type": "add_comment", "item": item_id, "body": body }),
        )
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let mentioned = outbox::nth_to(&app, &ana, 3).await;
    assert!(mentioned.text.contains("please look"), "{}", mentioned.text);

    // Turned off: no more mail of that kind.
    let (status, prefs) = app
        .patch(
            &ana_token,
            "/api/v1/me/notifications",
            json!({ "mentioned": false }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{prefs}");
    assert_eq!(prefs, json!({ "assigned": true, "mentioned": false }));
    let ack = ws
        .command(
            "m2",
            &board,
            json!({ "type": "add_comment", "item": item_id, "body": format!("@{ana} again") }),
        )
        .await;
    assert_eq!(ack["type"], "ack");
    // A later mail that is sent proves the turned-off one was not queued
    // before it: unassign and assign again.
    ws.command(
        "u1",
        &board,
        json!({ "type": "unassign_item", "item": item_id, "user": ana_id }),
    )
    .await;
    ws.command(
        "a2",
        &board,
        json!({ "type": "assign_item", "item": item_id, "user": ana_id }),
    )
    .await;
    let last = outbox::nth_to(&app, &ana, 4).await;
    assert!(
        last.header("Subject").to_lowercase().contains("assign"),
        "{last:?}"
    );
    let db = app.db().await;
    wait_queue_empty(&db).await;
    assert_eq!(
        outbox::to(&app, &ana).len(),
        4,
        "the mention after opting out was not mailed"
    );
    assert_eq!(
        outbox::to(&app, &outsider).len(),
        1,
        "only their verification"
    );
}

/// Wait until no job is queued or running.
pub async fn wait_queue_empty(db: &storage::Db) {
    let deadline = std::time::Instant::now() + crate::helpers::WAIT;
    loop {
        let pending: i64 = db
            .job_counts()
            .await
            .expect("counts")
            .iter()
            .filter(|(_, state, _)| state != "dead")
            .map(|(_, _, n)| n)
            .sum();
        if pending == 0 {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "jobs still pending");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn an_invitation_is_mailed_with_its_link() {
    let app = spawn_app().await;
    let (owner_token, _) = app.register(&email()).await;
    let org = app.create_org(&owner_token, &org_key()).await;
    let invitee = email();
    let (status, created) = app
        .post(
            &owner_token,
            &format!("/api/v1/orgs/{org}/invites"),
            json!({ "role": "member", "email": invitee }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let mail = outbox::first_to(&app, &invitee).await;
    let token = created["token"].as_str().expect("token");
    assert!(
        mail.text.contains(token),
        "the link carries the invite: {}",
        mail.text
    );
    let (status, body) = app
        .post(
            &owner_token,
            &format!("/api/v1/orgs/{org}/invites"),
            json!({ "role": "member", "email": "not an address" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}
