//! A trace written by a run reads back intact, and replaying it reproduces every event.

use dst::run::{replay, run_seed, RunConfig};
use dst::trace::{read_trace, EventSink, NullSink, TraceHasher, TraceWriter, VecSink};
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

#[test]
fn a_run_that_keeps_no_event_hashes_the_same_events_as_one_that_does() {
    for scenario in ["default", "contention"] {
        let config = RunConfig {
            seed: 7,
            scenario: Scenario::built_in(scenario).unwrap(),
            bugs: BugSet::none(),
            decisions: None,
        };
        let mut kept = VecSink::default();
        let keeping = run_seed(&config, &mut kept);
        let discarding = run_seed(&config, &mut NullSink);
        assert_eq!(keeping.trace_hash, discarding.trace_hash, "{scenario}");
        assert_eq!(keeping.events, discarding.events, "{scenario}");
        assert_eq!(kept.events.len() as u64, keeping.events, "{scenario}");
        let mut hasher = TraceHasher::new();
        kept.events.iter().for_each(|event| hasher.record(event));
        assert_eq!(
            hasher.hex(),
            keeping.trace_hash,
            "{scenario}: the hash of the kept events"
        );
    }
}
