"""MappedFile and View: modes, mapping, bytearray-like access, flush,
advise, resident, mlock, reserve+resize, read_into/write_from, close rules."""
import ctypes
import gc
import os
import pickle
import random
import unittest
import weakref

import mmapkit
from support import TempDirTest, pattern

PAGE = os.sysconf("SC_PAGE_SIZE")


class TestOpenAndMap(TempDirTest):
    def test_read_mode_maps_whole_file(self):
        data = pattern(10000)
        p = self.path(content=data)
        with mmapkit.open(p, "r") as f:
            self.assertEqual(f.size, 10000)
            self.assertEqual(f.name, p)
            self.assertEqual(f.mode, "r")
            self.assertEqual(f.kind, "file")
            with f.map() as v:
                self.assertEqual(len(v), 10000)
                self.assertEqual(v.size, 10000)
                self.assertEqual(v.offset, 0)
                self.assertTrue(v.readonly)
                self.assertEqual(v[:], data)
                self.assertEqual(bytes(memoryview(v)), data)

    def test_pathlike_and_bytes_paths(self):
        import pathlib
        p = self.path(content=b"xyz")
        for arg in (pathlib.Path(p), os.fsencode(p)):
            with mmapkit.open(arg) as f, f.map() as v:
                self.assertEqual(v[:], b"xyz")
                self.assertEqual(f.name, p)

    def test_unaligned_offset_any_value(self):
        data = pattern(5 * PAGE)
        p = self.path(content=data)
        with mmapkit.open(p) as f:
            for off in (1, PAGE - 1, PAGE + 1, 4097, 3 * PAGE + 17):
                with f.map(off, 100) as v:
                    self.assertEqual(v.offset, off)
                    self.assertEqual(v[:], data[off:off + 100])
                    self.assertEqual(bytes(memoryview(v)), data[off:off + 100])
            with f.map(4097) as v:  # to the end
                self.assertEqual(len(v), len(data) - 4097)

    def test_empty_file_gives_empty_view(self):
        p = self.path(content=b"")
        with mmapkit.open(p) as f, f.map() as v:
            self.assertEqual(len(v), 0)
            self.assertEqual(v[:], b"")
            self.assertEqual(bytes(memoryview(v)), b"")
            with self.assertRaises(IndexError):
                v[0]

    def test_map_past_end_read_only_and_copy_raise_value_error(self):
        p = self.path(content=b"x" * 100)
        for mode in ("r", "c"):
            with mmapkit.open(p, mode) as f:
                with self.assertRaises(ValueError):
                    f.map(0, 101)
                with self.assertRaises(ValueError):
                    f.map(101)
        self.assertEqual(os.path.getsize(p), 100)

    def test_write_mode_grows_file_to_offset_plus_length(self):
        p = self.path(content=b"abc")
        with mmapkit.open(p, "r+") as f:
            with f.map(5000, 1000) as v:
                v[0:3] = b"end"
            self.assertEqual(f.size, 6000)
        with open(p, "rb") as fh:
            d = fh.read()
        self.assertEqual(len(d), 6000)
        self.assertEqual(d[:3], b"abc")
        self.assertEqual(d[5000:5003], b"end")

    def test_each_open_mode_maps_with_its_access(self):
        p = self.path()
        with mmapkit.open(p, "w+", size=4096) as f:
            self.assertEqual(f.size, 4096)
            v = f.map()
            v[0:4] = b"w+ok"
            v.close()
        with self.assertRaises(FileExistsError):
            mmapkit.open(p, "x+", size=10)
        with mmapkit.open(p, "r+", size=8192) as f:  # grows, never shrinks
            self.assertEqual(f.size, 8192)
        with mmapkit.open(p, "r+", size=10) as f:
            self.assertEqual(f.size, 8192)
        with mmapkit.open(p, "w+") as f:  # truncates
            self.assertEqual(f.size, 0)
        with self.assertRaises(ValueError):
            mmapkit.open(p, "rw")
        with self.assertRaises(ValueError):
            mmapkit.open(p, "r", size=10)
        with self.assertRaises(FileNotFoundError):
            mmapkit.open(self.path("missing"), "r+")

    def test_copy_on_write_never_reaches_file(self):
        p = self.path(content=b"original")
        with mmapkit.open(p, "c") as f, f.map() as v:
            self.assertFalse(v.readonly)
            v[0:4] = b"COPY"
            self.assertEqual(v[:], b"COPYinal")
            v.flush()  # a no-op for private views
        with open(p, "rb") as fh:
            self.assertEqual(fh.read(), b"original")

    def test_shared_writes_reach_file_and_other_views(self):
        p = self.path(content=bytes(8192))
        with mmapkit.open(p, "r+") as f:
            a = f.map()
            b = f.map(4096, 100)
            a[4096:4101] = b"hello"
            self.assertEqual(b[0:5], b"hello")
            a.flush()
            fd = os.open(p, os.O_RDONLY)
            try:
                self.assertEqual(os.pread(fd, 5, 4096), b"hello")
            finally:
                os.close(fd)
            a.close()
            b.close()

    def test_closing_file_keeps_views_valid(self):
        p = self.path(content=pattern(3000))
        f = mmapkit.open(p, "r+")
        v = f.map()
        f.close()
        self.assertTrue(f.closed)
        v[0] = 42
        self.assertEqual(v[0], 42)
        self.assertEqual(len(v), 3000)
        v.close()
        with self.assertRaises(ValueError):
            f.map()
        with self.assertRaises(ValueError):
            f.size
        f.close()  # idempotent

    def test_negative_offset_and_bad_types(self):
        p = self.path(content=b"x" * 10)
        with mmapkit.open(p) as f:
            with self.assertRaises(ValueError):
                f.map(-1)
            with self.assertRaises(ValueError):
                f.map(0, -5)
            with self.assertRaises(TypeError):
                f.map("0")
            with self.assertRaises(TypeError):
                mmapkit.open(12.5)

    def test_map_offset_length_give_that_window(self):
        p = self.path(content=b"0123456789")
        with mmapkit.open(p, "r+") as f:
            v = f.map(offset=2, length=3)
            self.assertIs(type(v), mmapkit.View)
            self.assertEqual((v.offset, len(v), v[:]), (2, 3, b"234"))
            self.assertFalse(v.readonly)
            v.close()

            class Idx:
                def __index__(self):
                    return 4

            v = f.map(Idx(), None, readonly=True, populate=1, hugepage=0)
            self.assertEqual((v[:], v.readonly), (b"456789", True))
            v.close()
            v = f.map(0, 4, reserve=1 << 20)
            self.assertEqual(v.reserved, 1 << 20)
            v.close()
            with self.assertRaises(TypeError):
                f.map(0, 4, 0)  # reserve and the options are keyword-only
            with self.assertRaises(TypeError):
                f.map(0, 4, size=3)
            with self.assertRaises(TypeError):
                f.map(0, 2.5)
            with self.assertRaises(TypeError):
                f.map(0, 4, reserve="1")
            with self.assertRaisesRegex(ValueError, "reserve must be >= 0"):
                f.map(0, 4, reserve=-1)
            with self.assertRaisesRegex(ValueError, "length must be >= 0"):
                f.map(0, -(1 << 70))
            with self.assertRaises(OverflowError):
                f.map(0, 1 << 64)
            with self.assertRaises(OverflowError):
                f.map(1 << 64)

    def test_map_on_unopened_handle_reports_closed(self):
        f = mmapkit.MappedFile.__new__(mmapkit.MappedFile)
        with self.assertRaises(ValueError):
            f.map()

    def test_offset_plus_length_overflow(self):
        p = self.path(content=b"x" * 10)
        with mmapkit.open(p, "r+") as f:
            with self.assertRaises((ValueError, OverflowError, OSError)):
                f.map((1 << 63) - 10, 100)


