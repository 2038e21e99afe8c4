package org.mmapkit.tests;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.mmapkit.FaultException;
import org.mmapkit.FileRangeLock;
import org.mmapkit.MapMode;
import org.mmapkit.MappedFile;
import org.mmapkit.MappedView;

/**
 * Entry point of the child JVMs the tests start (scenarios that may kill a process, or need a
 * second process). Prints "OK ..." lines the parent checks; exit code 0 on success.
 */
public final class Child {
  private Child() {}

  /** The loop whose inlining JitTest looks at. */
  static long scan(MappedView v) {
    long s = 0;
    for (long i = 0; i + 8 <= v.size(); i += 8) {
      s += v.getLong(i);
    }
    return s;
  }

  /** VmLck of this process, in KiB (PagingTest, and its child). */
  static long vmLockedKib() throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (l.startsWith("VmLck:")) {
        return Long.parseLong(l.replaceAll("[^0-9]", ""));
      }
    }
    throw new AssertionError("no VmLck in /proc/self/status");
  }

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "shm-read": // name, expected long at 0: read what the parent wrote, write back
        try (MappedFile f = MappedFile.openSharedMemory(args[1]);
            MappedView v = f.map()) {
          long got = v.getLong(0);
          System.out.println("OK read " + got);
          v.putLong(8, got + 1);
        }
        break;
      case "mlock-limit": // path, bytes: lock a view larger than RLIMIT_MEMLOCK, then a small one
        try (MappedFile f = MappedFile.create(Path.of(args[1]), Long.parseLong(args[2]));
            MappedView big = f.map();
            MappedView small = f.map(0, 4096)) {
          try {
            big.lockMemory();
            System.out.println("LOCKED big");
          } catch (IOException e) {
            System.out.println("OK refused " + e.getClass().getName() + ": " + e.getMessage());
          }
          System.out.println("OK " + vmLockedKib() + " KiB locked after the refusal");
          small.lockMemory(); // under the limit: the refusal was the limit's
          System.out.println("OK small locked, " + vmLockedKib() + " KiB");
          small.unlockMemory();
        }
        break;
      case "lock-try": // path: try an exclusive lock held by the parent
        try (MappedFile f = MappedFile.open(Path.of(args[1]), MapMode.READ_WRITE)) {
          FileRangeLock l = f.tryLock(0, 100, false);
          System.out.println(l == null ? "OK held" : "OK free");
          if (l != null) {
            l.close();
          }
          FileRangeLock s = f.tryLock(200, 100, true);
          System.out.println(s == null ? "OK other-held" : "OK other-free");
        }
        break;
      case "lock-wait": // path: block until the parent releases, report the wait
        try (MappedFile f = MappedFile.open(Path.of(args[1]), MapMode.READ_WRITE)) {
          System.out.println("READY");
          System.out.flush();
          long t0 = System.nanoTime();
          try (FileRangeLock l = f.lock(0, 100, false)) {
            System.out.println("OK got-after-ms " + (System.nanoTime() - t0) / 1_000_000);
          }
        }
        break;
      case "stale-buffer": // path: keep using buffers after close; must not crash
        staleBuffer(Path.of(args[1]));
        break;
      case "truncate": // path: truncate under a view, check bulk and direct accesses
        truncate(Path.of(args[1]));
        break;
      case "truncate-atomics": // path: the fault-safe atomics over a truncated file
        truncateAtomics(Path.of(args[1]));
        break;
      case "await": // name: wait on word 0 until the parent changes it
        try (MappedFile f = MappedFile.openSharedMemory(args[1]);
            MappedView v = f.map()) {
          v.putIntVolatile(4, 1); // tell the parent we are about to wait
          v.wake(4, Integer.MAX_VALUE);
          boolean changed = v.await(0, 0, Duration.ofSeconds(20));
          System.out.println("OK await " + changed + " " + v.getIntVolatile(0));
        }
        break;
      case "count": // name, n: add 1 to word 8 n times, atomically
        try (MappedFile f = MappedFile.openSharedMemory(args[1]);
            MappedView v = f.map()) {
          int n = Integer.parseInt(args[2]);
          for (int i = 0; i < n; i++) {
            v.getAndAddLong(8, 1);
          }
          System.out.println("OK counted " + n);
        }
        break;
      case "load-twice": // two calls that need the library; print what each one threw
        for (int i = 1; i <= 2; i++) {
          try (MappedFile f = MappedFile.anonymous(4096)) {
            System.out.println("LOADED " + i);
          } catch (Throwable t) {
            System.out.println("CALL " + i + " " + t.getClass().getName() + ": " + t.getMessage());
          }
        }
        break;
      case "load": // nothing: just load the library and map anonymous memory
        try (MappedFile f = MappedFile.anonymous(4096);
            MappedView v = f.map()) {
          v.putInt(0, 42);
          System.out.println("OK loaded " + v.getInt(0));
        }
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
          if (line.contains("libmmapkit_jni")) { // where the library was loaded from
            System.out.println("LIB " + line.substring(line.indexOf('/')));
            break;
          }
        }
        break;
      case "scan-after-churn": // views: map, first-read, close that many, then scan a view
        try (MappedFile f = MappedFile.anonymous(8 << 20)) {
          long x = 0;
          for (int i = 0, n = Integer.parseInt(args[1]); i < n; i++) {
            try (MappedView v = f.map(0, 4096)) {
              x += v.getLong(8);
            }
          }
          try (MappedView v = f.map()) {
            for (int r = 0; r < 60; r++) {
              x += scan(v);
            }
          }
          System.out.println("OK scanned " + x);
        }
        break;
      case "later-bus-handler": // path: installFaultGuard over a later SIGBUS handler
        laterBusHandler(Path.of(args[1]));
        break;
      default:
        throw new IllegalArgumentException(args[0]);
    }
  }

  private static void staleBuffer(Path p) throws IOException {
    List<ByteBuffer> keep = new ArrayList<>();
    try (MappedFile f = MappedFile.create(p, 1 << 20)) {
      for (int round = 0; round < 50; round++) {
        MappedView v = f.map(round, 1 << 16);
        v.putLong(0, 0x0123456789ABCDEFL);
        ByteBuffer bb = v.asByteBuffer();
        ByteBuffer slice = bb.slice(100, 1000);
        keep.add(slice);
        v.close();
        // Read, write and bulk-copy the stale buffers: inert memory, never the file.
        long sum = 0;
        for (ByteBuffer b : keep) {
          b.put(0, (byte) 7);
          sum += b.get(0) + b.getLong(8);
        }
        if (bb.getLong(0) != 0) {
          throw new AssertionError("stale buffer still sees the file");
        }
        bb.putLong(0, 42);
        if (sum < 0) {
          throw new AssertionError();
        }
        System.gc(); // let cleaners free some inert ranges while others are still used
      }
      try (MappedView v = f.map()) {
        byte[] b = new byte[8];
        v.get(0, b);
        if (b[0] == 7 || b[0] == 42) {
          throw new AssertionError("a stale buffer wrote through to the file");
        }
      }
    }
    System.out.println("OK stale " + keep.size());
  }

  private static void truncateAtomics(Path p) throws Exception {
    int size = 1 << 20;
    try (MappedFile f = MappedFile.create(p, size);
        MappedView v = f.map()) {
      v.putLong(size - 8, 5);
      try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
        raf.setLength(4096);
      }
      long at = size - 8;
      String[] names = {"getAndAddLongSafe", "compareAndSetLongSafe", "getLongVolatileSafe",
          "putLongVolatileSafe", "getAndAddIntSafe", "compareAndSetIntSafe", "getIntVolatileSafe",
          "putIntVolatileSafe"};
      Runnable[] calls = {
        () -> v.getAndAddLongSafe(at, 1), () -> v.compareAndSetLongSafe(at, 5, 6),
        () -> v.getLongVolatileSafe(at), () -> v.putLongVolatileSafe(at, 1),
        () -> v.getAndAddIntSafe(at, 1), () -> v.compareAndSetIntSafe(at, 5, 6),
        () -> v.getIntVolatileSafe(at), () -> v.putIntVolatileSafe(at, 1)
      };
      for (int i = 0; i < calls.length; i++) {
        try {
          calls[i].run();
          System.out.println("FAIL " + names[i] + " returned");
        } catch (FaultException e) {
          System.out.println("OK fault " + names[i] + " " + e.statusName() + " " + e.status() + ": "
              + e.getMessage());
        }
      }
      // In the part still backed by the file they work.
      v.putLongVolatileSafe(0, 41);
      System.out.println("OK safe " + (v.getAndAddLongSafe(0, 1) + 1) + " "
          + v.compareAndSetLongSafe(0, 42, 43) + " " + v.getLongVolatile(0));
    }
  }

  /**
   * sun.misc.Signal.handle(BUS) after mapping installs a handler that just returns; a small
   * access that faults would spin in it. installFaultGuard puts mmapkit's back (the parent
   * turns the watchdog thread off, so nothing else does). Reflection: the suite compiles with
   * -Werror, and sun.misc is an internal API.
   */
  private static void laterBusHandler(Path p) throws Exception {
    int size = 1 << 20;
    try (MappedFile f = MappedFile.create(p, size);
        MappedView v = f.map()) {
      try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
        raf.setLength(4096);
      }
      Class<?> sig = Class.forName("sun.misc.Signal");
      Class<?> h = Class.forName("sun.misc.SignalHandler");
      Object handler = java.lang.reflect.Proxy.newProxyInstance(
          h.getClassLoader(), new Class<?>[] {h}, (proxy, m, a) -> null);
      sig.getMethod("handle", sig, h)
          .invoke(null, sig.getConstructor(String.class).newInstance("BUS"), handler);
      MappedFile.installFaultGuard();
      try {
        v.get(8192, new byte[8]);
        System.out.println("FAIL get returned");
      } catch (FaultException e) {
        System.out.println("OK fault get: " + e.getMessage());
      }
      try {
        v.getLongVolatileSafe(8192);
        System.out.println("FAIL getLongVolatileSafe returned");
      } catch (FaultException e) {
        System.out.println("OK fault getLongVolatileSafe");
      }
    }
  }

  private static void truncate(Path p) throws Exception {
    int size = 1 << 20;
    try (MappedFile f = MappedFile.create(p, size);
        MappedView v = f.map()) {
      v.putLong(size - 8, 99);
      ByteBuffer bb = v.asByteBuffer();
      try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
        raf.setLength(4096); // someone else shrinks the file under the view
      }
      byte[] dst = new byte[4096];
      try {
        v.get(size - 8192, dst, 0, dst.length);
        System.out.println("FAIL no fault");
      } catch (FaultException e) {
        System.out.println("OK fault " + e.getMessage());
        if (e instanceof java.io.UncheckedIOException && e.getCause() instanceof IOException) {
          System.out.println("OK fault-is-unchecked-io");
        }
      }
      try {
        v.put(size - 8192, dst, 0, dst.length);
        System.out.println("FAIL no fault on put");
      } catch (FaultException e) {
        System.out.println("OK fault-put");
      }
      // The part still backed by the file keeps working.
      v.get(0, dst, 0, 4096);
      try {
        byte b = bb.get(size - 100);
        System.out.println("FAIL direct read returned " + b);
      } catch (InternalError e) {
        System.out.println("OK internal-error " + e.getMessage());
      }
      try {
        long x = v.getLong(size - 8);
        System.out.println("FAIL typed read returned " + x);
      } catch (InternalError e) {
        System.out.println("OK typed-internal-error");
      }
      // Still alive and the JVM still handles its own signals (GC, safepoints).
      System.gc();
      TimeUnit.MILLISECONDS.sleep(10);
      System.out.println("OK alive " + Files.size(p));
    }
  }
}
