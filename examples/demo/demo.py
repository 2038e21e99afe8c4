"""One memory, three languages: the mmapkit cross-language demo.

    python demo.py run --java "CMD..." --dotnet "CMD..." [--dir DIR]
    python demo.py participant SHM FILE INDEX ROUNDS ADDS [THREADS]

`run` (the orchestrator, Python) creates a named shared-memory region and a
mapped file, starts one participant process per language (Python, Java,
.NET), and prints who wrote and saw what, with timings. Every participant
(this file's `participant` mode, examples/demo/java/Demo.java and
examples/demo/dotnet/Program.cs) follows the same protocol:

  1. attach to the region and the file by name, and announce itself
     (atomic add on `joined`, wake);
  2. sleep in wait() until the orchestrator stores `go` (futex wait/wake,
     no polling), so all three start together;
  3. write its part of the file (1 MiB + 100 bytes at an unaligned offset)
     under an exclusive byte-range lock, flush it (sync), and publish the
     part's checksum in its row of the counter table;
  4. in THREADS threads, each with its own handle (byte-range locks belong
     to a handle), ROUNDS times: take the exclusive byte-range lock on the shared counter
     word, map a fresh 8-byte view of it, read it, add one, write it, close
     the view, unlock (a plain read-modify-write that only the lock keeps
     exact, while views come and go);
  5. in the same threads, ADDS times: an atomic fetch-add on another word
     (no lock);
  6. announce `done` (atomic add, wake), sleep until all three are done;
  7. verify the other two parts (under shared locks): every byte matches
     the writer's pattern and checksum; record what it saw in its row;
  8. the promise: map FILE.trunc (64 KiB), announce `mapped`, sleep until
     the orchestrator has truncated that file to 0 bytes under the live
     views and stored `truncated`, then read 8 bytes at offset 8192 of its
     view. The read must raise the language's fault exception (Python
     FaultError, Java FaultException, .NET IOException), not SIGBUS: the
     process lives on, closes the view and reports what it caught.

Layout of the shared region (native byte order, shared with the Java and
.NET programs):
      0 u32 magic 'MMKD'     4 u32 joined     8 u32 done     12 u32 go
     16 u64 atomic counter  24 u64 locked counter
     32 u32 mapped (step 8)  36 u32 truncated (step 8)
     64 + 64*i: row of participant i (0 Python, 1 Java, 2 .NET):
        +0 u64 lock rounds  +8 u64 checksum of its part  +16 u64 bytes written
        +24 u64 pid  +32 u64 saw mask (bit j: part j verified)  +40 u64 state
"""
import argparse
import json
import os
import shlex
import struct
import subprocess
import sys
import threading
import time

import mmapkit

MAGIC = 0x444B4D4D
OFF_JOINED, OFF_DONE, OFF_GO = 4, 8, 12
OFF_ATOMIC, OFF_LOCKED = 16, 24
OFF_MAPPED, OFF_TRUNCATED = 32, 36
TRUNC_SIZE, TRUNC_READ_AT = 64 << 10, 8192
ROW0, ROW_SIZE = 64, 64
PART = (1 << 20) + 100          # unaligned parts: page alignment is mmapkit's job
NAMES = ["Python", "Java", ".NET"]
N = 3


# 256 rotations of one 256-byte row, so a pattern is built a block at a time.
_ROWS = [bytes((j * 31 + c) & 255 for j in range(256)) for c in range(256)]


def pattern(index, n):
    """The bytes participant `index` writes: byte k = (index*71 + k*31 + (k>>8)) & 255.
    Within 256-byte block b that is (j*31 + index*71 + b) & 255 (31*256 = 0 mod 256)."""
    blocks = (n + 255) // 256
    return b"".join(_ROWS[(index * 71 + b) & 255] for b in range(blocks))[:n]


def fnv1a64(data):
    # FNV-1a over 8-byte little-endian words (fast enough in Python for 1 MiB,
    # and the same definition in Java and .NET).
    h = 0xcbf29ce484222325
    words = struct.unpack_from(f"<{len(data) // 8}Q", data)
    for w in words:
        h = ((h ^ w) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    for b in data[len(words) * 8:]:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def row(i, field):
    return ROW0 + ROW_SIZE * i + 8 * field


def wait_until(view, off, target, timeout):
    """Sleeps in wait() until the u32 at off reaches target."""
    end = time.monotonic() + timeout
    while True:
        cur = view.atomic_load(off, 4)
        if cur >= target:
            return cur
        left = end - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"word at {off} is {cur}, waited for {target}")
        view.wait(off, cur, min(left, 1.0))