class TestBytearrayLikeAccess(TempDirTest):
    def setUp(self):
        super().setUp()
        self.data = bytearray(pattern(3000))
        p = self.path(content=bytes(self.data))
        self.f = mmapkit.open(p, "r+")
        self.v = self.f.map()
        self.addCleanup(self.f.close)
        self.addCleanup(self.v.close)

    def test_indexing_matches_bytearray(self):
        v, d = self.v, self.data
        for i in (0, 1, 2999, -1, -3000, 1500):
            self.assertEqual(v[i], d[i])
        for i in (3000, -3001, 1 << 70):
            with self.assertRaises(IndexError):
                v[i]
        with self.assertRaises(TypeError):
            v["a"]
        with self.assertRaises(TypeError):
            v[1.0]

    def test_slice_bound_kinds_match_bytearray(self):
        # v[a:b] has a fast path for small exact ints and None; every other
        # kind of bound (bool, int subclasses, __index__ objects, ints past
        # one machine word or past 2**30) must slice exactly as bytearray.
        import enum

        class Idx:
            def __init__(self, i):
                self.i = i

            def __index__(self):
                return self.i

        class E(enum.IntEnum):
            TEN = 10

        v, d = self.v, self.data
        bounds = [None, 0, 7, -7, True, False, E.TEN, Idx(5), Idx(-3),
                  (1 << 30) - 1, 1 << 30, -(1 << 30), 1 << 31, -(1 << 62),
                  1 << 64, -(1 << 64), 1 << 200]
        for a in bounds:
            for b in bounds:
                for step in (None, 1):
                    s = slice(a, b, step)
                    self.assertEqual(v[s], bytes(d[s]), s)
        for bad in ("a", 1.5, b"x"):
            with self.assertRaises(TypeError):
                v[bad:3]
            with self.assertRaises(TypeError):
                v[0:bad]

    def test_slice_of_closed_view_raises_value_error(self):
        f = mmapkit.open(self.path(content=b"abcdef"))
        v = f.map()
        f.close()
        self.assertEqual(v[1:3], b"bc")
        v.close()
        for key in (slice(1, 3), slice(None, 2), slice(0, 4, 2), 0):
            with self.assertRaises(ValueError):
                v[key]

    def test_random_slices_match_bytearray(self):
        rnd = random.Random(1)
        v, d = self.v, self.data
        vals = [None, 0, 1, -1, 5, -5, 2999, 3000, 3001, -3001, 10 ** 6, -10 ** 6]
        steps = [None, 1, 2, 3, -1, -2, -7, 100, 5000, -5000]
        for _ in range(2000):
            s = slice(rnd.choice(vals), rnd.choice(vals), rnd.choice(steps))
            self.assertEqual(v[s], bytes(d[s]), s)
        with self.assertRaises(ValueError):
            v[::0]

    def test_random_slice_assignments_match_bytearray(self):
        rnd = random.Random(2)
        v, d = self.v, self.data
        for _ in range(500):
            a, b = sorted(rnd.randrange(-3100, 3100) for _ in range(2))
            step = rnd.choice([1, 1, 2, 3, -1, -4])
            s = slice(a, b, step) if step > 0 else slice(b, a, step)
            n = len(range(*s.indices(3000)))
            payload = bytes(rnd.randrange(256) for _ in range(n))
            v[s] = payload
            d[s] = payload
        self.assertEqual(v[:], bytes(d))

    def test_slice_assignment_accepts_buffers(self):
        self.v[0:4] = bytearray(b"abcd")
        self.v[4:8] = memoryview(b"efgh")
        import array
        self.v[8:16] = array.array("I", [1, 2])
        self.assertEqual(self.v[0:8], b"abcdefgh")
        self.assertEqual(self.v[8:16], bytes(array.array("I", [1, 2])))

    def test_overlapping_self_assignment(self):
        mv = memoryview(self.v)
        expect = bytearray(self.data)
        expect[10:1010] = expect[0:1000]
        self.v[10:1010] = mv[0:1000]
        mv.release()
        self.assertEqual(self.v[:], bytes(expect))

    def test_wrong_size_slice_assignment_is_index_error(self):
        with self.assertRaises(IndexError):
            self.v[0:4] = b"abc"
        with self.assertRaises(IndexError):
            self.v[0:10:2] = b"abc"
        self.assertEqual(self.v[:], bytes(self.data))

    def test_item_assignment_rules(self):
        self.v[5] = 255
        self.v[-1] = 0
        self.assertEqual((self.v[5], self.v[2999]), (255, 0))
        with self.assertRaises(ValueError):
            self.v[0] = 256
        with self.assertRaises(ValueError):
            self.v[0] = -1
        with self.assertRaises(TypeError):
            self.v[0] = b"a"
        with self.assertRaises(IndexError):
            self.v[3000] = 1
        with self.assertRaises(TypeError):
            del self.v[0]
        with self.assertRaises(TypeError):
            del self.v[0:2]
        with self.assertRaises(TypeError):
            self.v[0:2] = "ab"

    def test_read_only_view_write_is_type_error(self):
        with self.f.map(readonly=True) as ro:
            with self.assertRaises(TypeError):
                ro[0] = 1
            with self.assertRaises(TypeError):
                ro[0:1] = b"a"
            with self.assertRaises(TypeError):
                ro.write_from(b"a")
            with self.assertRaises(TypeError):
                memoryview(ro)[0] = 1
            self.assertTrue(memoryview(ro).readonly)

    def test_iteration_and_len(self):
        with self.f.map(0, 10) as v:
            self.assertEqual(list(v), list(self.data[:10]))
            self.assertEqual(len(v), 10)

    def test_read_into_short_at_end(self):
        buf = bytearray(100)
        self.assertEqual(self.v.read_into(buf), 100)
        self.assertEqual(bytes(buf), bytes(self.data[:100]))
        self.assertEqual(self.v.read_into(buf, offset=2950), 50)
        self.assertEqual(bytes(buf[:50]), bytes(self.data[2950:]))
        self.assertEqual(self.v.read_into(buf, offset=3000), 0)
        with self.assertRaises(IndexError):
            self.v.read_into(buf, offset=3001)
        with self.assertRaises(TypeError):
            self.v.read_into(b"immutable")
        big = bytearray(1 << 20)  # large copy: no GIL path
        self.assertEqual(self.v.read_into(big), 3000)

    def test_write_from_copies_in_and_refuses_what_does_not_fit(self):
        self.assertEqual(self.v.write_from(b"abc", offset=10), 3)
        self.assertEqual(self.v[10:13], b"abc")
        self.assertEqual(self.v.write_from(b"zz", offset=2998), 2)
        with self.assertRaises(IndexError):
            self.v.write_from(b"abc", offset=2998)
        with self.assertRaises(IndexError):
            self.v.write_from(b"a", offset=-1)

    def test_tobytes_repr_pickle_weakref(self):
        self.assertEqual(self.v.tobytes(), bytes(self.data))
        self.assertIn("size=3000", repr(self.v))
        with self.assertRaises(TypeError):
            pickle.dumps(self.v)
        r = weakref.ref(self.v)
        self.assertIs(r(), self.v)


