import java.io.IOException;
import java.nio.ReadOnlyBufferException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.mmapkit.FaultException;
import org.mmapkit.FlushMode;
import org.mmapkit.MapMode;
import org.mmapkit.MapOption;
import org.mmapkit.MappedFile;
import org.mmapkit.MappedView;

/**
 * Fault checks through the packaged jar alone on the classpath (tests/reliability).
 *
 * <pre>
 *   Faults writer PATH SIZE OFFSET LEN SEED   crash writer for `mmk_crash kill`
 *   Faults enospc                             under `mmk_crash sandbox` (MMK_SMALLFS)
 *   Faults truncate DIR                       truncation gives FaultException, process lives
 *   Faults hostile DIR                        a table of bad arguments: the documented
 *                                             exception each, no descriptor or mapping leak
 * </pre>
 */
public final class Faults {
  static int checks, failures;

  interface Action {
    void run() throws Exception;
  }

  static void check(boolean ok, String what) {
    checks++;
    System.out.println((ok ? "ok   " : "FAIL ") + what);
    if (!ok) {
      failures++;
    }
  }

  static void expectEnospc(Action a, String what, String needle) {
    try {
      a.run();
      check(false, what + ": no exception (wanted an IOException for ENOSPC)");
    } catch (IOException e) {
      String m = String.valueOf(e.getMessage());
      boolean ok = (m.contains("ENOSPC") || m.contains("No space left"))
          && (needle == null || m.contains(needle));
      check(ok, what + ": " + e.getClass().getName() + ": " + m);
    } catch (Throwable e) {
      check(false, what + ": " + e + " (wanted an IOException for ENOSPC)");
    }
  }

  static byte pat(int seed, long k) {
    return (byte) ((seed * 7L + k * 131L + (k >> 9)) & 255);
  }

  static void writer(String path, long size, long off, long n, int seed) throws Exception {
    MappedFile f = MappedFile.create(Path.of(path), size);
    MappedView v = f.map();
    byte[] b = new byte[(int) n];
    for (int k = 0; k < n; k++) {
      b[k] = pat(seed, k);
    }
    v.put(off, b, 0, b.length);
    v.force(off, n, FlushMode.SYNC);
    System.out.println("flushed");
    System.out.flush();
    long lo = off / 4096 * 4096, hi = (off + n + 4095) / 4096 * 4096;
    for (long i = 0; ; i++) { // dirty other pages until killed
      long at = (i * 4099) % size;
      if (at < lo || at >= hi) {
        v.put(at, (byte) i);
      }
    }
  }

  static void enospc() throws Exception {
    Path d = Path.of(System.getenv("MMK_SMALLFS"));
    Path p = d.resolve("grow.bin");
    expectEnospc(() -> MappedFile.create(p, 4 << 20).close(),
        "create with 4 MiB on a 1 MiB file system", "grow.bin");
    try (MappedFile f = MappedFile.create(p, 4096)) {
      expectEnospc(() -> f.map(0, 8 << 20).close(), "map 8 MiB past the end", null);
      expectEnospc(() -> f.resize(8 << 20), "resize to 8 MiB", null);
      try (MappedView v = f.map(0, 4096, MapOption.RESERVE(16 << 20))) {
        expectEnospc(() -> v.resize(8 << 20), "view resize within a reservation", null);
        v.putLong(0, 0x616c697665L);
        check(v.getLong(0) == 0x616c697665L && v.size() == 4096,
            "the view still works after the refusals");
      }
    }
    String name = "mmk-enospc-java-" + ProcessHandle.current().pid();
    expectEnospc(() -> MappedFile.sharedMemory(name, 4 << 20).close(),
        "shared memory of 4 MiB on a 1 MiB /dev/shm", name);
    try {
      MappedFile.unlinkSharedMemory(name);
    } catch (IOException ignored) {
      // not created: fine
    }
  }

