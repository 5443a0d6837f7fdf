//! Admin work: agents (created with their blocks, deleted with everything they own), block
//! read-modify-writes, message clears, and custom tools.

use crate::agent::keys::{agent_key, blocks_key, messages_prefix, sessions_prefix, tool_key};
use crate::agent::AgentStorage;
use crate::check::tokens::fingerprint;
use crate::check::{check_own_block, Effect};

use super::{call_with_retries, records, Attempt, OpKind, Task};

impl Task {
    pub(super) async fn create_agent(&mut self, agent: &str) {
        let now_ms = self.now_ms();
        let store = &self.store;
        let (_, saved) = call_with_retries(&self.world, self.id, |op| {
            let record = records::agent(agent, op, now_ms);
            Attempt {
                name: "save_agent",
                args: agent.to_string(),
                effects: vec![Effect::Put {
                    key: agent_key(agent),
                    fingerprint: fingerprint(&record),
                }],
                call: async move { store.save_agent(&record).await },
            }
        })
        .await;
        if saved.is_err() {
            return;
        }
        let _ = call_with_retries(&self.world, self.id, |op| {
            let blocks = records::initial_blocks(op, now_ms);
            let effects = blocks
                .iter()
                .map(|b| Effect::Block {
                    agent_id: agent.to_string(),
                    label: b.label.clone(),
                })
                .collect();
            Attempt {
                name: "save_blocks",
                args: agent.to_string(),
                effects,
                call: async move { store.save_blocks(agent, &blocks).await },
            }
        })
        .await;
    }

    pub(super) async fn delete_agent(&mut self, agent: &str) {
        self.sessions.remove(agent);
        let effects = vec![
            Effect::Delete {
                key: agent_key(agent),
            },
            Effect::Delete {
                key: blocks_key(agent),
            },
            Effect::DeletePrefix {
                prefix: sessions_prefix(agent),
            },
            Effect::ClearMessages {
                agent_id: agent.to_string(),
            },
        ];
        let _ = self
            .call("delete_agent", agent, effects, |store| {
                store.delete_agent(agent)
            })
            .await;
    }

    /// `update_block` or `append_block` of a random label; the returned block must hold the
    /// op's own change.
    pub(super) async fn change_block(&mut self, agent: &str, action: OpKind) {
        let label = records::BLOCK_LABELS[self.draw(records::BLOCK_LABELS.len() as u64) as usize];
        let store = &self.store;
        let (op, changed) = call_with_retries(&self.world, self.id, |op| {
            let (name, letter) = match action {
                OpKind::UpdateBlock => ("update_block", 'u'),
                _ => ("append_block", 'a'),
            };
            let token = format!("{letter}{op};");
            Attempt {
                name,
                args: format!("{agent}/{label}"),
                effects: vec![Effect::Block {
                    agent_id: agent.to_string(),
                    label: label.to_string(),
                }],
                call: async move {
                    match letter {
                        'u' => store.update_block(agent, label, &token).await,
                        _ => store.append_block(agent, label, &token).await,
                    }
                },
            }
        })
        .await;
        if let Ok(block) = changed {
            let finding = check_own_block(&self.world.borrow().model, agent, &block, op);
            self.report([finding], "the op's own result");
        }
    }

    pub(super) async fn delete_messages(&mut self, agent: &str) {
        let effects = vec![
            Effect::ClearMessages {
                agent_id: agent.to_string(),
            },
            Effect::DeletePrefix {
                prefix: messages_prefix(agent),
            },
        ];
        let _ = self
            .call("delete_messages", agent, effects, |store| {
                store.delete_messages(agent)
            })
            .await;
    }

    pub(super) async fn save_tool(&mut self, name: &str) {
        let now_ms = self.now_ms();
        let store = &self.store;
        let _ = call_with_retries(&self.world, self.id, |op| {
            let record = records::tool(name, op, now_ms);
            Attempt {
                name: "save_custom_tool",
                args: name.to_string(),
                effects: vec![Effect::Put {
                    key: tool_key(name),
                    fingerprint: fingerprint(&record),
                }],
                call: async move { store.save_custom_tool(&record).await },
            }
        })
        .await;
    }

    pub(super) async fn delete_tool(&mut self, name: &str) {
        let effects = vec![Effect::Delete {
            key: tool_key(name),
        }];
        let _ = self
            .call("delete_custom_tool", name, effects, |store| {
                store.delete_custom_tool(name)
            })
            .await;
    }
}
