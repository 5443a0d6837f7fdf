//! `KvAdapter` over `MemoryKV`: create, read, update, delete of every entity, message order
//! and limits, checkpoints, `delete_agent` down to the raw keys, writes for a missing agent,
//! and the size limits of the API.

use crate::adapter_support;

use adapter_support::{agent, block, keys_of_agent, message, pending_call, session, tool, Mem};
use dst::{AgentStorage, StorageError};

/// A `MemoryKV` adapter holding agent `id`.
fn with_agent(id: &'static str) -> Mem {
    let mem = Mem::new();
    mem.run(|a| async move { a.save_agent(&agent(id)).await })
        .unwrap();
    mem
}

fn is_not_found(result: &Result<impl std::fmt::Debug, StorageError>) -> bool {
    matches!(result, Err(StorageError::NotFound { .. }))
}

fn is_limit_exceeded(result: &Result<impl std::fmt::Debug, StorageError>) -> bool {
    matches!(result, Err(StorageError::LimitExceeded { .. }))
}

// --- agents -----------------------------------------------------------------------------------

#[test]
fn saved_agent_loads_back_equal() {
    let mem = with_agent("a");
    let loaded = mem.run(|a| async move { a.load_agent("a").await }).unwrap();
    assert_eq!(loaded, Some(agent("a")));
}

#[test]
fn missing_agent_loads_as_none() {
    let mem = with_agent("a");
    let loaded = mem.run(|a| async move { a.load_agent("b").await }).unwrap();
    assert_eq!(loaded, None);
}

#[test]
fn save_agent_replaces_the_previous_record() {
    let mem = with_agent("a");
    let mut renamed = agent("a");
    renamed.name = "renamed".to_string();
    let expected = renamed.clone();
    let loaded = mem
        .run(|a| async move {
            a.save_agent(&renamed).await?;
            a.load_agent("a").await
        })
        .unwrap();
    assert_eq!(loaded, Some(expected));
}

#[test]
fn list_agents_is_ordered_by_id() {
    let mem = Mem::new();
    let listed = mem
        .run(|a| async move {
            for id in ["c", "a", "b-2", "b"] {
                a.save_agent(&agent(id)).await?;
            }
            a.list_agents().await
        })
        .unwrap();
    let ids: Vec<&str> = listed.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, vec!["a", "b", "b-2", "c"]);
    assert_eq!(listed[0], agent("a"));
}

#[test]
fn agent_exists_follows_save_and_delete() {
    let mem = Mem::new();
    let seen = mem
        .run(|a| async move {
            let before = a.agent_exists("a").await?;
            a.save_agent(&agent("a")).await?;
            let after_save = a.agent_exists("a").await?;
            a.delete_agent("a").await?;
            let after_delete = a.agent_exists("a").await?;
            Ok::<_, StorageError>((before, after_save, after_delete))
        })
        .unwrap();
    assert_eq!(seen, (false, true, false));
}

#[test]
fn delete_of_a_missing_agent_is_not_found() {
    let mem = with_agent("a");
    let result = mem.run(|a| async move { a.delete_agent("b").await });
    assert!(is_not_found(&result), "{result:?}");
}

// --- blocks -----------------------------------------------------------------------------------

#[test]
fn saved_blocks_load_back_in_order() {
    let mem = with_agent("a");
    let blocks = vec![block("persona", "p"), block("human", "h")];
    let expected = blocks.clone();
    let loaded = mem
        .run(|a| async move {
            a.save_blocks("a", &blocks).await?;
            a.load_blocks("a").await
        })
        .unwrap();
    assert_eq!(loaded, expected);
}

#[test]
fn agent_without_blocks_loads_no_blocks() {
    let mem = with_agent("a");
    let loaded = mem
        .run(|a| async move { a.load_blocks("a").await })
        .unwrap();
    assert!(loaded.is_empty());
}

#[test]
fn update_block_replaces_the_value_of_that_block_only() {
    let mem = with_agent("a");
    let (returned, loaded) = mem
        .run(|a| async move {
            a.save_blocks("a", &[block("persona", "old"), block("human", "h")])
                .await?;
            let returned = a.update_block("a", "persona", "new").await?;
            Ok::<_, StorageError>((returned, a.load_blocks("a").await?))
        })
        .unwrap();
    assert_eq!(&*returned.value, "new");
    assert_eq!(&*returned.label, "persona");
    assert_eq!(loaded.len(), 2);
    assert_eq!(loaded[0], returned);
    assert_eq!(loaded[1], block("human", "h"));
}

