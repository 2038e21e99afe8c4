"""One race pair, run in a child process by test_races.py:

    python -m race_child KIND LIFETIME ACCESS DIR ITERATIONS

An accessor thread loops over ACCESS on one view (KIND "view": a
mmapkit.View, "fd": a View of mmapkit.open(descriptor), "mmap": a
mmapkit.mmap) while the main thread runs LIFETIME
(close, resize, ...) on it. Checked: every byte read is the file's byte,
every exception is a documented one (ValueError once closed, IndexError past
a shrunk end, BufferError for a refused lifetime call), a refused call
changed nothing, and the file holds the right bytes afterwards. Prints "OK"
and exits 0; anything else is a failure (a crash or hang is the parent's
to see).
"""
import faulthandler
import os
import random
import sys
import threading
import time

import mmapkit

SIZE = 1 << 20          # whole-view copies (>= 256 KiB) run without the GIL
HEAD = 4096             # [0, HEAD): atomics and wait words, not the pattern
BIG = 512 << 10
E = bytes(HEAD) + random.Random(11).randbytes(SIZE - HEAD)
NEEDLE_AT = SIZE - 1000
NEEDLE = E[NEEDLE_AT:NEEDLE_AT + 16]


def expect(off, got):
    """got must be the file's bytes at off (zeros past SIZE: a grown file)."""
    want = (E + bytes(max(0, off + len(got) - SIZE)))[off:off + len(got)]
    if got != want:
        raise AssertionError(f"wrong bytes at {off}+{len(got)}")


class Ctx:
    def __init__(self, v, kind):
        self.v, self.kind = v, kind
        self.adds = 0           # successful atomic_add(0, 1)
        self.rnd = random.Random(os.getpid())

    def at(self, span):
        return HEAD + self.rnd.randrange(SIZE - HEAD - span)


# -- accesses: one call each; raise AssertionError on wrong bytes ----------
def slice_small(c):
    a = c.at(64)
    expect(a, c.v[a:a + 64])


def slice_large(c):
    expect(HEAD, c.v[HEAD:])


def index(c):
    a = c.at(1)
    expect(a, bytes([c.v[a]]))


def strided(c):
    got = c.v[HEAD::4096]
    if got != (E + bytes(SIZE))[HEAD::4096][:len(got)]:
        raise AssertionError("wrong strided bytes")


def assign_small(c):
    a = c.at(64)
    c.v[a:a + 64] = E[a:a + 64]


def assign_large(c):
    c.v[HEAD:HEAD + BIG] = E[HEAD:HEAD + BIG]


def read_into(c):
    buf = bytearray(BIG)
    n = c.v.read_into(buf, HEAD)
    expect(HEAD, bytes(buf[:n]))


def write_from(c):
    c.v.write_from(E[HEAD:HEAD + BIG], HEAD)


def atomics(c):
    c.v.atomic_add(0, 1)
    c.adds += 1
    c.v.atomic_store(8, c.adds)
    c.v.atomic_load(8)
    c.v.atomic_cas(16, 0, 0, size=4)


def wait(c):
    # Nobody changes the word: with LIFETIME close the wait must end by the
    # close (ValueError), elsewhere a short timeout.
    if c.v.wait(64, 0, None if c.lifetime == "close" else 0.002):
        raise AssertionError("wait saw a change nobody made")


def wake(c):
    c.v.wake(64, 0)


def flush(c):
    c.v.flush()


def advise(c):
    if c.kind == "mmap":
        c.v.madvise(mmapkit.MADV_WILLNEED)
    else:
        c.v.advise(mmapkit.Advice.WILLNEED)


def resident(c):
    if not 0 <= c.v.resident() <= SIZE * 2:
        raise AssertionError("resident out of range")


def export(c):
    with memoryview(c.v) as mv:
        a = c.at(64)
        expect(a, bytes(mv[a:a + 64]))


def find(c):
    r = c.v.find(NEEDLE, HEAD)
    if r != -1 and (r > NEEDLE_AT or E[r:r + 16] != NEEDLE):
        raise AssertionError(f"find returned {r}")


def contains(c):
    # View: a substring test; mmap: the standard library's 1-byte items.
    probe = NEEDLE[:1] if c.kind == "mmap" else NEEDLE
    if (probe in c.v) not in (True, False):
        raise AssertionError("'in' returned a non-bool")


def seek_read(c):
    a = c.at(BIG)
    c.v.seek(a)
    expect(a, c.v.read(BIG))


def seek_write(c):
    a = c.at(4096)
    c.v.seek(a)
    c.v.write(E[a:a + 4096])


def readline(c):
    a = c.at(64)
    c.v.seek(a)
    expect(a, c.v.readline())


def move(c):
    c.v.move(2048, 1024, 512)  # inside the head: no pattern bytes


def size(c):
    c.v.size()


ACCESSES = {f.__name__: f for f in (
    slice_small, slice_large, index, strided, assign_small, assign_large,
    read_into, write_from, atomics, wait, wake, flush, advise, resident,
    export, find, contains, seek_read, seek_write, readline, move, size)}
VIEW_ACCESSES = [n for n in ACCESSES if n not in ("readline", "move", "size")]
MMAP_ACCESSES = [n for n in ACCESSES if n not in ("resident", "read_into",
                                                  "write_from", "atomics",
                                                  "wait", "wake")]
