package org.mmapkit;

/** Access-pattern advice for a range of a view ({@code madvise}). */
public enum Advice {
  /** No special treatment. */
  NORMAL(0),
  /** Pages will be read in order: read ahead aggressively. */
  SEQUENTIAL(1),
  /** Pages will be read in random order: read ahead less. */
  RANDOM(2),
  /** Pages will be needed soon: start reading them now. */
  WILLNEED(3),
  /**
   * Pages are not needed now: drop them. Their content comes back from the file: on a {@link
   * MapMode#PRIVATE} view that discards the view's own changes in the range (Linux; Windows
   * refuses it there with UnsupportedOperationException).
   */
  DONTNEED(4),
  /** Back the range with transparent huge pages where the system has them. */
  HUGEPAGE(5);

  final int code;

  Advice(int code) {
    this.code = code;
  }
}
