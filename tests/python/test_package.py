"""The installed wheel: self-contained, importable from anywhere, typed,
and the raw SWIG layer's typemaps."""
import os
import subprocess
import sys
import sysconfig
import unittest

import mmapkit
from mmapkit import _core
from support import TempDirTest, run_python


class TestInstalledPackage(unittest.TestCase):
    def test_imported_from_site_packages(self):
        site = sysconfig.get_paths()["purelib"]
        self.assertTrue(os.path.realpath(mmapkit.__file__).startswith(os.path.realpath(site)),
                        mmapkit.__file__)
        self.assertEqual(mmapkit.__version__, "0.1.0")

    def test_imports_from_any_directory(self):
        for cwd in ("/", os.path.expanduser("~")):
            r = subprocess.run([sys.executable, "-I", "-c",
                                "import mmapkit; print(mmapkit.anonymous(10).map()[0])"],
                               cwd=cwd, capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.strip(), "0")

    def test_extension_is_self_contained(self):
        so = _core.__file__
        out = subprocess.run(["ldd", so], capture_output=True, text=True).stdout
        self.assertNotIn("libmmapkit", out)
        self.assertNotIn("not found", out)
        # The core's symbols stay private to the extension.
        syms = subprocess.run(["nm", "-D", "--defined-only", so],
                              capture_output=True, text=True).stdout
        self.assertIn("PyInit__core", syms)
        self.assertNotIn("mmk_map", syms)

    def test_typing_markers_shipped(self):
        pkg = os.path.dirname(mmapkit.__file__)
        self.assertTrue(os.path.exists(os.path.join(pkg, "py.typed")))
        self.assertTrue(os.path.exists(os.path.join(pkg, "_core.pyi")))
        self.assertIn("return", str(mmapkit.open.__annotations__))

    def test_public_names(self):
        for name in ("open", "shared_memory", "unlink_shared_memory", "anonymous",
                     "MappedFile", "View", "Advice", "FaultError", "Lock", "mmap"):
            self.assertTrue(hasattr(mmapkit, name), name)
        self.assertEqual([a.name for a in mmapkit.Advice],
                         ["NORMAL", "SEQUENTIAL", "RANDOM", "WILLNEED", "DONTNEED", "HUGEPAGE"])


class TestRawCore(TempDirTest):
    """mmapkit._core exposes the whole C API through the typemaps."""

    def test_out_parameters_and_buffers(self):
        p = self.path(content=b"0123456789")
        h = _core.mmk_file_open(p, _core.MMK_READ, 0, 0)
        try:
            self.assertEqual(_core.mmk_file_size(h), 10)
            self.assertEqual(_core.mmk_file_path(h), p)
            self.assertEqual(_core.mmk_file_mode(h), _core.MMK_READ)
            self.assertEqual(_core.mmk_file_kind(h), _core.MMK_KIND_FILE)
            v = _core.mmk_map(h, 3, 4, 0)
            try:
                self.assertEqual(_core.mmk_view_size(v), 4)
                self.assertEqual(_core.mmk_view_offset(v), 3)
                buf = bytearray(4)
                _core.mmk_view_read(v, 0, buf)
                self.assertEqual(bytes(buf), b"3456")
                self.assertGreaterEqual(_core.mmk_view_resident(v, 0, 0), 0)
                with self.assertRaises(IndexError):
                    _core.mmk_view_read(v, 1, bytearray(4))
                with self.assertRaises(PermissionError):
                    _core.mmk_view_write(v, 0, b"x")
            finally:
                _core.mmk_view_close(v)
        finally:
            _core.mmk_file_close(h)

    def test_errors_and_strings(self):
        with self.assertRaises(FileNotFoundError) as cm:
            _core.mmk_file_open(self.path("nope"), _core.MMK_READ, 0, 0)
        self.assertEqual(cm.exception.filename, self.path("nope"))
        self.assertEqual(_core.mmk_err_name(_core.MMK_EINVAL), "MMK_EINVAL")
        self.assertEqual(_core.mmk_strerror(_core.MMK_EINVAL), "invalid argument")
        self.assertEqual(_core.MMK_ENOENT, -2)
        with self.assertRaises(ValueError):
            _core.mmk_shm_name_check("bad/name")
        self.assertEqual(_core.mmk_shm_name_check("good-name"), 0)
        self.assertEqual(_core.mmk_version(), "0.1.0")
        self.assertGreater(_core.mmk_page_size(), 0)

    def test_raw_atomics(self):
        h = _core.mmk_anon_create(4096)
        v = _core.mmk_map(h, 0, 0, 0)
        try:
            _core.mmk_atomic_store_u64(v, 8, 41)
            self.assertEqual(_core.mmk_atomic_fetch_add_u64(v, 8, 1), 41)
            self.assertEqual(_core.mmk_atomic_load_u64(v, 8), 42)
            self.assertEqual(_core.mmk_atomic_cas_u32(v, 0, 0, 9), 0)
            self.assertEqual(_core.mmk_atomic_load_u32(v, 0), 9)
        finally:
            _core.mmk_view_close(v)
            _core.mmk_file_close(h)


if __name__ == "__main__":
    unittest.main()
