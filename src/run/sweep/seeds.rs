//! The seeds of a sweep: `A..B` (half-open, as in Rust), `A..=B`, a list `A,B,C`, or an
//! unbounded stream drawn from a base seed (continuous sweeps: `--for`, `--until-failures`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Most seeds a list may name (ranges have no such limit).
pub const LIST_SEEDS_MAX: usize = 1_000_000;

/// A non-empty set of seeds: a range or a list in increasing order, or an endless stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedSet {
    /// Every seed from `first` to `last`, both included.
    Range {
        /// The smallest seed.
        first: u64,
        /// The largest seed.
        last: u64,
    },
    /// Distinct seeds, sorted.
    List(Vec<u64>),
    /// Fresh seeds without end: the seed at position `i` is `splitmix64(base + i)`, so the same
    /// base always draws the same seeds and different bases draw unrelated ones.
    Stream {
        /// The base seed.
        base: u64,
    },
}

/// SplitMix64's output function: a bijection of `u64` that spreads neighbouring inputs apart.
fn splitmix64(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Parses one seed (a `u64`); the error names the text and why it is not a seed.
pub fn parse_seed(text: &str) -> Result<u64, String> {
    text.trim().parse::<u64>().map_err(|e| {
        let why = match e.kind() {
            std::num::IntErrorKind::PosOverflow => "overflows u64 (largest 18446744073709551615)",
            std::num::IntErrorKind::Empty => "is empty",
            _ => "is not a non-negative integer",
        };
        format!("seed '{}' {why}", text.trim())
    })
}

fn parse_seed_in(text: &str, spec: &str) -> Result<u64, String> {
    parse_seed(text).map_err(|e| format!("{e} (in '{spec}')"))
}

impl SeedSet {
    /// Number of seeds (at least 1); a stream counts `u64::MAX` positions. A range of all 2^64
    /// seeds is refused when parsing.
    pub fn count(&self) -> u64 {
        match self {
            SeedSet::Range { first, last } => last - first + 1,
            SeedSet::List(seeds) => seeds.len() as u64,
            SeedSet::Stream { .. } => u64::MAX,
        }
    }

    /// Whether the set is an endless stream (no end to reach, no range to check a merge against).
    pub fn is_stream(&self) -> bool {
        matches!(self, SeedSet::Stream { .. })
    }

    /// The seed at `position` (0-based; increasing with position except in a stream).
    pub fn seed_at(&self, position: u64) -> u64 {
        assert!(position < self.count(), "position {position} out of range");
        match self {
            SeedSet::Range { first, .. } => first + position,
            SeedSet::List(seeds) => seeds[position as usize],
            SeedSet::Stream { base } => splitmix64(base.wrapping_add(position)),
        }
    }
}

impl FromStr for SeedSet {
    type Err = String;

    /// Parses `A..B`, `A..=B` or `A,B,C`; the error names the bad value and why.
    fn from_str(spec: &str) -> Result<SeedSet, String> {
        if let Some((a, b)) = spec.split_once("..=") {
            let (first, last) = (parse_seed_in(a, spec)?, parse_seed_in(b, spec)?);
            if last < first {
                return Err(format!(
                    "seed range '{spec}' is reversed ({last} < {first})"
                ));
            }
            if first == 0 && last == u64::MAX {
                return Err(format!("seed range '{spec}' has more than u64::MAX seeds"));
            }
            return Ok(SeedSet::Range { first, last });
        }
        if let Some((a, b)) = spec.split_once("..") {
            let (start, end) = (parse_seed_in(a, spec)?, parse_seed_in(b, spec)?);
            if end <= start {
                return Err(format!(
                    "seed range '{spec}' is empty or reversed (half-open: the end must exceed the start)"
                ));
            }
            return Ok(SeedSet::Range {
                first: start,
                last: end - 1,
            });
        }
        let mut seeds = spec
            .split(',')
            .map(|s| parse_seed_in(s, spec))
            .collect::<Result<Vec<u64>, String>>()?;
        if seeds.len() > LIST_SEEDS_MAX {
            return Err(format!(
                "seed list has {} seeds, more than {LIST_SEEDS_MAX}; use a range",
                seeds.len()
            ));
        }
        seeds.sort_unstable();
        if let Some(pair) = seeds.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("seed {} is listed twice in '{spec}'", pair[0]));
        }
        Ok(SeedSet::List(seeds))
    }
}

impl fmt::Display for SeedSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeedSet::Range { first, last } => write!(f, "{first}..={last}"),
            SeedSet::List(seeds) if seeds.len() <= 8 => {
                let names: Vec<String> = seeds.iter().map(u64::to_string).collect();
                write!(f, "{}", names.join(","))
            }
            SeedSet::List(seeds) => write!(f, "{} listed seeds", seeds.len()),
            SeedSet::Stream { base } => write!(f, "fresh seeds from base seed {base}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_lists_parse_with_rust_semantics() {
        assert_eq!("1..10001".parse::<SeedSet>().unwrap().count(), 10_000);
        assert_eq!("1..=10".parse::<SeedSet>().unwrap().count(), 10);
        let list: SeedSet = "9,3,5".parse().unwrap();
        assert_eq!(list, SeedSet::List(vec![3, 5, 9]));
        assert_eq!(list.seed_at(2), 9);
        assert_eq!("7".parse::<SeedSet>().unwrap().count(), 1);
        assert_eq!(
            "0..=18446744073709551614"
                .parse::<SeedSet>()
                .unwrap()
                .seed_at(0),
            0
        );
    }

    #[test]
    fn bad_specs_name_the_bad_value() {
        let err = |s: &str| s.parse::<SeedSet>().unwrap_err();
        assert!(err("10..1").contains("'10..1' is empty or reversed"));
        assert!(err("5..5").contains("empty"));
        assert!(err("5..=4").contains("reversed"));
        assert!(err("abc").contains("seed 'abc'"));
        assert!(err("0..99999999999999999999999").contains("overflows u64"));
        assert!(err("1,2,1").contains("seed 1 is listed twice"));
        assert!(err("1,,2").contains("is empty"));
        assert!(err("0..=18446744073709551615").contains("more than"));
    }

    #[test]
    fn a_stream_draws_the_same_distinct_seeds_from_the_same_base() {
        let stream = SeedSet::Stream { base: 7 };
        let seeds: Vec<u64> = (0..1000).map(|i| stream.seed_at(i)).collect();
        let mut distinct = seeds.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), seeds.len());
        assert_eq!(seeds[3], SeedSet::Stream { base: 7 }.seed_at(3));
        assert_ne!(seeds[0], SeedSet::Stream { base: 8 }.seed_at(0));
        assert_eq!(splitmix64(0), 0xe220_a839_7b1d_cdaf, "splitmix64 is pinned");
    }
}
