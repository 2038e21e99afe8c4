import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.mmapkit.FaultException;
import org.mmapkit.FileRangeLock;
import org.mmapkit.FlushMode;
import org.mmapkit.MapMode;
import org.mmapkit.MappedFile;
import org.mmapkit.MappedView;

/**
 * The Java participant of the cross-language demo (protocol and layout: examples/demo/demo.py).
 *
 * <p>java -cp mmapkit-0.1.0.jar:. Demo SHM FILE INDEX ROUNDS ADDS [THREADS]
 */
public final class Demo {
  static final int MAGIC = 0x444B4D4D;
  static final long OFF_JOINED = 4, OFF_DONE = 8, OFF_GO = 12, OFF_ATOMIC = 16, OFF_LOCKED = 24;
  static final long OFF_MAPPED = 32, OFF_TRUNCATED = 36, TRUNC_READ_AT = 8192;
  static final long ROW0 = 64, ROW_SIZE = 64;
  static final int PART = (1 << 20) + 100;
  static final String[] NAMES = {"Python", "Java", ".NET"};
  static final int N = 3;

  static long row(int i, int field) {
    return ROW0 + ROW_SIZE * i + 8L * field;
  }

  static byte[] pattern(int index, int n) {
    byte[] b = new byte[n];
    for (int k = 0; k < n; k++) {
      b[k] = (byte) ((index * 71 + k * 31 + (k >> 8)) & 255);
    }
    return b;
  }

  /** FNV-1a over 8-byte little-endian words, then the tail bytes (as demo.py). */
  static long fnv1a64(byte[] d) {
    long h = 0xcbf29ce484222325L;
    int words = d.length / 8;
    for (int w = 0; w < words; w++) {
      long v = 0;
      for (int k = 7; k >= 0; k--) {
        v = (v << 8) | (d[w * 8 + k] & 0xFFL);
      }
      h = (h ^ v) * 0x100000001b3L;
    }
    for (int k = words * 8; k < d.length; k++) {
      h = (h ^ (d[k] & 0xFFL)) * 0x100000001b3L;
    }
    return h;
  }

  /** Sleeps in await() until the u32 at off reaches target. */
  static void waitUntil(MappedView v, long off, int target, long timeoutMs) throws Exception {
    long end = System.nanoTime() + timeoutMs * 1_000_000L;
    for (; ; ) {
      int cur = v.getIntVolatile(off);
      if (cur >= target) {
        return;
      }
      long left = end - System.nanoTime();
      if (left <= 0) {
        throw new IllegalStateException("word at " + off + " is " + cur + ", waited for " + target);
      }
      v.await(off, cur, Duration.ofNanos(Math.min(left, 1_000_000_000L)));
    }
  }

