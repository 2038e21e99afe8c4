package org.mmapkit.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmapkit.MapMode;
import org.mmapkit.MappedFile;
import org.mmapkit.MappedView;

/** Atomics and wait/wake over shared views (issue 7, Java part). */
class AtomicsTest {
  @TempDir Path dir;

  @Test
  void volatile_get_put_add_and_cas() throws Exception {
    try (MappedFile f = MappedFile.anonymous(1 << 16);
        MappedView v = f.map()) {
      v.putIntVolatile(4, 10);
      assertEquals(10, v.getIntVolatile(4));
      assertEquals(10, v.getAndAddInt(4, 5));
      assertEquals(15, v.getInt(4));
      assertTrue(v.compareAndSetInt(4, 15, -1));
      assertFalse(v.compareAndSetInt(4, 15, 0));
      assertEquals(-1, v.getIntVolatile(4));
      v.putLongVolatile(8, Long.MAX_VALUE);
      assertEquals(Long.MAX_VALUE, v.getAndAddLong(8, 1)); // wraps
      assertEquals(Long.MIN_VALUE, v.getLongVolatile(8));
      assertTrue(v.compareAndSetLong(8, Long.MIN_VALUE, 7));
      assertFalse(v.compareAndSetLong(8, Long.MIN_VALUE, 8));
      assertEquals(7, v.getLong(8));
    }
  }

  @Test
  void misaligned_or_out_of_range_offsets_are_rejected() throws Exception {
    try (MappedFile f = MappedFile.create(dir.resolve("a.bin"), 8192);
        MappedView v = f.map(4, 4096)) { // view starts at file offset 4
      v.putIntVolatile(0, 1); // file offset 4: int-aligned
      assertThrows(IllegalArgumentException.class, () -> v.getLongVolatile(0)); // not 8-aligned
      v.putLongVolatile(4, 2); // file offset 8: aligned
      assertThrows(IllegalArgumentException.class, () -> v.getIntVolatile(1));
      assertThrows(IllegalArgumentException.class, () -> v.compareAndSetInt(2, 0, 1));
      assertThrows(IndexOutOfBoundsException.class, () -> v.getIntVolatile(4096));
      assertThrows(IndexOutOfBoundsException.class, () -> v.getLongVolatile(-4));
      assertThrows(IndexOutOfBoundsException.class, () -> v.wake(4096, 1));
    }
  }

  @Test
  void read_only_views_refuse_atomic_writes() throws Exception {
    Path p = dir.resolve("ro.bin");
    Files.write(p, new byte[64]);
    try (MappedFile f = MappedFile.open(p, MapMode.READ_ONLY);
        MappedView v = f.map()) {
      assertEquals(0, v.getLongVolatile(8));
      assertThrows(ReadOnlyBufferException.class, () -> v.putLongVolatile(8, 1));
      assertThrows(ReadOnlyBufferException.class, () -> v.getAndAddInt(8, 1));
    }
  }

  /**
   * After close every plain atomic is IllegalStateException, on the thread that mapped the view
   * (its window needs no lease) and on another that used it before (a shared window), in range
   * or not; before it, the Safe forms see what the plain ones wrote and the other way round.
   */
  @Test
  void atomics_after_close_throw_on_every_thread() throws Exception {
    try (MappedFile f = MappedFile.anonymous(1 << 16)) {
      MappedView v = f.map();
      v.putLongVolatile(64, 41);
      assertEquals(41, v.getAndAddLongSafe(64, 1));
      assertEquals(42, v.getLongVolatile(64));
      Thread other = new Thread(() -> v.getAndAddInt(128, 1));
      other.start();
      other.join();
      assertEquals(1, v.getIntVolatileSafe(128));
      v.close();
      List<Runnable> calls = List.of(
          () -> v.getIntVolatile(0), () -> v.putIntVolatile(0, 1), () -> v.getAndAddInt(0, 1),
          () -> v.compareAndSetInt(0, 0, 1), () -> v.getLongVolatile(8),
          () -> v.putLongVolatile(8, 1), () -> v.getAndAddLong(8, 1),
          () -> v.compareAndSetLong(8, 0, 1), () -> v.getAndAddLong(1 << 20, 1));
      for (Runnable c : calls) {
        assertThrows(IllegalStateException.class, c::run);
        List<Throwable> seen = new ArrayList<>();
        Thread t = new Thread(() -> {
          try {
            c.run();
          } catch (Throwable e) {
            seen.add(e);
          }
        });
        t.start();
        t.join();
        assertEquals(1, seen.size());
        assertTrue(seen.get(0) instanceof IllegalStateException, seen.get(0).toString());
      }
    }
  }

