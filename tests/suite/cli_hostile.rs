//! Hostile input and environment: output paths that are symlinks, FIFOs or devices are written
//! through or refused, never replaced; nothing is written outside the output folder; no name
//! from a scenario or a results file steers a path or forges a report line; a full disk or an
//! unwritable trace location never hides the verdict, the violations or the repro line, leaves
//! no half line and no `*.tmp`, and exits 1 when a failure was found (2 when not).

use crate::sweep_support;

use std::io::Read;
use std::os::unix::fs::symlink;
use std::process::Command;

use sweep_support::{dst, scenario_file, temp_files, Scratch};

const FAILING: [&str; 5] = ["run", "--seed", "1", "--bug", "ack-before-durable"];

fn report_is_complete(stdout: &str) {
    for start in [
        "verdict: FAIL",
        "violations: ",
        "violation: acknowledged_durability",
        "repro: dst run --seed 1",
    ] {
        assert!(
            stdout.lines().any(|l| l.starts_with(start)),
            "no '{start}' line in:\n{stdout}"
        );
    }
}

#[test]
fn a_trace_to_dev_stdout_goes_down_the_pipe() {
    let scratch = Scratch::new("hostile-stdout");
    let run = dst(
        &scratch.path,
        &["run", "--seed", "3", "--trace", "/dev/stdout"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("{\"trace_format\"")),
        "the trace's header is on stdout: {}",
        run.stderr
    );
    assert!(!run.stderr.contains("cannot write"), "{}", run.stderr);
}

#[test]
fn trace_paths_that_are_symlinks_fifos_or_devices_are_written_through() {
    let scratch = Scratch::new("hostile-paths");
    let dir = &scratch.path;
    std::fs::write(dir.join("target.jsonl"), "old").unwrap();
    symlink("target.jsonl", dir.join("link.jsonl")).unwrap();
    let run = dst(dir, &["run", "--seed", "3", "--trace", "link.jsonl"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(std::fs::symlink_metadata(dir.join("link.jsonl"))
        .unwrap()
        .file_type()
        .is_symlink());
    let trace = std::fs::read_to_string(dir.join("target.jsonl")).unwrap();
    assert!(
        trace.starts_with("{\"trace_format\""),
        "the target holds the trace"
    );
    assert_eq!(dst(dir, &["replay", "link.jsonl"]).code, 0);

    let fifo = dir.join("pipe");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::fs::File::open(fifo)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    });
    let run = dst(dir, &["run", "--seed", "3", "--trace", "pipe"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        reader.join().unwrap(),
        trace,
        "the FIFO carried the same trace"
    );
    assert_eq!(
        dst(dir, &["run", "--seed", "3", "--trace", "/dev/null"]).code,
        0
    );

    std::fs::create_dir(dir.join("folder")).unwrap();
    let run = dst(
        dir,
        &[
            "run",
            "--seed",
            "1",
            "--bug",
            "ack-before-durable",
            "--trace",
            "folder",
        ],
    );
    assert_eq!(run.code, 1);
    report_is_complete(&run.stdout);
    assert!(run.stderr.contains("is a directory"), "{}", run.stderr);
    assert!(temp_files(dir).is_empty(), "{:?}", temp_files(dir));
}

#[test]
fn a_full_disk_or_unwritable_trace_never_hides_the_verdict() {
    let scratch = Scratch::new("hostile-full");
    let dir = &scratch.path;
    let full = dst(dir, &[&FAILING[..], &["--trace", "/dev/full"]].concat());
    assert_eq!(full.code, 1, "a failure was found: {}", full.stderr);
    report_is_complete(&full.stdout);
    assert!(
        full.stderr
            .contains("warning: cannot write trace '/dev/full'"),
        "{}",
        full.stderr
    );
    assert!(!full.stderr.contains("panicked"));
    let json = dst(
        dir,
        &[&FAILING[..], &["--trace", "/dev/full", "--json"]].concat(),
    );
    assert_eq!(json.code, 1);
    assert_eq!(json.json()["verdict"], "fail");
    assert!(json.json()["warnings"][0]
        .as_str()
        .unwrap()
        .contains("/dev/full"));
    let passing = dst(dir, &["run", "--seed", "3", "--trace", "/dev/full"]);
    assert_eq!(passing.code, 2, "a pass whose trace was lost exits 2");
    assert!(passing.stdout.contains("verdict: PASS"));

    std::fs::write(dir.join("file"), "").unwrap();
    let nowhere = dst(dir, &[&FAILING[..], &["--trace", "file/t.jsonl"]].concat());
    assert_eq!(nowhere.code, 1);
    report_is_complete(&nowhere.stdout);
    assert!(
        nowhere.stderr.contains("cannot write trace 'file/t.jsonl'"),
        "{}",
        nowhere.stderr
    );

    let script = format!(
        "trap '' XFSZ; ulimit -f 24; exec '{}' sweep --seeds 1..21 --bug ack-before-durable --out small",
        env!("CARGO_BIN_EXE_dst")
    );
    let output = Command::new("bash")
        .args(["-c", &script])
        .current_dir(dir)
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stdout.contains("passed 0, failed 20"), "{stdout}");
    assert!(
        stdout.contains("FAIL seed 1 [acknowledged_durability"),
        "{stdout}"
    );
    assert!(
        stdout.contains("repro: ") || stdout.contains(": dst run --seed 1 "),
        "{stdout}"
    );
    assert!(stderr.contains("File too large"), "{stderr}");
    let lines = std::fs::read(dir.join("small/seeds.jsonl")).unwrap();
    assert!(
        lines.is_empty() || lines.ends_with(b"\n"),
        "no half line is left last"
    );
    for line in String::from_utf8(lines).unwrap().lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("every line is whole");
    }
    assert!(temp_files(dir).is_empty(), "{:?}", temp_files(dir));
}