  public static void main(String[] args) throws Exception {
    String shm = args[0];
    Path path = Path.of(args[1]);
    int index = Integer.parseInt(args[2]);
    int rounds = Integer.parseInt(args[3]);
    int adds = Integer.parseInt(args[4]);
    int threads = args.length > 5 ? Integer.parseInt(args[5]) : 1;
    Map<String, Double> t = new LinkedHashMap<>();

    long t0 = System.nanoTime();
    try (MappedFile region = MappedFile.openSharedMemory(shm);
        MappedView table = region.map();
        MappedFile f = MappedFile.open(path, MapMode.READ_WRITE)) {
      t.put("attach_ms", (System.nanoTime() - t0) / 1e6);
      if (table.getIntVolatile(0) != MAGIC) {
        throw new IllegalStateException("region has no demo magic");
      }
      table.putLongVolatile(row(index, 3), ProcessHandle.current().pid());
      table.getAndAddInt(OFF_JOINED, 1);
      table.wake(OFF_JOINED, 0);
      waitUntil(table, OFF_GO, 1, 60_000);

      // 3. my part under an exclusive lock on its byte range, then a sync flush
      t0 = System.nanoTime();
      byte[] data = pattern(index, PART);
      try (FileRangeLock l = f.lock((long) index * PART, PART, false);
          MappedView part = f.map((long) index * PART, PART)) {
        part.put(0, data, 0, data.length);
        part.force(0, PART, FlushMode.SYNC);
      }
      table.putLongVolatile(row(index, 1), fnv1a64(data));
      table.putLongVolatile(row(index, 2), PART);
      t.put("write_flush_ms", (System.nanoTime() - t0) / 1e6);

      // 4 and 5, in `threads` threads, each with its own handle: byte-range locks belong to a
      // handle (OFD locks), so threads sharing one handle would not exclude each other.
      long[][] stats = new long[threads][2];
      Thread[] workers = new Thread[threads];
      Throwable[] failure = new Throwable[1];
      for (int k = 0; k < threads; k++) {
        final int me = k;
        workers[k] = new Thread(() -> {
          try (MappedFile h = MappedFile.openSharedMemory(shm); MappedView tv = h.map()) {
            long a = System.nanoTime();
            for (int i = 0; i < rounds; i++) {
              try (FileRangeLock l = h.lock(OFF_LOCKED, 8, false);
                  MappedView w = h.map(OFF_LOCKED, 8)) { // a fresh view each round
                w.putLong(0, w.getLong(0) + 1);
                tv.putLong(row(index, 0), tv.getLong(row(index, 0)) + 1);
              }
            }
            long b = System.nanoTime();
            for (int i = 0; i < adds; i++) {
              tv.getAndAddLong(OFF_ATOMIC, 1); // a VarHandle over the view: no native call
            }
            stats[me][0] = b - a;
            stats[me][1] = System.nanoTime() - b;
          } catch (Throwable e) {
            synchronized (failure) {
              failure[0] = e;
            }
          }
        });
        workers[k].start();
      }
      for (Thread w : workers) {
        w.join();
      }
      if (failure[0] != null) {
        throw new IllegalStateException("worker thread failed", failure[0]);
      }
      long maxLock = 0, maxAdd = 0;
      for (long[] st : stats) {
        maxLock = Math.max(maxLock, st[0]);
        maxAdd = Math.max(maxAdd, st[1]);
      }
      t.put("lock_rounds_us_each", maxLock / 1e3 / Math.max(rounds, 1));
      t.put("atomic_add_ns_each", (double) maxAdd / Math.max(adds, 1));

      // 6. done; sleep until everyone is
      table.getAndAddInt(OFF_DONE, 1);
      table.wake(OFF_DONE, 0);
      t0 = System.nanoTime();
      waitUntil(table, OFF_DONE, N, 120_000);
      t.put("barrier_wait_ms", (System.nanoTime() - t0) / 1e6);

      // 7. verify the others' parts
      t0 = System.nanoTime();
      Map<String, String> saw = new LinkedHashMap<>();
      long mask = 0;
      try (MappedView whole = f.map()) {
        for (int j = 0; j < N; j++) {
          if (j == index) {
            continue;
          }
          byte[] got = new byte[PART];
          try (FileRangeLock l = f.lock((long) j * PART, PART, true)) {
            whole.get((long) j * PART, got, 0, PART);
          }
          boolean okBytes = java.util.Arrays.equals(got, pattern(j, PART));
          boolean okSum = fnv1a64(got) == table.getLongVolatile(row(j, 1));
          saw.put(
              NAMES[j],
              okBytes && okSum
                  ? "ok"
                  : "MISMATCH (bytes " + (okBytes ? "ok" : "bad") + ", checksum "
                      + (okSum ? "ok" : "bad") + ")");
          if (okBytes && okSum) {
            mask |= 1L << j;
          }
        }
      }
      table.putLongVolatile(row(index, 4), mask);
      t.put("verify_ms", (System.nanoTime() - t0) / 1e6);

      // 8. a file truncated under a live view: an exception, not a crash
      String truncation;
      try (MappedFile tf = MappedFile.open(Path.of(args[1] + ".trunc"), MapMode.READ_ONLY);
          MappedView tv = tf.map()) {
        tv.get(0, new byte[8], 0, 8);
        table.getAndAddInt(OFF_MAPPED, 1);
        table.wake(OFF_MAPPED, 0);
        waitUntil(table, OFF_TRUNCATED, 1, 120_000);
        try {
          tv.get(TRUNC_READ_AT, new byte[8], 0, 8);
          truncation = "no error: read 8 bytes";
        } catch (FaultException e) {
          truncation = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
      }

      StringBuilder sb = new StringBuilder();
      sb.append("{\"lang\": \"Java\", \"pid\": ").append(ProcessHandle.current().pid());
      sb.append(", \"wrote\": ").append(PART).append(", \"saw\": {");
      String sep = "";
      for (Map.Entry<String, String> e : saw.entrySet()) {
        sb.append(sep).append('"').append(e.getKey()).append("\": \"").append(e.getValue()).append('"');
        sep = ", ";
      }
      sb.append("}, \"truncation\": \"").append(truncation.replace("\\", "\\\\").replace("\"", "\\\""));
      sb.append("\", \"locked_counter_seen\": ").append(table.getLongVolatile(OFF_LOCKED));
      sb.append(", \"atomic_counter_seen\": ").append(table.getLongVolatile(OFF_ATOMIC));
      sb.append(", \"timings\": {");
      sep = "";
      for (Map.Entry<String, Double> e : t.entrySet()) {
        sb.append(sep).append('"').append(e.getKey()).append("\": ").append(String.format(java.util.Locale.ROOT, "%.3f", e.getValue()));
        sep = ", ";
      }
      sb.append("}}");
      System.out.println(sb);
    }
  }
}
