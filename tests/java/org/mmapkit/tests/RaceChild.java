package org.mmapkit.tests;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import org.mmapkit.Advice;
import org.mmapkit.FileRangeLock;
import org.mmapkit.MapMode;
import org.mmapkit.MapOption;
import org.mmapkit.MappedFile;
import org.mmapkit.MappedView;

/**
 * One race pair in a child JVM (started by RaceTest under a watchdog): a lifetime operation on
 * the main thread, an access method on another, for a bounded number of rounds. Prints "OK ..."
 * or "FAIL ..."; a crash or hang is seen by the parent.
 *
 * <p>Layout of the file: [0, DATA) holds pattern() and every write writes the pattern again,
 * so any other byte there is a lost or foreign byte, except COUNTER, a 64-bit counter (checked
 * against the successful increments), and WORD, a 32-bit word that stays 0 (waits time out).
 * Accesses use the first 16 KiB of the view, or its last 16 KiB while shrinking, so that a
 * shrink cuts off the very pages they touch.
 */
public final class RaceChild {
  static final int BASE = 65536; // views are at least this long
  static final int DATA = 4 * BASE;
  static final int COUNTER = 32768;
  static final int WORD = 32776;
  static final int WORDS_END = 32784;
  static final long RUN_NANOS = 300_000_000L;
  /** For the long-copy pair: a copy of 4 MiB is made of several 1 MiB pieces. */
  static final int LONG_VIEW = 8 << 20;
  /** A move needs the kernel to pick another address, which only some resizes do: race longer. */
  static final long MOVE_RUN_NANOS = 900_000_000L;

  private RaceChild() {}

  static byte pattern(long i) {
    return (byte) (i * 31 + 7);
  }

  private static byte[] longBuf;
  private static volatile MappedView cur;
  private static volatile MappedFile curFile;
  private static volatile boolean stop;
  private static volatile String failure;
  private static long ok;
  private static long refused;
  private static long zeros;

  public static void main(String[] args) throws Exception {
    String op = args[0];
    String access = args[1];
    Path path = Path.of(args[2]);
    try (MappedFile f = MappedFile.create(path, DATA)) {
      try (MappedView v = f.map()) {
        byte[] init = new byte[DATA];
        for (int i = 0; i < DATA; i++) {
          init[i] = i >= COUNTER && i < WORDS_END ? 0 : pattern(i);
        }
        v.put(0, init);
      }
    }
    curFile = MappedFile.open(path, MapMode.READ_WRITE);
    cur = newView(op);
    Thread t = new Thread(() -> accessLoop(op, access), "access");
    t.start();
    long end = System.nanoTime() + (op.equals("resize-move") ? MOVE_RUN_NANOS : RUN_NANOS);
    long rounds = 0;
    while (System.nanoTime() - end < 0 && failure == null) {
      lifetime(op, access, path);
      rounds++;
    }
    stop = true;
    t.join(20_000);
    if (t.isAlive()) {
      fail("the access thread hangs: " + java.util.Arrays.toString(t.getStackTrace()));
    }
    cur.close();
    curFile.close();
    checkFile(path, op, access);
    if (failure != null) {
      System.out.println("FAIL " + op + " " + access + ": " + failure);
      System.exit(1);
    }
    System.out.println("OK race " + op + " " + access + " rounds=" + rounds + " ok=" + ok
        + " refused=" + refused + " zeros=" + zeros + " unsafe=" + Jvm.rawAccess());
  }

  private static MappedView newView(String op) throws Exception {
    MappedFile f = curFile;
    switch (op) {
      case "grow-in-place":
        return f.map(0, BASE, MapOption.RESERVE(16L << 20));
      case "shrink":
        return f.map(0, 4 * BASE);
      case "shrink-long": // grows the file past DATA with zeros
        return f.map(0, LONG_VIEW);
      default:
        return f.map(0, BASE);
    }
  }

