"""A wheel or sdist install, checked from outside the source tree: the
package imports from site-packages, reports the build's version, and its
extension maps, copies and faults as on the main interpreter.

    <venv>/bin/python wheel_smoke.py VERSION
"""
import importlib.metadata
import os
import sys
import sysconfig
import tempfile

import mmapkit

version = sys.argv[1]
site = os.path.realpath(sysconfig.get_paths()["platlib"])
assert os.path.realpath(mmapkit.__file__).startswith(site), mmapkit.__file__
assert mmapkit.__version__ == version == importlib.metadata.version("mmapkit"), \
    (mmapkit.__version__, version)
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "f.bin")
    with open(path, "wb") as f:
        f.truncate(1 << 16)
    with mmapkit.open(path, "r+") as mf, mf.map(offset=4097, length=100) as v:
        v[0:5] = b"hello"
        assert bytes(v[0:5]) == b"hello"
        os.truncate(path, 0)
        try:
            v[0:5]
        except mmapkit.FaultError:
            pass
        else:
            raise AssertionError("a read of a truncated file did not raise FaultError")
print(f"mmapkit {mmapkit.__version__} on {sys.implementation.cache_tag}: ok")
