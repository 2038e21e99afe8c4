package org.mmapkit.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every lifetime operation of a view racing every access method on another thread, each pair
 * in its own child JVM (RaceChild) under a watchdog: no crash, no hang, only the documented
 * exception (IllegalStateException), right bytes in the file afterwards.
 */
class RaceTest {
  static final String[] LIFETIME = {"close", "grow-in-place", "resize-move", "shrink"};
  static final String[] ACCESS = {
    "bulk-get", "bulk-put", "buffer-get", "buffer-put", "typed-get", "typed-put", "atomic-add",
    "atomic-add-safe", "wait", "wake", "flush", "advise", "bytebuffer-read", "bytebuffer-write",
    "lock"
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
    System.out.println(text.trim());
  }

  private static String tail(String s) {
    return s.length() > 4000 ? s.substring(0, 4000) + "\n..." : s;
  }
}
