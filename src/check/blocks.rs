//! `no_lost_updates` for core memory blocks: concurrent read-modify-writes (appends and
//! updates) never drop one another. Also rejects block tokens of ops that failed or never
//! touched the block (`no_phantoms`).

use super::model::Model;
use super::register::Finding;
use super::tokens::block_tokens;
use crate::agent::Block;

/// Checks one observed block of `agent_id` against the ops that changed it. `observed_at` is
/// the logical start of the observation: every `ok` append that started after the value's base
/// write finished, and finished before `observed_at`, must appear in the value.
pub fn check_block(
    model: &Model,
    agent_id: &str,
    block: &Block,
    observed_at: u64,
) -> Option<Finding> {
    let writers = model.block_writers(agent_id, &block.label);
    let evidence = |what: String| {
        format!(
            "block '{agent_id}/{}' = '{}': {what}; history: {}",
            block.label,
            block.value,
            model.history(writers)
        )
    };
    let Some(tokens) = block_tokens(&block.value) else {
        return Some(Finding {
            invariant: "read_consistency",
            evidence: evidence("malformed value".into()),
        });
    };
    if let Some((_, bad)) = tokens
        .iter()
        .find(|(_, op)| !writers.contains(op) || model.op(*op).failed())
    {
        let what = format!("names op#{bad}, which did not change this block");
        return Some(Finding {
            invariant: "no_phantoms",
            evidence: evidence(what),
        });
    }
    let (_, base) = *tokens.first()?;
    let base_op = model.op(base);
    let missing = writers.iter().copied().find(|id| {
        let append = model.op(*id);
        append.name == "append_block"
            && append.ok()
            && base_op.before(append)
            && append.end < observed_at
            && !tokens.iter().any(|(_, op)| op == id)
    });
    missing.map(|id| Finding {
        invariant: "no_lost_updates",
        evidence: evidence(format!("lost {}", model.describe(id))),
    })
}

/// Checks that a block returned by the op `op` itself holds that op's change: an update's
/// value starts with its token, an append's ends with it (read-your-writes).
pub fn check_own_block(model: &Model, agent_id: &str, block: &Block, op: u64) -> Option<Finding> {
    let tokens = block_tokens(&block.value).unwrap_or_default();
    let own = match model.op(op).name {
        "update_block" => tokens.first() == Some(&('u', op)),
        _ => tokens.last() == Some(&('a', op)),
    };
    (!own).then(|| Finding {
        invariant: "read_consistency",
        evidence: format!(
            "{} returned block '{agent_id}/{}' = '{}' without its own change",
            model.describe(op),
            block.label,
            block.value
        ),
    })
}