class TestCloseAndBuffers(TempDirTest):
    def setUp(self):
        super().setUp()
        self.f = mmapkit.open(self.path(content=pattern(8192)), "r+")
        self.addCleanup(self.f.close)

    def test_close_while_exported_raises_buffer_error_and_view_stays_usable(self):
        v = self.f.map()
        mv = memoryview(v)
        with self.assertRaises(BufferError):
            v.close()
        self.assertFalse(v.closed)
        v[0] = 7
        self.assertEqual(mv[0], 7)
        mv2 = mv[10:20]  # a sub-view shares the same export
        mv.release()
        with self.assertRaises(BufferError):
            v.close()
        mv2.release()
        v.close()
        self.assertTrue(v.closed)
        v.close()  # idempotent

    def test_many_exports_counted(self):
        v = self.f.map()
        views = [memoryview(v) for _ in range(5)]
        for i, m in enumerate(views):
            with self.assertRaises(BufferError):
                v.close()
            m.release()
        v.close()

    def test_operations_on_closed_view_raise_value_error(self):
        v = self.f.map()
        v.close()
        ops = [lambda: v[0], lambda: v[0:1], lambda: len(v),
               lambda: v.__setitem__(0, 1), lambda: memoryview(v),
               lambda: v.flush(), lambda: v.advise(mmapkit.Advice.NORMAL),
               lambda: v.resident(), lambda: v.read_into(bytearray(1)),
               lambda: v.write_from(b"a"), lambda: v.resize(10),
               lambda: v.lock_memory(), lambda: v.size, lambda: v.offset,
               lambda: v.atomic_load(0), lambda: v.wait(0, 0, 0)]
        for op in ops:
            with self.assertRaises(ValueError):
                op()
        with self.assertRaises(ValueError):
            with v:
                pass

    def test_context_manager_closes(self):
        with self.f.map() as v:
            self.assertFalse(v.closed)
        self.assertTrue(v.closed)
        with mmapkit.open(self.path("x", b"1")) as g:
            pass
        self.assertTrue(g.closed)

    def test_garbage_collected_view_unmaps(self):
        def mapped(path):  # the kernel's own list of this process's mappings
            with open("/proc/self/maps") as fh:
                return sum(line.rstrip("\n").endswith(path) for line in fh)

        path = os.path.realpath(self.path("gc-only.bin", b"g" * 8192))
        with mmapkit.open(path, "r") as f:
            views = [f.map(), f.map(4096)]
        self.assertEqual(mapped(path), 2)
        r = weakref.ref(views[0])
        views[0].self_ref = views  # a cycle: only the collector frees it
        del views
        self.assertEqual(mapped(path), 2)  # the cycle keeps both alive
        with self.assertWarnsRegex(ResourceWarning, "unclosed mmapkit.View"):
            gc.collect()
        self.assertIsNone(r())
        self.assertEqual(mapped(path), 0)

    def test_uninitialized_view_reports_closed(self):
        v = mmapkit.View.__new__(mmapkit.View)
        self.assertTrue(v.closed)
        with self.assertRaises(ValueError):
            v[0]
        with self.assertRaises(ValueError):
            len(v)
        with self.assertRaises(ValueError):
            memoryview(v)
        v.close()

    def test_init_twice_refused(self):
        v = self.f.map()
        with self.assertRaises(TypeError):
            v.__init__(self.f)
        v.close()
        with self.assertRaises(TypeError):  # closed is still initialized
            v.__init__(self.f)


