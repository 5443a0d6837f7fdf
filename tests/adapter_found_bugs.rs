//! Bugs found in `src/` by the adapter tests, each pinned by a test that fails until it is
//! fixed (see the report of the `adapter-tests` branch).
//!
//! `Message::created_at_ms` is documented as "set by the adapter when appended"
//! (`src/agent/records.rs`), and `load_messages_since` filters on it, but `KvAdapter` stores
//! whatever timestamp the caller put in the message (`append_in` in
//! `src/agent/adapter/helpers.rs` never stamps it with the simulated clock).

mod adapter_support;

use adapter_support::{agent, message, session, Mem};
use dst::{AgentStorage, StorageError};

#[test]
fn append_message_stamps_created_at_with_the_simulated_clock() {
    let mem = Mem::new();
    let clock = mem.clock.clone();
    let loaded = mem
        .run(|a| async move {
            a.save_agent(&agent("a")).await?;
            clock.sleep(25).await;
            a.append_message("a", &message("a", "m1", 0)).await?;
            a.load_messages("a", 10).await
        })
        .unwrap();
    assert_eq!(
        loaded[0].created_at_ms, 25,
        "created_at_ms not set by the adapter"
    );
}

#[test]
fn checkpoint_stamps_its_message_with_the_simulated_clock() {
    let mem = Mem::new();
    let clock = mem.clock.clone();
    let since = mem
        .run(|a| async move {
            a.save_agent(&agent("a")).await?;
            clock.sleep(10).await;
            a.checkpoint(&session("a", "s1", 10), Some(&message("a", "m1", 0)))
                .await?;
            clock.sleep(10).await;
            a.checkpoint(&session("a", "s1", 20), Some(&message("a", "m2", 0)))
                .await?;
            Ok::<_, StorageError>((
                a.load_messages_since("a", 10).await?,
                a.load_messages_since("a", 0).await?,
            ))
        })
        .unwrap();
    let ids = |messages: &[dst::Message]| messages.iter().map(|m| m.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&since.0), vec!["m2"], "messages since 10 ms");
    assert_eq!(ids(&since.1), vec!["m1", "m2"], "messages since 0 ms");
}
