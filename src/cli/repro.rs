//! Repro lines: the one command that reproduces a seed's run, and where its trace goes.

use std::path::PathBuf;

use super::request::Origin;

/// `text` as one shell word: as is when it holds only safe characters, single-quoted
/// otherwise, and `$'...'` with escapes when it holds a control character (so a repro line is
/// always one line).
pub fn shell_quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=+:,@".contains(c));
    if plain {
        text.to_string()
    } else if text.chars().any(char::is_control) {
        let mut quoted = String::from("$'");
        for c in text.chars() {
            match c {
                '\\' | '\'' => {
                    quoted.push('\\');
                    quoted.push(c);
                }
                c if c.is_control() => quoted.push_str(&format!("\\u{:04x}", c as u32)),
                c => quoted.push(c),
            }
        }
        quoted.push('\'');
        quoted
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// `dst VERB --seed N --scenario S [--bug B]...`.
fn seed_command(verb: &str, seed: u64, origin: &Origin) -> String {
    let mut line = format!(
        "dst {verb} --seed {seed} --scenario {}",
        shell_quote(&origin.scenario_arg)
    );
    for bug in origin.bugs.iter() {
        line.push_str(" --bug ");
        line.push_str(bug.name());
    }
    if origin.on_redb {
        line.push_str(" --backend redb");
    }
    line
}

/// `dst run --seed N --scenario S [--bug B]...`: re-runs exactly the seed's configuration.
pub fn repro_line(seed: u64, origin: &Origin) -> String {
    seed_command("run", seed, origin)
}

/// `dst shrink --seed N --scenario S [--bug B]...`: shrinks the seed's failing run. `None` for
/// a run on redb: shrinking replays recorded decisions, which only the simulated store takes.
pub fn shrink_line(seed: u64, origin: &Origin) -> Option<String> {
    let line = (!origin.on_redb).then(|| seed_command("shrink", seed, origin));
    assert!(
        line.as_ref().is_none_or(|l| !l.contains("--backend")),
        "a shrink line never names a backend"
    );
    line
}

/// Where a failing run writes its trace when no `--trace` was given:
/// `results/traces/SCENARIO[+BUG..][-on-redb]-seed-N.jsonl`.
/// The scenario's name is made a safe path component first: no name steers a path.
pub fn default_trace_path(seed: u64, origin: &Origin) -> PathBuf {
    PathBuf::from("results")
        .join("traces")
        .join(format!("{}-seed-{seed}.jsonl", origin.file_stem()))
}

/// Where `dst shrink` writes the minimal trace when no `-o` was given:
/// `results/shrunk/SCENARIO[+BUG..]-seed-N.jsonl`.
pub fn default_shrunk_path(seed: u64, origin: &Origin) -> PathBuf {
    let traces = default_trace_path(seed, origin);
    let name = traces.file_name().expect("a trace path names a file");
    PathBuf::from("results").join("shrunk").join(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bugs::{Bug, BugSet};

    #[test]
    fn repro_names_seed_scenario_and_bugs_and_quotes_paths() {
        let origin = Origin {
            scenario_arg: "my scenarios/x.json".to_string(),
            scenario_name: "x".to_string(),
            bugs: BugSet::of(&[Bug::OccDisabled]),
            on_redb: false,
        };
        assert_eq!(
            repro_line(7, &origin),
            "dst run --seed 7 --scenario 'my scenarios/x.json' --bug occ-disabled"
        );
        assert_eq!(
            default_trace_path(7, &origin),
            PathBuf::from("results/traces/x+occ-disabled-seed-7.jsonl")
        );
        assert_eq!(
            default_shrunk_path(7, &origin),
            PathBuf::from("results/shrunk/x+occ-disabled-seed-7.jsonl")
        );
        assert_eq!(shell_quote("a\nb'c"), "$'a\\u000ab\\'c'");
        assert_eq!(
            shrink_line(7, &origin).as_deref(),
            Some("dst shrink --seed 7 --scenario 'my scenarios/x.json' --bug occ-disabled")
        );
        let on_redb = Origin {
            on_redb: true,
            ..origin
        };
        assert_eq!(
            repro_line(7, &on_redb),
            "dst run --seed 7 --scenario 'my scenarios/x.json' --bug occ-disabled --backend redb"
        );
        assert_eq!(shrink_line(7, &on_redb), None, "redb cannot shrink");
    }
}
