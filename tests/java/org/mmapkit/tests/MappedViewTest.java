package org.mmapkit.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmapkit.Advice;
import org.mmapkit.FlushMode;
import org.mmapkit.MapMode;
import org.mmapkit.MapOption;
import org.mmapkit.MappedFile;
import org.mmapkit.MappedView;

class MappedViewTest {
  @TempDir Path dir;

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void typed_accessors_use_native_order_at_unaligned_offsets() throws IOException {
    Path p = dir.resolve("t.bin");
    try (MappedFile f = MappedFile.create(p, 10_000);
        MappedView v = f.map(4099, 1000)) { // not page-aligned on purpose
      v.put(0, (byte) -3);
      v.putShort(1, (short) -12345);
      v.putChar(3, 'é');
      v.putInt(5, 0x12345678);
      v.putLong(9, 0x0102030405060708L);
      v.putFloat(17, 1.5f);
      v.putDouble(21, -2.25);
      assertEquals(-3, v.get(0));
      assertEquals(-12345, v.getShort(1));
      assertEquals('é', v.getChar(3));
      assertEquals(0x12345678, v.getInt(5));
      assertEquals(0x0102030405060708L, v.getLong(9));
      assertEquals(1.5f, v.getFloat(17));
      assertEquals(-2.25, v.getDouble(21));
    }
    byte[] file = Files.readAllBytes(p);
    ByteBuffer expect = ByteBuffer.wrap(file, 4099 + 5, 4).order(ByteOrder.nativeOrder());
    assertEquals(0x12345678, expect.getInt());
    assertEquals(
        0x0102030405060708L,
        ByteBuffer.wrap(file).order(ByteOrder.nativeOrder()).getLong(4099 + 9));
  }

  /** {@code e}'s message contains every one of {@code parts}. */
  private static void says(Throwable e, String... parts) {
    String m = e.getMessage();
    for (String part : parts) {
      assertTrue(m != null && m.contains(part), "\"" + part + "\" not in: " + m);
    }
  }

  private interface Access {
    void run() throws Exception;
  }

  @Test
  void out_of_range_messages_name_index_width_size_and_file() throws IOException {
    Path p = dir.resolve("msg.bin");
    String file = p.toString();
    try (MappedFile f = MappedFile.create(p, 100);
        MappedView v = f.map()) {
      // Every typed accessor, one byte past its last valid index: index, width, size, file.
      Object[][] cases = {
        {1, (Access) () -> v.get(100)}, {1, (Access) () -> v.put(100, (byte) 1)},
        {2, (Access) () -> v.getShort(99)}, {2, (Access) () -> v.putShort(99, (short) 1)},
        {2, (Access) () -> v.getChar(99)}, {2, (Access) () -> v.putChar(99, 'x')},
        {4, (Access) () -> v.getInt(97)}, {4, (Access) () -> v.putInt(97, 1)},
        {4, (Access) () -> v.getFloat(97)}, {4, (Access) () -> v.putFloat(97, 1)},
        {8, (Access) () -> v.getLong(93)}, {8, (Access) () -> v.putLong(93, 1)},
        {8, (Access) () -> v.getDouble(93)}, {8, (Access) () -> v.putDouble(93, 1)},
      };
      for (Object[] c : cases) {
        int width = (Integer) c[0];
        IndexOutOfBoundsException e =
            assertThrows(IndexOutOfBoundsException.class, ((Access) c[1])::run);
        says(e, "index " + (101 - width) + " ", "(" + width + " bytes)", "100 bytes", file);
      }
      says(assertThrows(IndexOutOfBoundsException.class, () -> v.getLong(-1)),
          "index -1 ", "(8 bytes)", "100 bytes", file);
      says(assertThrows(IndexOutOfBoundsException.class, () -> v.getIntVolatile(100)),
          "index 100 ", "(4 bytes)", "100 bytes", file);
      says(assertThrows(IndexOutOfBoundsException.class, () -> v.getAndAddLongSafe(96, 1)),
          "index 96 ", "(8 bytes)", "100 bytes", file);
      says(assertThrows(IllegalArgumentException.class, () -> v.getIntVolatile(2)),
          "index 2 ", "4-byte aligned", file);
      // Ranges: the range, the size, the file; a bad array range names the array too.
      says(assertThrows(IndexOutOfBoundsException.class, () -> v.get(90, new byte[11])),
          "[90, 90 + 11)", "100 bytes", file);
      says(assertThrows(IndexOutOfBoundsException.class, () -> v.asByteBuffer(50, 51)),
          "[50, 50 + 51)", "100 bytes", file);
      says(assertThrows(IndexOutOfBoundsException.class, () -> v.put(7, new byte[10], 5, 6)),
          "[5, 5 + 6)", "byte[10]", "index 7 ", "100 bytes", file);
    }
  }

