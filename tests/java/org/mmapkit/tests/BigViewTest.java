package org.mmapkit.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmapkit.MapMode;
import org.mmapkit.MappedFile;
import org.mmapkit.MappedView;

/** Views over 2 and 4 GiB, on a sparse file (no disk space used). */
class BigViewTest {
  static final long SIZE = 6L << 30;
  @TempDir Path dir;

  private Path sparse() throws IOException {
    Path p = dir.resolve("sparse.bin");
    try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
      raf.setLength(SIZE); // sparse: READ_WRITE open without a size keeps it sparse
    }
    return p;
  }

  @Test
  void long_indexes_reach_past_4_GiB() throws IOException {
    Path p = sparse();
    try (MappedFile f = MappedFile.open(p, MapMode.READ_WRITE);
        MappedView v = f.map()) {
      assertEquals(SIZE, v.size());
      long far = 5_000_000_000L;
      v.putLong(far, 0x1122334455667788L);
      assertEquals(0x1122334455667788L, v.getLong(far));
      v.putDouble(SIZE - 8, 3.5);
      assertEquals(3.5, v.getDouble(SIZE - 8));
      assertThrows(IndexOutOfBoundsException.class, () -> v.getLong(SIZE - 7));
      assertThrows(IndexOutOfBoundsException.class, () -> v.get(SIZE));
      assertEquals(0, v.getLong((3L << 30) + 8)); // untouched sparse page
    }
    try (MappedFile f = MappedFile.open(p, MapMode.READ_ONLY);
        MappedView v = f.map(4_000_000_000L)) { // a view starting above 2^31
      assertEquals(0x1122334455667788L, v.getLong(1_000_000_000L));
    }
  }

  @Test
  void values_straddling_internal_window_boundaries_are_whole() throws IOException {
    try (MappedFile f = MappedFile.open(sparse(), MapMode.READ_WRITE);
        MappedView v = f.map(3, SIZE - 3)) { // odd start: boundaries fall mid-page
      for (long boundary = 1L << 30; boundary < v.size(); boundary += 1L << 30) {
        for (int back = 1; back < 8; back++) {
          long at = boundary - back;
          long value = 0x0102030405060708L * back + boundary;
          v.putLong(at, value);
          assertEquals(value, v.getLong(at), "at " + at);
          byte[] bytes = new byte[8];
          v.get(at, bytes, 0, 8);
          assertEquals(value, ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()).getLong());
          v.putInt(at + 4, 0);
        }
      }
    }
  }

  @Test
  void asByteBuffer_of_a_big_view_is_unsupported_but_windows_work_anywhere() throws IOException {
    try (MappedFile f = MappedFile.open(sparse(), MapMode.READ_WRITE);
        MappedView v = f.map()) {
      assertThrows(UnsupportedOperationException.class, v::asByteBuffer);
      ByteBuffer w = v.asByteBuffer(5L << 30, 4096); // above 4 GiB
      w.putLong(16, 777);
      assertEquals(777, v.getLong((5L << 30) + 16));
      ByteBuffer edge = v.asByteBuffer(SIZE - 10, 10);
      assertEquals(10, edge.remaining());
      assertThrows(IndexOutOfBoundsException.class, () -> v.asByteBuffer(SIZE - 10, 11));
      ByteBuffer big = v.asByteBuffer(1L << 31, Integer.MAX_VALUE); // the largest window
      assertEquals(Integer.MAX_VALUE, big.capacity());
      byte[] data = {1, 2, 3, 4, 5};
      v.put((1L << 31) + 100, data);
      byte[] back = new byte[5];
      big.get(100, back);
      assertArrayEquals(data, back);
    }
  }
}
