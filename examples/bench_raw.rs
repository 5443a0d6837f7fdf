//! The raw storage work a seed does, without the harness: the same kinds of `AgentStorage`
//! calls over `KvAdapter<MemoryKV>` on the executor, with no model, trace, faults or checks.
//! `scripts/bench.sh` compares its cost per call with a full seed's.

use std::time::Instant;

use dst::sim::{DeterministicRng, Executor, ExecutorLimits, KillSwitch, SimClock};
use dst::workload::records;
use dst::{AgentStorage, KvAdapter, MemoryKV, MessageRole};

/// The same allocator as the `dst` binary, so the comparison is like for like.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const AGENTS: u64 = 4;
const ROUNDS: u64 = 400;
const SEEDS: u64 = 100;
const CALLS_PER_ROUND: u64 = 5;

async fn workload(adapter: KvAdapter<MemoryKV>) {
    for a in 0..AGENTS {
        let id = records::agent_id(a);
        adapter
            .save_agent(&records::agent(&id, a, 0))
            .await
            .expect("save_agent");
        adapter
            .save_blocks(&id, &records::initial_blocks(a, 0))
            .await
            .expect("save_blocks");
        let session = records::new_session(&id, a, 0);
        adapter.save_session(&session).await.expect("save_session");
    }
    for round in 0..ROUNDS {
        let id = records::agent_id(round % AGENTS);
        let op = 1_000 + round * CALLS_PER_ROUND;
        let user = records::message(&id, op, MessageRole::User, round);
        adapter
            .append_message(&id, &user)
            .await
            .expect("append_message");
        let latest = adapter
            .load_latest_session(&id)
            .await
            .expect("load_latest_session");
        let session = records::next_session(&latest.expect("a session"), op + 1, round, 1);
        let reply = records::message(&id, op + 1, MessageRole::Assistant, round);
        adapter
            .checkpoint(&session, Some(&reply))
            .await
            .expect("checkpoint");
        adapter
            .append_block(&id, "scratch", &format!("a{op};"))
            .await
            .expect("append_block");
        adapter.load_messages(&id, 20).await.expect("load_messages");
    }
}

/// Runs `SEEDS` fresh stores of `ROUNDS` rounds each: about the size of one seed's safety phase.
fn main() {
    let started = Instant::now();
    for seed in 0..SEEDS {
        let clock = SimClock::new();
        let adapter = KvAdapter::new(MemoryKV::new(), clock.clone());
        let rng = DeterministicRng::new(seed).fork("scheduler");
        let mut executor = Executor::new(rng, clock, KillSwitch::new(), ExecutorLimits::default());
        executor
            .block_on(workload(adapter))
            .expect("the raw workload completes");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let calls = SEEDS * ROUNDS * CALLS_PER_ROUND;
    println!(
        "raw: {calls} calls in {elapsed:.3} s: {:.2} us/call",
        elapsed * 1e6 / calls as f64
    );
}
