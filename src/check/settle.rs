//! Judging one operation's result against one candidate state: which states the candidate
//! becomes if it admits the result (none, one, or two for an unknown outcome), or why it does
//! not admit it.

use super::answers::{judge_agent_read, judge_tool_read, judge_written_block, listed_as, Mismatch};
use super::call::{Answer, Call};
use super::damage::{damage_agent_record, revert_agent_record};
use super::durable::parse_key;
use super::notes::{Damage, ErrorClass, OpNotes};
use super::semantics::{
    apply_agent, apply_tool, block_after, predict, predict_tool, Prediction, Window,
};
use super::state::{AgentState, Slot, ToolState};

/// What `prediction` (a failure) says, against a call that succeeded.
fn unexpected_success(call: &Call, prediction: Prediction) -> Mismatch {
    let (invariant, expected) = match prediction {
        Prediction::NotFound("agent") if call.writes_child() => (
            "no_orphans",
            "not_found: the agent does not exist, so nothing may be stored for it".to_string(),
        ),
        Prediction::NotFound(kind) => ("error_contract", format!("not_found ({kind})")),
        Prediction::Unreadable => (
            "read_consistency",
            "deserialization_failed: what it reads is damaged".to_string(),
        ),
        Prediction::Succeeds => panic!("a success is not unexpected"),
    };
    Mismatch::new(invariant, expected, "success".to_string())
}

fn expected_of(prediction: Prediction) -> String {
    match prediction {
        Prediction::Succeeds => "success".to_string(),
        Prediction::NotFound(kind) => format!("not_found ({kind})"),
        Prediction::Unreadable => "deserialization_failed".to_string(),
    }
}

/// A candidate that does not admit a result: why, and the candidate, unchanged.
pub type Refusal<S> = (Mismatch, S);

/// Pushes onto `next` the states `candidate` (an agent's) becomes after `call` returned
/// `answer` (or, when it failed, the error `class`), or says why it does not admit that result
/// (pushing nothing). Takes the candidate, so a write changes its records in place when
/// nothing else shares them.
#[allow(clippy::too_many_arguments)]
pub fn agent_outcome(
    call: &Call,
    candidate: AgentState,
    answer: Option<&Answer>,
    class: Option<&ErrorClass>,
    notes: &OpNotes,
    window: Window,
    order: u64,
    next: &mut Vec<AgentState>,
) -> Result<(), Refusal<AgentState>> {
    let prediction = predict(call, &candidate);
    let Some(answer) = answer else {
        let class = class.expect("a failed call has an error class");
        let (kept, applied) =
            failed_outcome(call, candidate, prediction, class, notes, window, order)?;
        next.push(kept);
        next.extend(applied);
        return Ok(());
    };
    if prediction != Prediction::Succeeds {
        return Err((unexpected_success(call, prediction), candidate));
    }
    if !call.writes() {
        return match judge_agent_read(call, &candidate, answer) {
            Ok(()) => {
                next.push(candidate);
                Ok(())
            }
            Err(mismatch) => Err((mismatch, candidate)),
        };
    }
    let keeps_before = notes.damage.is_empty() && !matches!(answer, Answer::Block(_));
    let before = (!keeps_before).then(|| candidate.clone());
    let mut applied = apply_agent(call, candidate, Some(answer), window, order);
    match (call, answer) {
        (Call::UpdateBlock { label, .. } | Call::AppendBlock { label, .. }, Answer::Block(got)) => {
            let written = block_after(&applied, label).expect("the write left its block");
            if let Err(mismatch) = judge_written_block(written, got) {
                return Err((mismatch, before.expect("kept for a block write")));
            }
        }
        (_, Answer::Done) => {}
        (call, answer) => panic!("{} cannot answer {answer:?}", call.name()),
    }
    for damage in &notes.damage {
        match damage {
            Damage::Truncated { key } => {
                if let Some(key) = parse_key(key) {
                    damage_agent_record(&mut applied, &key);
                }
            }
            Damage::Misdirected { intended, .. } => {
                if let Some(key) = parse_key(intended) {
                    let before = before.as_ref().expect("kept when a write was damaged");
                    revert_agent_record(&mut applied, before, &key, call);
                }
            }
        }
    }
    next.push(applied);
    Ok(())
}

