// Java side of the cross-language atomics tests and benchmarks.
//
//   java -cp mmapkit-<v>.jar:CLASSES AtomicsWorker ROLE NAME ARGS...
//
// Layouts and roles: ../LAYOUT.md. Compiled by the driver with javac against
// the packaged jar alone. Prints one JSON object on its last stdout line; on a
// failed check prints FAIL: ... to stderr and exits 1.

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import org.mmapkit.MappedFile;
import org.mmapkit.MappedView;

public final class AtomicsWorker {
  static final long GOLDEN = 0x9E3779B97F4A7C15L;
  static final long DEADLINE_NS = 30_000_000_000L;

  static void fail(String msg) {
    System.err.println("FAIL: java: " + msg);
    System.err.flush();
    System.exit(1);
  }

  static long itemValue(long i) {
    return i * GOLDEN + 12345; // wraps mod 2^64 like the other languages
  }

  static MappedView openView(String name) throws Exception {
    try (MappedFile f = MappedFile.openSharedMemory(name)) {
      return f.map(); // the view outlives the file handle
    }
  }

  /** Sleeps on the 32-bit word at off until it is no longer {@code notThis}. */
  static int waitWhile(MappedView v, long off, int notThis, String what) throws Exception {
    long end = System.nanoTime() + DEADLINE_NS;
    for (; ; ) {
      int cur = v.getIntVolatile(off);
      if (cur != notThis) return cur;
      long left = end - System.nanoTime();
      if (left <= 0) fail("timed out waiting for " + what + " (word at " + off + " is " + cur + ")");
      v.await(off, cur, Duration.ofNanos(Math.min(left, 1_000_000_000L)));
    }
  }

  // ---- counter ----------------------------------------------------------

  /** All workers start together: the last to arrive opens the gate. */
  static void startGate(MappedView v, int procs) throws Exception {
    if (v.getAndAddInt(0, 1) + 1 == procs) {
      v.putIntVolatile(4, 1);
      v.wake(4, 0);
    } else {
      waitWhile(v, 4, 0, "the start gate");
    }
  }

  static String counter(MappedView v, int id, int procs, int ops) throws Exception {
    startGate(v, procs);
    long prev = -1, first = -1;
    long t0 = System.nanoTime();
    for (int k = 0; k < ops; k++) {
      long old = v.getAndAddLong(8, 1);
      v.getAndAddInt(16, 1);
      if (old <= prev) fail("fetch-add went backwards: " + old + " after " + prev);
      if (first < 0) first = old;
      prev = old;
    }
    double s = (System.nanoTime() - t0) / 1e9;
    return "{\"lang\": \"java\", \"id\": " + id + ", \"ops\": " + ops + ", \"first_old\": " + first
        + ", \"last_old\": " + prev + ", \"seconds\": " + s + "}";
  }

  // ---- spin lock --------------------------------------------------------

  static final long LOCK = 64, PLAIN = 72, REC = 128;
  static final int WORDS = 16;

  static String spinlock(MappedView v, int id, int procs, int iters) throws Exception {
    startGate(v, procs);
    long token = id + 1;
    long torn = 0, spins = 0, foreign = 0;
    for (int k = 0; k < iters; k++) {
      int n = 0;
      while (!v.compareAndSetLong(LOCK, 0, token)) {
        if (++n % 16 == 0) Thread.yield();
      }
      spins += n;
      if (k % 2 == 0) {
        long val = ((long) id << 40) | k;
        for (int w = 0; w < WORDS; w++) v.putLong(REC + 8L * w, val);
      } else {
        long w0 = v.getLong(REC);
        boolean ok = true;
        for (int w = 1; w < WORDS; w++) {
          if (v.getLong(REC + 8L * w) != w0) {
            torn++;
            ok = false;
            break;
          }
        }
        if (ok && w0 != 0 && (w0 >>> 40) != id) foreign++; // written by another process
      }
      v.putLong(PLAIN, v.getLong(PLAIN) + 1);
      v.putLongVolatile(LOCK, 0);
    }
    if (torn != 0) fail(torn + " torn records seen inside the lock");
    return "{\"lang\": \"java\", \"id\": " + id + ", \"iters\": " + iters + ", \"torn\": 0, \"spins\": "
        + spins + ", \"foreign\": " + foreign + "}";
  }

  // ---- ring -------------------------------------------------------------

