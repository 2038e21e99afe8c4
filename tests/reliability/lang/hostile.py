"""Hostile arguments through the installed Python package (tests/reliability).

    hostile.py DIR

Each row of the table is a call with a bad argument and the exception
API.md documents for it. The table runs twice: the first pass warms up lazy
allocations, the second must leave the descriptor and mapping counts
(/proc/self/fd, /proc/self/maps) exactly where they were. Exit 0 = all good.
"""
import errno
import os
import pathlib
import sys

import mmapkit

d = os.path.abspath(sys.argv[1])
os.makedirs(d, exist_ok=True)
data = os.path.join(d, "data.bin")
with open(data, "wb") as fh:
    fh.write(b"x" * 10000)
empty = os.path.join(d, "empty.bin")
open(empty, "wb").close()
fifo = os.path.join(d, "fifo")
if not os.path.exists(fifo):
    os.mkfifo(fifo)

big = 1 << 62
i64max = (1 << 63) - 1


def closed_file():
    f = mmapkit.open(data, "r")
    f.close()
    return f


def closed_view():
    f = mmapkit.open(data, "r")
    v = f.map()
    v.close()
    f.close()
    return v


def ro_view():
    return mmapkit.open(data, "r").map()


def rw_view():
    return mmapkit.open(data, "r+").map()


# (description, call, expected exception type(s), errno or None)
TABLE = [
    ("open missing file", lambda: mmapkit.open(os.path.join(d, "nope"), "r"), FileNotFoundError, errno.ENOENT),
    ("open a directory", lambda: mmapkit.open(d, "r"), OSError, errno.EISDIR),
    ("open a FIFO (must not block)", lambda: mmapkit.open(fifo, "r"), OSError, errno.ENODEV),
    ("open /dev/zero", lambda: mmapkit.open("/dev/zero", "r+"), OSError, errno.ENODEV),
    ("open /proc/self/status r+ with a size", lambda: mmapkit.open("/proc/self/status", "r+", size=6000), OSError, None),
    ("open '' ", lambda: mmapkit.open("", "r"), (ValueError, FileNotFoundError), None),
    ("open with mode 'rw'", lambda: mmapkit.open(data, "rw"), ValueError, None),
    ("open 'r' with a size", lambda: mmapkit.open(data, "r", size=10), ValueError, None),
    ("open with a negative size", lambda: mmapkit.open(data, "r+", size=-1), ValueError, None),
    ("path with a NUL byte", lambda: mmapkit.open(data + "\0x", "r"), ValueError, None),
    ("bytes path with a NUL byte, 'w+'", lambda: mmapkit.open(data.encode() + b"\0.tmp", "w+"), ValueError, None),
    ("PathLike path with a NUL byte, 'w+'", lambda: mmapkit.open(pathlib.Path(data + "\0.tmp"), "w+"), ValueError, None),
    ("map negative offset", lambda: mmapkit.open(data, "r").map(-1, 10), ValueError, None),
    ("map negative length", lambda: mmapkit.open(data, "r").map(0, -5), ValueError, None),
    ("map offset+length overflows int64", lambda: mmapkit.open(data, "r").map(i64max, 10), ValueError, None),
    ("map past the end in 'r'", lambda: mmapkit.open(data, "r").map(9000, 2000), ValueError, None),
    ("map past the end in 'c'", lambda: mmapkit.open(data, "c").map(0, 20000), ValueError, None),
    ("map offset 2**62 in 'r'", lambda: mmapkit.open(data, "r").map(big, 1), ValueError, None),
    ("map offset 2**64", lambda: mmapkit.open(data, "r").map(1 << 64, 1), (ValueError, OverflowError), None),
    ("map on a closed file", lambda: closed_file().map(), ValueError, None),
    ("read a closed view", lambda: closed_view()[0:4], ValueError, None),
    ("write to a read-only view", lambda: ro_view().__setitem__(slice(0, 1), b"z"), TypeError, None),
    ("slice assignment of the wrong size", lambda: rw_view().__setitem__(slice(0, 4), b"zz"), IndexError, None),
    ("index past the end", lambda: ro_view()[10000], IndexError, None),
    ("read_into past the end", lambda: ro_view().read_into(bytearray(4), 20000), (IndexError, ValueError), None),
    ("flush range past the end", lambda: rw_view().flush(9000, 5000), (IndexError, ValueError), None),
    ("flush mode 'later'", lambda: rw_view().flush(mode="later"), ValueError, None),
    ("advise unknown advice", lambda: ro_view().advise(99), ValueError, None),
    ("lock negative offset", lambda: mmapkit.open(data, "r+").lock(-1, 10), ValueError, None),
    ("exclusive lock on a read-only file", lambda: mmapkit.open(data, "r").lock(0, 10), OSError, None),
    ("atomic load misaligned", lambda: rw_view().atomic_load(3), ValueError, None),
    ("atomic load out of range", lambda: rw_view().atomic_load(10000), (IndexError, ValueError), None),
    ("atomic size 3", lambda: rw_view().atomic_load(0, size=3), ValueError, None),
    ("atomic store on a read-only view", lambda: ro_view().atomic_store(0, 1), (TypeError, PermissionError, OSError, ValueError), None),
    ("wait misaligned", lambda: rw_view().wait(2, 0, 0), ValueError, None),
    ("resize a view without reserve past the end in 'r'", lambda: ro_view().resize(20000), (ValueError, IndexError), None),
    ("shared memory name ''", lambda: mmapkit.shared_memory("", size=4096), ValueError, None),
    ("shared memory name '.hidden'", lambda: mmapkit.shared_memory(".hidden", size=4096), ValueError, None),
    ("shared memory name 'a/b'", lambda: mmapkit.shared_memory("a/b", size=4096), ValueError, None),
    ("shared memory name of 201 chars", lambda: mmapkit.shared_memory("n" * 201, size=4096), ValueError, None),
    ("shared memory name with a NUL byte", lambda: mmapkit.shared_memory("ok\0../../x", size=4096), ValueError, None),
    ("shared memory name '..'", lambda: mmapkit.shared_memory("..", size=4096), ValueError, None),
    ("unlink a name with a NUL byte", lambda: mmapkit.unlink_shared_memory(f"mmk-h-{os.getpid()}\0other"), ValueError, None),
    ("unlink a name with '/'", lambda: mmapkit.unlink_shared_memory("../x"), ValueError, None),
    ("unlink a name of 201 chars", lambda: mmapkit.unlink_shared_memory("n" * 201), ValueError, None),
    ("open missing shared memory", lambda: mmapkit.shared_memory(f"mmk-missing-{os.getpid()}"), FileNotFoundError, errno.ENOENT),
    ("unlink missing shared memory", lambda: mmapkit.unlink_shared_memory(f"mmk-missing-{os.getpid()}"), FileNotFoundError, errno.ENOENT),
    ("anonymous(0)", lambda: mmapkit.anonymous(0), ValueError, None),
    ("anonymous(-1)", lambda: mmapkit.anonymous(-1), ValueError, None),
    ("close a view while a memoryview is alive", None, BufferError, None),
]


