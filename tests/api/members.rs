//! Organization membership: role changes and removals that reach the live
//! board at once, the rules of who may change whom, the last-owner rule,
//! and invites.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{email, org_key, spawn_app, TestApp};

/// An org with an owner, a board, and one more user in `role`.
struct World {
    app: TestApp,
    owner: String,
    owner_id: String,
    org: String,
    board: String,
    user: String,
    user_id: String,
}

async fn world(role: &str) -> World {
    let app = spawn_app().await;
    let (owner, owner_id) = app.register(&email()).await;
    let org = app.create_org(&owner, &org_key()).await;
    let board = app.create_board(&owner, &org).await["id"]
        .as_str()
        .expect("board id")
        .to_owned();
    let user_email = email();
    let (user, user_id) = app.register(&user_email).await;
    app.add_member(&owner, &org, &user_email, role).await;
    World {
        app,
        owner,
        owner_id,
        org,
        board,
        user,
        user_id,
    }
}

async fn send(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let res = req.send().await.expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn set_role(
    app: &TestApp,
    token: &str,
    org: &str,
    user: &str,
    role: &str,
) -> (StatusCode, Value) {
    let req = app
        .http
        .patch(app.url(&format!("/api/v1/orgs/{org}/members/{user}")))
        .bearer_auth(token)
        .json(&json!({ "role": role }));
    send(req).await
}

async fn delete(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let req = app.http.delete(app.url(path)).bearer_auth(token);
    send(req).await
}

async fn remove(app: &TestApp, token: &str, org: &str, user: &str) -> (StatusCode, Value) {
    delete(app, token, &format!("/api/v1/orgs/{org}/members/{user}")).await
}

async fn create_item(app: &TestApp, token: &str, board: &str) -> (StatusCode, Value) {
    app.command(
        token,
        board,
        json!({ "type": "create_item", "title": "Card" }),
    )
    .await
}

async fn invite(app: &TestApp, token: &str, org: &str, body: Value) -> (StatusCode, Value) {
    app.post(token, &format!("/api/v1/orgs/{org}/invites"), body)
        .await
}

async fn accept(app: &TestApp, token: &str, invite_token: &str) -> (StatusCode, Value) {
    app.post(
        token,
        "/api/v1/invites/accept",
        json!({ "token": invite_token }),
    )
    .await
}

/// The role of `user` in the members list of `org`.
async fn role_of(app: &TestApp, token: &str, org: &str, user: &str) -> Option<String> {
    let (status, body) = app.get(token, &format!("/api/v1/orgs/{org}/members")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["members"]
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["user_id"] == user)
        .map(|m| m["role"].as_str().expect("role").to_owned())
}

#[actix_web::test]
async fn a_role_change_takes_effect_on_the_next_command() {
    let w = world("member").await;
    let (status, body) = create_item(&w.app, &w.user, &w.board).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, body) = set_role(&w.app, &w.owner, &w.org, &w.user_id, "viewer").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "viewer");
    assert_eq!(body["previous_role"], "member");
    let (status, body) = create_item(&w.app, &w.user, &w.board).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // Still a reader.
    let (status, _) = w
        .app
        .get(&w.user, &format!("/api/v1/boards/{}", w.board))
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = set_role(&w.app, &w.owner, &w.org, &w.user_id, "member").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = create_item(&w.app, &w.user, &w.board).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[actix_web::test]
async fn a_removed_member_loses_the_board_and_the_org() {
    let w = world("member").await;
    let board_path = format!("/api/v1/boards/{}", w.board);
    let (status, _) = w.app.get(&w.user, &board_path).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = remove(&w.app, &w.owner, &w.org, &w.user_id).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = w.app.get(&w.user, &board_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = w.app.get(&w.user, &format!("/api/v1/orgs/{}", w.org)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = create_item(&w.app, &w.user, &w.board).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(role_of(&w.app, &w.owner, &w.org, &w.user_id).await, None);

    // Removing again: no such member.
    let (status, body) = remove(&w.app, &w.owner, &w.org, &w.user_id).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["code"], "not_found");
}

#[actix_web::test]
async fn members_may_leave_but_the_last_owner_may_not() {
    let w = world("viewer").await;
    // Anyone may leave, a viewer included.
    let (status, body) = remove(&w.app, &w.user, &w.org, &w.user_id).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = w.app.get(&w.user, &format!("/api/v1/orgs/{}", w.org)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The last owner can neither leave nor step down.
    let (status, body) = remove(&w.app, &w.owner, &w.org, &w.owner_id).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "last_owner");
    for role in ["admin", "member", "viewer"] {
        let (status, body) = set_role(&w.app, &w.owner, &w.org, &w.owner_id, role).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["code"], "last_owner");
    }

    // With a second owner, the first may step down; the second is then
    // the last and cannot be removed by anyone (nor leave).
    let second_email = email();
    let (second, second_id) = w.app.register(&second_email).await;
    w.app
        .add_member(&w.owner, &w.org, &second_email, "owner")
        .await;
    let (status, body) = set_role(&w.app, &w.owner, &w.org, &w.owner_id, "admin").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = remove(&w.app, &second, &w.org, &second_id).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "last_owner");
    // The former owner, now an admin, cannot touch the owner at all.
    let (status, body) = remove(&w.app, &w.owner, &w.org, &second_id).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        role_of(&w.app, &second, &w.org, &second_id)
            .await
            .as_deref(),
        Some("owner")
    );
}

