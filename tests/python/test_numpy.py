"""numpy over a view (run under Debian's python3, which has python3-numpy,
with the same wheel installed into a --system-site-packages venv)."""
import os
import unittest

import numpy as np

import mmapkit
from support import TempDirTest


class TestNumpy(TempDirTest):
    def test_frombuffer_is_zero_copy(self):
        data = np.arange(1 << 16, dtype=np.uint32)
        p = self.path(content=data.tobytes())
        with mmapkit.open(p, "r+") as f:
            v = f.map()
            a = np.frombuffer(v, dtype=np.uint32)
            self.assertEqual(a.shape, (1 << 16,))
            self.assertTrue(np.array_equal(a, data))
            self.assertTrue(a.flags.writeable)
            a[5] = 123456  # numpy writes into the mapping
            self.assertEqual(int.from_bytes(v[20:24], "little"), 123456)
            v[0:4] = (77).to_bytes(4, "little")  # and sees our writes
            self.assertEqual(int(a[0]), 77)
            self.assertEqual(int(a.sum(dtype=np.uint64)),
                             int(data.sum(dtype=np.uint64)) - 5 + 123456 - 0 + 77)
            with self.assertRaises(BufferError):
                v.close()  # the array holds an export
            del a
            v.close()
            self.assertTrue(v.closed)

    def test_read_only_view_gives_read_only_array(self):
        p = self.path(content=bytes(range(256)) * 32)
        with mmapkit.open(p) as f, f.map(offset=4097, length=256) as v:
            a = np.frombuffer(v, dtype=np.uint8)
            self.assertFalse(a.flags.writeable)
            self.assertEqual(int(a[0]), 4097 % 256)
            with self.assertRaises(ValueError):
                a[0] = 1
            del a

    def test_structured_dtype_and_offset(self):
        dt = np.dtype([("id", "<u4"), ("x", "<f8")])
        rec = np.zeros(100, dtype=dt)
        rec["id"] = np.arange(100)
        rec["x"] = np.linspace(0, 1, 100)
        p = self.path(content=rec.tobytes())
        with mmapkit.open(p) as f, f.map() as v:
            a = np.frombuffer(v, dtype=dt, count=10, offset=dt.itemsize * 50)
            self.assertEqual(list(a["id"]), list(range(50, 60)))
            del a

    def test_anonymous_memory_as_array(self):
        f = mmapkit.anonymous(8 * 1000)
        v = f.map()
        a = np.frombuffer(v, dtype=np.float64)
        a[:] = 1.5
        self.assertEqual(v[0:8], np.float64(1.5).tobytes())
        del a
        v.close()
        f.close()


if __name__ == "__main__":
    unittest.main()
