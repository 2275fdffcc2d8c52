//! Files generated from this crate's definitions for the TypeScript client
//! (`web/client/`): the wire types and constants, and the conformance
//! fixtures its port of `Board::apply` and `position::between` is checked
//! against. Each is a test that renders the file and compares it with the
//! committed copy, so a change here that is not regenerated fails
//! `cargo test`. Regenerate them all with
//! `CORKBOARD_BLESS=1 cargo test -p protocol generated`.

mod fold;
mod fold_edges;
mod positions;
pub(crate) mod random;
mod shape;
mod typescript;

use std::path::PathBuf;

/// The environment variable that makes the tests write the files instead
/// of comparing them.
const BLESS: &str = "CORKBOARD_BLESS";

/// Compares `contents` with the committed file at `relative` (from the
/// workspace root); with `CORKBOARD_BLESS=1`, writes it instead.
///
/// # Panics
/// When the file differs (or is missing) and blessing is off, with the
/// command that regenerates it.
pub(crate) fn check_or_bless(relative: &str, contents: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative);
    if std::env::var(BLESS).is_ok_and(|v| v == "1") {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(&path, contents).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != contents {
        let line = committed
            .lines()
            .zip(contents.lines())
            .position(|(a, b)| a != b)
            .map_or_else(|| "the end".to_owned(), |n| format!("line {}", n + 1));
        panic!(
            "{relative} is stale (first difference at {line}): the Rust definitions changed. \
             Regenerate it with `{BLESS}=1 cargo test -p protocol generated` and commit the result."
        );
    }
}