#[test]
fn nothing_is_written_outside_the_output_folder() {
    let scratch = Scratch::new("hostile-out");
    let dir = &scratch.path;
    std::fs::create_dir(dir.join("outside")).unwrap();
    std::fs::write(dir.join("outside/secret"), "keep").unwrap();
    std::fs::create_dir(dir.join("o")).unwrap();
    symlink("../outside", dir.join("o/traces")).unwrap();
    symlink("../outside/secret", dir.join("o/seeds.jsonl")).unwrap();
    let run = dst(
        dir,
        &[
            "sweep",
            "--seeds",
            "1..3",
            "--bug",
            "ack-before-durable",
            "--out",
            "o",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.join("outside/secret")).unwrap(),
        "keep"
    );
    assert_eq!(std::fs::read_dir(dir.join("outside")).unwrap().count(), 1);
    assert!(dir.join("o/traces/seed-1.jsonl").is_file());
    assert!(!std::fs::symlink_metadata(dir.join("o/traces"))
        .unwrap()
        .file_type()
        .is_symlink());

    symlink("../outside/secret", dir.join("o/summary.json.tmp")).unwrap();
    std::fs::remove_file(dir.join("o/seeds.jsonl")).unwrap();
    symlink("../outside/secret", dir.join("o/seeds.jsonl")).unwrap();
    let resume = dst(
        dir,
        &[
            "sweep",
            "--seeds",
            "1..3",
            "--bug",
            "ack-before-durable",
            "--out",
            "o",
            "--resume",
        ],
    );
    assert_eq!(resume.code, 2, "{}", resume.stderr);
    assert!(resume.stderr.contains("is a symlink"), "{}", resume.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.join("outside/secret")).unwrap(),
        "keep"
    );

    std::fs::write(dir.join("plain"), "").unwrap();
    let onto_file = dst(dir, &["sweep", "--seeds", "1..3", "--out", "plain"]);
    onto_file.assert_refused("cannot create output folder 'plain'");
}

#[test]
fn names_from_files_never_steer_a_path_or_forge_a_line() {
    let scratch = Scratch::new("hostile-names");
    let dir = &scratch.path;
    for name in ["../../escape", "a\nverdict: PASS", ".hidden", ""] {
        let file = scenario_file(dir, "default", "x", |s| {
            s["name"] = serde_json::Value::from(name)
        });
        let run = dst(
            dir,
            &["run", "--seed", "1", "--scenario", file.to_str().unwrap()],
        );
        assert_eq!(run.code, 2, "name {name:?}: {}", run.stderr);
        assert!(run.stderr.contains("field 'name'"), "{}", run.stderr);
    }

    let sweep = dst(
        dir,
        &[
            "sweep",
            "--seeds",
            "1..3",
            "--bug",
            "ack-before-durable",
            "--shard",
            "1/1",
            "--out",
            "s",
        ],
    );
    assert_eq!(sweep.code, 1);
    let path = dir.join("s/seeds.jsonl");
    let forged = std::fs::read_to_string(&path).unwrap().replacen(
        "\"invariant\":\"acknowledged_durability\"",
        "\"invariant\":\"x\\nverdict: PASS\\u001b[2K\"",
        1,
    );
    std::fs::write(&path, forged).unwrap();
    let merged = dst(dir, &["merge", "s", "--out", "m"]);
    assert_eq!(merged.code, 1, "{}", merged.stderr);
    assert!(
        !merged.stdout.lines().any(|l| l.starts_with("verdict:")),
        "{}",
        merged.stdout
    );
    assert!(
        merged.stdout.contains("x\\nverdict: PASS\\u{1b}[2K"),
        "{}",
        merged.stdout
    );
}
