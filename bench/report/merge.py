#!/usr/bin/env python3
"""Merges the per-language benchmark JSON files into bench/results/.

    merge.py --in DIR --out DIR [--status FILE]

DIR holds limits.json (bench/report/limits.c), c.json, python.json,
java.json, java_next.json (the same on a JDK 24+) and dotnet.json, each written by that language's bench program
with --json. status.json (written by scripts/bench.sh) says, per suite,
whether it ran, was missing, or failed, and why.

The readers are tolerant on purpose: each suite's program owns its JSON
layout, so rows are found by shape, not by a fixed schema. A row is any
object with a numeric value ("value", "mean", "median", ...) and a name
("name", "benchmark", "case", ...); the implementation comes from "impl",
"library", "variant"... or from the name itself. Rows measured in a unit of
time are "lower is better"; rows in GB/s, MB/s or ops/s are "higher is
better". A speed ratio > 1 always means mmapkit is faster.

Writes latest.json (everything: raw rows, ratios, suite status,
environment), latest.md (tables) and chart.svg (bars of the ratios).
Standard library only.
"""
import argparse
import datetime
import html
import json
import os
import platform
import re
import subprocess
import sys

SUITES = [
    ("limits", "C limits"),
    ("c", "C"),
    ("python", "Python"),
    ("java", "Java"),
    ("java_next", "Java, JDK 24+"),
    ("dotnet", ".NET"),
]
COLORS = {"c": "#555555", "python": "#3572A5", "java": "#b07219", "java_next": "#e0a060",
          "dotnet": "#178600"}

VALUE_KEYS = ("value", "median", "mean", "avg", "result", "score", "gbps", "gb_s",
              "ns_per_op", "ns", "us", "ms", "seconds", "time", "throughput")
NAME_KEYS = ("name", "benchmark", "bench", "case", "test", "op", "operation", "metric", "what")
IMPL_KEYS = ("impl", "implementation", "library", "lib", "variant", "api", "tool",
             "subject", "who", "engine", "against")
UNIT_KEYS = ("unit", "units")
MMAPKIT_RE = re.compile(r"mmapkit|\bmmk\b", re.I)
# Container keys that name no implementation.
GENERIC_KEYS = {"results", "benchmarks", "rows", "data", "programs", "measurements", "cases",
                "items", "bench", "suite"}
# Suites that name both sides in the row name (the C benchmarks): ours, the
# peer's name built from ours' groups, and the benchmark label.
NAME_PAIRS = [
    (r"^guarded copy (.+?) \(mmk_view_read\)$", "memcpy {0} from the same mapping",
     "copy {0} out of a mapping", "mmk_view_read", "memcpy"),
    (r"^mmk_map \+ mmk_view_close, (\S+ \S+)( at offset \d+)?$", "raw mmap + munmap, {0}",
     "map + unmap {0}{1}", "mmk_map + mmk_view_close", "raw mmap + munmap"),
    (r"^first touch, MMK_MAP_POPULATE$", "first touch, no populate",
     "first touch (populate vs not)", "MMK_MAP_POPULATE", "no populate"),
    (r"^anon first write touch, MMK_MAP_POPULATE$", "anon first write touch, no populate",
     "anon first write (populate vs not)", "MMK_MAP_POPULATE", "no populate"),
]
# Numeric fields of a "wide" row that are not measurements.
META_KEYS = {"ratio", "n", "reps", "rounds", "cycles", "count", "iterations", "size",
             "bytes", "threads", "target", "speedup"}

THROUGHPUT_UNITS = re.compile(r"(gb|gib|mb|mib|kb|kib)/s|ops/s|op/s|/s$|per sec|x$|ratio", re.I)
TIME_UNITS = re.compile(r"^(ns|us|µs|μs|ms|s|sec|seconds?)(/op|/cycle|/iter|/call| per op)?$|ns/|us/|µs/|ms/", re.I)


def higher_is_better(unit, key):
    u = (unit or "").strip()
    if u and THROUGHPUT_UNITS.search(u):
        return True
    if u and TIME_UNITS.search(u):
        return False
    k = (key or "").lower()
    if k in ("gbps", "gb_s", "throughput", "score"):
        return True
    if k in ("ns_per_op", "ns", "us", "ms", "seconds", "time"):
        return False
    return None  # unknown: no ratio