class TestFlushAdviseResident(TempDirTest):
    def setUp(self):
        super().setUp()
        self.f = mmapkit.open(self.path(), "w+", size=16 * PAGE)
        self.v = self.f.map()
        self.addCleanup(self.f.close)
        self.addCleanup(self.v.close)

    def test_flush_range_checks_and_modes(self):
        self.v[100:105] = b"flush"
        for mode in ("async", "sync", "full"):
            self.v.flush(0, 5, mode=mode)
        self.v.flush(10, 0)  # nothing
        with self.assertRaises(ValueError):
            self.v.flush(mode="later")
        with self.assertRaises(IndexError):
            self.v.flush(16 * PAGE, 1)
        with self.assertRaises(IndexError):
            self.v.flush(0, 16 * PAGE + 1)
        with open(self.f.name, "rb") as fh:
            fh.seek(100)
            self.assertEqual(fh.read(5), b"flush")

    def test_sync_flush_of_an_unaligned_range_cleans_exactly_its_pages(self):
        # Dirty pages 1, 2 and 5; flush bytes [PAGE + 1, 2 * PAGE + 1),
        # which touch pages 1 and 2 only: those must be clean after, page 5
        # still dirty (a flush that rounds the wrong way leaves page 1 or 2
        # dirty; one that does nothing leaves all three).
        self.v.flush()
        for page in (1, 2, 5):
            self.v[page * PAGE + 7] = 1
        self.v.flush(PAGE + 1, PAGE, mode="sync")
        self.assertEqual(dirty_pages(self.f.name, [1, 2, 5], self.v), [False, False, True])
    def test_advise_every_value(self):
        for a in mmapkit.Advice:
            try:
                self.v.advise(a)
                self.v.advise(a, 4097, 100)
            except OSError as e:  # HUGEPAGE where THP is missing
                self.assertEqual(a, mmapkit.Advice.HUGEPAGE, e)
        self.v.advise(mmapkit.Advice.SEQUENTIAL.value)
        with self.assertRaises(ValueError):
            self.v.advise(99)

    def test_resident_is_between_zero_and_size(self):
        self.v[:] = b"\1" * len(self.v)
        r = self.v.resident()
        self.assertIsInstance(r, int)
        self.assertGreater(r, 0)
        self.assertLessEqual(r, len(self.v))
        self.assertLessEqual(self.v.resident(4097, 10), 10)
        with self.assertRaises(IndexError):
            self.v.resident(len(self.v) + 1)

    def test_lock_memory_then_unlock(self):
        try:
            self.v.lock_memory()
        except PermissionError:
            self.skipTest("mlock not permitted here")
        except OSError as e:
            self.skipTest(f"mlock limit: {e}")
        self.assertEqual(self.v.resident(), len(self.v))
        self.v.unlock_memory()

    def test_populate_reads_the_whole_range_in(self):
        if os.environ.get("MMK_TEST_EMULATOR"):
            self.skipTest("qemu-user does not pass MAP_POPULATE to the kernel "
                          "(the C suite skips the same case there)")
        self.v[:] = bytes(16 * PAGE)
        self.v.flush()
        self.v.close()
        evict(self.f.name)
        with self.f.map() as lazy:
            self.assertLess(lazy.resident(), 16 * PAGE)  # the eviction worked
        evict(self.f.name)
        with self.f.map(populate=True) as v:
            self.assertEqual(len(v), 16 * PAGE)
            self.assertEqual(v.resident(), 16 * PAGE)


