#!/usr/bin/env python3
"""mmapkit vs the standard library's mmap vs numpy.memmap, in one run.

Run with an interpreter that has mmapkit installed (and numpy for the
numpy.memmap column), e.g. the venv the CTest numpy test builds:

    build/python/numpyenv/bin/python bench/python/bench_mmapkit.py [--json out.json]

Prints a markdown table. Every number is the best of --repeat runs (the
least disturbed one), each right after an untimed run of the same code; the file is in the page cache, so the
scans measure memory bandwidth through each API, not the disk.

Metrics
- scan, slices: v[i:i+1MiB] copies over the whole file (GB/s)
- scan, memoryview: zlib.crc32(memoryview(v)) (zero-copy consumer, GB/s)
- scan, numpy: numpy.frombuffer(v, uint64).sum() / memmap.sum() (GB/s)
- random 8 B, v[o:o+8] and struct.unpack_from("<Q", v, o) (ns/op, loop
  overhead subtracted) over 64 MiB, and both over a cache-resident 1 MiB
  (what the API itself costs)
- open+map+close of a 1 MiB file (us); the stdlib column uses os.open,
  its fastest form (a second row gives the usual `with open(...)` form,
  another mmapkit.open of the same os.open descriptor)
- flush 4 KiB: dirty one page, flush that page synchronously (us);
  numpy.memmap.flush() has no range and syncs the whole map
"""
import argparse
import json
import mmap
import os
import random
import struct
import sys
import tempfile
import time
import zlib

import mmapkit

try:
    import numpy as np
except ImportError:  # the numpy column is left empty
    np = None

MiB = 1 << 20


def best_of(fns, repeat):
    """Times each fn of {name: fn} `repeat` times, interleaved (so that
    background noise hits every implementation alike), and returns the best
    time per name.

    Each timed call comes right after an untimed call of the same fn: a
    loop run right after another implementation's (numpy.memmap's
    allocation-heavy one above all) was measured about 10 ns/op slower on
    8-byte reads, for every implementation alike, and one untimed run
    absorbs that. The order is shuffled every round (a rotation would keep
    the same neighbours: the one after numpy.memmap always paid)."""
    names = list(fns)
    order = random.Random(7)
    times = {name: [] for name in fns}
    for _ in range(repeat):
        order.shuffle(names)
        for name in names:
            fns[name]()  # settle
            t = time.perf_counter()
            fns[name]()
            times[name].append(time.perf_counter() - t)
    return {name: min(ts) for name, ts in times.items()}


