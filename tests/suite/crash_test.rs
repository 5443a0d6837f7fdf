//! Real crashes: `dst crash-test` kills a child writing to redb with SIGKILL at a bounded number
//! of points and judges each file it leaves; and the judgement itself catches a file that lost
//! acknowledged writes, and a re-run that does not match the child's log.

use std::cell::RefCell;
use std::io::Write;
use std::process::Command;
use std::rc::Rc;

use dst::run::{run_child, run_cut, RunConfig, Verdict};
use dst::workload::Scenario;
use dst::BugSet;

#[test]
fn recovery_after_each_kill_keeps_every_invariant() {
    let out = Command::new(env!("CARGO_BIN_EXE_dst"))
        .args([
            "crash-test",
            "--seed",
            "2",
            "--kills",
            "5",
            "--scenario",
            "contention",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    let kills: Vec<&str> = text.lines().filter(|l| l.starts_with("kill ")).collect();
    assert_eq!(kills.len(), 5, "{text}");
    let judged = kills
        .iter()
        .filter(|l| l.ends_with("the rest of the run: PASS"))
        .count();
    assert!(
        judged >= 4,
        "most kills land in the safety phase and are judged: {text}"
    );
    assert!(text.contains("kills 5, failed 0"), "{text}");
}

/// A `Write` into a shared buffer.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The first `n` lines of seed 4's child log (run to the end, in this process).
fn child_lines(n: usize) -> (RunConfig, Vec<String>) {
    let config = RunConfig {
        seed: 4,
        scenario: Scenario::built_in("no-faults").unwrap(),
        bugs: BugSet::none(),
        decisions: None,
    };
    let dir = std::env::temp_dir().join(format!("dst-test-child-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = Shared::default();
    let report = run_child(&config, &dir.join("store.redb"), Box::new(log.clone()));
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(report.verdict, Verdict::Pass);
    let text = String::from_utf8(log.0.borrow().clone()).unwrap();
    (config, text.lines().take(n).map(str::to_string).collect())
}

#[test]
fn a_file_missing_acknowledged_writes_fails_acknowledged_durability() {
    let (config, lines) = child_lines(400);
    let dir = std::env::temp_dir().join(format!("dst-test-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("store.redb");
    dst::kv::open_database(&empty).unwrap();
    let cut = run_cut(&config, lines, &empty);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(cut.acknowledged > 100, "{cut:?}");
    assert_eq!(cut.divergence, None);
    assert_eq!(cut.report.verdict, Verdict::Fail);
    let invariants: Vec<&str> = cut
        .report
        .violations
        .iter()
        .map(|v| v.invariant.as_str())
        .collect();
    assert!(
        invariants.contains(&"acknowledged_durability"),
        "{invariants:?}"
    );
}

#[test]
fn a_re_run_that_differs_from_the_child_log_is_reported() {
    let (config, mut lines) = child_lines(300);
    lines[200] = lines[200].replace("\"time_ms\":", "\"time_ms\":9");
    let dir = std::env::temp_dir().join(format!("dst-test-diverge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("store.redb");
    dst::kv::open_database(&empty).unwrap();
    let cut = run_cut(&config, lines, &empty);
    std::fs::remove_dir_all(&dir).unwrap();
    let divergence = cut.divergence.expect("line 200 was edited");
    assert!(
        divergence.starts_with("event 200: the child logged"),
        "{divergence}"
    );
}

#[test]
fn bad_kill_counts_and_seeds_are_refused() {
    let dst = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_dst"))
            .args(args)
            .output()
            .unwrap()
    };
    for (args, message) in [
        (
            ["--seed", "1", "--kills", "0"],
            "kills '0' must be an integer within 1..=1000",
        ),
        (
            ["--seed", "x", "--kills", "3"],
            "seed 'x' is not a non-negative integer",
        ),
    ] {
        let out = dst(&[&["crash-test"][..], &args[..]].concat());
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(message), "{err}");
    }
}
