"""mmapkit.mmap against the standard library's mmap.mmap.

Every scenario runs twice, once per class, on fresh files; the traces
(results, positions, file contents, exception types and errno) must be
identical. The deliberate differences (unaligned offsets accepted) are
tested separately at the end.
"""
import errno
import mmap as std_mmap
import os
import random
import sys
import unittest

import mmapkit
from support import TempDirTest, pattern

PAGE = std_mmap.PAGESIZE
CLASSES = (std_mmap.mmap, mmapkit.mmap)


def outcome(fn):
    try:
        r = fn()
    except Exception as e:  # the trace compares the exception's shape
        return ("raise", type(e).__name__, getattr(e, "errno", None))
    if r is None or isinstance(r, (int, bool, bytes, str, tuple)):
        return ("ok", r)
    return ("ok", type(r).__name__)


def seek_returning_position(m):
    """m.seek as 3.13's returns the new position; before 3.13 the standard
    library's returned None (mmapkit.mmap's returns it on every version)."""
    if isinstance(m, mmapkit.mmap) or sys.version_info >= (3, 13):
        return m.seek

    def seek(*args):
        m.seek(*args)
        return m.tell()
    return seek


class Compat(TempDirTest):
    """Runs a scenario against both classes and compares the traces."""

    def fresh(self, content=None, name="f.bin"):
        p = os.path.join(self.dir, name)
        with open(p, "wb") as fh:
            fh.write(pattern(3 * PAGE + 123) if content is None else content)
        return p

    def compare(self, scenario, content=None):
        traces = []
        for cls in CLASSES:
            p = self.fresh(content, name=f"{cls.__module__}.bin")
            trace = []
            try:
                scenario(cls, p, trace)
            finally:
                pass
            with open(p, "rb") as fh:
                trace.append(("file", fh.read()))
            traces.append(trace)
        self.assertEqual(len(traces[0]), len(traces[1]))
        for i, (a, b) in enumerate(zip(*traces)):
            self.assertEqual(a, b, f"step {i}: stdlib {a!r} != mmapkit {b!r}")

    @staticmethod
    def opened(p, flags=os.O_RDWR):
        return os.open(p, flags)


