//! Seeded randomness: one `u64` seed, named streams forked from it.
//!
//! Every random choice in a simulation draws from a named stream (`scheduler`, `workload`,
//! `faults`, `latency`, `crash`, ...), so turning one source of randomness on or off never
//! shifts the draws of another. Streams are ChaCha8 keyed by the seed, with the stream number
//! derived from the stream's path by FNV-1a (stable across platforms and builds).

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A deterministic random stream. Same seed and same stream path give the same draws on every
/// machine, build and run.
#[derive(Clone, Debug)]
pub struct DeterministicRng {
    seed: u64,
    path_hash: u64,
    inner: ChaCha8Rng,
}

/// A probability made ready to draw against: the arithmetic [`DeterministicRng::chance`] does,
/// done once for a probability that is drawn against many times (a fault rule's, on every
/// storage operation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chance {
    /// Probability 0: never, and nothing is drawn.
    Never,
    /// Probability 1: always, and nothing is drawn.
    Always,
    /// One draw, `true` when it is below this threshold (the probability times 2^64).
    Below(u64),
}

impl Chance {
    /// The chance of `probability`, which must lie in 0..=1.
    pub fn new(probability: f64) -> Chance {
        assert!(
            (0.0..=1.0).contains(&probability),
            "probability {probability} outside 0..=1"
        );
        const TWO_TO_THE_64: f64 = 2.0 * (1u64 << 63) as f64;
        match probability {
            p if p <= 0.0 => Chance::Never,
            p if p >= 1.0 => Chance::Always,
            p => Chance::Below((p * TWO_TO_THE_64) as u64),
        }
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

impl DeterministicRng {
    /// The root stream of `seed`.
    pub fn new(seed: u64) -> Self {
        Self::with_path(seed, FNV_OFFSET)
    }

    fn with_path(seed: u64, path_hash: u64) -> Self {
        let mut inner = ChaCha8Rng::seed_from_u64(seed);
        inner.set_stream(path_hash);
        DeterministicRng {
            seed,
            path_hash,
            inner,
        }
    }

    /// The seed this stream descends from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// A new independent stream named `name` under this one. Forking does not advance `self`,
    /// and the same name always gives the same stream.
    pub fn fork(&self, name: &str) -> DeterministicRng {
        assert!(!name.is_empty(), "stream names must not be empty");
        let path_hash = fnv1a(fnv1a(self.path_hash, b"/"), name.as_bytes());
        Self::with_path(self.seed, path_hash)
    }

    /// The next raw 64-bit draw.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// A uniform draw in `low..high`. Panics if the range is empty (a harness bug).
    pub fn range_u64(&mut self, low: u64, high: u64) -> u64 {
        assert!(low < high, "empty range {low}..{high}");
        self.inner.gen_range(low..high)
    }

    /// A uniform draw in `low..=high`.
    pub fn range_inclusive_u64(&mut self, low: u64, high: u64) -> u64 {
        assert!(low <= high, "empty range {low}..={high}");
        self.inner.gen_range(low..=high)
    }

    /// A uniform index into a collection of `len` items. Panics if `len == 0`.
    pub fn index(&mut self, len: usize) -> usize {
        assert!(len > 0, "cannot pick from an empty collection");
        let picked = self.range_u64(0, len as u64);
        usize::try_from(picked).expect("index fits in usize")
    }

    /// `true` with probability `probability` (clamped to 0..=1 by contract of the caller):
    /// one draw, below `probability * 2^64`, exactly as `rand`'s `gen_bool` draws (tested),
    /// without building its distribution each time; nothing is drawn at 0 or 1.
    #[inline]
    pub fn chance(&mut self, probability: f64) -> bool {
        self.draw(Chance::new(probability))
    }

    /// `true` with the probability `chance` was made from, drawing exactly as
    /// [`DeterministicRng::chance`] does for it.
    #[inline]
    pub fn draw(&mut self, chance: Chance) -> bool {
        match chance {
            Chance::Never => false,
            Chance::Always => true,
            Chance::Below(threshold) => self.inner.next_u64() < threshold,
        }
    }

    /// Picks an index with probability proportional to `weights[i]`; `None` if all are zero.
    pub fn weighted_index(&mut self, weights: &[u64]) -> Option<usize> {
        let total: u64 = weights.iter().sum();
        if total == 0 {
            return None;
        }
        let mut point = self.range_u64(0, total);
        for (i, weight) in weights.iter().enumerate() {
            if point < *weight {
                return Some(i);
            }
            point -= weight;
        }
        unreachable!("point {point} beyond total weight {total}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chance_draws_exactly_as_gen_bool() {
        let probabilities = [1e-12, 0.001, 0.01, 0.25, 0.5, 0.999, 1.0 - f64::EPSILON];
        for (stream, probability) in probabilities.into_iter().enumerate() {
            let mut ours = DeterministicRng::new(stream as u64).fork("chance");
            let mut theirs = ours.clone();
            let mut hits = 0;
            for _ in 0..20_000 {
                let hit = ours.chance(probability);
                assert_eq!(hit, theirs.inner.gen_bool(probability), "p = {probability}");
                hits += u32::from(hit);
            }
            assert_eq!(
                ours.next_u64(),
                theirs.next_u64(),
                "one draw each, p = {probability}"
            );
            let middling = (0.1..=0.9).contains(&probability);
            assert!(
                !middling || (hits > 0 && hits < 20_000),
                "both answers come"
            );
        }
        let mut rng = DeterministicRng::new(3);
        let mut untouched = rng.clone();
        assert!(!rng.chance(0.0) && rng.chance(1.0));
        assert_eq!(
            rng.next_u64(),
            untouched.next_u64(),
            "nothing is drawn at 0 or 1"
        );
    }

    #[test]
    fn first_outputs_are_pinned_for_seed_42() {
        let mut root = DeterministicRng::new(42);
        let root_draws: Vec<u64> = (0..3).map(|_| root.next_u64()).collect();
        let mut faults = DeterministicRng::new(42).fork("faults");
        let fault_draws: Vec<u64> = (0..3).map(|_| faults.next_u64()).collect();
        assert_eq!(root_draws, PINNED_ROOT, "root stream of seed 42 changed");
        assert_eq!(
            fault_draws, PINNED_FAULTS,
            "faults stream of seed 42 changed"
        );
    }

    const PINNED_ROOT: [u64; 3] = [352051303624336870, 15347585607108581648, 986730479149210832];
    const PINNED_FAULTS: [u64; 3] = [
        11011978616453576903,
        13522665063040410276,
        11761602668815060249,
    ];

    #[test]
    fn named_streams_are_independent_and_reproducible() {
        let root = DeterministicRng::new(7);
        let mut a1 = root.fork("scheduler");
        let mut a2 = root.fork("scheduler");
        let mut b = root.fork("workload");
        let a1_draws: Vec<u64> = (0..8).map(|_| a1.next_u64()).collect();
        let a2_draws: Vec<u64> = (0..8).map(|_| a2.next_u64()).collect();
        let b_draws: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        assert_eq!(a1_draws, a2_draws);
        assert_ne!(a1_draws, b_draws);
    }

    #[test]
    fn ranges_and_weights_stay_in_bounds() {
        let mut rng = DeterministicRng::new(1);
        for _ in 0..1000 {
            let v = rng.range_u64(3, 9);
            assert!((3..9).contains(&v));
        }
        let mut counts = [0u32; 3];
        for _ in 0..3000 {
            counts[rng.weighted_index(&[1, 0, 2]).unwrap()] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!(counts[2] > counts[0]);
        assert_eq!(rng.weighted_index(&[0, 0]), None);
    }
}
