"""Packages the prebuilt extension mmapkit/_core*.so (built by CMake, core
linked statically) into a cp3XX-cp3XX-linux_x86_64 wheel.

Not meant to compile anything: run by cmake/python.cmake on a staged copy
of this directory with the extension already in place, via
`pip wheel --no-build-isolation --no-index`.
"""
import glob
import os

from setuptools import setup
from setuptools.dist import Distribution


class BinaryDistribution(Distribution):
    """The package carries a compiled extension: platform wheel, not pure."""

    def has_ext_modules(self):
        return True


here = os.path.dirname(os.path.abspath(__file__))
if not glob.glob(os.path.join(here, "mmapkit", "_core*.so")):
    raise SystemExit(
        "mmapkit/_core*.so is missing: build the wheel with CMake "
        "(cmake --build <dir> --target mmapkit_python_wheel)")

setup(
    name="mmapkit",
    version=os.environ.get("MMAPKIT_VERSION", "0.1.0"),
    description="Memory-mapped files and shared memory that do not crash "
                "on truncation: buffer-protocol views and a drop-in mmap.mmap",
    license="MIT",
    python_requires=">=3.11",
    packages=["mmapkit"],
    package_data={"mmapkit": ["_core*.so", "py.typed", "*.pyi"]},
    include_package_data=False,
    zip_safe=False,
    distclass=BinaryDistribution,
    classifiers=[
        "Programming Language :: Python :: 3",
        "Operating System :: POSIX :: Linux",
    ],
)
