import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.mmapkit.FaultException;
import org.mmapkit.MapMode;
import org.mmapkit.MappedFile;
import org.mmapkit.MappedView;
import sun.misc.Signal;

/**
 * A SIGBUS handler installed after mmapkit, through the packaged jar (tests/reliability).
 *
 * <pre>
 *   Handlers signal-bulk DIR   sun.misc.Signal.handle(BUS) after mapping, then a 1 MiB bulk
 *                              get past the new end: FaultException, no livelock
 *   Handlers signal-small DIR  the same, then an 8-byte bulk get and getLongVolatileSafe:
 *                              each spun in the JVM's handler for good (2b5c428); now
 *                              mmapkit's watchdog thread re-asserts the guard: FaultException
 *   Handlers jdk-unsafe DIR    with mmapkit's guard installed, the JDK's own
 *                              MappedByteBuffer over a truncated file still throws the
 *                              JVM's InternalError
 * </pre>
 * One case per JVM; run.sh runs each under a watchdog. Exit status 0 = passed.
 */
public final class Handlers {
  static final int SIZE = 1 << 20;

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    Files.createDirectories(dir);
    Path p = dir.resolve("handler-" + args[0] + "-" + ProcessHandle.current().pid() + ".bin");
    try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
      raf.setLength(SIZE);
    }
    int rc;
    try (MappedFile f = MappedFile.open(p, MapMode.READ_WRITE);
        MappedView v = f.map(0, SIZE)) {
      v.put(0, (byte) 7);
      rc = args[0].equals("signal-bulk")
          ? signalBulk(p, v)
          : args[0].equals("signal-small") ? signalSmall(p, v) : jdkUnsafe(p);
    } finally {
      Files.deleteIfExists(p);
    }
    System.exit(rc);
  }

  static void cut(Path p) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
      raf.setLength(4096); // as another process would
    }
  }

  static int signalBulk(Path p, MappedView v) throws IOException {
    Signal.handle(new Signal("BUS"), s -> System.out.println("java handler: " + s));
    cut(p);
    try {
      v.get(0, new byte[SIZE]);
      System.out.println("FAIL signal-bulk: no exception");
      return 1;
    } catch (FaultException e) {
      boolean ok = e instanceof UncheckedIOException && v.get(0) == 7;
      System.out.println((ok ? "ok   " : "FAIL ") + "signal-bulk: " + e);
      return ok ? 0 : 1;
    }
  }

  static int signalSmall(Path p, MappedView v) throws IOException {
    java.util.concurrent.atomic.AtomicLong calls = new java.util.concurrent.atomic.AtomicLong();
    Signal.handle(new Signal("BUS"), s -> calls.incrementAndGet());
    cut(p);
    int failures = 0;
    for (int k = 0; k < 2; k++) {
      String what = k == 0 ? "get 8 bytes" : "getLongVolatileSafe";
      try {
        if (k == 0) {
          v.get(8192, new byte[8]);
        } else {
          v.getLongVolatileSafe(8192);
        }
        System.out.println("FAIL signal-small: " + what + ": no exception");
        failures++;
      } catch (FaultException e) {
        System.out.println("ok   signal-small: " + what + ": " + e);
      }
    }
    System.out.println("java handler calls: " + calls.get());
    return failures == 0 && v.get(0) == 7 ? 0 : 1;
  }

  static int jdkUnsafe(Path p) throws IOException {
    MappedByteBuffer b;
    try (FileChannel ch = FileChannel.open(p, java.nio.file.StandardOpenOption.READ)) {
      b = ch.map(FileChannel.MapMode.READ_ONLY, 0, SIZE);
    }
    cut(p);
    try {
      byte x = b.get(SIZE / 2);
      System.out.println("FAIL jdk-unsafe: read " + x);
      return 1;
    } catch (InternalError e) {
      System.out.println("ok   jdk-unsafe: " + e);
      return 0;
    }
  }
}
