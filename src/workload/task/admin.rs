//! Admin work: agents (created with their blocks, deleted with everything they own), block
//! writes and read-modify-writes, message clears, and custom tools.

use std::rc::Rc;

use crate::agent::AgentStorage;
use crate::check::{Answer, Call, Id};
use crate::kv::ActorKV;

use super::super::records;
use super::super::text::{concat, Part};
use super::{call_with_retries, Attempt, OpKind, Task};

/// Agent-name variants drawn per creation: the first two are at and over the limit when that
/// class is on.
const NAME_VARIANTS: u64 = 8;

impl<K: ActorKV + 'static> Task<K> {
    pub(super) async fn create_agent(&mut self, agent: &Id) {
        let variant = self.draw(NAME_VARIANTS);
        let now_ms = self.now_ms();
        let store = &self.store;
        let world = &self.world;
        let (_, saved) = call_with_retries(world, self.id, |op| {
            let mut record = records::agent(agent, op, now_ms);
            if world.borrow().ids.classes.at_length_limit {
                records::agent_name_at_limit(&mut record, variant);
            }
            let record = Rc::new(record);
            Attempt {
                call: Call::SaveAgent(record.clone()),
                run: async move { store.save_agent(&record).await.map(|()| Answer::Done) },
            }
        })
        .await;
        if saved.is_ok() {
            self.put_blocks(agent, 2).await;
        }
    }

    /// `save_blocks` of a random number of the labels.
    pub(super) async fn save_blocks(&mut self, agent: &Id) {
        let count = 1 + self.draw(records::BLOCK_LABELS.len() as u64) as usize;
        self.put_blocks(agent, count).await;
    }

    async fn put_blocks(&mut self, agent: &Id, count: usize) {
        let now_ms = self.now_ms();
        let store = &self.store;
        self.judged_with_op(|op| {
            let blocks = Rc::new(records::blocks(op, now_ms, count));
            Attempt {
                call: Call::SaveBlocks {
                    agent: agent.clone(),
                    blocks: blocks.clone(),
                },
                run: async move {
                    store
                        .save_blocks(agent, &blocks)
                        .await
                        .map(|()| Answer::Done)
                },
            }
        })
        .await;
    }

    pub(super) async fn delete_agent(&mut self, agent: &Id) {
        self.sessions.remove(agent);
        let call = Call::DeleteAgent(agent.clone());
        self.judged(call, |store| async move {
            store.delete_agent(agent).await.map(|()| Answer::Done)
        })
        .await;
    }

    /// `update_block` or `append_block` of a random label, with the op's token as content.
    pub(super) async fn change_block(&mut self, agent: &Id, action: OpKind) {
        let labels = records::BLOCK_LABELS;
        let label: Id = labels[self.draw(labels.len() as u64) as usize].into();
        let store = &self.store;
        let label = &label;
        self.judged_with_op(|op| {
            let (letter, update) = match action {
                OpKind::UpdateBlock => ("u", true),
                _ => ("a", false),
            };
            let token: Id = concat(&[Part::Text(letter), Part::Number(op), Part::Text(";")]).into();
            let call = match update {
                true => Call::UpdateBlock {
                    agent: agent.clone(),
                    label: label.clone(),
                    value: token.clone(),
                },
                false => Call::AppendBlock {
                    agent: agent.clone(),
                    label: label.clone(),
                    content: token.clone(),
                },
            };
            Attempt {
                call,
                run: async move {
                    let written = match update {
                        true => store.update_block(agent, label, &token).await,
                        false => store.append_block(agent, label, &token).await,
                    };
                    written.map(Answer::Block)
                },
            }
        })
        .await;
    }

    pub(super) async fn delete_messages(&mut self, agent: &Id) {
        let call = Call::DeleteMessages(agent.clone());
        self.judged(call, |store| async move {
            store.delete_messages(agent).await.map(|()| Answer::Done)
        })
        .await;
    }

    /// A custom-tool action on `name`.
    pub(super) async fn tool_action(&mut self, action: OpKind, name: &Id) {
        match action {
            OpKind::SaveTool => self.save_tool(name).await,
            OpKind::DeleteTool => self.delete_tool(name).await,
            _ => self.load_tool(name).await,
        }
    }

    async fn save_tool(&mut self, name: &Id) {
        let now_ms = self.now_ms();
        let store = &self.store;
        self.judged_with_op(|op| {
            let record = Rc::new(records::tool(name, op, now_ms));
            Attempt {
                call: Call::SaveTool(record.clone()),
                run: async move { store.save_custom_tool(&record).await.map(|()| Answer::Done) },
            }
        })
        .await;
    }

    async fn delete_tool(&mut self, name: &Id) {
        let call = Call::DeleteTool(name.clone());
        self.judged(call, |store| async move {
            store.delete_custom_tool(name).await.map(|()| Answer::Done)
        })
        .await;
    }
}