def evict(path):
    """Drops the file's clean pages from the page cache."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


class _CacheStat(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in
                ("nr_cache", "nr_dirty", "nr_writeback", "nr_evicted",
                 "nr_recently_evicted")]


def dirty_pages(path, pages, view):
    """For each page index: is it dirty (or under write-back)? cachestat(2)
    (Linux 6.5+) says it directly; otherwise the view is closed and the
    clean pages evicted (dirty ones stay), then residency tells."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        out = []
        for p in pages:
            rng = (ctypes.c_uint64 * 2)(p * PAGE, PAGE)
            cs = _CacheStat()
            if libc.syscall(451, fd, rng, ctypes.byref(cs), 0) != 0:
                break
            out.append(cs.nr_dirty + cs.nr_writeback > 0)
        else:
            return out
    finally:
        os.close(fd)
    view.close()
    evict(path)
    with mmapkit.open(path, "r") as f, f.map() as v:
        return [v.resident(p * PAGE, PAGE) > 0 for p in pages]


def _address(view):
    mv = memoryview(view)
    try:
        return ctypes.addressof(ctypes.c_char.from_buffer(mv))
    finally:
        mv.release()


class TestReserveResize(TempDirTest):
    def test_reserve_then_grow_keeps_address(self):
        with mmapkit.open(self.path(), "w+", size=PAGE) as f:
            v = f.map(0, PAGE, reserve=1 << 24)
            self.assertEqual(v.reserved, 1 << 24)
            addr = _address(v)
            v[0:4] = b"keep"
            v.resize(1 << 20)
            self.assertEqual(len(v), 1 << 20)
            self.assertEqual(f.size, 1 << 20)
            self.assertEqual(_address(v), addr)
            self.assertEqual(v[0:4], b"keep")
            v[(1 << 20) - 1] = 9
            v.resize(2 * PAGE)
            self.assertEqual(len(v), 2 * PAGE)
            self.assertEqual(_address(v), addr)
            v.close()

    def test_resize_refused_while_exported(self):
        with mmapkit.open(self.path(), "w+", size=PAGE) as f:
            v = f.map(0, PAGE, reserve=1 << 20)
            mv = memoryview(v)
            with self.assertRaises(BufferError):
                v.resize(2 * PAGE)
            self.assertEqual(len(v), PAGE)
            mv.release()
            v.resize(2 * PAGE)
            v.close()

    def test_resize_read_only_past_end_is_value_error(self):
        p = self.path(content=b"x" * PAGE)
        with mmapkit.open(p) as f, f.map() as v:
            with self.assertRaises(ValueError):
                v.resize(2 * PAGE)
            with self.assertRaises(ValueError):
                v.resize(0)

    def test_file_resize_sets_the_size_and_refuses_negative(self):
        with mmapkit.open(self.path(), "w+") as f:
            f.resize(12345)
            self.assertEqual(f.size, 12345)
            with self.assertRaises(ValueError):
                f.resize(-1)
        with mmapkit.open(self.path("ro", b"abc")) as g:
            with self.assertRaises(PermissionError):
                g.resize(10)


