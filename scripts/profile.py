#!/usr/bin/env python3
"""Where a storage call's cost goes, from callgrind profiles of examples/bench_floor (the full
harness and the floor: the same workload with faults, checks and trace off). Used by
scripts/profile.sh, which records the profiles; this script only reads them.

Every cost callgrind records belongs to a function and a source line. Instructions inlined from
one of this crate's files count for that file, whichever function they were inlined into;
inlined library code (std, core, alloc) counts for the crate file whose code inlined it (see
`Profile`); a
library function that was not inlined (memcmp, a B-tree search, `Rc::drop_slow`) is charged to
the crate code that called it, in proportion to what each call site spent in it, through chains
of library callers. The allocator (mimalloc) is a bucket of its own, and the allocations are
counted where the crate's code asked for them. Cache misses and mispredicted branches are
charged the same way as instructions.

Writes results/PROFILE.md and results/profile.json; prints the tables' first rows.

Usage: profile.py REPO_SRC SCENARIO FULL.json FULL.callgrind FLOOR.json FLOOR.callgrind
       (each .json is bench_floor's one-line summary of the run the profile recorded)
"""

import json
import os
import re
import sys
from collections import defaultdict

# Rust's global-allocator entry points (the rest of the allocator is mimalloc's `mi_*`).
RUST_ALLOCATOR_SHIMS = {"__rustc::__rust_alloc", "__rustc::__rust_alloc_zeroed",
                        "__rustc::__rust_realloc", "__rustc::__rust_dealloc"}
# The calls that ask for memory: each counts as one allocation where the crate asked.
ALLOCATOR_ENTRIES = {"mi_malloc", "mi_malloc_aligned", "mi_zalloc", "mi_zalloc_aligned",
                     "mi_realloc", "mi_realloc_aligned"} | (RUST_ALLOCATOR_SHIMS - {"__rustc::__rust_dealloc"})
# The crate's own allocator shim (src/alloc.rs) is part of the allocator.
CRATE_ALLOCATOR_FILE = "alloc.rs"
NAMED_EVENTS = {"Ir": "instructions", "I1mr": "L1 instruction misses",
                "D1mr": "L1 data read misses", "D1mw": "L1 data write misses",
                "Bcm": "mispredicted conditional branches", "Bim": "mispredicted indirect branches"}
TOP_ROWS = 25


class Profile:
    """One callgrind output file: costs by (function, source file, crate file around it) and
    calls between functions. Callgrind names only the innermost source file of an instruction:
    for library code (std, core, alloc) inlined into crate code that was itself inlined, the
    crate file around it is taken to be the last crate file listed before it in the function
    (callgrind lists a function's lines in address order, and inlined code lies next to the
    code that inlined it)."""

    def __init__(self, path, src):
        self.src = os.path.realpath(src).rstrip("/") + "/"
        self._crate_files = {}
        self.events = []
        self.names = {}          # compressed id -> function name
        self.files = {}          # compressed id -> file path
        self.self_cost = defaultdict(lambda: None)   # (fn, file, around) -> [cost per event]
        self.home = {}           # fn -> the file callgrind names it with (fl=)
        self.calls = []          # (caller fn, caller file, around, callee fn, count, [inclusive])
        self.total = None
        self._read(path)

    def _compressed(self, table, text):
        match = re.match(r"\((\d+)\)(?: (.*))?$", text)
        if not match:
            return text
        key, name = match.groups()
        if name is not None:
            table[key] = name
        return table[key]

    def crate_file(self, path):
        """`kv/store.rs` for a file of the crate's src/, else None."""
        if path not in self._crate_files:
            real = os.path.realpath(path) if path else ""
            self._crate_files[path] = real[len(self.src):] if real.startswith(self.src) else None
        return self._crate_files[path]

    def _read(self, path):
        fn = file = fl = callee = around = None
        pending_call = None
        with open(path, encoding="utf-8", errors="replace") as source:
            for raw in source:
                line = raw.rstrip("\n")
                if not line or line.startswith("#"):
                    continue
                head = line[0]
                if head.isdigit() or head in "+-*":
                    costs = [int(x) for x in line.split()[1:]]
                    costs += [0] * (len(self.events) - len(costs))
                    if pending_call is not None:
                        self.calls.append((fn, file, around, callee, pending_call, costs))
                        pending_call = None
                    else:
                        slot = self.self_cost[(fn, file, around)]
                        self.self_cost[(fn, file, around)] = (
                            costs if slot is None else [a + b for a, b in zip(slot, costs)])
                    continue
                key, _, value = line.partition("=")
                if key == "fl":
                    file = self._compressed(self.files, value)
                    fl = file
                elif key in ("fi", "fe"):
                    file = self._compressed(self.files, value)
                    inner = self.crate_file(file)
                    if inner is not None and inner != CRATE_ALLOCATOR_FILE:
                        around = inner
                elif key == "fn":
                    fn = self._compressed(self.names, value)
                    file = fl
                    around = self.crate_file(fl)
                    if around == CRATE_ALLOCATOR_FILE:
                        around = None
                    self.home.setdefault(fn, fl)
                elif key == "cfn":
                    callee = self._compressed(self.names, value)
                elif key in ("cfi", "cfl"):
                    self._compressed(self.files, value)
                elif key == "calls":
                    pending_call = int(value.split()[0])
                elif line.startswith("events:"):
                    self.events = line.split()[1:]
                elif line.startswith(("summary:", "totals:")):
                    self.total = [int(x) for x in line.split()[1:]]
        assert self.events, f"{path}: no events line (not a callgrind output?)"
        summed = [sum(c[i] for c in self.self_cost.values()) for i in range(len(self.events))]
        assert self.total is None or summed == self.total, \
            f"{path}: the costs add up to {summed}, the summary says {self.total}"
        self.total = summed