def unit_from_key(key):
    return {"gbps": "GB/s", "gb_s": "GB/s", "ns_per_op": "ns/op", "ns": "ns", "us": "us",
            "ms": "ms", "seconds": "s", "time": "s"}.get(key.lower(), "")


def find_rows(node, context=None, out=None):
    """Depth-first search for row-shaped objects. context carries names of
    enclosing keys (e.g. {"scan": {"mmapkit": 3.1, "mmap": 3.0}})."""
    if out is None:
        out = []
    context = context or []
    if isinstance(node, dict):
        vkey = next((k for k in node if k.lower() in VALUE_KEYS
                     and isinstance(node[k], (int, float)) and not isinstance(node[k], bool)), None)
        nkey = next((k for k in node if k.lower() in NAME_KEYS and isinstance(node[k], str)), None)
        if vkey is not None and (nkey is not None or context):
            ikey = next((k for k in node if k.lower() in IMPL_KEYS and isinstance(node[k], str)), None)
            ukey = next((k for k in node if k.lower() in UNIT_KEYS and isinstance(node[k], str)), None)
            name = node[nkey] if nkey else context[-1]
            ctx_impl = context[-1] if nkey and context else ""
            if ctx_impl.lower() in GENERIC_KEYS:
                ctx_impl = ""
            impl = node[ikey] if ikey else ctx_impl
            unit = node[ukey] if ukey else unit_from_key(vkey)
            extra = {k: v for k, v in node.items()
                     if k not in (vkey, nkey, ikey, ukey) and isinstance(v, (str, int, float, bool))}
            out.append({"name": str(name), "impl": str(impl), "value": float(node[vkey]),
                        "unit": unit, "higher_is_better": higher_is_better(unit, vkey),
                        "extra": extra})
            return out
        nums = {k: v for k, v in node.items()
                if isinstance(v, (int, float)) and not isinstance(v, bool)
                and k.lower() not in META_KEYS}
        # A wide row: {"name": ..., "unit": ..., "mmapkit": 2.6, "mapped_byte_buffer": 3.0}
        if nkey is not None and len(nums) >= 2 and any(MMAPKIT_RE.search(k) for k in nums):
            ukey = next((k for k in node if k.lower() in UNIT_KEYS and isinstance(node[k], str)), None)
            unit = node[ukey] if ukey else ""
            for k, v in nums.items():
                out.append({"name": node[nkey], "impl": k, "value": float(v), "unit": unit,
                            "higher_is_better": higher_is_better(unit, ""), "extra": {}})
            return out
        # {"impl": number} maps under a benchmark name
        if context and nums and len(nums) == len(node) and len(nums) >= 2 \
                and any(MMAPKIT_RE.search(k) for k in nums):
            unit = ""
            for k, v in nums.items():
                out.append({"name": context[-1], "impl": k, "value": float(v), "unit": unit,
                            "higher_is_better": None, "extra": {}})
            return out
        for k, v in node.items():
            if isinstance(v, (dict, list)):
                find_rows(v, context + [k], out)
    elif isinstance(node, list):
        for v in node:
            find_rows(v, context, out)
    return out


def split_impl(row):
    """Returns (benchmark, impl). When a suite puts the implementation in
    the name ("scan: mmapkit", "mmap / random 8B"), split it off."""
    name, impl = row["name"], row["impl"]
    if impl:
        return name, impl
    for sep in (" | ", ": ", " / ", " - ", " vs "):
        if sep in name:
            a, b = name.split(sep, 1)
            if MMAPKIT_RE.search(a) or len(a) < len(b):
                return b.strip(), a.strip()
            return a.strip(), b.strip()
    m = re.match(r"(.*?)\s*\((.*?)\)\s*$", name)
    if m:
        return m.group(1), m.group(2)
    return name, ""


def speed(row):
    if row["higher_is_better"] is True:
        return row["value"]
    if row["higher_is_better"] is False:
        return 1.0 / row["value"] if row["value"] > 0 else None
    return None


