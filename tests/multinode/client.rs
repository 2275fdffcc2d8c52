//! What the multi-node tests do as clients: REST calls to a node (or to
//! nginx) and WebSockets that follow a board.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

/// Longest wait for one expected message or answer.
pub const WAIT: Duration = Duration::from_secs(15);
pub const PASSWORD: &str = "correct horse battery";

/// REST against one base URL.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
}

impl Api {
    pub fn new(port: u16) -> Api {
        server::webhooks::guard::install_tls_provider();
        Api {
            http: reqwest::Client::builder()
                .timeout(WAIT)
                .build()
                .expect("client"),
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    pub fn ws_url(&self) -> String {
        format!("{}/ws", self.base.replacen("http", "ws", 1))
    }

    /// A request's status and JSON body; `Err` when nothing answered
    /// (a node that was killed).
    pub async fn call(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Option<Value>,
        idempotency_key: Option<&str>,
    ) -> Result<(StatusCode, Value), reqwest::Error> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        if let Some(key) = idempotency_key {
            req = req.header("Idempotency-Key", key);
        }
        let res = req.send().await?;
        let status = res.status();
        Ok((status, res.json().await.unwrap_or(Value::Null)))
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, token, path, Some(body), None)
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    pub async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, token, path, None, None)
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    pub async fn delete(&self, token: &str, path: &str) -> StatusCode {
        self.call(reqwest::Method::DELETE, token, path, None, None)
            .await
            .unwrap_or_else(|e| panic!("DELETE {path}: {e}"))
            .0
    }

    /// Register `email` and log in: (access token, user id, login session id).
    pub async fn register(&self, email: &str) -> (String, String, String) {
        let res = self
            .http
            .post(format!("{}/api/v1/auth/register", self.base))
            .json(&json!({ "email": email, "password": PASSWORD, "name": "Multi Node" }))
            .send()
            .await
            .expect("register");
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        self.login(email).await
    }

    /// A new login session: (access token, user id, login session id).
    pub async fn login(&self, email: &str) -> (String, String, String) {
        let res = self
            .http
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({ "email": email, "password": PASSWORD }))
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.expect("login body");
        let text = |v: &Value| v.as_str().expect("string").to_owned();
        (
            text(&body["access_token"]),
            text(&body["user"]["id"]),
            text(&body["session_id"]),
        )
    }

    /// A new organization with a board; (org id, board id).
    pub async fn org_with_board(&self, token: &str, key: &str) -> (String, String) {
        let (status, org) = self
            .post(token, "/api/v1/orgs", json!({ "name": key, "key": key }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{org}");
        let org = org["id"].as_str().expect("org id").to_owned();
        let (status, board) = self
            .post(
                token,
                &format!("/api/v1/orgs/{org}/boards"),
                json!({ "name": "Shared" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{board}");
        (
            org,
            board["board"]["id"].as_str().expect("board id").to_owned(),
        )
    }

    /// Every event of the board's log, in order: (seq, the event's JSON).
    pub async fn log(&self, token: &str, board: &str) -> Vec<(u64, Value)> {
        let mut all = Vec::new();
        let mut since = 0;
        loop {
            let (status, page) = self
                .get(
                    token,
                    &format!("/api/v1/boards/{board}/events?since={since}&limit=1000"),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            for entry in page["events"].as_array().expect("events") {
                all.push((entry["seq"].as_u64().expect("seq"), entry["event"].clone()));
            }
            since = page["next_since"].as_u64().expect("next_since");
            if page["has_more"] != true {
                return all;
            }
        }
    }
}

/// A unique email and organization key for this run.
pub fn unique(prefix: &str) -> (String, String) {
    let id = uuid::Uuid::new_v4().simple().to_string();
    (
        format!("{prefix}-{}@multi.test", &id[..12]),
        format!(
            "M{}",
            id[..8]
                .to_uppercase()
                .replace(|c: char| !c.is_ascii_alphanumeric(), "")
        ),
    )
}

/// A WebSocket (JSON) of one user.
pub struct Ws {
    stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

/// How a socket ended: its close code, or 1006 when it just dropped.
pub type Closed = u16;

impl Ws {
    pub async fn connect(url: &str, token: &str) -> Result<Ws, String> {
        let mut req = url.into_client_request().map_err(|e| e.to_string())?;
        req.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static("corkboard.v1.json"),
        );
        let (stream, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(req))
            .await
            .map_err(|_| "connect timed out".to_owned())?
            .map_err(|e| e.to_string())?;
        let mut ws = Ws { stream };
        ws.send(json!({ "type": "auth", "token": token })).await;
        loop {
            match ws.next().await {
                Ok(msg) if msg["type"] == "welcome" => return Ok(ws),
                Ok(_) => {}
                Err(code) => return Err(format!("closed {code} before welcome")),
            }
        }
    }

    pub async fn send(&mut self, msg: Value) {
        let _ = tokio::time::timeout(WAIT, self.stream.send(Message::text(msg.to_string()))).await;
    }

    /// The next JSON message (pings answered by the library), or how the
    /// socket ended. Panics after `WAIT` of silence.
    pub async fn next(&mut self) -> Result<Value, Closed> {
        self.next_within(WAIT)
            .await
            .unwrap_or_else(|| panic!("no message within {WAIT:?}"))
    }

    /// As `next`, `None` after `wait` of silence.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Result<Value, Closed>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => return None,
                Ok(frame) => frame,
            };
            match frame {
                None | Some(Err(_)) => return Some(Err(1006)),
                Some(Ok(Message::Text(text))) => {
                    return Some(Ok(serde_json::from_str(&text).expect("JSON message")))
                }
                Some(Ok(Message::Close(frame))) => {
                    return Some(Err(frame.map_or(1005, |f| u16::from(f.code))))
                }
                Some(Ok(_)) => {}
            }
        }
    }

    /// Subscribe (from `since`, or for a snapshot): the seq it starts
    /// from and the events it was sent to catch up.
    pub async fn subscribe(&mut self, board: &str, since: Option<u64>) -> (u64, Vec<Value>) {
        let mut msg = json!({ "type": "subscribe", "board": board });
        if let Some(since) = since {
            msg["since"] = json!(since);
        }
        self.send(msg).await;
        let mut events = Vec::new();
        loop {
            let msg = self.next().await.expect("open while subscribing");
            match msg["type"].as_str() {
                Some("snapshot") => return (msg["seq"].as_u64().expect("seq"), Vec::new()),
                Some("event") => events.push(msg),
                Some("presence") => return (since.unwrap_or(0), events),
                Some("error") => panic!("subscribe refused: {msg}"),
                _ => {}
            }
        }
    }
}

/// The events one client saw of one board, checked as they come: each
/// must be the one after the last (no gap, no duplicate).
#[derive(Default)]
pub struct Seen {
    pub seq: u64,
    /// (seq, the event) in the order received.
    pub events: Vec<(u64, Value)>,
}

impl Seen {
    pub fn starting_at(seq: u64) -> Seen {
        Seen {
            seq,
            events: Vec::new(),
        }
    }

    /// Take an `event` message; panics on a gap or a duplicate.
    pub fn take(&mut self, who: &str, msg: &Value) {
        let seq = msg["seq"].as_u64().expect("event seq");
        assert_eq!(
            seq,
            self.seq + 1,
            "{who}: after {} came {seq}: {msg}",
            self.seq
        );
        self.seq = seq;
        self.events.push((seq, msg["event"].clone()));
    }
}
