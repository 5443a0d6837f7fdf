//! Shards: `--shard K/N` runs every N-th seed of the set, starting with the K-th (1-based), so N
//! machines running shards 1/N..N/N together cover every seed exactly once.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One of `count` disjoint slices of a seed set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which slice, 1-based: `1..=count`.
    pub index: u64,
    /// How many slices.
    pub count: u64,
}

impl Shard {
    /// The whole set.
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// How many of `total` positions fall in this shard.
    pub fn len(&self, total: u64) -> u64 {
        let first = self.index - 1;
        if total <= first {
            0
        } else {
            (total - first).div_ceil(self.count)
        }
    }

    /// Whether the shard holds no position of `total`.
    pub fn is_empty(&self, total: u64) -> bool {
        self.len(total) == 0
    }

    /// The set position of the shard's `nth` position.
    pub fn position(&self, nth: u64) -> u64 {
        (self.index - 1) + nth * self.count
    }
}

impl FromStr for Shard {
    type Err = String;

    /// Parses `K/N` with `1 <= K <= N`; the error names the bad value.
    fn from_str(spec: &str) -> Result<Shard, String> {
        let (k, n) = spec
            .split_once('/')
            .ok_or_else(|| format!("shard '{spec}' is not K/N (e.g. 1/4)"))?;
        let parse = |s: &str| {
            s.trim()
                .parse::<u64>()
                .map_err(|_| format!("shard '{spec}': '{s}' is not a positive integer"))
        };
        let (index, count) = (parse(k)?, parse(n)?);
        if count == 0 || index == 0 || index > count {
            return Err(format!(
                "shard '{spec}': K must be within 1..=N and N at least 1"
            ));
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_every_position_once() {
        let total = 10;
        let mut seen = Vec::new();
        for index in 1..=3 {
            let shard = Shard { index, count: 3 };
            seen.extend((0..shard.len(total)).map(|n| shard.position(n)));
        }
        seen.sort_unstable();
        assert_eq!(seen, (0..total).collect::<Vec<_>>());
        assert!(Shard { index: 5, count: 5 }.is_empty(3));
    }

    #[test]
    fn bad_shards_are_refused() {
        assert!("0/4".parse::<Shard>().unwrap_err().contains("'0/4'"));
        assert!("5/4".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().unwrap_err().contains("not K/N"));
        assert_eq!(
            "2/4".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 4 }
        );
    }
}
