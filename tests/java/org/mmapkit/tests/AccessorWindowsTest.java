package org.mmapkit.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmapkit.MapMode;
import org.mmapkit.MappedFile;
import org.mmapkit.MappedView;

/**
 * The typed accessors' internal windows (not the Windows OS): every view size class (one
 * buffer, two buffers up to 4 GiB, 1 GiB chunks beyond) at every edge between windows.
 */
class AccessorWindowsTest {
  @TempDir Path dir;

  private Path sparse(long size) throws IOException {
    Path p = dir.resolve("sparse-" + size + ".bin");
    try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
      raf.setLength(size);
    }
    return p;
  }

  /** Indexes around every place where one internal buffer could end and another begin. */
  private static List<Long> edges(long size) {
    long max = Integer.MAX_VALUE;
    long[] marks = {0, max, size - max, 1L << 30, 1L << 31, 3L << 30, 1L << 32, size};
    List<Long> at = new ArrayList<>();
    for (long m : marks) {
      for (long d = -9; d <= 9; d++) {
        long i = m + d;
        if (i >= 0 && i <= size - 8 && !at.contains(i)) {
          at.add(i);
        }
      }
    }
    return at;
  }

  private static void roundTrip(MappedView v) {
    long size = v.size();
    List<Long> at = edges(size);
    byte[] eight = new byte[8];
    ByteBuffer le = ByteBuffer.wrap(eight).order(ByteOrder.nativeOrder());
    for (long i : at) {
      long value = 0x0102030405060708L ^ (i * 0x9E3779B97F4A7C15L);
      v.putLong(i, value);
      assertEquals(value, v.getLong(i), "getLong at " + i);
      v.get(i, eight, 0, 8); // the core's copy: independent of the Java windows
      assertEquals(value, le.getLong(0), "bytes at " + i);
      assertEquals((int) value, v.getInt(i), "getInt at " + i);
      assertEquals((byte) value, v.get(i), "get at " + i);
      le.putLong(0, ~value);
      v.put(i, eight, 0, 8);
      assertEquals(~value, v.getLong(i), "getLong after bulk put at " + i);
      assertEquals(Double.longBitsToDouble(~value), v.getDouble(i), "getDouble at " + i);
    }
    v.getLong(size / 2 & ~7L); // the middle: a chunk or the seam of first and tail
    assertThrows(IndexOutOfBoundsException.class, () -> v.getLong(size - 7));
    assertThrows(IndexOutOfBoundsException.class, () -> v.putLong(size - 7, 1));
    assertThrows(IndexOutOfBoundsException.class, () -> v.getShort(size - 1));
    assertThrows(IndexOutOfBoundsException.class, () -> v.get(size));
    assertThrows(IndexOutOfBoundsException.class, () -> v.getLong(-1));
    assertThrows(IndexOutOfBoundsException.class, () -> v.get(Long.MIN_VALUE));
    assertThrows(IndexOutOfBoundsException.class, () -> v.getLong(Long.MAX_VALUE - 3));
    assertThrows(IndexOutOfBoundsException.class, () -> v.get(size + (1L << 32)));
  }

  @Test
  void every_view_size_class_reads_and_writes_whole_values_at_buffer_edges() throws IOException {
    long[] sizes = {
      Integer.MAX_VALUE, // one buffer, exactly full
      1L << 31, // two buffers overlapping all but one byte
      3L << 30, // two buffers: the 2.5 GiB benchmark's case
      (1L << 32) - 9, // two buffers, just enough overlap for 8-byte values
      (1L << 32) - 8, // first size that needs 1 GiB chunks
      (1L << 32) + 5,
    };
    for (long size : sizes) {
      Path p = sparse(size);
      try (MappedFile f = MappedFile.open(p, MapMode.READ_WRITE);
          MappedView v = f.map()) {
        roundTrip(v);
      }
      // Odd view start: the buffers' edges fall mid-page and unaligned.
      try (MappedFile f = MappedFile.open(p, MapMode.READ_WRITE);
          MappedView v = f.map(3, size - 3)) {
        roundTrip(v);
      }
      try (MappedFile f = MappedFile.open(p, MapMode.READ_ONLY);
          MappedView v = f.map()) {
        assertThrows(java.nio.ReadOnlyBufferException.class, () -> v.putLong(size - 8, 1));
        assertThrows(java.nio.ReadOnlyBufferException.class, () -> v.put(0, (byte) 1));
      }
      Files.delete(p);
    }
  }

  /**
   * The path this JVM's accessors take. Up to JDK 23: sun.misc.Unsafe. JDK 24 and later: the
   * jar's versioned RawAccess (a MemorySegment) where native access is granted, the base one
   * (Unsafe) where the jar has no versioned classes and the JVM runs with
   * --sun-misc-unsafe-memory-access=allow; the ByteBuffer windows otherwise and everywhere
   * with -Dmmapkit.unsafe=false (ctest runs this class each way the JDKs found allow).
   */
  @Test
  void the_accessors_take_the_path_the_jdk_and_the_property_choose() throws Exception {
    String kind = Jvm.rawAccessKind();
    boolean on;
    if (Runtime.version().feature() < 24) {
      assertEquals("sun.misc.Unsafe", kind);
      on = true;
    } else if (kind.equals("MemorySegment")) {
      Module m = AccessorWindowsTest.class.getModule(); // unnamed, as the jar's on a classpath
      on = (Boolean) Module.class.getMethod("isNativeAccessEnabled").invoke(m); // JDK 22+ API
    } else {
      on = "allow".equals(System.getProperty("sun.misc.unsafe.memory.access"));
    }
    on &= !"false".equalsIgnoreCase(System.getProperty("mmapkit.unsafe"));
    assertEquals(on, Jvm.rawAccess(), kind);
  }
}