  /** One round of the lifetime operation. */
  private static void lifetime(String op, String access, Path path) throws Exception {
    boolean own = access.endsWith("-own"); // the access thread maps its views itself
    while (own && cur.isClosed() && !stop && failure == null) {
      Thread.onSpinWait(); // until the access thread has mapped the next one
    }
    MappedView v = cur;
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    LockSupport.parkNanos(rnd.nextInt(200_000));
    try {
      switch (op) {
        case "close":
          if (access.equals("lock")) { // the lock belongs to the file: close that
            MappedFile f = curFile;
            curFile = MappedFile.open(path, MapMode.READ_WRITE);
            f.close();
          } else {
            v.close();
          }
          break;
        case "grow-in-place":
          if (v.size() + 16384 > (16L << 20)) {
            return;
          }
          v.resize(v.size() + 16384); // never refused: in place, leases are fine
          return;
        case "resize-move":
          v.resize(v.size() * 2); // no reservation: the view may move
          break;
        case "shrink":
          v.resize(BASE);
          break;
        case "shrink-long":
          v.resize(LONG_VIEW / 8);
          break;
        default:
          throw new IllegalArgumentException(op);
      }
    } catch (IllegalStateException busy) {
      if (op.equals("grow-in-place")) {
        fail("grow in place refused: " + busy);
      }
      // documented: reachable buffers (or a bulk copy over 1 MiB) prevent a move or shrink
    }
    if (!op.equals("close")) {
      v.close();
    }
    if (own) {
      v.close(); // the access thread maps the next view
    } else if (!op.equals("close") || !access.equals("lock")) {
      cur = newView(op);
    }
  }

  private static void accessLoop(String op, String taken) {
    // typed-*-windows: the same accesses, run by RaceTest with -Dmmapkit.unsafe=false;
    // typed-*-own: on views this thread maps (the accessors' window is then confined to it,
    // leased by the other thread's close or resize only)
    String access = taken.replace("-windows", "").replace("-own", "");
    boolean own = taken.endsWith("-own");
    if (own) {
      try {
        cur = newView(op);
      } catch (Exception e) {
        fail("map: " + e);
      }
    }
    boolean shrink = op.startsWith("shrink");
    // Bulk copies take all 16 KiB: the longer a copy, the likelier a move or shrink meets it.
    ByteBuffer direct = ByteBuffer.allocateDirect(16384);
    byte[] big = new byte[16384];
    byte[] in = new byte[4096];
    while (!stop && failure == null) {
      MappedView v = cur;
      if (own && v.isClosed()) {
        try {
          cur = v = newView(op);
        } catch (Exception e) {
          fail("map: " + e);
          break;
        }
      }
      long at = shrink ? Math.max(0, v.size() - 16384) & ~7L : 0;
      try {
        switch (access) {
          case "bulk-get":
            v.get(at, big, 0, big.length);
            checkBytes(big, at);
            break;
          case "bulk-get-long": { // several pieces: no shrink may land between two
            byte[] b = longBuf != null ? longBuf : (longBuf = new byte[LONG_VIEW / 2]);
            v.get(0, b, 0, b.length);
            checkBytes(java.util.Arrays.copyOf(b, COUNTER), 0);
            break;
          }
          case "bulk-put":
            v.put(at, pattern(at, 16384), 0, 16384);
            break;
          case "buffer-get":
            direct.clear();
            v.get(at, direct);
            direct.flip();
            direct.get(big);
            checkBytes(big, at);
            break;
          case "buffer-put": // the direct-buffer copy: an in-flight call of the core too
            direct.clear();
            direct.put(pattern(at, 16384));
            direct.flip();
            v.put(at, direct);
            break;
          case "typed-get": {
            long x = v.getLong(at + 8192);
            long want = ByteBuffer.wrap(pattern(at + 8192, 8)).order(ByteOrder.nativeOrder())
                .getLong();
            if (x == 0) {
              zeros++; // inert memory after a close: documented
            } else if (x != want) {
              fail("typed read " + Long.toHexString(x));
            }
            break;
          }
          case "typed-put":
            for (int i = 0; i < 64; i++) {
              v.put(at + 8192 + i, pattern(at + 8192 + i));
            }
            break;
          case "atomic-add":
            v.getAndAddLong(COUNTER, 1);
            break;
          case "atomic-add-safe":
            v.getAndAddLongSafe(COUNTER, 1);
            break;
          case "wait":
            v.await(WORD, 0, Duration.ofMillis(1));
            break;
          case "wake":
            v.wake(WORD, 1);
            break;
          case "flush":
            v.force(0, 4096);
            break;
          case "advise":
            v.advise(Advice.WILLNEED, 0, 4096);
            break;
          case "bytebuffer-read": {
            v.asByteBuffer(at + 12288, 4096).get(in);
            if (checkBytes(in, at + 12288, true)) {
              zeros++; // a close made (part of) the range inert: documented
            }
            break;
          }
          case "bytebuffer-write":
            v.asByteBuffer(at + 12288, 4096).put(0, pattern(at + 12288, 4096));
            break;
          case "lock": {
            FileRangeLock l = curFile.lock(0, 100, false);
            l.close();
            break;
          }
          default:
            throw new IllegalArgumentException(access);
        }
        ok++;
      } catch (IllegalStateException refusedOrClosed) {
        refused++;
      } catch (IndexOutOfBoundsException staleSize) {
        if (!shrink) {
          fail(access + " threw " + staleSize);
        }
        refused++; // an index computed before a concurrent shrink
      } catch (java.nio.channels.AsynchronousCloseException closedWhileLocking) {
        refused++;
      } catch (Throwable e) {
        fail(access + " threw " + e);
      }
    }
  }

