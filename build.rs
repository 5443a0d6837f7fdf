//! Captures the git commit (when built from a git checkout with git installed) as
//! `DST_GIT_COMMIT`, recorded in trace headers; a `DST_GIT_COMMIT` in the build environment wins.
//! Never fails: without git there is no commit. Only files that exist are watched: cargo
//! counts a watched file that is missing as changed, and would rebuild the crate every time.
//!
//! Also reruns when the release profile in `pgo/` or the rustc wrapper changes, so that
//! `cargo build --release` recompiles with a newly recorded profile or newly chosen flags
//! (scripts/rustc-pgo passes both to rustc, unseen by cargo's own change tracking).

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// Reruns this script when `file` changes, if it exists.
fn watch(file: &str) {
    if std::path::Path::new(file).exists() {
        println!("cargo:rerun-if-changed={file}");
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=DST_GIT_COMMIT");
    watch("pgo/dst.profdata");
    watch("pgo/toolchain.txt");
    watch("scripts/rustc-pgo");
    let commit = std::env::var("DST_GIT_COMMIT")
        .ok()
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]));
    if let Some(commit) = commit {
        println!("cargo:rustc-env=DST_GIT_COMMIT={commit}");
    }
    for path in ["HEAD", "packed-refs"] {
        if let Some(file) = git(&["rev-parse", "--git-path", path]) {
            watch(&file);
        }
    }
    if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if let Some(file) = git(&["rev-parse", "--git-path", &reference]) {
            watch(&file);
        }
    }
}
