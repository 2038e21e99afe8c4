"""Calls racing each other (issue 11): every lifetime operation of a view
(close, resize in place / with a move / shrinking, close while exported,
closing the file; for a view of mmapkit.open(descriptor) also the
caller closing theirs) and of mmapkit.mmap (close, resize up / down) against
every access on another thread. Each pair runs in its own child process
(race_child.py) under a watchdog: no crash, no hang, only documented
exceptions, right bytes, and a refused call changes nothing.
"""
import concurrent.futures
import os
import subprocess
import sys
import threading
import unittest

import mmapkit
import race_child
from support import TempDirTest

ROUNDS = os.environ.get("MMAPKIT_RACE_ROUNDS", "6")
WATCHDOG = 60  # seconds per pair


def run_pair(kind, lifetime, access, tmp):
    """None when the pair held, else what went wrong."""
    cmd = [sys.executable, "-X", "faulthandler", "-m", "race_child", kind,
           lifetime, access, tmp, ROUNDS]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=WATCHDOG)
    except subprocess.TimeoutExpired:
        return "hang (watchdog)"
    if p.returncode == 0 and p.stdout.strip().endswith("OK"):
        return None
    how = (f"killed by signal {-p.returncode}" if p.returncode < 0
           else f"exit {p.returncode}")
    return f"{how}: {(p.stdout + p.stderr).strip()[-1500:]}"


class RaceTest(TempDirTest):
    def run_pairs(self, kind, lifetime, accesses):
        # Two children at a time: the machine is shared.
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            results = dict(zip(accesses, pool.map(
                lambda a: run_pair(kind, lifetime, a, self.dir), accesses)))
        for access, failure in results.items():
            with self.subTest(pair=f"{kind}.{lifetime} x {access}"):
                self.assertIsNone(failure)


def _add(kind, lifetime, accesses):
    def test(self):
        self.run_pairs(kind, lifetime, accesses)
    test.__name__ = f"test_{kind}_{lifetime}_races_every_access"
    test.__doc__ = f"{kind} {lifetime} x {len(accesses)} accesses"
    setattr(RaceTest, test.__name__, test)


for _lt in race_child.VIEW_LIFETIMES:
    _add("view", _lt, race_child.VIEW_ACCESSES)
for _lt in race_child.FD_LIFETIMES:
    _add("fd", _lt, race_child.VIEW_ACCESSES)
for _lt in race_child.MMAP_LIFETIMES:
    _add("mmap", _lt, race_child.MMAP_ACCESSES)


class TestRefusedCallsChangeNothing(TempDirTest):
    """Issue 11.8: mmapkit.mmap.resize refused with BufferError had already
    cut the file."""

    def test_refused_mmap_resize_leaves_file_and_map_alone(self):
        size = 1 << 20
        p = self.path(content=bytes(range(256)) * (size // 256))
        with open(p, "r+b") as fh:
            m = mmapkit.mmap(fh.fileno(), size)
        self.addCleanup(m.close)
        # A wait without the GIL keeps a call in flight on the map for as
        # long as we need (the deterministic stand-in for a large copy).
        waiting = threading.Event()

        def waiter():
            waiting.set()
            mmapkit.View.wait(m, 0, 0x03020100, 2.0)

        t = threading.Thread(target=waiter)
        t.start()
        waiting.wait()
        threading.Event().wait(0.05)  # let it block
        for newsize in (4096, 2 * size):
            with self.assertRaises(BufferError):
                m.resize(newsize)
            self.assertEqual(os.stat(p).st_size, size)
            self.assertEqual(len(m), size)
        m[0:1] = b"\xff"  # ends the wait
        mmapkit.View.wake(m, 0, 0)
        t.join(10)
        self.assertFalse(t.is_alive())
        m.resize(4096)  # no longer refused
        self.assertEqual(os.stat(p).st_size, 4096)
        self.assertEqual(m[1:256], bytes(range(1, 256)))

    def test_refused_view_resize_leaves_view_alone(self):
        f = mmapkit.open(self.path(content=bytes(1 << 20)), "r+")
        self.addCleanup(f.close)
        v = f.map()
        self.addCleanup(v.close)
        mv = memoryview(v)
        for n in (4096, 2 << 20):
            with self.assertRaises(BufferError):
                v.resize(n)
            self.assertEqual((len(v), f.size), (1 << 20, 1 << 20))
        mv.release()


if __name__ == "__main__":
    unittest.main()