class TestConstructor(Compat):
    def test_constructor_variants_match_stdlib(self):
        def sc(cls, p, t):
            fd = os.open(p, os.O_RDWR)
            rofd = os.open(p, os.O_RDONLY)
            size = os.path.getsize(p)
            try:
                for args, kw in [
                        ((fd, 0), {}), ((fd, 100), {}), ((fd, size), {}),
                        ((fd, size + 1), {}), ((fd, -1), {}),
                        ((fd, 10), {"offset": -1}),
                        ((fd, 10), {"offset": PAGE}),
                        ((fd, 0), {"offset": PAGE}),
                        ((fd, 0), {"offset": size + PAGE}),
                        ((fd, 10), {"offset": 4 * PAGE}),
                        ((fd, 10), {"access": std_mmap.ACCESS_READ}),
                        ((fd, 10), {"access": std_mmap.ACCESS_WRITE}),
                        ((fd, 10), {"access": std_mmap.ACCESS_COPY}),
                        ((fd, 10), {"access": 17}),
                        ((fd, 10), {"access": std_mmap.ACCESS_READ, "prot": std_mmap.PROT_READ}),
                        ((fd, 10), {"access": std_mmap.ACCESS_READ, "flags": std_mmap.MAP_PRIVATE}),
                        ((fd, 10), {"prot": std_mmap.PROT_READ}),
                        ((fd, 10), {"flags": std_mmap.MAP_PRIVATE}),
                        ((rofd, 10), {"access": std_mmap.ACCESS_READ}),
                        ((rofd, 10), {"access": std_mmap.ACCESS_WRITE}),
                        ((rofd, 10), {"access": std_mmap.ACCESS_COPY}),
                        ((rofd, 10), {}),
                        ((-1, 100), {}), ((-1, 0), {}),
                        ((-1, 100), {"flags": std_mmap.MAP_PRIVATE}),
                        ((987654, 10), {}),
                        ((fd, "10"), {}), (("3", 10), {}),
                        ((), {"fileno": fd, "length": 10}),
                ]:
                    def make():
                        m = cls(*args, **kw)
                        try:
                            return (len(m), m[:3], m.tell())
                        finally:
                            m.close()
                    t.append((args[1:], sorted(kw), outcome(make)))
            finally:
                os.close(fd)
                os.close(rofd)
        self.compare(sc)

    def test_empty_file_is_refused_as_in_stdlib(self):
        def sc(cls, p, t):
            fd = os.open(p, os.O_RDWR)
            try:
                t.append(outcome(lambda: cls(fd, 0)))
                t.append(outcome(lambda: cls(fd, 0, access=std_mmap.ACCESS_READ)))
            finally:
                os.close(fd)
        self.compare(sc, content=b"")

    def test_range_errors_and_their_order(self):
        # mmapkit.mmap checks the file size only where the core cannot
        # (writable maps with a length) and words the core's refusals as
        # the standard library does; the size error comes before an
        # access error, as in the standard library.
        def sc(cls, p, t):
            size = os.path.getsize(p)
            fds = {"rw": os.open(p, os.O_RDWR), "ro": os.open(p, os.O_RDONLY),
                   "wo": os.open(p, os.O_WRONLY)}
            try:
                for name, fd in fds.items():
                    for access in (std_mmap.ACCESS_DEFAULT, std_mmap.ACCESS_READ,
                                   std_mmap.ACCESS_WRITE, std_mmap.ACCESS_COPY):
                        for length, offset in ((0, 0), (0, size), (0, size + 1),
                                               (0, 2 * PAGE), (size, 0),
                                               (size + 1, 0), (10, size),
                                               (10, size - 5), (1, 5 * PAGE)):
                            def make():
                                m = cls(fd, length, access=access, offset=offset)
                                try:
                                    return (len(m), m[:3])
                                finally:
                                    m.close()
                            t.append((name, access, length, offset, outcome(make)))
            finally:
                for fd in fds.values():
                    os.close(fd)
            t.append(("size", os.path.getsize(p)))  # never grown
        self.compare(sc, content=pattern(2 * PAGE))

    def test_keyword_and_bad_arguments(self):
        def sc(cls, p, t):
            fd = os.open(p, os.O_RDWR)
            try:
                for args, kw in [((), {"fileno": fd, "length": 0, "offset": PAGE}),
                                 ((fd,), {}), ((fd, 0, 1, 3, 0, 0, 9), {}),
                                 ((fd, 0), {"bogus": 1}), ((fd, 0), {"offset": 1.0}),
                                 ((fd, 0), {"access": 1 << 40}), ((1 << 40, 0), {}),
                                 ((fd, 1 << 70), {}), ((fd, 0), {"offset": 1 << 70}),
                                 ((fd, -(1 << 70)), {}), ((fd, 0, 1, 3), {"flags": 1})]:
                    def make():
                        m = cls(*args, **kw)
                        try:
                            return (len(m), m[:3])
                        finally:
                            m.close()
                    t.append((len(args), sorted(kw), outcome(make)))
            finally:
                os.close(fd)
        self.compare(sc)

    def test_descriptor_is_duplicated(self):
        def sc(cls, p, t):
            fd = os.open(p, os.O_RDWR)
            m = cls(fd, 0)
            os.close(fd)  # the map keeps working and still knows the size
            t.append(outcome(lambda: m.size()))
            t.append(outcome(lambda: m[0:4]))
            m.close()
        self.compare(sc)


