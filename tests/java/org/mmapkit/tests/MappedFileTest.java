package org.mmapkit.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmapkit.FileRangeLock;
import org.mmapkit.MapMode;
import org.mmapkit.MappedFile;
import org.mmapkit.MappedView;

class MappedFileTest {
  @TempDir Path dir;

  static String shmName(String what) {
    return "mmk-java-" + what + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
  }

  @Test
  void open_missing_file_is_NoSuchFileException_with_path_and_operation() {
    Path p = dir.resolve("missing.bin");
    NoSuchFileException e =
        assertThrows(NoSuchFileException.class, () -> MappedFile.open(p, MapMode.READ_ONLY));
    assertEquals(p.toString(), e.getFile());
    assertTrue(e.getMessage().contains("open"), e.getMessage());
    assertTrue(e.getMessage().contains("No such file"), e.getMessage());
  }

  @Test
  void open_unreadable_file_is_AccessDeniedException() throws IOException {
    Path p = dir.resolve("secret.bin");
    Files.write(p, new byte[10]);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("---------"));
    // root reads anything; exclusive_lock_on_read_only_handle_is_AccessDenied covers EACCES there.
    Assumptions.assumeFalse(Files.isReadable(p), "running as root");
    AccessDeniedException e =
        assertThrows(AccessDeniedException.class, () -> MappedFile.open(p, MapMode.READ_ONLY));
    assertEquals(p.toString(), e.getFile());
  }

  @Test
  void directory_is_an_IOException_naming_it() {
    FileSystemException e =
        assertThrows(FileSystemException.class, () -> MappedFile.open(dir, MapMode.READ_ONLY));
    assertEquals(dir.toString(), e.getFile());
    assertTrue(e.getMessage().toLowerCase().contains("directory"), e.getMessage());
  }

  @Test
  void create_truncates_and_sizes_exactly() throws IOException {
    Path p = dir.resolve("c.bin");
    Files.write(p, new byte[50_000]);
    try (MappedFile f = MappedFile.create(p, 1234)) {
      assertEquals(1234, f.size());
      assertEquals(MapMode.READ_WRITE, f.mode());
      assertEquals(p.toString(), f.name());
    }
    assertEquals(1234, Files.size(p));
  }

  @Test
  void open_read_write_with_size_creates_and_grows_but_never_shrinks() throws IOException {
    Path p = dir.resolve("g.bin");
    try (MappedFile f = MappedFile.open(p, MapMode.READ_WRITE, 100)) {
      assertEquals(100, f.size());
    }
    try (MappedFile f = MappedFile.open(p, MapMode.READ_WRITE, 50)) {
      assertEquals(100, f.size());
    }
    try (MappedFile f = MappedFile.open(p, MapMode.READ_WRITE, 5000)) {
      assertEquals(5000, f.size());
    }
  }

  @Test
  void size_with_another_mode_is_IllegalArgumentException() {
    Path p = dir.resolve("x.bin");
    assertThrows(IllegalArgumentException.class, () -> MappedFile.open(p, MapMode.READ_ONLY, 10));
    assertThrows(IllegalArgumentException.class, () -> MappedFile.open(p, MapMode.PRIVATE, 10));
    assertThrows(IllegalArgumentException.class, () -> MappedFile.create(p, -1));
    assertFalse(Files.exists(p));
  }

  @Test
  void map_past_end_grows_writable_file_to_exactly_offset_plus_length() throws IOException {
    Path p = dir.resolve("grow.bin");
    try (MappedFile f = MappedFile.create(p, 10);
        MappedView v = f.map(4097, 100)) {
      assertEquals(4197, f.size());
      assertEquals(100, v.size());
      assertEquals(4097, v.offset());
    }
    assertEquals(4197, Files.size(p));
  }

  @Test
  void map_past_end_read_only_or_private_is_IndexOutOfBounds() throws IOException {
    Path p = dir.resolve("ro.bin");
    Files.write(p, new byte[100]);
    for (MapMode m : new MapMode[] {MapMode.READ_ONLY, MapMode.PRIVATE}) {
      try (MappedFile f = MappedFile.open(p, m)) {
        assertThrows(IndexOutOfBoundsException.class, () -> f.map(50, 51));
        assertThrows(IndexOutOfBoundsException.class, () -> f.map(101));
        assertEquals(100, f.size());
      }
    }
  }

  @Test
  void negative_offset_or_length_is_IllegalArgumentException() throws IOException {
    try (MappedFile f = MappedFile.create(dir.resolve("n.bin"), 100)) {
      assertThrows(IllegalArgumentException.class, () -> f.map(-1, 10));
      assertThrows(IllegalArgumentException.class, () -> f.map(0, -10));
      assertThrows(IllegalArgumentException.class, () -> f.resize(-1));
      assertThrows(IllegalArgumentException.class, () -> f.lock(-1, 1, true));
    }
  }

  @Test
  void empty_file_maps_to_an_empty_view() throws IOException {
    Path p = dir.resolve("empty.bin");
    Files.write(p, new byte[0]);
    try (MappedFile f = MappedFile.open(p, MapMode.READ_ONLY);
        MappedView v = f.map()) {
      assertEquals(0, v.size());
      assertEquals(0, v.asByteBuffer().capacity());
      assertThrows(IndexOutOfBoundsException.class, () -> v.get(0));
      v.get(0, new byte[0]);
    }
  }

  @Test
  void resize_grows_and_shrinks_and_read_only_refuses() throws IOException {
    Path p = dir.resolve("r.bin");
    try (MappedFile f = MappedFile.create(p, 100)) {
      f.resize(10_000);
      assertEquals(10_000, f.size());
      f.resize(10);
      assertEquals(10, Files.size(p));
    }
    try (MappedFile f = MappedFile.open(p, MapMode.READ_ONLY)) {
      assertThrows(AccessDeniedException.class, () -> f.resize(20));
    }
  }

  @Test
  void closed_file_throws_IllegalStateException_and_views_survive() throws IOException {
    Path p = dir.resolve("cl.bin");
    MappedFile f = MappedFile.create(p, 4096);
    MappedView v = f.map();
    f.close();
    f.close(); // idempotent
    assertTrue(f.isClosed());
    assertThrows(IllegalStateException.class, f::size);
    assertThrows(IllegalStateException.class, () -> f.map());
    assertThrows(IllegalStateException.class, () -> f.lock(0, 1, true));
    v.putInt(0, 7); // the mapping outlives the descriptor
    assertEquals(7, v.getInt(0));
    v.close();
  }

  @Test
  void shared_memory_create_open_exclusive_unlink() throws IOException {
    String name = shmName("shm");
    try (MappedFile a = MappedFile.createSharedMemory(name, 4096)) {
      assertEquals(4096, a.size());
      assertThrows(FileAlreadyExistsException.class, () -> MappedFile.createSharedMemory(name, 10));
      try (MappedFile b = MappedFile.openSharedMemory(name);
          MappedView va = a.map();
          MappedView vb = b.map()) {
        va.putLong(16, 0xCAFEL);
        assertEquals(0xCAFEL, vb.getLong(16)); // same memory
      }
      try (MappedFile c = MappedFile.sharedMemory(name, 8192)) { // grows an existing one
        assertEquals(8192, c.size());
      }
      try (MappedFile d = MappedFile.sharedMemory(name, 10)) { // never shrinks
        assertEquals(8192, d.size());
      }
    } finally {
      MappedFile.unlinkSharedMemory(name);
    }
    assertThrows(NoSuchFileException.class, () -> MappedFile.openSharedMemory(name));
    assertThrows(NoSuchFileException.class, () -> MappedFile.unlinkSharedMemory(name));
  }

  @Test
  void shared_memory_is_owner_only() throws IOException {
    String name = shmName("perm");
    try (MappedFile a = MappedFile.createSharedMemory(name, 100)) {
      Path dev = Path.of("/dev/shm", name);
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dev)));
    } finally {
      MappedFile.unlinkSharedMemory(name);
    }
  }

  @Test
  void bad_shared_memory_names_are_IllegalArgumentException() {
    for (String bad : new String[] {"", ".hidden", "a/b", "sp ace", "x".repeat(201), "é"}) {
      assertThrows(
          IllegalArgumentException.class, () -> MappedFile.sharedMemory(bad, 10), "name " + bad);
      assertThrows(IllegalArgumentException.class, () -> MappedFile.openSharedMemory(bad));
    }
  }

  @Test
  void anonymous_memory_is_shared_between_its_views() throws IOException {
    try (MappedFile f = MappedFile.anonymous(1 << 20);
        MappedView a = f.map();
        MappedView b = f.map(4096, 8192)) {
      assertEquals(1 << 20, f.size());
      a.putLong(4096 + 8, -5L);
      assertEquals(-5L, b.getLong(8));
      assertEquals("", f.name());
    }
    assertThrows(IllegalArgumentException.class, () -> MappedFile.anonymous(0));
  }

  /** This process's descriptors that name something under {@code under}. */
  static long fdsUnder(Path under) throws IOException {
    long n = 0;
    try (var s = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : (Iterable<Path>) s::iterator) {
        try {
          n += Files.readSymbolicLink(fd).startsWith(under) ? 1 : 0;
        } catch (IOException gone) {
          // closed meanwhile (the listing's own descriptor, a JVM thread's file)
        }
      }
    }
    return n;
  }

  /** Lines of /proc/self/maps that map something under {@code under}. */
  static long mapsUnder(Path under) throws IOException {
    String u = under.toString();
    return Files.readAllLines(Path.of("/proc/self/maps")).stream()
        .filter(l -> l.contains(u)).count();
  }

  @Test
  void no_descriptor_or_mapping_leaks_on_success_or_failure() throws IOException {
    Path p = dir.resolve("leak.bin");
    Files.write(p, new byte[8192]);
    Path missing = dir.resolve("missing");
    // Warm up class loading and the library before counting.
    try (MappedFile f = MappedFile.open(p, MapMode.READ_ONLY); MappedView v = f.map()) {
      v.get(0);
    }
    // Only what names the test's directory is counted: the JVM's own descriptors and mappings
    // (JIT, GC, threads) come and go, most under qemu, and made a total count flaky there.
    Path real = dir.toRealPath(); // what /proc names
    assertEquals(0, fdsUnder(real), "descriptors open before the loop");
    assertEquals(0, mapsUnder(real), "mappings before the loop");
    for (int i = 0; i < 500; i++) {
      try (MappedFile f = MappedFile.open(p, MapMode.READ_WRITE);
          MappedView v = f.map(i, 100)) {
        v.putInt(0, i);
      }
      assertThrows(NoSuchFileException.class, () -> MappedFile.open(missing, MapMode.READ_ONLY));
      assertThrows(FileSystemException.class, () -> MappedFile.open(dir, MapMode.READ_ONLY));
      try (MappedFile f = MappedFile.open(p, MapMode.READ_ONLY)) {
        assertThrows(IndexOutOfBoundsException.class, () -> f.map(0, 9000));
      }
    }
    assertEquals(0, fdsUnder(real), "descriptors leaked");
    assertEquals(0, mapsUnder(real), "mappings leaked");
  }

  @Test
  void locks_conflict_between_two_handles_in_one_process() throws IOException {
    Path p = dir.resolve("lock.bin");
    try (MappedFile a = MappedFile.create(p, 4096);
        MappedFile b = MappedFile.open(p, MapMode.READ_WRITE)) {
      try (FileRangeLock l = a.lock(0, 100, false)) {
        assertTrue(l.isValid());
        assertNull(b.tryLock(0, 10, false));
        assertNull(b.tryLock(50, 10, true));
        FileRangeLock other = b.tryLock(100, 10, false); // disjoint range
        assertNotNull(other);
        other.close();
      }
      FileRangeLock again = b.tryLock(0, 100, false);
      assertNotNull(again);
      again.close();
      // Shared locks coexist.
      try (FileRangeLock s1 = a.lock(0, 0, true);
          FileRangeLock s2 = b.tryLock(0, 0, true)) {
        assertNotNull(s2);
        assertNull(b.tryLock(0, 1, false) == null ? null : "unexpected");
      }
    }
  }

  @Test
  void closing_a_handle_releases_its_locks() throws IOException {
    Path p = dir.resolve("lock2.bin");
    try (MappedFile b = MappedFile.create(p, 4096)) {
      MappedFile a = MappedFile.open(p, MapMode.READ_WRITE);
      FileRangeLock l = a.lock(0, 10, false);
      assertNull(b.tryLock(0, 10, false));
      a.close();
      assertFalse(l.isValid());
      l.close(); // no-op once the handle is closed
      FileRangeLock mine = b.tryLock(0, 10, false);
      assertNotNull(mine);
      mine.close();
    }
  }

  @Test
  void exclusive_lock_on_read_only_handle_is_AccessDenied() throws IOException {
    Path p = dir.resolve("lock3.bin");
    Files.write(p, new byte[10]);
    try (MappedFile f = MappedFile.open(p, MapMode.READ_ONLY)) {
      assertThrows(AccessDeniedException.class, () -> f.lock(0, 10, false));
      f.lock(0, 10, true).close();
    }
  }
}