  @Test
  void read_only_refusals_name_index_width_and_file() throws IOException {
    Path p = dir.resolve("ro-msg.bin");
    Files.write(p, new byte[64]);
    String file = p.toString();
    try (MappedFile f = MappedFile.open(p, MapMode.READ_ONLY);
        MappedView v = f.map()) {
      Object[][] cases = {
        {1, (Access) () -> v.put(8, (byte) 1)},
        {2, (Access) () -> v.putShort(8, (short) 1)},
        {2, (Access) () -> v.putChar(8, 'x')},
        {4, (Access) () -> v.putInt(8, 1)},
        {4, (Access) () -> v.putFloat(8, 1)},
        {8, (Access) () -> v.putLong(8, 1)},
        {8, (Access) () -> v.putDouble(8, 1)},
        {4, (Access) () -> v.putIntVolatile(8, 1)},
        {4, (Access) () -> v.getAndAddInt(8, 1)},
        {8, (Access) () -> v.compareAndSetLong(8, 0, 1)},
        {4, (Access) () -> v.putIntVolatileSafe(8, 1)},
        {8, (Access) () -> v.getAndAddLongSafe(8, 1)},
        {8, (Access) () -> v.compareAndSetLongSafe(8, 0, 1)},
        {5, (Access) () -> v.put(8, new byte[5])},
        {5, (Access) () -> v.put(8, ByteBuffer.allocateDirect(5))},
      };
      for (Object[] c : cases) {
        int width = (Integer) c[0];
        ReadOnlyBufferException e =
            assertThrows(ReadOnlyBufferException.class, ((Access) c[1])::run);
        says(e, "write of " + width + " bytes at index 8 ", "read-only", file);
      }
      assertEquals(0, v.getLongVolatileSafe(8)); // reads are fine, nothing was written
      // A read into a read-only buffer: the JDK's exception type, with the view in the message.
      says(assertThrows(ReadOnlyBufferException.class,
          () -> v.get(16, ByteBuffer.allocateDirect(4).asReadOnlyBuffer())),
          "destination", "4 bytes at index 16 ", file);
    }
  }

  @Test
  void fault_exception_carries_the_core_status() {
    org.mmapkit.FaultException e = new org.mmapkit.FaultException("read: bad page");
    assertEquals(-5, e.status()); // MMK_EIO, as mmapkit.h numbers it
    assertEquals("MMK_EIO", e.statusName());
    assertEquals("read: bad page", e.getMessage());
    assertTrue(e.getCause() instanceof IOException);
  }