  static byte[] pattern(long at, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = pattern(at + i);
    }
    return b;
  }

  private static void checkBytes(byte[] b, long at) {
    checkBytes(b, at, false);
  }

  /** Fails unless every byte is the pattern (or 0 if allowed); true if some byte was 0. */
  private static boolean checkBytes(byte[] b, long at, boolean allowZeros) {
    boolean zero = false;
    for (int i = 0; i < b.length; i++) {
      if (allowZeros && b[i] == 0 && pattern(at + i) != 0) {
        zero = true;
      } else if (b[i] != pattern(at + i)) {
        fail("byte " + (at + i) + " is " + b[i] + ", expected " + pattern(at + i));
        return zero;
      }
    }
    return zero;
  }

  private static void checkFile(Path path, String op, String access) throws Exception {
    try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "r")) {
      byte[] b = new byte[DATA];
      raf.readFully(b);
      java.util.Arrays.fill(b, COUNTER, WORDS_END, (byte) 0);
      byte[] want = pattern(0, DATA);
      java.util.Arrays.fill(want, COUNTER, WORDS_END, (byte) 0);
      if (!java.util.Arrays.equals(b, want)) {
        fail("the file's bytes changed at " + java.util.Arrays.mismatch(b, want));
      }
      raf.seek(COUNTER);
      long counter = Long.reverseBytes(raf.readLong()); // native order is little-endian here
      raf.seek(WORD);
      if (raf.readInt() != 0) {
        fail("the wait word changed");
      }
      // The core's atomics never succeed on a closed view; plain ones may land in inert
      // memory after a close (documented), so only an upper bound holds for them.
      String base = access.replace("-windows", "").replace("-own", "");
      if (base.equals("atomic-add-safe") && counter != ok) {
        fail("counter " + counter + " after " + ok + " successful increments");
      }
      if (base.equals("atomic-add")
          && (counter > ok || op.equals("grow-in-place") && counter != ok)) {
        fail("counter " + counter + " after " + ok + " increments");
      }
    }
    // A lock taken by a closed handle would still be held: a fresh handle must get it.
    try (MappedFile g = MappedFile.open(path, MapMode.READ_WRITE)) {
      FileRangeLock l = g.tryLock(0, 100, false);
      if (l == null) {
        fail("a closed handle still holds a lock");
      } else {
        l.close();
      }
    }
  }

  private static synchronized void fail(String why) {
    if (failure == null) {
      failure = why;
    }
  }
}
