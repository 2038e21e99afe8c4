package org.mmapkit.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

  private static long vmLockedKib() throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (l.startsWith("VmLck:")) {
        return Long.parseLong(l.replaceAll("[^0-9]", ""));
      }
    }
    throw new AssertionError("no VmLck in /proc/self/status");
  }

  @Test
  void lockMemory_locks_the_views_pages_and_unlockMemory_lets_them_go() throws IOException {
    long size = 13 * 4096; // small: RLIMIT_MEMLOCK is often 8 MiB
    try (MappedFile f = MappedFile.create(dir.resolve("lock.bin"), size);
        MappedView v = f.map()) {
      long before = vmLockedKib();
      v.lockMemory();
      assertEquals(before + size / 1024, vmLockedKib());
      assertTrue(v.isLoaded(), "locked pages are resident");
      v.unlockMemory();
      assertEquals(before, vmLockedKib());
    }
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
      v.advise(Advice.DONTNEED);
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
