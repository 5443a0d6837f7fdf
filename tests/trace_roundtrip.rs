//! A trace written by a run reads back intact, and replaying it reproduces every event.

use dst::run::{replay, run_seed, RunConfig};
use dst::trace::{read_trace, TraceWriter};
use dst::workload::Scenario;
use dst::BugSet;

#[test]
fn a_written_trace_reads_back_intact_and_replays_identical() {
    let config = RunConfig {
        seed: 42,
        scenario: Scenario::built_in("contention").unwrap(),
        bugs: BugSet::none(),
        decisions: None,
    };
    let mut writer = TraceWriter::new();
    let report = run_seed(&config, &mut writer);
    let path = std::env::temp_dir().join(format!("dst-reader-{}.jsonl", std::process::id()));
    writer.finish(&config, &report, &path).unwrap();
    let trace = read_trace(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(trace.integrity_problems().is_empty());
    assert_eq!(trace.events.len() as u64, report.events);
    assert_eq!(trace.header.run_config().unwrap().seed, 42);
    let replayed = replay(&trace).unwrap();
    assert!(replayed.identical(&trace));
}
