//! `spawn_app()` and the clients the tests drive it with.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::config::DatabaseSettings;
use server::{Application, Settings};
use storage::TestDb;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for something it expects before failing.
pub const WAIT: Duration = Duration::from_secs(10);

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub http: reqwest::Client,
    /// Held so the database lives as long as the app.
    _db: TestDb,
    pub settings: Settings,
    stop: Option<oneshot::Sender<()>>,
    task: Option<actix_rt::task::JoinHandle<anyhow::Result<()>>>,
}

/// Settings for a test server: port 0, the test database, a random key.
pub fn test_settings(db: &TestDb) -> Settings {
    let mut settings = Settings::from_lookup(|_| None).expect("default settings are valid");
    settings.bind = "127.0.0.1:0".parse().expect("valid address");
    settings.database = DatabaseSettings::Url(db.url.clone());
    settings.jwt.secret = Some(uuid::Uuid::new_v4().as_bytes().repeat(2));
    // Its own data directory: the development mail outbox is under it.
    settings.data_dir =
        std::env::temp_dir().join(format!("corkboard-test-{}", uuid::Uuid::new_v4()));
    settings.workers = 2;
    settings.db_pool_size = 8;
    // Generous limits, so no test is throttled by accident; the rate limit
    // tests lower them.
    let generous = server::config::RateLimit {
        per_sec: 1_000_000,
        burst: 10_000_000,
    };
    settings.rate_limits.principal = generous;
    settings.rate_limits.ip = generous;
    settings.rate_limits.ws_session = generous;
    settings
}

/// A reqwest client (with the process's TLS provider installed first: see
/// `server::webhooks::guard::install_tls_provider`).
pub fn http_client() -> reqwest::Client {
    server::webhooks::guard::install_tls_provider();
    reqwest::Client::new()
}

/// Start the server on a fresh database.
pub async fn spawn_app() -> TestApp {
    let db = TestDb::new().await;
    let settings = test_settings(&db);
    start(db, settings).await
}

/// Start the server with adjusted settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let db = TestDb::new().await;
    let mut settings = test_settings(&db);
    adjust(&mut settings);
    start(db, settings).await
}

async fn start(db: TestDb, settings: Settings) -> TestApp {
    let (port, stop, task) = launch(settings.clone()).await;
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        http: http_client(),
        _db: db,
        settings,
        stop: Some(stop),
        task: Some(task),
    }
}

type ServerTask = actix_rt::task::JoinHandle<anyhow::Result<()>>;

async fn launch(settings: Settings) -> (u16, oneshot::Sender<()>, ServerTask) {
    let app = Application::build(settings)
        .await
        .expect("application builds");
    let port = app.port();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = actix_rt::spawn(app.run(async move {
        let _ = stopped.await;
    }));
    (port, stop, task)
}

