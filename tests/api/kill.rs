//! Guarantee 2: ack means committed. The real server runs as a separate OS
//! process (this test binary re-executed, see [`server_child`]) and is
//! killed with SIGKILL while four WebSocket writers keep commands in
//! flight. The `events` table must then hold every acked command exactly
//! once, at its acked seq, with gap-free seqs per board; and a retry of an
//! acked id after the crash gets the original seq.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::{Application, Settings};
use storage::TestDb;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{email, org_key, WAIT};

/// Set in the environment of the re-executed test binary.
const CHILD_ENV: &str = "CORKBOARD_TEST_CHILD";
/// The line the child prints once it listens.
const PORT_LINE: &str = "CORKBOARD_CHILD_PORT=";
/// Writers per cycle, and commands each keeps in flight.
const WRITERS: usize = 4;
const IN_FLIGHT: usize = 8;
const BOARDS: usize = 3;

/// Not a test: the server process of the kill tests. Ignored, and a no-op
/// unless started by them with `CORKBOARD_TEST_CHILD=1`; then it serves
/// with settings from the environment (`DATABASE_URL`, `CORKBOARD_BIND`,
/// `CORKBOARD_JWT_SECRET`, ...) until it is killed.
#[test]
#[ignore = "the server process of the kill tests; runs only when they start it"]
fn server_child() {
    if std::env::var(CHILD_ENV).as_deref() != Ok("1") {
        return;
    }
    die_with_parent();
    let settings = Settings::from_env().expect("child settings");
    actix_rt::System::new().block_on(async move {
        let app = Application::build(settings)
            .await
            .expect("the child server builds");
        println!("{PORT_LINE}{}", app.port());
        app.run(std::future::pending())
            .await
            .expect("the child server runs");
    });
}

/// A child left behind by a crashed test run would hold the test database.
fn die_with_parent() {
    // SAFETY: prctl(PR_SET_PDEATHSIG) only sets a flag of this process.
    #[allow(unsafe_code)] // The only way to set the parent-death signal.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
    }
}

/// A server process; SIGKILLed when dropped.
pub struct ServerProcess {
    child: Child,
    port: u16,
}

impl ServerProcess {
    /// Start the server process on a free port and wait until it is ready.
    async fn start(db_url: &str, secret: &str) -> ServerProcess {
        ServerProcess::start_with(db_url, secret, &[]).await
    }