  @Test
  void out_of_range_accesses_are_IndexOutOfBounds() throws IOException {
    try (MappedFile f = MappedFile.create(dir.resolve("o.bin"), 100);
        MappedView v = f.map()) {
      assertThrows(IndexOutOfBoundsException.class, () -> v.get(-1));
      assertThrows(IndexOutOfBoundsException.class, () -> v.get(100));
      assertThrows(IndexOutOfBoundsException.class, () -> v.getLong(93));
      assertThrows(IndexOutOfBoundsException.class, () -> v.getLong(Long.MIN_VALUE));
      assertThrows(IndexOutOfBoundsException.class, () -> v.getLong(1L << 62));
      assertThrows(IndexOutOfBoundsException.class, () -> v.putInt(97, 1));
      assertThrows(IndexOutOfBoundsException.class, () -> v.get(90, new byte[11], 0, 11));
      assertThrows(IndexOutOfBoundsException.class, () -> v.get(0, new byte[10], 5, 6));
      assertThrows(IndexOutOfBoundsException.class, () -> v.put(Long.MAX_VALUE, new byte[1]));
      assertThrows(IndexOutOfBoundsException.class, () -> v.asByteBuffer(50, 51));
      assertThrows(IndexOutOfBoundsException.class, () -> v.asByteBuffer(-1, 1));
      assertThrows(IndexOutOfBoundsException.class, () -> v.force(10, 91));
      assertEquals(0, v.getLong(92)); // the last whole long is fine
    }
    // A view narrower than the value: no index fits (the fast path's bound is negative).
    try (MappedFile f = MappedFile.create(dir.resolve("narrow.bin"), 100);
        MappedView v = f.map(10, 3)) {
      v.putShort(1, (short) 0x1234);
      assertEquals((short) 0x1234, v.getShort(1));
      assertThrows(IndexOutOfBoundsException.class, () -> v.getShort(2));
      assertThrows(IndexOutOfBoundsException.class, () -> v.getInt(0));
      assertThrows(IndexOutOfBoundsException.class, () -> v.putInt(0, 1));
      assertThrows(IndexOutOfBoundsException.class, () -> v.getLong(0));
      assertThrows(IndexOutOfBoundsException.class, () -> v.putDouble(0, 1));
    }
  }

  @Test
  void bulk_get_and_put_round_trip() throws IOException {
    byte[] data = random(100_000, 1);
    Path p = dir.resolve("b.bin");
    try (MappedFile f = MappedFile.create(p, 200_000);
        MappedView v = f.map(333, 150_000)) {
      v.put(1000, data, 0, data.length);
      byte[] back = new byte[data.length + 20];
      v.get(1000, back, 10, data.length);
      for (int i = 0; i < data.length; i++) {
        assertEquals(data[i], back[i + 10]);
      }
      ByteBuffer direct = ByteBuffer.allocateDirect(500);
      v.get(1000, direct);
      assertEquals(500, direct.position());
      assertEquals(data[499], direct.get(499));
      ByteBuffer heap = ByteBuffer.wrap(new byte[] {1, 2, 3});
      v.put(0, heap);
      assertEquals(3, heap.position());
      assertEquals(3, v.get(2));
      v.put(10, ByteBuffer.wrap(new byte[] {9, 8}).asReadOnlyBuffer());
      assertEquals(8, v.get(11));
      v.force();
    }
    byte[] file = Files.readAllBytes(p);
    for (int i = 0; i < data.length; i++) {
      assertEquals(data[i], file[333 + 1000 + i]);
    }
  }

  @Test
  void bulk_copies_larger_than_a_pinned_chunk_are_whole() throws IOException {
    int n = (3 << 20) + 17; // the JNI layer pins at most 1 MiB at a time
    byte[] data = random(n, 5);
    try (MappedFile f = MappedFile.anonymous(4 << 20);
        MappedView v = f.map()) {
      v.put(5, data, 0, n);
      byte[] back = new byte[n + 3];
      v.get(5, back, 3, n);
      for (int i = 0; i < n; i += 4093) {
        assertEquals(data[i], back[i + 3], "at " + i);
      }
      assertEquals(data[n - 1], back[n + 2]);
      assertEquals(data[(1 << 20) - 1], v.get(5 + (1 << 20) - 1));
      assertEquals(data[1 << 20], v.get(5 + (1 << 20)));
      // A range error is reported before anything is copied.
      byte[] zeros = new byte[n];
      assertThrows(IndexOutOfBoundsException.class, () -> v.put((4 << 20) - n + 1, zeros, 0, n));
      assertEquals(data[0], v.get(5));
    }
  }

