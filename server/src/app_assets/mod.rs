//! The board app, embedded: the committed build in `web/app/dist/` is
//! compiled into the binary (the build script writes the table) and served
//! from memory, so `cargo run` never needs Node and no request reads the
//! filesystem.
//!
//! # Architecture invariant
//! The app never shadows the server's own paths: `/api` and everything
//! under it, `/ws`, `/health`, `/metrics` (and below) keep their answers.
//! An unknown path whose last segment has no dot is a page of the app
//! (`index.html`); one with a dot is a missing file (404 `not_found`).
//!
//! The table is injectable: handlers use the [`Assets`] registered as
//! `web::Data<Assets>` app data, the embedded ones when there is none.

mod kinds;
mod serve;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::LazyLock;

use bytes::Bytes;
use tokio::sync::OnceCell;

pub use kinds::{compressible, content_type, is_hashed, MIN_HASH_LEN};
pub use serve::{fallback, home};

/// One file of the build.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// Relative to `dist`, `/`-separated, no leading `/`: `assets/app-1A2B3C4D.js`.
    pub path: &'static str,
    pub bytes: &'static [u8],
    pub content_type: &'static str,
}

/// The files of the app's build, as compiled in (empty when
/// `web/app/dist/` was missing or empty at build time).
pub static EMBEDDED: &[Asset] = include!(concat!(env!("OUT_DIR"), "/app_assets.rs"));

/// The embedded build, shared by every worker (its gzip cache too).
static EMBEDDED_ASSETS: LazyLock<Assets> = LazyLock::new(|| Assets::new(EMBEDDED));

/// The page every app route answers with.
pub const INDEX: &str = "index.html";

struct Entry {
    asset: Asset,
    /// The gzipped bytes, made at the first request that accepts gzip
    /// and kept; `None` when the type is not compressed.
    gzip: OnceCell<Option<Bytes>>,
}

/// A table of files to serve, by path.
pub struct Assets {
    files: HashMap<&'static str, Entry>,
}

impl Assets {
    /// A table of `files` (tests build their own).
    pub fn new(files: &'static [Asset]) -> Assets {
        let files = files
            .iter()
            .map(|asset| {
                let entry = Entry {
                    asset: *asset,
                    gzip: OnceCell::new(),
                };
                (asset.path, entry)
            })
            .collect();
        Assets { files }
    }

    /// The build compiled into this binary.
    pub fn embedded() -> &'static Assets {
        &EMBEDDED_ASSETS
    }

    /// Whether an app is there to serve (an `index.html`).
    pub fn has_app(&self) -> bool {
        self.files.contains_key(INDEX)
    }

    fn get(&self, path: &str) -> Option<&Entry> {
        self.files.get(path)
    }
}