class TestMethods(Compat):
    def test_read_seek_tell_readline(self):
        content = b"line one\nline two\n\nlast line without newline"
        def sc(cls, p, t):
            fd = os.open(p, os.O_RDWR)
            m = cls(fd, 0)
            os.close(fd)
            seek = seek_returning_position(m)
            ops = [lambda: m.readline(), lambda: m.tell(), lambda: m.read(4),
                   lambda: m.read(), lambda: m.read(), lambda: m.readline(),
                   lambda: m.read_byte(), lambda: seek(0), lambda: m.read_byte(),
                   lambda: seek(3, 1), lambda: m.tell(), lambda: seek(-1, 2),
                   lambda: m.read(1), lambda: seek(1, 2), lambda: seek(-1),
                   lambda: seek(0, 3), lambda: seek(-100, 1), lambda: m.tell(),
                   lambda: seek(5), lambda: m.read(-1), lambda: seek(5),
                   lambda: m.read(None), lambda: seek(2), lambda: m.read(0),
                   lambda: m.read("x"), lambda: seek(len(m)), lambda: m.readline(),
                   lambda: m.read_byte(), lambda: seek(1 << 62, 1),
                   lambda: seek("0"), lambda: seek(0, "1")]
            for op in ops:
                t.append(outcome(op))
            m.close()
        self.compare(sc, content=content)

    def test_write_and_write_byte(self):
        def sc(cls, p, t):
            fd = os.open(p, os.O_RDWR)
            m = cls(fd, 0)
            os.close(fd)
            seek = seek_returning_position(m)
            ops = [lambda: m.write(b"hello"), lambda: m.tell(),
                   lambda: m.write(bytearray(b"!!")), lambda: m.write(memoryview(b"mv")),
                   lambda: m.write("str"), lambda: m.write_byte(65),
                   lambda: m.write_byte(256), lambda: m.write_byte(-1),
                   lambda: m.write_byte("a"), lambda: seek(len(m) - 2),
                   lambda: m.write(b"abc"), lambda: m.tell(), lambda: m.write(b"ab"),
                   lambda: m.write_byte(1), lambda: seek(len(m) - 1),
                   lambda: m.write_byte(66), lambda: m.write_byte(67),
                   lambda: m.write(b""), lambda: m[:12]]
            for op in ops:
                t.append(outcome(op))
            m.flush()
            m.close()
        self.compare(sc, content=bytes(64))

    def test_read_only_and_copy_maps(self):
        def sc(cls, p, t):
            fd = os.open(p, os.O_RDWR)
            for access in (std_mmap.ACCESS_READ, std_mmap.ACCESS_COPY):
                m = cls(fd, 0, access=access)
                ops = [lambda: m.write(b"x"), lambda: m.write_byte(1),
                       lambda: m.__setitem__(0, 1), lambda: m.__setitem__(slice(0, 2), b"zz"),
                       lambda: m.move(0, 1, 1), lambda: m.resize(10),
                       lambda: m.flush(), lambda: m[0:4], lambda: m.tell()]
                for op in ops:
                    t.append(outcome(op))
                m.close()
            os.close(fd)
        self.compare(sc, content=b"abcdefgh")

    def test_find_and_rfind_match_stdlib(self):
        content = b"abcabcXYZabc" * 3 + b"\x00end"
        def sc(cls, p, t):
            fd = os.open(p, os.O_RDWR)
            m = cls(fd, 0)
            os.close(fd)
            args = [(b"abc",), (b"XYZ",), (b"nope",), (b"",), (b"abc", 1),
                    (b"abc", 1, 5), (b"abc", -5), (b"abc", -100), (b"abc", 3, 2),
                    (b"abc", 100), (b"", 5), (b"", 100), (b"", -1), (b"abc", 0, -1),
                    (b"end",), (b"\x00",), (bytearray(b"Z"),), (memoryview(b"ca"),),
                    (b"abc", None), (b"abc", 0, None), ("abc",), (b"a", "1"),
                    (content + b"x",)]
            for a in args:
                t.append(("find", a[1:], outcome(lambda: m.find(*a))))
                t.append(("rfind", a[1:], outcome(lambda: m.rfind(*a))))
            m.seek(10)
            t.append(outcome(lambda: m.find(b"abc")))
            t.append(outcome(lambda: m.rfind(b"abc")))
            m.close()
        self.compare(sc, content=content)

    def test_find_across_large_map(self):
        rnd = random.Random(5)
        big = bytearray(rnd.randbytes(300000))
        needle = b"NEEDLE-\x00-NEEDLE"
        for at in (0, 65535 - 5, 65536 * 2 - 3, len(big) - len(needle)):
            big[at:at + len(needle)] = needle
        def sc(cls, p, t):
            fd = os.open(p, os.O_RDWR)
            m = cls(fd, 0)
            os.close(fd)
            pos = 0
            while True:
                i = m.find(needle, pos)
                t.append(i)
                if i < 0:
                    break
                pos = i + 1
            end = len(m)
            while True:
                i = m.rfind(needle, 0, end)
                t.append(i)
                if i < 0:
                    break
                end = i + len(needle) - 1
            m.close()
        self.compare(sc, content=bytes(big))

    def test_flush_and_madvise(self):
        def sc(cls, p, t):
            fd = os.open(p, os.O_RDWR)
            m = cls(fd, 0)
            os.close(fd)
            m[0:5] = b"FLUSH"
            size = len(m)
            for a in [(), (0,), (0, 5 * 0), (0, size), (0, size + 1), (-1, 1),
                      (0, -1), (PAGE, 10), (PAGE, 0), (size + 1, 0)]:
                t.append(("flush", a, outcome(lambda: m.flush(*a))))
            for a in [(std_mmap.MADV_NORMAL,), (std_mmap.MADV_RANDOM, 0, PAGE),
                      (std_mmap.MADV_SEQUENTIAL, PAGE), (std_mmap.MADV_WILLNEED, 0, 10 ** 9),
                      (std_mmap.MADV_DONTNEED, 0), (std_mmap.MADV_NORMAL, -1),
                      (std_mmap.MADV_NORMAL, size), (std_mmap.MADV_NORMAL, 0, -1),
                      (std_mmap.MADV_NORMAL, 1, (1 << 63) - 1), (std_mmap.MADV_NORMAL, 0, 0)]:
                t.append(("madvise", a, outcome(lambda: m.madvise(*a))))
            t.append(outcome(lambda: m[0:5]))
            m.close()
        self.compare(sc)

    def test_move_matches_stdlib(self):
        def sc(cls, p, t):
            fd = os.open(p, os.O_RDWR)
            m = cls(fd, 0)
            os.close(fd)
            n = len(m)
            for a in [(0, 10, 20), (10, 0, 20), (5, 5, 10), (0, 0, 0),
                      (n - 10, 0, 10), (n - 9, 0, 10), (0, n - 9, 10), (-1, 0, 1),
                      (0, -1, 1), (0, 0, -1), (1, 0, n - 1), (0, 1, n - 1),
                      (0, 70000, 150000), (70001, 0, 150000)]:
                t.append(("move", a, outcome(lambda: m.move(*a))))
                t.append(outcome(lambda: m[:]))
            m.close()
        self.compare(sc, content=pattern(300000))

    def test_resize_file_backed(self):
        def sc(cls, p, t):
            fd = os.open(p, os.O_RDWR)
            m = cls(fd, 0)
            for n in (PAGE * 5, 100, 7):
                t.append(outcome(lambda: m.resize(n)))
                t.append((len(m), m.size(), os.fstat(fd).st_size, m[-3:]))
            t.append(outcome(lambda: m.resize(-1)))
            mv = memoryview(m)
            t.append(outcome(lambda: m.resize(50)))
            mv.release()
            t.append(outcome(lambda: m.resize(50)))
            t.append((len(m), m.size()))
            m.close()
            os.close(fd)
        self.compare(sc)

    def test_resize_of_anonymous_memory_matches_stdlib(self):
        def sc(cls, p, t):
            m = cls(-1, 100)
            m[0:3] = b"abc"
            t.append(outcome(lambda: m.resize(PAGE * 3)))
            # (size() of an anonymous map is OSError(EBADF) in CPython 3.11,
            # len(m) in mmapkit: see test_size_of_an_anonymous_map_is_its_length.)
            t.append((len(m), m[0:3]))
            t.append(outcome(lambda: m.resize(10)))
            t.append((len(m), m[:]))
            m.close()
        self.compare(sc)

    def test_slicing_and_indexing(self):
        rnd = random.Random(9)
        def sc(cls, p, t):
            rnd.seed(9)
            fd = os.open(p, os.O_RDWR)
            m = cls(fd, 0)
            os.close(fd)
            n = len(m)
            vals = [None, 0, 1, -1, 7, -7, n, n + 1, -n - 1, 10 ** 9]
            for _ in range(400):
                s = slice(rnd.choice(vals), rnd.choice(vals), rnd.choice([None, 1, 2, -1, -3]))
                t.append(outcome(lambda: m[s]))
                k = len(range(*s.indices(n)))
                data = bytes(rnd.randrange(256) for _ in range(k))
                t.append(outcome(lambda: m.__setitem__(s, data)))
            for key in (0, -1, n, -n - 1, "a", 1.5, 1 << 80):
                t.append(outcome(lambda: m[key]))
            for key, val in ((0, 1), (0, 256), (0, -1), (0, b"a"), (n, 1),
                             (slice(0, 2), b"a"), (slice(0, 2), "ab"),
                             ("x", 1), (slice(0, 4, 2), b"xy")):
                t.append(outcome(lambda: m.__setitem__(key, val)))
            t.append(outcome(lambda: m.__delitem__(0)))
            t.append(outcome(lambda: m.__delitem__(slice(0, 1))))
            t.append(outcome(lambda: list(m)[:5]))
            t.append(outcome(lambda: len(m)))
            m.close()
        self.compare(sc, content=pattern(1000))

    def test_every_operation_on_a_closed_map_matches_stdlib(self):
        def sc(cls, p, t):
            fd = os.open(p, os.O_RDWR)
            m = cls(fd, 0)
            os.close(fd)
            m.close()
            t.append(m.closed)
            for op in [lambda: m.read(1), lambda: m.read_byte(), lambda: m.readline(),
                       lambda: m.write(b"a"), lambda: m.write_byte(1), lambda: m.seek(0),
                       lambda: m.tell(), lambda: m.size(), lambda: m.find(b"a"),
                       lambda: m.rfind(b"a"), lambda: m.flush(),
                       lambda: m.madvise(std_mmap.MADV_NORMAL), lambda: m.move(0, 1, 1),
                       lambda: m.resize(10), lambda: m[0], lambda: m[0:1],
                       lambda: m.__setitem__(0, 1), lambda: len(m),
                       lambda: memoryview(m), lambda: m.__enter__(), lambda: m.close()]:
                t.append(outcome(op))
        self.compare(sc)

    def test_buffer_protocol_and_close_rules(self):
        def sc(cls, p, t):
            fd = os.open(p, os.O_RDWR)
            m = cls(fd, 0)
            os.close(fd)
            mv = memoryview(m)
            t.append((mv.readonly, mv.nbytes, mv.format, bytes(mv[:4])))
            mv[0] = 0x41
            t.append(m[0])
            t.append(outcome(m.close))
            t.append(m.closed)
            t.append(outcome(lambda: m.resize(10)))
            mv.release()
            t.append(outcome(m.close))
            t.append(m.closed)
            with cls(-1, 10) as a:
                t.append(a.closed)
            t.append(a.closed)
            fd = os.open(p, os.O_RDONLY)
            r = cls(fd, 0, access=std_mmap.ACCESS_READ)
            os.close(fd)
            rv = memoryview(r)
            t.append(rv.readonly)
            t.append(outcome(lambda: rv.__setitem__(0, 1)))
            rv.release()
            r.close()
        self.compare(sc)

    def test_size_and_len_with_offset(self):
        def sc(cls, p, t):
            fd = os.open(p, os.O_RDWR)
            m = cls(fd, 100, offset=PAGE)
            t.append((len(m), m.size(), m[:4]))
            m.close()
            os.close(fd)
        self.compare(sc)

    def test_private_anonymous_and_flags(self):
        def sc(cls, p, t):
            m = cls(-1, 4096, flags=std_mmap.MAP_PRIVATE)
            m[0:2] = b"hi"
            t.append(m[0:3])
            t.append(len(m))
            m.close()
            m = cls(-1, 4096, prot=std_mmap.PROT_READ)
            t.append(outcome(lambda: m.write(b"x")))
            m.close()
        self.compare(sc)


