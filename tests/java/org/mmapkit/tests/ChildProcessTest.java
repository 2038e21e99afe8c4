package org.mmapkit.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmapkit.FileRangeLock;
import org.mmapkit.MappedFile;
import org.mmapkit.MappedView;

/** Scenarios with a second JVM (ProcessBuilder, same packaged jar on the classpath). */
class ChildProcessTest {
  @TempDir Path dir;

  @Test
  void shared_memory_is_shared_with_another_jvm() throws Exception {
    String name = MappedFileTest.shmName("child");
    try (MappedFile f = MappedFile.createSharedMemory(name, 4096);
        MappedView v = f.map()) {
      v.putLong(0, 123456789L);
      String out = Jvm.run("shm-read", name);
      assertTrue(out.contains("OK read 123456789"), out);
      assertEquals(123456790L, v.getLong(8)); // the child's write is visible here
    } finally {
      MappedFile.unlinkSharedMemory(name);
    }
  }

  @Test
  void a_lock_held_here_is_seen_by_another_jvm() throws Exception {
    Path p = dir.resolve("lock.bin");
    try (MappedFile f = MappedFile.create(p, 4096)) {
      String out;
      try (FileRangeLock l = f.lock(0, 100, false)) {
        out = Jvm.run("lock-try", p.toString());
        assertTrue(out.contains("OK held"), out);
        assertTrue(out.contains("OK other-free"), out);
      }
      out = Jvm.run("lock-try", p.toString());
      assertTrue(out.contains("OK free"), out);
    }
  }

  @Test
  void a_blocking_lock_in_another_jvm_waits_for_the_release() throws Exception {
    Path p = dir.resolve("lockwait.bin");
    try (MappedFile f = MappedFile.create(p, 4096)) {
      FileRangeLock l = f.lock(0, 100, false);
      Process child = Jvm.start("lock-wait", p.toString());
      BufferedReader r =
          new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("READY", r.readLine());
      Thread.sleep(300);
      assertTrue(child.isAlive(), "the child did not wait for the lock");
      l.close();
      String line = r.readLine();
      assertTrue(child.waitFor(60, TimeUnit.SECONDS));
      assertEquals(0, child.exitValue());
      assertTrue(line != null && line.startsWith("OK got-after-ms"), line);
      long waited = Long.parseLong(line.substring("OK got-after-ms ".length()));
      assertTrue(waited >= 100, "waited only " + waited + " ms"); // we held it 300 ms
    }
  }

  @Test
  void stale_buffers_after_close_never_crash_nor_touch_the_file() throws Exception {
    String out = Jvm.run("stale-buffer", dir.resolve("stale.bin").toString());
    assertTrue(out.contains("OK stale 50"), out);
  }

  @Test
  void truncated_file_faults_are_exceptions_and_the_jvm_survives() throws Exception {
    String out = Jvm.run("truncate", dir.resolve("trunc.bin").toString());
    assertFalse(out.contains("FAIL"), out);
    assertTrue(out.contains("OK fault "), out);
    assertTrue(out.contains("OK fault-put"), out);
    assertTrue(out.contains("OK fault-is-unchecked-io"), out);
    assertTrue(out.contains("read"), out); // the operation is named
    assertTrue(out.contains("OK internal-error"), out); // the JVM's own SIGBUS handling still works
    assertTrue(out.contains("OK typed-internal-error"), out);
    assertTrue(out.contains("OK alive 4096"), out);
  }

  @Test
  void fault_safe_atomics_on_a_truncated_file_throw_and_the_jvm_survives() throws Exception {
    String out = Jvm.run("truncate-atomics", dir.resolve("atomics.bin").toString());
    assertFalse(out.contains("FAIL"), out);
    assertEquals(8, out.split("OK fault ", -1).length - 1, out);
    assertTrue(out.contains("OK fault getAndAddLongSafe MMK_EIO -5: "), out); // the core status
    assertTrue(out.contains("OK safe 42 true 43"), out);
  }

