//! What a production deployment relies on beyond its configuration checks
//! (those are unit tests of `server::config`): `/metrics` behind a token.

use reqwest::StatusCode;
use serde_json::Value;
use server::config::Secret;

use crate::helpers::spawn_app_with;

#[actix_web::test]
async fn metrics_need_the_configured_bearer_token() {
    let token = "m".repeat(40);
    let app = spawn_app_with(|s| s.metrics_token = Some(Secret("m".repeat(40)))).await;
    let scrape = |bearer: Option<&str>| {
        let mut req = app.http.get(app.url("/metrics"));
        if let Some(bearer) = bearer {
            req = req.bearer_auth(bearer);
        }
        req.send()
    };
    for wrong in [None, Some("nope"), Some(&token[1..])] {
        let res = scrape(wrong).await.expect("answer");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let body: Value = res.json().await.expect("json error body");
        assert_eq!(body["code"], "invalid_token");
        assert!(body["request_id"].is_string(), "{body}");
    }
    let res = scrape(Some(&token)).await.expect("answer");
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.expect("text");
    assert!(page.contains("# TYPE"), "{page}");
}
