package org.mmapkit.tests;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.FileLockInterruptionException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmapkit.FileRangeLock;
import org.mmapkit.MapMode;
import org.mmapkit.MappedFile;

/**
 * A blocked lock() ends on Thread.interrupt() or close(), like FileChannel.lock, and never
 * acquires on a closed handle (issue 11, number 14). Two handles of one file conflict (OFD
 * locks), so the holder and the waiter live in this process.
 */
class LockInterruptTest {
  @TempDir Path dir;

  /** Starts waiter.lock(0, 100) on a new thread; out gets its result and interrupt status. */
  private static Thread blockedLock(MappedFile waiter, Object[] out) {
    Thread t = new Thread(() -> {
      try {
        out[0] = waiter.lock(0, 100, false);
      } catch (Throwable e) {
        out[0] = e;
      }
      out[1] = Thread.currentThread().isInterrupted();
    });
    t.start();
    return t;
  }

  @Test
  void interrupt_ends_a_blocked_lock_and_closes_the_handle() throws Exception {
    Path p = dir.resolve("lock.bin");
    try (MappedFile holder = MappedFile.create(p, 4096);
        MappedFile waiter = MappedFile.open(p, MapMode.READ_WRITE)) {
      FileRangeLock held = holder.lock(0, 100, false);
      Object[] out = new Object[2];
      Thread t = blockedLock(waiter, out);
      Thread.sleep(200);
      assertTrue(t.isAlive(), "lock() did not wait");
      t.interrupt();
      t.join(5000);
      assertFalse(t.isAlive(), "interrupt did not end the blocked lock()");
      assertInstanceOf(FileLockInterruptionException.class, out[0], String.valueOf(out[0]));
      assertTrue((Boolean) out[1], "the interrupt status was cleared");
      assertTrue(waiter.isClosed(), "closed by interrupt, as an interruptible channel");
      held.close();
      checkFree(p);
    }
  }

  @Test
  void an_already_interrupted_thread_gets_no_lock() throws Exception {
    Path p = dir.resolve("pre.bin");
    try (MappedFile f = MappedFile.create(p, 4096)) {
      Thread.currentThread().interrupt();
      try {
        assertThrows(FileLockInterruptionException.class, () -> f.lock(0, 100, false));
        assertTrue(Thread.interrupted()); // still set (and cleared here)
      } finally {
        Thread.interrupted();
      }
      assertTrue(f.isClosed());
      checkFree(p);
    }
  }

  @Test
  void close_from_another_thread_ends_a_blocked_lock_without_acquiring() throws Exception {
    Path p = dir.resolve("close.bin");
    try (MappedFile holder = MappedFile.create(p, 4096)) {
      MappedFile waiter = MappedFile.open(p, MapMode.READ_WRITE);
      FileRangeLock held = holder.lock(0, 100, false);
      Object[] out = new Object[2];
      Thread t = blockedLock(waiter, out);
      Thread.sleep(200);
      waiter.close(); // returns at once; the waiter must give up, not acquire later
      held.close();
      t.join(5000);
      assertFalse(t.isAlive(), "close did not end the blocked lock()");
      assertInstanceOf(AsynchronousCloseException.class, out[0], String.valueOf(out[0]));
      checkFree(p);
    }
  }

  /** Nobody (in particular no closed handle) holds the range: a fresh handle gets it. */
  private static void checkFree(Path p) throws Exception {
    try (MappedFile g = MappedFile.open(p, MapMode.READ_WRITE)) {
      FileRangeLock l = g.tryLock(0, 100, false);
      assertNotNull(l, "a closed handle holds the lock");
      l.close();
    }
  }
}