    /// [`start`](Self::start), with more settings in its environment.
    pub async fn start_with(db_url: &str, secret: &str, env: &[(&str, &str)]) -> ServerProcess {
        // This very binary, even if a rebuild has replaced the file since.
        let exe = if std::path::Path::new("/proc/self/exe").exists() {
            std::path::PathBuf::from("/proc/self/exe")
        } else {
            std::env::current_exe().expect("the test binary")
        };
        let mut child = Command::new(exe)
            .args(["kill::server_child", "--exact", "--ignored", "--nocapture"])
            .env(CHILD_ENV, "1")
            .env("DATABASE_URL", db_url)
            .env("CORKBOARD_BIND", "127.0.0.1:0")
            .env("CORKBOARD_JWT_SECRET", secret)
            .env("CORKBOARD_WORKERS", "2")
            .env("CORKBOARD_DB_POOL_SIZE", "4")
            // The writers stream commands as fast as they are acked.
            .env("CORKBOARD_RATE_LIMIT_WS_PER_SEC", "1000000")
            .env("CORKBOARD_RATE_LIMIT_WS_BURST", "10000000")
            .env("CORKBOARD_RATE_LIMIT_USER_PER_SEC", "1000000")
            .env("CORKBOARD_RATE_LIMIT_USER_BURST", "10000000")
            .env("CORKBOARD_RATE_LIMIT_IP_PER_SEC", "1000000")
            .env("CORKBOARD_RATE_LIMIT_IP_BURST", "10000000")
            .env_remove("RUST_LOG")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn the server process");
        // The child reports its port on stdout; keep draining it after.
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(port) = line.trim().strip_prefix(PORT_LINE) {
                    if let (Some(tx), Ok(port)) = (tx.take(), port.parse::<u16>()) {
                        let _ = tx.send(port);
                    }
                }
            }
        });
        let mut process = ServerProcess { child, port: 0 };
        process.port = tokio::time::timeout(Duration::from_secs(30), rx)
            .await
            .expect("the server process listens within 30 s")
            .expect("the server process reported its port");
        let http = crate::helpers::http_client();
        let ready = process.url("/health/ready");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(res) = http.get(&ready).send().await {
                if res.status() == StatusCode::OK {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "the server process is not ready");
            // Polling a process we cannot await otherwise.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        process
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// SIGKILL (what `Child::kill` sends on Unix) and reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// An authenticated JSON WebSocket.
async fn connect(port: u16, token: &str) -> Ws {
    try_connect(port, token)
        .await
        .expect("an authenticated WebSocket")
}

/// An authenticated JSON WebSocket, or `None` when the server went away.
async fn try_connect(port: u16, token: &str) -> Option<Ws> {
    let mut req = format!("ws://127.0.0.1:{port}/ws")
        .into_client_request()
        .expect("request");
    req.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("corkboard.v1.json"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.ok()?;
    ws.send(Message::text(
        json!({ "type": "auth", "token": token }).to_string(),
    ))
    .await
    .ok()?;
    loop {
        let msg = recv(&mut ws).await?;
        if msg["type"] == "welcome" {
            return Some(ws);
        }
    }
}

/// The next JSON message; `None` when the socket is gone.
async fn recv(ws: &mut Ws) -> Option<Value> {
    loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a message within the wait")?
        {
            Ok(Message::Text(t)) => return Some(serde_json::from_str(&t).expect("json")),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}

fn create_item(id: &str, board: &str) -> Message {
    Message::text(
        json!({ "type": "command", "id": id, "board": board,
                "command": { "type": "create_item", "title": id } })
        .to_string(),
    )
}

/// An acked command: (command id, board, seq).
#[derive(Clone, Debug)]
struct Acked {
    id: String,
    board: String,
    seq: i64,
}

#[derive(Default)]
struct WriterReport {
    acked: Vec<Acked>,
    /// Refusals by code (e.g. `overloaded`).
    rejected: BTreeMap<String, usize>,
}

/// Send `create_item`s with unique ids to `board`, keeping `IN_FLIGHT` of
/// them unanswered, until the socket dies.
async fn writer(
    port: u16,
    token: String,
    board: String,
    prefix: String,
    acks: Arc<AtomicUsize>,
) -> WriterReport {
    let mut report = WriterReport::default();
    let Some(ws) = try_connect(port, &token).await else {
        return report;
    };
    let (mut tx, mut rx) = ws.split();
    let mut next = 0usize;
    let send_next = |next: &mut usize| {
        *next += 1;
        create_item(&format!("{prefix}-{next}"), &board)
    };
    for _ in 0..IN_FLIGHT {
        if tx.send(send_next(&mut next)).await.is_err() {
            return report;
        }
    }
    loop {
        let msg = match rx.next().await {
            Some(Ok(Message::Text(t))) => serde_json::from_str::<Value>(&t).expect("json"),
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return report,
            Some(Ok(_)) => continue,
        };
        match msg["type"].as_str() {
            Some("ack") => {
                assert_eq!(msg["board"], board.as_str(), "{msg}");
                report.acked.push(Acked {
                    id: msg["id"].as_str().expect("id").to_owned(),
                    board: board.clone(),
                    seq: msg["seq"].as_i64().expect("seq"),
                });
                acks.fetch_add(1, Ordering::Relaxed);
            }
            Some("rejected") => {
                let code = msg["code"].as_str().unwrap_or("?").to_owned();
                assert_eq!(msg["retryable"], true, "only server conditions: {msg}");
                *report.rejected.entry(code).or_default() += 1;
            }
            _ => continue,
        }
        if tx.send(send_next(&mut next)).await.is_err() {
            return report;
        }
    }
}

async fn register(http: &reqwest::Client, server: &ServerProcess) -> String {
    let email = email();
    let res = http
        .post(server.url("/api/v1/auth/register"))
        .json(&json!({ "email": email, "password": "correct horse battery", "name": "Killer" }))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let res = http
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": "correct horse battery" }))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    body["access_token"].as_str().expect("token").to_owned()
}

async fn post(
    http: &reqwest::Client,
    server: &ServerProcess,
    token: &str,
    path: &str,
    body: Value,
) -> Value {
    let res = http
        .post(server.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.expect("json")
}

/// Every event row of the test database: board -> seq -> command id.
async fn events(db_url: &str) -> HashMap<String, BTreeMap<i64, Option<String>>> {
    let (client, conn) = tokio_postgres::connect(db_url, tokio_postgres::NoTls)
        .await
        .expect("connect to the test database");
    let conn = actix_rt::spawn(conn);
    let rows = client
        .query("SELECT board_id, seq, command_id FROM events", &[])
        .await
        .expect("read events");
    drop(client);
    let _ = conn.await;
    let mut out: HashMap<String, BTreeMap<i64, Option<String>>> = HashMap::new();
    for row in rows {
        let board: uuid::Uuid = row.get(0);
        out.entry(board.to_string())
            .or_default()
            .insert(row.get(1), row.get(2));
    }
    out
}

/// Figures of a verification.
struct Verdict {
    lost: usize,
    duplicates: usize,
    misplaced: usize,
    gaps: usize,
}

/// Check the acked commands against the `events` table.
async fn verify(db_url: &str, boards: &[String], acked: &[Acked]) -> Verdict {
    let events = events(db_url).await;
    let mut gaps = 0;
    // (board, command id) -> seqs holding it.
    let mut by_id: HashMap<(&str, &str), Vec<i64>> = HashMap::new();
    for board in boards {
        let seqs = events.get(board).expect("the board has events");
        let expected: Vec<i64> = (1..=seqs.len() as i64).collect();
        let actual: Vec<i64> = seqs.keys().copied().collect();
        if actual != expected {
            gaps += 1;
            eprintln!("board {board}: seqs are not 1..={}: {actual:?}", seqs.len());
        }
        for (seq, id) in seqs {
            if let Some(id) = id {
                by_id
                    .entry((board.as_str(), id.as_str()))
                    .or_default()
                    .push(*seq);
            }
        }
    }
    let duplicates = by_id.values().filter(|seqs| seqs.len() > 1).count();
    let (mut lost, mut misplaced) = (0, 0);
    for a in acked {
        match by_id.get(&(a.board.as_str(), a.id.as_str())) {
            None => {
                lost += 1;
                eprintln!(
                    "acked command {} (board {}, seq {}) is not in the events table",
                    a.id, a.board, a.seq
                );
            }
            Some(seqs) if seqs.as_slice() != [a.seq] => {
                misplaced += 1;
                eprintln!(
                    "acked command {} at seq {} is stored at {seqs:?}",
                    a.id, a.seq
                );
            }
            Some(_) => {}
        }
    }
    Verdict {
        lost,
        duplicates,
        misplaced,
        gaps,
    }
}

/// Re-send a few acked commands (same id, same command) on a fresh server:
/// each must be answered with its original seq.
async fn retry_acked(port: u16, token: &str, sample: &[Acked]) {
    if sample.is_empty() {
        return;
    }
    let mut ws = connect(port, token).await;
    for a in sample {
        // A retryable refusal (the fresh server still warming up under a
        // loaded machine) is not an outcome: a client retries it, as here.
        let mut attempts = 0;
        let answer = loop {
            ws.send(create_item(&a.id, &a.board)).await.expect("send");
            let msg = loop {
                let msg = recv(&mut ws).await.expect("an answer to the retry");
                if msg["id"] == a.id.as_str() {
                    break msg;
                }
            };
            attempts += 1;
            if msg["type"] == "rejected" && msg["retryable"] == true && attempts < 20 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            break msg;
        };
        assert_eq!(
            answer["type"], "ack",
            "a retry of an acked command is acked: {answer}"
        );
        assert_eq!(
            answer["seq"].as_i64(),
            Some(a.seq),
            "the retry of {} gets the original seq: {answer}",
            a.id
        );
    }
}

async fn kill_cycles(cycles: usize) {
    let started = Instant::now();
    let db = TestDb::new().await;
    let secret = uuid::Uuid::new_v4().simple().to_string().repeat(2);
    let http = crate::helpers::http_client();

    // Set-up through the first server process.
    let mut server = ServerProcess::start(&db.url, &secret).await;
    let token = register(&http, &server).await;
    let key = org_key();
    let org = post(
        &http,
        &server,
        &token,
        "/api/v1/orgs",
        json!({ "name": format!("Org {key}"), "key": key }),
    )
    .await["id"]
        .as_str()
        .expect("org id")
        .to_owned();
    let mut boards = Vec::new();
    for i in 0..BOARDS {
        let body = post(
            &http,
            &server,
            &token,
            &format!("/api/v1/orgs/{org}/boards"),
            json!({ "name": format!("Board {i}") }),
        )
        .await;
        boards.push(body["board"]["id"].as_str().expect("board id").to_owned());
    }

    let mut acked: Vec<Acked> = Vec::new();
    let mut rejected: BTreeMap<String, usize> = BTreeMap::new();
    let mut retried = 0;
    for cycle in 0..cycles {
        if cycle > 0 {
            server = ServerProcess::start(&db.url, &secret).await;
            // Idempotency across the crash: the last acks of the cycle before.
            let sample: Vec<Acked> = acked.iter().rev().take(3).cloned().collect();
            retry_acked(server.port, &token, &sample).await;
            retried += sample.len();
        }
        let acks = Arc::new(AtomicUsize::new(0));
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                actix_rt::spawn(writer(
                    server.port,
                    token.clone(),
                    boards[w % BOARDS].clone(),
                    format!("k{cycle}-w{w}"),
                    acks.clone(),
                ))
            })
            .collect();
        // Kill at a random moment once the load is flowing.
        let deadline = Instant::now() + WAIT;
        while acks.load(Ordering::Relaxed) == 0 {
            assert!(
                Instant::now() < deadline,
                "no ack within {WAIT:?} in cycle {cycle}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let delay = Duration::from_millis(100 + (uuid::Uuid::new_v4().as_u128() % 501) as u64);
        tokio::time::sleep(delay).await;
        server.kill();
        let mut cycle_acked = 0;
        for w in writers {
            let report = w.await.expect("writer");
            cycle_acked += report.acked.len();
            acked.extend(report.acked);
            for (code, n) in report.rejected {
                *rejected.entry(code).or_default() += n;
            }
        }
        println!("kill: cycle {cycle}: killed after {delay:?} of load, {cycle_acked} acked");
    }

    // After the last crash: a fresh server still answers retries with the
    // original seqs, and serves every board at the seq the table holds.
    let server = ServerProcess::start(&db.url, &secret).await;
    let sample: Vec<Acked> = acked.iter().rev().take(3).cloned().collect();
    retry_acked(server.port, &token, &sample).await;
    retried += sample.len();
    let verdict = verify(&db.url, &boards, &acked).await;
    let events = events(&db.url).await;
    for board in &boards {
        let res = http
            .get(server.url(&format!("/api/v1/boards/{board}")))
            .bearer_auth(&token)
            .send()
            .await
            .expect("request");
        let body: Value = res.json().await.expect("json");
        let stored = events[board].len() as i64;
        assert_eq!(
            body["seq"].as_i64(),
            Some(stored),
            "board {board} restarts at the stored seq"
        );
    }
    drop(server);

    let ids: HashSet<&str> = acked.iter().map(|a| a.id.as_str()).collect();
    println!(
        "kill: cycles run: {cycles}, commands acked: {}, acked commands lost: {}, duplicates: {}, \
         misplaced: {}, boards with gaps: {}, retries of acked ids after a crash: {retried}, \
         retryable refusals: {rejected:?}, took {:?}",
        acked.len(),
        verdict.lost,
        verdict.duplicates,
        verdict.misplaced,
        verdict.gaps,
        started.elapsed()
    );
    assert_eq!(
        ids.len(),
        acked.len(),
        "every ack is for a distinct command id"
    );
    assert!(acked.len() >= cycles, "every cycle acked something");
    assert_eq!(verdict.lost, 0, "acked commands lost");
    assert_eq!(verdict.duplicates, 0, "commands stored twice");
    assert_eq!(verdict.misplaced, 0, "acked commands stored at another seq");
    assert_eq!(verdict.gaps, 0, "boards whose seqs are not 1..=max");
}

#[actix_web::test]
async fn acked_commands_survive_sigkill_under_load() {
    kill_cycles(20).await;
}

#[actix_web::test]
#[ignore = "long variant: 100 SIGKILL cycles"]
async fn acked_commands_survive_sigkill_under_load_long() {
    kill_cycles(100).await;
}
