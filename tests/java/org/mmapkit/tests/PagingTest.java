package org.mmapkit.tests;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmapkit.Advice;
import org.mmapkit.MapMode;
import org.mmapkit.MapOption;
import org.mmapkit.MappedFile;
import org.mmapkit.MappedView;

/**
 * What the kernel does with a view's pages: locking, huge-page advice and dropping them, each
 * observed in /proc/self (smaps flags, VmLck) or in the data, not only "the call returned".
 */
class PagingTest {
  @TempDir Path dir;

  /** VmFlags of every mapping exactly {@code bytes} long, one string per mapping. */
  private static List<String> flagsOfRangesSized(long bytes) throws IOException {
    List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
    List<String> out = new java.util.ArrayList<>();
    long len = -1;
    for (String l : lines) {
      int dash = l.indexOf('-');
      int sp = l.indexOf(' ');
      if (dash > 0 && sp > dash && l.substring(0, dash).matches("[0-9a-f]+")) {
        len = Long.parseUnsignedLong(l.substring(dash + 1, sp), 16)
            - Long.parseUnsignedLong(l.substring(0, dash), 16);
      } else if (l.startsWith("VmFlags:") && len == bytes) {
        out.add(l);
      }
    }
    return out;
  }

  /** Rss of this process's mappings of {@code file} (smaps), in KiB. */
  private static long rssKibOf(Path file) throws IOException {
    long kib = 0;
    boolean in = false;
    for (String l : Files.readAllLines(Path.of("/proc/self/smaps"))) {
      int dash = l.indexOf('-');
      if (dash > 0 && l.substring(0, dash).matches("[0-9a-f]+")) {
        in = l.endsWith(" " + file);
      } else if (in && l.startsWith("Rss:")) {
        kib += Long.parseLong(l.replaceAll("[^0-9]", ""));
      }
    }
    return kib;
  }

  @Test
  void lockMemory_locks_the_views_pages_and_unlockMemory_lets_them_go() throws IOException {
    long size = 13 * 4096; // small: RLIMIT_MEMLOCK is often 8 MiB
    try (MappedFile f = MappedFile.create(dir.resolve("lock.bin"), size);
        MappedView v = f.map()) {
      long before = Child.vmLockedKib();
      v.lockMemory();
      assertEquals(before + size / 1024, Child.vmLockedKib());
      assertTrue(v.isLoaded(), "locked pages are resident");
      v.unlockMemory();
      assertEquals(before, Child.vmLockedKib());
    }
  }

  /** Whether this process may lock memory past RLIMIT_MEMLOCK (CAP_IPC_LOCK, bit 14). */
  private static boolean capIpcLock() throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (l.startsWith("CapEff:")) {
        return (Long.parseUnsignedLong(l.substring(7).trim(), 16) & (1L << 14)) != 0;
      }
    }
    return false;
  }

  @Test
  void lockMemory_past_RLIMIT_MEMLOCK_is_an_IOException_naming_mlock_and_the_file()
      throws Exception {
    // A child with a 64 KiB limit (prlimit) and, if this process has it, without CAP_IPC_LOCK
    // (setpriv: root would lock past any limit), locks a 1 MiB view, then a 4 KiB one.
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/prlimit")), "no prlimit");
    List<String> prefix = new java.util.ArrayList<>(
        List.of("/usr/bin/prlimit", "--memlock=65536:65536", "--"));
    if (capIpcLock()) {
      assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "no setpriv to drop the cap");
      prefix.addAll(List.of("/usr/bin/setpriv", "--bounding-set=-ipc_lock", "--"));
    }
    Path p = dir.resolve("over-limit.bin");
    ProcessBuilder b = Jvm.builder(List.of(), "mlock-limit", p.toString(), "" + (1 << 20));
    b.command().addAll(0, prefix);
    Process child = b.start();
    String out = new String(child.getInputStream().readAllBytes(), UTF_8);
    assertTrue(child.waitFor(120, TimeUnit.SECONDS), "child timed out");
    assertEquals(0, child.exitValue(), out);
    // The documented refusal: an IOException with the call, the core status and the file ...
    assertTrue(out.contains("OK refused "), out);
    String refusal = out.substring(out.indexOf("OK refused ")).split("\n")[0];
    assertTrue(refusal.contains("mlock") && refusal.contains("MMK_ENOMEM"), refusal);
    assertTrue(refusal.contains(p.toString()), refusal);
    assertEquals(refusal.indexOf(p.toString()), refusal.lastIndexOf(p.toString()),
        "the path once: " + refusal);
    // ... that leaves nothing locked; and the limit, not mlock itself, refused it.
    assertTrue(out.contains("OK 0 KiB locked after the refusal"), out);
    assertTrue(out.contains("OK small locked, 4 KiB"), out);
  }

  @Test
  void hugepage_option_and_advice_mark_the_range_for_huge_pages() throws IOException {
    assumeTrue(Files.exists(Path.of("/sys/kernel/mm/transparent_hugepage/enabled")),
        "no transparent huge pages in this kernel");
    long size = (8L << 20) + 3 * 4096; // an odd length: easy to find in smaps
    try (MappedFile f = MappedFile.anonymous(size)) {
      try (MappedView plain = f.map()) {
        List<String> flags = flagsOfRangesSized(size);
        assertFalse(flags.isEmpty(), "the view's range is in smaps");
        assertTrue(flags.stream().noneMatch(l -> l.contains(" hg")), flags.toString());
        plain.advise(Advice.HUGEPAGE); // "hg": VM_HUGEPAGE, madvise(MADV_HUGEPAGE)
        assertTrue(flagsOfRangesSized(size).stream().anyMatch(l -> l.contains(" hg")),
            flagsOfRangesSized(size).toString());
      }
      try (MappedView huge = f.map(0, size, MapOption.HUGEPAGE)) {
        assertTrue(flagsOfRangesSized(size).stream().anyMatch(l -> l.contains(" hg")),
            flagsOfRangesSized(size).toString());
        huge.putLong(size - 8, 5);
        assertEquals(5, huge.getLong(size - 8));
      }
    }
  }

  @Test
  void dontneed_drops_private_changes_and_keeps_shared_ones() throws IOException {
    Path p = dir.resolve("dontneed.bin");
    try (MappedFile f = MappedFile.create(p, 4 * 4096);
        MappedView v = f.map()) {
      v.putLong(4096, 7); // shared: in the file
      for (long i = 0; i < v.size(); i += 4096) {
        v.get(i); // every page mapped in: Rss 16 KiB
      }
      assertEquals(16, rssKibOf(p), "the view's pages are mapped in");
      v.advise(Advice.DONTNEED);
      assertEquals(0, rssKibOf(p), "DONTNEED took the pages out of this process");
      assertEquals(7, v.getLong(4096), "a shared page comes back from the file");
    }
    try (MappedFile f = MappedFile.open(p, MapMode.PRIVATE);
        MappedView v = f.map()) {
      v.putLong(4096, 9); // copy-on-write: only in this process
      assertEquals(9, v.getLong(4096));
      v.advise(Advice.DONTNEED, 4096, 4096);
      assertEquals(7, v.getLong(4096), "the private copy is dropped: the file's value again");
    }
  }
}