def ratios_for_suite(rows):
    """Per benchmark: mmapkit's speed over each peer's (same run)."""
    out = []
    paired = set()
    # Rows naming both sides in the name (NAME_PAIRS), matched on the raw name.
    for i, r in enumerate(rows):
        if r["impl"]:
            continue
        for ours_re, peer_fmt, label_fmt, ours_name, peer_name in NAME_PAIRS:
            m = re.match(ours_re, r["name"])
            if not m:
                continue
            g = [x or "" for x in m.groups()]
            j = next((j for j, p in enumerate(rows) if p["name"] == peer_fmt.format(*g)
                      and p["extra"].get("state") == r["extra"].get("state")), None)
            if j is None:
                continue
            peer = rows[j]
            paired.update((i, j))
            r["bench"], r["impl"] = r["name"], ours_name
            peer["bench"], peer["impl"] = peer["name"], peer_name
            so, sp = speed(r), speed(peer)
            if so and sp and r["unit"] == peer["unit"]:
                state = r["extra"].get("state", "")
                out.append({"bench": label_fmt.format(*g) + (f" [{state}]" if state else ""),
                            "mmapkit": ours_name, "peer": peer_name, "ratio": so / sp,
                            "mmapkit_value": r["value"], "peer_value": peer["value"],
                            "unit": r["unit"]})
    groups = {}
    for i, r in enumerate(rows):
        if i in paired:
            continue
        bench, impl = split_impl(r)
        r["bench"], r["impl"] = bench, impl
        groups.setdefault(bench, []).append(r)
    for bench, rs in groups.items():
        ours = [r for r in rs if MMAPKIT_RE.search(r["impl"] or "")]
        peers = [r for r in rs if r not in ours]
        for o in ours:
            for p in peers:
                if o["unit"] and p["unit"] and o["unit"] != p["unit"]:
                    continue
                so, sp = speed(o), speed(p)
                if so is None or sp is None or sp == 0:
                    continue
                out.append({"bench": bench, "mmapkit": o["impl"], "peer": p["impl"],
                            "ratio": so / sp, "mmapkit_value": o["value"],
                            "peer_value": p["value"], "unit": o["unit"]})
    return out


# The limit classes limits.c writes ("class" in each row), and the names an
# older limits.json used for them.
OLD_LIMIT_NAMES = {
    "scan/memory": ("mapped scan (vector loads)", "mapped scan (8-byte loads)"),
    "copy/cache": ("memcpy 1 MiB",),
    "copy/memory": ("memcpy large",),
}
CACHE_SIZED_RE = re.compile(r"hot set|in cache|cache[- ]resident|\bL[12]\b|same \d+ [KM]iB", re.I)
# Implementations that copy into a buffer of their own before reading it:
# in a scan benchmark they are not zero-copy scans.
COPYING_IMPL_RE = re.compile(r"readarray|read_into|readinto|copyto|\bcopy\b", re.I)


def limit_class(row):
    """The limit class a language row is bounded by, or None: "scan/memory"
    or "scan/cache" for a zero-copy scan (the data read where it is mapped),
    "copy/out", "copy/cache" or "copy/memory" for a copy. Cache-sized only
    when the row says so (its name or its state); all scans in the suites
    today read 64 MiB or more."""
    bench = row.get("bench", row["name"])
    b = bench.lower()
    impl = row.get("impl", "") or ""
    text = " ".join([bench, str(row["extra"].get("state", "")), str(row["extra"].get("note", ""))])
    if "first touch" in b or "first-touch" in b or "populate" in b or "fault" in b:
        return None  # state-dependent: reported in its own table
    cache = bool(CACHE_SIZED_RE.search(text))
    # Copies first: "scan, slices (copy 1 MiB)" is bounded by memcpy, not by a load loop.
    if re.search(r"bulk|cop(y|ies)|memcpy|read_into|readbytes|read\(2\)", b):
        if cache:
            return "copy/cache"
        if re.search(r"memory bandwidth|dram", text + " " + impl, re.I) or \
                re.match(r"memcpy \d+ [MG]iB", b):
            return "copy/memory"
        return "copy/out"
    if re.search(r"scan|sequential|\bsum\b|\.sum\(|byte-at-a-time", b):
        if COPYING_IMPL_RE.search(impl):
            return None
        return "scan/cache" if cache else "scan/memory"
    return None


