#!/usr/bin/env python3
"""Writes results/reports/mutants.md from a cargo-mutants run (target/mutants-run) and the notes
in scripts/mutants-notes.tsv. Run by scripts/mutants.sh; by hand after an interrupted script:
    python3 scripts/mutants_report.py SHARD SEEDS ELAPSED_S FILES COMMIT [RERUN_DIR RERUN_COMMIT]
With RERUN_DIR (the output of a cargo-mutants run, at a later RERUN_COMMIT, of the mutants the
scored run missed and the notes call `fixed`), the headline counts a missed mutant the re-run
caught as caught, and one the notes say was removed as no longer viable; mutants the scored run
caught are counted as caught (the oracle only gains checks between the two commits).
The environment may name the report's path (MUTANTS_REPORT, default results/reports/mutants.md)
and the globs a run was narrowed to (MUTANTS_NARROW, space-separated; scripts/mutants.sh --narrow).
"""
import json, os, re, sys
shard, seeds, elapsed, files, commit = sys.argv[1:6]
report = os.environ.get("MUTANTS_REPORT") or "results/reports/mutants.md"
narrow = (os.environ.get("MUTANTS_NARROW") or "").split()
rerun_dir, rerun_commit = (sys.argv[6:8] + [None, None])[:2]
elapsed = int(elapsed)
outcomes = json.load(open("target/mutants-run/mutants.out/outcomes.json"))["outcomes"]
notes = {}
for line in open("scripts/mutants-notes.tsv"):
    if line.startswith("#") or not line.strip():
        continue
    file, mutation, verdict, reason = line.rstrip("\n").split("\t")
    notes[(file, mutation)] = (verdict, reason)
by = {}
for o in outcomes:
    if o["scenario"] == "Baseline":
        continue
    by.setdefault(o["summary"], []).append(o["scenario"]["Mutant"])
caught, missed = by.get("CaughtMutant", []), by.get("MissedMutant", [])
unviable, timeout = by.get("Unviable", []), by.get("Timeout", [])
viable = len(caught) + len(missed) + len(timeout)
pct = lambda n, d: 100.0 * n / d if d else 0.0
mutation = lambda m: re.sub(r"^.*?:\d+:\d+: ", "", m["name"])
note = lambda m: notes.get((m["file"], mutation(m)))
verdicts = [note(m)[0] if note(m) else "open" for m in missed]
fixed, equivalent = verdicts.count("fixed"), verdicts.count("equivalent")
scored = f"caught: {pct(len(caught) + len(timeout), viable):.1f}% of viable mutants"
headline = [scored]
if rerun_dir:
    rerun = json.load(open(f"{rerun_dir}/mutants.out/outcomes.json"))["outcomes"]
    caught_later = {(o["scenario"]["Mutant"]["file"], mutation(o["scenario"]["Mutant"]))
                    for o in rerun if o["scenario"] != "Baseline"
                    and o["summary"] in ("CaughtMutant", "Timeout")}
    recaught = [m for m in missed if (m["file"], mutation(m)) in caught_later]
    removed = [m for m in missed if note(m) and note(m)[0] == "fixed"
               and "removed" in note(m)[1] and m not in recaught]
    now = pct(len(caught) + len(timeout) + len(recaught), viable - len(removed))
    headline = [
        f"caught: {now:.1f}% of viable mutants (the sample scored at {commit}, its missed "
        f"mutants re-run at {rerun_commit}: {len(recaught)} caught there, {len(removed)} removed "
        f"from the code)",
        "",
        f"The scored run alone: {scored}.",
    ]
lines = headline + [
    "",
    f"Run: `scripts/mutants.sh{' --shard ' + shard if shard else ''}{''.join(' --narrow ' + g for g in narrow)} --seeds {seeds}` over {files} at commit {commit}; "
    + (f"shard {shard} of the mutants (round-robin, a fixed sample), narrowed to {', '.join(narrow)}: {viable + len(unviable)} mutants; " if narrow
       else f"shard {shard} of the mutants (round-robin, a fixed sample: {viable + len(unviable)} of them); " if shard else "")
    + f"test command: `cargo test --test mutation_sweep -- --ignored` only (a sweep of {seeds} seeds of "
    f"every shipped scenario), {elapsed // 60} min on this machine. Timeouts count as caught "
    "(the mutant made the sweep hang).",
    "",
    "| outcome | mutants |",
    "|---|---|",
    f"| caught | {len(caught)} |",
    f"| missed | {len(missed)} |",
    f"| unviable (does not build) | {len(unviable)} |",
    f"| timeout | {len(timeout)} |",
    "",
    f"Of the missed: {fixed} caught since by a change to the oracle or workload (re-applied by hand "
    f"after the run), {equivalent} equivalent, {verdicts.count('gap')} known gaps, "
    f"{verdicts.count('open')} without a note. Counting the fixed ones as caught: "
    f"{pct(len(caught) + len(timeout) + fixed, viable):.1f}%; of the viable mutants that are not "
    f"equivalent: {pct(len(caught) + len(timeout) + fixed, viable - equivalent):.1f}%.",
    "",
    "## Missed",
    "",
    "Each with its note from `scripts/mutants-notes.tsv`.",
    "",
]
for m in missed:
    verdict, reason = note(m) or ("open", "no note: a gap to close or explain")
    lines.append(f"- `{m['name']}` — **{verdict}**: {reason}")
if not missed:
    lines.append("none")
open(report, "w").write("\n".join(lines) + "\n")
print("\n".join(lines[:16]))