  static final long HEAD = 0, TAIL = 8, HSEQ = 16, TSEQ = 20, CWAIT = 24, PWAIT = 28, READY = 32,
      SLOTS = 64;
  static final int CAP = 64;

  interface Cond {
    boolean holds();
  }

  /** One sleep of the ring protocol (see worker.py's sleep_on: no lost wake). */
  static int sleepOn(MappedView v, long seqOff, long waitingOff, Cond stillBlocked, String what,
      long end) throws Exception {
    int seq = v.getIntVolatile(seqOff);
    v.getAndAddInt(waitingOff, 1);
    try {
      if (stillBlocked.holds()) {
        long left = end - System.nanoTime();
        if (left <= 0) fail("timed out waiting for " + what);
        v.await(seqOff, seq, Duration.ofNanos(Math.min(left, 1_000_000_000L)));
        return 1;
      }
      return 0;
    } finally {
      v.getAndAddInt(waitingOff, -1);
    }
  }

  static void notify(MappedView v, long seqOff, long waitingOff) {
    v.getAndAddInt(seqOff, 1);
    if (v.getAndAddInt(waitingOff, 0) != 0) v.wake(seqOff, 1);
  }

  static String ringWriter(MappedView v, long n1, long idleMs, long n2) throws Exception {
    waitWhile(v, READY, 0, "the reader to be ready");
    long[] st = {0, 0}; // sleeps, checksum
    long end = System.nanoTime() + DEADLINE_NS;
    send(v, 0, n1, st, end);
    while (v.getLongVolatile(TAIL) != n1) {
      st[0] += sleepOn(v, TSEQ, PWAIT, () -> v.getLongVolatile(TAIL) != n1, "the reader to drain",
          end);
    }
    System.out.println("IDLE");
    System.out.flush();
    Thread.sleep(idleMs);
    send(v, n1, n1 + n2, st, System.nanoTime() + DEADLINE_NS);
    return "{\"lang\": \"java\", \"role\": \"writer\", \"sent\": " + (n1 + n2) + ", \"checksum\": "
        + Long.toUnsignedString(st[1]) + ", \"sleeps\": " + st[0] + "}";
  }

  static void send(MappedView v, long lo, long hi, long[] st, long end) throws Exception {
    for (long i = lo; i < hi; i++) {
      final long j = i;
      while (j - v.getLongVolatile(TAIL) >= CAP) {
        st[0] += sleepOn(v, TSEQ, PWAIT, () -> j - v.getLongVolatile(TAIL) >= CAP, "ring space",
            end);
      }
      long val = itemValue(i);
      long slot = SLOTS + 16L * (i % CAP);
      v.putLong(slot, i);
      v.putLong(slot + 8, val);
      st[1] += val;
      v.putLongVolatile(HEAD, i + 1);
      notify(v, HSEQ, CWAIT);
    }
  }

  static String ringReader(MappedView v, long total) throws Exception {
    long sleeps = 0, checksum = 0, bad = 0;
    v.putIntVolatile(READY, 1);
    v.wake(READY, 0);
    long end = System.nanoTime() + DEADLINE_NS;
    long i = 0;
    while (i < total) {
      long head = v.getLongVolatile(HEAD);
      if (head == i) {
        final long j = i;
        sleeps += sleepOn(v, HSEQ, CWAIT, () -> v.getLongVolatile(HEAD) == j, "item " + i, end);
        continue;
      }
      for (; i < head; i++) {
        long slot = SLOTS + 16L * (i % CAP);
        long idx = v.getLong(slot), val = v.getLong(slot + 8);
        if (idx != i || val != itemValue(i)) {
          if (++bad < 5) System.err.println("bad item at " + i + ": index " + idx + ", value " + val);
        }
        checksum += val;
      }
      v.putLongVolatile(TAIL, i);
      notify(v, TSEQ, PWAIT);
    }
    if (bad != 0) fail(bad + " items out of order or corrupt");
    return "{\"lang\": \"java\", \"role\": \"reader\", \"received\": " + total + ", \"checksum\": "
        + Long.toUnsignedString(checksum) + ", \"sleeps\": " + sleeps + "}";
  }

  // ---- ping-pong ----------------------------------------------------------

  static final long PP = 256;

  static void awaitChange(MappedView v, int x) throws Exception {
    while (v.getIntVolatile(PP) == x) {
      if (!v.await(PP, x, Duration.ofNanos(DEADLINE_NS))) fail("ping-pong peer silent (word " + x + ")");
    }
  }

