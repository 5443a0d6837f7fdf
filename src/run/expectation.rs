//! A scenario's `expect` applied to a run: `pass` scenarios pass when every invariant holds;
//! `violation` scenarios (faults outside the envelope) pass when the checkers find a violation,
//! and finding none is the failure, reported as the `expected_violation` invariant.

use crate::trace::EventSink;
use crate::workload::{Expectation, Scenario};

use super::{run_seed, RunConfig, RunReport, Verdict, Violation};

/// The invariant a run of a `violation` scenario fails when every invariant held.
pub const EXPECTED_VIOLATION: &str = "expected_violation";

/// Judges `report` (a run of `scenario`, judged by the checkers alone) by the scenario's
/// expectation. A report is judged once: afterwards its verdict is the run's final verdict.
pub fn judge(mut report: RunReport, scenario: &Scenario) -> RunReport {
    assert_eq!(
        report.scenario, scenario.name,
        "the report is of this scenario"
    );
    let found = !report.violations.is_empty();
    assert_eq!(
        report.verdict == Verdict::Fail,
        found,
        "the checkers fail a run exactly when they keep a violation"
    );
    match scenario.expect {
        Expectation::Pass => {}
        Expectation::Violation if found => report.verdict = Verdict::Pass,
        Expectation::Violation => {
            report.verdict = Verdict::Fail;
            report.violations.push(Violation {
                invariant: EXPECTED_VIOLATION.to_string(),
                evidence: format!(
                    "scenario '{}' expects a violation (its faults are outside the envelope), \
                     but every invariant held (seed {})",
                    scenario.name, report.seed
                ),
            });
            report.violations_total += 1;
            report.violated.insert(EXPECTED_VIOLATION.to_string(), 1);
        }
    }
    report
}

/// Runs one seed (see [`run_seed`]) and judges it by its scenario's expectation: what every
/// command reports and every trace records.
pub fn run_judged(config: &RunConfig, sink: &mut dyn EventSink) -> RunReport {
    judge(run_seed(config, sink), &config.scenario)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bugs::BugSet;
    use crate::trace::NullSink;

    #[test]
    fn a_violation_scenario_passes_on_a_violation_and_fails_without_one() {
        let mut scenario = Scenario::built_in("no-faults").unwrap();
        let config = RunConfig {
            seed: 3,
            scenario: scenario.clone(),
            bugs: BugSet::none(),
            decisions: None,
        };
        let raw = run_seed(&config, &mut NullSink);
        assert_eq!(raw.verdict, Verdict::Pass);
        assert_eq!(judge(raw.clone(), &scenario).verdict, Verdict::Pass);
        scenario.expect = Expectation::Violation;
        let judged = judge(raw.clone(), &scenario);
        assert_eq!(judged.verdict, Verdict::Fail);
        assert_eq!(judged.violations[0].invariant, EXPECTED_VIOLATION);
        let mut found = raw;
        found.verdict = Verdict::Fail;
        found.violations.push(Violation {
            invariant: "acknowledged_durability".to_string(),
            evidence: String::new(),
        });
        assert_eq!(judge(found, &scenario).verdict, Verdict::Pass);
    }
}