def make_file(path, size):
    block = bytes(random.Random(1).randrange(256) for _ in range(MiB))
    with open(path, "wb") as fh:
        for _ in range(size // MiB):
            fh.write(block)


class Impl:
    """One API under test: how to map the file read-only and read-write."""

    def __init__(self, name, open_ro, open_rw, close):
        self.name, self.open_ro, self.open_rw, self.close = name, open_ro, open_rw, close


def impls(path):
    out = []

    def kit_ro():
        f = mmapkit.open(path, "r")
        v = f.map()
        f.close()
        return v

    def kit_rw():
        f = mmapkit.open(path, "r+")
        v = f.map()
        f.close()
        return v

    out.append(Impl("mmapkit.View", kit_ro, kit_rw, lambda v: v.close()))

    def mm(cls, access):
        def opener():
            fd = os.open(path, os.O_RDWR if access == mmap.ACCESS_WRITE else os.O_RDONLY)
            try:
                return cls(fd, 0, access=access)
            finally:
                os.close(fd)
        return opener

    out.append(Impl("mmapkit.mmap", mm(mmapkit.mmap, mmap.ACCESS_READ),
                    mm(mmapkit.mmap, mmap.ACCESS_WRITE), lambda m: m.close()))
    out.append(Impl("mmap.mmap", mm(mmap.mmap, mmap.ACCESS_READ),
                    mm(mmap.mmap, mmap.ACCESS_WRITE), lambda m: m.close()))
    if np is not None:
        out.append(Impl("numpy.memmap", lambda: np.memmap(path, dtype=np.uint8, mode="r"),
                        lambda: np.memmap(path, dtype=np.uint8, mode="r+"),
                        lambda m: m._mmap.close()))
    return out


def scan_slices(obj, size):
    chunk = MiB
    for i in range(0, size, chunk):
        obj[i:i + chunk]


def scan_slices_np(obj, size):
    # numpy slices are views: copy them out, like bytes slices of the others.
    chunk = MiB
    for i in range(0, size, chunk):
        obj[i:i + chunk].tobytes()


def run(args):
    results = []  # (metric, unit, impl, value)
    tmp = tempfile.mkdtemp(prefix="mmapkit-bench-", dir=args.dir)
    path = os.path.join(tmp, "data.bin")
    small = os.path.join(tmp, "small.bin")
    size = args.size * MiB
    make_file(path, size)
    make_file(small, MiB)
    try:
        objs = {impl.name: (impl, impl.open_ro()) for impl in impls(path)}

        def metric(name, unit, fns, convert):
            for impl, t in best_of(fns, args.repeat).items():
                results.append((name, unit, impl, convert(t)))

        gbps = lambda t: size / t / 1e9
        # scans
        fns = {}
        for name, (impl, obj) in objs.items():
            scan = scan_slices_np if name == "numpy.memmap" else scan_slices
            fns[name] = (lambda scan=scan, obj=obj: scan(obj, size))
        metric("scan, slices (copy 1 MiB)", "GB/s", fns, gbps)
        views = {name: memoryview(obj) for name, (_, obj) in objs.items()}
        metric("scan, memoryview (zlib.crc32)", "GB/s",
               {name: (lambda mv=mv: zlib.crc32(mv)) for name, mv in views.items()}, gbps)
        if np is not None:
            arrays = {name: (obj.view(np.uint64) if name == "numpy.memmap"
                             else np.frombuffer(obj, dtype=np.uint64))
                      for name, (_, obj) in objs.items()}
            metric("scan, numpy .sum() uint64", "GB/s",
                   {name: (lambda a=a: a.sum()) for name, a in arrays.items()}, gbps)
            del arrays
        for mv in views.values():
            mv.release()
        del views

        # random 8-byte reads over a warm working set: 64 MiB (memory-bound)
        # and 1 MiB (cache-resident: the API's own cost)
        rnd = random.Random(3)
        ws = min(size, 64 * MiB)
        offs = [rnd.randrange(0, ws - 8) for _ in range(args.ops)]
        hot = [rnd.randrange(0, MiB - 8) for _ in range(args.ops)]

        def loop_empty():
            for o in offs:
                pass

        def make_slice(obj, offs=offs):
            def go():
                for o in offs:
                    obj[o:o + 8]
            return go

        unpack = struct.Struct("<Q").unpack_from

        def make_unpack(obj, offs=offs):
            def go():
                for o in offs:
                    unpack(obj, o)
            return go

        base = best_of({"empty": loop_empty}, args.repeat)["empty"]
        per_op = lambda t: (t - base) / len(offs) * 1e9
        metric("random 8 B, v[o:o+8]", "ns/op",
               {name: make_slice(obj) for name, (_, obj) in objs.items()}, per_op)
        metric("random 8 B, struct.unpack_from", "ns/op",
               {name: make_unpack(obj) for name, (_, obj) in objs.items()}, per_op)
        metric("random 8 B, v[o:o+8], 1 MiB hot set", "ns/op",
               {name: make_slice(obj, hot) for name, (_, obj) in objs.items()}, per_op)
        metric("random 8 B, struct.unpack_from, 1 MiB hot set", "ns/op",
               {name: make_unpack(obj, hot) for name, (_, obj) in objs.items()}, per_op)
        for impl, obj in objs.values():
            impl.close(obj)
        del objs

        # open+map+close of a small file
        n = args.cycles

        def kit_cycle():
            for _ in range(n):
                f = mmapkit.open(small)
                v = f.map()
                v.close()
                f.close()

        def fd_cycle(cls):
            def go():
                for _ in range(n):
                    fd = os.open(small, os.O_RDONLY)
                    m = cls(fd, 0, access=mmap.ACCESS_READ)
                    m.close()
                    os.close(fd)
            return go

        def kit_fd_cycle():  # mmapkit.open(fd): the row to set against fd_cycle's
            for _ in range(n):
                fd = os.open(small, os.O_RDONLY)
                f = mmapkit.open(fd)
                v = f.map()
                v.close()
                f.close()
                os.close(fd)

        def np_cycle():
            for _ in range(n):
                m = np.memmap(small, dtype=np.uint8, mode="r")
                m._mmap.close()

        def builtin_open_cycle():
            for _ in range(n):
                with open(small, "rb") as fh:
                    m = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
                    m.close()

        cycles = {"mmapkit.View": kit_cycle, "mmapkit.mmap": fd_cycle(mmapkit.mmap),
                  "mmap.mmap": fd_cycle(mmap.mmap)}
        if np is not None:
            cycles["numpy.memmap"] = np_cycle
        metric("open+map+close (1 MiB file)", "us", cycles, lambda t: t / n * 1e6)
        metric("open+map+close, mmapkit.open(fd) from os.open", "us",
               {"mmapkit.View": kit_fd_cycle}, lambda t: t / n * 1e6)
        metric("open+map+close, stdlib via builtin open()", "us",
               {"mmap.mmap": builtin_open_cycle}, lambda t: t / n * 1e6)

        # 4 KiB flush
        rw = {impl.name: (impl, impl.open_rw()) for impl in impls(path)}
        rnd = random.Random(4)
        pages = [rnd.randrange(0, size // 4096) * 4096 for _ in range(args.flushes)]

        def make_flush(name, obj):
            is_np = name == "numpy.memmap"
            payload = b"\x5a" * 4096
            if is_np:
                payload = np.frombuffer(payload, dtype=np.uint8)

            def go():
                for off in pages:
                    obj[off:off + 4096] = payload
                    if is_np:
                        obj.flush()  # numpy.memmap.flush() has no range
                    else:
                        obj.flush(off, 4096)
            return go

        metric("flush 4 KiB (sync)", "us",
               {name: make_flush(name, obj) for name, (_, obj) in rw.items()},
               lambda t: t / len(pages) * 1e6)
        for impl, obj in rw.values():
            impl.close(obj)
        del rw
    finally:
        for p in (path, small):
            try:
                os.unlink(p)
            except OSError:
                pass
        os.rmdir(tmp)
    return results


def table(results):
    names = []
    for _, _, impl, _ in results:
        if impl not in names:
            names.append(impl)
    metrics = []
    for m, unit, _, _ in results:
        if (m, unit) not in metrics:
            metrics.append((m, unit))
    val = {(m, impl): v for m, _, impl, v in results}
    lines = ["| metric | unit | " + " | ".join(names) + " | mmapkit.View / mmap.mmap |",
             "|---|---|" + "---|" * len(names) + "---|"]
    for m, unit in metrics:
        cells = []
        for n in names:
            v = val.get((m, n))
            cells.append("" if v is None else (f"{v:.2f}" if v < 100 else f"{v:.0f}"))
        k, s = val.get((m, "mmapkit.View")), val.get((m, "mmap.mmap"))
        ratio = f"{k / s:.2f}x" if k and s else ""
        lines.append(f"| {m} | {unit} | " + " | ".join(cells) + f" | {ratio} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=256, help="file size in MiB (default 256)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per measurement (best is kept)")
    ap.add_argument("--ops", type=int, default=200000, help="random reads per run")
    ap.add_argument("--cycles", type=int, default=2000, help="open+map+close cycles per run")
    ap.add_argument("--flushes", type=int, default=200, help="4 KiB flushes per run")
    ap.add_argument("--dir", default=None, help="where the test file goes (a real disk)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = ap.parse_args()
    results = run(args)
    print(f"mmapkit {mmapkit.__version__}, Python {sys.version.split()[0]}, "
          f"numpy {np.__version__ if np is not None else 'absent'}, file {args.size} MiB, "
          f"best of {args.repeat}\n")
    print(table(results))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"python": sys.version.split()[0],
                       "numpy": np.__version__ if np is not None else None,
                       "size_mib": args.size,
                       "results": [{"metric": m, "unit": u, "impl": i, "value": v}
                                   for m, u, i, v in results]}, fh, indent=1)


if __name__ == "__main__":
    main()