  static void pingRun(MappedView v, boolean a, int lo, int hi) throws Exception {
    if (a) {
      for (int i = lo; i < hi; i++) {
        v.putIntVolatile(PP, 2 * i + 1);
        v.wake(PP, 1);
        awaitChange(v, 2 * i + 1);
      }
    } else {
      for (int i = lo; i < hi; i++) {
        awaitChange(v, 2 * i);
        v.putIntVolatile(PP, 2 * i + 2);
        v.wake(PP, 1);
      }
    }
  }

  static String pingpong(MappedView v, String side, int warm, int rounds) throws Exception {
    boolean a = side.equals("a");
    pingRun(v, a, 0, warm);
    long t0 = System.nanoTime();
    pingRun(v, a, warm, warm + rounds);
    double us = (System.nanoTime() - t0) / 1e3 / rounds;
    if (a && v.getIntVolatile(PP) != 2 * (warm + rounds)) fail("ping-pong ended at " + v.getIntVolatile(PP));
    return "{\"lang\": \"java\", \"side\": \"" + side + "\", \"rounds\": " + rounds
        + ", \"us_per_round_trip\": " + us + "}";
  }

  // ---- documented errors and timeouts -------------------------------------

  interface Op {
    void run() throws Exception;
  }

  static int checks;

  static void expect(Class<? extends Throwable> type, Op op, String what) {
    try {
      op.run();
    } catch (Throwable t) {
      if (t.getClass() == type) {
        checks++;
        return;
      }
      fail(what + ": expected " + type.getSimpleName() + ", got " + t);
    }
    fail(what + ": expected " + type.getSimpleName() + ", nothing thrown");
  }

  static String checks(String name) throws Exception {
    final Class<IllegalArgumentException> IAE = IllegalArgumentException.class;
    final Class<IndexOutOfBoundsException> IOOBE = IndexOutOfBoundsException.class;
    try (MappedView v = openView(name)) {
      long size = v.size();
      for (long off : new long[] {513, 514, 518}) {
        expect(IAE, () -> v.getIntVolatile(off), "getIntVolatile " + off);
        expect(IAE, () -> v.putIntVolatile(off, 1), "putIntVolatile " + off);
        expect(IAE, () -> v.getAndAddInt(off, 1), "getAndAddInt " + off);
        expect(IAE, () -> v.compareAndSetInt(off, 0, 1), "compareAndSetInt " + off);
        expect(IAE, () -> v.await(off, 0, Duration.ZERO), "await " + off);
        expect(IAE, () -> v.wake(off, 1), "wake " + off);
      }
      for (long off : new long[] {516, 519}) {
        expect(IAE, () -> v.getLongVolatile(off), "getLongVolatile " + off);
        expect(IAE, () -> v.putLongVolatile(off, 1), "putLongVolatile " + off);
        expect(IAE, () -> v.getAndAddLong(off, 1), "getAndAddLong " + off);
        expect(IAE, () -> v.compareAndSetLong(off, 0, 1), "compareAndSetLong " + off);
      }
      for (long off : new long[] {size, size - 4, -8, 1L << 40, Long.MAX_VALUE - 7, Long.MIN_VALUE}) {
        expect(IOOBE, () -> v.getLongVolatile(off), "getLongVolatile " + off);
        expect(IOOBE, () -> v.getAndAddLong(off, 1), "getAndAddLong " + off);
        expect(IOOBE, () -> v.compareAndSetLong(off, 0, 1), "compareAndSetLong " + off);
      }
      for (long off : new long[] {size, -4, Long.MAX_VALUE - 3}) {
        expect(IOOBE, () -> v.getIntVolatile(off), "getIntVolatile " + off);
        expect(IOOBE, () -> v.await(off, 0, Duration.ZERO), "await " + off);
        expect(IOOBE, () -> v.wake(off, 1), "wake " + off);
      }
      expect(IAE, () -> v.await(512, 0, Duration.ofMillis(-1)), "negative timeout");
      // Timeouts: false after at least the timeout, true at once on a change.
      v.putIntVolatile(512, 7);
      if (v.await(512, 7, Duration.ZERO)) fail("await(ZERO) on an equal word returned true");
      long t0 = System.nanoTime();
      boolean r = v.await(512, 7, Duration.ofMillis(200));
      long dt = System.nanoTime() - t0;
      if (r || dt < 190_000_000L) fail("await(200 ms) returned " + r + " after " + dt + " ns");
      if (!v.await(512, 8, Duration.ofSeconds(5))) fail("await on a different value returned false");
      // A wake with no change does not end a wait; a change from another thread does.
      boolean[] got = new boolean[2];
      Thread th = new Thread(() -> {
        try {
          got[0] = v.await(512, 7, Duration.ofMillis(300));
        } catch (InterruptedException e) {
          got[0] = true;
        }
      });
      t0 = System.nanoTime();
      th.start();
      for (int k = 0; k < 20; k++) {
        v.wake(512, 0);
        Thread.sleep(10);
      }
      th.join();
      if (got[0] || System.nanoTime() - t0 < 290_000_000L) fail("a wake without a change ended the wait");
      th = new Thread(() -> {
        try {
          got[1] = v.await(512, 7, Duration.ofSeconds(10));
        } catch (InterruptedException e) {
          got[1] = false;
        }
      });
      th.start();
      Thread.sleep(50);
      v.putIntVolatile(512, 9);
      v.wake(512, 0);
      th.join(10_000);
      if (!got[1]) fail("await did not see a change from another thread");
      checks += 5;
    }
    MappedView closed = openView(name);
    closed.close();
    expect(IllegalStateException.class, () -> closed.getLongVolatile(512), "load on a closed view");
    expect(IllegalStateException.class, () -> closed.await(512, 0, Duration.ZERO), "await on a closed view");
    return "{\"lang\": \"java\", \"checks\": " + checks + "}";
  }

