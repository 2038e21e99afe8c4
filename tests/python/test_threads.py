"""The GIL is released around blocking work: flush, blocking locks, waits,
large copies; close() during such a call is deferred, never a crash.

The checks do not time anything: with sys.setswitchinterval() set huge, a
thread only gives the GIL away when it blocks, so another thread can run
"during" a call only if that call released the GIL.
"""
import os
import sys
import threading
import unittest

import mmapkit
from support import TempDirTest, pattern

BIG = 64 << 20


class GilTest(TempDirTest):
    def setUp(self):
        super().setUp()
        old = sys.getswitchinterval()
        sys.setswitchinterval(1000.0)
        self.addCleanup(sys.setswitchinterval, old)

    def observed_during(self, call):
        """Runs call() in a thread; returns True if the main thread got to
        run while call() was in progress."""
        state = {"inside": False, "seen": False}
        started = threading.Event()

        def worker():
            state["inside"] = True
            started.set()  # wakes the main thread, which then needs the GIL
            try:
                call()
            finally:
                state["inside"] = False

        t = threading.Thread(target=worker)
        t.start()
        started.wait()
        state["seen"] = state["inside"]
        t.join()
        return state["seen"]


class TestGilRelease(GilTest):
    def test_method_detects_a_call_that_keeps_the_gil(self):
        # The negative control: bytes(n) allocates and zeroes holding the GIL.
        self.assertFalse(self.observed_during(lambda: bytes(BIG)))

    def dirty_view(self, v=None, fill=0xA5):
        if v is None:
            f = mmapkit.open(self.path(), "w+", size=BIG)
            self.addCleanup(f.close)
            v = f.map()
            self.addCleanup(v.close)
        chunk = bytes([fill]) * (1 << 20)
        for off in range(0, BIG, 1 << 20):
            v[off:off + (1 << 20)] = chunk
        return v

    def test_long_flush_does_not_stall_other_threads(self):
        v = self.dirty_view()
        seen = False
        for attempt in range(5):  # a loaded machine may be slow to switch
            if self.observed_during(lambda: v.flush(mode="full")):
                seen = True
                break
            self.dirty_view(v, fill=attempt)
        self.assertTrue(seen)

    def test_blocking_lock_does_not_stall_other_threads(self):
        p = self.path(content=bytes(16))
        a, b = mmapkit.open(p, "r+"), mmapkit.open(p, "r+")
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        held = a.lock()
        got = threading.Event()

        def taker():
            with b.lock():  # blocks until the main thread releases
                got.set()

        t = threading.Thread(target=taker)
        t.start()
        # If the waiting lock held the GIL this thread would hang here.
        self.assertFalse(got.wait(0.2))
        held.release()
        self.assertTrue(got.wait(30))
        t.join()

    def test_large_copy_releases_the_gil(self):
        f = mmapkit.anonymous(BIG)
        self.addCleanup(f.close)
        v = f.map()
        self.addCleanup(v.close)
        buf = bytearray(BIG)
        seen = False
        for _ in range(20):  # a 64 MiB memcpy is short: allow a few tries
            if self.observed_during(lambda: v.read_into(buf)):
                seen = True
                break
        self.assertTrue(seen)

    def test_close_during_flush_is_deferred(self):
        v = self.dirty_view()
        started = threading.Event()
        errors = []

        def flusher():
            started.set()
            try:
                v.flush(mode="full")
            except Exception as e:  # must not happen
                errors.append(e)

        t = threading.Thread(target=flusher)
        t.start()
        started.wait()
        v.close()  # while (or after) the flush runs
        self.assertTrue(v.closed)
        with self.assertRaises(ValueError):
            v[0]
        t.join()
        self.assertEqual(errors, [])
        self.assertTrue(v.closed)

    def test_resize_refused_during_gil_free_call(self):
        f = mmapkit.open(self.path(), "w+", size=BIG)
        self.addCleanup(f.close)
        v = f.map(0, BIG, reserve=2 * BIG)
        self.addCleanup(v.close)
        v[0:1 << 20] = b"\1" * (1 << 20)
        outcome = []
        started = threading.Event()

        def flusher():
            started.set()
            v.flush(mode="full")

        t = threading.Thread(target=flusher)
        t.start()
        started.wait()
        try:
            v.resize(BIG + 4096)
            outcome.append("resized")
        except BufferError:
            outcome.append("refused")
        t.join()
        # Either the flush had finished (resize fine) or it was refused;
        # never a resize under a running msync.
        self.assertIn(outcome[0], ("resized", "refused"))

    def test_close_file_during_blocking_lock_is_deferred(self):
        p = self.path(content=bytes(16))
        a, b = mmapkit.open(p, "r+"), mmapkit.open(p, "r+")
        self.addCleanup(a.close)
        held = a.lock()
        entered = threading.Event()
        result = []

        def taker():
            entered.set()
            try:
                b.lock()
                result.append("locked")
            except Exception as e:
                result.append(type(e).__name__)

        t = threading.Thread(target=taker)
        t.start()
        entered.wait()
        b.close()  # deferred: the lock call holds the handle
        self.assertTrue(b.closed)
        held.release()
        t.join(30)
        self.assertFalse(t.is_alive())
        self.assertEqual(result, ["locked"])
        c = mmapkit.open(p, "r+")  # b's handle is really closed now
        c.lock(blocking=False).release()
        c.close()


class TestConcurrentAccess(TempDirTest):
    def test_threads_hammer_one_view(self):
        f = mmapkit.anonymous(1 << 17)
        v = f.map()
        errors = []

        def work(k):
            try:
                for i in range(2000):
                    off = k * 16384 + (i * 8) % 16384
                    v[off:off + 8] = i.to_bytes(8, "little")
                    v[off:off + 8]
                    v.atomic_add(1 << 16, 1)
            except Exception as e:
                errors.append(e)

        ts = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(v.atomic_load(1 << 16), 4 * 2000)
        for k in range(4):  # each thread's last value in its own page
            last = k * 16384 + (1999 * 8) % 16384
            self.assertEqual(int.from_bytes(v[last:last + 8], "little"), 1999)
        v.close()
        f.close()


if __name__ == "__main__":
    unittest.main()
