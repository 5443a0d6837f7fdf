//! `FaultInjector`: decides, per storage operation, whether a fault fires.
//!
//! Covers every storage fault type; the rules come from the scenario. Every draw comes from the
//! two streams handed in (`faults` for whether and which, `latency` for how long), so the fault
//! sequence is a pure function of the seed, the rules and the sequence of operations.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::{FaultConfig, FaultType, KvOp};
use crate::sim::{Chance, DeterministicRng};

/// A fault the injector fired on one operation. `delay_ms` is the injected delay of a
/// `storage_latency` fault (within the rule's `latency_ms_min..=latency_ms_max`), 0 otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FiredFault {
    /// Which fault fired.
    pub fault: FaultType,
    /// The injected delay in simulated ms (latency only).
    pub delay_ms: u64,
}

/// Where fault decisions come from besides the dice: given the operation and the index of the
/// rule the dice chose (`None`: no fault), returns the index of the rule that fires. A decider
/// that returns what it is given records; one that returns something else replays a script.
/// A decided rule still fires only where the rule allows it (operation filter, after_operations,
/// max_triggers, the crash budget): only the dice are overridden.
pub type FaultDecider = Rc<dyn Fn(KvOp, Option<usize>) -> Option<usize>>;

/// The optional decider, printable for `Debug`.
#[derive(Clone, Default)]
struct Decider(Option<FaultDecider>);

impl std::fmt::Debug for Decider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = if self.0.is_some() { "set" } else { "none" };
        write!(f, "Decider({state})")
    }
}

#[derive(Clone, Debug)]
struct Rule {
    config: FaultConfig,
    /// `config.probability`, ready to draw against.
    chance: Chance,
    triggers: u64,
}

/// A list of fault rules with their trigger counters and two seeded streams.
///
/// Invariants: every rule validates; a rule never fires more than its `max_triggers`; while the
/// injector is inactive, or for a rule that is disabled, silent or exhausted, nothing is drawn.
#[derive(Clone, Debug)]
pub struct FaultInjector {
    faults_rng: DeterministicRng,
    latency_rng: DeterministicRng,
    rules: Vec<Rule>,
    /// For each KV operation (indexed by `KvOp as usize`, the order of [`KvOp::ALL`]), the
    /// rules that match it, ascending: the rules' configurations never change.
    matching: Vec<Vec<usize>>,
    active: bool,
    operations_seen: u64,
    triggered: BTreeMap<FaultType, u64>,
    /// Crash faults that may still fire, whatever their kind; `None` is unlimited.
    crashes_left: Option<u64>,
    decider: Decider,
}

impl FaultInjector {
    /// An active injector over `rules`. Panics if a rule does not validate (scenarios are
    /// validated before they get here, so that is a harness bug).
    pub fn new(
        faults_rng: DeterministicRng,
        latency_rng: DeterministicRng,
        rules: Vec<FaultConfig>,
    ) -> Self {
        for rule in &rules {
            if let Err(reason) = rule.validate() {
                panic!("invalid fault rule: {reason}");
            }
        }
        let matching = KvOp::ALL
            .iter()
            .enumerate()
            .map(|(index, &op)| {
                assert_eq!(op as usize, index, "KvOp::ALL is in declaration order");
                let matches = rules
                    .iter()
                    .enumerate()
                    .filter(|(_, rule)| rule.matches(op));
                matches.map(|(rule, _)| rule).collect()
            })
            .collect();
        FaultInjector {
            faults_rng,
            latency_rng,
            rules: rules
                .into_iter()
                .map(|config| Rule {
                    chance: Chance::new(config.probability),
                    config,
                    triggers: 0,
                })
                .collect(),
            matching,
            active: true,
            operations_seen: 0,
            triggered: BTreeMap::new(),
            crashes_left: None,
            decider: Decider::default(),
        }
    }

