"""Behaviours a side-by-side run against the standard library found
different: each now matches it (mmapkit.mmap), behaves like bytearray
(mmapkit.View), or is refused with a message that names the public API."""
import errno
import gc
import mmap as std_mmap
import os
import subprocess
import sys
import unittest
import warnings

import mmapkit
from mmapkit import _core
from support import TempDirTest, pattern

PAGE = std_mmap.PAGESIZE


def mapping_count() -> int:
    with open("/proc/self/maps") as fh:
        return sum(1 for _ in fh)


class TestContainsAndIteration(unittest.TestCase):
    def test_mmap_in_and_iteration_match_the_standard_library(self):
        maps = [cls(-1, 16) for cls in (std_mmap.mmap, mmapkit.mmap)]
        try:
            for m in maps:
                m[0:3] = b"\x05xy"
            probes = (b"\x05", b"x", b"xy", b"z", bytearray(b"y"), 5, 120, "x")
            results = [[(p in m) for p in probes] + [list(m)[:4]] for m in maps]
            self.assertEqual(results[0], results[1])
        finally:
            for m in maps:
                m.close()

    def test_view_in_and_iteration_behave_like_bytearray(self):
        data = b"\x05xyzzy" + bytes(10)
        with mmapkit.anonymous(PAGE) as f, f.map(length=len(data)) as v:
            v[:] = data
            ba = bytearray(data)
            for probe in (b"\x05", b"x", b"zzy", b"q", bytearray(b"y"), 5, 120, 7):
                with self.subTest(probe=probe):
                    self.assertEqual(probe in v, probe in ba)
            self.assertEqual(list(v), list(ba))
            for bad, exc in ((256, ValueError), (-1, ValueError), ("x", TypeError)):
                with self.subTest(bad=bad), self.assertRaises(exc):
                    bad in v


class TestReturnsAndMessages(TempDirTest):
    def test_close_returns_none_as_files_do(self):
        f = mmapkit.anonymous(PAGE)
        v = f.map()
        m = mmapkit.mmap(-1, 16)
        self.assertEqual((v.close(), f.close(), m.close()), (None, None, None))

    def test_sizes_past_64_bits_name_the_argument(self):
        with self.assertRaisesRegex(OverflowError, "^size does not fit in 64 bits$"):
            mmapkit.open(self.path("big.bin"), "w+", size=2 ** 63)
        with mmapkit.anonymous(PAGE) as f, f.map() as v:
            with self.assertRaisesRegex(OverflowError, "^offset does not fit"):
                v.read_into(bytearray(1), 2 ** 64)

    def test_write_from_a_negative_offset_says_offset_out_of_range(self):
        with mmapkit.anonymous(PAGE) as f, f.map() as v:
            with self.assertRaisesRegex(IndexError, "^offset out of range$"):
                v.write_from(b"x", -1)

    def test_nul_in_unlink_shared_memory_is_a_value_error(self):
        with self.assertRaisesRegex(ValueError, "embedded null byte"):
            mmapkit.unlink_shared_memory("mmapkit-x\0y")

    def test_unsupported_flags_and_prot_are_einval_not_ignored(self):
        for kw in ({"flags": 0}, {"flags": std_mmap.MAP_SHARED | 0x100000},
                   {"prot": std_mmap.PROT_READ | 0x100}):
            with self.subTest(**kw), self.assertRaises(OSError) as cm:
                mmapkit.mmap(-1, 16, **kw)
            self.assertEqual(cm.exception.errno, errno.EINVAL)
        with mmapkit.mmap(-1, 16, flags=std_mmap.MAP_SHARED | std_mmap.MAP_POPULATE) as m:
            self.assertEqual(len(m), 16)
        # PROT_EXEC is ignored and PROT_NONE maps read-only (documented).
        for prot in (std_mmap.PROT_READ | std_mmap.PROT_EXEC, 0):
            with self.subTest(prot=prot), mmapkit.mmap(-1, 16, prot=prot) as m:
                self.assertEqual(m[:2], b"\0\0")
                with self.assertRaises(TypeError):
                    m.write(b"x")


class TestResourceWarnings(TempDirTest):
    """A MappedFile or View collected unclosed warns as a file object does;
    mmapkit.mmap does not, as the standard library's mmap does not."""

    def collected(self, make):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            make()
            gc.collect()
        return [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]

    def test_unclosed_view_and_file_warn_and_are_closed(self):
        p = os.path.realpath(self.path(content=pattern(PAGE)))

        def leak():
            f = mmapkit.open(p, "r")
            f.map(offset=10, length=100)
        got = self.collected(leak)
        self.assertEqual(sorted(got), ["unclosed mmapkit.MappedFile " + repr(p),
                                       "unclosed mmapkit.View (offset 10, size 100)"])
        with open("/proc/self/maps") as fh:
            self.assertNotIn(p, fh.read())  # and unmapped
        self.assertEqual(self.collected(lambda: mmapkit.anonymous(PAGE)),
                         ["unclosed mmapkit.MappedFile (anonymous)"])

    def test_closed_objects_and_mmap_do_not_warn(self):
        p = self.path(content=pattern(PAGE))
        fd = os.open(p, os.O_RDWR)
        self.addCleanup(os.close, fd)

        def quiet():
            with mmapkit.open(p, "r") as f, f.map():
                pass
            g = mmapkit.anonymous(PAGE)
            g.map().close()
            g.close()
            for cls in (std_mmap.mmap, mmapkit.mmap):
                cls(fd, 0)
                cls(-1, 16)
            mmapkit.mmap(fd, 0, trackfd=False)
        self.assertEqual(self.collected(quiet), [])

    def test_dev_mode_shows_the_warning(self):
        p = self.path(content=b"x")
        code = ("import mmapkit, sys\n"
                "f = mmapkit.open(sys.argv[1])\n"
                "del f\n")
        r = subprocess.run([sys.executable, "-X", "dev", "-c", code, p],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("ResourceWarning: unclosed mmapkit.MappedFile", r.stderr)
        r = subprocess.run([sys.executable, "-c", code, p],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.stderr, "")  # ignored by default, as for files


class TestInitTwice(TempDirTest):
    def test_core_init_again_on_a_live_view_maps_nothing(self):
        p = self.path(content=pattern(PAGE))
        with mmapkit.open(p, "r") as f, f.map() as v:
            before = mapping_count()
            for _ in range(20):
                with self.assertRaisesRegex(TypeError, "called twice"):
                    _core.View.__init__(v, f, 0, 0, 0, 0, 0)
            self.assertEqual(mapping_count(), before)
            self.assertEqual(v[:4], pattern(PAGE)[:4])

    def test_core_init_again_on_a_live_file_opens_nothing(self):
        p = self.path(content=b"abc")
        with mmapkit.open(p, "r") as f:
            fds = len(os.listdir("/proc/self/fd"))
            with self.assertRaisesRegex(TypeError, "called twice"):
                _core.File.__init__(f, 0, p, _core.MMK_READ, 0, 0, -1)
            self.assertEqual(len(os.listdir("/proc/self/fd")), fds)


if __name__ == "__main__":
    unittest.main()