class TestAnonymousAndSharedMemory(TempDirTest):
    def test_anonymous_views_share_memory(self):
        a = mmapkit.anonymous(1 << 16)
        self.assertEqual(a.size, 1 << 16)
        self.assertEqual(a.kind, "anonymous")
        self.assertEqual(a.name, "")
        v1, v2 = a.map(), a.map(4096, 100)
        v1[4096:4099] = b"abc"
        self.assertEqual(v2[0:3], b"abc")
        v1.close()
        v2.close()
        a.close()
        with self.assertRaises(ValueError):
            mmapkit.anonymous(0)

    def test_shared_memory_lifecycle(self):
        from support import unique_shm_name
        name = unique_shm_name("life")
        with self.assertRaises(FileNotFoundError) as cm:
            mmapkit.shared_memory(name)
        self.assertEqual(cm.exception.filename, name)
        try:
            s = mmapkit.shared_memory(name, size=4096)
            self.assertEqual(s.kind, "shm")
            self.assertEqual(s.name, name)
            self.assertGreaterEqual(s.size, 4096)
            with s.map() as v:
                v[0:5] = b"hello"
            with self.assertRaises(FileExistsError):
                mmapkit.shared_memory(name, size=4096, exclusive=True)
            t = mmapkit.shared_memory(name)  # open existing
            with t.map() as w:
                self.assertEqual(w[0:5], b"hello")
            u = mmapkit.shared_memory(name, size=8192)  # grows
            self.assertEqual(u.size, 8192)
            for h in (s, t, u):
                h.close()
        finally:
            mmapkit.unlink_shared_memory(name)
        with self.assertRaises(FileNotFoundError):
            mmapkit.unlink_shared_memory(name)

    def test_shared_memory_bad_names(self):
        for bad in ("", ".hidden", "a/b", "x" * 201, "sp ace", "é"):
            with self.assertRaises(ValueError, msg=bad):
                mmapkit.shared_memory(bad, size=10)
        with self.assertRaises(TypeError):
            mmapkit.shared_memory(b"bytes", size=10)
        with self.assertRaises(ValueError):
            mmapkit.shared_memory("ok", exclusive=True)