impl TestApp {
    /// Shut down gracefully and wait until it has stopped.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server ran");
        }
    }

    /// Stop, then start a new server with the same settings on the same
    /// database (tokens stay valid: same signing key).
    pub async fn restart(&mut self) {
        self.stop().await;
        let (port, stop, task) = launch(self.settings.clone()).await;
        self.port = port;
        self.address = format!("http://127.0.0.1:{port}");
        self.stop = Some(stop);
        self.task = Some(task);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// `req` sent with `token`: its status and JSON body (`Null` if none).
    async fn exchange(
        &self,
        req: reqwest::RequestBuilder,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let req = req.bearer_auth(token);
        let req = match body {
            Some(body) => req.json(&body),
            None => req,
        };
        let res = req.send().await.expect("request");
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.exchange(self.http.get(self.url(path)), token, None)
            .await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.exchange(self.http.post(self.url(path)), token, Some(body))
            .await
    }

    /// `PATCH path` with a JSON body.
    pub async fn patch(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.exchange(self.http.patch(self.url(path)), token, Some(body))
            .await
    }

    /// `DELETE path`.
    pub async fn delete(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.exchange(self.http.delete(self.url(path)), token, None)
            .await
    }

    /// A connection to the app's database, to look at what it stored.
    /// `DELETE` with a JSON body: its status and JSON body.
    pub async fn exchange_delete(
        &self,
        token: &str,
        path: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        self.exchange(self.http.delete(self.url(path)), token, Some(body))
            .await
    }

    pub async fn db(&self) -> storage::Db {
        let DatabaseSettings::Url(url) = &self.settings.database else {
            panic!("tests run on a database URL");
        };
        storage::Db::connect(url, 1).await.expect("connects")
    }

    /// Register a user (password `correct horse battery`) and log in;
    /// returns (access token, user id).
    pub async fn register(&self, email: &str) -> (String, String) {
        let res = self
            .http
            .post(self.url("/api/v1/auth/register"))
            .json(&json!({ "email": email, "password": "correct horse battery", "name": "Test User" }))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        let body = self.login(email).await;
        (
            body["access_token"].as_str().expect("token").to_owned(),
            body["user"]["id"].as_str().expect("id").to_owned(),
        )
    }

    /// Log in as a user `register` made: a new login session; returns the
    /// answer (`access_token`, `session_id`, `user`, …).
    pub async fn login(&self, email: &str) -> Value {
        let res = self
            .http
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({ "email": email, "password": "correct horse battery" }))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.expect("json")
    }

    /// Create an organization; returns its id.
    pub async fn create_org(&self, token: &str, key: &str) -> String {
        let (status, body) = self
            .post(
                token,
                "/api/v1/orgs",
                json!({ "name": format!("Org {key}"), "key": key }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().expect("id").to_owned()
    }

    /// Create a board with the default columns; returns the board JSON.
    pub async fn create_board(&self, token: &str, org: &str) -> Value {
        let (status, body) = self
            .post(
                token,
                &format!("/api/v1/orgs/{org}/boards"),
                json!({ "name": "Roadmap" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["board"].clone()
    }

    /// Add `email` to `org` with `role`.
    pub async fn add_member(&self, token: &str, org: &str, email: &str, role: &str) {
        let (status, body) = self
            .post(
                token,
                &format!("/api/v1/orgs/{org}/members"),
                json!({ "email": email, "role": role }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    /// Run a board command over REST.
    pub async fn command(&self, token: &str, board: &str, command: Value) -> (StatusCode, Value) {
        self.post(token, &format!("/api/v1/boards/{board}/commands"), command)
            .await
    }

    /// Open a WebSocket authenticated by a first `auth` message.
    pub async fn ws(&self, token: &str, format: Wire) -> WsClient {
        let mut client = self.ws_unauthenticated(format).await;
        client.send(json!({ "type": "auth", "token": token })).await;
        let welcome = client.recv_type("welcome").await;
        assert!(welcome["user"].is_string(), "{welcome}");
        client
    }

    /// One request written as raw bytes on a new connection (which the
    /// server then closes), and its answer: status, headers and body.
    pub async fn raw_exchange(
        &self,
        request: &[u8],
    ) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("connect");
        socket.write_all(request).await.expect("write");
        let mut raw = Vec::new();
        tokio::time::timeout(WAIT, socket.read_to_end(&mut raw))
            .await
            .expect("the server closes the connection")
            .expect("read");
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a whole head");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|code| code.parse::<u16>().ok())
            .and_then(|code| StatusCode::from_u16(code).ok())
            .expect("a status line");
        let mut headers = reqwest::header::HeaderMap::new();
        for line in lines {
            let (name, value) = line.split_once(':').expect("a header line");
            headers.append(
                reqwest::header::HeaderName::from_bytes(name.trim().as_bytes()).expect("name"),
                reqwest::header::HeaderValue::from_str(value.trim()).expect("value"),
            );
        }
        (status, headers, raw[split + 4..].to_vec())
    }

    /// An upgrade request to the app's `/ws` carrying `headers`.
    pub fn ws_request(
        &self,
        headers: &[(&'static str, &str)],
    ) -> tokio_tungstenite::tungstenite::handshake::client::Request {
        let mut req = format!("ws://127.0.0.1:{}/ws", self.port)
            .into_client_request()
            .expect("request");
        for (name, value) in headers {
            req.headers_mut()
                .insert(*name, HeaderValue::from_str(value).expect("header"));
        }
        req
    }

    /// Open a WebSocket without authenticating.
    pub async fn ws_unauthenticated(&self, format: Wire) -> WsClient {
        let req = self.ws_request(&[("sec-websocket-protocol", format.subprotocol())]);
        let (stream, res) = tokio_tungstenite::connect_async(req)
            .await
            .expect("websocket connects");
        assert_eq!(
            res.headers()
                .get("sec-websocket-protocol")
                .and_then(|v| v.to_str().ok()),
            Some(format.subprotocol())
        );
        WsClient {
            stream,
            format,
            with_presence: false,
        }
    }
}

/// Wire format of a test WebSocket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wire {
    Json,
    MsgPack,
}

impl Wire {
    pub fn subprotocol(self) -> &'static str {
        match self {
            Wire::Json => "corkboard.v1.json",
            Wire::MsgPack => "corkboard.v1.msgpack",
        }
    }
}

/// A WebSocket client that speaks JSON or MessagePack and hands every
/// server message to the test as a JSON value.
pub struct WsClient {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub format: Wire,
    /// Hand presence messages to the test too (most tests skip them).
    pub with_presence: bool,
}

impl WsClient {
    pub async fn send(&mut self, msg: Value) {
        let frame = match self.format {
            Wire::Json => Message::text(msg.to_string()),
            Wire::MsgPack => Message::binary(rmp_serde::to_vec_named(&msg).expect("encodes")),
        };
        self.stream.send(frame).await.expect("send");
    }

    pub async fn send_raw(&mut self, frame: Message) {
        self.stream.send(frame).await.expect("send");
    }

    /// The next server message, or `None` when the socket closed. Panics
    /// after `WAIT`: one deadline for the whole call, not one per frame,
    /// because the frames skipped here (pings, presence) would otherwise
    /// extend it — the server pings every 2.5 s, which kept a message that
    /// never came awaited until the access token expired (up to 15 min).
    pub async fn next(&mut self) -> Option<Result<Value, (u16, String)>> {
        tokio::time::timeout(WAIT, self.next_unbounded())
            .await
            .expect("a server message within the wait")
    }

    async fn next_unbounded(&mut self) -> Option<Result<Value, (u16, String)>> {
        loop {
            match self.stream.next().await {
                None => return None,
                Some(Err(_)) => return None,
                Some(Ok(Message::Text(t))) => {
                    let msg: Value = serde_json::from_str(&t).expect("json");
                    if self.with_presence || !is_presence(&msg) {
                        return Some(Ok(msg));
                    }
                }
                Some(Ok(Message::Binary(b))) => {
                    let msg: Value = rmp_serde::from_slice(&b).expect("msgpack");
                    if self.with_presence || !is_presence(&msg) {
                        return Some(Ok(msg));
                    }
                }
                Some(Ok(Message::Close(c))) => {
                    let (code, reason) = c
                        .map(|c| (u16::from(c.code), c.reason.to_string()))
                        .unwrap_or((1005, String::new()));
                    return Some(Err((code, reason)));
                }
                Some(Ok(_)) => continue,
            }
        }
    }

    /// The next message, which must not be a close.
    pub async fn recv(&mut self) -> Value {
        match self.next().await {
            Some(Ok(v)) => v,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// Skip messages until one of `kind` arrives.
    pub async fn recv_type(&mut self, kind: &str) -> Value {
        loop {
            let msg = self.recv().await;
            if msg["type"] == kind {
                return msg;
            }
        }
    }

    /// Wait for the close frame; returns its code.
    pub async fn closed(&mut self) -> u16 {
        loop {
            match self.next().await {
                Some(Ok(_)) => continue,
                Some(Err((code, _))) => return code,
                None => return 1006,
            }
        }
    }

    /// Subscribe and return the snapshot.
    pub async fn subscribe(&mut self, board: &str) -> Value {
        self.send(json!({ "type": "subscribe", "board": board }))
            .await;
        let snapshot = self.recv_type("snapshot").await;
        assert_eq!(snapshot["board"], board);
        snapshot
    }

    /// Send a command and wait for its ack or rejection (events that
    /// arrive meanwhile are skipped).
    pub async fn command(&mut self, id: &str, board: &str, command: Value) -> Value {
        self.send(json!({ "type": "command", "id": id, "board": board, "command": command }))
            .await;
        loop {
            let msg = self.recv().await;
            if (msg["type"] == "ack" || msg["type"] == "rejected") && msg["id"] == id {
                return msg;
            }
        }
    }
}

fn is_presence(msg: &Value) -> bool {
    msg["type"] == "presence" || msg["type"] == "presence_changed"
}

/// Column ids of a board JSON, in board order.
pub fn column_ids(board: &Value) -> Vec<String> {
    let mut cols: Vec<&Value> = board["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .collect();
    cols.sort_by(|a, b| a["position"].as_str().cmp(&b["position"].as_str()));
    cols.iter()
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect()
}

/// A fresh, unique email.
pub fn email() -> String {
    format!("u{}@example.com", uuid::Uuid::new_v4().simple())
}

/// A unique org key.
pub fn org_key() -> String {
    let n = uuid::Uuid::new_v4().as_u128() % 1_000_000;
    format!("K{n}")
}

impl TestApp {
    /// Create an API key of `org` with `role`; returns (key id, key).
    pub async fn create_api_key(&self, token: &str, org: &str, role: &str) -> (String, String) {
        let (status, body) = self
            .post(
                token,
                &format!("/api/v1/orgs/{org}/api-keys"),
                json!({ "name": format!("{role} key"), "role": role }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (
            body["id"].as_str().expect("id").to_owned(),
            body["key"].as_str().expect("key").to_owned(),
        )
    }

    /// `DELETE /api/v1/orgs/{org}/api-keys/{id}`; returns the status and
    /// the body (`Null` when empty).
    pub async fn revoke_api_key(&self, token: &str, org: &str, id: &str) -> (StatusCode, Value) {
        let res = self
            .http
            .delete(self.url(&format!("/api/v1/orgs/{org}/api-keys/{id}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

/// Start the server on a given database (e.g. one on a private cluster
/// that the test stops and starts).
pub async fn spawn_app_on(db: TestDb) -> TestApp {
    let settings = test_settings(&db);
    start(db, settings).await
}

// Helpers of the guarantee tests (ordering, backpressure, shutdown).

impl TestApp {
    /// `GET /api/v1/boards/{board}`: the live board (`seq`, `items`, …).
    pub async fn board(&self, token: &str, board: &str) -> Value {
        let (status, body) = self.get(token, &format!("/api/v1/boards/{board}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

impl WsClient {
    /// Send a `command` message without waiting for its answer.
    pub async fn send_command(&mut self, id: &str, board: &str, command: Value) {
        self.send(json!({ "type": "command", "id": id, "board": board, "command": command }))
            .await;
    }

    /// Send a `ping` and return every message received before its `pong`.
    pub async fn until_pong(&mut self) -> Vec<Value> {
        static NONCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let nonce = NONCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.send(json!({ "type": "ping", "nonce": nonce })).await;
        let mut before = Vec::new();
        loop {
            let msg = self.recv().await;
            if msg["type"] == "pong" && msg["nonce"] == nonce {
                return before;
            }
            before.push(msg);
        }
    }
}

/// One client's view of a board's log. `record` checks each event as it
/// arrives: right board, seq exactly one above the previous one (the
/// snapshot's, or the `since` of a resume) — no gap, duplicate or reorder.
#[derive(Clone, Debug)]
pub struct EventLog {
    pub who: String,
    pub board: String,
    pub start: u64,
    /// `(seq, command_id)` of every event, in arrival order.
    pub events: Vec<(u64, Option<String>)>,
}

impl EventLog {
    pub fn new(who: impl Into<String>, board: &str, start: u64) -> EventLog {
        EventLog {
            who: who.into(),
            board: board.to_owned(),
            start,
            events: Vec::new(),
        }
    }

    /// The last seq seen (the start when none).
    pub fn last(&self) -> u64 {
        self.events.last().map_or(self.start, |e| e.0)
    }

    /// Record an `event` message; panics when it breaks the order.
    pub fn record(&mut self, msg: &Value) {
        assert_eq!(msg["type"], "event", "{}: not an event: {msg}", self.who);
        assert_eq!(
            msg["board"],
            self.board.as_str(),
            "{}: an event of another board: {msg}",
            self.who
        );
        let seq = msg["seq"].as_u64().expect("seq");
        assert_eq!(
            seq,
            self.last() + 1,
            "{}: seq {seq} after {} (gap, duplicate or reorder): {msg}",
            self.who,
            self.last()
        );
        self.events
            .push((seq, msg["command_id"].as_str().map(str::to_owned)));
    }

    /// Read `client` until the event with seq `until` has been recorded;
    /// returns the other messages, in order.
    pub async fn read_until(&mut self, client: &mut WsClient, until: u64) -> Vec<Value> {
        let mut others = Vec::new();
        while self.last() < until {
            let msg = client.recv().await;
            if msg["type"] == "event" {
                self.record(&msg);
            } else {
                others.push(msg);
            }
        }
        others
    }
}
