//! [`LatencyCounts`]: how many calls took each simulated latency, counted by a vector index
//! (most latencies are small) and turned into a histogram only when a report asks. A sweep
//! never asks: it adds each seed's [`LatencyCounts::bucket_counts`] into its own histograms,
//! so a seed does not pay for allocating and zeroing a 2,048-counter histogram per call name.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

/// Latencies below this many ms are counted in a vector; longer ones in an ordered map. A
/// 3-figure histogram counts every value below 2,048 in a bucket of its own, so a dense
/// latency is its own bucket's highest value.
const DENSE_MS: u64 = 2048;

/// Significant figures of the histograms built from the counts.
const SIGNIFICANT_FIGURES: u8 = 3;

/// Counts of recorded latencies, ms. The histogram it builds is the one recording each
/// latency into an auto-resizing 3-figure `Histogram` would have built, in any order.
#[derive(Clone, Debug, Default)]
pub struct LatencyCounts {
    dense: Vec<u64>,
    sparse: BTreeMap<u64, u64>,
    recorded: u64,
}

impl LatencyCounts {
    /// Counts one call that took `ms`.
    pub fn record(&mut self, ms: u64) {
        if ms < DENSE_MS {
            let at = ms as usize;
            if self.dense.len() <= at {
                self.dense.resize(at + 1, 0);
            }
            self.dense[at] += 1;
        } else {
            *self.sparse.entry(ms).or_insert(0) += 1;
        }
        self.recorded += 1;
        assert!(
            self.dense.len() as u64 <= DENSE_MS,
            "the dense counts stay bounded"
        );
    }

    /// The histogram of every latency recorded.
    pub fn histogram(&self) -> Histogram<u64> {
        let mut histogram = empty_histogram();
        for (ms, count) in self.distinct() {
            histogram
                .record_n(ms, count)
                .expect("an auto-resizing histogram records any value");
        }
        assert_eq!(histogram.len(), self.recorded, "every latency is counted");
        histogram
    }

    /// Each bucket of [`LatencyCounts::histogram`] that holds a latency, ascending, as its
    /// highest value with its count: what the histogram's `iter_recorded` yields as
    /// (`value_iterated_to`, `count_at_value`), without building it. Recording each pair into
    /// any 3-figure histogram adds exactly these latencies' buckets.
    pub fn bucket_counts(&self) -> Vec<(u64, u64)> {
        let mut buckets: Vec<(u64, u64)> = self
            .distinct()
            .take_while(|&(ms, _)| ms < DENSE_MS)
            .collect();
        if !self.sparse.is_empty() {
            let histogram = empty_histogram();
            for (&ms, &count) in &self.sparse {
                let highest = histogram.highest_equivalent(ms);
                match buckets.last_mut() {
                    Some((last, total)) if *last == highest => *total += count,
                    _ => buckets.push((highest, count)),
                }
            }
        }
        assert_eq!(
            buckets.iter().map(|&(_, count)| count).sum::<u64>(),
            self.recorded,
            "every latency is in a bucket"
        );
        assert!(buckets.is_sorted_by(|a, b| a.0 < b.0), "buckets ascend");
        buckets
    }

    /// Each distinct latency recorded, ascending, with how many calls took it.
    fn distinct(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        let dense = (0..).zip(self.dense.iter().copied());
        let sparse = self.sparse.iter().map(|(&ms, &count)| (ms, count));
        dense.chain(sparse).filter(|&(_, count)| count > 0)
    }
}

/// An empty auto-resizing 3-figure histogram.
fn empty_histogram() -> Histogram<u64> {
    Histogram::new(SIGNIFICANT_FIGURES).expect("3 significant figures is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_is_the_one_recording_each_latency_builds() {
        let latencies = [
            0,
            7,
            7,
            2047,
            2048,
            90_000,
            3,
            5_000_000,
            7,
            0,
            1_000_000_000,
        ];
        let mut counts = LatencyCounts::default();
        let mut direct = Histogram::<u64>::new(3).unwrap();
        for ms in latencies {
            counts.record(ms);
            direct.record(ms).unwrap();
        }
        let built = counts.histogram();
        assert_eq!(built, direct);
        assert_eq!(direct, built, "equal counts, compared from either side");
        assert_eq!(built.len(), latencies.len() as u64);
        assert_eq!(built.max(), direct.max());
        assert!(
            built.max() >= 1_000_000_000,
            "long latencies are not clamped"
        );
        for quantile in [0.0, 0.5, 0.9, 0.99, 1.0] {
            assert_eq!(
                built.value_at_quantile(quantile),
                direct.value_at_quantile(quantile)
            );
        }
        assert_eq!(LatencyCounts::default().histogram().len(), 0);
    }

    /// Latencies of every magnitude, around the dense limit and far above it.
    fn spread_latencies() -> Vec<u64> {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut latencies = vec![0, 1, 2046, 2047, 2048, 2049, 4095, 4096, 4097];
        for _ in 0..5_000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let magnitude = (state >> 58) as u32 % 40;
            latencies.push((state >> 20) % (1u64 << magnitude).max(2));
        }
        latencies
    }

    #[test]
    fn bucket_counts_are_the_recorded_buckets_of_the_histogram() {
        let mut counts = LatencyCounts::default();
        assert!(counts.bucket_counts().is_empty());
        for ms in spread_latencies() {
            counts.record(ms);
        }
        let histogram = counts.histogram();
        let recorded: Vec<(u64, u64)> = histogram
            .iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .collect();
        let buckets = counts.bucket_counts();
        assert!(buckets.iter().any(|&(ms, _)| ms >= DENSE_MS) && buckets.len() > 100);
        assert_eq!(buckets, recorded);
        let mut added = empty_histogram();
        for &(ms, count) in &buckets {
            added.record_n(ms, count).unwrap();
        }
        assert_eq!(
            added, histogram,
            "the buckets add back to the same histogram"
        );
    }
}