    /// Counts `op` and decides whether a fault fires on it. Rules are walked in order; each
    /// rule that matches `op`, has seen more than `after_operations` operations and has
    /// triggers left draws once from the faults stream with its probability. The first rule
    /// that fires wins and later rules do not draw. A latency delay is drawn from the latency
    /// stream. An inactive injector counts the operation and draws nothing.
    pub fn check(&mut self, op: KvOp) -> Option<FiredFault> {
        self.operations_seen += 1;
        if !self.active {
            return None;
        }
        let seen = self.operations_seen;
        let crashes_spent = self.crashes_left == Some(0);
        let admits = |rule: &Rule| {
            rule.config.matches(op)
                && !(crashes_spent && rule.config.fault.is_crash())
                && seen > rule.config.after_operations
                && rule
                    .config
                    .max_triggers
                    .is_none_or(|max| rule.triggers < max)
        };
        let (rules, faults_rng) = (&self.rules, &mut self.faults_rng);
        let drawn = self.matching[op as usize].iter().copied().find(|&index| {
            let rule = &rules[index];
            admits(rule) && faults_rng.draw(rule.chance)
        });
        let index = match &self.decider.0 {
            Some(decide) => decide(op, drawn),
            None => drawn,
        }?;
        if !self.rules.get(index).is_some_and(admits) {
            return None;
        }
        let rule = &mut self.rules[index];
        rule.triggers += 1;
        assert!(rule
            .config
            .max_triggers
            .is_none_or(|max| rule.triggers <= max));
        let fault = rule.config.fault;
        assert!(
            fault.applies_to(op),
            "{} fired on {}",
            fault.name(),
            op.name()
        );
        let delay_ms = if fault == FaultType::StorageLatency {
            self.latency_rng
                .range_inclusive_u64(rule.config.latency_ms_min, rule.config.latency_ms_max)
        } else {
            0
        };
        *self.triggered.entry(fault).or_insert(0) += 1;
        if fault.is_crash() {
            if let Some(left) = &mut self.crashes_left {
                *left = left
                    .checked_sub(1)
                    .expect("a crash fires only while the budget lasts");
            }
        }
        Some(FiredFault { fault, delay_ms })
    }

    /// Lets at most `crashes` crash faults fire from now on, whatever their kind (0: none).
    pub fn limit_crashes(&mut self, crashes: u64) {
        self.crashes_left = Some(crashes);
    }

    /// The faults stream, for the draws that shape a fault's effect once it fired (which byte
    /// to corrupt, which key a misdirected write lands on, how much of a value survives).
    pub(crate) fn faults_stream(&mut self) -> &mut DeterministicRng {
        &mut self.faults_rng
    }

    /// Turns all injection on or off (the liveness phase turns it off).
    pub fn set_active(&mut self, active: bool) {
        self.active = active;
    }

    /// Lets `decider` decide which rule fires from now on (see [`FaultDecider`]).
    pub fn set_decider(&mut self, decider: FaultDecider) {
        self.decider = Decider(Some(decider));
    }

    /// How many operations the injector has been asked about.
    pub fn operations_seen(&self) -> u64 {
        self.operations_seen
    }

