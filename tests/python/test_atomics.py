"""Atomics and wait/wake on a view (issue 7), within and across processes."""
import inspect
import os
import subprocess
import sys
import textwrap
import threading
import time
import unittest

import mmapkit
from support import TempDirTest, unique_shm_name


class TestAtomics(unittest.TestCase):
    def setUp(self):
        self.f = mmapkit.anonymous(4096)
        self.v = self.f.map()
        self.addCleanup(self.f.close)
        self.addCleanup(self.v.close)

    def test_load_store_add_cas_64(self):
        v = self.v
        self.assertEqual(v.atomic_load(8), 0)
        v.atomic_store(8, 1 << 40)
        self.assertEqual(v.atomic_load(8), 1 << 40)
        self.assertEqual(v.atomic_add(8, 5), 1 << 40)
        self.assertEqual(v.atomic_load(8), (1 << 40) + 5)
        self.assertEqual(v.atomic_cas(8, 0, 7), (False, (1 << 40) + 5))
        self.assertEqual(v.atomic_cas(8, (1 << 40) + 5, 7), (True, (1 << 40) + 5))
        self.assertEqual(v.atomic_load(8), 7)
        self.assertEqual(v[8:16], (7).to_bytes(8, sys.byteorder))

    def test_32_bit_and_wrapping(self):
        v = self.v
        v.atomic_store(4, 0xFFFFFFFF, size=4)
        self.assertEqual(v.atomic_add(4, 1, size=4), 0xFFFFFFFF)
        self.assertEqual(v.atomic_load(4, size=4), 0)
        self.assertEqual(v.atomic_load(0, size=8), 0)  # neighbour untouched
        v.atomic_add(4, -1, size=4)
        self.assertEqual(v.atomic_load(4, size=4), 0xFFFFFFFF)
        v.atomic_store(16, -1)
        self.assertEqual(v.atomic_load(16), (1 << 64) - 1)
        self.assertEqual(v.atomic_cas(4, -1, 3, size=4), (True, 0xFFFFFFFF))

    def test_misaligned_or_wrong_size_words_are_value_errors(self):
        v = self.v
        with self.assertRaises(ValueError):
            v.atomic_load(2)  # misaligned
        with self.assertRaises(ValueError):
            v.atomic_load(4, size=8)
        with self.assertRaises(ValueError):
            v.atomic_load(0, size=2)
        with self.assertRaises(IndexError):
            v.atomic_load(4096)
        with self.assertRaises(IndexError):
            v.atomic_store(4092, 1, size=8)
        with self.assertRaises(OverflowError):
            v.atomic_store(0, 1 << 32, size=4)
        with self.assertRaises(OverflowError):
            v.atomic_store(0, 1 << 64)
        with self.assertRaises(TypeError):
            v.atomic_store(0, 1.5)
        with self.assertRaises(ValueError):
            v.wait(0, 0, timeout=-1)

    def test_keyword_forms_and_call_errors(self):
        # atomic_load/atomic_store/wait/wake are C methods with their own
        # argument parsing: check it against the documented signatures.
        v = self.v
        v.atomic_store(offset=8, value=7, size=4)
        self.assertEqual(v.atomic_load(size=4, offset=8), 7)
        self.assertEqual(v.atomic_add(offset=8, delta=-1, size=4), 7)
        self.assertEqual(v.atomic_cas(offset=8, expected=6, desired=9, size=4), (True, 6))
        self.assertEqual(v.atomic_cas(8, 6, 1, size=4), (False, 9))
        v.atomic_store(8, 7, size=4)
        self.assertTrue(v.wait(offset=8, expected=6, timeout=None))
        self.assertEqual(v.wake(offset=8, count=0), 0)
        self.assertEqual(str(inspect.signature(v.wait)),
                         "(offset, expected, timeout=None)")
        for call in (lambda: v.wait(8), lambda: v.atomic_load(),
                     lambda: v.atomic_load(8, size=4, sise=4),
                     lambda: v.atomic_load(8, 4, size=4),
                     lambda: v.atomic_store(8, 1, 4, 4),
                     lambda: v.atomic_add(8), lambda: v.atomic_cas(8, 1),
                     lambda: v.atomic_add(8, 1, 4, size=4),
                     lambda: v.wait(8, 7, timeout="1"),
                     lambda: v.wake(8, count=1.0)):
            with self.assertRaises(TypeError):
                call()
        with self.assertRaises(ValueError):
            v.wait(8, 7, timeout=float("nan"))

    def test_wait_returns_false_on_timeout_and_true_when_changed(self):
        v = self.v
        self.assertFalse(v.wait(0, 0, timeout=0))
        self.assertFalse(v.wait(0, 0, timeout=0.01))
        self.assertTrue(v.wait(0, 1, timeout=0))  # already different
        result = []

        def waiter():
            result.append(v.wait(0, 0, timeout=30))

        t = threading.Thread(target=waiter)
        t.start()
        time.sleep(0.05)  # the waiter sleeps in the futex without the GIL
        v.atomic_store(0, 1, size=4)
        self.assertGreaterEqual(v.wake(0, 1), 0)
        t.join(30)
        self.assertFalse(t.is_alive())
        self.assertEqual(result, [True])
        self.assertEqual(v.wake(0), 0)  # nobody left


class TestCrossProcess(TempDirTest):
    def test_wait_wake_across_processes_over_shared_memory(self):
        name = unique_shm_name("futex")
        shm = mmapkit.shared_memory(name, size=4096)
        self.addCleanup(mmapkit.unlink_shared_memory, name)
        self.addCleanup(shm.close)
        v = shm.map()
        self.addCleanup(v.close)
        child = textwrap.dedent("""
            import sys, mmapkit
            v = mmapkit.shared_memory(sys.argv[1]).map()
            v.atomic_add(8, 1)            # "I am here"
            ok = v.wait(0, 0, timeout=60) # until the parent flips the word
            v.atomic_add(8, 100)
            print(ok, v.atomic_load(0, size=4))
        """)
        p = subprocess.Popen([sys.executable, "-c", child, name],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while v.atomic_load(8) == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(v.atomic_load(8), 1)
        v.atomic_store(0, 5, size=4)
        v.wake(0, 0)  # all
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(out.split(), ["True", "5"])
        self.assertEqual(v.atomic_load(8), 101)


if __name__ == "__main__":
    unittest.main()
