//! Judging a listing of every entity of one kind (`list_agents`, `list_custom_tools`): the
//! answer is in ascending order of the entities' names, and narrows every entity the model
//! knows to the candidates whose record the listing admits (an entity left out must be one
//! that may be absent). One judgement serves both kinds; `Listed` says what tells them apart.

use std::collections::BTreeMap;

use super::entity::Candidate;
use super::entity_map::EntityMap;
use super::notes::OpNotes;
use super::render;
use super::settle::listed_candidates;
use super::state::{AgentState, Slot, ToolState};
use crate::agent::{AgentMetadata, CustomToolRecord};

/// What one kind of listed record is judged by.
pub struct Listed<S, T> {
    /// The kind's noun in evidence (`agent`, `tool`).
    pub noun: &'static str,
    /// The name a listing is ordered by (`id`, `name`).
    pub order: &'static str,
    /// The record's name (its id).
    pub name_of: fn(&T) -> &str,
    /// Where a candidate of an entity keeps the record.
    pub slot_of: fn(&S) -> &Slot<T>,
    /// The record's summary in evidence.
    pub render: fn(&T) -> String,
}

/// A listing the model does not admit: the invariant it breaks, what the model admitted and
/// what came back.
pub struct Disagreement {
    /// `read_consistency` or `error_contract`.
    pub invariant: &'static str,
    /// What the model admitted.
    pub expected: String,
    /// What the listing returned.
    pub got: String,
}

/// Judges the listing `list` against `entities`: refuses it when it is out of order;
/// otherwise narrows every entity (creating those met for the first time) to the candidates
/// `list` admits and names the first entity, in name order, that has none left.
pub fn settle_listing<S: Candidate, T: PartialEq>(
    entities: &mut EntityMap<S>,
    list: &[T],
    listed: &Listed<S, T>,
) -> Option<Disagreement> {
    let name_of = listed.name_of;
    if !list
        .windows(2)
        .all(|pair| name_of(&pair[0]) < name_of(&pair[1]))
    {
        return Some(Disagreement {
            invariant: "read_consistency",
            expected: format!("{}s in ascending {} order", listed.noun, listed.order),
            got: render::list(list, listed.render),
        });
    }
    let returned: BTreeMap<&str, &T> = list
        .iter()
        .map(|record| (name_of(record), record))
        .collect();
    assert_eq!(
        returned.len(),
        list.len(),
        "an ordered listing names each record once"
    );
    for name in returned.keys() {
        entities.get_or_insert(name);
    }
    let mut failed = None;
    for (name, entity) in entities.iter_mut() {
        let got = returned.get(name.as_ref()).copied();
        let next = listed_candidates(entity.candidates(), listed.slot_of, got);
        if !entity.replace(next) && failed.is_none() {
            let expected: Vec<String> = entity
                .candidates()
                .iter()
                .map(|candidate| render::slot((listed.slot_of)(candidate), listed.render))
                .collect();
            failed = Some(Disagreement {
                invariant: "read_consistency",
                expected: format!("{} '{name}': {}", listed.noun, expected.join(" or ")),
                got: got.map_or("absent".into(), listed.render),
            });
        }
    }
    failed
}

/// Judges a listing that failed as unreadable: only a damaged record of the kind, or a read
/// the injector corrupted, may make it fail so.
pub fn settle_unreadable_listing<S: Candidate, T>(
    entities: &EntityMap<S>,
    listed: &Listed<S, T>,
    notes: &OpNotes,
) -> Option<Disagreement> {
    let damaged = entities.values().any(|entity| {
        entity
            .candidates()
            .iter()
            .any(|candidate| matches!((listed.slot_of)(candidate), Slot::Damaged))
    });
    (!damaged && !notes.corrupted_read).then(|| Disagreement {
        invariant: "error_contract",
        expected: format!(
            "no {} record is damaged and no read was corrupted",
            listed.noun
        ),
        got: "deserialization_failed".into(),
    })
}

/// Agents, listed by `list_agents` in ascending id order.
pub const AGENTS: Listed<AgentState, AgentMetadata> = Listed {
    noun: "agent",
    order: "id",
    name_of: |agent| &agent.id,
    slot_of: |state| &state.record,
    render: render::agent,
};

