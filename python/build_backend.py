"""mmapkit's PEP 517 build backend: wheels and the sdist from pyproject.toml.

Why our own: the package is one C extension built by the project's CMake
(the core, SWIG's wrapper and python/src), and the offline machines it is
built on have no PyPI to fetch a backend from. The standard library is
enough (Python 3.11+: tomllib).

    pip install .           (a checkout)   build_wheel: CMake builds _core
    pip install mmapkit-X.tar.gz           the same, from the sdist
    python python/build_backend.py wheel --ext _core....so --out dist
                                           what cmake/python.cmake runs for a
                                           prebuilt extension (host or cross)

A wheel's platform tag is manylinux_2_<N>_<arch>, 2.<N> being the newest
glibc symbol version the extension imports (read with objdump), so the tag
claims what the binary needs and no more. The python tag is the
extension's own (cpython-311-... -> cp311), whichever interpreter packs it.
The version is the one in CMakeLists.txt's project(VERSION).
"""
import base64
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG = os.path.join(ROOT, "python", "mmapkit")
# What the sdist needs to build the extension with CMake (no tests, no other
# languages: their options are off in build_wheel).
SDIST_TREES = ["core", "bindings", "cmake", "python/mmapkit", "python/src", "python/native",
               "examples/c"]
SDIST_FILES = ["CMakeLists.txt", "LICENSE", "README.md", "pyproject.toml",
               "python/README.md", "python/build_backend.py"]
# Fixed timestamps: the same inputs give the same archive bytes.
EPOCH = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))  # 1980-01-01


def _project():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)["project"]


def version():
    with open(os.path.join(ROOT, "CMakeLists.txt"), encoding="utf-8") as f:
        m = re.search(r"project\(mmapkit VERSION ([0-9.]+)", f.read())
    if not m:
        raise RuntimeError("no project(mmapkit VERSION ...) in CMakeLists.txt")
    return m.group(1)


def metadata():
    """The core metadata (METADATA / PKG-INFO), version 2.1."""
    p = _project()
    lines = ["Metadata-Version: 2.1", f"Name: {p['name']}", f"Version: {version()}",
             f"Summary: {p['description']}", f"Requires-Python: {p['requires-python']}",
             f"License: {p['license']['text']}", "License-File: LICENSE"]
    lines += [f"Project-URL: {k}, {v}" for k, v in p.get("urls", {}).items()]
    lines += [f"Classifier: {c}" for c in p.get("classifiers", [])]
    lines.append("Description-Content-Type: text/markdown")
    with open(os.path.join(ROOT, p["readme"]), encoding="utf-8") as f:
        readme = f.read()
    return "\n".join(lines) + "\n\n" + readme


# --- the platform tag --------------------------------------------------------

def glibc_tag(ext, arch):
    """manylinux_2_N_arch from the GLIBC_2.N versions ext imports."""
    out = subprocess.run(["objdump", "-T", ext], check=True, capture_output=True,
                         text=True).stdout
    minors = [int(m) for m in re.findall(r"GLIBC_2\.([0-9]+)", out)]
    # manylinux2014 (2.17) is the oldest tag pip still knows for every arch.
    return f"manylinux_2_{max(minors + [17])}_{arch}"


def python_tag(ext):
    m = re.search(r"\.cpython-(\d)(\d+)-([a-z0-9_]+)-linux-gnu\.so$", os.path.basename(ext))
    if not m:
        raise RuntimeError(f"{ext}: not a CPython extension for Linux (no cpython-XY-<arch>-linux-gnu)")
    return f"cp{m.group(1)}{m.group(2)}", m.group(3)


# --- archives ----------------------------------------------------------------

def _zinfo(name, mode=0o644):
    zi = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    zi.external_attr = (0o100000 | mode) << 16
    zi.compress_type = zipfile.ZIP_DEFLATED
    return zi