  @Test
  void getAndAdd_is_atomic_across_threads_and_processes() throws Exception {
    String name = MappedFileTest.shmName("count");
    try (MappedFile f = MappedFile.createSharedMemory(name, 4096);
        MappedView v = f.map()) {
      int perWorker = 200_000;
      List<Process> children = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        children.add(Jvm.start("count", name, Integer.toString(perWorker)));
      }
      Thread[] threads = new Thread[2];
      for (int i = 0; i < threads.length; i++) {
        threads[i] =
            new Thread(
                () -> {
                  for (int k = 0; k < perWorker; k++) {
                    v.getAndAddLong(8, 1);
                  }
                });
        threads[i].start();
      }
      for (Thread t : threads) {
        t.join();
      }
      for (Process c : children) {
        String out = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(c.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, c.exitValue(), out);
      }
      assertEquals(4L * perWorker, v.getLongVolatile(8));
    } finally {
      MappedFile.unlinkSharedMemory(name);
    }
  }

  @Test
  void await_times_out_or_returns_when_the_word_differs() throws Exception {
    try (MappedFile f = MappedFile.anonymous(4096);
        MappedView v = f.map()) {
      long t0 = System.nanoTime();
      assertFalse(v.await(0, 0, Duration.ofMillis(120)));
      assertTrue(System.nanoTime() - t0 >= 100_000_000L);
      assertTrue(v.await(0, 5, Duration.ZERO)); // differs already
      assertFalse(v.await(0, 0, Duration.ZERO));
      Thread waker =
          new Thread(
              () -> {
                try {
                  Thread.sleep(100);
                } catch (InterruptedException e) {
                  return;
                }
                v.putIntVolatile(0, 1);
                v.wake(0, 1);
              });
      waker.start();
      assertTrue(v.await(0, 0, Duration.ofSeconds(30)));
      waker.join();
    }
  }

  @Test
  void await_is_interruptible_and_sees_close() throws Exception {
    try (MappedFile f = MappedFile.anonymous(4096)) {
      MappedView v = f.map();
      Thread me = Thread.currentThread();
      Thread t = new Thread(() -> {
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        }
        me.interrupt();
      });
      t.start();
      assertThrows(InterruptedException.class, () -> v.await(0, 0, null));
      t.join();
      Thread closer = new Thread(() -> {
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        }
        v.close();
      });
      closer.start();
      assertThrows(IllegalStateException.class, () -> v.await(0, 0, Duration.ofSeconds(30)));
      closer.join();
    }
  }

  @Test
  void wake_reaches_a_waiter_in_another_jvm() throws Exception {
    String name = MappedFileTest.shmName("wait");
    try (MappedFile f = MappedFile.createSharedMemory(name, 4096);
        MappedView v = f.map()) {
      Process child = Jvm.start("await", name);
      assertTrue(v.await(4, 0, Duration.ofSeconds(60)), "child never started waiting");
      Thread.sleep(100); // let it reach the futex
      v.putIntVolatile(0, 42);
      v.wake(0, Integer.MAX_VALUE);
      BufferedReader r =
          new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      String line = r.readLine();
      assertTrue(child.waitFor(60, TimeUnit.SECONDS));
      assertEquals("OK await true 42", line);
      assertEquals(0, child.exitValue());
    } finally {
      MappedFile.unlinkSharedMemory(name);
    }
  }
}
