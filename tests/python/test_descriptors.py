"""mmapkit.open on what the caller already has open (issue 18): an int
descriptor or an object with fileno(). The library maps its own duplicate;
the caller's descriptor is theirs to close, before or after, and mmapkit
never closes it. What is not a regular file is refused at once."""
import errno
import io
import os
import socket
import stat
import tempfile
import unittest

import mmapkit
from support import TempDirTest, pattern

PAGE = 4096


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


class TestMapsWhatTheCallerOpened(TempDirTest):
    def test_unlinked_temporary_file_maps_and_writes_through(self):
        with tempfile.TemporaryFile(dir=self.dir) as tf:
            tf.write(pattern(3 * PAGE))  # still in the file object's buffer
            with mmapkit.open(tf, "r+") as f:
                self.assertTrue(f.name.endswith("(deleted)"), f.name)
                self.assertEqual((f.kind, f.mode, f.size), ("file", "r+", 3 * PAGE))
                with f.map() as v:
                    self.assertEqual(v[:], pattern(3 * PAGE))  # flushed first
                    v[0:4] = b"MMKX"
            tf.seek(0)
            self.assertEqual(tf.read(4), b"MMKX")

    def test_owner_closing_right_after_mapping_changes_nothing(self):
        p = self.path(content=pattern(2 * PAGE))
        before = open_fds()
        fd = os.open(p, os.O_RDWR)
        f = mmapkit.open(fd, "r+")
        v = f.map()
        os.close(fd)  # the owner's, at once
        self.assertEqual(v[:16], pattern(2 * PAGE)[:16])
        v[0:2] = b"ok"
        f.resize(3 * PAGE)  # through mmapkit's duplicate
        self.assertEqual(f.size, 3 * PAGE)
        v.flush()
        v.close()
        f.close()
        self.assertEqual(open_fds(), before)
        with open(p, "rb") as fh:
            self.assertEqual(fh.read(2), b"ok")

    def test_owner_closing_before_mapping_changes_nothing(self):
        p = self.path(content=pattern(PAGE))
        with open(p, "rb") as fh:
            f = mmapkit.open(fh)
        with f, f.map() as v:
            self.assertEqual(v[:], pattern(PAGE))

    def test_close_never_closes_the_callers_descriptor(self):
        p = self.path(content=pattern(PAGE))
        fd = os.open(p, os.O_RDWR)
        self.addCleanup(os.close, fd)
        for _ in range(3):
            with mmapkit.open(fd, "r+") as f, f.map() as v:
                self.assertNotEqual(f.fileno(), fd)  # a duplicate
                v[0] = 0x41
        self.assertTrue(stat.S_ISREG(os.fstat(fd).st_mode))
        self.assertEqual(os.pread(fd, 1, 0), b"A")

    def test_o_tmpfile_and_o_direct_descriptors_map(self):
        # What a path cannot reach (O_TMPFILE has none) or mmapkit would not
        # open itself (O_DIRECT): the reasons to map a descriptor.
        try:
            fd = os.open(self.dir, os.O_TMPFILE | os.O_RDWR, 0o600)
        except OSError as e:  # a file system without O_TMPFILE
            self.skipTest(f"O_TMPFILE: {e}")
        self.addCleanup(os.close, fd)
        os.ftruncate(fd, PAGE)
        with mmapkit.open(fd, "r+") as f, f.map() as v:
            self.assertTrue(f.name.endswith("(deleted)"), f.name)
            v[0:3] = b"tmp"
        self.assertEqual(os.pread(fd, 3, 0), b"tmp")
        p = self.path("direct.bin")
        try:
            dfd = os.open(p, os.O_CREAT | os.O_RDWR | os.O_DIRECT, 0o600)
        except OSError as e:  # a file system without O_DIRECT
            self.skipTest(f"O_DIRECT: {e}")
        self.addCleanup(os.close, dfd)
        os.ftruncate(dfd, PAGE)
        with mmapkit.open(dfd, "r+") as f, f.map() as v:
            self.assertEqual(f.name, os.path.realpath(p))
            v[0:3] = b"dio"
            v.flush()
        with open(p, "rb") as fh:
            self.assertEqual(fh.read(3), b"dio")

    def test_memfd_maps_as_a_file(self):
        fd = os.memfd_create("mmapkit-test")
        self.addCleanup(os.close, fd)
        os.ftruncate(fd, PAGE)
        with mmapkit.open(fd, "r+") as f, f.map() as v:
            self.assertIn("memfd:mmapkit-test", f.name)
            v[0:3] = b"abc"
        self.assertEqual(os.pread(fd, 3, 0), b"abc")

    def test_copy_on_write_of_a_read_only_descriptor_leaves_the_file_alone(self):
        p = self.path(content=pattern(PAGE))
        fd = os.open(p, os.O_RDONLY)
        self.addCleanup(os.close, fd)
        with mmapkit.open(fd, "c") as f, f.map() as v:
            v[0:4] = b"COPY"
            self.assertEqual(v[:4], b"COPY")
        with open(p, "rb") as fh:
            self.assertEqual(fh.read(4), pattern(PAGE)[:4])

    def test_any_object_with_fileno_is_a_descriptor(self):
        p = self.path(content=pattern(PAGE))
        fd = os.open(p, os.O_RDONLY)
        self.addCleanup(os.close, fd)

        class Holder:
            def fileno(self):
                return fd
        with mmapkit.open(Holder()) as f, f.map() as v:
            self.assertEqual(v[:8], pattern(PAGE)[:8])