class TestPython313Additions(TempDirTest):
    """trackfd=, seekable() and seek()'s return are 3.13's; mmapkit.mmap
    has them on every version, and matches the standard library's where
    it has them too."""

    def classes(self):
        return CLASSES if sys.version_info >= (3, 13) else (mmapkit.mmap,)

    def fd_count(self):
        return len(os.listdir("/proc/self/fd"))

    def test_seek_returns_the_new_position_and_seekable_is_true(self):
        for cls in self.classes():
            with self.subTest(cls=cls):
                m = cls(-1, 100)
                self.assertTrue(m.seekable())
                self.assertEqual([m.seek(10), m.seek(5, 1), m.seek(-1, 2)], [10, 15, 99])
                with self.assertRaises(ValueError):
                    m.seek(101)
                self.assertEqual(m.tell(), 99)
                m.close()
                self.assertTrue(m.seekable())  # as 3.13's: even closed

    def test_trackfd_false_size_is_ebadf_and_resize_refused(self):
        p = self.path(content=b"a" * 64)
        for cls in self.classes():
            for close_original in (True, False):
                with self.subTest(cls=cls, close_original=close_original):
                    with open(p, "r+b") as fh:
                        with cls(fh.fileno(), 64, trackfd=False) as m:
                            if close_original:
                                fh.close()
                            with self.assertRaises(OSError) as cm:
                                m.size()
                            self.assertEqual(cm.exception.errno, errno.EBADF)
                            for n in (128, 32):
                                with self.assertRaisesRegex(ValueError, "trackfd=False"):
                                    m.resize(n)
                            m.write_byte(ord("X"))
                            m[2] = ord("Y")
                            m.flush()
                            with open(p, "rb") as check:
                                self.assertEqual(check.read(4), b"XaYa")
                        self.assertTrue(m.closed)
                    self.assertEqual(os.stat(p).st_size, 64)

    def test_trackfd_false_refusals_come_in_the_standard_librarys_order(self):
        p = self.path(content=b"a" * PAGE)
        fd = os.open(p, os.O_RDWR)
        self.addCleanup(os.close, fd)
        for cls in self.classes():
            with self.subTest(cls=cls):
                m = cls(fd, 0, trackfd=False)
                mv = memoryview(m)
                with self.assertRaises(BufferError):
                    m.resize(10)  # exports come first
                mv.release()
                ro = cls(fd, 0, access=std_mmap.ACCESS_READ, trackfd=False)
                with self.assertRaisesRegex(ValueError, "trackfd=False"):
                    ro.resize(10)  # then trackfd, then the access
                anon = cls(-1, 64, trackfd=False)
                with self.assertRaises(OSError):
                    anon.size()
                with self.assertRaisesRegex(ValueError, "trackfd=False"):
                    anon.resize(32)
                for x in (m, ro, anon):
                    x.close()
                with self.assertRaisesRegex(ValueError, "closed"):
                    m.size()

    def test_trackfd_is_keyword_only_and_takes_any_truth_value(self):
        p = self.path(content=b"a" * PAGE)
        fd = os.open(p, os.O_RDWR)
        self.addCleanup(os.close, fd)
        for cls in self.classes():
            with self.subTest(cls=cls):
                with self.assertRaisesRegex(TypeError, "at most 6 positional"):
                    cls(fd, 0, std_mmap.MAP_SHARED, 3, 0, 0, False)
                with cls(fd, 0, trackfd=[]) as m, self.assertRaises(OSError):
                    m.size()
                with cls(fd, 0, trackfd=[1]) as m:
                    self.assertEqual(m.size(), PAGE)

    def test_trackfd_false_holds_no_descriptor_once_closed(self):
        # The core's view keeps its duplicate while mapped (its flush and
        # resize go through it); mmapkit.mmap itself holds none, and
        # close() leaves nothing open.
        p = self.path(content=b"a" * PAGE)
        fd = os.open(p, os.O_RDWR)
        self.addCleanup(os.close, fd)
        before = self.fd_count()
        maps = [mmapkit.mmap(fd, 0, trackfd=False) for _ in range(4)]
        self.assertTrue(all(m._h is None for m in maps))
        for m in maps:
            m.close()
        self.assertEqual(self.fd_count(), before)


