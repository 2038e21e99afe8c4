"""Python side of the cross-language atomics tests and benchmarks.

    python worker.py ROLE NAME ARGS...

Layouts and roles: ../LAYOUT.md. Runs against the installed wheel (the
driver starts it with the venv's interpreter). Prints one JSON object on its
last stdout line; on a failed check prints FAIL: ... to stderr, exits 1.
"""
import json
import mmap
import os
import struct
import sys
import threading
import time

import mmapkit

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
DEADLINE_S = 30.0  # no wait in these programs may take longer


def fail(msg):
    print("FAIL: python: " + msg, file=sys.stderr, flush=True)
    sys.exit(1)


def item_value(i):
    return (i * GOLDEN + 12345) & M64


def open_view(name):
    f = mmapkit.shared_memory(name)
    v = f.map()
    f.close()  # the view keeps the mapping
    return v


def wait_until(v, off, cond, what):
    """Sleeps on the 32-bit word at off until cond(value) holds."""
    end = time.monotonic() + DEADLINE_S
    while True:
        cur = v.atomic_load(off, size=4)
        if cond(cur):
            return cur
        left = end - time.monotonic()
        if left <= 0:
            fail(f"timed out waiting for {what} (word at {off} is {cur})")
        v.wait(off, cur, timeout=min(left, 1.0))


# ---- roles -------------------------------------------------------------

def role_init(name, size, *stores):
    """Creates the region (exclusive) and applies off:size:value stores."""
    f = mmapkit.shared_memory(name, size=int(size), exclusive=True)
    with f.map() as v:
        for s in stores:
            off, sz, val = (int(x, 0) for x in s.split(":"))
            v.atomic_store(off, val, size=sz)
    f.close()
    return {"created": name, "size": int(size)}


def role_dump(name, *words):
    with open_view(name) as v:
        out = {}
        for w in words:
            off, sz = (int(x, 0) for x in w.split(":"))
            out[w] = v.atomic_load(off, size=sz)
        return out


def role_unlink(name):
    mmapkit.unlink_shared_memory(name)
    return {"unlinked": name}


def start_gate(v, procs):
    """All workers start together: the last to arrive opens the gate."""
    if v.atomic_add(0, 1, size=4) + 1 == procs:
        v.atomic_store(4, 1, size=4)
        v.wake(4, 0)  # 0: all
    else:
        wait_until(v, 4, lambda x: x != 0, "the start gate")


def role_counter(name, ident, procs, ops):
    ops = int(ops)
    with open_view(name) as v:
        start_gate(v, int(procs))
        add = v.atomic_add
        prev = -1
        first = None
        t0 = time.perf_counter()
        for _ in range(ops):
            old = add(8, 1)
            add(16, 1, size=4)
            if old <= prev:
                fail(f"fetch-add went backwards: {old} after {prev}")
            prev = old
            if first is None:
                first = old
        dt = time.perf_counter() - t0
    return {"lang": "python", "id": int(ident), "ops": ops, "first_old": first,
            "last_old": prev, "seconds": dt}


LOCK, PLAIN, REC, WORDS = 64, 72, 128, 16


def role_spinlock(name, ident, procs, iters):
    ident, iters = int(ident), int(iters)
    token = ident + 1
    torn = spins = foreign = 0
    with open_view(name) as v:
        start_gate(v, int(procs))
        mv = memoryview(v)
        try:
            for k in range(iters):
                n = 0
                while not v.atomic_cas(LOCK, 0, token)[0]:
                    n += 1
                    if n % 16 == 0:
                        os.sched_yield()
                spins += n
                if k % 2 == 0:
                    val = (ident << 40) | k
                    for w in range(WORDS):
                        struct.pack_into("=Q", mv, REC + 8 * w, val)
                else:
                    words = struct.unpack_from(f"={WORDS}Q", mv, REC)
                    if len(set(words)) != 1:
                        torn += 1
                    elif words[0] and words[0] >> 40 != ident:
                        foreign += 1  # written by another process
                c, = struct.unpack_from("=Q", mv, PLAIN)
                struct.pack_into("=Q", mv, PLAIN, c + 1)
                v.atomic_store(LOCK, 0)
        finally:
            mv.release()
    if torn:
        fail(f"{torn} torn records seen inside the lock")
    return {"lang": "python", "id": ident, "iters": iters, "torn": torn,
            "spins": spins, "foreign": foreign}


