package org.mmapkit.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.mmapkit.MapMode;
import org.mmapkit.MappedFile;
import org.mmapkit.MappedView;
import org.mmapkit.ShmOption;

/** Hostile names and squatted shared memory (issue 11, numbers 10 and 11). */
class HostileInputTest {
  @TempDir Path dir;

  /** Names the contract forbids (around a unique token); each refused before the OS sees it. */
  static List<String> badNames(String tok) {
    return List.of(tok + "\0b", tok + "\0../../x", "\0", tok + "/b", "/" + tok, "..",
        "../" + tok, "." + tok, "", "x".repeat(201), tok + " b", tok + "\u00e9");
  }

  @Test
  void every_shared_memory_call_refuses_hostile_names_naming_the_call_and_reason() {
    String tok = MappedFileTest.shmName("bad");
    List<String> names = badNames(tok);
    int checked = 0;
    for (String bad : names) {
      assertRefused("sharedMemory", () -> MappedFile.sharedMemory(bad, 4096));
      assertRefused(
          "sharedMemory", () -> MappedFile.sharedMemory(bad, 4096, ShmOption.ALLOW_FOREIGN));
      assertRefused("openSharedMemory", () -> MappedFile.openSharedMemory(bad));
      assertRefused(
          "openSharedMemory", () -> MappedFile.openSharedMemory(bad, MapMode.READ_ONLY));
      assertRefused("createSharedMemory", () -> MappedFile.createSharedMemory(bad, 4096));
      assertRefused("unlinkSharedMemory", () -> MappedFile.unlinkSharedMemory(bad));
      checked += 6;
    }
    assertEquals(72, checked);
    assertFalse(Files.exists(Path.of("/dev/shm", tok)), "a NUL cut the name short");
  }

  private static void assertRefused(String call, Executable e) {
    IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
    assertTrue(x.getMessage().startsWith(call + ": invalid shared-memory name"), x.getMessage());
    assertTrue(x.getMessage().contains("[A-Za-z0-9._-]"), x.getMessage());
  }

  @Test
  void a_nul_in_a_shared_memory_name_is_named_in_the_message() {
    IllegalArgumentException x =
        assertThrows(IllegalArgumentException.class, () -> MappedFile.sharedMemory("ok\0x", 1));
    assertTrue(x.getMessage().contains("NUL at index 2"), x.getMessage());
    assertTrue(x.getMessage().contains("\"ok\\0x\""), x.getMessage());
  }

  @Test
  void unlink_with_a_nul_never_deletes_the_prefix() throws Exception {
    String name = MappedFileTest.shmName("nul");
    try (MappedFile f = MappedFile.createSharedMemory(name, 4096)) {
      assertThrows(
          IllegalArgumentException.class, () -> MappedFile.unlinkSharedMemory(name + "\0other"));
      try (MappedFile g = MappedFile.openSharedMemory(name)) {
        assertEquals(4096, g.size()); // still there
      }
    } finally {
      MappedFile.unlinkSharedMemory(name);
    }
  }

  @Test
  void a_path_with_a_nul_never_reaches_the_file_before_it() throws Exception {
    Path important = dir.resolve("important.db");
    Files.write(important, new byte[] {1, 2, 3});
    // The JDK refuses it when the Path is made: an IllegalArgumentException, as for names.
    assertThrows(InvalidPathException.class, () -> Path.of(important + "\0.tmp"));
    assertEquals(3, Files.size(important));
  }

  @Test
  void create_or_open_tells_whether_it_created() throws Exception {
    String name = MappedFileTest.shmName("created");
    try (MappedFile a = MappedFile.sharedMemory(name, 4096);
        MappedFile b = MappedFile.sharedMemory(name, 4096)) {
      assertTrue(a.created());
      assertFalse(b.created());
    } finally {
      MappedFile.unlinkSharedMemory(name);
    }
    Path p = dir.resolve("created.bin");
    try (MappedFile a = MappedFile.open(p, MapMode.READ_WRITE, 10);
        MappedFile b = MappedFile.open(p, MapMode.READ_WRITE, 10);
        MappedFile c = MappedFile.open(p, MapMode.READ_ONLY);
        MappedFile d = MappedFile.anonymous(4096)) {
      assertTrue(a.created());
      assertFalse(b.created());
      assertFalse(c.created());
      assertTrue(d.created());
    }
  }

  @Test
  void an_object_open_to_others_is_refused_unless_allowed() throws Exception {
    String name = MappedFileTest.shmName("squat");
    Path obj = Path.of("/dev/shm", name);
    try (MappedFile squatter = MappedFile.createSharedMemory(name, 4096)) {
      Files.setPosixFilePermissions(obj, PosixFilePermissions.fromString("rw-rw-rw-"));
      for (Executable open :
          List.<Executable>of(
              () -> MappedFile.sharedMemory(name, 4096).close(),
              () -> MappedFile.openSharedMemory(name).close(),
              () -> MappedFile.openSharedMemory(name, MapMode.READ_ONLY).close())) {
        AccessDeniedException e = assertThrows(AccessDeniedException.class, open);
        assertEquals(name, e.getFile());
        assertTrue(e.getMessage().contains("0666"), e.getMessage());
        assertTrue(e.getMessage().contains("ALLOW_FOREIGN"), e.getMessage());
      }
      try (MappedFile ok = MappedFile.sharedMemory(name, 8192, ShmOption.ALLOW_FOREIGN);
          MappedView v = ok.map()) {
        assertFalse(ok.created());
        v.putInt(0, 7);
      }
      assertEquals(8192, Files.size(obj));
    } finally {
      MappedFile.unlinkSharedMemory(name);
    }
  }

  @Test
  void an_object_of_another_user_is_refused_unless_allowed() throws Exception {
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root to chown");
    String name = MappedFileTest.shmName("foreign");
    Path obj = Path.of("/dev/shm", name);
    try (MappedFile f = MappedFile.createSharedMemory(name, 4096)) {
      Files.setAttribute(obj, "unix:uid", 65534); // mode stays 0600: only the owner differs
      AccessDeniedException e =
          assertThrows(AccessDeniedException.class, () -> MappedFile.sharedMemory(name, 4096));
      assertTrue(e.getMessage().contains("uid 65534"), e.getMessage());
      assertEquals(4096, Files.size(obj)); // refused before any grow
      try (MappedFile ok = MappedFile.openSharedMemory(name, MapMode.READ_ONLY,
          ShmOption.ALLOW_FOREIGN)) {
        assertEquals(4096, ok.size());
      }
    } finally {
      MappedFile.unlinkSharedMemory(name);
    }
  }
}