#[test]
fn update_block_of_a_missing_label_is_not_found_and_changes_nothing() {
    let mem = with_agent("a");
    let (result, loaded) = mem.run(|a| async move {
        a.save_blocks("a", &[block("persona", "p")]).await.unwrap();
        let result = a.update_block("a", "human", "x").await;
        (result, a.load_blocks("a").await.unwrap())
    });
    assert!(is_not_found(&result), "{result:?}");
    assert_eq!(loaded, vec![block("persona", "p")]);
}

#[test]
fn append_block_creates_a_missing_block() {
    let mem = with_agent("a");
    let (returned, loaded) = mem
        .run(|a| async move {
            a.save_blocks("a", &[block("persona", "p")]).await?;
            let returned = a.append_block("a", "scratch", "first").await?;
            Ok::<_, StorageError>((returned, a.load_blocks("a").await?))
        })
        .unwrap();
    assert_eq!(&*returned.label, "scratch");
    assert_eq!(&*returned.value, "first");
    assert_eq!(loaded, vec![block("persona", "p"), returned]);
}

#[test]
fn append_block_appends_to_an_existing_block() {
    let mem = with_agent("a");
    let (returned, loaded) = mem
        .run(|a| async move {
            a.save_blocks("a", &[block("persona", "abc")]).await?;
            a.append_block("a", "persona", "def").await?;
            let returned = a.append_block("a", "persona", "ghi").await?;
            Ok::<_, StorageError>((returned, a.load_blocks("a").await?))
        })
        .unwrap();
    assert_eq!(&*returned.value, "abcdefghi");
    assert_eq!(loaded, vec![returned]);
}

// --- sessions ---------------------------------------------------------------------------------

#[test]
fn saved_session_loads_back_equal() {
    let mem = with_agent("a");
    let mut state = session("a", "s1", 5);
    state.pending_tool_calls = vec![pending_call(1)].into();
    state.iteration = 3;
    let expected = state.clone();
    let loaded = mem
        .run(|a| async move {
            a.save_session(&state).await?;
            a.load_session("a", "s1").await
        })
        .unwrap();
    assert_eq!(loaded, Some(expected));
}

#[test]
fn delete_session_removes_only_that_session() {
    let mem = with_agent("a");
    let (gone, listed) = mem
        .run(|a| async move {
            a.save_session(&session("a", "s1", 1)).await?;
            a.save_session(&session("a", "s2", 2)).await?;
            a.delete_session("a", "s1").await?;
            Ok::<_, StorageError>((
                a.load_session("a", "s1").await?,
                a.list_sessions("a").await?,
            ))
        })
        .unwrap();
    assert_eq!(gone, None);
    assert_eq!(listed, vec![session("a", "s2", 2)]);
}

#[test]
fn list_sessions_is_ordered_by_session_id_and_scoped_to_the_agent() {
    let mem = with_agent("a");
    let listed = mem
        .run(|a| async move {
            a.save_agent(&agent("ab")).await?;
            for id in ["s3", "s1", "s2"] {
                a.save_session(&session("a", id, 0)).await?;
            }
            a.save_session(&session("ab", "s0", 0)).await?;
            a.list_sessions("a").await
        })
        .unwrap();
    let ids: Vec<&str> = listed.iter().map(|s| s.session_id.as_ref()).collect();
    assert_eq!(ids, vec!["s1", "s2", "s3"]);
}

#[test]
fn latest_session_is_the_newest_checkpoint_among_running_sessions() {
    let mem = with_agent("a");
    let latest = mem
        .run(|a| async move {
            a.save_session(&session("a", "old", 10)).await?;
            a.save_session(&session("a", "newest", 30)).await?;
            a.save_session(&session("a", "middle", 20)).await?;
            let mut stopped = session("a", "stopped", 99);
            stopped.stop_reason = Some("done".into());
            a.save_session(&stopped).await?;
            a.load_latest_session("a").await
        })
        .unwrap();
    assert_eq!(latest, Some(session("a", "newest", 30)));
}

#[test]
fn latest_session_is_none_when_every_session_stopped() {
    let mem = with_agent("a");
    let latest = mem
        .run(|a| async move {
            let mut stopped = session("a", "s1", 5);
            stopped.stop_reason = Some("done".into());
            a.save_session(&stopped).await?;
            a.load_latest_session("a").await
        })
        .unwrap();
    assert_eq!(latest, None);
}

// --- custom tools -----------------------------------------------------------------------------

