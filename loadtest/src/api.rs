//! REST setup: a user, an organization, boards and seeded items.

use anyhow::{bail, Context};
use futures_util::{stream, StreamExt, TryStreamExt};
use protocol::{BoardId, Command, ItemId, OrgId};
use serde_json::{json, Value};

/// REST requests in flight while creating boards or seeding items.
const SETUP_CONCURRENCY: usize = 16;
/// The password of every generated user.
const PASSWORD: &str = "load test password";

/// A REST client logged in as a fresh user.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    /// The user's access token (also used for every WebSocket).
    pub token: String,
}

/// Decode a response, failing with its status and body when it is not 2xx.
async fn answer(res: reqwest::Response, what: &str) -> anyhow::Result<Value> {
    let status = res.status();
    let text = res.text().await.with_context(|| format!("{what}: body"))?;
    if !status.is_success() {
        bail!("{what}: {status}: {text}");
    }
    if text.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&text).with_context(|| format!("{what}: not JSON: {text}"))
}

impl Api {
    /// Register a fresh user and log in. Registration answers 202 without a
    /// token (it must not tell whether the email was taken), so log in.
    pub async fn login_new_user(base: &str) -> anyhow::Result<Api> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(SETUP_CONCURRENCY * 2)
            .build()?;
        let mut api = Api {
            http,
            base: base.to_owned(),
            token: String::new(),
        };
        let email = format!("load-{}@example.com", uuid::Uuid::new_v4().simple());
        api.post(
            "/api/v1/auth/register",
            json!({ "email": email, "password": PASSWORD, "name": "Load" }),
        )
        .await?;
        let login = api
            .post(
                "/api/v1/auth/login",
                json!({ "email": email, "password": PASSWORD }),
            )
            .await?;
        api.token = login["access_token"]
            .as_str()
            .context("login answer without access_token")?
            .to_owned();
        Ok(api)
    }

    /// POST a JSON body; the decoded answer.
    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(&body);
        if !self.token.is_empty() {
            req = req.bearer_auth(&self.token);
        }
        let res = req.send().await.with_context(|| format!("POST {path}"))?;
        answer(res, &format!("POST {path}")).await
    }

    /// GET a path (with its query); the decoded answer.
    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .with_context(|| format!("GET {path}"))?;
        answer(res, &format!("GET {path}")).await
    }

    /// A new organization with a random key.
    pub async fn create_org(&self) -> anyhow::Result<OrgId> {
        let tag = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
        let key = format!("L{}", &tag[..7]);
        let org = self
            .post("/api/v1/orgs", json!({ "name": "Load", "key": key }))
            .await?;
        serde_json::from_value(org["id"].clone()).context("org id")
    }

    /// A new board (default columns) in `org`.
    pub async fn create_board(&self, org: OrgId, name: &str) -> anyhow::Result<BoardId> {
        let board = self
            .post(
                &format!("/api/v1/orgs/{}/boards", org.0),
                json!({ "name": name }),
            )
            .await?;
        serde_json::from_value(board["board"]["id"].clone()).context("board id")
    }

    /// `n` new boards in `org`, created a few at a time.
    pub async fn create_boards(&self, org: OrgId, n: usize) -> anyhow::Result<Vec<BoardId>> {
        stream::iter(0..n)
            .map(|i| async move { self.create_board(org, &format!("Load {i}")).await })
            .buffered(SETUP_CONCURRENCY)
            .try_collect()
            .await
    }

    /// Run `command` on `board` over REST; the answer (`seq`, `events`).
    pub async fn command(&self, board: BoardId, command: &Command) -> anyhow::Result<Value> {
        self.post(
            &format!("/api/v1/boards/{}/commands", board.0),
            serde_json::to_value(command)?,
        )
        .await
    }

    /// One new item on each board (for `edit_item` writers); their ids in
    /// the boards' order.
    pub async fn seed_one_item_each(&self, boards: &[BoardId]) -> anyhow::Result<Vec<ItemId>> {
        stream::iter(boards.iter().copied())
            .map(|board| async move {
                let command = Command::CreateItem {
                    title: "seed".into(),
                    description: String::new(),
                    column: None,
                    index: None,
                };
                let answer = self.command(board, &command).await?;
                let item = &answer["events"][0]["event"]["item"];
                serde_json::from_value::<ItemId>(item.clone())
                    .with_context(|| format!("no item id in {answer}"))
            })
            .buffered(SETUP_CONCURRENCY)
            .try_collect()
            .await
    }
}
