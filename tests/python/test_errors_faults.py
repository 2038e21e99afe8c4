"""Errors carry errno/strerror/filename; truncation faults become
FaultError and the interpreter survives."""
import errno
import mmap as std_mmap
import os
import signal
import subprocess
import sys
import textwrap
import unittest

import mmapkit
from support import TempDirTest, pattern, run_python

PAGE = std_mmap.PAGESIZE


class TestErrors(TempDirTest):
    def test_missing_file_is_file_not_found_naming_the_path(self):
        p = self.path("missing.bin")
        with self.assertRaises(FileNotFoundError) as cm:
            mmapkit.open(p)
        e = cm.exception
        self.assertEqual(e.errno, errno.ENOENT)
        self.assertEqual(e.filename, p)
        self.assertIn("No such file", e.strerror)
        self.assertIn(p, str(e))

    def test_directory_is_is_a_directory_error_naming_the_path(self):
        with self.assertRaises(IsADirectoryError) as cm:
            mmapkit.open(self.dir)
        self.assertEqual(cm.exception.errno, errno.EISDIR)
        self.assertEqual(cm.exception.filename, self.dir)

    def test_exclusive_create_existing(self):
        p = self.path(content=b"x")
        with self.assertRaises(FileExistsError) as cm:
            mmapkit.open(p, "x+", size=1)
        self.assertEqual(cm.exception.errno, errno.EEXIST)
        self.assertEqual(cm.exception.filename, p)

    def test_fifo_is_refused_without_blocking(self):
        p = self.path("fifo")
        os.mkfifo(p)
        with self.assertRaises(OSError) as cm:
            mmapkit.open(p)
        self.assertEqual(cm.exception.filename, p)
        self.assertIsNotNone(cm.exception.errno)

    def test_embedded_nul_in_path(self):
        with self.assertRaises(ValueError):
            mmapkit.open("a\0b")

    def test_write_access_on_read_only_descriptor(self):
        p = self.path(content=b"abc")
        fd = os.open(p, os.O_RDONLY)
        try:
            with self.assertRaises(PermissionError) as cm:
                mmapkit.mmap(fd, 0, access=std_mmap.ACCESS_WRITE)
            self.assertEqual(cm.exception.errno, errno.EACCES)
        finally:
            os.close(fd)

    def test_bad_descriptor_is_ebadf(self):
        with self.assertRaises(OSError) as cm:
            mmapkit.mmap(999999, 10)
        self.assertEqual(cm.exception.errno, errno.EBADF)

    def test_lock_held_is_blocking_io_error_with_errno(self):
        p = self.path(content=bytes(10))
        a, b = mmapkit.open(p, "r+"), mmapkit.open(p, "r+")
        try:
            a.lock()
            with self.assertRaises(BlockingIOError) as cm:
                b.lock(blocking=False)
            self.assertIn(cm.exception.errno, (errno.EAGAIN, errno.EACCES))
            self.assertEqual(cm.exception.filename, p)
        finally:
            a.close()
            b.close()

    def test_out_of_range_access_is_index_error(self):
        p = self.path(content=bytes(100))
        with mmapkit.open(p, "r+") as f, f.map() as v:
            with self.assertRaises(IndexError):
                v.atomic_load(104)
            with self.assertRaises(IndexError):
                v.resident(101)
            with self.assertRaises(ValueError):  # closed / bad args
                v.flush(-1)
            with self.assertRaises(ValueError):
                v.atomic_load(3)  # misaligned

    def test_fault_error_is_an_oserror_of_mmapkit(self):
        self.assertTrue(issubclass(mmapkit.FaultError, OSError))
        self.assertEqual(mmapkit.FaultError.__module__, "mmapkit")


