//! Build script: the git commit the server is built from, for
//! `corkboard_build_info` and the health bodies (`CORKBOARD_GIT_COMMIT`).
//!
//! `CORKBOARD_GIT_COMMIT` set in the build's environment wins (for builds
//! from a tarball, such as a container image without `.git`); otherwise
//! `git rev-parse --short HEAD`; otherwise `unknown`. It never fails the
//! build. It reruns when HEAD or the branch it points to moves, so the
//! commit stays current across commits and checkouts.
//!
//! It also writes the table of the app's committed build (`web/app/dist/`)
//! that the binary embeds: see `build/app_assets.rs`.

use std::path::Path;
use std::process::Command;

#[path = "build/app_assets.rs"]
mod app_assets;

const ENV: &str = "CORKBOARD_GIT_COMMIT";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed={ENV}");
    let commit = std::env::var(ENV)
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(git_commit)
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env={ENV}={commit}");
    app_assets::generate();
}

/// The output of `git <args>`, trimmed; `None` when git is missing, fails,
/// or prints nothing.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// Watch a file of the git directory, if it exists (a missing one would
/// make cargo rerun the script on every build).
fn watch(path: Option<String>) {
    if let Some(path) = path.filter(|p| Path::new(p).exists()) {
        println!("cargo:rerun-if-changed={path}");
    }
}

fn git_commit() -> Option<String> {
    let commit = git(&["rev-parse", "--short", "HEAD"])?;
    // HEAD moves on a checkout; the branch it names moves on a commit
    // (its file, or packed-refs once git packs it).
    watch(git(&["rev-parse", "--git-path", "HEAD"]));
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watch(git(&["rev-parse", "--git-path", &branch]));
    }
    watch(git(&["rev-parse", "--git-path", "packed-refs"]));
    Some(commit)
}
