//! Build script part: the table of the app's committed build.
//!
//! Walks `web/app/dist/` (from the workspace root) and writes
//! `$OUT_DIR/app_assets.rs`: a `&[Asset]` expression with, for each file,
//! its path relative to `dist` (`/`-separated), `include_bytes!` of its
//! absolute path, and its content type. Hidden files (`.gitkeep`) are left
//! out. No directory, or an empty one, gives an empty table.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[allow(dead_code)] // `is_hashed` and `compressible` are the server's
#[path = "../src/app_assets/kinds.rs"]
mod kinds;

pub fn generate() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest.parent().unwrap_or(&manifest).to_path_buf();
    let dist = root.join("web/app/dist");
    watch(&dist, &root.join("web"));

    let mut files = Vec::new();
    if dist.is_dir() {
        collect(&dist, &dist, &mut files);
    }
    files.sort();
    let mut table = String::from("&[\n");
    for (rel, abs) in &files {
        println!("cargo:rerun-if-changed={}", abs.display());
        let _ = writeln!(
            table,
            "    Asset {{ path: {rel:?}, bytes: include_bytes!({:?}), content_type: {:?} }},",
            abs.display().to_string(),
            kinds::content_type(rel),
        );
    }
    table.push_str("]\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("app_assets.rs");
    if let Err(e) = std::fs::write(&out, table) {
        panic!("writing {}: {e}", out.display());
    }
}

/// Watch `dist` (cargo scans a directory recursively) or, while it does
/// not exist, `web/app`; without `web/app` either, `web/package.json`,
/// whose workspace list the app joins when it arrives. Never a missing
/// path (cargo would rerun this script on every build) nor all of `web/`
/// (an edit of the client library would rebuild the server). A commit
/// reruns the script anyway (`main` watches the branch).
fn watch(dist: &Path, web: &Path) {
    let app = dist.parent().unwrap_or(dist);
    let package = web.join("package.json");
    let watched = [dist, app, package.as_path()]
        .into_iter()
        .find(|p| p.exists());
    if let Some(path) = watched {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

/// Every non-hidden file under `dir`: (path relative to `base`, absolute
/// path). Names that are not UTF-8 are skipped with a warning.
fn collect(base: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            println!("cargo:warning=skipping non-UTF-8 name in {}", dir.display());
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect(base, &path, out);
        } else if let Ok(rel) = path.strip_prefix(base) {
            let rel: Vec<&str> = rel.iter().filter_map(|c| c.to_str()).collect();
            let abs = path.canonicalize().unwrap_or(path.clone());
            out.push((rel.join("/"), abs));
        }
    }
}
