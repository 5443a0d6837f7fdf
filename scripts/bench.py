#!/usr/bin/env python3
"""The speed benchmark's measurements (run by scripts/bench.sh, which builds the binaries).

Measures, for this checkout and a baseline commit side by side in one invocation:
  * instructions per storage call (valgrind --tool=cachegrind: deterministic, the headline on a
    noisy machine) and wall time per call and seeds/s (median, min and max of RUNS runs,
    baseline and current interleaved) of `dst sweep --jobs 1`, for `default` and `contention`
    at 1x, 2x, 4x and 8x the operations per seed, over the same seeds at every length (each
    seed's swarm options shape its mix, so only the same seeds compare);
  * for `default` at 1x, the cache misses and branch mispredictions per call cachegrind
    simulates (deterministic models): why wall time falls less than instructions;
  * the floor: the same seeds' workload with faults, checks and trace off
    (examples/bench_floor.rs), and the full harness in the same loop: harness cost per call as
    a ratio to the floor;
  * `--jobs 2` over `--jobs 1` (seeds/s);
  * resident memory of a `--jobs 1` sweep of 10,000 seeds, sampled: flat when the second half
    peaks no higher than the first;
  * this checkout built without its profile-guided optimisation (NO_PGO_DST), at 1x only,
    interleaved with the others: what the profile in pgo/ is worth.
Writes results/bench.json (every figure) and results/BENCH.md (the table against the targets).

Usage: bench.py CURRENT_DST BASELINE_DST BASELINE_REV BASELINE_SCENARIOS_DIR FLOOR_BIN NO_PGO_DST
                [--quick]
"""

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

SCALES = (1, 2, 4, 8)
SCENARIOS = ("default", "contention")
TARGET_INSTR = 9000
TARGET_US = 1.5
TARGET_GROWTH = 1.15
TARGET_FLOOR_RATIO = 1.5
TARGET_JOBS_RATIO = 1.85


def edited_scenario(source, target, edit):
    """Writes to `target` the scenario JSON at `source` changed by `edit` (a function of the
    parsed scenario, changing it in place); returns `target`."""
    with open(source) as f:
        scenario = json.load(f)
    edit(scenario)
    with open(target, "w") as f:
        json.dump(scenario, f)
    return target


def scaled_scenario(source_dir, name, scale, work, label):
    """A copy of scenario `name` from `source_dir` with `scale` times the operations (and the
    step and time budgets), written under `work` as LABEL-NAME-xSCALE.json; returns its path."""
    def scale_up(scenario):
        scenario["operations"] *= scale
        for budget in ("steps_max", "time_ms_max"):
            if budget in scenario:
                scenario[budget] *= scale
    return edited_scenario(os.path.join(source_dir, f"{name}.json"),
                           os.path.join(work, f"{label}-{name}-x{scale}.json"), scale_up)


def sweep(binary, scenario, seeds, jobs, work):
    """Runs `dst sweep` and returns its --json summary."""
    out = tempfile.mkdtemp(dir=work)
    result = subprocess.run(
        [binary, "sweep", "--seeds", f"1..{seeds + 1}", "--scenario", scenario,
         "--jobs", str(jobs), "--json", "--out", out],
        capture_output=True, text=True, check=False)
    if result.returncode not in (0,):
        sys.exit(f"bench: {binary} sweep of {scenario} exited {result.returncode}:\n"
                 f"{result.stderr[-2000:]}")
    return json.loads(result.stdout)


