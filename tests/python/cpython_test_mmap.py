"""CPython's own Lib/test/test_mmap.py with mmap.mmap replaced by
mmapkit.mmap (the rest of the mmap module, constants included, is the
standard library's). Every test that runs on Linux must pass; a test the
suite skips must be skipped for a reason that has nothing to do with
mmapkit (Windows only, resources). Prints the counts."""
import mmap as std_mmap
import sys
import types
import unittest

import mmapkit

try:
    from test import test_mmap
except ImportError as e:  # pragma: no cover - the interpreter lacks Lib/test
    sys.exit(f"CPython's Lib/test/test_mmap.py is not importable: {e}")

# The only skips that say nothing about mmapkit: Windows-only tests (3.13
# words one of them "trackfd only fails on Windows").
ACCEPTED_SKIPS = ("requires Windows", "only fails on Windows")

shim = types.ModuleType("mmap")
shim.__dict__.update({k: v for k, v in vars(std_mmap).items()
                      if not k.startswith("__")})
shim.mmap = mmapkit.mmap
test_mmap.mmap = shim

suite = unittest.defaultTestLoader.loadTestsFromModule(test_mmap)
result = unittest.TextTestRunner(verbosity=2).run(suite)
bad_skips = [(t.id(), why) for t, why in result.skipped
             if not any(word in why for word in ACCEPTED_SKIPS)]
print(f"test_mmap of CPython {sys.version.split()[0]} against mmapkit.mmap: {result.testsRun} run, "
      f"{result.testsRun - len(result.failures) - len(result.errors) - len(result.skipped)} passed, "
      f"{len(result.failures)} failed, {len(result.errors)} errors, "
      f"{len(result.skipped)} skipped")
for tid, why in result.skipped:
    print(f"  skipped {tid}: {why}")
for tid, why in bad_skips:
    print(f"  UNEXPECTED SKIP {tid}: {why}")
sys.exit(0 if result.wasSuccessful() and not bad_skips else 1)
