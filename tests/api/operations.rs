//! Operating the server: health checks and `GET /metrics`. Rate limits,
//! CORS and compression are in `policies.rs`. See `docs/operations.md`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{email, org_key, spawn_app, spawn_app_with, TestApp, Wire, WAIT};

/// One sample of the exposition: name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// The scraped page: its samples and the families it declares.
pub(crate) struct Scrape {
    samples: Vec<Sample>,
    families: Vec<String>,
}

impl Scrape {
    /// Sum of the samples named `name` whose labels include `labels`.
    fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|s| s.name == name)
            .filter(|s| {
                labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|s| s.value)
            .sum()
    }

    /// Assert the family is declared and its samples sum above zero.
    pub(crate) fn positive(&self, name: &str, labels: &[(&str, &str)]) {
        let family = family_of(name);
        assert!(
            self.families.iter().any(|f| f == family),
            "family {family} is missing"
        );
        let value = self.sum(name, labels);
        assert!(value > 0.0, "{name}{labels:?} is {value}, expected > 0");
    }

    fn declared(&self, family: &str) {
        assert!(
            self.families.iter().any(|f| f == family),
            "family {family} is missing"
        );
    }
}

/// The family a sample belongs to (histogram samples have suffixes).
fn family_of(name: &str) -> &str {
    ["_bucket", "_sum", "_count"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .unwrap_or(name)
}

/// Parse the Prometheus text format (what this server writes: no
/// timestamps, label values without commas).
fn parse(text: &str) -> Scrape {
    let mut samples = Vec::new();
    let mut families = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let name = rest.split(' ').next().expect("a family name");
            families.push(name.to_owned());
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("name and value");
        let value: f64 = value.parse().expect("a number");
        let (name, labels) = match series.split_once('{') {
            None => (series.to_owned(), BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').expect("closing brace");
                let labels = body
                    .split("\",")
                    .map(|pair| {
                        let (k, v) = pair.split_once("=\"").expect("k=\"v\"");
                        (k.to_owned(), v.trim_end_matches('"').to_owned())
                    })
                    .collect();
                (name.to_owned(), labels)
            }
        };
        samples.push(Sample {
            name,
            labels,
            value,
        });
    }
    Scrape { samples, families }
}

pub(crate) async fn scrape(app: &TestApp) -> Scrape {
    let res = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    parse(&res.text().await.expect("body"))
}

