#!/usr/bin/env python3
"""Cross-language atomics and wait/wake tests (issue 7), stdlib only.

    run_cross.py [--dist DIR] [--build-dir DIR] [--scenario NAME ...]
                 [--setup-only] [--list]

Installs each package from dist/ the way a user would, once per build
directory (re-done only when the package or a worker source changes):
  python  a venv with the wheel (pip --no-index);
  java    AtomicsWorker.java compiled with javac against the jar alone,
          run with java -cp <jar>:<classes>;
  dotnet  the console project dotnet/AtomicsWorker.csproj built against the
          nupkg from a local source (a folder holding only that nupkg, plus
          /opt/nuget/packages), NUGET_PACKAGES under the build directory.
Then runs the scenarios (shared layouts: LAYOUT.md) in separate processes
and exits 1 on any failure, 77 (CTest's SKIP_RETURN_CODE) when a scenario
needs a language whose package is missing from dist/ or lacks the atomics,
after printing why.
"""
import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SKIP = 77
M64 = (1 << 64) - 1
LANGS = ("python", "java", "dotnet")


class Skip(Exception):
    pass


class Failure(Exception):
    pass


def log(msg):
    print(msg, flush=True)


def sha256(*paths):
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def run(cmd, env=None, cwd=None):
    r = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise Failure(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}")
    return r.stdout


def find_one(dist, prefix, suffix, *parts):
    names = sorted(n for n in os.listdir(dist) if n.startswith(prefix) and n.endswith(suffix)
                   and all(p in n for p in parts)) if os.path.isdir(dist) else []
    names = [n for n in names if not n.endswith(("-sources.jar", "-javadoc.jar"))]
    return os.path.join(dist, names[-1]) if names else None


# ---- installation, once per build directory -----------------------------