#[test]
fn custom_tool_saves_loads_and_deletes() {
    let mem = Mem::new();
    let (loaded, after_delete) = mem
        .run(|a| async move {
            a.save_custom_tool(&tool("t1")).await?;
            let loaded = a.load_custom_tool("t1").await?;
            a.delete_custom_tool("t1").await?;
            Ok::<_, StorageError>((loaded, a.load_custom_tool("t1").await?))
        })
        .unwrap();
    assert_eq!(loaded, Some(tool("t1")));
    assert_eq!(after_delete, None);
}

#[test]
fn list_custom_tools_is_ordered_by_name() {
    let mem = Mem::new();
    let listed = mem
        .run(|a| async move {
            for name in ["zeta", "alpha", "mid"] {
                a.save_custom_tool(&tool(name)).await?;
            }
            a.delete_custom_tool("mid").await?;
            a.list_custom_tools().await
        })
        .unwrap();
    assert_eq!(listed, vec![tool("alpha"), tool("zeta")]);
}

// --- messages ---------------------------------------------------------------------------------

/// Agent `a` with messages `m0..m{n}` created at 10, 20, ...
fn with_messages(n: u64) -> Mem {
    let mem = with_agent("a");
    mem.run(move |a| async move {
        for i in 0..n {
            a.append_message("a", &message("a", &format!("m{i}"), (i + 1) * 10))
                .await?;
        }
        Ok::<_, StorageError>(())
    })
    .unwrap();
    mem
}

fn ids(messages: &[dst::Message]) -> Vec<&str> {
    messages.iter().map(|m| m.id.as_ref()).collect()
}

#[test]
fn messages_load_in_append_order() {
    let mem = with_messages(12);
    let loaded = mem
        .run(|a| async move { a.load_messages("a", 50).await })
        .unwrap();
    let expected: Vec<String> = (0..12).map(|i| format!("m{i}")).collect();
    assert_eq!(ids(&loaded), expected);
    assert_eq!(loaded[3], message("a", "m3", 40));
}

#[test]
fn load_messages_limit_keeps_the_most_recent_oldest_first() {
    let mem = with_messages(5);
    let (two, one) = mem
        .run(|a| async move {
            Ok::<_, StorageError>((
                a.load_messages("a", 2).await?,
                a.load_messages("a", 1).await?,
            ))
        })
        .unwrap();
    assert_eq!(ids(&two), vec!["m3", "m4"]);
    assert_eq!(ids(&one), vec!["m4"]);
}

#[test]
fn load_messages_limit_outside_1_to_1000_is_refused() {
    let mem = with_messages(2);
    let (zero, too_many, max) = mem.run(|a| async move {
        (
            a.load_messages("a", 0).await,
            a.load_messages("a", 1001).await,
            a.load_messages("a", 1000).await,
        )
    });
    assert!(is_limit_exceeded(&zero), "{zero:?}");
    assert!(is_limit_exceeded(&too_many), "{too_many:?}");
    assert_eq!(max.unwrap().len(), 2);
}

#[test]
fn load_messages_since_is_strictly_after() {
    let mem = with_messages(4); // created at 10, 20, 30, 40
    let (since_20, since_0, since_40) = mem
        .run(|a| async move {
            Ok::<_, StorageError>((
                a.load_messages_since("a", 20).await?,
                a.load_messages_since("a", 0).await?,
                a.load_messages_since("a", 40).await?,
            ))
        })
        .unwrap();
    assert_eq!(ids(&since_20), vec!["m2", "m3"]);
    assert_eq!(ids(&since_0), vec!["m0", "m1", "m2", "m3"]);
    assert!(since_40.is_empty());
}

#[test]
fn count_messages_counts_the_agents_messages_only() {
    let mem = with_messages(3);
    let (count_a, count_b) = mem
        .run(|a| async move {
            a.save_agent(&agent("b")).await?;
            a.append_message("b", &message("b", "x", 1)).await?;
            Ok::<_, StorageError>((a.count_messages("a").await?, a.count_messages("b").await?))
        })
        .unwrap();
    assert_eq!((count_a, count_b), (3, 1));
}

#[test]
fn delete_messages_removes_them_and_later_appends_start_afresh() {
    let mem = with_messages(3);
    let (count, loaded) = mem
        .run(|a| async move {
            a.delete_messages("a").await?;
            let count = a.count_messages("a").await?;
            a.append_message("a", &message("a", "after", 100)).await?;
            Ok::<_, StorageError>((count, a.load_messages("a", 10).await?))
        })
        .unwrap();
    assert_eq!(count, 0);
    assert_eq!(ids(&loaded), vec!["after"]);
}

// --- checkpoint -------------------------------------------------------------------------------