  @Test
  void faults_are_handled_with_the_jvm_signal_chaining_library_too() throws Exception {
    // libjsig (LD_PRELOAD) keeps the JVM's handlers installed and chains to ours.
    Path jsig = Path.of(System.getProperty("java.home"), "lib", "libjsig.so");
    Assumptions.assumeTrue(Files.exists(jsig), "no libjsig.so in this JDK");
    ProcessBuilder pb = Jvm.builder(List.of(), "truncate", dir.resolve("jsig.bin").toString());
    pb.environment().put("LD_PRELOAD", jsig.toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    assertFalse(out.contains("FAIL"), out);
    assertTrue(out.contains("OK fault "), out);
    assertTrue(out.contains("OK internal-error"), out);
    assertTrue(out.contains("OK alive 4096"), out);
  }

  @Test
  void the_jar_loads_its_own_library_with_nothing_else_configured() throws Exception {
    Path tmp = dir.resolve("tmp");
    Files.createDirectories(tmp);
    String out = Jvm.run(List.of("-Djava.io.tmpdir=" + tmp), "load");
    assertTrue(out.contains("OK loaded 42"), out);
    // Extracted into a private directory under java.io.tmpdir, deleted once loaded.
    assertTrue(out.contains("LIB " + tmp + "/mmapkit-"), out);
    assertTrue(out.contains("(deleted)"), out);
    try (Stream<Path> s = Files.list(tmp)) {
      assertEquals(0, s.count(), "extracted library left behind");
    }
  }

  /** Copies the jar's native library to dir (as a user or a distribution would install it). */
  private Path extractLibrary(Path into) throws Exception {
    Files.createDirectories(into);
    Path lib = into.resolve("libmmapkit_jni.so");
    String platform =
        "linux-" + (System.getProperty("os.arch").equals("aarch64") ? "aarch64" : "x86_64");
    try (InputStream in =
        MappedFile.class.getResourceAsStream(
            "/org/mmapkit/native/" + platform + "/libmmapkit_jni.so")) {
      assertNotNull(in, "the jar has no " + platform + " library");
      Files.copy(in, lib);
    }
    return lib;
  }

  @Test
  void an_explicit_library_path_is_used_first() throws Exception {
    Path lib = extractLibrary(dir.resolve("explicit"));
    String out = Jvm.run(List.of("-Dmmapkit.library.path=" + lib), "load");
    assertTrue(out.contains("OK loaded 42"), out);
    assertTrue(out.contains("LIB " + lib), out);
  }

  @Test
  void java_library_path_is_tried_before_extraction() throws Exception {
    Path lib = extractLibrary(dir.resolve("libpath"));
    String out = Jvm.run(List.of("-Djava.library.path=" + lib.getParent()), "load");
    assertTrue(out.contains("OK loaded 42"), out);
    assertTrue(out.contains("LIB " + lib), out);
  }

  @Test
  void a_bad_explicit_library_path_fails_with_a_message_saying_what_to_do() throws Exception {
    Process p =
        Jvm.builder(List.of("-Dmmapkit.library.path=/nonexistent/libmmapkit_jni.so"), "load")
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertTrue(p.exitValue() != 0, out);
    assertTrue(out.contains("UnsatisfiedLinkError"), out);
    assertTrue(out.contains("mmapkit.library.path=/nonexistent/libmmapkit_jni.so"), out);
    assertTrue(out.contains("unset it"), out);
  }

  /** Runs the "load" child in a directory holding a planted libmmapkit_jni.so. */
  private String loadNextToPlanted(String ldLibraryPath, List<String> jvmArgs, boolean mustLoad)
      throws Exception {
    Path planted = Path.of(System.getProperty("mmapkit.test.planted"));
    Path cwd = dir.resolve("cwd");
    Files.createDirectories(cwd.resolve("lib"));
    Files.copy(planted, cwd.resolve("libmmapkit_jni.so"), StandardCopyOption.REPLACE_EXISTING);
    Files.copy(planted, cwd.resolve("lib/libmmapkit_jni.so"),
        StandardCopyOption.REPLACE_EXISTING);
    Path marker = dir.resolve("marker");
    Files.deleteIfExists(marker);
    ProcessBuilder pb = Jvm.builder(jvmArgs, "load").directory(cwd.toFile());
    pb.environment().put("MMK_PLANTED_MARKER", marker.toString());
    if (ldLibraryPath == null) {
      pb.environment().remove("LD_LIBRARY_PATH");
    } else {
      pb.environment().put("LD_LIBRARY_PATH", ldLibraryPath);
    }
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    String what = "LD_LIBRARY_PATH=[" + ldLibraryPath + "] " + jvmArgs + ":\n" + out;
    assertFalse(Files.exists(marker), "the planted library was loaded, " + what);
    if (mustLoad) {
      assertEquals(0, p.exitValue(), what);
      assertTrue(out.contains("OK loaded 42"), what);
      assertFalse(out.contains("LIB " + cwd), what);
    }
    return out;
  }

  @Test
  void a_library_planted_in_the_current_directory_is_never_loaded() throws Exception {
    String[] paths = {"", ":", ":/nonexistent", "/nonexistent:", "/nonexistent::/nonexistent2",
        ".", "lib", "./lib:"};
    for (String ld : paths) {
      loadNextToPlanted(ld, List.of(), true);
    }
    loadNextToPlanted(null, List.of("-Djava.library.path=."), true);
    loadNextToPlanted(null, List.of("-Djava.library.path=lib:"), true);
    loadNextToPlanted(null, List.of("-Djava.library.path="), true);
  }

  /** Issue 11.13: with the watchdog thread off, only installFaultGuard ends the spin. */
  @Test
  void installFaultGuard_puts_the_guard_back_over_a_later_sigbus_handler() throws Exception {
    ProcessBuilder b =
        Jvm.builder(List.of(), "later-bus-handler", dir.resolve("bus.bin").toString());
    b.environment().put("MMAPKIT_GUARD_WATCH_MS", "0");
    Process p = b.start();
    boolean done = p.waitFor(60, TimeUnit.SECONDS); // the output fits the pipe
    if (!done) {
      p.destroyForcibly().waitFor();
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(done, "child hung (spinning in the later handler):\n" + out);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("OK fault get"), out);
    assertTrue(out.contains("OK fault getLongVolatileSafe"), out);
    assertFalse(out.contains("FAIL"), out);
  }

  @Test
  void a_platform_the_jar_lacks_is_named_with_the_ones_it_carries_on_every_call() throws Exception {
    // os.arch set to one the jar has no folder for: the loader's view of an unknown platform.
    String out = Jvm.run(List.of("-Dos.arch=riscv64"), "load-twice");
    String[] lines = out.lines().filter(l -> l.startsWith("CALL ")).toArray(String[]::new);
    assertEquals(2, lines.length, out);
    for (String line : lines) {
      assertTrue(line.contains("java.lang.UnsatisfiedLinkError"), out);
      assertTrue(line.contains("linux-riscv64"), out);
      assertTrue(line.contains("its jar carries linux-x86_64"), out);
      assertTrue(line.contains("-Dmmapkit.library.path="), out);
      assertFalse(line.contains("java.io.tmpdir"), out); // nothing to do with the tmpdir
    }
    // The second call repeats the first reason instead of a bare NoClassDefFoundError.
    assertEquals(lines[0].substring("CALL 1".length()), lines[1].substring("CALL 2".length()), out);
    int first = lines[0].indexOf("its jar carries");
    assertEquals(-1, lines[0].indexOf("its jar carries", first + 1),
        "the message repeats itself: " + lines[0]);
  }

  @Test
  void a_relative_explicit_library_path_is_refused() throws Exception {
    String out =
        loadNextToPlanted(null, List.of("-Dmmapkit.library.path=libmmapkit_jni.so"), false);
    assertTrue(out.contains("UnsatisfiedLinkError"), out);
    assertTrue(out.contains("relative path"), out);
  }
}
