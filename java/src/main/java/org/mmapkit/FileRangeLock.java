package org.mmapkit;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A byte-range lock held by a {@link MappedFile} handle; {@link #close()} releases it. Returned by
 * {@link MappedFile#lock(long, long, boolean)} and {@link MappedFile#tryLock(long, long,
 * boolean)}.
 */
public final class FileRangeLock implements AutoCloseable {
  private final MappedFile file;
  private final long offset;
  private final long length;
  private final boolean shared;
  private volatile boolean released;

  FileRangeLock(MappedFile file, long offset, long length, boolean shared) {
    this.file = file;
    this.offset = offset;
    this.length = length;
    this.shared = shared;
  }

  /** @return the first locked byte */
  public long offset() {
    return offset;
  }

  /** @return the locked length (0 = to any end of file) */
  public long length() {
    return length;
  }

  /** @return true for a shared lock */
  public boolean isShared() {
    return shared;
  }

  /** @return false once released or once its file handle is closed */
  public boolean isValid() {
    return !released && !file.isClosed();
  }

  /** Releases the lock. Idempotent; a no-op once the file handle is closed. */
  @Override
  public void close() {
    if (released) {
      return;
    }
    released = true;
    try {
      file.unlock(offset, length);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return "FileRangeLock[" + offset + "+" + length + (shared ? ", shared" : ", exclusive")
        + (isValid() ? "]" : ", released]");
  }
}
