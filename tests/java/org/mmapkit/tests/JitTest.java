package org.mmapkit.tests;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * How the JIT compiles the typed accessors, read from C2's own inlining report in a child JVM
 * (no timing): a loop over view.getLong must inline it whatever the process did before.
 */
class JitTest {
  @Test
  void getLong_is_inlined_into_a_scan_after_thousands_of_first_reads() throws Exception {
    String out = Jvm.run(
        List.of("-XX:+UnlockDiagnosticVMOptions", "-XX:+PrintCompilation", "-XX:+PrintInlining"),
        "scan-after-churn", "3000");
    assertTrue(out.contains("OK scanned"), out);
    // Inlining lines of the scan loop's compilations (PrintInlining nests them under it).
    List<String> getLong = Arrays.stream(out.split("\n"))
        .filter(l -> l.contains("org.mmapkit.MappedView::getLong (") && l.contains("@ "))
        .collect(Collectors.toList());
    String report = String.join("\n", getLong);
    assertFalse(report.contains("already compiled into a big method"), report);
    assertTrue(report.contains("inline (hot)"), report);
  }
}