class Installer:
    """Installs the languages on demand; knows each one's worker command."""

    def __init__(self, args):
        self.dist = os.path.abspath(args.dist)
        self.work = os.path.abspath(args.build_dir)
        self.python = args.python
        self.java_home = args.java_home
        self.dotnet = args.dotnet or shutil.which("dotnet")
        self.cmds = {}
        self.missing = {}
        os.makedirs(self.work, exist_ok=True)

    @contextlib.contextmanager
    def locked(self):
        # ctest -j may start several scenarios at once: one installs at a time.
        with open(os.path.join(self.work, ".lock"), "w") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            yield

    def stamp_ok(self, lang, digest):
        p = os.path.join(self.work, lang + ".stamp")
        return os.path.exists(p) and open(p).read() == digest

    def stamp(self, lang, digest):
        with open(os.path.join(self.work, lang + ".stamp"), "w") as f:
            f.write(digest)

    def need(self, langs):
        """Worker commands for langs, or Skip naming what is missing."""
        with self.locked():
            for lang in langs:
                if lang not in self.cmds and lang not in self.missing:
                    try:
                        self.cmds[lang] = getattr(self, "setup_" + lang)()
                    except Skip as e:
                        self.missing[lang] = str(e)
        gone = [f"{l}: {self.missing[l]}" for l in langs if l in self.missing]
        if gone:
            raise Skip("; ".join(gone))
        return {l: self.cmds[l] for l in langs}

    def setup_python(self):
        # dist/ holds the cross builds' wheels too: this machine's only.
        tag = subprocess.run([self.python, "-c", 'import sys; print("cp%d%d" % sys.version_info[:2])'],
                             check=True, capture_output=True, text=True).stdout.strip()
        wheel = find_one(self.dist, "mmapkit-", "_" + os.uname().machine + ".whl", f"-{tag}-{tag}-")
        if not wheel:
            raise Skip(f"no mmapkit wheel in {self.dist}")
        venv = os.path.join(self.work, "py-venv")
        py = os.path.join(venv, "bin", "python")
        worker = os.path.join(HERE, "python", "worker.py")
        digest = sha256(wheel) + self.python
        if not self.stamp_ok("python", digest):
            log(f"[setup] python: venv + pip install {os.path.basename(wheel)}")
            shutil.rmtree(venv, ignore_errors=True)
            run([self.python, "-m", "venv", venv])
            run([py, "-m", "pip", "install", "--no-index", "--no-deps",
                 "--disable-pip-version-check", "--quiet", wheel])
            self.stamp("python", digest)
        probe = subprocess.run(
            [py, "-c", "import mmapkit; v = mmapkit.View; "
             "[getattr(v, n) for n in ('atomic_load', 'atomic_store', "
             "'atomic_add', 'atomic_cas', 'wait', 'wake')]"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if probe.returncode != 0:
            raise Skip(f"the wheel {os.path.basename(wheel)} lacks the atomics "
                       f"({probe.stdout.strip().splitlines()[-1]})")
        return [py, worker]

    def java_tool(self, name):
        if self.java_home:
            return os.path.join(self.java_home, "bin", name)
        tool = shutil.which(name)
        if not tool:
            raise Skip(f"{name} not found")
        return tool

    def setup_java(self):
        jar = find_one(self.dist, "mmapkit-", ".jar")
        if not jar:
            raise Skip(f"no mmapkit jar in {self.dist}")
        javac, java = self.java_tool("javac"), self.java_tool("java")
        src = os.path.join(HERE, "java", "AtomicsWorker.java")
        wdir = os.path.join(self.work, "java")
        local_jar = os.path.join(wdir, os.path.basename(jar))
        classes = os.path.join(wdir, "classes")
        digest = sha256(jar, src)
        if not self.stamp_ok("java", digest):
            log(f"[setup] java: javac against {os.path.basename(jar)}")
            shutil.rmtree(wdir, ignore_errors=True)
            os.makedirs(classes)
            shutil.copy2(jar, local_jar)
            with zipfile.ZipFile(local_jar) as z:
                if "org/mmapkit/MappedView.class" not in z.namelist():
                    raise Skip(f"{jar} has no org.mmapkit.MappedView")
                cls = z.read("org/mmapkit/MappedView.class")
            for member in (b"getAndAddLong", b"compareAndSetLong",
                           b"getLongVolatile", b"await", b"wake"):
                if member not in cls:
                    raise Skip(f"{os.path.basename(jar)} lacks the atomics "
                               f"(MappedView has no {member.decode()})")
            run([javac, "--release", "17", "-encoding", "UTF-8", "-Xlint:all",
                 "-Werror", "-d", classes, "-cp", local_jar, src])
            self.stamp("java", digest)
        return [java, "-Xmx256m", "-XX:+UseSerialGC", "-cp",
                local_jar + os.pathsep + classes, "AtomicsWorker"]

    def setup_dotnet(self):
        nupkg = find_one(self.dist, "MmapKit.", ".nupkg")
        if not nupkg:
            raise Skip(f"no MmapKit nupkg in {self.dist}")
        if not self.dotnet:
            raise Skip("dotnet not found")
        with zipfile.ZipFile(nupkg) as z:
            dlls = [n for n in z.namelist() if n.endswith("/MmapKit.dll")]
            blob = b"".join(z.read(n) for n in dlls)
        for member in (b"InterlockedAdd", b"CompareExchange", b"VolatileRead",
                       b"VolatileWrite", b"Wait", b"Wake"):
            if member not in blob:
                raise Skip(f"{os.path.basename(nupkg)} lacks the atomics "
                           f"(no MappedView.{member.decode()})")
        version = os.path.basename(nupkg)[len("MmapKit."):-len(".nupkg")]
        proj = os.path.join(HERE, "dotnet", "AtomicsWorker.csproj")
        wdir = os.path.join(self.work, "dotnet")
        dll = os.path.join(wdir, "bin", "Release", "net10.0", "AtomicsWorker.dll")
        digest = sha256(nupkg, proj, os.path.join(HERE, "dotnet", "Program.cs"))
        if not self.stamp_ok("dotnet", digest) or not os.path.exists(dll):
            log(f"[setup] dotnet: build against {os.path.basename(nupkg)}")
            feed = os.path.join(wdir, "feed")
            packages = os.path.join(wdir, "packages")
            for d in (feed, os.path.join(wdir, "obj"), os.path.join(wdir, "bin"),
                      os.path.join(packages, "mmapkit")):
                shutil.rmtree(d, ignore_errors=True)
            os.makedirs(feed)
            shutil.copy2(nupkg, feed)  # the source holds only this package
            config = os.path.join(wdir, "NuGet.config")
            with open(config, "w") as f:
                f.write('<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n'
                        '  <packageSources>\n    <clear />\n'
                        f'    <add key="mmapkit-dist" value="{feed}" />\n'
                        '    <add key="offline" value="/opt/nuget/packages" />\n'
                        '  </packageSources>\n</configuration>\n')
            run([self.dotnet, "build", proj, "-nologo", "-c", "Release",
                 "-p:UseSharedCompilation=false",
                 f"-p:RestoreConfigFile={config}",
                 f"-p:RestorePackagesPath={packages}",
                 f"-p:BaseIntermediateOutputPath={wdir}/obj/",
                 f"-p:BaseOutputPath={wdir}/bin/",
                 f"-p:MmapKitVersion={version}"], env=dotnet_env(packages))
            self.stamp("dotnet", digest)
        return [self.dotnet, dll]


def dotnet_env(packages=None):
    env = dict(os.environ, DOTNET_CLI_TELEMETRY_OPTOUT="1", DOTNET_NOLOGO="1",
               DOTNET_SKIP_FIRST_TIME_EXPERIENCE="1",
               DOTNET_CLI_USE_MSBUILD_SERVER="0", MSBUILDDISABLENODEREUSE="1")
    if packages:
        env["NUGET_PACKAGES"] = packages
    return env


# ---- worker processes ----------------------------------------------------

class Worker:
    """One worker process: stdout lines collected, stderr kept for reports."""

    def __init__(self, lang, cmd, args, cpu=None):
        self.lang = lang
        self.argv = cmd + [str(a) for a in args]
        self.err = tempfile.TemporaryFile(mode="w+")
        self.lines = queue.Queue()
        self.out = []
        self.p = subprocess.Popen(self.argv, stdout=subprocess.PIPE,
                                  stderr=self.err, text=True,
                                  env=dotnet_env() if lang == "dotnet" else None,
                                  preexec_fn=None if cpu is None else
                                  (lambda: os.sched_setaffinity(0, {cpu})))
        self.t = threading.Thread(target=self._pump, daemon=True)
        self.t.start()

    def _pump(self):
        for line in self.p.stdout:
            line = line.rstrip("\n")
            self.out.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def expect_line(self, text, timeout):
        end = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                raise Failure(f"{self.lang} worker did not print {text!r} "
                              f"within {timeout} s")
            if line is None:
                raise Failure(f"{self.lang} worker ended before {text!r}:"
                              f"\n{self.stderr()}")
            if line == text:
                return

    def stderr(self):
        self.err.seek(0)
        return self.err.read().strip()

    def finish(self, timeout):
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            raise Failure(f"{self.lang} worker timed out: {' '.join(self.argv)}"
                          f"\n{self.stderr()}")
        self.t.join(5)
        if self.p.returncode != 0:
            raise Failure(f"{self.lang} worker failed ({self.p.returncode}): "
                          f"{' '.join(self.argv)}\n{self.stderr()}")
        try:
            return json.loads(self.out[-1])
        except (IndexError, ValueError):
            raise Failure(f"{self.lang} worker printed no result: {self.out}"
                          f"\n{self.stderr()}")


def run_all(workers, timeout=60):
    """Results of all workers (one deadline for the group), or Failure."""
    results, errors = [], []
    end = time.monotonic() + timeout
    for w in workers:
        try:
            results.append(w.finish(max(1.0, end - time.monotonic())))
        except Failure as e:
            errors.append(str(e))
    if errors:
        raise Failure("\n".join(errors))
    return results


def cpu_ns(pid):
    """CPU time of each thread of pid so far: {tid: (name, ns)} from
    /proc/<pid>/task/<tid>/schedstat (nanoseconds on the CPU)."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                ns = int(f.read().split()[0])
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                out[tid] = (f.read().strip(), ns)
        except (OSError, ValueError, IndexError):
            pass  # a thread that just ended
    return out


def cpu_delta(before, after):
    """Total ns between two cpu_ns samples, and the busiest thread."""
    per = {t: (n, ns - before.get(t, (n, 0))[1]) for t, (n, ns) in after.items()}
    top = max(per.values(), key=lambda x: x[1], default=("-", 0))
    return sum(d for _, d in per.values()), top


@contextlib.contextmanager
def region(inst, tag, *stores, size=65536):
    """A fresh named shared-memory region, made and unlinked by the Python
    worker (the library itself), zero-filled but for the given stores."""
    py = inst.need(["python"])["python"]
    name = f"mmk-atomics-{os.getpid()}-{tag}"
    subprocess.run(py + ["unlink", name], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)  # a leftover of a killed run
    run(py + ["init", name, str(size)] + list(stores))
    try:
        yield name
    finally:
        subprocess.run(py + ["unlink", name], stdout=subprocess.DEVNULL)


def dump(inst, name, *words):
    py = inst.need(["python"])["python"]
    return json.loads(run(py + ["dump", name] + list(words)).strip().splitlines()[-1])


def check(cond, msg):
    if not cond:
        raise Failure(msg)


# ---- scenarios -----------------------------------------------------------

def present(inst, langs, at_least):
    """The languages of langs that are installable; Skip under at_least."""
    have = []
    for lang in langs:
        try:
            inst.need([lang])
            have.append(lang)
        except Skip as e:
            log(f"[note] {e}: running without {lang}")
    if len(have) < at_least:
        raise Skip(f"needs {at_least} languages, has {have}")
    return have


def sc_counter(inst, a):
    """N processes per language fetch-add one counter; the total is exact."""
    langs = present(inst, LANGS, 2)
    cmds = inst.need(langs)
    ops = {"python": a.ops_python, "java": a.ops_jit, "dotnet": a.ops_jit}
    plan = [(l, i) for l in langs for i in range(a.procs)]
    procs = len(plan)
    with region(inst, "counter", "16:4:0xFFFF0000") as name:
        workers = [Worker(l, cmds[l], ["counter", name, k, procs, ops[l]])
                   for k, (l, _) in enumerate(plan)]
        res = run_all(workers, a.timeout)
        total = sum(ops[l] for l, _ in plan)
        got = dump(inst, name, "0:4", "8:8", "16:4")
    for r in res:
        check(0 <= r["first_old"] <= r["last_old"] < total,
              f"worker saw values outside [0, {total}): {r}")
    check(got["0:4"] == procs, f"ready count {got['0:4']} != {procs}")
    check(got["8:8"] == total, f"64-bit counter {got['8:8']} != {total}")
    want32 = (0xFFFF0000 + total) & 0xFFFFFFFF
    check(got["16:4"] == want32, f"32-bit counter {got['16:4']} != {want32}")
    by = ", ".join(f"{l} {sum(1 for x, _ in plan if x == l)}x{ops[l]}" for l in langs)
    log(f"counter: {procs} processes ({by}) -> {total} fetch-adds; "
        f"final 64-bit {got['8:8']} (exact), 32-bit {got['16:4']:#x} (wrapped, exact)")
    return {"processes": procs, "operations": total, "final": got["8:8"],
            "final32": got["16:4"], "per_worker_s": {f"{r['lang']}#{r['id']}":
                                                     round(r["seconds"], 3) for r in res}}


def sc_spinlock(inst, a):
    """A compare-exchange spin lock guards a 16-word record and a counter."""
    langs = present(inst, LANGS, 2)
    cmds = inst.need(langs)
    iters = {"python": a.iters_python, "java": a.iters_jit, "dotnet": a.iters_jit}
    plan = [(l, i) for l in langs for i in range(a.procs)]
    with region(inst, "spinlock") as name:
        workers = [Worker(l, cmds[l], ["spinlock", name, k, len(plan), iters[l]])
                   for k, (l, _) in enumerate(plan)]
        res = run_all(workers, a.timeout)
        total = sum(iters[l] for l, _ in plan)
        words = [f"{128 + 8 * w}:8" for w in range(16)]
        got = dump(inst, name, "64:8", "72:8", *words)
    check(got["64:8"] == 0, f"lock left held: {got['64:8']}")
    check(got["72:8"] == total,
          f"counter under the lock is {got['72:8']}, expected {total}: "
          "mutual exclusion broken")
    rec = {got[w] for w in words}
    check(len(rec) == 1, f"final record torn: {sorted(rec)}")
    torn = sum(r["torn"] for r in res)
    spins = sum(r["spins"] for r in res)
    foreign = sum(r["foreign"] for r in res)
    check(torn == 0, f"{torn} torn reads")
    log(f"spinlock: {len(plan)} processes ({', '.join(langs)}), {total} critical "
        f"sections, counter {got['72:8']} (exact), torn reads 0, failed CAS {spins}, "
        f"records read that another process wrote {foreign}")
    return {"processes": len(plan), "critical_sections": total, "torn": torn,
            "failed_cas": spins, "foreign_reads": foreign}


def expected_checksum(n):
    s = 0
    for i in range(n):
        s = (s + ((i * 0x9E3779B97F4A7C15 + 12345) & M64)) & M64
    return s


def ring(inst, a, writer, reader):
    cmds = inst.need([writer, reader])
    n1, n2 = a.ring_items, a.ring_items
    total = n1 + n2
    with region(inst, f"ring-{writer}-{reader}") as name:
        rd = Worker(reader, cmds[reader], ["ring-reader", name, total])
        wr = Worker(writer, cmds[writer],
                    ["ring-writer", name, n1, int((a.idle + 0.5) * 1000), n2])
        try:
            wr.expect_line("IDLE", a.timeout)
            time.sleep(0.1)  # the reader is asleep in wait() by now
            c0, t0 = cpu_ns(rd.p.pid), time.monotonic()
            time.sleep(a.idle)
            c1, t1 = cpu_ns(rd.p.pid), time.monotonic()
        finally:
            res = run_all([wr, rd], a.timeout)
    w, r = res
    want = expected_checksum(total)
    check(w["sent"] == total and r["received"] == total,
          f"sent {w['sent']}, received {r['received']}, expected {total}")
    check(w["checksum"] == want and r["checksum"] == want,
          f"checksums: writer {w['checksum']}, reader {r['checksum']}, expected {want}")
    idle_ns, (top_name, top_ns) = cpu_delta(c0, c1)
    idle_ms = idle_ns / 1e6
    share = idle_ms / ((t1 - t0) * 1000)
    check(share < a.idle_cpu_max,
          f"{reader} reader used {idle_ms:.1f} ms CPU over an idle "
          f"{t1 - t0:.2f} s ({share:.1%}): not sleeping (busiest thread "
          f"{top_name!r} {top_ns / 1e6:.1f} ms)")
    log(f"ring {writer} -> {reader}: {total} items, checksum {want:#x} on both sides, "
        f"reader slept {r['sleeps']}x, writer {w['sleeps']}x; idle reader CPU "
        f"{idle_ms:.2f} ms over {t1 - t0:.2f} s ({share:.2%}, all threads; busiest "
        f"thread {top_name!r} {top_ns / 1e6:.2f} ms)")
    return {"items": total, "checksum": want, "reader_sleeps": r["sleeps"],
            "writer_sleeps": w["sleeps"], "idle_cpu_ms": round(idle_ms, 3),
            "idle_window_s": round(t1 - t0, 3),
            "idle_busiest_thread": [top_name, round(top_ns / 1e6, 3)]}


def sc_checks(lang):
    def body(inst, a):
        cmd = inst.need([lang])[lang]
        with region(inst, f"checks-{lang}", size=4096) as name:
            r = run_all([Worker(lang, cmd, ["checks", name])], a.timeout)[0]
        log(f"checks {lang}: {r['checks']} documented errors and timeouts as expected")
        return {"checks": r["checks"]}
    return body


SCENARIOS = {
    "counter": sc_counter,
    "spinlock": sc_spinlock,
    "ring_python_java": lambda i, a: ring(i, a, "python", "java"),
    "ring_dotnet_python": lambda i, a: ring(i, a, "dotnet", "python"),
    "ring_java_dotnet": lambda i, a: ring(i, a, "java", "dotnet"),
    "checks_python": sc_checks("python"),
    "checks_java": sc_checks("java"),
    "checks_dotnet": sc_checks("dotnet"),
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dist", default=os.path.join(REPO, "dist"))
    p.add_argument("--build-dir", default=os.path.join(REPO, "build-atomics", "cross"),
                   help="where the venv, classes and .NET build live")
    p.add_argument("--python", default=sys.executable,
                   help="interpreter that makes the venv (must match the wheel)")
    p.add_argument("--java-home", default=os.environ.get("JAVA_HOME"))
    p.add_argument("--dotnet", default=None)
    p.add_argument("--scenario", action="append", choices=sorted(SCENARIOS))
    p.add_argument("--setup-only", action="store_true")
    p.add_argument("--list", action="store_true")
    p.add_argument("--json", help="write the scenario results here")
    p.add_argument("--procs", type=int, default=2, help="processes per language")
    p.add_argument("--ops-python", type=int, default=20000)
    p.add_argument("--ops-jit", type=int, default=200000)
    p.add_argument("--iters-python", type=int, default=1500)
    p.add_argument("--iters-jit", type=int, default=3000)
    p.add_argument("--ring-items", type=int, default=10000,
                   help="items before and after the idle pause")
    p.add_argument("--idle", type=float, default=1.0, help="idle window, seconds")
    p.add_argument("--idle-cpu-max", type=float, default=0.05,
                   help="largest CPU share of a sleeping reader")
    p.add_argument("--workers", help="a JSON file {lang: argv}: these worker commands "
                   "as given, nothing installed (scripts/test-arm64.sh: all emulated)")
    p.add_argument("--timeout", type=float, default=60,
                   help="seconds a scenario's workers may take (emulated starts are slow)")
    return p.parse_args(argv)


def main(argv=None):
    a = parse_args(argv)
    if a.list:
        print("\n".join(sorted(SCENARIOS)))
        return 0
    inst = Installer(a)
    if a.workers:
        with open(a.workers) as f:
            inst.cmds.update(json.load(f))
    names = a.scenario or list(SCENARIOS)
    if a.setup_only:
        for lang in LANGS:
            try:
                inst.need([lang])
            except Skip as e:
                log(f"[skip] {e}")
            except Failure as e:
                log(f"[FAIL] setup {lang}: {e}")
                return 1
        return 0 if inst.cmds else SKIP
    failed, skipped, results = [], [], {}
    for n in names:
        t0 = time.monotonic()
        try:
            results[n] = SCENARIOS[n](inst, a)
            results[n]["seconds"] = round(time.monotonic() - t0, 2)
        except Skip as e:
            log(f"[skip] {n}: {e}")
            skipped.append(n)
        except Failure as e:
            log(f"[FAIL] {n}: {e}")
            failed.append(n)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"results": results, "failed": failed, "skipped": skipped},
                      f, indent=1)
    log(f"atomics: {len(results)} passed, {len(failed)} failed, "
        f"{len(skipped)} skipped" + (f" (failed: {', '.join(failed)})" if failed else ""))
    if failed:
        return 1
    return SKIP if skipped and not results else 0


if __name__ == "__main__":
    sys.exit(main())