/// What a failed call leaves of `candidate`: the candidate itself, and when its outcome is
/// unknown and it would have succeeded, also the state it leaves; or why the failure is wrong.
fn failed_outcome(
    call: &Call,
    candidate: AgentState,
    prediction: Prediction,
    class: &ErrorClass,
    notes: &OpNotes,
    window: Window,
    order: u64,
) -> Result<(AgentState, Option<AgentState>), Refusal<AgentState>> {
    match class {
        ErrorClass::NoEffect | ErrorClass::Unexplained { .. } => Ok((candidate, None)),
        ErrorClass::Unknown => {
            if prediction == Prediction::Succeeds && call.writes() {
                let applied = apply_agent(call, candidate.clone(), None, window, order);
                return Ok((candidate, Some(applied)));
            }
            Ok((candidate, None))
        }
        ErrorClass::NotFound(kind)
            if prediction == Prediction::NotFound(kind)
                || notes.seen.contains(Prediction::NotFound(kind)) =>
        {
            Ok((candidate, None))
        }
        ErrorClass::Unreadable
            if prediction == Prediction::Unreadable
                || notes.corrupted_read
                || notes.seen.contains(Prediction::Unreadable) =>
        {
            Ok((candidate, None))
        }
        ErrorClass::NotFound(kind) => {
            let mismatch = Mismatch::new(
                "error_contract",
                expected_of(prediction),
                format!("not_found ({kind})"),
            );
            Err((mismatch, candidate))
        }
        ErrorClass::Unreadable => {
            let mismatch = Mismatch::new(
                "error_contract",
                format!(
                    "{}: no read was corrupted and nothing it reads is damaged",
                    expected_of(prediction)
                ),
                "deserialization_failed".to_string(),
            );
            Err((mismatch, candidate))
        }
    }
}

/// The states a tool `candidate` becomes after `call` returned `answer` (or the error
/// `class`), or why it does not admit that result.
pub fn tool_outcome(
    call: &Call,
    candidate: &ToolState,
    answer: Option<&Answer>,
    class: Option<&ErrorClass>,
    notes: &OpNotes,
) -> Result<Vec<ToolState>, Mismatch> {
    let prediction = predict_tool(call, candidate);
    let Some(answer) = answer else {
        return match class.expect("a failed call has an error class") {
            ErrorClass::NoEffect | ErrorClass::Unexplained { .. } => Ok(vec![candidate.clone()]),
            ErrorClass::Unknown if call.writes() => {
                Ok(vec![candidate.clone(), apply_tool(call, candidate)])
            }
            ErrorClass::Unknown => Ok(vec![candidate.clone()]),
            ErrorClass::Unreadable
                if prediction == Prediction::Unreadable || notes.corrupted_read =>
            {
                Ok(vec![candidate.clone()])
            }
            ErrorClass::Unreadable => Err(Mismatch::new(
                "error_contract",
                "success: the tool record is intact and no read was corrupted".to_string(),
                "deserialization_failed".to_string(),
            )),
            ErrorClass::NotFound(kind) => Err(Mismatch::new(
                "error_contract",
                expected_of(prediction),
                format!("not_found ({kind})"),
            )),
        };
    };
    if prediction != Prediction::Succeeds {
        return Err(unexpected_success(call, prediction));
    }
    if !call.writes() {
        judge_tool_read(candidate, answer)?;
        return Ok(vec![candidate.clone()]);
    }
    assert_eq!(*answer, Answer::Done, "tool writes return nothing");
    let mut next = apply_tool(call, candidate);
    for damage in &notes.damage {
        match damage {
            Damage::Truncated { .. } => next.record = Slot::Damaged,
            Damage::Misdirected { .. } => next = candidate.clone(),
        }
    }
    Ok(vec![next])
}

/// The candidates whose record (`slot_of`) a listing that returned `got` for their id admits;
/// a damaged record would have failed the listing.
pub fn listed_candidates<S: Clone, T: PartialEq>(
    candidates: &[S],
    slot_of: impl Fn(&S) -> &Slot<T>,
    got: Option<&T>,
) -> Vec<S> {
    candidates
        .iter()
        .filter(|c| listed_as(slot_of(c), got))
        .cloned()
        .collect()
}
