"""The installed wheel: self-contained, importable from anywhere, typed,
and the raw SWIG layer's typemaps."""
import importlib.metadata
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
        # One version: the installed distribution's metadata (from CMake's
        # project(VERSION)) is the one the native core reports.
        self.assertEqual(mmapkit.__version__, importlib.metadata.version("mmapkit"))

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

    def test_public_names_and_advice_order(self):
        for name in ("open", "shared_memory", "unlink_shared_memory", "anonymous",
                     "MappedFile", "View", "Advice", "FaultError", "Lock", "mmap"):
            self.assertTrue(hasattr(mmapkit, name), name)
        self.assertEqual([a.name for a in mmapkit.Advice],
                         ["NORMAL", "SEQUENTIAL", "RANDOM", "WILLNEED", "DONTNEED", "HUGEPAGE"])


class TestCoreModule(TempDirTest):
    """mmapkit._core is internal: the handle types, the MMK_* constants,
    the frame-free method descriptors and a whitelist of C functions."""

    def test_only_whitelisted_c_functions_are_wrapped(self):
        raw = {n for n in dir(_core) if n.startswith("mmk_")}
        self.assertEqual(raw, {"mmk_version", "mmk_strerror", "mmk_err_name",
                               "mmk_page_size"})

    def test_no_swig_internals_in_the_public_classes(self):
        swig = {"acquire", "append", "disown", "next", "own", "this",
                "thisown", "__int__"}
        for cls in (mmapkit.View, mmapkit.MappedFile, mmapkit.mmap):
            with self.subTest(cls=cls):
                self.assertEqual(swig & set(dir(cls)), set())
        f = mmapkit.anonymous(4096)
        a, b = f.map(), f.map()
        a.close()
        b.close()
        f.close()
        # identity, as object's (SWIG compared handle pointers: two closed
        # views were equal and hashed alike)
        self.assertNotEqual(a, b)
        self.assertEqual(a, a)

    def test_errors_and_strings(self):
        with self.assertRaises(FileNotFoundError) as cm:
            _core.File(0, self.path("nope"), _core.MMK_READ, 0, 0, -1)
        self.assertEqual(cm.exception.filename, self.path("nope"))
        self.assertEqual(_core.mmk_err_name(_core.MMK_EINVAL), "MMK_EINVAL")
        self.assertEqual(_core.mmk_strerror(_core.MMK_EINVAL), "invalid argument")
        self.assertEqual(_core.MMK_ENOENT, -2)
        with self.assertRaises(ValueError):
            _core.shm_name_check("bad/name")
        self.assertIsNone(_core.shm_name_check("good-name"))
        self.assertEqual(_core.mmk_version(), importlib.metadata.version("mmapkit"))
        self.assertGreater(_core.mmk_page_size(), 0)


if __name__ == "__main__":
    unittest.main()
