package org.mmapkit.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmapkit.MapMode;
import org.mmapkit.MappedFile;
import org.mmapkit.MappedView;

/** MappedFile.of(FileChannel | FileDescriptor): what the caller already opened (issue 18). */
class FromChannelTest {
  static final boolean LINUX = System.getProperty("os.name").startsWith("Linux");

  @TempDir Path dir;

  static byte[] pattern(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i * 13 + 5);
    }
    return b;
  }

  static byte[] read(MappedView v, long off, int n) {
    byte[] b = new byte[n];
    v.get(off, b);
    return b;
  }

  @Test
  void unlinked_file_maps_after_the_channel_is_closed() throws IOException {
    Path p = dir.resolve("gone.bin");
    Files.write(p, pattern(10_000));
    FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
    Files.delete(p);
    try (MappedFile f = MappedFile.of(ch, MapMode.READ_WRITE)) {
      ch.close();
      if (LINUX) {
        assertTrue(f.name().endsWith("gone.bin (deleted)"), f.name());
      }
      assertEquals(10_000, f.size());
      try (MappedView v = f.map()) {
        assertArrayEquals(pattern(10_000), read(v, 0, 10_000));
        v.put(100, "kept".getBytes(StandardCharsets.US_ASCII));
        assertEquals("kept", new String(read(v, 100, 4), StandardCharsets.US_ASCII));
      }
      f.resize(20_000); // the unlinked file still grows
      assertEquals(20_000, f.size());
    }
  }

  @Test
  void delete_on_close_channel_is_the_anonymous_temporary_file_idiom() throws IOException {
    Path p = dir.resolve("tmp.bin");
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.READ, StandardOpenOption.WRITE,
            StandardOpenOption.DELETE_ON_CLOSE);
        MappedFile f = MappedFile.of(ch, MapMode.READ_WRITE);
        MappedView v = f.map(0, 4096)) { // grows the empty file, as for a path
      v.putLong(8, 0x1122334455667788L);
      ByteBuffer b = ByteBuffer.allocate(8).order(java.nio.ByteOrder.nativeOrder());
      assertEquals(8, ch.read(b, 8)); // the channel sees the mapped write
      assertEquals(0x1122334455667788L, b.flip().getLong());
    }
    assertFalse(Files.exists(p));
  }

  @Test
  void the_owner_closes_right_after_mapping_and_close_never_closes_the_channel()
      throws IOException {
    Path p = dir.resolve("owner.bin");
    Files.write(p, pattern(8192));
    FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
    MappedFile f = MappedFile.of(ch, MapMode.READ_WRITE);
    f.close();
    assertTrue(ch.isOpen());
    ByteBuffer b = ByteBuffer.allocate(4);
    assertEquals(4, ch.read(b, 0)); // the caller's descriptor still works
    assertArrayEquals(new byte[] {5, 18, 31, 44}, b.array());
    f = MappedFile.of(ch, MapMode.READ_WRITE);
    try (MappedView v = f.map()) {
      ch.close();
      f.close();
      v.put(0, new byte[] {9, 9});
    }
    assertArrayEquals(new byte[] {9, 9}, java.util.Arrays.copyOf(Files.readAllBytes(p), 2));
  }

  /** channel.lock() is process-owned, the MappedFile's locks are its own: they conflict. */
  @Test
  void a_channel_lock_and_the_mapped_files_lock_exclude_each_other() throws IOException {
    Path p = dir.resolve("locks.bin");
    Files.write(p, pattern(4096));
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        MappedFile f = MappedFile.of(ch, MapMode.READ_WRITE)) {
      java.nio.channels.FileLock l = ch.tryLock(0, 100, false);
      assertTrue(l != null);
      assertEquals(null, f.tryLock(0, 100, false));
      l.release();
      try (org.mmapkit.FileRangeLock r = f.tryLock(0, 100, false)) {
        assertTrue(r != null);
        assertEquals(null, ch.tryLock(0, 100, false));
      }
    }
  }

  @Test
  void a_file_descriptor_maps_with_the_same_lifetime_rule() throws IOException {
    Path p = dir.resolve("raf.bin");
    Files.write(p, pattern(5000));
    MappedFile f;
    try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
      f = MappedFile.of(raf.getFD(), MapMode.READ_WRITE);
    }
    try (f; MappedView v = f.map()) {
      assertArrayEquals(pattern(5000), read(v, 0, 5000));
      assertEquals(MapMode.READ_WRITE, f.mode());
      assertFalse(f.created());
    }
    FileSystemException e = assertThrows(FileSystemException.class,
        () -> MappedFile.of(new FileDescriptor(), MapMode.READ_ONLY));
    assertEquals("fd -1 (no path)", e.getFile());
  }

  @Test
  void read_only_channel_asked_for_read_write_is_AccessDenied_naming_the_file()
      throws IOException {
    Path p = dir.resolve("ro.bin");
    Files.write(p, pattern(4096));
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
      AccessDeniedException e = assertThrows(AccessDeniedException.class,
          () -> MappedFile.of(ch, MapMode.READ_WRITE));
      assertTrue(e.getFile().endsWith("ro.bin"), e.getFile());
      assertTrue(e.getMessage().contains("from_fd"), e.getMessage());
      for (MapMode m : new MapMode[] {MapMode.READ_ONLY, MapMode.PRIVATE}) {
        try (MappedFile f = MappedFile.of(ch, m); MappedView v = f.map()) {
          assertArrayEquals(pattern(4096), read(v, 0, 4096));
        }
      }
    }
    try (FileOutputStream out = new FileOutputStream(p.toFile(), true)) {
      for (MapMode m : MapMode.values()) {
        AccessDeniedException e = assertThrows(AccessDeniedException.class,
            () -> MappedFile.of(out.getChannel(), m));
        assertTrue(e.getMessage().contains("write-only"), e.getMessage());
      }
    }
  }

  @Test
  void directory_fifo_and_device_channels_are_refused_saying_what_they_are()
      throws Exception {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      FileSystemException e = assertThrows(FileSystemException.class,
          () -> MappedFile.of(ch, MapMode.READ_ONLY));
      assertTrue(e.getMessage().toLowerCase().contains("directory"), e.getMessage());
    }
    Path fifo = dir.resolve("fifo");
    Process mk = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
    assertTrue(mk.waitFor(30, TimeUnit.SECONDS) && mk.exitValue() == 0);
    // "rw" is O_RDWR: a FIFO opens so without waiting for a peer (Linux)
    try (RandomAccessFile raf = new RandomAccessFile(fifo.toFile(), "rw")) {
      for (MapMode m : MapMode.values()) {
        FileSystemException e = assertThrows(FileSystemException.class,
            () -> MappedFile.of(raf.getChannel(), m));
        assertTrue(e.getMessage().contains("a pipe or FIFO"), e.getMessage());
      }
    }
    try (RandomAccessFile raf = new RandomAccessFile("/dev/null", "rw")) {
      FileSystemException e = assertThrows(FileSystemException.class,
          () -> MappedFile.of(raf.getFD(), MapMode.READ_WRITE));
      assertEquals("/dev/null", e.getFile());
      assertTrue(e.getMessage().contains("a character device"), e.getMessage());
    }
  }

  /** A pipe: the standard input of a child JVM started by ProcessBuilder is one. */
  @Test
  void a_pipe_descriptor_is_refused_without_blocking() throws Exception {
    Process p = new ProcessBuilder(Jvm.java(), "-Xmx64m", "-cp", Jvm.classpath(),
        PipeChild.class.getName()).redirectErrorStream(true).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child hung");
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("REFUSED java.nio.file.FileSystemException"), out);
    assertTrue(out.contains("a pipe or FIFO"), out);
    if (LINUX) {
      assertTrue(out.contains("pipe:["), out);
    }
  }

  /** In the child: maps its own standard input, a pipe. */
  public static final class PipeChild {
    public static void main(String[] args) {
      try (MappedFile f = MappedFile.of(FileDescriptor.in, MapMode.READ_ONLY)) {
        System.out.println("ACCEPTED " + f.name());
      } catch (IOException e) {
        System.out.println("REFUSED " + e.getClass().getName() + ": " + e.getMessage());
      }
    }
  }

  @Test
  void closed_channel_and_foreign_channel_implementations() throws IOException {
    Path p = dir.resolve("c.bin");
    Files.write(p, pattern(100));
    FileChannel ch = FileChannel.open(p, StandardOpenOption.READ);
    ch.close();
    assertThrows(ClosedChannelException.class, () -> MappedFile.of(ch, MapMode.READ_ONLY));
    // zipfs makes FileChannels of its own, with no descriptor behind them
    Path zip = dir.resolve("a.zip");
    try (FileSystem zfs = FileSystems.newFileSystem(
        URI.create("jar:" + zip.toUri()), Map.of("create", "true"))) {
      Path inner = zfs.getPath("inner.bin");
      Files.write(inner, pattern(100));
      try (FileChannel zc = FileChannel.open(inner, StandardOpenOption.READ)) {
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
            () -> MappedFile.of(zc, MapMode.READ_ONLY));
        assertTrue(e.getMessage().contains(zc.getClass().getName()), e.getMessage());
      }
    }
    assertThrows(NullPointerException.class,
        () -> MappedFile.of((FileChannel) null, MapMode.READ_ONLY));
  }
}
