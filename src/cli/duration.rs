//! Durations on the command line: `90s`, `10m`, `2h`, `1h30m`, `1d` (whole units, no fractions).

/// Longest duration accepted: a year, in seconds.
const DURATION_S_MAX: u64 = 366 * 24 * 3600;

/// Seconds in `text`; the error names the text and what is wrong.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let bad = |why: &str| format!("duration '{text}' {why} (e.g. 90s, 10m, 2h, 1h30m)");
    let mut total: u64 = 0;
    let mut digits = String::new();
    let mut parts = 0;
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad(&format!("has '{c}', not a digit or a unit s, m, h, d"))),
        };
        let value: u64 = digits
            .parse()
            .map_err(|_| bad(&format!("has a unit '{c}' without a number before it")))?;
        total = value
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .filter(|s| *s <= DURATION_S_MAX)
            .ok_or_else(|| bad("is longer than a year"))?;
        digits.clear();
        parts += 1;
    }
    if !digits.is_empty() {
        return Err(bad("ends in a number without a unit"));
    }
    if parts == 0 || total == 0 {
        return Err(bad("is empty or zero"));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_bad_ones_name_the_text() {
        assert_eq!(parse_duration("10m"), Ok(600));
        assert_eq!(parse_duration("1h30m"), Ok(5400));
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("2d"), Ok(172_800));
        assert!(parse_duration("10")
            .unwrap_err()
            .contains("'10' ends in a number"));
        assert!(parse_duration("m")
            .unwrap_err()
            .contains("without a number"));
        assert!(parse_duration("5x").unwrap_err().contains("'x'"));
        assert!(parse_duration("0s").unwrap_err().contains("zero"));
        assert!(parse_duration("999999999h").unwrap_err().contains("year"));
    }
}
