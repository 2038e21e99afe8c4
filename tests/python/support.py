"""Shared helpers for the mmapkit Python tests (stdlib unittest only).

The tests import the INSTALLED mmapkit (CTest runs them with a fresh venv's
interpreter from a scratch directory); nothing here touches the source tree.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import uuid


def scratch_dir() -> str:
    """A per-test directory on a real disk (the cwd is the build tree), so
    msync has real work to do; /tmp may be tmpfs."""
    base = os.environ.get("MMAPKIT_TEST_TMP") or os.getcwd()
    return tempfile.mkdtemp(prefix="mmapkit-py-", dir=base)


class TempDirTest(unittest.TestCase):
    """Gives each test self.dir and self.path(name, content=None)."""

    def setUp(self):
        self.dir = scratch_dir()
        self.addCleanup(shutil.rmtree, self.dir, True)

    def path(self, name="data.bin", content=None):
        p = os.path.join(self.dir, name)
        if content is not None:
            with open(p, "wb") as fh:
                fh.write(content)
        return p


def unique_shm_name(tag="t"):
    return f"mmapkit-pytest-{tag}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def run_python(code: str, *args, timeout=60):
    """Runs `code` in a child interpreter (the same venv); returns the
    CompletedProcess."""
    return subprocess.run([sys.executable, "-c", code, *args],
                          capture_output=True, text=True, timeout=timeout)


def pattern(n: int, seed: int = 7) -> bytes:
    """Deterministic non-trivial bytes."""
    return bytes((i * 131 + seed + (i >> 8)) & 0xFF for i in range(n))
