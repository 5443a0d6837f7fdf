//! `scripts/profile.py`, the reader behind `scripts/profile.sh`, on a small callgrind profile
//! written by hand: every cost lands in the crate file that spent it, a library function is
//! divided among its callers by what each spent in it, allocations count where the crate's
//! code asked, and every figure is per storage call.

use std::path::Path;
use std::process::Command;

use crate::common::{Run, Scratch};

/// Two crate functions (`kv/store.rs`, with B-tree code inlined; `check/model.rs`), `memcmp`
/// called by both (30 and 10 of its 40 instructions), and `mi_malloc` called four times by the
/// model. Events: instructions, mispredicted conditional branches.
fn profile(src: &Path) -> String {
    let src = src.display();
    format!(
        "# callgrind format
version: 1
positions: line
events: Ir Bcm

fl=(1) {src}/kv/store.rs
fn=(1) dst::kv::store::VersionedStore::apply
10 100 2
fi=(2) /rustc/0/library/alloc/src/collections/btree/map.rs
20 50 1
fe=(1)
11 10 0
cfn=(3) __memcmp_avx2_movbe
calls=3 0
12 30 3

fl=(3) {src}/check/model.rs
fn=(4) dst::check::model::Model::judge
5 200 0
cfn=(3)
calls=1 0
6 10 1
cfn=(5) mi_malloc
calls=4 0
7 40 0

fl=(4) ./string/../sysdeps/x86_64/multiarch/memcmp-avx2-movbe.S
fn=(3)
1 40 4

fl=(5) /registry/libmimalloc-sys-0.1.49/c_src/mimalloc/v2/src/alloc.c
fn=(5)
1 40 0

summary: 440 7
"
    )
}

/// Runs `python3 scripts/profile.py ARGS` in `dir`.
fn profile_py(dir: &Path, args: &[&str]) -> Run {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/profile.py");
    let output = Command::new("python3")
        .arg(script)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("python3 runs");
    Run {
        code: output.status.code().expect("an exit code"),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

/// The script's arguments: the crate's `src`, the scenario, then each run's summary and profile.
fn arguments<'a>(src: &'a str, full_profile: &'a str, floor_profile: &'a str) -> [&'a str; 6] {
    [
        src,
        "default",
        "full.json",
        full_profile,
        "floor.json",
        floor_profile,
    ]
}

fn per_call(value: &serde_json::Value, path: &[&str]) -> f64 {
    let found = path.iter().fold(value, |value, key| &value[*key]);
    found
        .as_f64()
        .unwrap_or_else(|| panic!("no number at {path:?} in {value}"))
}

#[test]
fn costs_land_where_they_were_spent_per_storage_call() {
    let scratch = Scratch::new("profile-script");
    let src = scratch.join("src");
    std::fs::write(scratch.join("run.callgrind"), profile(&src)).unwrap();
    for mode in ["full", "floor"] {
        let summary = format!(r#"{{"mode":"{mode}","calls":4,"seeds":1}}"#);
        std::fs::write(scratch.join(&format!("{mode}.json")), summary).unwrap();
    }
    let args = arguments(src.to_str().unwrap(), "run.callgrind", "run.callgrind");
    let run = profile_py(&scratch.path, &args);
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    let written = std::fs::read_to_string(scratch.join("results/profile.json")).unwrap();
    let profile: serde_json::Value = serde_json::from_str(&written).unwrap();
    let full = &profile["full"];
    assert_eq!(
        per_call(full, &["total_per_call", "Ir"]),
        110.0,
        "440 over 4 calls"
    );
    let store = ["units", "kv/store.rs"];
    assert_eq!(
        per_call(full, &[store[0], store[1], "Ir"]),
        47.5,
        "its own 110, the inlined B-tree's 50 and 30 of memcmp's 40"
    );
    assert_eq!(per_call(full, &[store[0], store[1], "Bcm"]), 1.5);
    let model = ["units", "check/model.rs"];
    assert_eq!(per_call(full, &[model[0], model[1], "Ir"]), 52.5);
    assert_eq!(per_call(full, &[model[0], model[1], "Bcm"]), 0.25);
    assert_eq!(
        per_call(full, &[model[0], model[1], "allocations"]),
        1.0,
        "four allocations over four calls, where the model asked"
    );
    assert_eq!(per_call(full, &["units", "(allocator)", "Ir"]), 10.0);
    assert_eq!(per_call(full, &["layers", "kv", "Ir"]), 47.5);
    assert_eq!(per_call(full, &["layers", "check", "Ir"]), 52.5);
    let page = std::fs::read_to_string(scratch.join("results/PROFILE.md")).unwrap();
    assert!(page.contains("| `kv/store.rs` | 48 | 48 |"), "{page}");
}

#[test]
fn a_missing_run_or_missing_arguments_is_refused_with_the_reason() {
    let scratch = Scratch::new("profile-script-refusals");
    profile_py(&scratch.path, &["src"]).assert_refused("Usage: profile.py");
    let missing = arguments("src", "full.callgrind", "floor.callgrind");
    let run = profile_py(&scratch.path, &missing);
    assert_eq!(run.code, 1, "stderr:\n{}", run.stderr);
    assert!(
        run.stderr.contains("profile: cannot read a run") && run.stderr.contains("full.json"),
        "{}",
        run.stderr
    );
}