  // ---- uncontended fetch-add vs a VarHandle on a MappedByteBuffer ----------

  static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

  static long mmkLoop(MappedView v, int ops) {
    long s = 0;
    for (int k = 0; k < ops; k++) s += v.getAndAddLong(1024, 1);
    return s;
  }

  static long baseLoop(ByteBuffer bb, int ops) {
    long s = 0;
    for (int k = 0; k < ops; k++) s += (long) LONGS.getAndAdd(bb, 2048, 1L);
    return s;
  }

  static long sink;

  static String benchAdd(String name, int ops, int repeat) throws Exception {
    double[] mk = new double[repeat], base = new double[repeat];
    try (MappedView v = openView(name);
        FileChannel ch = FileChannel.open(Path.of("/dev/shm", name), StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
      MappedByteBuffer bb = ch.map(FileChannel.MapMode.READ_WRITE, 0, 4096);
      bb.order(ByteOrder.nativeOrder());
      for (int w = 0; w < 5; w++) { // JIT warm-up of both loops
        sink += mmkLoop(v, ops / 5) + baseLoop(bb, ops / 5);
      }
      for (int r = 0; r < repeat; r++) {
        long t0 = System.nanoTime();
        sink += mmkLoop(v, ops);
        mk[r] = (System.nanoTime() - t0) / (double) ops;
        t0 = System.nanoTime();
        sink += baseLoop(bb, ops);
        base[r] = (System.nanoTime() - t0) / (double) ops;
      }
    }
    Arrays.sort(mk);
    Arrays.sort(base);
    return "{\"lang\": \"java\", \"ops\": " + ops + ", \"repeat\": " + repeat + ", \"mmapkit_ns\": "
        + mk[repeat / 2] + ", \"baseline_ns\": " + base[repeat / 2]
        + ", \"baseline\": \"VarHandle getAndAdd on a MappedByteBuffer\"}";
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: AtomicsWorker ROLE NAME ARGS... (see LAYOUT.md)");
      System.exit(2);
    }
    String role = args[0], name = args[1];
    String out;
    if (role.equals("checks")) {
      out = checks(name);
    } else if (role.equals("bench-add")) {
      out = benchAdd(name, Integer.parseInt(args[2]), Integer.parseInt(args[3]));
    } else {
      try (MappedView v = openView(name)) {
        switch (role) {
          case "counter":
            out = counter(v, Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                Integer.parseInt(args[4]));
            break;
          case "spinlock":
            out = spinlock(v, Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                Integer.parseInt(args[4]));
            break;
          case "ring-writer":
            out = ringWriter(v, Long.parseLong(args[2]), Long.parseLong(args[3]),
                Long.parseLong(args[4]));
            break;
          case "ring-reader":
            out = ringReader(v, Long.parseLong(args[2]));
            break;
          case "pingpong":
            out = pingpong(v, args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]));
            break;
          default:
            System.err.println("unknown role " + role);
            System.exit(2);
            return;
        }
      }
    }
    System.out.println(out);
    System.out.flush();
  }
}