def cachegrind(command, simulate=False):
    """The command's event totals under cachegrind (by event name: `Ir`, the instructions,
    always; with `simulate`, also the simulated cache misses `I1mr`, `D1mr`, `D1mw`, `ILmr`,
    `DLmr`, `DLmw` and branch mispredictions `Bcm`, `Bim`), and its stdout."""
    simulation = ["--cache-sim=yes", "--branch-sim=yes"] if simulate else ["--cache-sim=no"]
    with tempfile.NamedTemporaryFile() as out:
        result = subprocess.run(
            ["valgrind", "--tool=cachegrind", *simulation,
             f"--cachegrind-out-file={out.name}", *command],
            capture_output=True, text=True, check=False)
        if result.returncode != 0:
            sys.exit(f"bench: cachegrind of {command} exited {result.returncode}:\n"
                     f"{result.stderr[-2000:]}")
        with open(out.name) as f:
            lines = f.read().splitlines()
    names = next((l.split()[1:] for l in lines if l.startswith("events:")), None)
    totals = next((l.split()[1:] for l in lines if l.startswith("summary:")), None)
    if not names or not totals or len(names) != len(totals):
        sys.exit(f"bench: no cachegrind summary for {command}")
    return dict(zip(names, map(int, totals))), result.stdout


def instructions(command):
    """Instructions the command executes under cachegrind, and its stdout."""
    events, stdout = cachegrind(command)
    return events["Ir"], stdout


def tiny_scenario(path):
    """A copy of the scenario at `path` with one operation: what a sweep costs besides its
    seeds' work (start-up, output files)."""
    return edited_scenario(path, path[:-len(".json")] + "-tiny.json",
                           lambda scenario: scenario.update(operations=1))


def events_per_call(binary, scenario, seeds, work, simulate=False):
    """Cachegrind's events (see `cachegrind`) per storage call of `dst sweep --jobs 1` over
    seeds 1..=SEEDS, less the sweep's fixed cost (a sweep of one seed of a one-operation copy
    of the scenario), so the same seeds are measured at every length and start-up does not
    weigh on short runs more than on long ones. Returns (events per call, calls measured)."""
    measured = []
    for path, count in ((tiny_scenario(scenario), 1), (scenario, seeds)):
        events, stdout = cachegrind(
            [binary, "sweep", "--seeds", f"1..{count + 1}", "--scenario", path,
             "--jobs", "1", "--json", "--out", tempfile.mkdtemp(dir=work)], simulate)
        measured.append((events, json.loads(stdout)["ops"]))
    (fixed, fixed_calls), (total, calls) = measured
    assert calls > fixed_calls, "the seeds make more calls than the one-operation run"
    return {name: (total[name] - fixed[name]) / (calls - fixed_calls) for name in total}, calls


def instructions_per_call(binary, scenario, seeds, work):
    """Instructions per storage call (see `events_per_call`), and the calls measured."""
    per_call, calls = events_per_call(binary, scenario, seeds, work)
    return per_call["Ir"], calls


# The simulated events reported per call, with their names in BENCH.md.
MISS_EVENTS = (("Ir", "instructions"), ("I1mr", "L1 instruction misses"),
               ("D1", "L1 data misses"), ("LL", "last-level misses"),
               ("Bm", "branch mispredictions"))


def misses_per_call(binary, scenario, seeds, work):
    """Per storage call (see `events_per_call`): instructions, and the cache misses and branch
    mispredictions cachegrind simulates (this machine's cache sizes, a simple predictor). They
    are models, deterministic like the instructions, not the CPU's own counters (none are
    readable on this virtual machine); they show where wall time goes that instructions do
    not."""
    e, _ = events_per_call(binary, scenario, seeds, work, simulate=True)
    e["D1"] = e["D1mr"] + e["D1mw"]
    e["LL"] = e["ILmr"] + e["DLmr"] + e["DLmw"]
    e["Bm"] = e["Bcm"] + e["Bim"]
    return {name: e[name] for name, _ in MISS_EVENTS}


def measure_misses(binaries, scenario_dirs, cg_seeds, work):
    """`misses_per_call` of each commit's `default` at 1x."""
    misses = {}
    for commit, binary in binaries.items():
        path = scaled_scenario(scenario_dirs[commit], "default", 1, work,
                               "misses-" + commit.replace("+", "-"))
        misses[commit] = misses_per_call(binary, path, cg_seeds, work)
        print(f"  {commit:>8} default x1: " + ", ".join(
            f"{misses[commit][name]:,.0f} {label}" for name, label in MISS_EVENTS),
            file=sys.stderr)
    return misses


