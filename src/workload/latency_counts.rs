//! [`LatencyCounts`]: how many calls took each simulated latency, counted by a vector index
//! (most latencies are small) and turned into a histogram only when a report asks.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

/// Latencies below this many ms are counted in a vector; longer ones in an ordered map.
const DENSE_MS: u64 = 2048;

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
        let mut histogram = Histogram::new(3).expect("3 significant figures is valid");
        let dense = (0..).zip(self.dense.iter().copied());
        let sparse = self.sparse.iter().map(|(&ms, &count)| (ms, count));
        for (ms, count) in dense.chain(sparse).filter(|&(_, count)| count > 0) {
            histogram.saturating_record_n(ms, count);
        }
        assert_eq!(histogram.len(), self.recorded, "every latency is counted");
        histogram
    }
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
            direct.saturating_record(ms);
        }
        let built = counts.histogram();
        assert_eq!(built, direct);
        assert_eq!(direct, built, "equal counts, compared from either side");
        assert_eq!(built.len(), latencies.len() as u64);
        assert_eq!(built.max(), direct.max());
        for quantile in [0.0, 0.5, 0.9, 0.99, 1.0] {
            assert_eq!(
                built.value_at_quantile(quantile),
                direct.value_at_quantile(quantile)
            );
        }
        assert_eq!(LatencyCounts::default().histogram().len(), 0);
    }
}