def participant(shm_name, path, index, rounds, adds, threads):
    t = {}
    t0 = time.perf_counter()
    region = mmapkit.shared_memory(shm_name)           # attach by name (must exist)
    table = region.map()
    f = mmapkit.open(path, "r+")
    t["attach_ms"] = (time.perf_counter() - t0) * 1e3
    if table.atomic_load(0, 4) != MAGIC:
        raise SystemExit("participant: region has no demo magic")
    table.atomic_store(row(index, 3), os.getpid())
    table.atomic_add(OFF_JOINED, 1, 4)
    table.wake(OFF_JOINED, 0)
    wait_until(table, OFF_GO, 1, 60)

    # 3. my part, under an exclusive lock on its byte range, then sync flush
    t0 = time.perf_counter()
    data = pattern(index, PART)
    with f.lock(index * PART, PART):
        with f.map(index * PART, PART) as part:
            part[0:PART] = data
            part.flush(mode="sync")
    table.atomic_store(row(index, 1), fnv1a64(data))
    table.atomic_store(row(index, 2), PART)
    t["write_flush_ms"] = (time.perf_counter() - t0) * 1e3

    # 4 and 5, in `threads` threads, each with its own handle: byte-range
    # locks belong to a handle (OFD locks), so threads sharing one handle
    # would not exclude each other.
    def worker(stats):
        h = mmapkit.shared_memory(shm_name)
        tv = h.map()
        mv = memoryview(tv)
        t0 = time.perf_counter()
        for _ in range(rounds):
            with h.lock(OFF_LOCKED, 8):
                # A fresh 8-byte view at an unaligned offset each round: views
                # are created and closed while the others hammer the page.
                with h.map(OFF_LOCKED, 8) as w:
                    (v,) = struct.unpack("=Q", w[0:8])
                    w[0:8] = struct.pack("=Q", v + 1)
                (r,) = struct.unpack_from("=Q", mv, row(index, 0))
                struct.pack_into("=Q", mv, row(index, 0), r + 1)
        t1 = time.perf_counter()
        add = tv.atomic_add
        for _ in range(adds):
            add(OFF_ATOMIC, 1)
        t2 = time.perf_counter()
        stats.append((t1 - t0, t2 - t1))
        mv.release()
        tv.close()
        h.close()

    stats = []
    workers = [threading.Thread(target=worker, args=(stats,)) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if len(stats) != threads:
        raise SystemExit("participant: a worker thread failed")
    t["lock_rounds_us_each"] = max(a for a, _ in stats) * 1e6 / max(rounds, 1)
    t["atomic_add_ns_each"] = max(b for _, b in stats) * 1e9 / max(adds, 1)

    # 6. done; sleep until everyone is
    table.atomic_add(OFF_DONE, 1, 4)
    table.wake(OFF_DONE, 0)
    t0 = time.perf_counter()
    wait_until(table, OFF_DONE, N, 120)
    t["barrier_wait_ms"] = (time.perf_counter() - t0) * 1e3

    # 7. verify the others' parts
    t0 = time.perf_counter()
    saw = {}
    mask = 0
    with f.map() as whole:
        for j in range(N):
            if j == index:
                continue
            with f.lock(j * PART, PART, shared=True):
                got = whole[j * PART:(j + 1) * PART]
            ok_bytes = got == pattern(j, PART)
            ok_sum = fnv1a64(got) == table.atomic_load(row(j, 1))
            saw[NAMES[j]] = "ok" if ok_bytes and ok_sum else \
                f"MISMATCH (bytes {'ok' if ok_bytes else 'bad'}, checksum {'ok' if ok_sum else 'bad'})"
            if ok_bytes and ok_sum:
                mask |= 1 << j
    table.atomic_store(row(index, 4), mask)
    t["verify_ms"] = (time.perf_counter() - t0) * 1e3

    # 8. a file truncated under a live view: an exception, not a crash
    with mmapkit.open(path + ".trunc", "r") as tf, tf.map() as tv:
        tv[0:8]
        table.atomic_add(OFF_MAPPED, 1, 4)
        table.wake(OFF_MAPPED, 0)
        wait_until(table, OFF_TRUNCATED, 1, 120)
        try:
            got = tv[TRUNC_READ_AT:TRUNC_READ_AT + 8]
            truncation = f"no error: read {len(got)} bytes"
        except mmapkit.FaultError as e:
            truncation = f"{type(e).__name__}: {e}"
    result = {"lang": NAMES[index], "pid": os.getpid(), "wrote": PART, "saw": saw,
              "truncation": truncation,
              "locked_counter_seen": struct.unpack_from("=Q", table[OFF_LOCKED:OFF_LOCKED + 8])[0],
              "atomic_counter_seen": table.atomic_load(OFF_ATOMIC), "timings": t}
    table.close()
    region.close()
    f.close()
    print(json.dumps(result), flush=True)


def run(args):
    os.makedirs(args.dir, exist_ok=True)
    shm_name = f"mmapkit-demo-{os.getpid()}"
    path = os.path.join(args.dir, "demo.bin")
    t_start = time.perf_counter()
    region = mmapkit.shared_memory(shm_name, size=4096, exclusive=True)
    table = region.map()
    f = mmapkit.open(path, "w+", size=N * PART)
    with open(path + ".trunc", "wb") as tf:
        tf.write(pattern(0, TRUNC_SIZE))
    table.atomic_store(0, MAGIC, 4)
    print(f"Python (orchestrator, pid {os.getpid()}) created shared memory '{shm_name}' "
          f"(4 KiB) and mapped file {path} ({N * PART} bytes)")
    cmds = [
        [sys.executable, os.path.abspath(__file__), "participant"],
        shlex.split(args.java),
        shlex.split(args.dotnet),
    ]
    procs = []
    outputs = [None] * N
    try:
        for i, base in enumerate(cmds):
            procs.append(subprocess.Popen(base + [shm_name, path, str(i), str(args.rounds),
                                                  str(args.adds), str(args.threads)],
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          text=True))
        # Everyone attached? (sleep in wait(), woken by each arrival)
        t0 = time.perf_counter()
        try:
            wait_until(table, OFF_JOINED, N, 120)
        except TimeoutError:
            for p in procs:
                if p.poll() is not None:
                    print(p.stderr.read(), file=sys.stderr)
            raise
        t_attach = (time.perf_counter() - t0) * 1e3
        print(f"all {N} participants attached by name ({t_attach:.0f} ms after launch, "
              f"JVM and .NET start-up included); go")
        table.atomic_store(OFF_GO, 1, 4)
        table.wake(OFF_GO, 0)
        t_go = time.perf_counter()

        def collect(i, p):
            out, err = p.communicate(timeout=300)
            outputs[i] = (p.returncode, out, err)
        threads = [threading.Thread(target=collect, args=(i, p)) for i, p in enumerate(procs)]
        for th in threads:
            th.start()
        # 8. once every participant has its view of FILE.trunc: shrink the
        # file to nothing under them, and tell them to read.
        truncated = False
        try:
            wait_until(table, OFF_MAPPED, N, 300)
            os.truncate(path + ".trunc", 0)
            truncated = True
        finally:
            table.atomic_store(OFF_TRUNCATED, 1, 4)   # releases them either way
            table.wake(OFF_TRUNCATED, 0)
        for th in threads:
            th.join()
        t_work = (time.perf_counter() - t_go) * 1e3
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()

    ok = True
    results = []
    for i, (rc, out, err) in enumerate(outputs):
        line = next((ln for ln in out.splitlines() if ln.startswith("{")), None)
        if rc != 0 or line is None:
            ok = False
            print(f"\n{NAMES[i]} participant failed (exit {rc}):\n{err.strip()[-2000:]}\n{out.strip()[-500:]}")
            results.append(None)
            continue
        results.append(json.loads(line))

    locked = struct.unpack_from("=Q", table[OFF_LOCKED:OFF_LOCKED + 8])[0]
    atomic = table.atomic_load(OFF_ATOMIC)
    rounds = [struct.unpack_from("=Q", table[row(i, 0):row(i, 0) + 8])[0] for i in range(N)]
    masks = [table.atomic_load(row(i, 4)) for i in range(N)]
    # The orchestrator checks the file too, through a fresh read-only handle.
    with mmapkit.open(path, "r") as rf, rf.map() as whole:
        file_ok = [whole[j * PART:(j + 1) * PART] == pattern(j, PART) for j in range(N)]

    print()
    print("Each participant wrote its part of the file under a byte-range lock and flushed it\n"
          "(write+flush), verified the other two parts byte by byte (saw the others, verify),\n"
          "took and released the lock on a shared counter word in every round (lock round: the\n"
          "time of one round) and hammered another word with fetch-adds (atomic add: per add).")
    print(f"{'who':8} {'pid':>8} {'wrote':>12} {'saw the others':30} {'write+flush':>12} "
          f"{'lock round':>11} {'atomic add':>11} {'verify':>9}")
    for i, r in enumerate(results):
        if r is None:
            print(f"{NAMES[i]:8} {'-':>8} {'FAILED':>12}")
            continue
        t = r["timings"]
        saw = ", ".join(f"{k} {v}" for k, v in r["saw"].items())
        print(f"{r['lang']:8} {r['pid']:>8} {r['wrote']:>10} B {saw:30} "
              f"{t['write_flush_ms']:>9.1f} ms {t['lock_rounds_us_each']:>8.1f} µs "
              f"{t['atomic_add_ns_each']:>8.0f} ns {t['verify_ms']:>6.0f} ms")
        if any(v != "ok" for v in r["saw"].values()):
            ok = False
    T = args.threads
    want = N * T * args.rounds
    print()
    print(f"locked counter : {locked} (expected {want}: {N} processes × {T} threads × "
          f"{args.rounds} lock-protected read-modify-writes; per process {rounds}) "
          f"{'OK' if locked == want and rounds == [T * args.rounds] * N else 'WRONG'}")
    want_a = N * T * args.adds
    print(f"atomic counter : {atomic} (expected {want_a}: {N} × {T} × {args.adds} fetch-adds) "
          f"{'OK' if atomic == want_a else 'WRONG'}")
    print(f"file parts     : {', '.join(f'{NAMES[j]} ' + ('ok' if file_ok[j] else 'BAD') for j in range(N))} "
          f"(re-read by the orchestrator)")
    print(f"cross checks   : {sum(bin(m).count('1') for m in masks)} of {N * (N - 1)} "
          f"(each participant verified the other two parts)")
    caught = [r["truncation"] if r else "FAILED" for r in results]
    trunc_ok = truncated and all(r is not None and not r["truncation"].startswith("no error")
                                 for r in results)
    print(f"truncation     : FILE.trunc cut from {TRUNC_SIZE >> 10} KiB to 0 under three live views; "
          f"each read at {TRUNC_READ_AT} raised, and every process lived "
          f"{'OK' if trunc_ok else 'WRONG'}")
    for i, c in enumerate(caught):
        print(f"                 {NAMES[i]:7} {c}")
    print(f"wall time      : {t_work:.0f} ms from go to last report, "
          f"{(time.perf_counter() - t_start) * 1e3:.0f} ms in all")
    ok = ok and trunc_ok and locked == want and rounds == [T * args.rounds] * N and atomic == want_a \
        and all(file_ok) and \
        all(m == ((1 << N) - 1) & ~(1 << i) for i, m in enumerate(masks))
    table.close()
    region.close()
    f.close()
    mmapkit.unlink_shared_memory(shm_name)
    os.unlink(path)
    os.unlink(path + ".trunc")
    print("\nRESULT: " + ("three languages shared one memory: every write seen, every counter exact,"
                          " and a file truncated under them was an exception in each, not a crash"
                          if ok else "FAILED"))
    return 0 if ok else 1


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "participant":
        participant(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]),
                    int(sys.argv[7]) if len(sys.argv) > 7 else 1)
        return 0
    ap = argparse.ArgumentParser(description="mmapkit cross-language demo")
    ap.add_argument("cmd", choices=["run"])
    ap.add_argument("--java", required=True, help="command that starts the Java participant")
    ap.add_argument("--dotnet", required=True, help="command that starts the .NET participant")
    ap.add_argument("--dir", default=".")
    ap.add_argument("--rounds", type=int, default=500)
    ap.add_argument("--adds", type=int, default=100000)
    ap.add_argument("--threads", type=int, default=2, help="threads per process")
    return run(ap.parse_args())


if __name__ == "__main__":
    sys.exit(main())
