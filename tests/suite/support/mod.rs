//! Shared helpers of the KV integration tests: actors, a simulated storage with a recording
//! fault observer, and manual polling for futures that sleep or never complete.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use dst::kv::{FaultConfig, InjectedFault, Key, KvEvent, Value};
use dst::{ActorId, BugSet, DeterministicRng, KillSwitch, SimClock, SimStorage};

/// The actor most tests use.
pub fn actor(id: &str) -> ActorId {
    ActorId::new("test", id).expect("valid actor")
}

/// A simulated storage, its clock and kill switch, and every fault reported to the observer.
pub struct Sim {
    pub storage: SimStorage,
    pub clock: SimClock,
    pub kill_switch: KillSwitch,
    pub seen: Rc<RefCell<Vec<InjectedFault>>>,
}

impl Sim {
    /// Storage for `seed` with `rules` and `bugs`, faults inactive until [`Sim::arm`].
    pub fn new(seed: u64, rules: Vec<FaultConfig>, bugs: BugSet) -> Sim {
        let root = DeterministicRng::new(seed);
        let clock = SimClock::new();
        let kill_switch = KillSwitch::new();
        let storage = SimStorage::seeded(&root, clock.clone(), rules, kill_switch.clone(), bugs);
        let seen = Rc::new(RefCell::new(Vec::new()));
        let sink = Rc::clone(&seen);
        storage.set_observer(Rc::new(move |event: &KvEvent| {
            if let KvEvent::Fault { fault, .. } = event {
                sink.borrow_mut().push(fault.clone())
            }
        }));
        storage.set_faults_active(false);
        Sim {
            storage,
            clock,
            kill_switch,
            seen,
        }
    }

    /// Storage with one rule firing `rule` on every matching operation once armed.
    pub fn with_rule(rule: FaultConfig) -> Sim {
        Sim::new(1, vec![rule], BugSet::none())
    }

    /// Turns the fault rules on.
    pub fn arm(&self) {
        self.storage.set_faults_active(true);
    }

    /// The faults reported so far.
    pub fn seen(&self) -> Vec<InjectedFault> {
        self.seen.borrow().clone()
    }
}

/// Drives a future that never sleeps to completion.
pub fn run<F: Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}

/// Polls `future` once with a waker that does nothing.
pub fn poll_once<F: Future>(future: Pin<&mut F>) -> Poll<F::Output> {
    let waker = futures::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    future.poll(&mut cx)
}

/// A list of (key, value) entries, ascending by key.
pub type Entries = Vec<(Key, Value)>;

/// Owned (key, value) pairs from string literals.
pub fn entries(pairs: &[(&str, &str)]) -> Entries {
    pairs
        .iter()
        .map(|(k, v)| (Key::from(k.as_bytes()), Value::from(v.as_bytes())))
        .collect()
}

/// A key from bytes, shared as a write hands it in.
pub fn shared_key(bytes: &[u8]) -> Key {
    Key::from(bytes)
}

/// A stored value from bytes.
pub fn value(bytes: &[u8]) -> Value {
    Value::from(bytes)
}

/// Listed keys from text.
pub fn keys(names: &[&str]) -> Vec<Key> {
    names.iter().map(|k| Key::from(k.as_bytes())).collect()
}
