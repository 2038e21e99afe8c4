"""Fault checks through the installed Python package (tests/reliability).

    faults.py writer PATH SIZE OFFSET LEN SEED   crash writer for `mmk_crash kill`
    faults.py enospc                             under `mmk_crash sandbox` (MMK_SMALLFS)
    faults.py truncate DIR                       truncation gives FaultError, process lives

Exit status 0 = every check passed; each check prints one line.
"""
import errno
import os
import sys
import time

import mmapkit

failures = 0
checks = 0


def check(cond, what):
    global failures, checks
    checks += 1
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures += 1


def expect_oserror(fn, err, what, needle=None):
    try:
        fn()
    except OSError as e:
        ok = e.errno == err and (needle is None or needle in str(e))
        check(ok, f"{what}: {type(e).__name__}(errno={errno.errorcode.get(e.errno, e.errno)}) {e}")
        return
    except Exception as e:  # noqa: BLE001 - any other exception is the failure we report
        check(False, f"{what}: {type(e).__name__}: {e} (wanted OSError {errno.errorcode[err]})")
        return
    check(False, f"{what}: no exception (wanted OSError {errno.errorcode[err]})")


def pattern(seed, n):
    return bytes((seed * 7 + k * 131 + (k >> 9)) & 255 for k in range(n))


def writer(path, size, off, n, seed):
    f = mmapkit.open(path, "w+", size=size)
    v = f.map()
    v[off:off + n] = pattern(seed, n)
    v.flush(off, n, mode="sync")
    print("flushed", flush=True)
    i = 0
    lo, hi = off // 4096 * 4096, (off + n + 4095) // 4096 * 4096
    while True:  # dirty other pages until killed
        at = (i * 4099) % size
        if not lo <= at < hi:
            v[at] = i & 255
        i += 1


def enospc():
    d = os.environ["MMK_SMALLFS"]
    p = os.path.join(d, "grow.bin")
    expect_oserror(lambda: mmapkit.open(p, "w+", size=4 << 20), errno.ENOSPC,
                   "open w+ with 4 MiB on a 1 MiB file system", "grow.bin")
    f = mmapkit.open(p, "w+", size=4096)
    expect_oserror(lambda: f.map(0, 8 << 20), errno.ENOSPC, "map 8 MiB past the end")
    expect_oserror(lambda: f.resize(8 << 20), errno.ENOSPC, "resize to 8 MiB")
    v = f.map(0, 4096, reserve=16 << 20)
    expect_oserror(lambda: v.resize(8 << 20), errno.ENOSPC, "view resize within a reservation")
    v[0:5] = b"alive"
    check(v[0:5] == b"alive" and len(v) == 4096, "the view still works after the refusals")
    v.close()
    f.close()
    name = f"mmk-enospc-py-{os.getpid()}"
    expect_oserror(lambda: mmapkit.shared_memory(name, size=4 << 20), errno.ENOSPC,
                   "shared memory of 4 MiB on a 1 MiB /dev/shm", name)
    try:
        mmapkit.unlink_shared_memory(name)
    except OSError:
        pass


def truncate(d):
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, f"trunc-py-{os.getpid()}.bin")
    f = mmapkit.open(p, "w+", size=64 << 10)
    v = f.map()
    v[0:4] = b"head"
    os.truncate(p, 4096)  # as another process would
    for what, fn in [
        ("slice read past the new end", lambda: v[8192:8200]),
        ("read_into past the new end", lambda: v.read_into(bytearray(100), 20000)),
        ("slice write past the new end", lambda: v.__setitem__(slice(30000, 30004), b"abcd")),
        ("atomic load past the new end", lambda: v.atomic_load(40000)),
    ]:
        try:
            fn()
            check(False, f"{what}: no exception")
        except mmapkit.FaultError as e:
            check(e.errno == errno.EIO, f"{what}: FaultError(errno=EIO) {e}")
        except Exception as e:  # noqa: BLE001
            check(False, f"{what}: {type(e).__name__}: {e} (wanted FaultError)")
    check(v[0:4] == b"head", "the part still inside the file reads fine")
    v.close()
    f.close()
    os.unlink(p)


def main():
    cmd = sys.argv[1]
    if cmd == "writer":
        writer(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
    elif cmd == "enospc":
        enospc()
    elif cmd == "truncate":
        truncate(sys.argv[2])
    else:
        print(f"unknown command {cmd}", file=sys.stderr)
        return 2
    print(f"{cmd}[python]: {checks} checks, {failures} failures, process alive")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
