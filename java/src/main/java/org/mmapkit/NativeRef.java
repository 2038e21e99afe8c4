package org.mmapkit;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A native handle shared by the threads that use it and the one that closes it.
 *
 * <p>The core forbids calls that race with the close of the same object, so every native call
 * brackets itself with {@link #acquire()} / {@link #release()}; {@link #close()} marks the handle
 * closed at once (new calls fail with IllegalStateException) and the last user out runs the native
 * close. State: number of users times two, plus one once closed.
 */
final class NativeRef {
  /** Runs the native close of a handle. */
  interface Closer {
    void close(long ptr) throws IOException;
  }

  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(NativeRef.class, "state", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final long ptr;
  private final String what;
  private final Closer closer;
  @SuppressWarnings("unused") // accessed through STATE
  private volatile long state;

  NativeRef(long ptr, String what, Closer closer) {
    this.ptr = ptr;
    this.what = what;
    this.closer = closer;
  }

  /** Registers a user; throws IllegalStateException once closed. */
  long acquire() {
    for (; ; ) {
      long s = state;
      if ((s & 1) != 0) {
        throw new IllegalStateException(what + " is closed");
      }
      if (STATE.compareAndSet(this, s, s + 2)) {
        return ptr;
      }
    }
  }

  /** Unregisters a user; the last one out after close() runs the native close. */
  void release() {
    long s = (long) STATE.getAndAdd(this, -2L) - 2;
    if (s == 1) {
      try {
        closer.close(ptr);
      } catch (IOException | RuntimeException e) {
        // Deferred close: nobody is left to report it to; the handle is freed anyway.
      }
    }
  }

  boolean isClosed() {
    return (state & 1) != 0;
  }

  /**
   * Closes: at once if nobody uses the handle, else when the last user releases it.
   *
   * @return false if it was already closed
   * @throws IOException from the native close when it ran here
   */
  boolean close() throws IOException {
    for (; ; ) {
      long s = state;
      if ((s & 1) != 0) {
        return false;
      }
      if (STATE.compareAndSet(this, s, s | 1)) {
        if (s == 0) {
          closer.close(ptr);
        }
        return true;
      }
    }
  }

  /** close() for cleaners, which cannot report errors. */
  void closeQuietly() {
    try {
      close();
    } catch (IOException | RuntimeException e) {
      // The handle is freed anyway; a cleaner has nobody to tell.
    }
  }

  String what() {
    return what;
  }
}