class TestRefusals(TempDirTest):
    def assert_refused(self, file, mode, exc, err, name_part):
        before = open_fds()
        with self.assertRaises(exc) as cm:
            mmapkit.open(file, mode)
        self.assertEqual(cm.exception.errno, err)
        self.assertIn(name_part, cm.exception.filename)
        self.assertIn("[from_fd]", cm.exception.strerror)
        self.assertEqual(open_fds(), before)  # no duplicate left behind
        return cm.exception

    def test_read_only_descriptor_asked_for_a_writable_map(self):
        p = self.path(content=pattern(PAGE))
        fd = os.open(p, os.O_RDONLY)
        self.addCleanup(os.close, fd)
        e = self.assert_refused(fd, "r+", PermissionError, errno.EACCES, p)
        self.assertIn("a writable map needs", str(e))  # not the C name
        self.assertNotIn("MMK_", str(e))

    def test_write_only_descriptor_is_refused_in_every_mode(self):
        p = self.path(content=pattern(PAGE))
        fd = os.open(p, os.O_WRONLY)
        self.addCleanup(os.close, fd)
        for mode in ("r", "r+", "c"):
            with self.subTest(mode=mode):
                self.assert_refused(fd, mode, PermissionError, errno.EACCES, p)

    def test_pipe_is_enodev_at_once(self):
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        self.addCleanup(os.close, w)
        for fd in (r, w):
            e = self.assert_refused(fd, "r", OSError, errno.ENODEV, "pipe:[")
            self.assertIn("pipe", str(e))

    def test_fifo_opened_by_the_caller_is_enodev_at_once(self):
        p = os.path.join(self.dir, "fifo")
        os.mkfifo(p)
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)  # nobody writes
        self.addCleanup(os.close, fd)
        self.assert_refused(fd, "r", OSError, errno.ENODEV, p)

    def test_socket_object_is_enodev(self):
        a, b = socket.socketpair()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        e = self.assert_refused(a, "r", OSError, errno.ENODEV, "socket:[")
        self.assertIn("socket", str(e))

    def test_directory_is_is_a_directory_error_naming_it(self):
        fd = os.open(self.dir, os.O_RDONLY)
        self.addCleanup(os.close, fd)
        self.assert_refused(fd, "r", IsADirectoryError, errno.EISDIR, self.dir)

    def test_device_is_enodev(self):
        fd = os.open("/dev/zero", os.O_RDWR)
        self.addCleanup(os.close, fd)
        self.assert_refused(fd, "r+", OSError, errno.ENODEV, "/dev/zero")

    def test_closed_or_negative_descriptor_is_ebadf_saying_there_is_no_path(self):
        fd = os.open(self.path(content=b"x"), os.O_RDONLY)
        os.close(fd)
        for bad in (fd, -1):
            with self.subTest(fd=bad):
                self.assert_refused(bad, "r", OSError, errno.EBADF,
                                    f"fd {bad} (no path)")

    def test_creating_modes_and_size_are_for_paths_only(self):
        fd = os.open(self.path(content=b"x"), os.O_RDWR)
        self.addCleanup(os.close, fd)
        for mode in ("w+", "x+"):
            with self.subTest(mode=mode), self.assertRaisesRegex(ValueError, "a descriptor"):
                mmapkit.open(fd, mode)
        with self.assertRaisesRegex(ValueError, "size is only valid when opening a path"):
            mmapkit.open(fd, "r+", size=PAGE)
        self.assertEqual(os.fstat(fd).st_size, 1)  # nothing truncated or grown

    def test_wrong_types_are_type_errors(self):
        class BadFileno:
            def fileno(self):
                return "3"
        for bad in (True, 1.5, None, object(), BadFileno()):
            with self.subTest(bad=bad), self.assertRaises(TypeError):
                mmapkit.open(bad)
        with self.assertRaises(OverflowError):
            mmapkit.open(1 << 40)
        with self.assertRaises(io.UnsupportedOperation):  # fileno() says none
            mmapkit.open(io.BytesIO(b"abc"))


if __name__ == "__main__":
    unittest.main()