HEAD, TAIL, HSEQ, TSEQ, CWAIT, PWAIT, READY, SLOTS, CAP = (
    0, 8, 16, 20, 24, 28, 32, 64, 64)


def sleep_on(v, seq_off, waiting_off, still_blocked, what, end):
    """One sleep of the ring protocol.

    Reads the futex word first, announces itself in the waiting count (a
    sequentially consistent fetch-add), re-checks, and only then sleeps
    while the word still holds what it read. The other side changes the
    word with a fetch-add after publishing and wakes if the waiting count
    (read with a fetch-add of 0) is non-zero, so either it sees this
    waiter or this waiter's re-check sees its publication: no lost wake.
    """
    seq = v.atomic_load(seq_off, size=4)
    v.atomic_add(waiting_off, 1, size=4)
    try:
        if still_blocked():
            left = end - time.monotonic()
            if left <= 0:
                fail("timed out waiting for " + what)
            v.wait(seq_off, seq, timeout=min(left, 1.0))
            return 1
        return 0
    finally:
        v.atomic_add(waiting_off, -1, size=4)


def notify(v, seq_off, waiting_off):
    v.atomic_add(seq_off, 1, size=4)
    if v.atomic_add(waiting_off, 0, size=4):
        v.wake(seq_off, 1)


def role_ring_writer(name, n1, idle_ms, n2):
    n1, n2, idle_ms = int(n1), int(n2), int(idle_ms)
    sleeps = 0
    checksum = 0
    with open_view(name) as v:
        mv = memoryview(v)
        try:
            wait_until(v, READY, lambda x: x == 1, "the reader to be ready")
            end = time.monotonic() + DEADLINE_S

            def send(lo, hi):
                nonlocal sleeps, checksum
                for i in range(lo, hi):
                    while i - v.atomic_load(TAIL) >= CAP:
                        sleeps += sleep_on(
                            v, TSEQ, PWAIT,
                            lambda: i - v.atomic_load(TAIL) >= CAP,
                            "ring space", end)
                    val = item_value(i)
                    struct.pack_into("=QQ", mv, SLOTS + 16 * (i % CAP), i, val)
                    checksum = (checksum + val) & M64
                    v.atomic_store(HEAD, i + 1)
                    notify(v, HSEQ, CWAIT)

            send(0, n1)
            while v.atomic_load(TAIL) != n1:  # let the reader drain, then idle
                sleeps += sleep_on(v, TSEQ, PWAIT,
                                   lambda: v.atomic_load(TAIL) != n1,
                                   "the reader to drain", end)
            print("IDLE", flush=True)
            time.sleep(idle_ms / 1000)
            end = time.monotonic() + DEADLINE_S
            send(n1, n1 + n2)
        finally:
            mv.release()
    return {"lang": "python", "role": "writer", "sent": n1 + n2,
            "checksum": checksum, "sleeps": sleeps}


