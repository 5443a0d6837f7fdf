//! Bad input exits 2 with a message naming the bad value, and never panics.

use crate::common;

use common::{dst, Scratch};

#[test]
fn bad_inputs_exit_2_naming_the_value() {
    let scratch = Scratch::new("bad-input");
    let scenario = scratch.join("broken.json");
    std::fs::write(&scenario, "{\"name\": \"x\",\n  \"bogus_field\": 1}").unwrap();
    let scenario = scenario.to_str().unwrap().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["sweep", "--seeds", "10..1"], "'10..1'"),
        (vec!["sweep", "--seeds", "5..5"], "'5..5'"),
        (vec!["sweep", "--seeds", "9..=3"], "'9..=3'"),
        (vec!["sweep", "--seeds", "abc"], "'abc'"),
        (
            vec!["sweep", "--seeds", "0..99999999999999999999999"],
            "overflows",
        ),
        (
            vec!["run", "--seed", "18446744073709551616"],
            "18446744073709551616",
        ),
        (
            vec!["run", "--seed", "1", "--scenario", "no-such-scenario"],
            "no-such-scenario",
        ),
        (
            vec!["run", "--seed", "1", "--scenario", "missing/file.json"],
            "missing/file.json",
        ),
        (
            vec!["run", "--seed", "1", "--scenario", &scenario],
            "broken.json:2:",
        ),
        (
            vec!["run", "--seed", "1", "--bug", "no-such-bug"],
            "no-such-bug",
        ),
        (vec!["sweep", "--seeds", "1..3", "--jobs", "0"], "jobs '0'"),
        (vec!["sweep", "--seeds", "1..3", "--shard", "3/2"], "'3/2'"),
        (vec!["replay", "missing.jsonl"], "missing.jsonl"),
        (vec!["run"], "--seed"),
    ];
    for (args, needle) in cases {
        let out = dst(&scratch.path, &args);
        assert_eq!(
            out.code, 2,
            "dst {args:?} exits {}:\n{}",
            out.code, out.stderr
        );
        assert!(
            out.stderr.contains(needle),
            "dst {args:?}: stderr lacks '{needle}':\n{}",
            out.stderr
        );
        assert!(
            !out.stderr.contains("panicked"),
            "dst {args:?} panicked:\n{}",
            out.stderr
        );
    }
}

#[test]
fn help_lists_every_scenario_and_planted_bug() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_dst"))
        .arg("--help")
        .output()
        .expect("dst runs");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    for (name, _) in dst::workload::BUILT_IN {
        assert!(help.contains(name), "--help does not name scenario {name}");
    }
    for bug in dst::Bug::ALL {
        assert!(help.contains(bug.name()), "--help does not name bug {bug}");
    }
}