  static void truncate(String dir) throws Exception {
    Files.createDirectories(Path.of(dir));
    Path p = Path.of(dir, "trunc-java-" + ProcessHandle.current().pid() + ".bin");
    try (MappedFile f = MappedFile.open(p, MapMode.READ_WRITE, 64 << 10);
        MappedView v = f.map()) {
      v.put(0, new byte[] {'h', 'e', 'a', 'd'}, 0, 4);
      try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
        raf.setLength(4096); // as another process would
      }
      Action[] actions = {
        () -> v.get(8192, new byte[8], 0, 8),
        () -> v.put(30000, new byte[] {1, 2, 3, 4}, 0, 4),
        () -> v.get(20000, new byte[100]),
      };
      String[] names = {"bulk get past the new end", "bulk put past the new end",
          "bulk get (whole array) past the new end"};
      for (int i = 0; i < actions.length; i++) {
        try {
          actions[i].run();
          check(false, names[i] + ": no exception");
        } catch (FaultException e) {
          check(true, names[i] + ": FaultException: " + e.getMessage());
        } catch (Throwable e) {
          check(false, names[i] + ": " + e + " (wanted FaultException)");
        }
      }
      byte[] head = new byte[4];
      v.get(0, head, 0, 4);
      check(new String(head, "US-ASCII").equals("head"), "the part still inside the file reads fine");
    }
    Files.deleteIfExists(p);
  }

  record Row(String what, Action call, Class<?>... want) {}

  static boolean ours(String s, Path dir) {
    return s.contains(dir.toString()) || s.contains("/dev/shm/") || s.contains("memfd:mmapkit");
  }

  /** Descriptors mmapkit could leak (the JVM opens its own as it pleases). */
  static int countFds(Path dir) throws IOException {
    int n = 0;
    try (var s = Files.list(Path.of("/proc/self/fd"))) {
      for (Path p : (Iterable<Path>) s::iterator) {
        try {
          n += ours(Files.readSymbolicLink(p).toString(), dir) ? 1 : 0;
        } catch (IOException gone) {
          // closed meanwhile (the listing's own descriptor)
        }
      }
    }
    return n;
  }

  /** Mappings of our files, shared memory or anonymous memfds (the JVM's own come and go). */
  static int countMaps(Path dir) throws IOException {
    int n = 0;
    for (String l : Files.readAllLines(Path.of("/proc/self/maps"))) {
      if (ours(l, dir)) {
        n++;
      }
    }
    return n;
  }

  static int runTable(List<Row> rows, boolean report) {
    int bad = 0;
    for (Row r : rows) {
      String got;
      boolean ok = false;
      try {
        r.call().run();
        got = "no exception";
      } catch (Throwable e) {
        got = e.getClass().getName() + ": " + e.getMessage();
        for (Class<?> c : r.want()) {
          ok |= c.isInstance(e);
        }
      }
      if (report) {
        StringBuilder w = new StringBuilder();
        for (Class<?> c : r.want()) {
          w.append(w.length() > 0 ? "/" : "").append(c.getSimpleName());
        }
        check(ok, r.what() + ": " + got + (ok ? "" : " (wanted " + w + ")"));
      }
      bad += ok ? 0 : 1;
    }
    return bad;
  }

  static void hostile(String dir) throws Exception {
    Path d = Path.of(dir).toAbsolutePath();
    Files.createDirectories(d);
    Path data = d.resolve("data.bin");
    Files.write(data, new byte[10000]);
    Path fifo = d.resolve("fifo");
    if (!Files.exists(fifo)) {
      new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor();
    }
    String missing = "mmk-missing-" + ProcessHandle.current().pid();
    Class<?> iae = IllegalArgumentException.class;
    Class<?> ioobe = IndexOutOfBoundsException.class;
    Class<?> ise = IllegalStateException.class;
    List<Row> rows = new ArrayList<>();
    rows.add(new Row("open missing file",
        () -> MappedFile.open(d.resolve("nope"), MapMode.READ_ONLY).close(), NoSuchFileException.class));
    rows.add(new Row("open a directory", () -> MappedFile.open(d, MapMode.READ_ONLY).close(), IOException.class));
    rows.add(new Row("open a FIFO (must not block)",
        () -> MappedFile.open(fifo, MapMode.READ_ONLY).close(), IOException.class));
    rows.add(new Row("open /dev/zero", () -> MappedFile.open(Path.of("/dev/zero"), MapMode.READ_WRITE).close(),
        IOException.class));
    rows.add(new Row("open READ_ONLY with a size",
        () -> MappedFile.open(data, MapMode.READ_ONLY, 10).close(), iae));
    rows.add(new Row("create with a negative size", () -> MappedFile.create(data, -1).close(), iae));
    rows.add(new Row("map negative offset", () -> {
      try (MappedFile f = MappedFile.open(data, MapMode.READ_ONLY)) {
        f.map(-1, 10).close();
      }
    }, iae, ioobe));
    rows.add(new Row("map negative length", () -> {
      try (MappedFile f = MappedFile.open(data, MapMode.READ_ONLY)) {
        f.map(0, -5).close();
      }
    }, iae, ioobe));
    rows.add(new Row("map offset+length overflows", () -> {
      try (MappedFile f = MappedFile.open(data, MapMode.READ_ONLY)) {
        f.map(Long.MAX_VALUE, 10).close();
      }
    }, iae, ioobe));
    rows.add(new Row("map past the end READ_ONLY", () -> {
      try (MappedFile f = MappedFile.open(data, MapMode.READ_ONLY)) {
        f.map(9000, 2000).close();
      }
    }, ioobe, iae));
    rows.add(new Row("map past the end PRIVATE", () -> {
      try (MappedFile f = MappedFile.open(data, MapMode.PRIVATE)) {
        f.map(0, 20000).close();
      }
    }, ioobe, iae));
    rows.add(new Row("map on a closed file", () -> {
      MappedFile f = MappedFile.open(data, MapMode.READ_ONLY);
      f.close();
      f.map().close();
    }, ise));
    rows.add(new Row("get on a closed view", () -> {
      try (MappedFile f = MappedFile.open(data, MapMode.READ_ONLY)) {
        MappedView v = f.map();
        v.close();
        v.getLong(0);
      }
    }, ise));
    rows.add(new Row("put on a read-only view", () -> {
      try (MappedFile f = MappedFile.open(data, MapMode.READ_ONLY); MappedView v = f.map()) {
        v.put(0, (byte) 1);
      }
    }, ReadOnlyBufferException.class));
    rows.add(new Row("bulk put on a read-only view", () -> {
      try (MappedFile f = MappedFile.open(data, MapMode.READ_ONLY); MappedView v = f.map()) {
        v.put(0, new byte[4], 0, 4);
      }
    }, ReadOnlyBufferException.class));
    rows.add(new Row("getLong past the end", () -> {
      try (MappedFile f = MappedFile.open(data, MapMode.READ_ONLY); MappedView v = f.map()) {
        v.getLong(9996);
      }
    }, ioobe));
    rows.add(new Row("bulk get past the end", () -> {
      try (MappedFile f = MappedFile.open(data, MapMode.READ_ONLY); MappedView v = f.map()) {
        v.get(9990, new byte[20], 0, 20);
      }
    }, ioobe));
    rows.add(new Row("bulk get with a bad array range", () -> {
      try (MappedFile f = MappedFile.open(data, MapMode.READ_ONLY); MappedView v = f.map()) {
        v.get(0, new byte[4], 2, 4);
      }
    }, ioobe));
    rows.add(new Row("force range past the end", () -> {
      try (MappedFile f = MappedFile.open(data, MapMode.READ_WRITE); MappedView v = f.map()) {
        v.force(9000, 5000);
      }
    }, ioobe, iae));
    rows.add(new Row("lock negative offset", () -> {
      try (MappedFile f = MappedFile.open(data, MapMode.READ_WRITE)) {
        f.lock(-1, 10, false).close();
      }
    }, iae));
    rows.add(new Row("exclusive lock on a read-only file", () -> {
      try (MappedFile f = MappedFile.open(data, MapMode.READ_ONLY)) {
        f.lock(0, 10, false).close();
      }
    }, IOException.class, java.nio.channels.NonWritableChannelException.class));
    rows.add(new Row("atomic getLongVolatile misaligned", () -> {
      try (MappedFile f = MappedFile.open(data, MapMode.READ_WRITE); MappedView v = f.map()) {
        v.getLongVolatile(3);
      }
    }, iae, ise));
    rows.add(new Row("atomic getAndAddLong out of range", () -> {
      try (MappedFile f = MappedFile.open(data, MapMode.READ_WRITE); MappedView v = f.map()) {
        v.getAndAddLong(10000, 1);
      }
    }, ioobe));
    rows.add(new Row("atomic putLongVolatile on a read-only view", () -> {
      try (MappedFile f = MappedFile.open(data, MapMode.READ_ONLY); MappedView v = f.map()) {
        v.putLongVolatile(0, 1);
      }
    }, ReadOnlyBufferException.class));
    rows.add(new Row("await misaligned", () -> {
      try (MappedFile f = MappedFile.open(data, MapMode.READ_WRITE); MappedView v = f.map()) {
        v.await(2, 0, Duration.ZERO);
      }
    }, iae, ise));
    rows.add(new Row("asByteBuffer window past the end", () -> {
      try (MappedFile f = MappedFile.open(data, MapMode.READ_ONLY); MappedView v = f.map()) {
        v.asByteBuffer(9000, 2000);
      }
    }, ioobe, iae));
    for (String bad : new String[] {"", ".hidden", "a/b", "n".repeat(201), missing + "\0x",
        "..", "../" + missing, "/" + missing}) {
      String shown = (bad.length() > 40 ? "201 chars" : bad).replace("\0", "\\0");
      rows.add(new Row("shared memory name '" + shown + "'",
          () -> MappedFile.sharedMemory(bad, 4096).close(), iae));
      rows.add(new Row("open shared memory name '" + shown + "'",
          () -> MappedFile.openSharedMemory(bad, MapMode.READ_ONLY).close(), iae));
      rows.add(new Row("create shared memory name '" + shown + "'",
          () -> MappedFile.createSharedMemory(bad, 4096).close(), iae));
      rows.add(new Row("unlink shared memory name '" + shown + "'",
          () -> MappedFile.unlinkSharedMemory(bad), iae));
    }
    String squat = "mmk-squat-" + ProcessHandle.current().pid();
    rows.add(new Row("shared memory left open to others (0666)", () -> {
      try (MappedFile f = MappedFile.createSharedMemory(squat, 4096)) {
        Files.setPosixFilePermissions(Path.of("/dev/shm", squat),
            java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        MappedFile.sharedMemory(squat, 4096).close();
      } finally {
        MappedFile.unlinkSharedMemory(squat);
      }
    }, java.nio.file.AccessDeniedException.class));
    rows.add(new Row("fault-safe atomic misaligned", () -> {
      try (MappedFile f = MappedFile.open(data, MapMode.READ_WRITE); MappedView v = f.map()) {
        v.getAndAddLongSafe(4, 1);
      }
    }, iae));
    rows.add(new Row("fault-safe atomic out of range", () -> {
      try (MappedFile f = MappedFile.open(data, MapMode.READ_WRITE); MappedView v = f.map()) {
        v.compareAndSetLongSafe(Long.MAX_VALUE - 3, 0, 1);
      }
    }, ioobe));
    rows.add(new Row("fault-safe atomic on a read-only view", () -> {
      try (MappedFile f = MappedFile.open(data, MapMode.READ_ONLY); MappedView v = f.map()) {
        v.putIntVolatileSafe(0, 1);
      }
    }, ReadOnlyBufferException.class));
    rows.add(new Row("fault-safe atomic on a closed view", () -> {
      try (MappedFile f = MappedFile.open(data, MapMode.READ_WRITE)) {
        MappedView v = f.map();
        v.close();
        v.getLongVolatileSafe(0);
      }
    }, ise));
    rows.add(new Row("blocking lock with the interrupt status set", () -> {
      MappedFile f = MappedFile.open(data, MapMode.READ_WRITE);
      Thread.currentThread().interrupt();
      try {
        f.lock(0, 10, false).close();
      } finally {
        Thread.interrupted();
        check(f.isClosed(), "  the interrupted lock closed its handle");
      }
    }, java.nio.channels.FileLockInterruptionException.class));
    rows.add(new Row("open missing shared memory",
        () -> MappedFile.openSharedMemory(missing).close(), NoSuchFileException.class));
    rows.add(new Row("unlink missing shared memory",
        () -> MappedFile.unlinkSharedMemory(missing), NoSuchFileException.class));
    rows.add(new Row("anonymous(0)", () -> MappedFile.anonymous(0).close(), iae));
    rows.add(new Row("anonymous(-1)", () -> MappedFile.anonymous(-1).close(), iae));

    runTable(rows, false); // warm-up: class loading, lazy native state
    System.gc();
    int fds = countFds(d), maps = countMaps(d);
    runTable(rows, true);
    System.gc();
    int fds2 = countFds(d), maps2 = countMaps(d);
    check(fds == fds2, "descriptors " + fds + " -> " + fds2);
    check(maps2 == maps, "mappings of files, shared memory and memfds " + maps + " -> " + maps2);
    System.out.println("hostile[java]: " + rows.size() + " hostile inputs");
  }

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "writer":
        writer(args[1], Long.parseLong(args[2]), Long.parseLong(args[3]), Long.parseLong(args[4]),
            (int) Long.parseLong(args[5]));
        return;
      case "enospc":
        enospc();
        break;
      case "truncate":
        truncate(args[1]);
        break;
      case "hostile":
        hostile(args[1]);
        break;
      default:
        System.err.println("unknown command " + args[0]);
        System.exit(2);
    }
    System.out.println(args[0] + "[java]: " + checks + " checks, " + failures
        + " failures, process alive");
    System.exit(failures == 0 ? 0 : 1);
  }
}
