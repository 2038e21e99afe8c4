package org.mmapkit.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmapkit.MapMode;
import org.mmapkit.MappedFile;
import org.mmapkit.MappedView;

/**
 * Every lifetime operation of a view racing every access method on another thread, each pair
 * in its own child JVM (RaceChild) under a watchdog: no crash, no hang, only the documented
 * exception (IllegalStateException), right bytes in the file afterwards. Last, in this JVM,
 * MappedFile.of(channel) racing the channel's close.
 */
class RaceTest {
  static final String[] LIFETIME = {"close", "grow-in-place", "resize-move", "shrink"};
  static final String[] ACCESS = {
    "bulk-get", "bulk-put", "buffer-get", "buffer-put", "typed-get", "typed-put", "atomic-add",
    "atomic-add-safe", "wait", "wake", "flush", "advise", "bytebuffer-read", "bytebuffer-write",
    "lock", "typed-get-windows", "typed-put-windows", "typed-get-own", "typed-put-own",
    "atomic-add-windows", "atomic-add-own"
  };
  static final long WATCHDOG_SECONDS = 60;

  @TempDir Path dir;

  static Stream<Arguments> pairs() {
    List<Arguments> all = new ArrayList<>();
    for (String op : LIFETIME) {
      for (String access : ACCESS) {
        all.add(Arguments.of(op, access));
      }
    }
    all.add(Arguments.of("shrink-long", "bulk-get-long")); // a copy of several 1 MiB pieces
    return all.stream();
  }

  @ParameterizedTest(name = "{0} racing {1}")
  @MethodSource("pairs")
  void lifetime_racing_access_never_crashes_hangs_or_loses_bytes(String op, String access)
      throws Exception {
    Path out = dir.resolve("out.txt");
    List<String> cmd = new ArrayList<>();
    cmd.add(Jvm.java());
    cmd.add("-Xmx64m");
    cmd.add("-XX:TieredStopAtLevel=1"); // starts faster; the race does not need C2
    cmd.addAll(Jvm.inherited());
    if (access.endsWith("-windows")) { // the accessors' ByteBuffer path (JDK 24+, no Unsafe)
      cmd.add("-Dmmapkit.unsafe=false");
    }
    cmd.add("-cp");
    cmd.add(Jvm.classpath());
    cmd.add(RaceChild.class.getName());
    cmd.add(op);
    cmd.add(access);
    cmd.add(dir.resolve("race.bin").toString());
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    if (!p.waitFor(WATCHDOG_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      fail("hang: " + op + " racing " + access + "\n" + Files.readString(out));
    }
    String text = Files.readString(out);
    assertEquals(0, p.exitValue(), op + " racing " + access + " died:\n" + tail(text));
    assertTrue(text.contains("OK race " + op + " " + access), text);
    if (access.endsWith("-windows")) {
      assertTrue(text.contains(" unsafe=false"), "not the ByteBuffer path: " + text);
    }
    System.out.println(text.trim());
  }

  /**
   * MappedFile.of(channel) racing another thread that closes the channel and opens another file,
   * which takes the freed descriptor number: every MappedFile that comes back maps the channel's
   * own file (its size and bytes, never the other's), every refusal is a closed-channel
   * exception.
   */
  @Test
  void of_channel_racing_its_close_and_the_numbers_reuse_never_maps_a_stranger()
      throws Exception {
    Path a = dir.resolve("a.bin");
    Path b = dir.resolve("b.bin");
    byte[] pa = new byte[8192];
    for (int i = 0; i < pa.length; i++) {
      pa[i] = (byte) (i * 7 + 1);
    }
    Files.write(a, pa);
    Files.write(b, new byte[12288]);
    long end = System.nanoTime() + 1_500_000_000L;
    int ok = 0;
    int closed = 0;
    int rounds = 0;
    while (System.nanoTime() < end || ok == 0) {
      rounds++;
      FileChannel ch = FileChannel.open(a, StandardOpenOption.READ);
      FileChannel[] other = new FileChannel[1];
      int spin = ThreadLocalRandom.current().nextInt(200_000);
      Thread closer = new Thread(() -> {
        long t = System.nanoTime() + spin;
        while (System.nanoTime() < t) {
          Thread.onSpinWait();
        }
        try {
          ch.close();
          other[0] = FileChannel.open(b, StandardOpenOption.READ);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      closer.start();
      try (MappedFile f = MappedFile.of(ch, MapMode.READ_ONLY); MappedView v = f.map()) {
        assertEquals(pa.length, f.size(), "the size of another file: " + f.name());
        byte[] got = new byte[pa.length];
        v.get(0, got);
        assertArrayEquals(pa, got, "the bytes of another file: " + f.name());
        ok++;
      } catch (ClosedChannelException e) { // AsynchronousCloseException too
        closed++;
      }
      closer.join();
      other[0].close();
      if (rounds > 200_000) {
        fail("no MappedFile in " + rounds + " rounds");
      }
    }
    System.out.println("of(channel) racing close: " + rounds + " rounds, " + ok + " mapped, "
        + closed + " closed");
  }

  private static String tail(String s) {
    return s.length() > 4000 ? s.substring(0, 4000) + "\n..." : s;
  }
}
