#!/usr/bin/env python3
"""Atomics benchmarks across languages (issue 7), stdlib only.

    run.py [--build DIR] [--dist DIR] [--work DIR] [--json FILE] [--quick]

In one run:
- the C baselines (bench/atomics/futex_pingpong.c, built by CMake as
  <build>/bench/atomics/futex-pingpong): a raw FUTEX_WAIT/FUTEX_WAKE
  ping-pong between two processes, the same through mmk_wait_u32/mmk_wake,
  and uncontended fetch-add (raw __atomic vs mmk_atomic_fetch_add_u64);
- a wait/wake ping-pong between two processes for each language pair
  (Python<->Java, Java<->.NET, .NET<->Python), microseconds per round trip,
  median of --repeat runs, as a ratio to the C raw-futex round trip;
- uncontended fetch-add ns/op in each language through mmapkit against that
  language's own baseline in the same process (Java: a VarHandle on a
  MappedByteBuffer; .NET: Interlocked.Add on the view's raw pointer; Python:
  a struct read-modify-write under a threading.Lock on mmap.mmap).

The packages are installed from dist/ exactly as tests/atomics/run_cross.py
does (same code, same cache directory layout). Prints a markdown table; with
--json FILE also writes everything as JSON. A benchmark, not a test: nothing
here asserts a speed (targets are printed next to the figures).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(REPO, "tests", "atomics"))
import run_cross as rc  # noqa: E402  (the installer and worker plumbing)

PAIRS = [("python", "java"), ("java", "dotnet"), ("dotnet", "python")]
NAMES = {"python": "Python", "java": "Java", "dotnet": ".NET", "c": "C"}


PLACEMENTS = {  # name -> (CPU of side a / the C parent, CPU of side b / child)
    "unpinned": None,
    "cross-cpu": (0, 1),
    "same-cpu": (0, 0),
}


def c_run(exe, args):
    with tempfile.NamedTemporaryFile(suffix=".json") as t:
        subprocess.run([exe] + [str(x) for x in args] + ["--json", t.name],
                       check=True, stdout=subprocess.DEVNULL)
        with open(t.name) as f:
            return {r["name"]: r for r in json.load(f)["results"]}


def pingpong_once(inst, a, b, warm, rounds, cpus, tag):
    cmds = inst.need([a, b])
    ca, cb = cpus if cpus else (None, None)
    with rc.region(inst, tag) as name:
        wb = rc.Worker(b, cmds[b], ["pingpong", name, "b", warm, rounds], cpu=cb)
        wa = rc.Worker(a, cmds[a], ["pingpong", name, "a", warm, rounds], cpu=ca)
        ra, _ = rc.run_all([wa, wb], timeout=120)
    return ra["us_per_round_trip"]


def fetch_add(inst, lang, ops, repeat):
    cmd = inst.need([lang])[lang]
    with rc.region(inst, f"add-{lang}", size=4096) as name:
        return rc.run_all([rc.Worker(lang, cmd, ["bench-add", name, ops, repeat])],
                          timeout=300)[0]


def summary(samples):
    return {"median": statistics.median(samples), "min": min(samples),
            "max": max(samples), "samples": samples}


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(REPO, "build"),
                   help="CMake build dir holding bench/atomics/futex-pingpong")
    p.add_argument("--c-bench", help="path of futex-pingpong (overrides --build)")
    p.add_argument("--dist", default=os.path.join(REPO, "dist"))
    p.add_argument("--work", default=None,
                   help="install cache (default <build>/tests/atomics/work)")
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--java-home", default=os.environ.get("JAVA_HOME"))
    p.add_argument("--dotnet", default=None)
    p.add_argument("--placement", action="append", choices=sorted(PLACEMENTS),
                   help="CPU placements of the two ping-pong processes "
                        "(default: all three)")
    p.add_argument("--json", help="write the results here")
    p.add_argument("--quick", action="store_true", help="fewer rounds and repeats")
    a = p.parse_args()

    # The warm-up is long on purpose: the JVM and .NET compile the ping-pong
    # loop in background threads, which on a shared CPU compete with the
    # round trips; after 1,000-2,000 warm-up rounds Java<->.NET measured
    # 8-12 us on one CPU, after 30,000 3.5 us (C: 2.8).
    rounds, warm, repeat = (2000, 20000, 3) if a.quick else (5000, 30000, 5)
    add_ops = {"python": 100000 if a.quick else 300000,
               "java": 2000000 if a.quick else 10000000,
               "dotnet": 2000000 if a.quick else 10000000}
    placements = a.placement or list(PLACEMENTS)
    if os.cpu_count() < 2:
        placements = [x for x in placements if x != "cross-cpu"]
    inst = rc.Installer(argparse.Namespace(
        dist=a.dist, build_dir=a.work or os.path.join(a.build, "tests", "atomics", "work"),
        python=a.python, java_home=a.java_home, dotnet=a.dotnet))
    exe = a.c_bench or os.path.join(a.build, "bench", "atomics", "futex-pingpong")
    have_c = os.access(exe, os.X_OK)
    out = {"machine": {"cpus": os.cpu_count(), "uname": " ".join(os.uname())},
           "rounds": rounds, "warmup": warm, "repeat": repeat,
           "pingpong": {}, "c_fetch_add": {}, "fetch_add": [], "skipped": []}
    if not have_c:
        out["skipped"].append(f"C baselines: {exe} not built")
    pairs = []
    for x, y in PAIRS:
        try:
            inst.need([x, y])
            pairs.append((x, y))
        except rc.Skip as e:
            out["skipped"].append(f"ping-pong {x}<->{y}: {e}")

    # Ping-pong: the C baselines and every pair take turns within each
    # repetition, so a change in the machine's load hits them all alike.
    for place in placements:
        cpus = PLACEMENTS[place]
        samples = {}
        for k in range(repeat):
            if have_c:
                args = ["--rounds", rounds, "--repeat", 1, "--pingpong-only"]
                if cpus:
                    args += ["--cpus", f"{cpus[0]},{cpus[1]}"]
                for name, r in c_run(exe, args).items():
                    samples.setdefault(name, []).append(r["median"])
            for x, y in pairs:
                samples.setdefault(f"{x}<->{y}", []).append(
                    pingpong_once(inst, x, y, warm, rounds, cpus, f"pp-{x}-{y}"))
        out["pingpong"][place] = {n: summary(v) for n, v in samples.items()}

    if have_c:
        out["c_fetch_add"] = c_run(exe, ["--repeat", repeat, "--rounds", 10])
        out["c_fetch_add"] = {k: v for k, v in out["c_fetch_add"].items()
                              if "fetch_add" in k}
    for lang in rc.LANGS:
        try:
            r = fetch_add(inst, lang, add_ops[lang], repeat)
        except rc.Skip as e:
            out["skipped"].append(f"fetch-add {lang}: {e}")
            continue
        r["ratio"] = r["mmapkit_ns"] / r["baseline_ns"]
        out["fetch_add"].append(r)

    lines = [f"Ping-pong through wait/wake between two processes, us per round trip "
             f"(median of {repeat} runs of {rounds} round trips, min-max in brackets; "
             "ratio to the C raw-futex round trip measured in the same runs):", "",
             "| pair | " + " | ".join(placements) + " |",
             "|---|" + "---|" * len(placements)]
    rows = (["c_futex_pingpong", "c_mmk_pingpong"] if have_c else []) + \
        [f"{x}<->{y}" for x, y in pairs]
    label = {"c_futex_pingpong": "C raw futex (baseline)",
             "c_mmk_pingpong": "C mmk_wait_u32/mmk_wake"}
    for row in rows:
        cells = []
        for place in placements:
            s_ = out["pingpong"][place][row]
            cell = f"{s_['median']:.1f} [{s_['min']:.1f}-{s_['max']:.1f}]"
            base = out["pingpong"][place].get("c_futex_pingpong")
            if base and row != "c_futex_pingpong":
                cell += f" = {s_['median'] / base['median']:.2f}x"
            cells.append(cell)
        x, _, y = row.partition("<->")
        name = label.get(row) or f"{NAMES[x]}<->{NAMES[y]}"
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Uncontended fetch-add, ns per operation (median of "
              f"{repeat} runs; baseline measured in the same process):", "",
              "| language | mmapkit | own baseline | baseline | ratio | target |",
              "|---|---|---|---|---|---|"]
    cf = out["c_fetch_add"]
    if "c_mmk_fetch_add" in cf:
        m, b = cf["c_mmk_fetch_add"]["median"], cf["c_atomic_fetch_add"]["median"]
        lines.append(f"| C | {m:.1f} | {b:.1f} | __atomic_fetch_add on the mapping | "
                     f"{m / b:.2f}x | - |")
    for r in out["fetch_add"]:
        target = "<= 1.1x" if r["lang"] in ("java", "dotnet") else "-"
        lines.append(f"| {NAMES[r['lang']]}{r.get('form', '')} | {r['mmapkit_ns']:.1f} | "
                     f"{r['baseline_ns']:.1f} | {r['baseline']} | {r['ratio']:.2f}x | {target} |")
        # .NET also reports its hoisted form (ViewAtomics in a local).
        if "mmapkit_hoisted_ns" in r:
            lines.append(f"| {NAMES[r['lang']]}{r['hoisted_form']} | {r['mmapkit_hoisted_ns']:.1f} | "
                         f"{r['baseline_ns']:.1f} | {r['baseline']} | "
                         f"{r['mmapkit_hoisted_ns'] / r['baseline_ns']:.2f}x | {target} |")
    print("\n".join(lines))
    for s_ in out["skipped"]:
        print(f"skipped: {s_}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
