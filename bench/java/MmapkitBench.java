package org.mmapkit.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.LongSupplier;
import org.mmapkit.MapMode;
import org.mmapkit.MappedFile;
import org.mmapkit.MappedView;

/**
 * mmapkit against MappedByteBuffer, in one JVM and one run, on the same page-cached file.
 *
 * <pre>
 * java -cp dist/mmapkit-0.1.0.jar:build/java/mmapkit-bench.jar org.mmapkit.bench.MmapkitBench \
 *     [--size-mib 256] [--rounds 7] [--churn 20000] [--dir /tmp] [--json out.json]
 * </pre>
 *
 * Each throughput case runs its mmapkit and MappedByteBuffer variants alternately, round after
 * round, after a warm-up, and reports the median. Prints a markdown table; --json also writes the
 * numbers as JSON.
 */
public final class MmapkitBench {
  static volatile long sink;
  /** Churn warm-up: enough calls for C2 to compile map, first access and close. */
  static final int WARM_CYCLES = 20_000;

  private MmapkitBench() {}

  public static void main(String[] args) throws Exception {
    int sizeMib = 256;
    int rounds = 7;
    int churn = 20_000;
    Path dir = Path.of(System.getProperty("java.io.tmpdir"));
    Path json = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--size-mib": sizeMib = Integer.parseInt(args[++i]); break;
        case "--rounds": rounds = Integer.parseInt(args[++i]); break;
        case "--churn": churn = Integer.parseInt(args[++i]); break;
        case "--dir": dir = Path.of(args[++i]); break;
        case "--json": json = Path.of(args[++i]); break;
        default:
          System.err.println("usage: MmapkitBench [--size-mib N] [--rounds N] [--churn N]"
              + " [--dir DIR] [--json FILE]");
          System.exit(2);
      }
    }
    Path file = Files.createTempFile(dir, "mmapkit-bench-", ".bin");
    try {
      run(file, (long) sizeMib << 20, rounds, churn, json);
    } finally {
      Files.deleteIfExists(file);
    }
  }

  static final class Row {
    final String name;
    final String unit;
    final double mmapkit;
    final double mbb;
    final boolean higherIsBetter;
    final String note;

    Row(String name, String unit, double mmapkit, double mbb, boolean higherIsBetter, String note) {
      this.name = name;
      this.unit = unit;
      this.mmapkit = mmapkit;
      this.mbb = mbb;
      this.higherIsBetter = higherIsBetter;
      this.note = note;
    }

    /** mmapkit speed relative to MappedByteBuffer: above 1 means mmapkit is faster. */
    double ratio() {
      return higherIsBetter ? mmapkit / mbb : mbb / mmapkit;
    }
  }

  static void run(Path file, long size, int rounds, int churn, Path json) throws Exception {
    byte[] chunk = new byte[1 << 20];
    new Random(1).nextBytes(chunk);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      for (long off = 0; off < size; off += chunk.length) {
        ch.write(ByteBuffer.wrap(chunk), off);
      }
    }
    List<Row> rows = new ArrayList<>();
    int n = (int) size;
    try (MappedFile mf = MappedFile.open(file, MapMode.READ_ONLY);
        MappedView view = mf.map();
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      MappedByteBuffer mbb = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
      mbb.order(ByteOrder.nativeOrder());
      ByteBuffer vbb = view.asByteBuffer();
      mbb.load();
      view.load();

      double gib = size / (double) (1L << 30);
      double[] r =
          pair(rounds, () -> scanView(view, n), () -> scanBuffer(mbb, n));
      rows.add(new Row("getLong scan, view.getLong(long)", "GiB/s", gib / r[0], gib / r[1], true,
          "sequential, every 8 bytes" + spread(r)));
      r = pair(rounds, () -> scanBuffer(vbb, n), () -> scanBuffer(mbb, n));
      rows.add(new Row("getLong scan, asByteBuffer().getLong(int)", "GiB/s", gib / r[0],
          gib / r[1], true, "same loop over both buffers" + spread(r)));

      int[] idx = new int[1 << 22];
      Random rnd = new Random(7);
      for (int i = 0; i < idx.length; i++) {
        idx[i] = rnd.nextInt(n / 8) * 8;
      }
      r = pair(rounds, () -> randomView(view, idx), () -> randomBuffer(mbb, idx));
      rows.add(new Row("random getLong", "ns/op", r[0] * 1e9 / idx.length,
          r[1] * 1e9 / idx.length, false, idx.length + " aligned random reads" + spread(r)));

      byte[] dst = new byte[64 << 10];
      r = pair(rounds, () -> bulkView(view, n, dst), () -> bulkBuffer(mbb, n, dst));
      rows.add(new Row("bulk get into byte[64 KiB]", "GiB/s", gib / r[0], gib / r[1], true,
          "mmapkit: fault-safe copy" + spread(r)));

      byte[] big = new byte[4 << 20];
      r = pair(rounds, () -> bulkView(view, n, big), () -> bulkBuffer(mbb, n, big));
      rows.add(new Row("bulk get into byte[4 MiB]", "GiB/s", gib / r[0], gib / r[1], true,
          "mmapkit: fault-safe copy" + spread(r)));
    }
    System.gc();

    // Past 2 GiB: a long index into a big view against a MappedByteBuffer mapped at that spot
    // (the only way MappedByteBuffer reaches it). Sparse files: both read the same zero pages.
    rows.add(farScan(file.getParent(), 3L << 30, 5L << 29, n, rounds,
        "getLong scan at 2.5 GiB of a 3 GiB view"));
    rows.add(farScan(file.getParent(), 6L << 30, (3L << 30) - n / 2, n, rounds,
        "getLong scan in the middle of a 6 GiB view"));
    System.gc();

    // Atomics on a file-backed view: the VarHandle form (JIT intrinsic, a truncated file can kill
    // the JVM) and the fault-safe form (one JNI call into the core's guarded atomics, under a
    // lease), each against a VarHandle over a MappedByteBuffer of the same file.
    Path small = Files.createTempFile(file.getParent(), "mmapkit-bench-atomics-", ".bin");
    try (MappedFile mf = MappedFile.create(small, 4096);
        MappedView view = mf.map();
        FileChannel ch = FileChannel.open(small, StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
      MappedByteBuffer mbb = ch.map(FileChannel.MapMode.READ_WRITE, 0, 4096);
      int ops = 1 << 22;
      double[] r = pair(rounds, () -> addView(view, ops), () -> addBuffer(mbb, ops));
      rows.add(new Row("getAndAddLong (VarHandle)", "ns/op", r[0] * 1e9 / ops, r[1] * 1e9 / ops,
          false, "uncontended, one thread; MBB: byteBufferViewVarHandle" + spread(r)));
      r = pair(rounds, () -> addViewSafe(view, ops), () -> addBuffer(mbb, ops));
      rows.add(new Row("getAndAddLongSafe (core, fault-safe)", "ns/op", r[0] * 1e9 / ops,
          r[1] * 1e9 / ops, false, "one JNI call per op into the guarded core" + spread(r)));
    } finally {
      Files.deleteIfExists(small);
    }

    // Churn: map + close cycles; MappedByteBuffer cannot be unmapped (dropped instead, so its
    // loop alone leaves the munmap to a GC: the "incl. its GC unmapping" rows count that too).
    Churn c = new Churn(churn, rounds);
    c.run(file);
    rows.add(c.row("map+close churn (" + churn + " cycles)", 0, 2, false,
        "/proc/self/maps lines: mmapkit " + c.maps[0] + ", FileChannel.map " + c.maps[2]));
    rows.add(c.row("map+close churn, MBB incl. its GC unmapping", 0, 2, true,
        "MBB: loop + System.gc() until its mappings are gone (what close() does at once)"));
    rows.add(c.row("map+getLong+close churn (" + churn + " cycles)", 1, 3, false,
        "/proc/self/maps lines: mmapkit " + c.maps[1] + ", FileChannel.map " + c.maps[3]
            + " (no inert memory when one thread maps, reads and closes)"));
    rows.add(c.row("map+getLong+close churn, MBB incl. its GC unmapping", 1, 3, true,
        "MBB: loop + System.gc() until its mappings are gone"));

    rows.add(firstAccess(file, churn));

    // The near scan again, after all the map/first-read/close cycles above (over 10,000),
    // with loops compiled only now: what a long-running process that maps many views sees.
    try (MappedFile mf = MappedFile.open(file, MapMode.READ_ONLY);
        MappedView view = mf.map();
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      MappedByteBuffer mbb = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
      mbb.order(ByteOrder.nativeOrder());
      mbb.load();
      view.load();
      double gib = size / (double) (1L << 30);
      double[] r = pair(rounds, () -> scanViewLater(view, n), () -> scanBufferLater(mbb, n));
      long cycles = 2L * WARM_CYCLES + 2L * rounds * churn + 2L * churn; // churn, first access
      rows.add(new Row("getLong scan after " + cycles + " map/close cycles",
          "GiB/s", gib / r[0], gib / r[1], true,
          "loops first compiled after the churn rows" + spread(r)));
    }

    print(rows, size, rounds);
    if (json != null) {
      writeJson(json, rows, size, rounds, churn, c);
    }
  }

  /**
   * Runs a and b alternately; returns the median seconds of each, then the lowest and highest
   * speed ratio a/b of a single round (a and b back to back, so the machine's load drifts less
   * between them than across rounds): on a shared machine the spread says what a median is worth.
   */
  static double[] pair(int rounds, LongSupplier a, LongSupplier b) {
    for (int i = 0; i < 3; i++) { // warm-up: let the JIT compile both
      sink += a.getAsLong() + b.getAsLong();
    }
    double[] ta = new double[rounds];
    double[] tb = new double[rounds];
    double lo = Double.MAX_VALUE;
    double hi = 0;
    for (int i = 0; i < rounds; i++) {
      // Alternate which goes first, so neither always runs right after the other.
      boolean aFirst = (i & 1) == 0;
      long t0 = System.nanoTime();
      sink += aFirst ? a.getAsLong() : b.getAsLong();
      long t1 = System.nanoTime();
      sink += aFirst ? b.getAsLong() : a.getAsLong();
      long t2 = System.nanoTime();
      ta[i] = (aFirst ? t1 - t0 : t2 - t1) / 1e9;
      tb[i] = (aFirst ? t2 - t1 : t1 - t0) / 1e9;
      lo = Math.min(lo, tb[i] / ta[i]);
      hi = Math.max(hi, tb[i] / ta[i]);
    }
    Arrays.sort(ta);
    Arrays.sort(tb);
    return new double[] {ta[rounds / 2], tb[rounds / 2], lo, hi};
  }

  /** The note's suffix for a row measured by pair(). */
  static String spread(double[] r) {
    return String.format(Locale.ROOT, "; one round: %.2f-%.2fx", r[2], r[3]);
  }

  static long scanView(MappedView v, int n) {
    long s = 0;
    for (long i = 0; i + 8 <= n; i += 8) {
      s += v.getLong(i);
    }
    return s;
  }

  static long scanViewFrom(MappedView v, long from, int n) {
    long s = 0;
    for (long i = from; i + 8 <= from + n; i += 8) {
      s += v.getLong(i);
    }
    return s;
  }

  /** scanView's twin, first compiled after the churn (a fresh profile of its own). */
  static long scanViewLater(MappedView v, int n) {
    long s = 0;
    for (long i = 0; i + 8 <= n; i += 8) {
      s += v.getLong(i);
    }
    return s;
  }

  static long scanBufferLater(ByteBuffer b, int n) {
    long s = 0;
    for (int i = 0; i + 8 <= n; i += 8) {
      s += b.getLong(i);
    }
    return s;
  }

  static Row farScan(Path dir, long viewSize, long at, int n, int rounds, String name)
      throws IOException {
    Path sparse = Files.createTempFile(dir, "mmapkit-bench-sparse-", ".bin");
    try {
      try (RandomAccessFile raf = new RandomAccessFile(sparse.toFile(), "rw")) {
        raf.setLength(viewSize);
      }
      try (MappedFile mf = MappedFile.open(sparse, MapMode.READ_ONLY);
          MappedView view = mf.map();
          FileChannel ch = FileChannel.open(sparse, StandardOpenOption.READ)) {
        MappedByteBuffer mbb = ch.map(FileChannel.MapMode.READ_ONLY, at, n);
        mbb.order(ByteOrder.nativeOrder());
        double gib = n / (double) (1L << 30);
        double[] r = pair(rounds, () -> scanViewFrom(view, at, n), () -> scanBuffer(mbb, n));
        return new Row(name, "GiB/s", gib / r[0], gib / r[1], true,
            "MBB: a second mapping at that offset" + spread(r));
      }
    } finally {
      Files.deleteIfExists(sparse);
    }
  }

  /**
   * The first getLong of a freshly mapped 4 KiB view (mmapkit builds its window there; the page
   * is in cache for both), timed alone around that one call and averaged over many views, the
   * two alternating which goes first.
   */
  static Row firstAccess(Path file, int cycles) throws IOException {
    long[] t = new long[2];
    try (MappedFile f = MappedFile.open(file, MapMode.READ_ONLY);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      for (int pass = 0; pass < 2; pass++) { // pass 0: warm-up
        t[0] = t[1] = 0;
        for (int i = 0; i < cycles; i++) {
          long off = (i % 64) * 4096L;
          for (int k = 0; k < 2; k++) {
            if (((i + k) & 1) == 0) {
              t[0] += firstView(f, off);
            } else {
              t[1] += firstBuffer(ch, off);
            }
          }
          if ((i & 4095) == 4095) {
            // Untimed: the dropped MappedByteBuffers are unmapped only by a GC; without one,
            // their mappings add up towards vm.max_map_count (a run died there, 65530).
            System.gc();
          }
        }
      }
    }
    System.gc();
    return new Row("first getLong of a fresh 4 KiB view", "ns", t[0] / (double) cycles,
        t[1] / (double) cycles, false, "one call timed alone (includes nanoTime's cost)");
  }

  static long firstView(MappedFile f, long off) throws IOException {
    try (MappedView v = f.map(off, 4096)) {
      long t0 = System.nanoTime();
      sink += v.getLong(8);
      return System.nanoTime() - t0;
    }
  }

  static long firstBuffer(FileChannel ch, long off) throws IOException {
    MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, off, 4096);
    long t0 = System.nanoTime();
    sink += b.getLong(8);
    return System.nanoTime() - t0;
  }

  static long scanBuffer(ByteBuffer b, int n) {
    long s = 0;
    for (int i = 0; i + 8 <= n; i += 8) {
      s += b.getLong(i);
    }
    return s;
  }

  static long randomView(MappedView v, int[] idx) {
    long s = 0;
    for (int i : idx) {
      s += v.getLong(i);
    }
    return s;
  }

  static long randomBuffer(ByteBuffer b, int[] idx) {
    long s = 0;
    for (int i : idx) {
      s += b.getLong(i);
    }
    return s;
  }

  static long bulkView(MappedView v, int n, byte[] dst) {
    long s = 0;
    for (long off = 0; off + dst.length <= n; off += dst.length) {
      v.get(off, dst, 0, dst.length);
      s += dst[7];
    }
    return s;
  }

  static long bulkBuffer(ByteBuffer b, int n, byte[] dst) {
    long s = 0;
    for (int off = 0; off + dst.length <= n; off += dst.length) {
      b.get(off, dst, 0, dst.length);
      s += dst[7];
    }
    return s;
  }

  static final VarHandle LONG =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

  static long addView(MappedView v, int ops) {
    long s = 0;
    for (int i = 0; i < ops; i++) {
      s += v.getAndAddLong(64, 1);
    }
    return s;
  }

  static long addViewSafe(MappedView v, int ops) {
    long s = 0;
    for (int i = 0; i < ops; i++) {
      s += v.getAndAddLongSafe(64, 1);
    }
    return s;
  }

  static long addBuffer(ByteBuffer b, int ops) {
    long s = 0;
    for (int i = 0; i < ops; i++) {
      s += (long) LONG.getAndAdd(b, 64, 1L);
    }
    return s;
  }

  /**
   * The churn rows' four loops (mmapkit map+close, the same with a getLong, FileChannel.map
   * with the buffer dropped, the same with a getLong), {@code rounds} times each after one
   * warm-up each, the order rotating so that none always follows another, each after settle():
   * a FileChannel.map loop leaves thousands of mappings to its GC, which would otherwise land
   * in whatever runs next. For the FileChannel.map loops it also times the GC that unmaps them.
   */
  static final class Churn {
    static final int VIEW = 0, VIEW_TOUCH = 1, MBB = 2, MBB_TOUCH = 3;
    final int cycles;
    final long[][] loop;
    /** Loop + GC unmapping (FileChannel.map loops only). */
    final long[][] withGc;
    /** Each loop's /proc/self/maps lines before -> after, last round. */
    final String[] maps = new String[4];

    Churn(int cycles, int rounds) {
      this.cycles = cycles;
      loop = new long[4][rounds];
      withGc = new long[4][rounds];
    }

    void run(Path file) throws IOException, InterruptedException {
      try (MappedFile f = MappedFile.open(file, MapMode.READ_ONLY);
          RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r");
          FileChannel ch = raf.getChannel()) {
        for (int k = 0; k < 4; k++) { // warm-up: steady state, JIT done
          settle();
          once(k, f, ch, WARM_CYCLES, 0);
        }
        int rounds = loop[0].length;
        for (int r = 0; r < rounds; r++) {
          for (int k = 0; k < 4; k++) {
            settle();
            once((r + k) % 4, f, ch, cycles, r);
          }
        }
      }
    }

    private void once(int which, MappedFile f, FileChannel ch, int n, int round)
        throws IOException, InterruptedException {
      boolean touch = which == VIEW_TOUCH || which == MBB_TOUCH;
      long before = mapsLines();
      long t0 = System.nanoTime();
      if (which <= VIEW_TOUCH) {
        for (int i = 0; i < n; i++) {
          try (MappedView v = f.map((i % 64) * 4096L, 4096)) {
            sink += touch ? v.getLong(8) : v.size();
          }
        }
      } else {
        for (int i = 0; i < n; i++) {
          MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, (i % 64) * 4096L, 4096);
          sink += touch ? b.getLong(8) : b.capacity(); // no way to unmap: left to the GC
        }
      }
      long t = System.nanoTime() - t0;
      maps[which] = before + " -> " + mapsLines();
      loop[which][round] = t;
      if (which >= MBB) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        System.gc();
        while (mapsLines() > before + 64 && System.nanoTime() < deadline) {
          Thread.sleep(1);
        }
      }
      withGc[which][round] = System.nanoTime() - t0;
    }

    /** mmapkit loop {@code a} against FileChannel.map loop {@code b} (its GC counted or not). */
    Row row(String name, int a, int b, boolean gc, String note) {
      long[] ta = loop[a];
      long[] tb = gc ? withGc[b] : loop[b];
      double lo = Double.MAX_VALUE;
      double hi = 0;
      for (int i = 0; i < ta.length; i++) {
        lo = Math.min(lo, tb[i] / (double) ta[i]);
        hi = Math.max(hi, tb[i] / (double) ta[i]);
      }
      return new Row(name, "us/cycle", median(ta) / 1e3 / cycles, median(tb) / 1e3 / cycles,
          false, note + String.format(Locale.ROOT, "; one round: %.2f-%.2fx", lo, hi));
    }
  }

  static long median(long[] x) {
    long[] s = x.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  /** A GC, then until the mappings FileChannel.map left to it stop going away (at most 30 s). */
  static void settle() throws InterruptedException {
    System.gc();
    long deadline = System.nanoTime() + 30_000_000_000L;
    long last = Long.MAX_VALUE;
    for (long n = mapsLines(); n < last && System.nanoTime() < deadline; n = mapsLines()) {
      last = n;
      Thread.sleep(5);
    }
  }

  static long mapsLines() {
    try {
      return Files.readAllLines(Path.of("/proc/self/maps")).size();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void print(List<Row> rows, long size, int rounds) {
    System.out.printf(Locale.ROOT,
        "mmapkit vs MappedByteBuffer, same JVM (%s %s), file %d MiB in page cache,"
            + " median of %d rounds%n%n",
        System.getProperty("java.vm.name"), System.getProperty("java.version"), size >> 20,
        rounds);
    System.out.println("| benchmark | unit | mmapkit | MappedByteBuffer | mmapkit/MBB | notes |");
    System.out.println("|---|---|---:|---:|---:|---|");
    for (Row r : rows) {
      System.out.printf(Locale.ROOT, "| %s | %s | %.3f | %.3f | %.2fx | %s |%n",
          r.name, r.unit, r.mmapkit, r.mbb, r.ratio(), r.note);
    }
    System.out.println();
    System.out.println("mmapkit/MBB: speed relative to MappedByteBuffer (above 1 = mmapkit faster).");
  }

  static void writeJson(Path out, List<Row> rows, long size, int rounds, int churn, Churn c)
      throws IOException {
    StringBuilder sb = new StringBuilder();
    sb.append("{\n  \"java\": \"").append(System.getProperty("java.version")).append("\",\n");
    sb.append("  \"file_bytes\": ").append(size).append(",\n");
    sb.append("  \"rounds\": ").append(rounds).append(",\n");
    sb.append("  \"churn_cycles\": ").append(churn).append(",\n");
    String[] names = {
      "mmapkit_map_close", "mmapkit_map_touch_close", "filechannel_map", "filechannel_map_touch"
    };
    sb.append("  \"maps_lines\": {");
    for (int k = 0; k < names.length; k++) {
      String[] ba = c.maps[k].split(" -> ");
      sb.append(k > 0 ? ", " : "").append('"').append(names[k]).append("\": {\"before\": ")
          .append(ba[0]).append(", \"after\": ").append(ba[1]).append('}');
    }
    sb.append("},\n  \"results\": [\n");
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      sb.append(String.format(Locale.ROOT,
          "    {\"name\": \"%s\", \"unit\": \"%s\", \"mmapkit\": %.6f, \"mapped_byte_buffer\": %.6f,"
              + " \"ratio\": %.4f}%s%n",
          r.name, r.unit, r.mmapkit, r.mbb, r.ratio(), i + 1 < rows.size() ? "," : ""));
    }
    sb.append("  ]\n}\n");
    Files.writeString(out, sb.toString());
  }
}