def export_then_close():
    v = mmapkit.open(data, "r").map()
    m = memoryview(v)
    try:
        v.close()
    finally:
        m.release()
        v.close()


def counts():
    fds = len(os.listdir("/proc/self/fd"))
    with open("/proc/self/maps") as fh:
        maps = sum(1 for _ in fh)
    return fds, maps


def run(report):
    fails = 0
    for desc, fn, exc, err in TABLE:
        if fn is None:
            fn = export_then_close
        try:
            fn()
            ok, got = False, "no exception"
        except exc as e:  # noqa: PERF203
            ok = err is None or getattr(e, "errno", None) == err
            got = f"{type(e).__name__}: {e}"
        except BaseException as e:  # noqa: BLE001 - reported as the failure
            ok, got = False, f"{type(e).__name__}: {e}"
        if report:
            want = exc.__name__ if isinstance(exc, type) else "/".join(x.__name__ for x in exc)
            print(("ok   " if ok else "FAIL ") + f"{desc}: {got}" + ("" if ok else f" (wanted {want})"))
        fails += not ok
    return fails


import gc  # noqa: E402

run(False)          # warm-up: lazy imports, caches
gc.collect()
before = counts()
fails = run(True)
gc.collect()
after = counts()
leak = after != before
print(("ok   " if not leak else "FAIL ") +
      f"descriptors {before[0]} -> {after[0]}, mappings {before[1]} -> {after[1]}")
print(f"hostile[python]: {len(TABLE)} hostile inputs, {fails} wrong results, "
      f"{'a leak' if leak else 'no leak'}, process alive")
sys.exit(1 if fails or leak else 0)