    /// How many times each fault has fired; faults that never fired are absent.
    pub fn triggered_counts(&self) -> BTreeMap<FaultType, u64> {
        self.triggered.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn injector(seed: u64, rules: Vec<FaultConfig>) -> FaultInjector {
        let root = DeterministicRng::new(seed);
        FaultInjector::new(root.fork("faults"), root.fork("latency"), rules)
    }

    fn fired_on(injector: &mut FaultInjector, ops: usize, op: KvOp) -> Vec<Option<FaultType>> {
        (0..ops)
            .map(|_| injector.check(op).map(|f| f.fault))
            .collect()
    }

    #[test]
    fn after_operations_keeps_a_rule_silent() {
        let rule = FaultConfig::new(FaultType::StorageWriteFail, 1.0).after(3);
        let mut injector = injector(1, vec![rule]);
        let fired = fired_on(&mut injector, 5, KvOp::Set);
        let write_fail = Some(FaultType::StorageWriteFail);
        assert_eq!(fired, vec![None, None, None, write_fail, write_fail]);
        assert_eq!(injector.operations_seen(), 5);
    }

    #[test]
    fn max_triggers_caps_a_rule() {
        let rule = FaultConfig::new(FaultType::DiskFull, 1.0).max_triggers(2);
        let mut injector = injector(1, vec![rule]);
        let fired = fired_on(&mut injector, 10, KvOp::Delete);
        assert_eq!(fired.iter().flatten().count(), 2);
        let counts = injector.triggered_counts();
        assert_eq!(counts, BTreeMap::from([(FaultType::DiskFull, 2)]));
    }

    #[test]
    fn disabled_rules_never_fire_nor_draw() {
        let half = FaultConfig::new(FaultType::StorageReadFail, 0.5);
        let mut disabled = FaultConfig::new(FaultType::StorageReadFail, 1.0);
        disabled.enabled = false;
        let mut with = injector(9, vec![disabled, half.clone()]);
        let mut without = injector(9, vec![half]);
        let a = fired_on(&mut with, 200, KvOp::Get);
        assert_eq!(a, fired_on(&mut without, 200, KvOp::Get));
        assert!(a.iter().any(Option::is_some) && a.iter().any(Option::is_none));
    }

    #[test]
    fn operation_filter_and_fault_scope_limit_where_a_rule_fires() {
        let rule = FaultConfig::new(FaultType::StorageReadFail, 1.0).on(&[KvOp::ScanPrefix]);
        let any_write = FaultConfig::new(FaultType::StorageWriteFail, 1.0);
        let mut injector = injector(1, vec![rule, any_write]);
        assert_eq!(injector.check(KvOp::Get), None);
        let scan = injector.check(KvOp::ScanPrefix).map(|f| f.fault);
        assert_eq!(scan, Some(FaultType::StorageReadFail));
        let commit = injector.check(KvOp::Commit).map(|f| f.fault);
        assert_eq!(commit, Some(FaultType::StorageWriteFail));
        assert_eq!(injector.check(KvOp::Exists), None);
    }

    #[test]
    fn first_matching_rule_wins() {
        let first = FaultConfig::new(FaultType::FsyncFail, 1.0);
        let second = FaultConfig::new(FaultType::StorageWriteFail, 1.0);
        let mut injector = injector(1, vec![first, second]);
        let fired = fired_on(&mut injector, 3, KvOp::Set);
        assert!(fired.iter().all(|f| *f == Some(FaultType::FsyncFail)));
        assert!(!injector
            .triggered_counts()
            .contains_key(&FaultType::StorageWriteFail));
    }

    #[test]
    fn the_crash_budget_bounds_every_kind_of_crash_together() {
        let rules = vec![
            FaultConfig::new(FaultType::CrashBeforeWrite, 1.0).on(&[KvOp::Set]),
            FaultConfig::new(FaultType::CrashDuringTransaction, 1.0),
        ];
        let mut limited = injector(1, rules.clone());
        limited.limit_crashes(2);
        let fired: Vec<_> = [KvOp::Set, KvOp::Commit, KvOp::Set, KvOp::Commit]
            .iter()
            .map(|op| limited.check(*op).map(|f| f.fault))
            .collect();
        assert_eq!(fired.iter().flatten().count(), 2);
        assert_eq!(fired[2], None);
        let mut none = injector(1, rules);
        none.limit_crashes(0);
        assert_eq!(none.check(KvOp::Commit), None);
    }

    #[test]
    fn inactive_injector_draws_nothing() {
        let rule = FaultConfig::new(FaultType::StorageReadFail, 0.5);
        let mut paused = injector(3, vec![rule.clone()]);
        paused.set_active(false);
        assert!(fired_on(&mut paused, 50, KvOp::Get)
            .iter()
            .all(Option::is_none));
        paused.set_active(true);
        let mut fresh = injector(3, vec![rule]);
        let resumed = fired_on(&mut paused, 100, KvOp::Get);
        assert_eq!(resumed, fired_on(&mut fresh, 100, KvOp::Get));
        assert_eq!(paused.operations_seen(), 150);
    }

    #[test]
    fn a_decider_overrides_the_dice_but_not_the_rules() {
        let once = |fault| FaultConfig {
            max_triggers: Some(1),
            ..FaultConfig::new(fault, 1.0)
        };
        let rules = vec![once(FaultType::StorageReadFail), once(FaultType::DiskFull)];
        let mut injector = injector(3, rules);
        injector.set_decider(Rc::new(|op, drawn| match op {
            KvOp::Get => None,
            _ => drawn.or(Some(1)),
        }));
        assert_eq!(injector.check(KvOp::Get), None, "the decider said no");
        let fired = injector.check(KvOp::Set).map(|f| f.fault);
        assert_eq!(fired, Some(FaultType::DiskFull), "the decider fired rule 1");
        assert_eq!(
            injector.check(KvOp::Set),
            None,
            "rule 1 spent its one trigger"
        );
        assert_eq!(
            injector.check(KvOp::Exists).map(|f| f.fault),
            Some(FaultType::StorageReadFail)
        );
        assert_eq!(injector.check(KvOp::Exists), None, "both rules are spent");
    }

    #[test]
    fn same_seed_same_faults_and_delays() {
        let rules = vec![
            FaultConfig::new(FaultType::StorageLatency, 0.3).latency_ms(2, 9),
            FaultConfig::new(FaultType::StorageWriteFail, 0.2),
            FaultConfig::new(FaultType::StorageCorruption, 0.2),
        ];
        let sequence = |seed: u64| {
            let mut injector = injector(seed, rules.clone());
            let ops = KvOp::ALL.iter().cycle().take(300);
            ops.map(|op| injector.check(*op)).collect::<Vec<_>>()
        };
        let first = sequence(11);
        assert_eq!(first, sequence(11));
        assert_ne!(first, sequence(12));
        let delays = first.iter().flatten().filter(|f| f.delay_ms > 0);
        assert!(delays.clone().count() > 0);
        assert!(delays.clone().all(|f| (2..=9).contains(&f.delay_ms)));
    }

    #[test]
    #[should_panic(expected = "invalid fault rule")]
    fn invalid_rules_are_refused() {
        injector(1, vec![FaultConfig::new(FaultType::DiskFull, 1.5)]);
    }
}
