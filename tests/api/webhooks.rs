//! Webhooks against the real server, PostgreSQL and a real HTTP receiver:
//! who may register endpoints and where they may point, committed events
//! delivered signed and in seq order per board, a failing receiver retried
//! on the schedule, an endpoint failing too long disabled with its admins
//! mailed, secret rotation, the delivery log and redelivery. The
//! signatures are checked with the official Standard Webhooks library in
//! `.ci/webhooks` (`webhooks_standard.rs`).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use server::webhooks::sign::signature;

use crate::helpers::{email, spawn_app_with, TestApp};
use crate::outbox;
use crate::webhook_receiver::{Received, Receiver};

/// A server whose webhooks may reach 127.0.0.1 and retry after `schedule`.
async fn app_with(schedule: &[f64], disable_after: Duration) -> TestApp {
    let schedule: Vec<Duration> = schedule
        .iter()
        .map(|s| Duration::from_secs_f64(*s))
        .collect();
    spawn_app_with(move |s| {
        s.webhooks.allow_private = true;
        s.webhooks.schedule = schedule;
        s.webhooks.disable_after = disable_after;
    })
    .await
}

/// An owner, their org and a board.
async fn owner_org_board(app: &TestApp) -> (String, String, String) {
    let address = email();
    let (token, _) = app.register(&address).await;
    let key = format!(
        "W{}",
        &uuid::Uuid::new_v4().simple().to_string()[..5].to_uppercase()
    );
    let org = app.create_org(&token, &key).await;
    let board = app.create_board(&token, &org).await;
    (token, org, board["id"].as_str().expect("id").to_owned())
}