class TestLocks(TempDirTest):
    def test_lock_conflicts_between_handles(self):
        p = self.path(content=bytes(8192))
        a = mmapkit.open(p, "r+")
        b = mmapkit.open(p, "r+")
        try:
            with a.lock(0, 4096) as lk:
                self.assertTrue(lk.held)
                with self.assertRaises(BlockingIOError) as cm:
                    b.lock(0, 10, blocking=False)
                self.assertIsNotNone(cm.exception.errno)
                b.lock(4096, 10, blocking=False).release()  # disjoint
            self.assertFalse(lk.held)
            b.lock(0, 10, blocking=False).release()
            s1 = a.lock(shared=True)
            s2 = b.lock(shared=True, blocking=False)
            with self.assertRaises(BlockingIOError):
                b.lock(0, 1, blocking=False)  # exclusive vs shared
            s1.release()
            s2.release()
            s1.release()  # idempotent
        finally:
            a.close()
            b.close()

    def test_closing_handle_drops_its_locks(self):
        p = self.path(content=bytes(100))
        a = mmapkit.open(p, "r+")
        b = mmapkit.open(p, "r+")
        lk = a.lock()
        a.close()
        b.lock(blocking=False).release()
        lk.release()  # no error after the file closed
        b.close()

    def test_exclusive_lock_needs_writable_handle(self):
        p = self.path(content=bytes(100))
        with mmapkit.open(p, "r") as f:
            f.lock(shared=True).release()
            with self.assertRaises(OSError):
                f.lock(shared=False)

    def test_lock_on_closed_file(self):
        f = mmapkit.open(self.path(content=b"a"), "r+")
        f.close()
        with self.assertRaises(ValueError):
            f.lock()


if __name__ == "__main__":
    unittest.main()