def limit_for(row, limits):
    """The C limit row a language row is bounded by, if any."""
    cls = limit_class(row)
    if cls is None:
        return None
    lim = next((r for r in limits if r["extra"].get("class") == cls), None)
    if lim is None:
        lim = next((r for n in OLD_LIMIT_NAMES.get(cls, ()) for r in limits if r["name"] == n), None)
    return lim


def environment():
    env = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "kernel": platform.release(), "machine": platform.machine(),
           "cpus": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    env["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            env["thp"] = f.read().strip()
    except OSError:
        pass
    if os.environ.get("GLIBC_TUNABLES"):
        env["glibc_tunables"] = os.environ["GLIBC_TUNABLES"]
    try:
        env["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                                       capture_output=True, text=True,
                                       cwd=os.path.dirname(os.path.abspath(__file__))
                                       ).stdout.strip() or "uncommitted"
    except OSError:
        pass
    return env


def fmt(v):
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def write_svg(path, bars):
    """bars: list of (label, ratio, suite). Horizontal bars on a log2 scale,
    growing right of the 1.0 line when mmapkit is faster, left when slower."""
    import math
    row_h, left, width = 22, 430, 460
    top = 50
    height = top + row_h * max(len(bars), 1) + 44
    lo = 1 / 4
    hi = min(64.0, max([4.0] + [b[1] * 1.3 for b in bars]))
    lo = max(1 / 64, min([lo] + [b[1] / 1.3 for b in bars]))

    def x(r):
        r = min(max(r, lo), hi)
        return left + width * (math.log2(r) - math.log2(lo)) / (math.log2(hi) - math.log2(lo))

    x1 = x(1.0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 70}" '
             f'height="{height}" font-family="sans-serif" font-size="12">',
             '<rect width="100%" height="100%" fill="white"/>',
             '<text x="10" y="20" font-size="15" font-weight="bold">mmapkit speed / peer speed, '
             'same run (log scale; right of 1.0 = mmapkit faster)</text>']
    # grid at powers of two
    k = math.ceil(math.log2(lo))
    while 2.0 ** k <= hi:
        gx = x(2.0 ** k)
        label = f"{2.0 ** k:g}×" if k >= 0 else f"1/{2 ** -k:g}"
        parts.append(f'<line x1="{gx:.1f}" y1="{top - 4}" x2="{gx:.1f}" '
                     f'y2="{top + row_h * len(bars)}" stroke="#ddd"/>')
        parts.append(f'<text x="{gx:.1f}" y="{top - 8}" text-anchor="middle" fill="#666">{label}</text>')
        k += 1
    for i, (label, ratio, suite) in enumerate(bars):
        y = top + i * row_h
        xr = x(ratio)
        bx, bw = (x1, xr - x1) if xr >= x1 else (xr, x1 - xr)
        parts.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{html.escape(label)}</text>')
        parts.append(f'<rect x="{bx:.1f}" y="{y + 3}" width="{max(bw, 1.0):.1f}" height="{row_h - 6}" '
                     f'fill="{COLORS.get(suite, "#888")}"/>')
        tx = (xr + 4) if xr >= x1 else (xr - 4)
        anchor = "start" if xr >= x1 else "end"
        if xr < x1 and tx - 40 < left:
            tx, anchor = x1 + 4, "start"
        parts.append(f'<text x="{tx:.1f}" y="{y + 15}" text-anchor="{anchor}">{ratio:.2f}×</text>')
    parts.append(f'<line x1="{x1:.1f}" y1="{top - 4}" x2="{x1:.1f}" '
                 f'y2="{top + row_h * len(bars)}" stroke="red" stroke-width="1.5"/>')
    lx = 10
    ly = height - 14
    for suite, label in SUITES[1:]:
        parts.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" fill="{COLORS[suite]}"/>')
        parts.append(f'<text x="{lx + 16}" y="{ly}">{label}</text>')
        lx += 40 + 7 * len(label)
    if not bars:
        parts.append(f'<text x="{left}" y="{top + 15}">no ratios yet (no language benchmark ran)</text>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--in", dest="inp", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--status")
    a = ap.parse_args()
    status = {}
    if a.status and os.path.exists(a.status):
        with open(a.status) as f:
            status = json.load(f)

    data = {"environment": environment(), "suites": {}}
    limits = []
    for key, label in SUITES:
        p = os.path.join(a.inp, key + ".json")
        st = status.get(key, {})
        entry = {"label": label, "status": st.get("status", "missing"),
                 "detail": st.get("detail", ""), "rows": [], "ratios": []}
        if os.path.exists(p):
            try:
                with open(p) as f:
                    raw = json.load(f)
                entry["raw"] = raw
                entry["rows"] = find_rows(raw)
                if entry["status"] == "missing":
                    entry["status"] = "ok"
                if not entry["rows"]:
                    entry["detail"] = (entry["detail"] + "; " if entry["detail"] else "") + \
                        "JSON had no recognisable rows (kept raw)"
            except (OSError, ValueError) as e:
                entry["status"] = "failed"
                entry["detail"] = f"unreadable JSON: {e}"
        if key == "limits":
            limits = entry["rows"]
        else:
            entry["ratios"] = ratios_for_suite(entry["rows"])
            # Every throughput row with a limit, whoever's it is: mmapkit's
            # and its peers' alike, so the fractions compare across languages.
            for r in entry["rows"]:
                lim = limit_for(r, limits)
                if lim and lim["value"] > 0 and r["higher_is_better"] and \
                        r["unit"].lower() in ("gb/s", "gib/s"):
                    val = r["value"] * (1.073741824 if r["unit"].lower() == "gib/s" else 1.0)
                    r["limit"] = lim["name"]
                    r["fraction"] = val / lim["value"]
                    entry.setdefault("vs_limit", []).append(
                        {"bench": r["bench"], "impl": r["impl"], "value_gbps": val,
                         "limit": lim["name"], "limit_class": lim["extra"].get("class", ""),
                         "limit_gbps": lim["value"], "fraction": val / lim["value"]})
        data["suites"][key] = entry

    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "latest.json"), "w") as f:
        json.dump(data, f, indent=1, sort_keys=False, default=str)

    env = data["environment"]
    md = ["# mmapkit benchmark report", "",
          f"{env['date']} · {env.get('cpu', env['machine'])} · {env['cpus']} CPUs · "
          f"Linux {env['kernel']} · THP `{env.get('thp', '?')}` · commit {env.get('commit', '?')}"
          + (f" · `GLIBC_TUNABLES={env['glibc_tunables']}`" if env.get("glibc_tunables") else ""),
          "", "Generated by `scripts/bench.sh`. A **speed ratio** is mmapkit's speed over the "
          "peer's, measured in the same run (throughput ÷ throughput, or time⁻¹ ÷ time⁻¹): "
          "**> 1 means mmapkit is faster**. Raw numbers: `latest.json`.", "",
          "## Suites", "", "| suite | status | rows | detail |", "|---|---|---:|---|"]
    for key, label in SUITES:
        e = data["suites"][key]
        md.append(f"| {label} | {e['status']} | {len(e['rows'])} | {e['detail'] or ''} |")

    md += ["", "## mmapkit against its peers (speed ratio)", ""]
    bars = []
    any_ratio = False
    for key, label in SUITES[1:]:
        e = data["suites"][key]
        if not e["ratios"]:
            continue
        any_ratio = True
        md += [f"### {label}", "", "| benchmark | mmapkit | peer | mmapkit | peer | ratio |",
               "|---|---|---|---:|---:|---:|"]
        for r in e["ratios"]:
            md.append(f"| {r['bench']} | {r['mmapkit']} | {r['peer']} | {fmt(r['mmapkit_value'])} "
                      f"{r['unit']} | {fmt(r['peer_value'])} {r['unit']} | **{r['ratio']:.2f}×** |")
            bars.append((f"{label}: {r['bench']} vs {r['peer']}"[:64], r["ratio"], key))
        md.append("")
    if not any_ratio:
        md += ["No language benchmark produced comparable rows in this run.", ""]

    scan_lim = next((r for r in limits if r["extra"].get("class") == "scan/memory"), None)
    md += ["## The machine's limits", "",
           "Measured in the same run by `bench/report/limits.c`, one table. Bandwidth limits "
           "are the best 32 MiB piece of several rounds, not a median: a limit is what the "
           "machine can do, and other load on a shared machine only lowers a figure. The "
           "**scan limit** is the single-thread read scan with the widest vector loads the "
           "CPU has (AVX-512, AVX2 and SSE2 take turns; the best counts), over the warm "
           "memory-sized mapping (`scan/memory`) or a buffer half the size of L2 "
           "(`scan/cache`); the all-cores scan is not a single-thread bound and no row is "
           "compared to it. First touch depends on the page-cache state by up to 10×, so it "
           "is measured under three controlled states of the benchmark's own file (only "
           "that file is evicted, with `posix_fadvise(DONTNEED)`; the rest of the cache is "
           "left alone): **cold** (evicted: faults read the device), **written** (just "
           "written with write(2): small folios), **reread** (evicted then read back: "
           "readahead's large folios).", "",
           "| limit | class | value | note |", "|---|---|---:|---|"]
    for r in limits:
        md.append(f"| {r['name']} | {r['extra'].get('class', '') or '–'} | "
                  f"{fmt(r['value'])} {r['unit']} | {r['extra'].get('note', '')} |")
    if not limits:
        md.append("| – | – | – | limits did not run |")

    touch = [(label, r) for key, label in SUITES[1:] for r in data["suites"][key]["rows"]
             if re.search(r"first.touch|populate|first (read|write|pass)", r["name"], re.I)]
    if touch:
        md += ["", "First-touch rows of the language suites, with the page-cache state each "
               "program set up and reported:", "", "| suite | benchmark | impl | value | state |",
               "|---|---|---|---:|---|"]
        for label, r in touch:
            md.append(f"| {label} | {r['name']} | {r['impl']} | {fmt(r['value'])} {r['unit']} | "
                      f"{r['extra'].get('state', r['extra'].get('note', 'not reported'))} |")

    md += ["", "## Against the machine's limits", "",
           "Every zero-copy scan of every language (mmapkit's and its peers') as a fraction "
           "of the single-thread scan limit of its buffer class, then every copy as a "
           "fraction of the memcpy limit of its class (`copy/out`: a memory-sized mapping "
           "copied chunk by chunk into one small buffer). GiB/s rows are converted to GB/s. "
           "Scans that copy into a buffer of their own first (`ReadArray`) are not "
           "zero-copy and get no fraction.", "",
           "| suite | benchmark | impl | GB/s | limit | limit GB/s | fraction |",
           "|---|---|---|---:|---|---:|---:|"]
    n_lim = 0
    for kind in ("scan", "copy"):
        for key, label in SUITES[1:]:
            for r in data["suites"][key].get("vs_limit", []):
                cls = r["limit_class"] or ("scan" if "scan" in r["limit"] else "copy")
                if cls.split("/")[0] != kind:
                    continue
                n_lim += 1
                md.append(f"| {label} | {r['bench']} | {r['impl']} | {fmt(r['value_gbps'])} | "
                          f"{r['limit']} | {fmt(r['limit_gbps'])} | **{r['fraction']:.2f}** |")
    if not n_lim:
        md.append("| – | no throughput rows to compare | | | | | |")
    if scan_lim:
        md += ["", f"Scan limit in this run: {fmt(scan_lim['value'])} GB/s ({scan_lim['name']}). "
               "The language suites time whole passes, so on a shared machine part of a low "
               "fraction can be other load, not the API."]

    md += ["", "## All rows", ""]
    for key, label in SUITES[1:]:
        e = data["suites"][key]
        if not e["rows"]:
            continue
        md += [f"### {label}", "",
               "| benchmark | impl | value | unit | of limit | state / note |",
               "|---|---|---:|---|---:|---|"]
        for r in e["rows"]:
            note = r["extra"].get("state", r["extra"].get("note", ""))
            frac = f"{r['fraction']:.2f}" if "fraction" in r else ""
            md.append(f"| {r.get('bench', r['name'])} | {r['impl']} | {fmt(r['value'])} | "
                      f"{r['unit']} | {frac} | {note} |")
        md.append("")
    md += ["", "![speed ratios](chart.svg)", ""]
    with open(os.path.join(a.out, "latest.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    write_svg(os.path.join(a.out, "chart.svg"), bars)
    print(f"bench: wrote {a.out}/latest.md, latest.json, chart.svg "
          f"({sum(len(data['suites'][k]['ratios']) for k, _ in SUITES[1:])} ratios)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
