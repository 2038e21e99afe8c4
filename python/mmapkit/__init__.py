"""mmapkit: memory-mapped files and shared memory that do not crash.

    with mmapkit.open("data.bin", "r") as f:
        with f.map() as v:
            mv = memoryview(v)      # zero-copy, NOT fault-safe
            first = v[0:16]         # fault-safe copy

A file truncated under a view makes the view's own methods raise
mmapkit.FaultError; buffer-protocol consumers (memoryview, bytearray,
hashlib, zlib, struct, re, numpy...) read the pages directly and die with
SIGBUS, as with the standard library's mmap.

``mmapkit.mmap`` is a drop-in replacement for ``mmap.mmap``; the standard
module's constants (ACCESS_*, MAP_*, PROT_*, MADV_*, PAGESIZE,
ALLOCATIONGRANULARITY) are re-exported so ``import mmapkit as mmap`` works.
"""
import mmap as _std_mmap

from . import _core
from ._api import (Advice, FaultError, Lock, MappedFile, View, anonymous,
                   fault_guard_install, open, shared_memory,
                   unlink_shared_memory)
from ._mmap import mmap

__version__ = _core.mmk_version()

# The standard module's constants, for `import mmapkit as mmap`.
for _name in dir(_std_mmap):
    if _name.isupper() and not _name.startswith("_"):
        globals()[_name] = getattr(_std_mmap, _name)
del _name
error = OSError  # mmap.error

__all__ = [
    "Advice", "FaultError", "Lock", "MappedFile", "View", "anonymous",
    "fault_guard_install", "mmap", "open", "shared_memory",
    "unlink_shared_memory", "__version__",
]
