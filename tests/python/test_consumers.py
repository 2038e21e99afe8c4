"""Zero-copy consumers of a view: hashlib, zlib, struct, re, memoryview.cast,
and proof that they read the mapping itself, not a copy."""
import array
import hashlib
import re
import struct
import sys
import unittest
import zlib

import mmapkit
from support import TempDirTest, pattern


class TestConsumers(TempDirTest):
    def setUp(self):
        super().setUp()
        self.data = pattern(1 << 20) + b"needle-in-haystack" + pattern(4096, 3)
        self.f = mmapkit.open(self.path(content=self.data), "r+")
        self.addCleanup(self.f.close)
        self.v = self.f.map()
        self.addCleanup(self.v.close)

    def test_hashlib_digests_the_view_like_its_bytes(self):
        for algo in ("sha256", "md5", "blake2b"):
            self.assertEqual(hashlib.new(algo, self.v).hexdigest(),
                             hashlib.new(algo, self.data).hexdigest())

    def test_zlib_checksums_and_compresses_the_view_like_its_bytes(self):
        self.assertEqual(zlib.crc32(self.v), zlib.crc32(self.data))
        self.assertEqual(zlib.adler32(self.v), zlib.adler32(self.data))
        self.assertEqual(zlib.decompress(zlib.compress(self.v)), self.data)

    def test_struct_unpacks_and_packs_in_place(self):
        for off in (0, 1, 7, 4097, len(self.data) - 8):
            self.assertEqual(struct.unpack_from("<Q", self.v, off),
                             struct.unpack_from("<Q", self.data, off))
        struct.pack_into("<I", self.v, 3, 0xDEADBEEF)
        self.assertEqual(self.v[3:7], struct.pack("<I", 0xDEADBEEF))

    def test_re_searches_the_view_in_place(self):
        m = re.search(rb"needle-(\w+)-haystack", self.v)
        self.assertIsNotNone(m)
        self.assertEqual(m.start(), 1 << 20)
        self.assertEqual(m.group(1), b"in")
        self.assertEqual(len(re.findall(rb"needle", self.v)), 1)

    def test_memoryview_casts_to_the_same_words(self):
        mv = memoryview(self.v)
        try:
            self.assertEqual(mv.nbytes, len(self.data))
            self.assertTrue(mv.c_contiguous)
            q = mv[:4096].cast("Q")
            self.assertEqual(list(q[:4]), list(array.array("Q", self.data[:32])))
            q[0] = 42
            self.assertEqual(self.v[0:8], (42).to_bytes(8, sys.byteorder))
            q.release()
        finally:
            mv.release()

    def test_consumers_see_the_mapping_not_a_copy(self):
        mv = memoryview(self.v)
        try:
            before = hashlib.sha256(mv).digest()
            self.v[100:104] = b"\0\1\2\3"  # through the fault-safe copy
            self.assertEqual(mv[100:104].tobytes(), b"\0\1\2\3")
            self.assertNotEqual(hashlib.sha256(mv).digest(), before)
            mv[200] = 9  # and the other way round
            self.assertEqual(self.v[200], 9)
        finally:
            mv.release()

    def test_readinto_from_file_objects(self):
        # io writes straight into a writable view (the buffer is the map).
        src = self.path("src.bin", b"Z" * 5000)
        with open(src, "rb") as fh:
            mv = memoryview(self.v)
            self.assertEqual(fh.readinto(mv[:5000]), 5000)
            mv.release()
        self.assertEqual(self.v[:5000], b"Z" * 5000)

    def test_read_only_view_gives_read_only_buffers(self):
        with self.f.map(0, 100, readonly=True) as ro:
            mv = memoryview(ro)
            self.assertTrue(mv.readonly)
            with self.assertRaises(TypeError):
                struct.pack_into("<I", ro, 0, 1)
            mv.release()


if __name__ == "__main__":
    unittest.main()