class TestDeliberateDifferences(TempDirTest):
    def test_unaligned_offset_flush_and_madvise_are_einval_as_in_stdlib(self):
        data = pattern(3 * PAGE)
        p = self.path(content=data)
        fd = os.open(p, os.O_RDWR)
        try:
            for cls in CLASSES:
                with self.subTest(cls=cls):
                    with self.assertRaises(OSError) as cm:
                        cls(fd, 10, offset=1)
                    self.assertEqual(cm.exception.errno, errno.EINVAL)
                    with cls(fd, 2 * PAGE) as m:
                        for call in (lambda: m.flush(3, 2), lambda: m.flush(1, 0),
                                     lambda: m.madvise(std_mmap.MADV_NORMAL, 1, 2)):
                            with self.assertRaises(OSError) as cm:
                                call()
                            self.assertEqual(cm.exception.errno, errno.EINVAL)
                        self.assertIsNone(m.flush(PAGE, 2))
        finally:
            os.close(fd)

    def test_view_keeps_unaligned_offsets_and_flush_ranges(self):
        data = pattern(3 * PAGE)
        p = self.path(content=data)
        with mmapkit.open(p, "r+") as f, f.map(offset=4097, length=10) as v:
            self.assertEqual(v[:], data[4097:4107])
            v.flush(3, 2)  # unaligned flush start is fine on a View

    def test_module_constants_reexported(self):
        for name in ("ACCESS_READ", "ACCESS_WRITE", "ACCESS_COPY", "ACCESS_DEFAULT",
                     "MAP_SHARED", "MAP_PRIVATE", "PROT_READ", "PROT_WRITE",
                     "PAGESIZE", "ALLOCATIONGRANULARITY", "MADV_DONTNEED"):
            self.assertEqual(getattr(mmapkit, name), getattr(std_mmap, name))
        self.assertIs(mmapkit.error, std_mmap.error)
        self.assertTrue(isinstance(mmapkit.mmap, type))

    def test_size_of_an_anonymous_map_is_its_length(self):
        # CPython 3.11 fstat()s descriptor -1 here (OSError EBADF); the
        # documented meaning, and what mmapkit returns, is the map's size.
        with mmapkit.mmap(-1, 300) as m:
            self.assertEqual(m.size(), 300)

    def test_subclassing_works(self):
        class M(mmapkit.mmap):
            def first(self):
                return self[0]
        with M(-1, 16) as m:
            m[0] = 5
            self.assertEqual(m.first(), 5)

    def test_new_builds_the_map_and_init_again_changes_nothing(self):
        p = os.path.join(self.dir, "twice.bin")
        with open(p, "wb") as fh:
            fh.write(b"abcd")
        fd = os.open(p, os.O_RDONLY)
        try:
            for cls in CLASSES:
                with self.subTest(cls=cls):
                    with self.assertRaises(TypeError):
                        cls.__new__(cls)  # no arguments: no map
                    m = cls.__new__(cls, fd, 0, access=std_mmap.ACCESS_READ)
                    self.assertEqual(m[:], b"abcd")
                    m.__init__(fd, 2, access=std_mmap.ACCESS_READ)
                    self.assertEqual(len(m), 4)
                    m.close()
                    m.close()  # idempotent
        finally:
            os.close(fd)

    def test_subclass_overriding_new_maps_what_new_asks(self):
        for cls in CLASSES:
            class Anon(cls):
                def __new__(klass, *args, **kwargs):
                    return cls.__new__(klass, -1, *args, **kwargs)
            with self.subTest(cls=cls), Anon(PAGE) as m:
                self.assertEqual(len(m), PAGE)

    def test_repr_is_the_standard_librarys(self):
        p = self.path(content=pattern(2 * PAGE))
        fd = os.open(p, os.O_RDWR)
        try:
            reprs = []
            for cls in CLASSES:
                m = cls(fd, PAGE, access=std_mmap.ACCESS_WRITE, offset=PAGE)
                m.seek(7)
                reprs.append((repr(m), m.close(), repr(m)))
            self.assertEqual(reprs[0], reprs[1])
        finally:
            os.close(fd)

    def test_operations_closed_by_an_index_conversion_say_closed(self):
        # The standard library itself crashed here before 3.11.4 (a use
        # after free, CPython gh-103987; Debian's arm64 3.11.2 has it):
        # compare with it only where it is fixed.
        fixed = sys.version_info >= (3, 11, 4)
        for cls in CLASSES if fixed else (mmapkit.mmap,):
            for op in (lambda m, x: m[x], lambda m, x: m[x:20],
                       lambda m, x: m.read(x), lambda m, x: m.find(b"1", 1, x),
                       lambda m, x: m.write_byte(x),
                       lambda m, x: m.__setitem__(slice(x, 20), b"1" * 10)):
                m = cls(-1, 100)

                class X:
                    def __index__(self):
                        m.close()
                        return 10
                with self.subTest(cls=cls), \
                        self.assertRaisesRegex(ValueError, "^mmap closed or invalid$"):
                    op(m, X())

    def test_subclass_init_runs_the_c_constructor(self):
        class M(mmapkit.mmap):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                self.tag = "ok"
        with M(-1, 32) as m:
            self.assertEqual((len(m), m.tag, m.size()), (32, "ok", 32))


if __name__ == "__main__":
    unittest.main()
