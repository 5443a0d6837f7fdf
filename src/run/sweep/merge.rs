//! Merging shard outputs: their per-seed results, each in seed order, interleaved into one
//! stream in seed order, checked to be exactly the requested seed set: no seed twice, none
//! missing, none foreign. The first problem is an error naming the seeds and the inputs.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::result::SeedResult;
use super::seeds::SeedSet;

/// One input's seed results, in seed order; an item's error names the input and the line.
pub type ResultStream = Box<dyn Iterator<Item = Result<SeedResult, String>>>;

/// One shard's output: a name for messages (its directory) and its results.
pub struct MergeInput {
    /// How messages name the input.
    pub name: String,
    /// Its results, in seed order.
    pub results: ResultStream,
}

fn missing(set: &SeedSet, from: u64, until: Option<u64>) -> String {
    let first = set.seed_at(from);
    match (set, until) {
        (SeedSet::Range { last, .. }, None) => {
            format!("seeds {first}..={last} are missing (no input holds them)")
        }
        (SeedSet::Range { .. }, Some(next)) if next - 1 == first => {
            format!("seed {first} is missing (no input holds it)")
        }
        (SeedSet::Range { .. }, Some(next)) => {
            format!(
                "seeds {first}..={} are missing (no input holds them)",
                next - 1
            )
        }
        _ => format!("seed {first} is missing (no input holds it)"),
    }
}

struct Coverage<'a> {
    set: &'a SeedSet,
    next: u64,
    previous: Option<(u64, String)>,
}

impl Coverage<'_> {
    fn check(&mut self, seed: u64, input: &str) -> Result<(), String> {
        if let Some((previous, holder)) = &self.previous {
            if *previous == seed {
                return Err(format!(
                    "seed {seed} appears twice: in {holder} and in {input} (overlapping shards)"
                ));
            }
        }
        let count = self.set.count();
        if self.next >= count {
            return Err(format!(
                "seed {seed} of {input} is not one of the requested seeds ({})",
                self.set
            ));
        }
        let expected = self.set.seed_at(self.next);
        if seed < expected {
            return Err(format!(
                "seed {seed} of {input} is not one of the requested seeds ({})",
                self.set
            ));
        }
        if seed > expected {
            return Err(missing(self.set, self.next, Some(seed)));
        }
        self.next += 1;
        self.previous = Some((seed, input.to_string()));
        Ok(())
    }

    fn finish(&self) -> Result<(), String> {
        if self.next < self.set.count() {
            return Err(missing(self.set, self.next, None));
        }
        Ok(())
    }
}

fn pull(inputs: &mut [MergeInput], index: usize) -> Result<Option<SeedResult>, String> {
    inputs[index].results.next().transpose()
}

/// Calls `on_result` for every result of `inputs` in seed order, checking that together they
/// hold every seed of `set` exactly once; returns the number of seeds. `set` must be finite.
pub fn merge_results(
    set: &SeedSet,
    mut inputs: Vec<MergeInput>,
    on_result: &mut dyn FnMut(&SeedResult) -> Result<(), String>,
) -> Result<u64, String> {
    assert!(!set.is_stream(), "only a finite seed set can be merged");
    let mut heads: Vec<Option<SeedResult>> = Vec::with_capacity(inputs.len());
    let mut heap = BinaryHeap::new();
    for index in 0..inputs.len() {
        let head = pull(&mut inputs, index)?;
        if let Some(result) = &head {
            heap.push(Reverse((result.seed, index)));
        }
        heads.push(head);
    }
    let mut coverage = Coverage {
        set,
        next: 0,
        previous: None,
    };
    while let Some(Reverse((seed, index))) = heap.pop() {
        let result = heads[index].take().expect("a queued input has a head");
        coverage.check(seed, &inputs[index].name)?;
        on_result(&result)?;
        if let Some(next) = pull(&mut inputs, index)? {
            if next.seed <= seed {
                return Err(format!(
                    "{}: seed {} follows seed {seed}: the results are not in seed order",
                    inputs[index].name, next.seed
                ));
            }
            heap.push(Reverse((next.seed, index)));
            heads[index] = Some(next);
        }
    }
    coverage.finish()?;
    Ok(coverage.next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::Verdict;
    use std::collections::BTreeMap;

    fn input(name: &str, seeds: &[u64]) -> MergeInput {
        let results: Vec<Result<SeedResult, String>> = seeds
            .iter()
            .map(|&seed| {
                Ok(SeedResult {
                    seed,
                    verdict: Verdict::Pass,
                    trace_hash: String::new(),
                    events: 0,
                    ops: 0,
                    faults: BTreeMap::new(),
                    crashes: 0,
                    violations: Vec::new(),
                    violations_total: 0,
                    wall_us: 0,
                    coverage: BTreeMap::new(),
                })
            })
            .collect();
        MergeInput {
            name: name.to_string(),
            results: Box::new(results.into_iter()),
        }
    }

    fn merge(set: &str, inputs: Vec<MergeInput>) -> Result<Vec<u64>, String> {
        let mut seen = Vec::new();
        merge_results(&set.parse().unwrap(), inputs, &mut |r| {
            seen.push(r.seed);
            Ok(())
        })?;
        Ok(seen)
    }

    #[test]
    fn interleaved_shards_merge_in_seed_order() {
        let seen = merge(
            "1..=7",
            vec![
                input("a", &[1, 4, 7]),
                input("b", &[2, 5]),
                input("c", &[3, 6]),
            ],
        );
        assert_eq!(seen.unwrap(), (1..=7).collect::<Vec<_>>());
    }

    #[test]
    fn gaps_overlaps_and_foreign_seeds_are_named() {
        let err = merge("1..=6", vec![input("a", &[1, 2]), input("b", &[5, 6])]).unwrap_err();
        assert!(err.contains("seeds 3..=4 are missing"), "{err}");
        let err = merge("1..=6", vec![input("a", &[1, 2, 3])]).unwrap_err();
        assert!(err.contains("seeds 4..=6 are missing"), "{err}");
        let err = merge("1..=3", vec![input("a", &[1, 2, 3]), input("b", &[2])]).unwrap_err();
        assert!(err.contains("seed 2 appears twice: in a and in b"), "{err}");
        let err = merge("1..=2", vec![input("a", &[1, 2, 3])]).unwrap_err();
        assert!(
            err.contains("seed 3 of a is not one of the requested seeds"),
            "{err}"
        );
        let err = merge("1,5", vec![input("a", &[1, 3, 5])]).unwrap_err();
        assert!(
            err.contains("seed 3 of a is not one of the requested seeds"),
            "{err}"
        );
        let err = merge("1..=4", vec![input("a", &[2, 1])]).unwrap_err();
        assert!(err.contains("seed 1 is missing"), "{err}");
    }
}