/// Scrape until `name` is above zero (something the server does on its
/// own time, like passivating an idle board).
async fn wait_for_metric(app: &TestApp, name: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        if scrape(app).await.sum(name, &[]) > 0.0 {
            return;
        }
        assert!(Instant::now() < deadline, "{name} stayed 0");
        // Polling a counter the server bumps on a timer of its own.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn rest_command(app: &TestApp, token: &str, board: &str, key: &str, body: Value) -> u16 {
    app.http
        .post(app.url(&format!("/api/v1/boards/{board}/commands")))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(&body)
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

#[actix_web::test]
async fn metrics_show_every_series_after_a_session_of_rest_calls_and_ws_commands() {
    let app = spawn_app_with(|s| s.actors.idle_passivate_after = Duration::from_secs(1)).await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id");
    let missing_item = json!({ "type": "archive_item", "item": uuid::Uuid::new_v4() });

    // A subscriber keeps the board in memory meanwhile.
    let mut watcher = app.ws(&token, Wire::Json).await;
    watcher.subscribe(board_id).await;

    // REST: a command, its retry (replayed), a rejected one.
    let create = json!({ "type": "create_item", "title": "over REST" });
    assert_eq!(
        rest_command(&app, &token, board_id, "r-1", create.clone()).await,
        200
    );
    assert_eq!(
        rest_command(&app, &token, board_id, "r-1", create).await,
        200
    );
    assert_eq!(
        rest_command(&app, &token, board_id, "r-2", missing_item.clone()).await,
        422
    );

    // WebSocket: an acked and a rejected command, a ping.
    let ack = watcher
        .command(
            "w-1",
            board_id,
            json!({ "type": "create_item", "title": "over WS" }),
        )
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let seq = ack["seq"].as_u64().expect("seq");
    let rejected = watcher.command("w-2", board_id, missing_item).await;
    assert_eq!(rejected["type"], "rejected", "{rejected}");
    watcher.until_pong().await;

    // A resume from memory, and one from the future (a reset snapshot).
    let mut other = app.ws(&token, Wire::MsgPack).await;
    other
        .send(json!({ "type": "subscribe", "board": board_id, "since": seq - 1 }))
        .await;
    let resumed = other.recv_type("event").await;
    assert_eq!(resumed["seq"].as_u64(), Some(seq));
    other
        .send(json!({ "type": "unsubscribe", "board": board_id }))
        .await;
    other.recv_type("unsubscribed").await;
    other
        .send(json!({ "type": "subscribe", "board": board_id, "since": seq + 100 }))
        .await;
    let reset = other.recv_type("snapshot").await;
    assert_eq!(reset["reset"], true, "{reset}");

    // Everyone leaves; the idle board is passivated. Coming back with
    // `since` activates it again and resumes from the store.
    drop(watcher);
    drop(other);
    wait_for_metric(&app, "corkboard_boards_passivated_total").await;
    let mut late = app.ws(&token, Wire::Json).await;
    late.send(json!({ "type": "subscribe", "board": board_id, "since": 1 }))
        .await;
    let from_store = late.recv_type("event").await;
    assert_eq!(from_store["seq"].as_u64(), Some(2));

    let m = scrape(&app).await;
    // HTTP, by route pattern: never a raw path with an id.
    let commands = [
        ("route", "/api/v1/boards/{board}/commands"),
        ("method", "POST"),
        ("status", "200"),
    ];
    m.positive("corkboard_http_requests_total", &commands);
    m.positive("corkboard_http_request_duration_seconds_count", &commands);
    m.positive(
        "corkboard_http_request_duration_seconds_bucket",
        &[
            ("route", "/api/v1/orgs/{org}/boards"),
            ("status", "201"),
            ("le", "+Inf"),
        ],
    );
    assert!(
        m.samples
            .iter()
            .filter_map(|s| s.labels.get("route"))
            .all(|route| !route.contains(board_id) && !route.contains(&org)),
        "a route label holds an id"
    );
    // WebSocket sessions and messages.
    m.positive("corkboard_ws_sessions_open", &[]);
    m.positive("corkboard_ws_sessions_total", &[]);
    for kind in ["auth", "subscribe", "unsubscribe", "command", "ping"] {
        m.positive("corkboard_ws_messages_in_total", &[("type", kind)]);
    }
    for kind in [
        "welcome",
        "snapshot",
        "event",
        "ack",
        "rejected",
        "unsubscribed",
        "pong",
    ] {
        m.positive("corkboard_ws_messages_out_total", &[("type", kind)]);
    }
    // Command latency, both transports, both outcomes.
    for transport in ["ws", "rest"] {
        for outcome in ["ack", "rejected"] {
            m.positive(
                "corkboard_command_duration_seconds_count",
                &[("transport", transport), ("outcome", outcome)],
            );
        }
    }
    // The actor layer.
    for name in [
        "corkboard_commands_committed_total",
        "corkboard_commands_rejected_total",
        "corkboard_commands_replayed_total",
        "corkboard_events_broadcast_total",
        "corkboard_event_deliveries_total",
        "corkboard_snapshot_resets_total",
        "corkboard_boards_activated_total",
        "corkboard_boards_passivated_total",
        "corkboard_active_boards",
        "corkboard_active_orgs",
    ] {
        m.positive(name, &[]);
    }
    m.positive("corkboard_resumes_total", &[("from", "memory")]);
    m.positive("corkboard_resumes_total", &[("from", "store")]);
    // Storage group commit.
    for name in [
        "corkboard_storage_batches_total",
        "corkboard_storage_appends_total",
        "corkboard_storage_events_total",
        "corkboard_storage_duplicate_commands_total",
        "corkboard_storage_largest_batch_events",
        "corkboard_storage_last_commit_seconds",
        "corkboard_storage_batch_events_count",
        "corkboard_storage_batch_events_sum",
        "corkboard_storage_commit_duration_seconds_count",
        "corkboard_storage_queue_capacity",
    ] {
        m.positive(name, &[]);
    }
    m.positive("corkboard_storage_batch_events_bucket", &[("le", "1000")]);
    // The database pool.
    m.positive("corkboard_db_pool_connections", &[]);
    m.positive("corkboard_db_pool_max_connections", &[]);
    // Rate limiting: buckets of this session's user and address.
    m.positive("corkboard_rate_limit_buckets", &[("limit", "user")]);
    m.positive("corkboard_rate_limit_buckets", &[("limit", "ip")]);
    // An idempotent retry is a duplicate, not a storage failure.
    assert_eq!(m.sum("corkboard_storage_append_failures_total", &[]), 0.0);
    // Failure counters and idle gauges stay 0 in a healthy session; they
    // are there all the same.
    for family in [
        "corkboard_slow_consumers_cut_total",
        "corkboard_boards_crashed_total",
        "corkboard_storage_append_failures_total",
        "corkboard_storage_queue_depth",
        "corkboard_actor_mailbox_depth",
        "corkboard_db_pool_waiting",
        "corkboard_rate_limited_total",
    ] {
        m.declared(family);
    }
}

#[actix_web::test]
async fn the_root_url_the_server_logs_opens_the_board_app() {
    let app = spawn_app().await;
    let res = app.http.get(app.url("/")).send().await.expect("answer");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-cache");
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .expect("ascii");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let page = res.text().await.expect("html");
    assert!(page.contains(r#"<div id="app">"#), "{page}");
    // The app's script is a hashed file of the embedded build, cached for good.
    let script = page
        .split(r#"src="/"#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a script tag");
    let js = app
        .http
        .get(app.url(&format!("/{script}")))
        .send()
        .await
        .expect("answer");
    assert_eq!(js.status(), StatusCode::OK, "{script}");
    assert!(js.headers()["cache-control"]
        .to_str()
        .expect("ascii")
        .contains("immutable"));
    // The API reference stays where the app links to it.
    let docs = app
        .http
        .get(app.url("/api/v1/docs"))
        .send()
        .await
        .expect("answer");
    assert_eq!(docs.status(), StatusCode::OK);
}

#[actix_web::test]
async fn health_bodies_have_version_uptime_and_the_database_latency() {
    let app = spawn_app().await;
    for path in ["/health/startup", "/health/live", "/health/ready"] {
        let res = app.http.get(app.url(path)).send().await.expect("request");
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["status"], "ok", "{path}: {body}");
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"), "{path}: {body}");
        // Just started: well under an hour.
        let uptime = body["uptime_secs"].as_u64();
        assert!(uptime.is_some_and(|s| s < 3600), "{path}: {body}");
    }
    let res = app
        .http
        .get(app.url("/health/ready"))
        .send()
        .await
        .expect("request");
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["database"]["status"], "ok", "{body}");
    let latency = body["database"]["latency_ms"].as_f64();
    assert!(
        latency.is_some_and(|ms| (0.0..5000.0).contains(&ms)),
        "{body}"
    );
    assert!(
        body["storage_queue"]["capacity"].as_u64() > Some(0),
        "{body}"
    );
}

#[actix_web::test]
async fn metrics_show_the_process_and_the_build() {
    let app = spawn_app().await;
    let m = scrape(&app).await;
    m.positive("process_resident_memory_bytes", &[]);
    m.positive("process_open_fds", &[]);
    m.positive("process_max_fds", &[]);
    m.declared("process_cpu_seconds_total");
    assert!(m.sum("process_cpu_seconds_total", &[]) >= 0.0);
    assert!(
        m.sum("process_max_fds", &[]) >= m.sum("process_open_fds", &[]),
        "the limit is at least what is open"
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64();
    let started = m.sum("process_start_time_seconds", &[]);
    assert!(
        started > now - 86_400.0 && started <= now + 1.0,
        "process_start_time_seconds {started}, now {now}"
    );

    let build: Vec<&Sample> = m
        .samples
        .iter()
        .filter(|s| s.name == "corkboard_build_info")
        .collect();
    assert_eq!(build.len(), 1, "{build:?}");
    assert_eq!(build[0].value, 1.0);
    assert_eq!(build[0].labels["version"], env!("CARGO_PKG_VERSION"));
    let commit = &build[0].labels["git_commit"];
    assert!(
        commit == "unknown" || (commit.len() >= 4 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "git_commit {commit:?}"
    );
}

#[actix_web::test]
async fn metrics_can_be_turned_off() {
    let app = spawn_app_with(|s| s.metrics = false).await;
    let res = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// A command through a resource route is counted in the command metrics
/// exactly as one through `POST /boards/{board}/commands`: one ack each,
/// and a refusal by either is one rejection.
#[actix_web::test]
async fn resource_routes_and_the_commands_route_are_counted_alike() {
    let app = spawn_app().await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id").to_owned();
    let count = |m: &Scrape, outcome: &str| {
        m.sum(
            "corkboard_command_duration_seconds_count",
            &[("transport", "rest"), ("outcome", outcome)],
        )
    };
    let resource = |title: &str| {
        app.http
            .post(app.url(&format!("/api/v1/boards/{board_id}/items")))
            .bearer_auth(&token)
            .json(&json!({ "title": title }))
            .send()
    };

    let mut last = scrape(&app).await;
    let steps: [(&str, &str); 4] = [
        ("resource", "ack"),
        ("commands", "ack"),
        ("resource", "rejected"),
        ("commands", "rejected"),
    ];
    for (route, outcome) in steps {
        // An empty title breaks a rule: 422.
        let title = if outcome == "ack" { "counted" } else { "" };
        let status = match route {
            "resource" => resource(title).await.expect("request").status().as_u16(),
            _ => app
                .command(
                    &token,
                    &board_id,
                    json!({ "type": "create_item", "title": title }),
                )
                .await
                .0
                .as_u16(),
        };
        let expected = if outcome == "ack" {
            [200, 201]
        } else {
            [422, 422]
        };
        assert!(expected.contains(&status), "{route} {outcome}: {status}");
        let now = scrape(&app).await;
        for o in ["ack", "rejected"] {
            let grew = count(&now, o) - count(&last, o);
            let want = if o == outcome { 1.0 } else { 0.0 };
            assert_eq!(grew, want, "{route} {outcome}: {o} grew by {grew}");
        }
        last = now;
    }
}