class TestFaults(TempDirTest):
    """A file truncated by another process: the fault-safe copies raise
    FaultError (errno EIO) and the interpreter keeps running."""

    def truncate_in_child(self, path, size):
        r = run_python("import os, sys; os.truncate(sys.argv[1], int(sys.argv[2]))",
                       path, str(size))
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_truncation_by_child_raises_fault_error(self):
        p = self.path(content=pattern(16 * PAGE))
        with mmapkit.open(p, "r+") as f:
            v = f.map()
            self.assertEqual(v[PAGE * 8:PAGE * 8 + 4], pattern(16 * PAGE)[PAGE * 8:PAGE * 8 + 4])
            self.truncate_in_child(p, PAGE)
            self.assertEqual(v[0:4], pattern(4))  # still inside the file
            for access in (lambda: v[PAGE * 8:PAGE * 8 + 4], lambda: v[PAGE * 9],
                           lambda: v[-1], lambda: v[::PAGE],
                           lambda: v.read_into(bytearray(10), PAGE * 10),
                           lambda: v.__setitem__(PAGE * 12, 1),
                           lambda: v.__setitem__(slice(PAGE * 2, PAGE * 2 + 3), b"abc"),
                           lambda: v.write_from(b"abc", PAGE * 3),
                           lambda: v.atomic_load(PAGE * 4),
                           lambda: v.atomic_add(PAGE * 4, 1, 4),
                           lambda: v[PAGE:]):
                with self.assertRaises(mmapkit.FaultError) as cm:
                    access()
                e = cm.exception
                self.assertIsInstance(e, OSError)
                self.assertEqual(e.errno, errno.EIO)
                self.assertEqual(e.filename, p)
            # Large copy (the GIL-free path) faults the same way.
            with self.assertRaises(mmapkit.FaultError):
                v.read_into(bytearray(8 * PAGE + (1 << 18)), 0)
            # The view is still usable where the file still is.
            v[0:2] = b"ok"
            self.assertEqual(v[0:2], b"ok")
            v.close()

    def test_mmap_dropin_survives_truncation(self):
        p = self.path(content=pattern(8 * PAGE))
        fd = os.open(p, os.O_RDWR)
        try:
            m = mmapkit.mmap(fd, 0)
            self.truncate_in_child(p, 0)
            with self.assertRaises(mmapkit.FaultError):
                m[0:10]
            with self.assertRaises(mmapkit.FaultError):
                m.read(10)
            with self.assertRaises(mmapkit.FaultError):
                m.find(b"zzz")
            with self.assertRaises(mmapkit.FaultError):
                m.write(b"abc")
            m.close()
        finally:
            os.close(fd)

    def test_stdlib_mmap_dies_where_mmapkit_survives(self):
        # The motivating bug, in a child: the stdlib map is killed by SIGBUS.
        p = self.path(content=pattern(4 * PAGE))
        code = textwrap.dedent("""
            import mmap, os, sys
            fd = os.open(sys.argv[1], os.O_RDWR)
            m = mmap.mmap(fd, 0)
            os.truncate(sys.argv[1], 0)
            m[0:10]
            print("survived")
        """)
        r = run_python(code, p)
        self.assertEqual(r.returncode, -signal.SIGBUS, (r.returncode, r.stdout, r.stderr))
        with open(p, "wb") as fh:
            fh.write(pattern(4 * PAGE))
        code = code.replace("import mmap,", "import mmapkit as mmap,").replace(
            "m[0:10]", "try:\n    m[0:10]\nexcept mmap.FaultError:\n    pass")
        r = run_python(code, p)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "survived")

    def test_fault_safety_ends_at_the_buffer_protocol(self):
        # Issue 11.15, as docs/API.md states it: bytes(v) and the view's own
        # methods raise FaultError on a truncated file; a buffer consumer
        # (here memoryview(v)[i]) is killed by SIGBUS, as with stdlib mmap.
        code = textwrap.dedent("""
            import hashlib, os, sys, mmapkit
            f = mmapkit.open(sys.argv[1], "r+")
            v = f.map()
            fd = os.open(sys.argv[1], os.O_RDWR)
            m = mmapkit.mmap(fd, 0)
            os.truncate(sys.argv[1], 0)
            for call in (lambda: bytes(v), lambda: bytes(m), lambda: v.tobytes(),
                         lambda: v[0], lambda: m[0], lambda: v.find(b"x")):
                try:
                    call()
                    print("no fault?!")
                except mmapkit.FaultError:
                    pass
            print("guarded ok", flush=True)
            if sys.argv[2] == "consumer":
                memoryview(v)[0]
                print("survived?!")
        """)
        for consumer in ("none", "consumer"):
            p = self.path(content=pattern(4 * PAGE))
            r = run_python(code, p, consumer)
            self.assertEqual(r.stdout.strip().splitlines()[:1], ["guarded ok"],
                             r.stdout + r.stderr)
            self.assertEqual(r.returncode, 0 if consumer == "none" else -signal.SIGBUS,
                             r.stderr)

    def test_faulthandler_installed_later_does_not_break_guard(self):
        # faulthandler replaces the SIGBUS handler; mapping again
        # re-installs mmapkit's guard, which chains to faulthandler.
        p = self.path(content=pattern(4 * PAGE))
        code = textwrap.dedent("""
            import faulthandler, os, sys, mmapkit
            f = mmapkit.open(sys.argv[1], "r+")
            faulthandler.enable()
            v = f.map()
            os.truncate(sys.argv[1], 0)
            try:
                v[0:10]
            except mmapkit.FaultError:
                print("fault caught")
        """)
        r = run_python(code, p)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "fault caught")


if __name__ == "__main__":
    unittest.main()