#[test]
fn checkpoint_with_a_message_stores_session_and_message() {
    let mem = with_agent("a");
    let state = session("a", "s1", 7);
    let expected = state.clone();
    let (loaded, messages) = mem
        .run(|a| async move {
            a.checkpoint(&state, Some(&message("a", "m1", 7))).await?;
            Ok::<_, StorageError>((
                a.load_session("a", "s1").await?,
                a.load_messages("a", 10).await?,
            ))
        })
        .unwrap();
    assert_eq!(loaded, Some(expected));
    assert_eq!(messages, vec![message("a", "m1", 7)]);
}

#[test]
fn checkpoint_without_a_message_stores_the_session_only() {
    let mem = with_agent("a");
    let (loaded, count) = mem
        .run(|a| async move {
            a.checkpoint(&session("a", "s1", 7), None).await?;
            Ok::<_, StorageError>((
                a.load_session("a", "s1").await?,
                a.count_messages("a").await?,
            ))
        })
        .unwrap();
    assert_eq!(loaded, Some(session("a", "s1", 7)));
    assert_eq!(count, 0);
}

#[test]
fn checkpoint_replaces_the_session_and_appends_each_message() {
    let mem = with_agent("a");
    let (loaded, messages) = mem
        .run(|a| async move {
            a.checkpoint(&session("a", "s1", 1), Some(&message("a", "m1", 1)))
                .await?;
            let mut next = session("a", "s1", 2);
            next.iteration = 1;
            a.checkpoint(&next, Some(&message("a", "m2", 2))).await?;
            Ok::<_, StorageError>((
                a.load_session("a", "s1").await?,
                a.load_messages("a", 10).await?,
            ))
        })
        .unwrap();
    assert_eq!(
        loaded.map(|s| (s.iteration, s.checkpointed_at_ms)),
        Some((1, 2))
    );
    assert_eq!(ids(&messages), vec!["m1", "m2"]);
}

// --- delete_agent -----------------------------------------------------------------------------

#[test]
fn delete_agent_removes_every_key_it_owned_and_nothing_else() {
    let mem = Mem::new();
    mem.run(|a| async move {
        for id in ["a", "ab"] {
            a.save_agent(&agent(id)).await?;
            a.save_blocks(id, &[block("persona", "p")]).await?;
            a.save_session(&session(id, "s1", 1)).await?;
            a.checkpoint(&session(id, "s2", 2), Some(&message(id, "m1", 1)))
                .await?;
            a.append_message(id, &message(id, "m2", 2)).await?;
        }
        a.save_custom_tool(&tool("t")).await
    })
    .unwrap();
    let before = mem.raw_keys();
    assert_eq!(keys_of_agent(&before, "a").len(), 6, "{before:?}");
    mem.run(|a| async move { a.delete_agent("a").await })
        .unwrap();
    let after = mem.raw_keys();
    assert_eq!(keys_of_agent(&after, "a"), Vec::<String>::new());
    let untouched: Vec<String> = before
        .into_iter()
        .filter(|k| keys_of_agent(std::slice::from_ref(k), "a").is_empty())
        .collect();
    assert_eq!(after, untouched);
    assert!(after.contains(&"agents/ab".to_string()) && after.contains(&"tools/t".to_string()));
}

// --- writes for a missing agent ---------------------------------------------------------------

/// Runs `write` against a store holding only agent `other`; it must be `NotFound` and leave
/// only `other`'s key behind.
fn assert_refused_for_missing_agent<F>(write: impl FnOnce(dst::KvAdapter<dst::MemoryKV>) -> F)
where
    F: std::future::Future<Output = Result<(), StorageError>> + 'static,
{
    let mem = with_agent("other");
    let result = mem.run(write);
    assert!(is_not_found(&result), "{result:?}");
    assert_eq!(mem.raw_keys(), vec!["agents/other".to_string()]);
}

#[test]
fn save_session_for_a_missing_agent_is_not_found_and_writes_nothing() {
    assert_refused_for_missing_agent(|a| async move {
        a.save_session(&session("ghost", "s1", 1)).await
    });
}

#[test]
fn save_blocks_for_a_missing_agent_is_not_found_and_writes_nothing() {
    assert_refused_for_missing_agent(|a| async move {
        a.save_blocks("ghost", &[block("persona", "p")]).await
    });
}

#[test]
fn append_message_for_a_missing_agent_is_not_found_and_writes_nothing() {
    assert_refused_for_missing_agent(|a| async move {
        a.append_message("ghost", &message("ghost", "m1", 1)).await
    });
}

