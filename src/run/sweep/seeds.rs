//! The seeds of a sweep: `A..B` (half-open, as in Rust), `A..=B`, or a list `A,B,C`.

use std::fmt;
use std::str::FromStr;

/// Most seeds a list may name (ranges have no such limit).
pub const LIST_SEEDS_MAX: usize = 1_000_000;

/// A non-empty set of seeds in increasing order.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// Number of seeds (at least 1). A range of all 2^64 seeds is refused when parsing.
    pub fn count(&self) -> u64 {
        match self {
            SeedSet::Range { first, last } => last - first + 1,
            SeedSet::List(seeds) => seeds.len() as u64,
        }
    }

    /// The seed at `position` (0-based, increasing with position).
    pub fn seed_at(&self, position: u64) -> u64 {
        assert!(position < self.count(), "position {position} out of range");
        match self {
            SeedSet::Range { first, .. } => first + position,
            SeedSet::List(seeds) => seeds[position as usize],
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
}