VIEW_LIFETIMES = ["close", "grow_inplace", "grow_move", "shrink",
                  "export_close", "file_close"]
MMAP_LIFETIMES = ["close", "grow", "shrink"]
# A view of mmapkit.open(descriptor): the caller's descriptor closed under
# the accesses (owner_close) must change nothing; mmapkit's own duplicate
# closed (file_close) neither; the view's close as everywhere.
FD_LIFETIMES = ["close", "file_close", "owner_close"]


def new_size(lifetime):
    return {"grow_inplace": SIZE * 3 // 2, "grow_move": SIZE * 2,
            "grow": SIZE * 2, "shrink": SIZE // 2}.get(lifetime)


def lifetime_op(c, f, path):
    """Runs the lifetime call; retries a refused one, checking each refusal
    changed nothing."""
    v, lt = c.v, c.lifetime
    for _ in range(1000):
        before, fsize = len(v), os.stat(path).st_size
        try:
            if lt in ("close", "export_close"):
                if lt == "export_close":
                    mv = memoryview(v)
                    try:
                        v.close()
                        raise AssertionError("close while exported succeeded")
                    except BufferError:
                        pass
                    if v.closed or len(v) != before:
                        raise AssertionError("refused close changed the view")
                    mv.release()
                v.close()
            elif lt == "file_close":
                f.close()
            elif lt == "owner_close":
                os.close(c.owner)
                c.owner = None
            else:
                v.resize(new_size(lt))
            return
        except BufferError:  # refused while a GIL-free call runs
            if len(v) != before or os.stat(path).st_size != fsize:
                raise AssertionError(
                    f"refused {lt} changed something: view {before}->{len(v)}, "
                    f"file {fsize}->{os.stat(path).st_size}")
            threading.Event().wait(0.0005)
    raise AssertionError(f"{lt} refused 1000 times")


def one_round(kind, lifetime, access, path):
    with open(path, "wb") as fh:
        fh.write(E)
    f = None
    if kind == "mmap":
        fd = os.open(path, os.O_RDWR)
        v = mmapkit.mmap(fd, SIZE)
        os.close(fd)
    elif kind == "fd":
        owner = os.open(path, os.O_RDWR)
        f = mmapkit.open(owner, "r+")
        v = f.map(0, SIZE)
    else:
        f = mmapkit.open(path, "r+")
        v = f.map(0, SIZE, reserve=2 * SIZE if lifetime == "grow_inplace" else None)
    c = Ctx(v, kind)
    c.lifetime = lifetime
    c.owner = owner if kind == "fd" else None
    fn = ACCESSES[access]
    done, started, after, errors = threading.Event(), threading.Event(), [0], []

    def accessor():
        calls = 0
        while not (done.is_set() and after[0] >= 3):
            if calls >= 2 or fn is wait:  # a wait may not return by itself
                started.set()
            try:
                fn(c)
            except ValueError as e:  # closed; or mmap's past-the-end errors
                if not (v.closed or (lifetime == "shrink"
                                     and "out of range" in str(e))):
                    errors.append(f"ValueError on an open view: {e}")
                    return
            except IndexError:  # past a shrunk end
                if lifetime != "shrink":
                    errors.append("IndexError without a shrink")
                    return
            except Exception as e:  # anything else is a failure
                errors.append(f"{type(e).__name__}: {e}")
                return
            calls += 1
            # A window between calls: resize and close are refused
            # (BufferError) while a call runs without the GIL, and a loop
            # of such calls would refuse them forever.
            time.sleep(0.0003)
            if done.is_set():
                after[0] += 1
        started.set()

    t = threading.Thread(target=accessor, daemon=True)
    t.start()
    started.wait(10)
    threading.Event().wait(c.rnd.random() * 0.002)
    try:
        lifetime_op(c, f, path)
    finally:
        done.set()
    t.join(20)
    if t.is_alive():
        raise AssertionError(f"{access} did not return after {lifetime}")
    if errors:
        raise AssertionError(errors[0])
    if lifetime == "close" and not v.closed:
        raise AssertionError("close did not close")
    n = new_size(lifetime)
    if n is not None and len(v) != n:
        raise AssertionError(f"size {len(v)} after resize to {n}")
    adds = c.adds
    if not v.closed:
        v.close()
    if f is not None:
        f.close()
    if c.owner is not None:
        if os.fstat(c.owner).st_size != SIZE:  # mmapkit never closed it
            raise AssertionError("the owner's descriptor changed")
        os.close(c.owner)
    with open(path, "rb") as fh:
        data = fh.read()
    expect(HEAD, data[HEAD:])
    if access == "atomics" and len(data) >= 8:
        got = int.from_bytes(data[:8], "little")
        if got != adds:
            raise AssertionError(f"counter {got}, {adds} adds succeeded")


def main():
    kind, lifetime, access, tmp, rounds = sys.argv[1:6]
    faulthandler.dump_traceback_later(50, exit=True)
    sys.setswitchinterval(1e-4)
    path = os.path.join(tmp, f"race-{os.getpid()}.bin")
    try:
        for _ in range(int(rounds)):
            one_round(kind, lifetime, access, path)
    finally:
        if os.path.exists(path):
            os.unlink(path)
    print("OK")


if __name__ == "__main__":
    main()