def pack_wheel(ext, out_dir):
    """Writes the wheel of a built extension into out_dir; returns its file name."""
    pytag, arch = python_tag(ext)
    tag = f"{pytag}-{pytag}-{glibc_tag(ext, arch)}"
    name, ver = _project()["name"], version()
    dist_info = f"{name}-{ver}.dist-info"
    files = []
    for f in sorted(os.listdir(PKG)):
        if f.endswith((".py", ".pyi")) or f == "py.typed":
            with open(os.path.join(PKG, f), "rb") as src:
                files.append((f"mmapkit/{f}", src.read(), 0o644))
    with open(ext, "rb") as src:
        files.append((f"mmapkit/{os.path.basename(ext)}", src.read(), 0o755))
    with open(os.path.join(ROOT, "LICENSE"), "rb") as src:
        files.append((f"{dist_info}/LICENSE", src.read(), 0o644))
    files.append((f"{dist_info}/METADATA", metadata().encode(), 0o644))
    files.append((f"{dist_info}/WHEEL", (
        "Wheel-Version: 1.0\nGenerator: mmapkit build_backend\nRoot-Is-Purelib: false\n"
        f"Tag: {tag}\n").encode(), 0o644))
    record = []
    for path, data, _ in files:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist_info}/RECORD,,")
    files.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode(), 0o644))

    wheel = f"{name}-{ver}-{tag}.whl"
    os.makedirs(out_dir, exist_ok=True)
    # The same build under another glibc tag (an older toolchain) is stale.
    for old in os.listdir(out_dir):
        if old.startswith(f"{name}-{ver}-{pytag}-{pytag}-") and old.endswith(f"_{arch}.whl") \
                and old != wheel:
            os.remove(os.path.join(out_dir, old))
    tmp = os.path.join(out_dir, f".{wheel}.tmp")
    with zipfile.ZipFile(tmp, "w") as z:
        for path, data, mode in files:
            z.writestr(_zinfo(path, mode), data)
    os.replace(tmp, os.path.join(out_dir, wheel))  # never a half-written wheel
    return wheel


def _cmake_extension(build_dir):
    """Builds mmapkit._core for the running interpreter with the project's CMake."""
    cmake = shutil.which("cmake")
    if not cmake:
        raise RuntimeError("building mmapkit needs cmake (>= 3.20), swig (>= 4) and a C compiler")
    subprocess.run([cmake, "-S", ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
                    f"-DPython3_EXECUTABLE={sys.executable}", "-DMMAPKIT_JAVA=OFF",
                    "-DMMAPKIT_DOTNET=OFF", "-DMMAPKIT_BENCH=OFF", "-DBUILD_TESTING=OFF",
                    f"-DMMAPKIT_DIST_DIR={os.path.join(build_dir, 'dist')}"],
                   check=True, stdout=sys.stderr)
    subprocess.run([cmake, "--build", build_dir, "--target", "mmapkit_python", "-j",
                    str(os.cpu_count() or 1)], check=True, stdout=sys.stderr)
    lib = os.path.join(build_dir, "python", "lib")
    built = [f for f in os.listdir(lib) if f.startswith("_core.") and f.endswith(".so")]
    if len(built) != 1:
        raise RuntimeError(f"expected one _core extension in {lib}, found {built}")
    return os.path.join(lib, built[0])


# --- PEP 517 hooks -------------------------------------------------------------

def get_requires_for_build_wheel(config_settings=None):
    return []  # cmake, swig and the compiler are system tools, not Python packages


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    with tempfile.TemporaryDirectory(prefix="mmapkit-build-") as tmp:
        return pack_wheel(_cmake_extension(tmp), wheel_directory)


def build_sdist(sdist_directory, config_settings=None):
    name, ver = _project()["name"], version()
    base = f"{name}-{ver}"
    paths = list(SDIST_FILES)
    for tree in SDIST_TREES:
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, tree)):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            paths += [os.path.relpath(os.path.join(dirpath, f), ROOT) for f in filenames
                      if not f.endswith((".pyc", ".so", ".o"))]
    sdist = f"{base}.tar.gz"
    os.makedirs(sdist_directory, exist_ok=True)
    tmp = os.path.join(sdist_directory, f".{sdist}.tmp")

    def add(tar, arcname, data):
        ti = tarfile.TarInfo(f"{base}/{arcname}")
        ti.size, ti.mtime, ti.mode = len(data), EPOCH, 0o644
        tar.addfile(ti, io.BytesIO(data))

    with open(tmp, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz",
                                               format=tarfile.PAX_FORMAT) as tar:
        for rel in sorted(set(paths)):
            with open(os.path.join(ROOT, rel), "rb") as f:
                add(tar, rel, f.read())
        add(tar, "PKG-INFO", metadata().encode())
    os.replace(tmp, os.path.join(sdist_directory, sdist))
    return sdist


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("wheel", help="pack a prebuilt extension")
    w.add_argument("--ext", required=True)
    w.add_argument("--out", required=True)
    w.add_argument("--stamp", help="file to write the wheel's path into")
    s = sub.add_parser("sdist")
    s.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    name = pack_wheel(a.ext, a.out) if a.cmd == "wheel" else build_sdist(a.out)
    path = os.path.join(a.out, name)
    if getattr(a, "stamp", None):
        with open(a.stamp, "w", encoding="utf-8") as f:
            f.write(path + "\n")
    print(path)


if __name__ == "__main__":
    main(sys.argv[1:])
