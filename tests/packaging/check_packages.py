#!/usr/bin/env python3
"""Checks what a user downloads: the wheel, the jars and the nupkg in dist/.

Each package must carry its own native code (the core linked in statically,
no dependency on a libmmapkit.so from the build tree), the metadata its
ecosystem expects, and nothing that points back into this machine's build.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import unittest
import zipfile

VERSION = None  # --version: CMake's PROJECT_VERSION, the one place it is written
ARGS = None


def single(pattern):
    found = sorted(glob.glob(os.path.join(ARGS.dist, pattern)))
    if len(found) != 1:
        raise AssertionError(f"expected exactly one {pattern} in {ARGS.dist}, found {found}")
    return found[0]


def readelf(blob, *flags):
    """readelf output for a shared library held in memory."""
    with tempfile.NamedTemporaryFile(suffix=".so") as tmp:
        tmp.write(blob)
        tmp.flush()
        return subprocess.run(["readelf", "-W", *flags, tmp.name], check=True,
                              capture_output=True, text=True).stdout


# DLLs that ship with every 64-bit Windows (msvcrt.dll: mingw's C runtime).
WINDOWS_SYSTEM_DLLS = {"kernel32.dll", "advapi32.dll", "msvcrt.dll", "ntdll.dll"}


def pe_imports_exports(blob):
    """(imported DLL names, exported symbol names) of a PE file, by objdump -p."""
    with tempfile.NamedTemporaryFile(suffix=".dll") as tmp:
        tmp.write(blob)
        tmp.flush()
        out = subprocess.run(["x86_64-w64-mingw32-objdump", "-p", tmp.name], check=True,
                             capture_output=True, text=True).stdout
    imports = [l.split("DLL Name:")[1].strip() for l in out.splitlines() if "DLL Name:" in l]
    exports, in_names = [], False
    for line in out.splitlines():
        if line.startswith("[Ordinal/Name Pointer] Table"):
            in_names = True
        elif in_names and line.strip().startswith("["):
            exports.append(line.split("]", 1)[1].strip())
        elif in_names:
            in_names = False
    return imports, exports


# Runtimes that dlopen a library late (.NET leaves ~1 KiB) refuse one whose
# initial-exec TLS does not fit the static TLS surplus.
MAX_STATIC_TLS = 256


class NativeChecks:
    def assert_self_contained(self, name, blob):
        dyn = readelf(blob, "-d")
        needed = [l for l in dyn.splitlines() if "(NEEDED)" in l]
        self.assertFalse([l for l in needed if "libmmapkit" in l],
                         f"{name} depends on a separate libmmapkit: {needed}")
        for tag in ("(RPATH)", "(RUNPATH)"):
            for line in dyn.splitlines():
                if tag in line:
                    self.assertNotIn("/build", line, f"{name} points into the build tree: {line}")
        self.assertEqual(blob[:4], b"\x7fELF", f"{name} is not an ELF library")
        for line in readelf(blob, "-l").splitlines():
            fields = line.split()
            if fields and fields[0] == "TLS":
                memsiz = int(fields[5], 16)
                self.assertLessEqual(memsiz, MAX_STATIC_TLS,
                                     f"{name} needs {memsiz} bytes of TLS: dlopen may fail")


@unittest.skipUnless(os.environ.get("MMAPKIT_CHECK_PYTHON") == "1", "Python package not built")
class WheelTest(unittest.TestCase, NativeChecks):
    def wheels(self):
        machine = os.uname().machine
        found = sorted(glob.glob(os.path.join(ARGS.dist, f"mmapkit-{VERSION}-cp3*-manylinux_2_*_{machine}.whl")))
        self.assertTrue(found, f"no manylinux {machine} wheel in {ARGS.dist}")
        return found

    def test_wheel_tag_claims_the_glibc_its_extension_needs(self):
        for path in self.wheels() + glob.glob(os.path.join(ARGS.dist, f"mmapkit-{VERSION}-*_aarch64.whl")):
            name = os.path.basename(path)
            with zipfile.ZipFile(path) as z:
                ext = [n for n in z.namelist() if n.startswith("mmapkit/_core") and n.endswith(".so")]
                self.assertEqual(len(ext), 1, name)
                with tempfile.NamedTemporaryFile(suffix=".so") as tmp:
                    tmp.write(z.read(ext[0]))
                    tmp.flush()
                    syms = subprocess.run(["objdump", "-T", tmp.name], check=True,
                                          capture_output=True, text=True).stdout
                wheel_meta = z.read(f"mmapkit-{VERSION}.dist-info/WHEEL").decode()
            need = max([17] + [int(m) for m in re.findall(r"GLIBC_2\.(\d+)", syms)])
            py = re.search(r"cpython-(\d)(\d+)-", ext[0])
            tag = f"cp{py[1]}{py[2]}-cp{py[1]}{py[2]}-manylinux_2_{need}_"
            self.assertIn(f"-{tag}", name, f"{name}: its extension needs glibc 2.{need}")
            self.assertIn(f"Tag: {tag}", wheel_meta, name)

    def test_wheel_has_package_types_and_extension(self):
        for path in self.wheels():
            self.check_wheel(path)

    def test_sdist_builds_from_the_sources_it_carries(self):
        with tarfile.open(single(f"mmapkit-{VERSION}.tar.gz")) as t:
            names = t.getnames()
            base = f"mmapkit-{VERSION}/"
            for need in ("pyproject.toml", "PKG-INFO", "LICENSE", "CMakeLists.txt",
                         "python/build_backend.py", "core/include/mmapkit.h",
                         "bindings/python.i", "python/mmapkit/__init__.py"):
                self.assertIn(base + need, names)
            self.assertFalse([n for n in names if "/tests/" in n or n.endswith((".so", ".pyc"))])
            info = t.extractfile(base + "PKG-INFO").read().decode()
            self.assertIn(f"Version: {VERSION}", info)

    def check_wheel(self, path):
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            self.assertIn("mmapkit/__init__.py", names)
            self.assertIn("mmapkit/py.typed", names)
            ext = [n for n in names if n.startswith("mmapkit/") and n.endswith(".so")]
            self.assertEqual(len(ext), 1, f"one extension module expected: {ext}")
            self.assert_self_contained(ext[0], z.read(ext[0]))
            meta = [n for n in names if n.endswith(".dist-info/METADATA")]
            self.assertEqual(len(meta), 1)
            text = z.read(meta[0]).decode()
            self.assertIn("Name: mmapkit", text)
            self.assertIn(f"Version: {VERSION}", text)
            self.assertIn("Requires-Python: >=3.11", text)
            self.assertIn("License: MIT", text)
            self.assertIn("Description-Content-Type: text/markdown", text)
            self.assertIn("# mmapkit for Python", text)  # the long description
            self.assertIn(f"mmapkit-{VERSION}.dist-info/LICENSE", names)
            self.assertFalse([n for n in names if "/tests/" in n or n.endswith(".c")],
                             "sources or tests leaked into the wheel")


@unittest.skipUnless(os.environ.get("MMAPKIT_CHECK_JAVA") == "1", "Java package not built")
class JarTest(unittest.TestCase, NativeChecks):
    def test_jar_carries_native_library_and_module_name(self):
        path = single(f"mmapkit-{VERSION}.jar")
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            self.assertIn("org/mmapkit/MappedFile.class", names)
            self.assertIn("org/mmapkit/MappedView.class", names)
            native = [n for n in names if n.startswith("org/mmapkit/native/linux-x86_64/") and n.endswith(".so")]
            self.assertEqual(len(native), 1, f"one native library expected: {native}")
            self.assert_self_contained(native[0], z.read(native[0]))
            manifest = z.read("META-INF/MANIFEST.MF").decode()
            self.assertIn("Automatic-Module-Name: org.mmapkit", manifest)
            self.assertIn(f"Implementation-Version: {VERSION}", manifest)
            self.assertIn("META-INF/LICENSE", names)
            pom = z.read("META-INF/maven/org.mmapkit/mmapkit/pom.xml").decode()
            self.assertIn(f"<version>{VERSION}</version>", pom)
            self.assertIn("<groupId>org.mmapkit</groupId>", pom)
            self.assertFalse([n for n in names if "junit" in n.lower()], "test classes in the jar")

    def test_jar_is_multi_release_with_its_jdk24_classes(self):
        if os.environ.get("MMAPKIT_CHECK_JAVA_V24") != "1":
            self.skipTest("this build found no JDK 24+ javac (cmake/java.cmake)")
        with zipfile.ZipFile(single(f"mmapkit-{VERSION}.jar")) as z:
            self.assertIn("Multi-Release: true", z.read("META-INF/MANIFEST.MF").decode())
            # class file major versions: 61 is Java 17 (the base), 68 is Java 24
            base = z.read("org/mmapkit/RawAccess.class")
            v24 = z.read("META-INF/versions/24/org/mmapkit/RawAccess.class")
            self.assertEqual(int.from_bytes(base[6:8], "big"), 61)
            self.assertEqual(int.from_bytes(v24[6:8], "big"), 68)
            versioned = [n for n in z.namelist()
                         if n.startswith("META-INF/versions/") and n.endswith(".class")]
            self.assertEqual(versioned, ["META-INF/versions/24/org/mmapkit/RawAccess.class"])

    def test_windows_dll_exports_the_jni_entry_points_and_imports_system_dlls_only(self):
        if "windows-x86_64" not in os.environ.get("MMAPKIT_CHECK_JAVA_PLATFORMS", "").split(","):
            self.skipTest("this build packed no Windows natives (scripts/build.sh does)")
        with zipfile.ZipFile(single(f"mmapkit-{VERSION}.jar")) as z:
            # System.mapLibraryName's name on Windows: no lib prefix.
            dll = z.read("org/mmapkit/native/windows-x86_64/mmapkit_jni.dll")
            so = z.read("org/mmapkit/native/linux-x86_64/libmmapkit_jni.so")
        self.assertEqual(dll[:2], b"MZ", "not a PE file")
        imports, exports = pe_imports_exports(dll)
        # -static: no mingw runtime DLL nor a separate libmmapkit.dll.
        self.assertTrue(imports, "no import table found")
        self.assertLessEqual({i.lower() for i in imports}, WINDOWS_SYSTEM_DLLS,
                             f"imports beyond Windows' own DLLs: {imports}")
        # Exactly the Linux library's JNI entry points (one jar, one set of
        # native methods), nothing of the core.
        linux = {l.split()[-1] for l in readelf(so, "--dyn-syms").splitlines()
                 if " FUNC " in l and " GLOBAL " in l and " UND " not in l}
        self.assertTrue(exports, "no export table found")
        self.assertEqual(set(exports), {n for n in linux if n.startswith("Java_")})
        self.assertTrue(all(n.startswith("Java_") for n in exports),
                        f"exports beyond JNI: {[n for n in exports if not n.startswith('Java_')]}")

    def test_sources_and_javadoc_jars(self):
        with zipfile.ZipFile(single(f"mmapkit-{VERSION}-sources.jar")) as z:
            self.assertIn("org/mmapkit/MappedFile.java", z.namelist())
        with zipfile.ZipFile(single(f"mmapkit-{VERSION}-javadoc.jar")) as z:
            names = z.namelist()
            self.assertIn("index.html", names)
            self.assertTrue([n for n in names if n.endswith("MappedView.html")])


@unittest.skipUnless(os.environ.get("MMAPKIT_CHECK_DOTNET") == "1", ".NET package not built")
class NupkgTest(unittest.TestCase, NativeChecks):
    def test_nupkg_has_assembly_docs_and_native_library(self):
        path = single(f"MmapKit.{VERSION}.nupkg")
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            dlls = [n for n in names if n.startswith("lib/") and n.endswith("/MmapKit.dll")]
            self.assertEqual(len(dlls), 1, f"one assembly expected: {dlls}")
            self.assertIn(dlls[0][:-len("dll")] + "xml", names, "XML docs missing")
            native = [n for n in names if n.startswith("runtimes/linux-x64/native/") and n.endswith(".so")]
            self.assertEqual(len(native), 1, f"one native library expected: {native}")
            self.assert_self_contained(native[0], z.read(native[0]))
            nuspec = z.read("MmapKit.nuspec").decode()
            self.assertIn("<id>MmapKit</id>", nuspec)
            self.assertIn(f"<version>{VERSION}</version>", nuspec)
            self.assertIn('<license type="expression">MIT</license>', nuspec)
            self.assertIn("<readme>README.md</readme>", nuspec)
            self.assertIn("LICENSE", names)
            self.assertIn("buildTransitive/MmapKit.targets", names)
            targets = z.read("buildTransitive/MmapKit.targets").decode()
            self.assertIn("MMAPKIT001", targets)
            # Only the SWIG entry points the .NET layer calls; the core stays private.
            syms = readelf(z.read(native[0]), "--dyn-syms")
            exported = [l.split()[-1] for l in syms.splitlines()
                        if " FUNC " in l and " GLOBAL " in l and " UND " not in l]
            self.assertTrue(exported)
            self.assertEqual([f for f in exported if not f.startswith("CSharp_")], [],
                             "the native library exports more than the C# entry points")

    def test_symbols_package_has_the_pdb(self):
        with zipfile.ZipFile(single(f"MmapKit.{VERSION}.snupkg")) as z:
            self.assertTrue([n for n in z.namelist() if n.endswith("/MmapKit.pdb")], z.namelist())

    def test_nupkg_carries_each_cross_built_rid(self):
        rids = [r for r in os.environ.get("MMAPKIT_CHECK_DOTNET_RIDS", "").split(",") if r]
        if not rids:
            self.skipTest("this build packed no cross-built natives (scripts/build.sh does)")
        with zipfile.ZipFile(single(f"MmapKit.{VERSION}.nupkg")) as z:
            names = z.namelist()
        for rid in rids:
            native = [n for n in names if n.startswith(f"runtimes/{rid}/native/")]
            self.assertEqual(len(native), 1, f"one native library expected for {rid}: {native}")

    def test_win_x64_dll_exports_the_wrapper_and_imports_system_dlls_only(self):
        if "win-x64" not in os.environ.get("MMAPKIT_CHECK_DOTNET_RIDS", "").split(","):
            self.skipTest("this build packed no Windows natives (scripts/build.sh does)")
        with zipfile.ZipFile(single(f"MmapKit.{VERSION}.nupkg")) as z:
            # The name .NET probes for on Windows: no lib prefix.
            dll = z.read("runtimes/win-x64/native/mmapkit_native.dll")
            so = z.read("runtimes/linux-x64/native/libmmapkit_native.so")
        self.assertEqual(dll[:2], b"MZ", "not a PE file")
        imports, exports = pe_imports_exports(dll)
        # -static: no mingw runtime DLL (libwinpthread-1, libgcc_s_seh-1) nor
        # a separate libmmapkit.dll; only DLLs every Windows has.
        self.assertTrue(imports, "no import table found")
        self.assertLessEqual({i.lower() for i in imports}, WINDOWS_SYSTEM_DLLS,
                             f"imports beyond Windows' own DLLs: {imports}")
        # The SWIG wrapper's entry points and nothing of the core; the same
        # set as the Linux library's, so both serve one MmapKit.dll.
        linux = {l.split()[-1] for l in readelf(so, "--dyn-syms").splitlines()
                 if " FUNC " in l and " GLOBAL " in l and " UND " not in l}
        self.assertEqual(set(exports), {n for n in linux if n.startswith("CSharp_")})
        self.assertTrue(all(n.startswith("CSharp_") for n in exports),
                        f"exports beyond the wrapper: {[n for n in exports if not n.startswith('CSharp_')]}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--dist", required=True)
    parser.add_argument("--version", required=True)
    ARGS, rest = parser.parse_known_args()
    VERSION = ARGS.version
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