def role_ring_reader(name, total):
    total = int(total)
    sleeps = 0
    checksum = 0
    bad = 0
    t_cpu0 = time.process_time()
    with open_view(name) as v:
        mv = memoryview(v)
        try:
            v.atomic_store(READY, 1, size=4)
            v.wake(READY, 0)
            end = time.monotonic() + DEADLINE_S
            i = 0
            while i < total:
                head = v.atomic_load(HEAD)
                if head == i:
                    sleeps += sleep_on(v, HSEQ, CWAIT,
                                       lambda: v.atomic_load(HEAD) == i,
                                       f"item {i}", end)
                    continue
                while i < head:
                    idx, val = struct.unpack_from("=QQ", mv,
                                                  SLOTS + 16 * (i % CAP))
                    if idx != i or val != item_value(i):
                        bad += 1
                        if bad < 5:
                            print(f"bad item at {i}: index {idx}, value {val:#x}",
                                  file=sys.stderr)
                    checksum = (checksum + val) & M64
                    i += 1
                v.atomic_store(TAIL, i)
                notify(v, TSEQ, PWAIT)
        finally:
            mv.release()
    if bad:
        fail(f"{bad} items out of order or corrupt")
    return {"lang": "python", "role": "reader", "received": total,
            "checksum": checksum, "sleeps": sleeps,
            "cpu_s": time.process_time() - t_cpu0}


PP = 256


def role_pingpong(name, side, warm, rounds):
    warm, rounds = int(warm), int(rounds)
    with open_view(name) as v:
        store, wait, wake, load = v.atomic_store, v.wait, v.wake, v.atomic_load

        def await_change(x):
            while load(PP, size=4) == x:
                if not wait(PP, x, timeout=DEADLINE_S):
                    fail(f"ping-pong peer silent (word {x})")

        def run(lo, hi):
            if side == "a":
                for i in range(lo, hi):
                    store(PP, 2 * i + 1, size=4)
                    wake(PP, 1)
                    await_change(2 * i + 1)
            else:
                for i in range(lo, hi):
                    await_change(2 * i)
                    store(PP, 2 * i + 2, size=4)
                    wake(PP, 1)

        run(0, warm)
        t0 = time.perf_counter()
        run(warm, warm + rounds)
        dt = time.perf_counter() - t0
        final = load(PP, size=4)
    if side == "a" and final != 2 * (warm + rounds) % (1 << 32):
        fail(f"ping-pong ended at {final}")
    return {"lang": "python", "side": side, "rounds": rounds,
            "us_per_round_trip": dt / rounds * 1e6}


def expect(exc, fn, what):
    try:
        fn()
    except exc:
        return 1
    except Exception as e:  # noqa: BLE001 - reported as the failure
        fail(f"{what}: expected {exc.__name__}, got {type(e).__name__}: {e}")
    fail(f"{what}: expected {exc.__name__}, nothing raised")


