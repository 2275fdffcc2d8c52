//! Operating the server: health checks, `GET /metrics`, rate limits (REST
//! per user and per IP, WebSocket per session) and CORS. See
//! `docs/operations.md`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use server::config::RateLimit;

use crate::helpers::{email, org_key, spawn_app, spawn_app_with, TestApp, Wire, WAIT};

/// One sample of the exposition: name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// The scraped page: its samples and the families it declares.
struct Scrape {
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
    fn positive(&self, name: &str, labels: &[(&str, &str)]) {
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

async fn scrape(app: &TestApp) -> Scrape {
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
async fn the_root_url_the_server_logs_leads_to_the_api_reference() {
    let app = spawn_app().await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let res = no_redirects.get(app.url("/")).send().await.expect("answer");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/api/v1/docs");
    let page = app.http.get(app.url("/")).send().await.expect("answer");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("html").contains("<html"));
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

/// A 429 in the API's error shape, with `Retry-After` and
/// `details.retry_after_ms`; returns the wait in ms.
async fn assert_rate_limited(res: reqwest::Response) -> u64 {
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After header in seconds");
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["code"], "rate_limited", "{body}");
    assert!(body["request_id"].is_string(), "{body}");
    let ms = body["details"]["retry_after_ms"]
        .as_u64()
        .expect("details.retry_after_ms");
    assert!(ms >= 1, "{body}");
    assert_eq!(retry_after, ms.div_ceil(1000), "Retry-After rounds up");
    ms
}

#[actix_web::test]
async fn rest_calls_over_the_per_user_limit_get_429_rate_limited_with_retry_after() {
    let app = spawn_app_with(|s| {
        s.rate_limits.principal = RateLimit {
            per_sec: 1,
            burst: 3,
        }
    })
    .await;
    let (ada, _) = app.register(&email()).await;
    let (bob, _) = app.register(&email()).await;
    for _ in 0..3 {
        let (status, body) = app.get(&ada, "/api/v1/me").await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let res = app
        .http
        .get(app.url("/api/v1/me"))
        .bearer_auth(&ada)
        .send()
        .await
        .expect("request");
    let wait = assert_rate_limited(res).await;
    assert!(wait <= 1000, "one token a second: {wait} ms");
    // Another user has a bucket of their own.
    let (status, _) = app.get(&bob, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    // Health checks need no token and are never limited.
    for _ in 0..5 {
        let res = app
            .http
            .get(app.url("/health/live"))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::OK);
    }
    let m = scrape(&app).await;
    m.positive("corkboard_rate_limited_total", &[("limit", "user")]);
    m.positive(
        "corkboard_http_requests_total",
        &[("route", "/api/v1/me"), ("status", "429")],
    );
}

#[actix_web::test]
async fn rest_calls_over_the_per_ip_limit_get_429_and_health_and_metrics_are_exempt() {
    let origin = "https://app.example.com";
    let app = spawn_app_with(|s| {
        s.rate_limits.ip = RateLimit {
            per_sec: 1,
            burst: 3,
        };
        s.allowed_origins = vec![origin.to_owned()];
    })
    .await;
    // Without a token: refused (401), but counted against the address.
    for _ in 0..3 {
        let res = app
            .http
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app
        .http
        .get(app.url("/api/v1/me"))
        .header("origin", origin)
        .send()
        .await
        .expect("request");
    assert_eq!(
        res.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some(origin),
        "a browser may read the 429"
    );
    assert_rate_limited(res).await;
    for path in ["/health/live", "/health/ready", "/metrics"] {
        for _ in 0..4 {
            let res = app.http.get(app.url(path)).send().await.expect("request");
            assert_eq!(res.status(), StatusCode::OK, "{path}");
        }
    }
    scrape(&app)
        .await
        .positive("corkboard_rate_limited_total", &[("limit", "ip")]);
}

#[actix_web::test]
async fn ws_messages_over_the_session_limit_are_refused_and_the_session_goes_on() {
    let app = spawn_app_with(|s| {
        s.rate_limits.ws_session = RateLimit {
            per_sec: 10,
            burst: 5,
        }
    })
    .await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id");
    // `auth` and `subscribe` take two of the five tokens.
    let mut ws = app.ws(&token, Wire::Json).await;
    ws.subscribe(board_id).await;

    const SENT: usize = 10;
    for i in 0..SENT {
        ws.send_command(
            &format!("c-{i}"),
            board_id,
            json!({ "type": "create_item", "title": format!("item {i}") }),
        )
        .await;
    }
    ws.send(json!({ "type": "ping", "nonce": 7 })).await;
    let mut acked = 0;
    let mut limited = Vec::new();
    let mut ping_refused = false;
    while acked + limited.len() < SENT || !ping_refused {
        let msg = ws.recv().await;
        match msg["type"].as_str() {
            Some("ack") => acked += 1,
            Some("rejected") => {
                assert_eq!(msg["code"], "rate_limited", "{msg}");
                assert_eq!(msg["retryable"], true, "{msg}");
                let wait = msg["details"]["retry_after_ms"]
                    .as_u64()
                    .expect("details.retry_after_ms");
                assert!((1..=100).contains(&wait), "{msg}");
                limited.push(wait);
            }
            Some("error") => {
                assert_eq!(msg["code"], "rate_limited", "{msg}");
                ping_refused = true;
            }
            Some("pong") => panic!("the ping should have been over the limit"),
            _ => {}
        }
    }
    assert!(acked >= 1, "the first commands fit in the burst");
    assert!(
        limited.len() >= SENT - 4,
        "{} of {SENT} refused",
        limited.len()
    );

    // After the advertised wait, the same session works again.
    let wait = limited.iter().copied().max().unwrap_or(100);
    tokio::time::sleep(Duration::from_millis(wait)).await;
    let again = ws
        .command(
            "after",
            board_id,
            json!({ "type": "create_item", "title": "after the window" }),
        )
        .await;
    assert_eq!(again["type"], "ack", "{again}");
    scrape(&app)
        .await
        .positive("corkboard_rate_limited_total", &[("limit", "ws_session")]);
}

const ALLOWED: &str = "https://app.example.com";
const FOREIGN: &str = "https://evil.example.net";

async fn spawn_with_origin() -> TestApp {
    spawn_app_with(|s| s.allowed_origins = vec![ALLOWED.to_owned()]).await
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v: &HeaderValue| v.to_str().ok())
}

#[actix_web::test]
async fn cors_allowed_origins_get_the_headers_and_foreign_ones_do_not() {
    let app = spawn_with_origin().await;
    let (token, _) = app.register(&email()).await;
    let res = app
        .http
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .header("origin", ALLOWED)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers();
    assert_eq!(header(h, "access-control-allow-origin"), Some(ALLOWED));
    let exposed = header(h, "access-control-expose-headers").unwrap_or_default();
    assert!(
        exposed.contains("X-Request-Id") && exposed.contains("Retry-After"),
        "{exposed}"
    );
    assert!(header(h, "vary").unwrap_or_default().contains("Origin"));
    assert!(h.get("access-control-allow-credentials").is_none());

    let res = app
        .http
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .header("origin", FOREIGN)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK, "the server still answers");
    assert!(res.headers().get("access-control-allow-origin").is_none());
    assert!(res.headers().get("access-control-expose-headers").is_none());

    // Non-browser clients (no Origin) see no CORS headers either.
    let (status, _) = app.get(&token, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
}

#[actix_web::test]
async fn cors_preflight_is_answered_for_allowed_origins_only() {
    let app = spawn_with_origin().await;
    let path = format!("/api/v1/boards/{}/commands", uuid::Uuid::new_v4());
    let preflight = |origin: &'static str| {
        app.http
            .request(Method::OPTIONS, app.url(&path))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type, idempotency-key",
            )
            .send()
    };
    let res = preflight(ALLOWED).await.expect("request");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let h = res.headers();
    assert_eq!(header(h, "access-control-allow-origin"), Some(ALLOWED));
    let methods = header(h, "access-control-allow-methods").unwrap_or_default();
    assert!(
        methods.contains("POST") && methods.contains("PATCH"),
        "{methods}"
    );
    let allowed = header(h, "access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for name in [
        "authorization",
        "content-type",
        "idempotency-key",
        "x-request-id",
    ] {
        assert!(allowed.contains(name), "{name} not in {allowed}");
    }
    assert!(h.get("access-control-max-age").is_some());

    let res = preflight(FOREIGN).await.expect("request");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.headers().get("access-control-allow-origin").is_none());
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["code"], "forbidden", "{body}");
}

#[actix_rt::test]
async fn large_json_responses_are_gzipped_when_the_client_accepts_it() {
    let app = spawn_app().await;
    let url = app.url("/api/v1/openapi.json");
    let gzipped = app
        .http
        .get(&url)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .expect("request");
    assert_eq!(gzipped.status(), reqwest::StatusCode::OK);
    assert_eq!(
        gzipped
            .headers()
            .get("content-encoding")
            .map(|v| v.as_bytes()),
        Some(&b"gzip"[..])
    );
    let compressed = gzipped.bytes().await.expect("body").len();
    let plain = app.http.get(&url).send().await.expect("request");
    assert!(plain.headers().get("content-encoding").is_none());
    let uncompressed = plain.bytes().await.expect("body").len();
    assert!(
        compressed * 3 < uncompressed,
        "gzip {compressed} bytes against {uncompressed}"
    );
}