class Attribution:
    """Charges every cost of a profile to a unit of this crate's code (a source file under
    src/, or the allocator, or the start-up outside the crate)."""

    def __init__(self, profile):
        self.p = profile
        self.crate_file = profile.crate_file
        self.incoming = defaultdict(list)
        for caller, caller_file, around, callee, count, costs in profile.calls:
            if caller != callee:
                self.incoming[callee].append((caller, caller_file, around, count, costs))
        self.shares = {}

    def is_allocator(self, fn, path):
        return (bool(path and "mimalloc" in path) or fn.startswith(("mi_", "_mi_"))
                or fn in RUST_ALLOCATOR_SHIMS or self.crate_file(path) == CRATE_ALLOCATOR_FILE)

    def is_crate_fn(self, fn):
        return self.crate_file(self.p.home.get(fn)) is not None

    def unit(self, fn, path, around):
        """The unit a cost of `fn` at a line of `path` (inlined into crate code of `around`) is
        charged to directly, or None when it belongs to a library function (charged to its
        callers)."""
        if self.is_allocator(fn, path):
            return "(allocator)"
        own = self.crate_file(path)
        if own is not None:
            return own
        if self.is_crate_fn(fn):
            return around or self.crate_file(self.p.home[fn])
        return None

    def share(self, fn, visiting=frozenset()):
        """How a library function's costs divide among the units that call it (fractions that
        add up to 1), by what each call site spent in it. A call from a library function that
        is itself being divided (recursion, as in nested drops) is left out; a function reached
        only that way, or from no caller at all, gets a bucket of its own."""
        if fn in self.shares:
            return self.shares[fn]
        weights = defaultdict(float)
        recursive = False
        for caller, caller_file, around, _count, costs in self.incoming.get(fn, []):
            weight = float(costs[0])
            if weight <= 0:
                continue
            direct = self.unit(caller, caller_file, around)
            if direct is not None:
                weights[direct] += weight
            elif caller in visiting or caller == fn:
                recursive = True
            else:
                for unit, part in self.share(caller, visiting | {fn}).items():
                    weights[unit] += weight * part
        total = sum(weights.values())
        if total > 0:
            result = {u: w / total for u, w in weights.items()}
        else:
            result = {"(library recursion)" if recursive else "(start-up)": 1.0}
        if not visiting:
            self.shares[fn] = result
        return result

    def costs_by_unit(self):
        """Every cost of the profile by unit; the units' costs add up to the profile's total."""
        by_unit = defaultdict(lambda: [0.0] * len(self.p.events))
        for (fn, path, around), costs in self.p.self_cost.items():
            direct = self.unit(fn, path, around)
            targets = {direct: 1.0} if direct is not None else self.share(fn)
            for unit, part in targets.items():
                row = by_unit[unit]
                for i, c in enumerate(costs):
                    row[i] += c * part
        for i, total in enumerate(self.p.total):
            charged = sum(row[i] for row in by_unit.values())
            assert abs(charged - total) <= max(1.0, total * 1e-9), \
                f"charged {charged} of {total} {self.p.events[i]}"
        return by_unit

    def allocations_by_unit(self):
        """Calls into the allocator by the unit that asked (through library callers). A call
        made from the allocator shim inlined into a crate function counts for the crate file
        around it (else the function's own file): callgrind names only the innermost inlined
        file of a call site, the shim's."""
        counts = defaultdict(float)
        for caller, caller_file, around, callee, count, _costs in self.p.calls:
            if callee not in ALLOCATOR_ENTRIES or self.is_allocator(caller, self.p.home.get(caller)):
                continue
            direct = self.unit(caller, caller_file, around)
            if direct == "(allocator)" and self.is_crate_fn(caller):
                direct = around or self.crate_file(self.p.home[caller])
            targets = {direct: 1.0} if direct not in (None, "(allocator)") else self.share(caller)
            for unit, part in targets.items():
                counts[unit] += count * part
        return counts

    def self_by_function(self):
        """Each function's own cost (inlined code folded in), library functions included."""
        by_fn = defaultdict(lambda: [0] * len(self.p.events))
        for (fn, _path, _around), costs in self.p.self_cost.items():
            row = by_fn[fn]
            for i, c in enumerate(costs):
                row[i] += c
        return by_fn