  @Test
  void read_only_views_refuse_writes_with_ReadOnlyBufferException() throws IOException {
    Path p = dir.resolve("ro.bin");
    Files.write(p, random(4096, 2));
    try (MappedFile f = MappedFile.open(p, MapMode.READ_ONLY);
        MappedView v = f.map()) {
      assertTrue(v.isReadOnly());
      assertThrows(ReadOnlyBufferException.class, () -> v.put(0, (byte) 1));
      assertThrows(ReadOnlyBufferException.class, () -> v.putLong(0, 1));
      assertThrows(ReadOnlyBufferException.class, () -> v.put(0, new byte[4], 0, 4));
      ByteBuffer bb = v.asByteBuffer();
      assertTrue(bb.isReadOnly());
      assertEquals(ByteOrder.nativeOrder(), bb.order());
      assertThrows(ReadOnlyBufferException.class, () -> bb.put(0, (byte) 1));
    }
    try (MappedFile f = MappedFile.open(p, MapMode.READ_WRITE);
        MappedView v = f.map(0, 0, MapOption.READ_ONLY)) {
      assertTrue(v.isReadOnly());
      assertThrows(ReadOnlyBufferException.class, () -> v.putInt(0, 1));
    }
  }

  @Test
  void private_mode_writes_never_reach_the_file() throws IOException {
    Path p = dir.resolve("cow.bin");
    byte[] orig = random(8192, 3);
    Files.write(p, orig);
    try (MappedFile f = MappedFile.open(p, MapMode.PRIVATE);
        MappedView v = f.map()) {
      assertFalse(v.isReadOnly());
      v.putLong(0, 0);
      v.put(100, new byte[50], 0, 50);
      assertEquals(0, v.getLong(0));
      v.force();
    }
    assertArrayEquals(orig, Files.readAllBytes(p));
  }