def role_checks(name):
    n = 0
    with open_view(name) as v:
        size = v.size
        # Misaligned: ValueError (bad argument).
        for off, sz in ((513, 4), (514, 4), (516, 8), (519, 8)):
            n += expect(ValueError, lambda: v.atomic_load(off, size=sz), f"load {off}/{sz}")
            n += expect(ValueError, lambda: v.atomic_store(off, 1, size=sz), f"store {off}/{sz}")
            n += expect(ValueError, lambda: v.atomic_add(off, 1, size=sz), f"add {off}/{sz}")
            n += expect(ValueError, lambda: v.atomic_cas(off, 0, 1, size=sz), f"cas {off}/{sz}")
        n += expect(ValueError, lambda: v.wait(514, 0, timeout=0), "wait misaligned")
        n += expect(ValueError, lambda: v.wake(518, 1), "wake misaligned")
        # Out of range: IndexError (access outside the view).
        for off, sz in ((size, 4), (size, 8), (size - 4, 8), (1 << 40, 8),
                        ((1 << 63) - 8, 8)):
            n += expect(IndexError, lambda: v.atomic_load(off, size=sz), f"load {off}/{sz}")
            n += expect(IndexError, lambda: v.atomic_add(off, 1, size=sz), f"add {off}/{sz}")
            n += expect(IndexError, lambda: v.atomic_cas(off, 0, 1, size=sz), f"cas {off}/{sz}")
        n += expect(IndexError, lambda: v.wait(size, 0, timeout=0), "wait past the end")
        n += expect(IndexError, lambda: v.wake(size, 1), "wake past the end")
        # Negative offsets are bad arguments (the core's EINVAL).
        n += expect(ValueError, lambda: v.atomic_load(-8), "load -8")
        n += expect(ValueError, lambda: v.wait(-4, 0, timeout=0), "wait -4")
        n += expect(ValueError, lambda: v.wait(512, 0, timeout=-1), "negative timeout")
        # Values that do not fit, sizes that do not exist.
        n += expect(OverflowError, lambda: v.atomic_store(512, 1 << 32, size=4), "u32 overflow")
        n += expect(ValueError, lambda: v.atomic_load(512, size=2), "size 2")
        # Timeouts: False after at least the timeout, True at once on a change.
        v.atomic_store(512, 7, size=4)
        if v.wait(512, 7, timeout=0) is not False:
            fail("wait(timeout=0) on an equal word did not return False")
        t0 = time.monotonic()
        r = v.wait(512, 7, timeout=0.2)
        dt = time.monotonic() - t0
        if r is not False or dt < 0.19:
            fail(f"wait(timeout=0.2) returned {r} after {dt:.3f} s")
        if v.wait(512, 8, timeout=5) is not True:
            fail("wait on a different value did not return True")
        # A wake with no change does not end a wait (the word decides).
        woke = []
        t = threading.Thread(target=lambda: woke.append(v.wait(512, 7, timeout=0.3)))
        t0 = time.monotonic()
        t.start()
        for _ in range(20):
            v.wake(512, 0)
            time.sleep(0.01)
        t.join()
        if woke != [False] or time.monotonic() - t0 < 0.29:
            fail(f"a wake without a change ended the wait: {woke}")
        # A change plus wake from another thread ends it (GIL released).
        t = threading.Thread(target=lambda: woke.append(v.wait(512, 7, timeout=10)))
        t.start()
        time.sleep(0.05)
        v.atomic_store(512, 9, size=4)
        v.wake(512, 0)
        t.join(10)
        if woke != [False, True]:
            fail(f"wait did not see a change from another thread: {woke}")
        n += 6
    closed = open_view(name)
    closed.close()
    n += expect(ValueError, lambda: closed.atomic_load(512), "load on a closed view")
    n += expect(ValueError, lambda: closed.wait(512, 0, timeout=0), "wait on a closed view")
    return {"lang": "python", "checks": n}


def role_bench_add(name, ops, repeat):
    ops, repeat = int(ops), int(repeat)
    mk, base = [], []
    with open_view(name) as v:
        add = v.atomic_add
        raw = mmap.mmap(-1, 4096)
        lock = threading.Lock()
        pack, unpack = struct.pack_into, struct.unpack_from
        for _ in range(repeat):
            t0 = time.perf_counter()
            for _ in range(ops):
                add(1024, 1)
            mk.append((time.perf_counter() - t0) / ops * 1e9)
            t0 = time.perf_counter()
            for _ in range(ops):
                with lock:
                    x, = unpack("=Q", raw, 8)
                    pack("=Q", raw, 8, x + 1)
            base.append((time.perf_counter() - t0) / ops * 1e9)
        if unpack("=Q", raw, 8)[0] != ops * repeat:
            fail("baseline count wrong")
        raw.close()
    mk.sort()
    base.sort()
    return {"lang": "python", "ops": ops, "repeat": repeat,
            "mmapkit_ns": mk[len(mk) // 2], "baseline_ns": base[len(base) // 2],
            "baseline": "struct read-modify-write under threading.Lock on mmap.mmap"}


ROLES = {
    "init": role_init, "dump": role_dump, "unlink": role_unlink,
    "counter": role_counter, "spinlock": role_spinlock,
    "ring-writer": role_ring_writer, "ring-reader": role_ring_reader,
    "pingpong": role_pingpong, "checks": role_checks,
    "bench-add": role_bench_add,
}


def main(argv):
    if len(argv) < 3 or argv[1] not in ROLES:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(ROLES[argv[1]](*argv[2:])), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