def spread(values):
    """Median, min and max of `values`."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def measure_commits(binaries, scenario_dirs, runs, wall_seeds, cg_seeds, work, one_x_only):
    """Per (commit, scenario, scale): instructions per call, wall per call, seeds/s. The
    commits in `one_x_only` are measured at 1x only."""
    figures = {}
    for name in SCENARIOS:
        for scale in SCALES:
            measured = {c: b for c, b in binaries.items() if scale == 1 or c not in one_x_only}
            paths = {c: scaled_scenario(scenario_dirs[c], name, scale, work, c.replace("+", "-"))
                     for c in measured}
            for commit, binary in measured.items():
                per_call, calls = instructions_per_call(binary, paths[commit], cg_seeds, work)
                figures[(commit, name, scale)] = {
                    "instructions_per_call": per_call,
                    "cachegrind_calls": calls,
                    "us_per_call": [],
                    "seeds_per_s": [],
                }
            for _ in range(runs):
                for commit, binary in measured.items():
                    seeds = wall_seeds
                    summary = sweep(binary, paths[commit], seeds, 1, work)
                    entry = figures[(commit, name, scale)]
                    entry["us_per_call"].append(summary["elapsed_s"] * 1e6 / summary["ops"])
                    entry["seeds_per_s"].append(summary["seeds_per_s"])
                    entry["calls_per_seed"] = summary["ops"] / seeds
            for commit in measured:
                entry = figures[(commit, name, scale)]
                entry["us_per_call"] = spread(entry["us_per_call"])
                entry["seeds_per_s"] = spread(entry["seeds_per_s"])
                print(f"  {commit:>8} {name:<10} x{scale}: "
                      f"{entry['instructions_per_call']:>8.0f} instr/call, "
                      f"{entry['us_per_call']['median']:.2f} us/call, "
                      f"{entry['seeds_per_s']['median']:.1f} seeds/s", file=sys.stderr)
    return figures


def measure_floor(floor_bin, runs, wall_seeds, cg_seeds):
    """The full harness and the floor in the same loop, on `default` and `contention` at 1x."""
    floor = {}
    for name in SCENARIOS:
        entry = {}
        for mode in ("full", "floor"):
            instr, stdout = instructions(
                [floor_bin, "--mode", mode, "--scenario", name, "--seeds", f"1..{cg_seeds + 1}"])
            calls = json.loads(stdout)["calls"]
            walls = []
            for _ in range(runs):
                out = subprocess.run(
                    [floor_bin, "--mode", mode, "--scenario", name,
                     "--seeds", f"1..{wall_seeds + 1}"],
                    capture_output=True, text=True, check=True).stdout
                walls.append(json.loads(out)["us_per_call"])
            entry[mode] = {"instructions_per_call": instr / calls, "us_per_call": spread(walls),
                           "calls": calls}
        entry["instructions_ratio"] = (entry["full"]["instructions_per_call"]
                                       / entry["floor"]["instructions_per_call"])
        entry["wall_ratio"] = (entry["full"]["us_per_call"]["median"]
                               / entry["floor"]["us_per_call"]["median"])
        print(f"  floor {name}: full {entry['full']['instructions_per_call']:.0f} / floor "
              f"{entry['floor']['instructions_per_call']:.0f} instr/call = "
              f"{entry['instructions_ratio']:.2f}x", file=sys.stderr)
        floor[name] = entry
    return floor


# Seeds per `--jobs` run: a sweep long enough (about 5 s at --jobs 1) that the start and the
# final merge, which do not run in parallel, do not decide the ratio; at 192 seeds (under 2 s)
# the ratio moved between 1.83x and 1.95x from one run to the next on this machine.
JOBS_SEEDS = 600


def measure_jobs(binary, runs, seeds, work):
    """Seeds/s of --jobs 2 over --jobs 1 (interleaved runs)."""
    rates = {1: [], 2: []}
    for _ in range(runs):
        for jobs in (1, 2):
            rates[jobs].append(sweep(binary, "default", seeds, jobs, work)["seeds_per_s"])
    entry = {f"jobs{j}_seeds_per_s": spread(r) for j, r in rates.items()}
    entry["ratio"] = statistics.median(rates[2]) / statistics.median(rates[1])
    print(f"  --jobs 2 / --jobs 1: {entry['ratio']:.2f}x", file=sys.stderr)
    return entry


def rss_curve(binary, seeds, work):
    """Resident memory of a `--jobs 1` sweep of `seeds` default seeds, sampled every 0.1 s:
    the peak in each tenth of the run, in MiB. Flat when the later tenths peak no higher than
    the early ones (a seed's own peak varies, so a few MiB of wobble is expected)."""
    child = subprocess.Popen(
        [binary, "sweep", "--seeds", f"1..{seeds + 1}", "--jobs", "1",
         "--out", tempfile.mkdtemp(dir=work)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples = []
    while child.poll() is None:
        try:
            with open(f"/proc/{child.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        samples.append(int(line.split()[1]) / 1024)
        except FileNotFoundError:
            break
        time.sleep(0.1)
    if child.wait() != 0 or len(samples) < 10:
        sys.exit(f"bench: the {seeds}-seed sweep for memory failed or was too short")
    tenth = len(samples) / 10
    return [max(samples[int(i * tenth):max(int((i + 1) * tenth), int(i * tenth) + 1)])
            for i in range(10)]


def verdict(ok):
    return "met" if ok else "**not met**"


def write_markdown(result, path):
    cur, base = result["current"], result["baseline"]
    fig = result["figures"]
    d1 = fig[f"{cur}/default/x1"]
    b1 = fig[f"{base}/default/x1"]
    growth = fig[f"{cur}/default/x8"]["instructions_per_call"] / d1["instructions_per_call"]
    floor = result["floor"]["default"]
    memory = result["memory"]
    lines = [
        "# Speed benchmark",
        "",
        f"`scripts/bench.sh{' --quick' if result['quick'] else ''}` on {result['machine']}, "
        f"current checkout ({cur}) against {base} built and run in the same invocation. "
        "Instructions from `valgrind --tool=cachegrind` (deterministic); wall times are the "
        f"median of {result['runs']} interleaved runs with min-max, on a shared 2-core machine: "
        "compare ratios from one run, not across runs. Each commit runs its own `default` and "
        "`contention` scenarios, so the operation mix is the one it shipped; figures are per "
        "storage call, over the same seeds at every length (instructions: seeds 1-"
        f"{result['cachegrind_seeds']}, less the sweep's fixed cost; wall: seeds 1-"
        f"{result['wall_seeds']}).",
        "",
        "## Against the targets",
        "",
        "| target | measured | |",
        "|---|---|---|",
        f"| at most {TARGET_INSTR:,} instructions per call, `default` 1x | "
        f"{d1['instructions_per_call']:,.0f} ({base}: {b1['instructions_per_call']:,.0f}; "
        f"{b1['instructions_per_call'] / d1['instructions_per_call']:.2f}x fewer) | "
        f"{verdict(d1['instructions_per_call'] <= TARGET_INSTR)} |",
        f"| at most {TARGET_US} us per call, `default` 1x | "
        f"{d1['us_per_call']['median']:.2f} us ({d1['us_per_call']['min']:.2f}-"
        f"{d1['us_per_call']['max']:.2f}; {base}: {b1['us_per_call']['median']:.2f}; "
        f"{b1['us_per_call']['median'] / d1['us_per_call']['median']:.2f}x faster) | "
        f"{verdict(d1['us_per_call']['median'] <= TARGET_US)} |",
        f"| 8x operations: at most {TARGET_GROWTH}x the instructions per call of 1x | "
        f"{growth:.2f}x | {verdict(growth <= TARGET_GROWTH)} |",
        f"| full harness at most {TARGET_FLOOR_RATIO}x the floor per call | "
        f"{floor['instructions_ratio']:.2f}x instructions, {floor['wall_ratio']:.2f}x wall | "
        f"{verdict(floor['instructions_ratio'] <= TARGET_FLOOR_RATIO)} |",
        f"| `--jobs 2` at least {TARGET_JOBS_RATIO}x `--jobs 1` | "
        f"{result['jobs']['ratio']:.2f}x | {verdict(result['jobs']['ratio'] >= TARGET_JOBS_RATIO)} |",
        f"| memory per worker flat over {memory['seeds']:,} seeds (`--jobs 1`) | resident peak "
        f"{memory['first_half_peak_mib']:.0f} MiB in the first half, "
        f"{memory['second_half_peak_mib']:.0f} MiB in the second; by tenths: "
        f"{' '.join(f'{m:.0f}' for m in memory['rss_mib_peak_per_tenth'])} | "
        f"{verdict(memory['second_half_peak_mib'] <= 1.1 * memory['first_half_peak_mib'])} |",
        "",
        "## Per scenario and length",
        "",
        "| commit | scenario | ops | calls/seed | instr/call | growth vs 1x | us/call median (min-max) | seeds/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in SCENARIOS:
        for commit in (base, result["no_pgo"], cur):
            one = fig[f"{commit}/{name}/x1"]["instructions_per_call"]
            for scale in SCALES:
                if f"{commit}/{name}/x{scale}" not in fig:
                    continue
                e = fig[f"{commit}/{name}/x{scale}"]
                us = e["us_per_call"]
                lines.append(
                    f"| {commit} | {name} | {scale}x | {e['calls_per_seed']:,.0f} | "
                    f"{e['instructions_per_call']:,.0f} | {e['instructions_per_call'] / one:.2f}x | "
                    f"{us['median']:.2f} ({us['min']:.2f}-{us['max']:.2f}) | "
                    f"{e['seeds_per_s']['median']:.1f} |")
    lines += [
        "",
        "## The floor",
        "",
        "`examples/bench_floor.rs` runs the same seeds' workload (tasks, operation mix, "
        "identifiers, scheduler, adapter and `SimStorage`) with faults, checks and the trace "
        "off, in the same loop as the full harness:",
        "",
        "| scenario | full instr/call | floor instr/call | ratio | full us/call | floor us/call | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in SCENARIOS:
        e = result["floor"][name]
        lines.append(
            f"| {name} | {e['full']['instructions_per_call']:,.0f} | "
            f"{e['floor']['instructions_per_call']:,.0f} | {e['instructions_ratio']:.2f}x | "
            f"{e['full']['us_per_call']['median']:.2f} | {e['floor']['us_per_call']['median']:.2f} | "
            f"{e['wall_ratio']:.2f}x |")
    no_pgo = fig[f"{result['no_pgo']}/default/x1"]
    lines += [
        "",
        "## Profile-guided optimisation",
        "",
        f"The release build is optimised with the profile in `pgo/` (scripts/pgo.sh; "
        f"{'fresh' if result['pgo_fresh'] else '**stale**: recorded for other sources'}). "
        f"Built without it ({result['no_pgo']}), `default` at 1x costs "
        f"{no_pgo['instructions_per_call']:,.0f} instructions and "
        f"{no_pgo['us_per_call']['median']:.2f} us per call, against "
        f"{d1['instructions_per_call']:,.0f} and {d1['us_per_call']['median']:.2f} us with it "
        f"({no_pgo['instructions_per_call'] / d1['instructions_per_call']:.2f}x and "
        f"{no_pgo['us_per_call']['median'] / d1['us_per_call']['median']:.2f}x).",
    ]
    misses = result["misses"]
    wall_ratio = b1["us_per_call"]["median"] / d1["us_per_call"]["median"]
    lines += [
        "",
        "## Where wall time goes",
        "",
        "Instructions are not all of a call's time: cache misses and branch mispredictions "
        "cost cycles too, and where they fall less than instructions, so does wall time. Per "
        "call of `default` at 1x, as cachegrind simulates them (this machine's cache sizes and "
        "a simple branch predictor: deterministic models, not the CPU's own counters, which "
        "this virtual machine does not expose). The instructions here come from the same "
        "simulated runs, and differ from the headline's by under 1%: the sweep's collector "
        "thread wakes every 200 ms of wall time (progress, checkpoints), and simulation is "
        "slower; the seeds' own instructions agree within 0.01%:",
        "",
        f"| per call | {base} | {cur} | fewer |",
        "|---|---|---|---|",
    ]
    for name, label in MISS_EVENTS:
        old, new = misses[base][name], misses[cur][name]
        lines.append(f"| {label} | {old:,.0f} | {new:,.0f} | {old / new:.2f}x |")
    lines += [
        f"| wall time (median above) | {b1['us_per_call']['median']:.2f} us | "
        f"{d1['us_per_call']['median']:.2f} us | {wall_ratio:.2f}x |",
    ]
    jobs = result["jobs"]
    lines += [
        "",
        f"`--jobs 2`: {jobs['jobs2_seeds_per_s']['median']:.1f} seeds/s, `--jobs 1`: "
        f"{jobs['jobs1_seeds_per_s']['median']:.1f} seeds/s ({jobs['ratio']:.2f}x; median of "
        f"{result['runs']}).",
        "",
    ]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def main():
    args = [a for a in sys.argv[1:] if a != "--quick"]
    quick = "--quick" in sys.argv[1:]
    if len(args) != 6:
        sys.exit(__doc__)
    current_bin, base_bin, base_rev, base_scenarios, floor_bin, no_pgo_bin = args
    runs = 3 if quick else 5
    wall_seeds = 8 if quick else 24
    cg_seeds = 2 if quick else 3
    memory_seeds = 2000 if quick else 10000
    current = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.strip()
    # A checkout whose only changes are this script's own outputs is the commit it names.
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                            ":!results/bench.json", ":!results/BENCH.md"],
                           capture_output=True, text=True, check=True).stdout.strip()
    current += "+dirty" if dirty else ""
    pgo_fresh = subprocess.run(["scripts/pgo.sh", "--check"], capture_output=True).returncode == 0
    work = tempfile.mkdtemp()
    no_pgo = f"{current}-no-pgo"
    binaries = {base_rev: base_bin, no_pgo: no_pgo_bin, current: current_bin}
    scenario_dirs = {base_rev: base_scenarios, no_pgo: "scenarios", current: "scenarios"}
    print("bench: per-call cost by scenario and length", file=sys.stderr)
    figures = measure_commits(binaries, scenario_dirs, runs, wall_seeds, cg_seeds, work, {no_pgo})
    print("bench: simulated cache misses and branch mispredictions", file=sys.stderr)
    misses = measure_misses({base_rev: base_bin, current: current_bin}, scenario_dirs, cg_seeds,
                            work)
    print("bench: the floor", file=sys.stderr)
    floor = measure_floor(floor_bin, runs, 2 * wall_seeds, 2 * cg_seeds)
    print("bench: --jobs 2 over --jobs 1", file=sys.stderr)
    jobs = measure_jobs(current_bin, runs, JOBS_SEEDS, work)
    print(f"bench: memory over {memory_seeds:,} seeds", file=sys.stderr)
    curve = rss_curve(current_bin, memory_seeds, work)
    memory = {
        "seeds": memory_seeds,
        "rss_mib_peak_per_tenth": curve,
        "first_half_peak_mib": max(curve[:5]),
        "second_half_peak_mib": max(curve[5:]),
    }
    result = {
        "current": current,
        "baseline": base_rev,
        "no_pgo": no_pgo,
        "pgo_fresh": pgo_fresh,
        "quick": quick,
        "runs": runs,
        "cachegrind_seeds": cg_seeds,
        "wall_seeds": wall_seeds,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "figures": {f"{c}/{n}/x{s}": v for (c, n, s), v in figures.items()},
        "misses": misses,
        "floor": floor,
        "jobs": jobs,
        "memory": memory,
    }
    os.makedirs("results", exist_ok=True)
    with open("results/bench.json", "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    write_markdown(result, "results/BENCH.md")
    print("bench: wrote results/bench.json and results/BENCH.md", file=sys.stderr)


if __name__ == "__main__":
    main()