async fn register_endpoint(
    app: &TestApp,
    token: &str,
    org: &str,
    url: &str,
    types: Value,
) -> Value {
    let (status, body) = app
        .post(
            token,
            &format!("/api/v1/orgs/{org}/webhooks"),
            json!({ "url": url, "event_types": types, "description": "tests" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

/// A server, an owner with an org and a board, a receiver failing its
/// first `fail_first` requests, and an endpoint for `types` pointing at it.
struct Setup {
    app: TestApp,
    token: String,
    org: String,
    board: String,
    receiver: Receiver,
    /// The registration's answer (`id`, `secret`…).
    created: Value,
}

impl Setup {
    async fn new(
        schedule: &[f64],
        disable_after: Duration,
        fail_first: usize,
        types: Value,
    ) -> Setup {
        let app = app_with(schedule, disable_after).await;
        let (token, org, board) = owner_org_board(&app).await;
        let receiver = Receiver::start(fail_first).await;
        let created = register_endpoint(&app, &token, &org, &receiver.url, types).await;
        Setup {
            app,
            token,
            org,
            board,
            receiver,
            created,
        }
    }

    fn endpoint(&self) -> String {
        self.created["id"].as_str().expect("id").to_owned()
    }

    fn secret(&self) -> String {
        self.created["secret"].as_str().expect("secret").to_owned()
    }
}

async fn create_item(app: &TestApp, token: &str, board: &str, title: &str) {
    let (status, body) = app
        .command(
            token,
            board,
            json!({ "type": "create_item", "title": title }),
        )
        .await;
    assert!(status.is_success(), "{body}");
}

/// The request's signature, made again with `secrets`.
fn signed_with(got: &Received, secrets: &[&str]) -> String {
    let timestamp: u64 = got
        .header("webhook-timestamp")
        .parse()
        .expect("a timestamp");
    signature(secrets, got.header("webhook-id"), timestamp, &got.body)
}

#[actix_web::test]
async fn only_admins_register_endpoints_and_internal_addresses_are_refused() {
    let app = spawn_app_with(|_| {}).await;
    let (token, org, _) = owner_org_board(&app).await;
    let path = format!("/api/v1/orgs/{org}/webhooks");
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/",
        "http://[::1]/",
        "http://10.0.0.7/",
    ] {
        let (status, body) = app.post(&token, &path, json!({ "url": url })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {body}");
        assert!(
            body["details"]["url"]
                .as_str()
                .unwrap_or("")
                .contains("CORKBOARD_WEBHOOK_ALLOW_PRIVATE"),
            "{url}: {body}"
        );
    }
    for (body, field) in [
        (json!({ "url": "ftp://example.com/" }), "url"),
        (json!({ "url": "https://user:pw@example.com/" }), "url"),
        (
            json!({ "url": "http://127.0.0.1/", "event_types": ["item_moved"] }),
            "event_types",
        ),
        (
            json!({ "url": "http://127.0.0.1/", "description": "a\u{0}b" }),
            "description",
        ),
    ] {
        let (status, answer) = app.post(&token, &path, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert!(answer["details"][field].is_string(), "{answer}");
    }
    // A member may not; nor may anyone outside the organization.
    let member = email();
    let (member_token, _) = app.register(&member).await;
    app.add_member(&token, &org, &member, "member").await;
    let (status, _) = app.get(&member_token, &path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (stranger, _) = app.register(&email()).await;
    let (status, _) = app.get(&stranger, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, list) = app.get(&token, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["endpoints"], json!([]));
}

#[actix_web::test]
async fn committed_events_are_delivered_signed_once_each_in_seq_order() {
    let setup = Setup::new(
        &[0.05],
        Duration::from_secs(3600),
        0,
        json!(["board.item_created"]),
    )
    .await;
    let (app, token, org, board, receiver) = (
        &setup.app,
        &setup.token,
        &setup.org,
        &setup.board,
        &setup.receiver,
    );
    let secret = setup.secret();
    assert!(secret.starts_with("whsec_"));
    let endpoint = setup.endpoint();
    let (_, shown) = app
        .get(token, &format!("/api/v1/orgs/{org}/webhooks/{endpoint}"))
        .await;
    assert!(
        shown.get("secret").is_none(),
        "the secret is shown once: {shown}"
    );

    // Three writers at once.
    let writers = (0..3).map(|w| {
        let (app, token, board) = (&app, &token, &board);
        async move {
            for i in 0..10 {
                create_item(app, token, board, &format!("w{w} #{i}")).await;
            }
        }
    });
    futures_util::future::join_all(writers).await;
    // A type the endpoint did not ask for is not sent.
    let (status, _) = app
        .patch(
            token,
            &format!("/api/v1/boards/{board}"),
            json!({ "name": "Renamed" }),
        )
        .await;
    assert!(status.is_success());
    create_item(app, token, board, "last").await;

    let got = receiver.until("31 items", |got| got.len() >= 31).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got_now = receiver.received();
    assert_eq!(got_now.len(), 31, "each event once, nothing else");
    let mut last_seq = 0;
    for request in &got {
        let body = request.json();
        assert_eq!(body["type"], "board.item_created", "{body}");
        assert_eq!(body["data"]["board"], board.as_str());
        assert_eq!(body["data"]["org"], org.as_str());
        let seq = body["data"]["seq"].as_u64().expect("seq");
        assert!(seq > last_seq, "in seq order: {seq} after {last_seq}");
        last_seq = seq;
        assert_eq!(request.header("content-type"), "application/json");
        assert!(request.header("webhook-id").starts_with("msg_board_"));
        assert_eq!(
            request.header("webhook-signature"),
            signed_with(request, &[&secret])
        );
    }
    assert_eq!(
        got.last().expect("one").json()["data"]["event"]["title"],
        "last"
    );

    // The log shows every attempt, newest first, paged.
    let (status, log) = app
        .get(
            token,
            &format!("/api/v1/orgs/{org}/webhooks/{endpoint}/deliveries?limit=20"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let page = log["deliveries"].as_array().expect("deliveries");
    assert_eq!(page.len(), 20);
    assert!(page
        .iter()
        .all(|d| d["ok"] == true && d["status"] == 204 && d["attempt"] == 1));
    let before = log["next_before"].as_i64().expect("more");
    let (_, rest) = app
        .get(
            token,
            &format!("/api/v1/orgs/{org}/webhooks/{endpoint}/deliveries?before={before}"),
        )
        .await;
    assert_eq!(rest["deliveries"].as_array().expect("rest").len(), 11);
    assert_eq!(rest["next_before"], Value::Null);

    // Retention: the hourly job deletes attempts older than 30 days, and
    // only those.
    let db = app.db().await;
    let client = db.pool().get().await.expect("client");
    client
        .execute(
            "UPDATE webhook_deliveries SET at = now() - interval '31 days' WHERE id < $1",
            &[&before],
        )
        .await
        .expect("age");
    drop(client);
    crate::jobs::run_job(&db, protocol::jobs::JobKind::PruneWebhookDeliveries).await;
    let client = db.pool().get().await.expect("client");
    let left: i64 = client
        .query_one("SELECT count(*) FROM webhook_deliveries", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(left, 20, "the 11 old attempts are gone, the 20 recent stay");
}

#[actix_web::test]
async fn a_receiver_failing_three_times_gets_the_fourth_attempt_and_order_holds() {
    let setup = Setup::new(
        &[0.05, 0.1, 0.1, 5.0],
        Duration::from_secs(3600),
        3,
        json!(["board.item_created"]),
    )
    .await;
    let (app, token, org, board, receiver) = (
        &setup.app,
        &setup.token,
        &setup.org,
        &setup.board,
        &setup.receiver,
    );
    let endpoint = setup.endpoint();
    let secret = setup.secret();
    for title in ["first", "second", "third"] {
        create_item(app, token, board, title).await;
    }
    let got = receiver
        .until("the first event 4 times, then the rest", |g| g.len() >= 6)
        .await;
    let titles: Vec<String> = got
        .iter()
        .map(|r| {
            r.json()["data"]["event"]["title"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert_eq!(
        titles,
        ["first", "first", "first", "first", "second", "third"]
    );
    let statuses: Vec<u16> = got.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 500, 500, 204, 204, 204]);
    assert!(got[..4]
        .iter()
        .all(|r| r.header("webhook-id") == got[0].header("webhook-id")));
    assert!(got
        .iter()
        .all(|r| r.header("webhook-signature") == signed_with(r, &[&secret])));

    let (_, log) = app
        .get(
            token,
            &format!("/api/v1/orgs/{org}/webhooks/{endpoint}/deliveries"),
        )
        .await;
    let log = log["deliveries"].as_array().expect("log").clone();
    let first: Vec<&Value> = log
        .iter()
        .filter(|d| d["msg_id"] == got[0].header("webhook-id"))
        .collect();
    assert_eq!(first.len(), 4);
    let attempts: Vec<i64> = first
        .iter()
        .rev()
        .map(|d| d["attempt"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(attempts, [1, 2, 3, 4]);
    assert_eq!(first[1]["status"], 500);
    assert_eq!(
        first[1]["response"], "not\u{FFFD}today :(",
        "NUL is replaced"
    );
    let (_, endpoint_now) = app
        .get(token, &format!("/api/v1/orgs/{org}/webhooks/{endpoint}"))
        .await;
    assert_eq!(
        endpoint_now["failing_since"],
        Value::Null,
        "a success ends the failure record"
    );

    // Redeliver the first event: once more, same id, out of order.
    let id = first[0]["id"].as_i64().expect("id");
    let (status, _) = app
        .post(
            token,
            &format!("/api/v1/orgs/{org}/webhooks/{endpoint}/deliveries/{id}/redeliver"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let got = receiver.until("the redelivery", |g| g.len() >= 7).await;
    assert_eq!(got[6].header("webhook-id"), got[0].header("webhook-id"));
    assert_eq!(got[6].json()["data"]["event"]["title"], "first");
}

#[actix_web::test]
async fn an_endpoint_failing_too_long_is_disabled_and_its_admins_are_mailed() {
    let setup = Setup::new(
        &[0.2; 20],
        Duration::from_millis(600),
        usize::MAX,
        json!([]),
    )
    .await;
    let (app, token, org, board, receiver) = (
        &setup.app,
        &setup.token,
        &setup.org,
        &setup.board,
        &setup.receiver,
    );
    let endpoint = setup.endpoint();
    create_item(app, token, board, "never taken").await;
    let path = format!("/api/v1/orgs/{org}/webhooks/{endpoint}");
    let began = std::time::Instant::now();
    let disabled = loop {
        let (_, now) = app.get(token, &path).await;
        if now["enabled"] == false {
            break now;
        }
        assert!(
            began.elapsed() < crate::helpers::WAIT,
            "never disabled: {now}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        disabled["disabled_reason"]
            .as_str()
            .unwrap_or("")
            .contains("failed"),
        "{disabled}"
    );
    let (_, me) = app.get(token, "/api/v1/me").await;
    let address = me["email"].as_str().expect("email");
    let mails = outbox::to(app, address);
    let told = outbox::nth_to(app, address, mails.len().max(2)).await;
    assert!(
        told.header("Subject").contains("webhook endpoint"),
        "{told:?}"
    );
    // Disabled: nothing more is tried.
    let tries = receiver.received().len();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), tries);
    // Enabled again: the failure record is cleared and the stream is tried.
    let (status, enabled) = app.patch(token, &path, json!({ "enabled": true })).await;
    assert_eq!(status, StatusCode::OK, "{enabled}");
    assert_eq!(enabled["enabled"], true);
    assert_eq!(enabled["disabled_reason"], Value::Null);
    receiver.until("another attempt", |g| g.len() > tries).await;
}

#[actix_web::test]
async fn a_rotated_secret_signs_beside_the_new_one_during_the_overlap() {
    let setup = Setup::new(
        &[0.05],
        Duration::from_secs(3600),
        0,
        json!(["board.item_created"]),
    )
    .await;
    let (app, token, org, board, receiver) = (
        &setup.app,
        &setup.token,
        &setup.org,
        &setup.board,
        &setup.receiver,
    );
    let endpoint = setup.endpoint();
    let old = setup.secret();
    let (status, rotated) = app
        .post(
            token,
            &format!("/api/v1/orgs/{org}/webhooks/{endpoint}/rotate-secret"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new = rotated["secret"].as_str().expect("secret").to_owned();
    assert_ne!(new, old);
    create_item(app, token, board, "after the rotation").await;
    let got = receiver.until("one event", |g| !g.is_empty()).await;
    let header = got[0].header("webhook-signature");
    assert_eq!(header.split(' ').count(), 2, "{header}");
    assert_eq!(header, signed_with(&got[0], &[&new, &old]));

    // The audit log has the endpoint's changes, with who made them.
    let (status, audit) = app
        .get(token, &format!("/api/v1/orgs/{org}/audit?action=webhook."))
        .await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or(""))
        .collect();
    assert!(actions.contains(&"webhook.endpoint_created"), "{audit}");
    assert!(actions.contains(&"webhook.secret_rotated"), "{audit}");
}

#[actix_web::test]
async fn a_dead_stream_job_is_brought_back_by_the_next_event() {
    let setup = Setup::new(
        &[0.05],
        Duration::from_secs(3600),
        0,
        json!(["board.item_created"]),
    )
    .await;
    let (app, token, board, receiver) = (&setup.app, &setup.token, &setup.board, &setup.receiver);
    let endpoint = setup.endpoint();
    create_item(app, token, board, "before").await;
    receiver.until("the first event", |g| g.len() == 1).await;
    // The stream's job, dead as a database fault would have left it.
    let db = app.db().await;
    let client = db.pool().get().await.expect("client");
    client
        .execute(
            "INSERT INTO jobs (kind, payload, unique_key, max_attempts, state, attempts) \
             VALUES ('webhook', jsonb_build_object('endpoint', $1::uuid, 'stream', 'board', 'id', $2::uuid), \
               'webhook:' || $1::uuid || ':board:' || $2::uuid, 1000, 'dead', 1000)",
            &[
                &uuid::Uuid::parse_str(&endpoint).expect("uuid"),
                &uuid::Uuid::parse_str(board).expect("uuid"),
            ],
        )
        .await
        .expect("a dead job");
    drop(client);
    create_item(app, token, board, "after").await;
    let got = receiver.until("the next event", |g| g.len() == 2).await;
    assert_eq!(got[1].json()["data"]["event"]["title"], "after");
}
