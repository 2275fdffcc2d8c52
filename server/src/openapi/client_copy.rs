//! `web/client/openapi.json`: the committed copy of the served document,
//! from which the TypeScript client generates its REST types
//! (openapi-typescript). The test fails when the copy is stale;
//! `CORKBOARD_BLESS=1 cargo test -p server generated` rewrites it.

use std::path::PathBuf;

/// Where the copy is committed, from the workspace root.
const PATH: &str = "web/client/openapi.json";

#[test]
fn generated_openapi_json_for_the_client_is_current() {
    let json = serde_json::to_value(super::document()).expect("the document serializes");
    let mut text = serde_json::to_string_pretty(&json).expect("a JSON value serializes");
    text.push('\n');
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(PATH);
    if std::env::var("CORKBOARD_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, text).expect("writes the copy");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "{PATH} is stale: the API changed. Regenerate it with \
         `CORKBOARD_BLESS=1 cargo test -p server generated` and commit the result."
    );
}