  @Test
  void writes_reach_the_file_and_other_views() throws IOException {
    Path p = dir.resolve("w.bin");
    try (MappedFile f = MappedFile.create(p, 1 << 16);
        MappedView a = f.map(0, 1 << 16);
        MappedView b = f.map(1000, 100)) {
      a.putInt(1004, 0xABCD);
      assertEquals(0xABCD, b.getInt(4));
      a.force(1000, 8, FlushMode.ASYNC);
      a.force(1000, 8, FlushMode.FULL);
      a.force(1000, 0);
    }
    assertEquals(
        0xABCD, ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.nativeOrder()).getInt(1004));
  }

  @Test
  void advise_load_and_residency() throws IOException {
    try (MappedFile f = MappedFile.create(dir.resolve("a.bin"), 1 << 20);
        MappedView v = f.map(1, (1 << 20) - 1)) {
      for (Advice a : new Advice[] {Advice.SEQUENTIAL, Advice.RANDOM, Advice.NORMAL}) {
        v.advise(a, 0, v.size());
      }
      v.advise(Advice.WILLNEED);
      v.load();
      assertTrue(v.isLoaded());
      assertEquals(v.size(), v.resident());
      assertThrows(IndexOutOfBoundsException.class, () -> v.advise(Advice.NORMAL, 0, 1 << 21));
    }
  }

  @Test
  void reserve_lets_a_view_grow_in_place_keeping_buffers_valid() throws IOException {
    Path p = dir.resolve("res.bin");
    try (MappedFile f = MappedFile.create(p, 4096);
        MappedView v = f.map(0, 4096, MapOption.RESERVE(1 << 24), MapOption.POPULATE)) {
      v.putLong(0, 11);
      ByteBuffer bb = v.asByteBuffer();
      v.resize(1 << 20);
      assertEquals(1 << 20, v.size());
      assertEquals(1 << 20, f.size());
      v.putLong((1 << 20) - 8, 22);
      assertEquals(11, bb.getLong(0)); // same address: the old buffer still sees the file
      bb.putLong(8, 33);
      assertEquals(33, v.getLong(8));
      assertEquals(22, v.getLong((1 << 20) - 8));
      // Past the reservation the view would move: refused while buffers exist.
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> v.resize((1 << 24) + 4096));
      assertTrue(e.getMessage().contains("RESERVE"), e.getMessage());
      assertEquals(1 << 20, v.size());
    }
  }

  @Test
  void out_of_range_and_read_only_errors_say_index_size_and_file() throws IOException {
    Path p = dir.resolve("msg.bin");
    try (MappedFile f = MappedFile.create(p, 4096);
        MappedView v = f.map()) {
      for (Runnable access : new Runnable[] {
        () -> v.getLong(4090), () -> v.putInt(-1, 0), () -> v.get(4096), () -> v.getLong(1L << 40)
      }) {
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, access::run);
        assertTrue(e.getMessage().contains("4096 bytes"), e.getMessage());
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
      }
      assertTrue(assertThrows(IndexOutOfBoundsException.class, () -> v.getLong(4090))
          .getMessage().contains("index 4090"));
    }
    try (MappedFile f = MappedFile.open(p, MapMode.READ_ONLY);
        MappedView v = f.map()) {
      v.getLong(0); // the windows exist: the inline path must refuse too
      for (Runnable write : new Runnable[] {
        () -> v.putLong(8, 1), () -> v.put(100, (byte) 1), () -> v.put(0, new byte[1])
      }) {
        ReadOnlyBufferException e = assertThrows(ReadOnlyBufferException.class, write::run);
        assertTrue(e.getMessage().contains("read-only"), e.getMessage());
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
      }
      assertTrue(assertThrows(ReadOnlyBufferException.class, () -> v.put(100, (byte) 1))
          .getMessage().contains("index 100"));
    }
  }

  @Test
  void resize_that_moves_or_shrinks_after_typed_access_needs_no_gc() throws IOException {
    Path p = dir.resolve("move.bin");
    try (MappedFile f = MappedFile.create(p, 4096);
        MappedView v = f.map(0, 4096, MapOption.RESERVE(8192))) {
      v.putLong(0, 11); // the accessors' windows exist and hold leases from here on
      v.resize(1 << 20); // past the reservation: the view moves
      assertEquals(1 << 20, v.size());
      assertEquals(1 << 20, f.size());
      assertEquals(11, v.getLong(0));
      v.putLong((1 << 20) - 8, 22);
      v.resize(8192); // and shrinks
      assertEquals(11, v.getLong(0));
      assertThrows(IndexOutOfBoundsException.class, () -> v.getLong(8192));
      v.putLong(8184, 33);
      byte[] b = new byte[8];
      v.get(8184, b);
      assertEquals(33, ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).getLong());
    }
    try (MappedFile f = MappedFile.open(p, MapMode.READ_WRITE);
        MappedView v = f.map()) {
      assertEquals(22, v.getLong((1 << 20) - 8)); // the moved view wrote the file
    }
  }

  @Test
  void resize_of_a_private_view_after_typed_access_is_refused_not_remapped()
      throws Exception {
    Path p = dir.resolve("cow.bin");
    try (MappedFile w = MappedFile.create(p, 1 << 16)) {
      w.map().putLong(0, 1);
    }
    try (MappedFile f = MappedFile.open(p, MapMode.PRIVATE);
        MappedView v = f.map(0, 4096)) {
      // Typed accesses from a second thread lease the view (the thread that mapped it can be
      // inside none of them while it resizes; another can): then a move is refused.
      Thread t = new Thread(() -> v.putLong(0, 7)); // a private change: only this mapping has it
      t.start();
      t.join();
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> v.resize(8192));
      assertTrue(e.getMessage().contains("private pages"), e.getMessage());
      assertEquals(7, v.getLong(0));
      assertEquals(4096, v.size());
    }
  }

  @Test
  void resize_of_a_private_view_read_and_written_by_its_own_thread_keeps_its_pages()
      throws IOException {
    Path p = dir.resolve("cow-own.bin");
    try (MappedFile w = MappedFile.create(p, 1 << 16)) {
      w.map().putLong(0, 1);
    }
    try (MappedFile f = MappedFile.open(p, MapMode.PRIVATE);
        MappedView v = f.map(0, 4096)) {
      v.putLong(0, 7); // typed accesses of the mapping thread lease nothing: the core resizes
      if (!Jvm.rawAccess()) { // the ByteBuffer path: its windows are leased, as from any thread
        assertThrows(IllegalStateException.class, () -> v.resize(8192));
        assertEquals(7, v.getLong(0));
        return;
      }
      v.resize(8192);
      assertEquals(7, v.getLong(0));
      assertEquals(8192, v.size());
      v.putLong(8000, 9);
      assertEquals(9, v.getLong(8000));
    }
  }

  @Test
  void resize_without_reservation_works_before_any_buffer_exists() throws IOException {
    try (MappedFile f = MappedFile.create(dir.resolve("nr.bin"), 4096);
        MappedView v = f.map()) {
      v.put(0, new byte[] {5}, 0, 1); // bulk copies hold no buffer
      v.resize(8192);
      assertEquals(8192, v.size());
      v.putLong(8000, 9);
      assertEquals(9, v.getLong(8000));
    }
  }

  @Test
  void closed_view_throws_IllegalStateException_everywhere() throws IOException {
    try (MappedFile f = MappedFile.create(dir.resolve("c.bin"), 4096)) {
      MappedView v = f.map();
      v.putLong(0, 1);
      v.close();
      v.close(); // idempotent
      assertTrue(v.isClosed());
      assertThrows(IllegalStateException.class, () -> v.getLong(0));
      assertThrows(IllegalStateException.class, () -> v.put(0, (byte) 1));
      assertThrows(IllegalStateException.class, () -> v.get(0, new byte[1], 0, 1));
      assertThrows(IllegalStateException.class, v::asByteBuffer);
      assertThrows(IllegalStateException.class, v::force);
      assertThrows(IllegalStateException.class, () -> v.advise(Advice.NORMAL));
      assertThrows(IllegalStateException.class, () -> v.resize(100));
      assertThrows(IllegalStateException.class, v::isLoaded);
      assertThrows(IllegalStateException.class, () -> v.getIntVolatile(0));
    }
  }

  @Test
  void close_unmaps_at_once_even_with_buffers_alive() throws IOException {
    Path p = dir.resolve("gone.bin");
    String marker = p.toString();
    try (MappedFile f = MappedFile.create(p, 1 << 20)) {
      MappedView v = f.map();
      v.putLong(0, 0x55);
      ByteBuffer bb = v.asByteBuffer();
      ByteBuffer window = v.asByteBuffer(4096, 100);
      assertTrue(mapsMention(marker));
      f.close();
      v.close();
      assertFalse(mapsMention(marker), "the file is still mapped after close");
      // The stale buffers are inert: zeros, writable, never the file.
      assertEquals(0, bb.getLong(0));
      bb.putLong(0, 77);
      window.put(0, (byte) 1);
      assertEquals(77, bb.getLong(0));
    }
    assertEquals(0x55, ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.nativeOrder()).getLong(0));
  }

  @Test
  void deleted_file_space_is_released_by_close() throws IOException {
    Path p = dir.resolve("big-deleted.bin");
    MappedFile f = MappedFile.create(p, 64 << 20);
    MappedView v = f.map();
    v.putLong(0, 1);
    ByteBuffer keep = v.asByteBuffer();
    f.close();
    Files.delete(p);
    assertTrue(mapsMention(p + " (deleted)"));
    v.close();
    assertFalse(mapsMention(p.toString()), "deleted file still mapped: its space is held");
    assertEquals(0, keep.get(0));
  }

  @Test
  void closing_while_other_threads_access_never_crashes() throws Exception {
    Path p = dir.resolve("race.bin");
    try (MappedFile f = MappedFile.create(p, 1 << 20)) {
      for (int round = 0; round < 20; round++) {
        MappedView v = f.map();
        v.putLong(0, 1);
        java.util.concurrent.atomic.AtomicInteger ended = new java.util.concurrent.atomic.AtomicInteger();
        java.util.List<Throwable> unexpected = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        Thread[] ts = new Thread[3];
        for (int t = 0; t < ts.length; t++) {
          final int kind = t;
          ts[t] = new Thread(() -> {
            byte[] buf = new byte[4096];
            long sum = 0;
            try {
              for (int i = 0; ; i++) {
                long at = (i * 4096L) % ((1 << 20) - 4096);
                if (kind == 0) {
                  sum += v.getLong(at);
                  v.putLong(at + 8, i);
                } else if (kind == 1) {
                  v.get(at, buf, 0, buf.length);
                } else {
                  sum += v.asByteBuffer(at, 64).getLong(0);
                }
              }
            } catch (IllegalStateException closed) {
              ended.incrementAndGet(); // the expected way out
            } catch (Throwable e) {
              unexpected.add(e);
            }
            if (sum == 42) {
              System.out.print("");
            }
          });
          ts[t].start();
        }
        Thread.sleep(5);
        v.close();
        for (Thread t : ts) {
          t.join(10_000);
        }
        assertTrue(unexpected.isEmpty(), () -> "unexpected: " + unexpected);
        assertEquals(ts.length, ended.get());
      }
    }
  }

  static boolean mapsMention(String s) throws IOException {
    return Files.readAllLines(Path.of("/proc/self/maps")).stream().anyMatch(l -> l.contains(s));
  }

  @Test
  void buffers_and_windows_see_the_same_memory() throws IOException {
    try (MappedFile f = MappedFile.anonymous(1 << 20);
        MappedView v = f.map()) {
      ByteBuffer w = v.asByteBuffer(1000, 64);
      assertEquals(ByteOrder.nativeOrder(), w.order());
      assertEquals(64, w.capacity());
      w.putLong(8, 1234);
      assertEquals(1234, v.getLong(1008));
      v.putInt(1016, 99);
      assertEquals(99, w.getInt(16));
      assertTrue(w.isDirect());
    }
  }

  @Test
  void garbage_collected_views_are_unmapped() throws Exception {
    Path p = dir.resolve("gc.bin");
    try (MappedFile f = MappedFile.create(p, 4096)) {
      for (int i = 0; i < 20; i++) {
        f.map().putLong(0, i); // never closed: the cleaner must unmap it
      }
    }
    for (int i = 0; i < 50 && mapsMention(p.toString()); i++) {
      System.gc();
      Thread.sleep(20);
    }
    assertFalse(mapsMention(p.toString()), "unreachable views were not unmapped");
  }

  @Test
  void buffer_keeps_an_unreachable_view_mapped_until_it_is_collected() throws Exception {
    Path p = dir.resolve("keep.bin");
    ByteBuffer bb;
    try (MappedFile f = MappedFile.create(p, 4096)) {
      MappedView v = f.map();
      v.putLong(0, 4242);
      bb = v.asByteBuffer();
    }
    for (int i = 0; i < 10; i++) {
      System.gc();
      Thread.sleep(10);
    }
    assertEquals(4242, bb.getLong(0)); // the view was dropped, not the user's buffer
    bb.putLong(8, 1);
    assertTrue(mapsMention(p.toString()));
  }
}