#[test]
fn checkpoint_for_a_missing_agent_is_not_found_and_writes_nothing() {
    assert_refused_for_missing_agent(|a| async move {
        let state = session("ghost", "s1", 1);
        a.checkpoint(&state, Some(&message("ghost", "m1", 1))).await
    });
}

#[test]
fn append_and_update_block_for_a_missing_agent_are_not_found_and_write_nothing() {
    assert_refused_for_missing_agent(|a| async move {
        a.append_block("ghost", "persona", "x").await.map(|_| ())
    });
    assert_refused_for_missing_agent(|a| async move {
        a.update_block("ghost", "persona", "x").await.map(|_| ())
    });
}

// --- limits -----------------------------------------------------------------------------------

#[test]
fn agent_name_longer_than_256_bytes_is_refused() {
    let mem = Mem::new();
    let mut longest = agent("a");
    longest.name = "n".repeat(256);
    let mut too_long = agent("b");
    too_long.name = "é".repeat(129); // 258 bytes, 129 chars
    let (ok, refused) =
        mem.run(|a| async move { (a.save_agent(&longest).await, a.save_agent(&too_long).await) });
    assert_eq!(ok, Ok(()));
    assert!(is_limit_exceeded(&refused), "{refused:?}");
    assert_eq!(mem.raw_keys(), vec!["agents/a".to_string()]);
}

#[test]
fn session_id_longer_than_64_bytes_is_refused() {
    let mem = with_agent("a");
    let longest = session("a", &"s".repeat(64), 1);
    let too_long = session("a", &"s".repeat(65), 1);
    let too_long_too = too_long.clone();
    let (ok, saved, checkpointed) = mem.run(|a| async move {
        (
            a.save_session(&longest).await,
            a.save_session(&too_long).await,
            a.checkpoint(&too_long_too, Some(&message("a", "m", 1)))
                .await,
        )
    });
    assert_eq!(ok, Ok(()));
    assert!(is_limit_exceeded(&saved), "{saved:?}");
    assert!(is_limit_exceeded(&checkpointed), "{checkpointed:?}");
    let keys = mem.raw_keys();
    assert_eq!(keys.len(), 2, "{keys:?}");
}

#[test]
fn more_than_10_pending_tool_calls_are_refused() {
    let mem = with_agent("a");
    let mut ten = session("a", "s10", 1);
    ten.pending_tool_calls = (0..10).map(pending_call).collect();
    let mut eleven = session("a", "s11", 1);
    eleven.pending_tool_calls = (0..11).map(pending_call).collect();
    let eleven_too = eleven.clone();
    let (ok, saved, checkpointed) = mem.run(|a| async move {
        (
            a.save_session(&ten).await,
            a.save_session(&eleven).await,
            a.checkpoint(&eleven_too, None).await,
        )
    });
    assert_eq!(ok, Ok(()));
    assert!(is_limit_exceeded(&saved), "{saved:?}");
    assert!(is_limit_exceeded(&checkpointed), "{checkpointed:?}");
    let sessions = mem
        .run(|a| async move { a.list_sessions("a").await })
        .unwrap();
    assert_eq!(sessions.len(), 1);
}

#[test]
fn tool_input_larger_than_1_mib_is_refused() {
    let mem = with_agent("a");
    let call_with_input = |chars: usize| {
        let mut call = pending_call(0);
        call.tool_input = serde_json::Value::String("x".repeat(chars)); // chars + 2 JSON bytes
        call
    };
    let mut largest = session("a", "s1", 1);
    largest.pending_tool_calls = vec![call_with_input(1024 * 1024 - 2)].into();
    let mut too_large = session("a", "s2", 1);
    too_large.pending_tool_calls = vec![call_with_input(1024 * 1024 - 1)].into();
    let (ok, refused) = mem.run(|a| async move {
        (
            a.save_session(&largest).await,
            a.save_session(&too_large).await,
        )
    });
    assert_eq!(ok, Ok(()));
    assert!(is_limit_exceeded(&refused), "{refused:?}");
}

#[test]
fn block_writes_are_stamped_with_the_simulated_clock() {
    let mem = with_agent("a");
    let clock = mem.clock.clone();
    let (created, updated) = mem
        .run(|a| async move {
            clock.sleep(40).await;
            let created = a.append_block("a", "scratch", "x").await?;
            clock.sleep(10).await;
            let updated = a.update_block("a", "scratch", "y").await?;
            Ok::<_, StorageError>((created, updated))
        })
        .unwrap();
    assert_eq!((created.created_at_ms, created.updated_at_ms), (40, 40));
    assert_eq!((updated.created_at_ms, updated.updated_at_ms), (40, 50));
}
