//! Deliveries checked by the official Standard Webhooks library, not our
//! own code: a Python receiver (`.ci/webhook_receiver.py`, PyPI
//! `standardwebhooks`) verifies every request. Ignored by default: it needs
//! `CORKBOARD_TEST_WEBHOOKS_PYTHON`, a python with `standardwebhooks`,
//! which `.ci/webhooks` installs in `target/webhooks-venv` before running
//! these with `--ignored`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{email, spawn_app_with, TestApp, WAIT};

/// The Python receiver, stopped when dropped.
struct PyReceiver {
    child: Child,
    base: String,
}

impl PyReceiver {
    fn start(fail_first: usize) -> PyReceiver {
        let python = std::env::var("CORKBOARD_TEST_WEBHOOKS_PYTHON")
            .expect("CORKBOARD_TEST_WEBHOOKS_PYTHON names a python with standardwebhooks (see .ci/webhooks)");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../.ci/webhook_receiver.py");
        let mut child = Command::new(python)
            .arg(script)
            .arg(fail_first.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the receiver");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("its port");
        let port: u16 = line.trim().parse().expect("a port");
        PyReceiver {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    async fn secrets(&self, secrets: &[&str]) {
        let res = crate::helpers::http_client()
            .post(format!("{}/_secrets", self.base))
            .json(&json!({ "secrets": secrets }))
            .send()
            .await
            .expect("set secrets");
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }

    async fn log_until(&self, count: usize) -> Vec<Value> {
        let began = Instant::now();
        loop {
            let log: Vec<Value> = crate::helpers::http_client()
                .get(format!("{}/_log", self.base))
                .send()
                .await
                .expect("log")
                .json()
                .await
                .expect("json");
            if log.len() >= count {
                return log;
            }
            assert!(
                began.elapsed() < WAIT,
                "the receiver got {} of {count}",
                log.len()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for PyReceiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn setup(app: &TestApp) -> (String, String, String) {
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, "SWH").await;
    let board = app.create_board(&token, &org).await;
    (token, org, board["id"].as_str().expect("id").to_owned())
}

#[actix_web::test]
#[ignore = "needs a python with standardwebhooks: run .ci/webhooks"]
async fn webhooks_standard_a_receiver_failing_three_times_verifies_the_fourth_and_both_secrets_of_a_rotation(
) {
    let app = spawn_app_with(|s| {
        s.webhooks.allow_private = true;
        s.webhooks.schedule = vec![Duration::from_millis(50); 5];
    })
    .await;
    let (token, org, board) = setup(&app).await;
    let receiver = PyReceiver::start(3);
    let (status, created) = app
        .post(
            &token,
            &format!("/api/v1/orgs/{org}/webhooks"),
            json!({ "url": format!("{}/hook", receiver.base), "event_types": ["board.item_created"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let old = created["secret"].as_str().expect("secret").to_owned();
    let endpoint = created["id"].as_str().expect("id").to_owned();
    receiver.secrets(&[&old]).await;
    for title in ["one", "two"] {
        let (status, body) = app
            .command(
                &token,
                &board,
                json!({ "type": "create_item", "title": title }),
            )
            .await;
        assert!(status.is_success(), "{body}");
    }
    let log = receiver.log_until(5).await;
    let seen: Vec<(i64, &str)> = log
        .iter()
        .map(|l| {
            (
                l["status"].as_i64().unwrap_or(0),
                l["data"]["event"]["title"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (500, "one"),
            (500, "one"),
            (500, "one"),
            (204, "one"),
            (204, "two")
        ]
    );
    assert!(
        log.iter().all(|l| l["verified"] == json!([0])),
        "the library verified each: {log:?}"
    );
    assert!(log[..4].iter().all(|l| l["id"] == log[0]["id"]));

    // A rotation: the library verifies the next delivery with the new
    // secret and with the old one, each on its own.
    let (status, rotated) = app
        .post(
            &token,
            &format!("/api/v1/orgs/{org}/webhooks/{endpoint}/rotate-secret"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new = rotated["secret"].as_str().expect("secret").to_owned();
    receiver
        .secrets(&[&new, &old, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
        .await;
    let (status, body) = app
        .command(
            &token,
            &board,
            json!({ "type": "create_item", "title": "three" }),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let log = receiver.log_until(6).await;
    assert_eq!(log[5]["data"]["event"]["title"], "three");
    assert_eq!(
        log[5]["verified"],
        json!([0, 1]),
        "both secrets verify; a stranger's does not"
    );
}
