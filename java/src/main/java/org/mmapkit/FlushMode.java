package org.mmapkit;

/** Durability of {@link MappedView#force(long, long, FlushMode)}. */
public enum FlushMode {
  /** Schedule the write-back and return at once ({@code msync(MS_ASYNC)}). */
  ASYNC(0),
  /** Written to the device before the call returns ({@code msync(MS_SYNC)}). */
  SYNC(1),
  /** SYNC plus the file's metadata and the drive cache ({@code fsync}). */
  FULL(2);

  final int code;

  FlushMode(int code) {
    this.code = code;
  }
}