/// How many of the world's two users are owners.
async fn owner_count(w: &World) -> usize {
    let mut count = 0;
    for id in [&w.owner_id, &w.user_id] {
        if role_of(&w.app, &w.owner, &w.org, id).await.as_deref() == Some("owner") {
            count += 1;
        }
    }
    count
}

/// Of two concurrent answers, exactly one is 200 and the other `loser`;
/// returns whether the first won.
fn one_wins(a: &(StatusCode, Value), b: &(StatusCode, Value), loser: StatusCode) -> bool {
    let ok = [a, b].iter().filter(|r| r.0 == StatusCode::OK).count();
    assert_eq!(ok, 1, "{a:?} / {b:?}");
    let other = if a.0 == StatusCode::OK { b } else { a };
    assert_eq!(other.0, loser, "{a:?} / {b:?}");
    a.0 == StatusCode::OK
}

#[actix_web::test]
async fn two_owners_demoting_each_other_at_once_leave_one_owner() {
    let w = world("owner").await;
    for round in 0..4 {
        // Each demotes the other: the second to get the roster lock is no
        // longer an owner, so may not touch one (403).
        let (a, b) = tokio::join!(
            set_role(&w.app, &w.owner, &w.org, &w.user_id, "admin"),
            set_role(&w.app, &w.user, &w.org, &w.owner_id, "admin"),
        );
        let first_won = one_wins(&a, &b, StatusCode::FORBIDDEN);
        assert_eq!(owner_count(&w).await, 1, "round {round}");
        let (winner, loser_id) = if first_won {
            (&w.owner, &w.user_id)
        } else {
            (&w.user, &w.owner_id)
        };
        let (status, body) = set_role(&w.app, winner, &w.org, loser_id, "owner").await;
        assert_eq!(status, StatusCode::OK, "{body}");

        // Both step down: the second finds the other the last owner (409).
        let (a, b) = tokio::join!(
            set_role(&w.app, &w.owner, &w.org, &w.owner_id, "member"),
            set_role(&w.app, &w.user, &w.org, &w.user_id, "member"),
        );
        let first_won = one_wins(&a, &b, StatusCode::CONFLICT);
        let loser = if first_won { &b } else { &a };
        assert_eq!(loser.1["code"], "last_owner");
        assert_eq!(owner_count(&w).await, 1, "round {round}");
        let (winner, demoted) = if first_won {
            (&w.user, &w.owner_id)
        } else {
            (&w.owner, &w.user_id)
        };
        let (status, body) = set_role(&w.app, winner, &w.org, demoted, "owner").await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

#[actix_web::test]
async fn an_admin_cannot_grant_owner_or_touch_an_owner() {
    let w = world("admin").await;
    let member_email = email();
    let (_, member_id) = w.app.register(&member_email).await;
    w.app
        .add_member(&w.user, &w.org, &member_email, "member")
        .await;

    let forbidden = [
        set_role(&w.app, &w.user, &w.org, &member_id, "owner").await,
        set_role(&w.app, &w.user, &w.org, &w.user_id, "owner").await,
        set_role(&w.app, &w.user, &w.org, &w.owner_id, "member").await,
        remove(&w.app, &w.user, &w.org, &w.owner_id).await,
        w.app
            .post(
                &w.user,
                &format!("/api/v1/orgs/{}/members", w.org),
                json!({ "email": email(), "role": "owner" }),
            )
            .await,
        invite(&w.app, &w.user, &w.org, json!({ "role": "owner" })).await,
    ];
    for (status, body) in forbidden {
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["code"], "forbidden");
    }
    assert_eq!(
        role_of(&w.app, &w.owner, &w.org, &w.owner_id)
            .await
            .as_deref(),
        Some("owner")
    );

    // Below owner, an admin manages freely.
    let (status, body) = set_role(&w.app, &w.user, &w.org, &member_id, "admin").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = set_role(&w.app, &w.user, &w.org, &member_id, "viewer").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = remove(&w.app, &w.user, &w.org, &member_id).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
}

#[actix_web::test]
async fn a_member_cannot_manage_members() {
    let w = world("member").await;
    let other_email = email();
    let (_, other_id) = w.app.register(&other_email).await;
    w.app
        .add_member(&w.owner, &w.org, &other_email, "viewer")
        .await;

    let org = &w.org;
    let forbidden = [
        set_role(&w.app, &w.user, org, &other_id, "member").await,
        set_role(&w.app, &w.user, org, &w.user_id, "admin").await,
        remove(&w.app, &w.user, org, &other_id).await,
        w.app
            .post(
                &w.user,
                &format!("/api/v1/orgs/{org}/members"),
                json!({ "email": email(), "role": "viewer" }),
            )
            .await,
        invite(&w.app, &w.user, org, json!({ "role": "viewer" })).await,
        w.app
            .get(&w.user, &format!("/api/v1/orgs/{org}/invites"))
            .await,
    ];
    for (status, body) in forbidden {
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    assert_eq!(
        role_of(&w.app, &w.owner, org, &other_id).await.as_deref(),
        Some("viewer")
    );
}

#[actix_web::test]
async fn other_orgs_unknown_members_and_bad_roles_are_refused_clearly() {
    let w = world("member").await;
    let (outsider, _) = w.app.register(&email()).await;
    let outsider_org = w.app.create_org(&outsider, &org_key()).await;

    // An outsider sees nothing of the org: 404, never 403.
    let (status, body) = set_role(&w.app, &outsider, &w.org, &w.user_id, "viewer").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["message"], "organization not found");
    let (status, _) = remove(&w.app, &outsider, &w.org, &w.user_id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A user of another org, addressed through that org: not a member.
    let (status, body) = set_role(&w.app, &outsider, &outsider_org, &w.user_id, "viewer").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["message"], "member not found");
    let stranger = uuid::Uuid::new_v4();
    let (status, body) = remove(&w.app, &w.owner, &w.org, &stranger.to_string()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // Validation names the field.
    let (status, body) = set_role(&w.app, &w.owner, &w.org, &w.user_id, "boss").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "validation_failed");
    assert!(body["details"]["role"].is_string(), "{body}");
    let (status, body) = w
        .app
        .post(
            &w.owner,
            &format!("/api/v1/orgs/{}/members", w.org),
            json!({ "email": email(), "role": "boss" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["details"]["role"].is_string(), "{body}");
    for hours in [0, 721] {
        let (status, body) = invite(
            &w.app,
            &w.owner,
            &w.org,
            json!({ "role": "viewer", "expires_in_hours": hours }),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body["details"]["expires_in_hours"].is_string(), "{body}");
    }
    let (status, body) = accept(&w.app, &w.user, "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["details"]["token"].is_string(), "{body}");
}

#[actix_web::test]
async fn an_invite_admits_a_new_user_once() {
    let w = world("viewer").await;
    let (status, created) = invite(
        &w.app,
        &w.owner,
        &w.org,
        json!({ "role": "member", "expires_in_hours": 2 }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let token = created["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("cbi_"), "{created}");
    assert_eq!(created["role"], "member");
    assert!(created["expires_at"].as_i64().is_some(), "{created}");

    // The token is shown once: the list never has it.
    let (status, listed) = w
        .app
        .get(&w.owner, &format!("/api/v1/orgs/{}/invites", w.org))
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["invites"][0]["id"], created["id"]);
    assert_eq!(listed["invites"][0]["status"], "pending");
    assert!(!listed.to_string().contains(&token[4..]), "{listed}");
    assert!(listed["invites"][0].get("token_hash").is_none());

    let (newcomer, newcomer_id) = w.app.register(&email()).await;
    let (status, _) = w
        .app
        .get(&newcomer, &format!("/api/v1/boards/{}", w.board))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = accept(&w.app, &newcomer, &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["org_id"], w.org.as_str());
    assert_eq!(body["role"], "member");
    let (status, body) = w
        .app
        .get(&newcomer, &format!("/api/v1/boards/{}", w.board))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = create_item(&w.app, &newcomer, &w.board).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        role_of(&w.app, &w.owner, &w.org, &newcomer_id)
            .await
            .as_deref(),
        Some("member")
    );

    // Used: refused for the same user and for anyone else.
    let (status, body) = accept(&w.app, &newcomer, &token).await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    assert_eq!(body["code"], "invite_used");
    let (status, body) = accept(&w.app, &w.user, &token).await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    assert_eq!(body["code"], "invite_used");
    let (_, listed) = w
        .app
        .get(&w.owner, &format!("/api/v1/orgs/{}/invites", w.org))
        .await;
    assert_eq!(listed["invites"][0]["status"], "accepted");
    assert_eq!(listed["invites"][0]["accepted_by"], newcomer_id.as_str());
    // An accepted invite cannot be revoked.
    let (status, body) = delete(
        &w.app,
        &w.owner,
        &format!(
            "/api/v1/orgs/{}/invites/{}",
            w.org,
            created["id"].as_str().expect("id")
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "invite_used");
}

#[actix_web::test]
async fn expired_revoked_and_unknown_invites_are_refused() {
    let mut w = world("admin").await;
    let (newcomer, _) = w.app.register(&email()).await;
    let org_invites = format!("/api/v1/orgs/{}/invites", w.org);

    // Revoked (by an admin, for a role below owner).
    let (status, revoked) = invite(&w.app, &w.owner, &w.org, json!({ "role": "viewer" })).await;
    assert_eq!(status, StatusCode::CREATED, "{revoked}");
    let revoke_path = format!("{org_invites}/{}", revoked["id"].as_str().expect("id"));
    let (status, body) = delete(&w.app, &w.user, &revoke_path).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = accept(&w.app, &newcomer, revoked["token"].as_str().expect("t")).await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    assert_eq!(body["code"], "invite_revoked");

    // Expired: move its expiry into the past behind the server's back.
    let (status, expired) = invite(&w.app, &w.owner, &w.org, json!({ "role": "viewer" })).await;
    assert_eq!(status, StatusCode::CREATED, "{expired}");
    expire_invite(&mut w.app, expired["id"].as_str().expect("id")).await;
    let (status, body) = accept(&w.app, &newcomer, expired["token"].as_str().expect("t")).await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    assert_eq!(body["code"], "invite_expired");

    // Unknown.
    let (status, body) = accept(&w.app, &newcomer, "cbi_0000").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["code"], "not_found");
    assert_eq!(body["message"], "invite not found");

    let (status, _) = w
        .app
        .get(&newcomer, &format!("/api/v1/orgs/{}", w.org))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, listed) = w.app.get(&w.owner, &org_invites).await;
    let statuses: Vec<&str> = listed["invites"]
        .as_array()
        .expect("invites")
        .iter()
        .map(|i| i["status"].as_str().expect("status"))
        .collect();
    // Newest first; the expired one was backdated.
    assert_eq!(statuses, ["revoked", "expired"], "{listed}");

    // Only an owner may revoke an owner invite.
    let (status, owner_invite) = invite(&w.app, &w.owner, &w.org, json!({ "role": "owner" })).await;
    assert_eq!(status, StatusCode::CREATED, "{owner_invite}");
    let path = format!("{org_invites}/{}", owner_invite["id"].as_str().expect("id"));
    let (status, body) = delete(&w.app, &w.user, &path).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = delete(&w.app, &w.owner, &path).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
}

#[actix_web::test]
async fn another_orgs_invites_are_not_found() {
    let w = world("member").await;
    let (status, created) = invite(&w.app, &w.owner, &w.org, json!({ "role": "viewer" })).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id");

    let (outsider, _) = w.app.register(&email()).await;
    let outsider_org = w.app.create_org(&outsider, &org_key()).await;
    let attempts = [
        w.app
            .get(&outsider, &format!("/api/v1/orgs/{}/invites", w.org))
            .await,
        delete(
            &w.app,
            &outsider,
            &format!("/api/v1/orgs/{}/invites/{id}", w.org),
        )
        .await,
        invite(&w.app, &outsider, &w.org, json!({ "role": "viewer" })).await,
        // Through the outsider's own org, the id does not exist.
        delete(
            &w.app,
            &outsider,
            &format!("/api/v1/orgs/{outsider_org}/invites/{id}"),
        )
        .await,
    ];
    for (status, body) in attempts {
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
    let (_, listed) = w
        .app
        .get(&outsider, &format!("/api/v1/orgs/{outsider_org}/invites"))
        .await;
    assert_eq!(listed["invites"], json!([]));
    // The invite is untouched.
    let (_, listed) = w
        .app
        .get(&w.owner, &format!("/api/v1/orgs/{}/invites", w.org))
        .await;
    assert_eq!(listed["invites"][0]["status"], "pending");
}

/// Backdates an invite straight in the database.
/// Moves an invite's expiry into the past behind the server's back: in
/// the organization's log (its `invite_created` event, the truth the
/// organization decides from) and the read model, then restarts the
/// server so the organization is loaded again.
async fn expire_invite(app: &mut TestApp, id: &str) {
    let db = app.db().await;
    let client = db.pool().get().await.expect("connection");
    let id: uuid::Uuid = id.parse().expect("uuid");
    let past = protocol::Millis(
        i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_millis(),
        )
        .expect("ms")
            - 3_600_000,
    );
    let mut rewritten = 0;
    for row in client
        .query("SELECT org_id, seq, payload FROM org_events", &[])
        .await
        .expect("log")
    {
        let payload: Vec<u8> = row.get(2);
        let event = protocol::codec::decode_org_event(&payload).expect("decodes");
        if let protocol::OrgEvent::InviteCreated {
            invite,
            role,
            token_hash,
            ..
        } = event
        {
            if invite.0 != id {
                continue;
            }
            let moved = protocol::OrgEvent::InviteCreated {
                invite,
                role,
                token_hash,
                expires_at: past,
            };
            let org: uuid::Uuid = row.get(0);
            let seq: i64 = row.get(1);
            rewritten += client
                .execute(
                    "UPDATE org_events SET payload = $3 WHERE org_id = $1 AND seq = $2",
                    &[&org, &seq, &protocol::codec::encode_org_event(&moved)],
                )
                .await
                .expect("update");
        }
    }
    assert_eq!(rewritten, 1);
    let n = client
        .execute(
            "UPDATE invites SET created_at = now() - interval '2 hours', \
             expires_at = now() - interval '1 hour' WHERE id = $1",
            &[&id],
        )
        .await
        .expect("update");
    assert_eq!(n, 1);
    drop(client);
    app.restart().await;
}

#[actix_web::test]
async fn api_keys_manage_members_by_their_role_but_never_owners() {
    let w = world("member").await;
    let key = |role: &'static str| {
        let w = &w;
        async move {
            let (status, body) = w
                .app
                .post(
                    &w.owner,
                    &format!("/api/v1/orgs/{}/api-keys", w.org),
                    json!({ "name": format!("{role} key"), "role": role }),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            body["key"].as_str().expect("key").to_owned()
        }
    };
    let owner_key = key("owner").await;
    let member_key = key("member").await;

    // A key whose role allows it manages members below owner...
    let (status, body) = set_role(&w.app, &owner_key, &w.org, &w.user_id, "admin").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = invite(&w.app, &owner_key, &w.org, json!({ "role": "viewer" })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let invite_token = body["token"].as_str().expect("token").to_owned();
    // ...but never grants the owner role or touches an owner, even as owner.
    let forbidden = [
        set_role(&w.app, &owner_key, &w.org, &w.user_id, "owner").await,
        set_role(&w.app, &owner_key, &w.org, &w.owner_id, "admin").await,
        remove(&w.app, &owner_key, &w.org, &w.owner_id).await,
        invite(&w.app, &owner_key, &w.org, json!({ "role": "owner" })).await,
        // A member key cannot manage members at all.
        set_role(&w.app, &member_key, &w.org, &w.user_id, "viewer").await,
        // Accepting an invite needs a user.
        accept(&w.app, &owner_key, &invite_token).await,
    ];
    for (status, body) in forbidden {
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    assert_eq!(
        role_of(&w.app, &w.owner, &w.org, &w.owner_id)
            .await
            .as_deref(),
        Some("owner")
    );

    // A key of another org sees nothing of this one.
    let (outsider, _) = w.app.register(&email()).await;
    let outsider_org = w.app.create_org(&outsider, &org_key()).await;
    let (status, body) = w
        .app
        .post(
            &outsider,
            &format!("/api/v1/orgs/{outsider_org}/api-keys"),
            json!({ "name": "theirs", "role": "owner" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let foreign_key = body["key"].as_str().expect("key").to_owned();
    let (status, body) = set_role(&w.app, &foreign_key, &w.org, &w.user_id, "viewer").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}