def layer(unit):
    """`kv` for `kv/store.rs`; units in parentheses are their own layer."""
    if unit.startswith("("):
        return unit
    return unit.split("/")[0].removesuffix(".rs")


def analyse(src, summary_path, profile_path):
    with open(summary_path, encoding="utf-8") as f:
        summary = json.load(f)
    calls = summary["calls"]
    assert calls > 0, f"{summary_path}: no storage calls"
    profile = Profile(profile_path, src)
    attribution = Attribution(profile)
    by_unit = attribution.costs_by_unit()
    per_call = lambda v: v / calls
    events = profile.events
    units = {u: {e: per_call(row[i]) for i, e in enumerate(events)} for u, row in by_unit.items()}
    for unit, count in attribution.allocations_by_unit().items():
        units.setdefault(unit, {e: 0.0 for e in events})["allocations"] = per_call(count)
    layers = defaultdict(lambda: defaultdict(float))
    for unit, row in units.items():
        for event, value in row.items():
            layers[layer(unit)][event] += value
    functions = sorted(attribution.self_by_function().items(), key=lambda kv: -kv[1][0])
    return {
        "mode": summary["mode"],
        "calls": calls,
        "seeds": summary["seeds"],
        "events": events,
        "total_per_call": {e: per_call(t) for e, t in zip(events, profile.total)},
        "units": units,
        "layers": {k: dict(v) for k, v in layers.items()},
        "functions": [{"function": fn, **{e: per_call(c[i]) for i, e in enumerate(events)}}
                      for fn, c in functions[:60]],
    }


def fmt(value):
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.1f}"


