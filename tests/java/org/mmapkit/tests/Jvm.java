package org.mmapkit.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Starts child JVMs with the same classpath (the packaged jar and the test classes). */
final class Jvm {
  private Jvm() {}

  static String java() {
    String j = System.getProperty("mmapkit.test.java");
    if (j != null) {
      return j;
    }
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  static String classpath() {
    String cp = System.getProperty("mmapkit.test.classpath");
    return cp != null ? cp : System.getProperty("java.class.path");
  }

  /**
   * Whether the typed accessors take their fast path (Unsafe, or the JDK 24+ MemorySegment) in
   * this JVM: package-private org.mmapkit.RawAccess.ENABLED.
   */
  static boolean rawAccess() {
    return (Boolean) rawAccessField("ENABLED");
  }

  /** What org.mmapkit.RawAccess goes through (its KIND): Unsafe, or a MemorySegment. */
  static String rawAccessKind() {
    return (String) rawAccessField("KIND");
  }

  /** A static field of RawAccess, by reflection: the tests are not in its package. */
  private static Object rawAccessField(String name) {
    try {
      java.lang.reflect.Field f = Class.forName("org.mmapkit.RawAccess").getDeclaredField(name);
      f.setAccessible(true);
      return f.get(null);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * What children inherit: this JVM's choice of the typed accessors' path
   * (-Dmmapkit.unsafe=false) and the JVM options the test run gave it (mmapkit.test.jvmargs:
   * JDK 24+'s --enable-native-access, --sun-misc-unsafe-memory-access).
   */
  static List<String> inherited() {
    List<String> a = new ArrayList<>();
    String u = System.getProperty("mmapkit.unsafe");
    if (u != null) {
      a.add("-Dmmapkit.unsafe=" + u);
    }
    for (String o : System.getProperty("mmapkit.test.jvmargs", "").split(" ")) {
      if (!o.isEmpty() && !o.startsWith("-Dmmapkit.unsafe=")) {
        a.add(o);
      }
    }
    return a;
  }

  static ProcessBuilder builder(List<String> jvmArgs, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(java());
    cmd.add("-Xmx128m");
    cmd.addAll(inherited());
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(classpath());
    cmd.add(Child.class.getName());
    cmd.addAll(Arrays.asList(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true);
  }

  static Process start(String... args) throws IOException {
    return builder(List.of(), args).start();
  }

  /** Runs a child to completion; asserts exit code 0 and returns its output. */
  static String run(String... args) throws Exception {
    return run(List.of(), args);
  }

  static String run(List<String> jvmArgs, String... args) throws Exception {
    Process p = builder(jvmArgs, args).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child timed out");
    assertEquals(0, p.exitValue(), "child failed:\n" + out);
    return out;
  }

  static String readLine(Process p) throws IOException {
    return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))
        .readLine();
  }
}