/// Custom tools, listed by `list_custom_tools` in ascending name order.
pub const TOOLS: Listed<ToolState, CustomToolRecord> = Listed {
    noun: "tool",
    order: "name",
    name_of: |tool| &tool.name,
    slot_of: |state| &state.record,
    render: render::tool,
};

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::*;

    fn tool(name: &str) -> CustomToolRecord {
        CustomToolRecord {
            name: name.into(),
            description: format!("the {name} tool"),
            input_schema: serde_json::json!({}),
            source_code: String::new(),
            runtime: "python".into(),
            requirements: Vec::new(),
            created_at_ms: 0,
            updated_at_ms: 0,
        }
    }

    fn state(record: Slot<CustomToolRecord>) -> ToolState {
        ToolState { record }
    }

    /// A model that knows tool `a` stored, and tool `b` stored or absent (an unknown outcome).
    fn model() -> EntityMap<ToolState> {
        let mut tools = EntityMap::default();
        let stored = |name| state(Slot::Present(Rc::new(tool(name))));
        assert!(tools.get_or_insert("a").replace(vec![stored("a")]));
        assert!(tools
            .get_or_insert("b")
            .replace(vec![stored("b"), state(Slot::Absent)]));
        tools
    }

    fn slots(tools: &EntityMap<ToolState>, name: &str) -> Vec<Slot<CustomToolRecord>> {
        let entity = tools.get(name).expect("the model knows the tool");
        entity
            .candidates()
            .iter()
            .map(|c| c.record.clone())
            .collect()
    }

    #[test]
    fn a_listing_the_model_admits_narrows_each_entity_to_what_it_returned() {
        let mut tools = model();
        assert!(settle_listing(&mut tools, &[tool("a")], &TOOLS).is_none());
        assert_eq!(slots(&tools, "b"), vec![Slot::Absent], "b was left out");
        let mut tools = model();
        assert!(settle_listing(&mut tools, &[tool("a"), tool("b")], &TOOLS).is_none());
        assert_eq!(slots(&tools, "b"), vec![Slot::Present(Rc::new(tool("b")))]);
    }

    #[test]
    fn a_listing_out_of_order_or_unlike_every_candidate_is_refused_with_the_first_entity() {
        let mut tools = model();
        let refused = settle_listing(&mut tools, &[tool("b"), tool("a")], &TOOLS).unwrap();
        assert_eq!(refused.invariant, "read_consistency");
        assert_eq!(refused.expected, "tools in ascending name order");
        assert_eq!(
            slots(&tools, "b").len(),
            2,
            "an unordered listing narrows nothing"
        );
        let twice = settle_listing(&mut tools, &[tool("a"), tool("a")], &TOOLS).unwrap();
        assert_eq!(
            twice.expected, "tools in ascending name order",
            "a name listed twice"
        );

        let refused = settle_listing(&mut tools, &[], &TOOLS).unwrap();
        assert_eq!(refused.expected, "tool 'a': tool 'a' (the a tool)");
        assert_eq!(refused.got, "absent");
        assert_eq!(
            slots(&tools, "b"),
            vec![Slot::Absent],
            "later entities still narrow"
        );

        let mut changed = tool("a");
        changed.description = "rewritten".into();
        let refused = settle_listing(&mut model(), &[changed, tool("c")], &TOOLS).unwrap();
        assert_eq!(refused.got, "tool 'a' (rewritten)");
        let refused = settle_listing(&mut model(), &[tool("a"), tool("c")], &TOOLS).unwrap();
        assert_eq!(refused.expected, "tool 'c': absent", "a tool never saved");
    }

    #[test]
    fn an_unreadable_listing_needs_a_damaged_record_or_a_corrupted_read() {
        let mut notes = OpNotes::default();
        let refused = settle_unreadable_listing(&model(), &TOOLS, &notes).unwrap();
        assert_eq!(refused.invariant, "error_contract");
        assert_eq!(
            refused.expected,
            "no tool record is damaged and no read was corrupted"
        );
        let mut damaged = model();
        damaged
            .get_or_insert("b")
            .for_each(|candidate| candidate.record = Slot::Damaged);
        assert!(settle_unreadable_listing(&damaged, &TOOLS, &notes).is_none());
        notes.corrupted_read = true;
        assert!(settle_unreadable_listing(&model(), &TOOLS, &notes).is_none());
    }
}
