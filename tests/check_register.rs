//! The register check on hand-built histories: what it admits and what it reports.

use dst::check::{check_register, Effect, Model, Observed, Window};
use dst::trace::Outcome;

const KEY: &[u8] = b"agents/a";

fn put(model: &mut Model, task: u32, fingerprint: u64) -> u64 {
    let effects = vec![Effect::Put {
        key: KEY.to_vec(),
        fingerprint,
    }];
    model.begin(task, "save_agent", effects)
}

fn delete(model: &mut Model, task: u32) -> u64 {
    let effects = vec![Effect::Delete { key: KEY.to_vec() }];
    model.begin(task, "delete_agent", effects)
}

/// An observation made after everything so far finished.
fn now(model: &Model) -> Window {
    Window::after_all(model)
}

fn seen(token: u64, fingerprint: u64) -> Observed {
    Observed::Present { token, fingerprint }
}

#[test]
fn the_latest_acknowledged_write_is_admitted() {
    let mut model = Model::new();
    let a = put(&mut model, 0, 1);
    model.end(a, Outcome::Ok);
    let b = put(&mut model, 0, 2);
    model.end(b, Outcome::Ok);
    assert_eq!(check_register(&model, KEY, seen(b, 2), now(&model)), None);
}

#[test]
fn an_overwritten_value_is_stale() {
    let mut model = Model::new();
    let a = put(&mut model, 0, 1);
    model.end(a, Outcome::Ok);
    let b = put(&mut model, 0, 2);
    model.end(b, Outcome::Ok);
    let finding = check_register(&model, KEY, seen(a, 1), now(&model)).expect("stale");
    assert_eq!(finding.invariant, "acknowledged_durability");
    assert!(
        finding.evidence.contains(&format!("op#{b}")),
        "{}",
        finding.evidence
    );
}

#[test]
fn concurrent_writes_may_land_in_either_order() {
    let mut model = Model::new();
    let a = put(&mut model, 0, 1);
    let b = put(&mut model, 1, 2);
    model.end(b, Outcome::Ok);
    model.end(a, Outcome::Ok);
    assert_eq!(check_register(&model, KEY, seen(a, 1), now(&model)), None);
    assert_eq!(check_register(&model, KEY, seen(b, 2), now(&model)), None);
}

#[test]
fn a_failed_write_must_not_be_visible() {
    let mut model = Model::new();
    let a = put(&mut model, 0, 1);
    model.end(a, Outcome::Failed);
    let finding = check_register(&model, KEY, seen(a, 1), now(&model)).expect("phantom");
    assert_eq!(finding.invariant, "no_phantoms");
}

#[test]
fn an_indeterminate_write_may_or_may_not_be_visible() {
    let mut model = Model::new();
    let a = put(&mut model, 0, 1);
    model.end(a, Outcome::Ok);
    let b = put(&mut model, 0, 2);
    assert_eq!(model.crash().len(), 1);
    assert_eq!(check_register(&model, KEY, seen(a, 1), now(&model)), None);
    assert_eq!(check_register(&model, KEY, seen(b, 2), now(&model)), None);
}

#[test]
fn content_other_than_what_the_op_wrote_is_reported() {
    let mut model = Model::new();
    let a = put(&mut model, 0, 1);
    model.end(a, Outcome::Ok);
    let finding = check_register(&model, KEY, seen(a, 99), now(&model)).expect("mismatch");
    assert_eq!(finding.invariant, "read_consistency");
}

#[test]
fn a_value_no_op_wrote_is_a_phantom() {
    let model = Model::new();
    let finding = check_register(&model, KEY, seen(7, 1), now(&model)).expect("phantom");
    assert_eq!(finding.invariant, "no_phantoms");
}

#[test]
fn absence_needs_a_delete_after_the_last_acknowledged_write() {
    let mut model = Model::new();
    let a = put(&mut model, 0, 1);
    model.end(a, Outcome::Ok);
    let lost = check_register(&model, KEY, Observed::Absent, now(&model)).expect("lost");
    assert_eq!(lost.invariant, "acknowledged_durability");
    let d = delete(&mut model, 0);
    model.end(d, Outcome::Ok);
    assert_eq!(
        check_register(&model, KEY, Observed::Absent, now(&model)),
        None
    );
    let failed_delete_only = {
        let mut model = Model::new();
        let a = put(&mut model, 0, 1);
        model.end(a, Outcome::Ok);
        let d = delete(&mut model, 0);
        model.end(d, Outcome::Failed);
        check_register(&model, KEY, Observed::Absent, now(&model))
    };
    assert!(
        failed_delete_only.is_some(),
        "a failed delete explains nothing"
    );
}

#[test]
fn a_write_that_finished_after_the_read_started_need_not_be_seen() {
    let mut model = Model::new();
    let a = put(&mut model, 0, 1);
    model.end(a, Outcome::Ok);
    let read_start = model.now();
    let b = put(&mut model, 1, 2);
    model.end(b, Outcome::Ok);
    let window = Window {
        start: read_start,
        end: model.now(),
        stale_invariant: "read_consistency",
    };
    assert_eq!(check_register(&model, KEY, seen(a, 1), window), None);
    assert_eq!(check_register(&model, KEY, seen(b, 2), window), None);
}