def table(rows, headers):
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render(scenario, full, floor):
    events = [e for e in full["events"] if e in NAMED_EVENTS]
    out = [
        "# Where a storage call's cost goes",
        "",
        f"`scripts/profile.sh`: callgrind over `examples/bench_floor` on `{scenario}`, "
        f"{full['seeds']} seeds, the release build (with its profile-guided optimisation), the "
        f"full harness ({full['calls']:,} storage calls) and the floor, the same workload with "
        f"faults, checks and the trace off ({floor['calls']:,} calls). Figures are per storage "
        "call, start-up included. Costs are charged to the crate's source file that spent them: "
        "code inlined from a file counts for that file; a library function (memcmp, a B-tree "
        "search, `Rc::drop_slow`) counts for the crate code that called it, in proportion to "
        "each call site's share; the allocator (mimalloc) is a row of its own, and "
        "*allocations* counts the calls into it where the crate's code asked for memory. Events "
        "are callgrind's simulation (deterministic; this machine's cache sizes, a simple branch "
        "predictor), not the CPU's counters. Rows in parentheses: `(allocator)` is mimalloc "
        "and the crate's shim to it; `(library recursion)` is what recursive library calls "
        "(drops of nested shared values) spent where the outermost crate caller could not be "
        "told apart; `(start-up)` ran outside any crate code.",
        "",
        f"The full harness costs {fmt(full['total_per_call']['Ir'])} instructions per call and "
        f"the floor {fmt(floor['total_per_call']['Ir'])}: the harness's own share (faults, "
        "checks, trace) is the difference, "
        f"{fmt(full['total_per_call']['Ir'] - floor['total_per_call']['Ir'])}.",
        "",
        "## By layer",
        "",
    ]
    names = [NAMED_EVENTS[e] for e in events]
    rows = []
    layer_names = sorted(set(full["layers"]) | set(floor["layers"]),
                         key=lambda k: -full["layers"].get(k, {}).get("Ir", 0))
    for name in layer_names:
        f, g = full["layers"].get(name, {}), floor["layers"].get(name, {})
        rows.append([f"`{name}`", fmt(f.get("Ir", 0)), fmt(g.get("Ir", 0)),
                     fmt(f.get("allocations", 0)), fmt(g.get("allocations", 0))]
                    + [fmt(f.get(e, 0)) for e in events if e != "Ir"])
    rows.append(["**total**", fmt(full["total_per_call"]["Ir"]), fmt(floor["total_per_call"]["Ir"]),
                 fmt(sum(v.get("allocations", 0) for v in full["layers"].values())),
                 fmt(sum(v.get("allocations", 0) for v in floor["layers"].values()))]
                + [fmt(full["total_per_call"][e]) for e in events if e != "Ir"])
    out += table(rows, ["layer", "instructions (full)", "instructions (floor)",
                        "allocations (full)", "allocations (floor)"]
                 + [f"{n} (full)" for n in names[1:]])
    out += ["", f"## By source file (top {TOP_ROWS}, full harness)", ""]
    rows = []
    ranked = sorted(full["units"].items(), key=lambda kv: -kv[1].get("Ir", 0))[:TOP_ROWS]
    for unit, f in ranked:
        g = floor["units"].get(unit, {})
        rows.append([f"`{unit}`", fmt(f.get("Ir", 0)), fmt(g.get("Ir", 0)),
                     fmt(f.get("allocations", 0))]
                    + [fmt(f.get(e, 0)) for e in events if e != "Ir"])
    out += table(rows, ["file", "instructions (full)", "instructions (floor)", "allocations"]
                 + names[1:])
    out += ["", f"## Functions by their own cost (top {TOP_ROWS}, full harness, inlined code "
            "folded in)", ""]
    rows = [[f"`{f['function'][:110]}`", fmt(f["Ir"])]
            + [fmt(f.get(e, 0)) for e in events if e != "Ir"]
            for f in full["functions"][:TOP_ROWS]]
    out += table(rows, ["function", "instructions"] + names[1:])
    return "\n".join(out) + "\n"


def rounded(value):
    """`value` with every float rounded to two decimals (per-call figures; the JSON stays small
    and a diff between two profiles shows only what moved)."""
    if isinstance(value, float):
        return round(value, 2)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return value


def main():
    if len(sys.argv) != 7:
        print(__doc__.split("\n\n")[-1], file=sys.stderr)
        sys.exit(2)
    src, scenario, full_json, full_cg, floor_json, floor_cg = sys.argv[1:]
    try:
        full = analyse(src, full_json, full_cg)
        floor = analyse(src, floor_json, floor_cg)
    except (OSError, ValueError, KeyError) as error:
        sys.exit(f"profile: cannot read a run: {error}")
    if (full["mode"], floor["mode"]) != ("full", "floor"):
        sys.exit(f"profile: expected a full and a floor run, got {full['mode']} and {floor['mode']}")
    os.makedirs("results", exist_ok=True)
    with open("results/profile.json", "w", encoding="utf-8") as f:
        json.dump(rounded({"scenario": scenario, "full": full, "floor": floor}), f, indent=1)
        f.write("\n")
    page = render(scenario, full, floor)
    with open("results/PROFILE.md", "w", encoding="utf-8") as f:
        f.write(page)
    print("\n".join(page.split("\n")[:40]))


if __name__ == "__main__":
    main()
