package org.mmapkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;
import org.mmapkit.ViewMemory.Raw;
import org.mmapkit.ViewMemory.Windows;
import org.mmapkit.internal.NativeCore;
import org.mmapkit.internal.NativeCoreConstants;

/**
 * One mapped region {@code [offset, offset+size)} of a {@link MappedFile}: the zero-copy object.
 *
 * <p>Indexes given to a view's methods are relative to the view and are {@code long}s, so views
 * may be larger than 2 GiB. Typed accessors use the platform's native byte order (so C, Python,
 * Java and .NET agree on shared memory) and run as Java code over direct ByteBuffers (no native
 * call per access). Bulk {@code get}/{@code put} go through the core's fault-safe copy: a fault
 * in mapped memory (for instance the file was truncated) is a {@link FaultException} from that
 * call.
 *
 * <p>Typed accessors, buffers from {@link #asByteBuffer()} and the VarHandle atomics ({@link
 * #getAndAddLong}, {@link #compareAndSetLong}, ...) behave as the JDK documents for a
 * MappedByteBuffer whose file is truncated: "an attempt to access an inaccessible region ...
 * will cause an unspecified exception to be thrown either at the time of the access or at some
 * later time". In practice a typed read or write throws an {@link InternalError} that the JVM
 * raises asynchronously, so it may surface after the access, outside the try around it; an
 * atomic read-modify-write there can kill the JVM (SIGBUS inside an intrinsic, observed with and
 * without -Xint). If another process may shrink the file, use the bulk {@code get}/{@code put}
 * and the {@code *Safe} atomics ({@link #getAndAddLongSafe}, {@link #compareAndSetLongSafe},
 * ...): they go through the core's guarded code, one native call each, and a fault is a {@link
 * FaultException} thrown by that call.
 *
 * <p>{@link #close()} unmaps at once: the file and its address range are released. ByteBuffers
 * handed out earlier never crash the JVM nor touch the file afterwards: their range is swapped for
 * inert zero memory, freed when the last of them is garbage collected. After close, the view's
 * methods that reach its memory throw {@link IllegalStateException}; {@link #size()}, {@link
 * #offset()} and {@link #isReadOnly()} keep answering what they answered before.
 *
 * <p>Typed accessors run at MappedByteBuffer speed (or faster) at every position of every view,
 * through {@code sun.misc.Unsafe} loads and stores reached without a compile-time reference, on
 * JDK 17 to 23. On JDK 24 and later (where Unsafe's memory access warns), or with {@code
 * -Dmmapkit.unsafe=false}, they use direct ByteBuffer windows instead: the first 2 GiB of a view
 * compile like MappedByteBuffer accesses, past them each access first finds its window (0.2x to
 * 0.6x of a MappedByteBuffer at the same spot in a tight loop): there, iterate over {@link
 * #asByteBuffer(long, int)} windows for hot loops.
 *
 * <p>A refused call says what happened. An {@link IndexOutOfBoundsException} names the index,
 * the width of the access (or the length of the range), the view's size and its file (for a bulk
 * copy whose array range is wrong, the array's length too). A write to a read-only view throws a
 * {@link java.nio.ReadOnlyBufferException} (a subclass, since that class has no message) whose
 * message names the index, the width and the file. A {@link FaultException} carries the core's
 * status ({@link FaultException#status()}, {@link FaultException#statusName()}).
 *
 * <p>Views are thread-safe in the sense of the JDK's direct buffers: concurrent accesses are
 * memory-safe; order them with the atomic methods ({@link #getLongVolatile(long)}, ...) or other
 * synchronization.
 */
public final class MappedView extends ViewTyped implements AutoCloseable {

  /** How long resize() waits for other threads' calls in flight to let go of the view. */
  private static final long RESIZE_WAIT_NANOS = 1_000_000_000L;

  MappedView(long ptr, String name, MappedFile file, int mapBits) {
    super(ptr, name, file, mapBits);
  }

  // ---------------------------------------------------------------- queries

  /** @return the length of the view in bytes */
  public long size() {
    return size;
  }

  /** @return the offset in the file where the view starts */
  public long offset() {
    return offset;
  }

  /** @return true if the view cannot be written */
  public boolean isReadOnly() {
    return !writable;
  }

  /** @return true once closed */
  public boolean isClosed() {
    return mem.ref.isClosed();
  }

  // ---------------------------------------------------------------- buffers

  /**
   * The whole view as a direct ByteBuffer in native byte order (read-only for a read-only view),
   * with no copy.
   *
   * @return a new buffer (position 0, limit = capacity = size)
   * @throws UnsupportedOperationException if the view is larger than 2 GiB - 1 (use {@link
   *     #asByteBuffer(long, int)} windows)
   * @throws IllegalStateException if closed
   */
  public ByteBuffer asByteBuffer() {
    long s = size;
    if (s > Integer.MAX_VALUE) {
      throw new UnsupportedOperationException(
          mem.ref.what() + " (" + s + " bytes) does not fit one ByteBuffer; use"
              + " asByteBuffer(long, int)");
    }
    return asByteBuffer(0, (int) s);
  }

  /**
   * A window {@code [index, index+length)} of the view as a direct ByteBuffer in native byte
   * order (read-only for a read-only view), with no copy; anywhere in a view of any size.
   *
   * @param index first byte, relative to the view
   * @param length bytes
   * @return a new buffer
   * @throws IndexOutOfBoundsException if the window is not inside the view
   * @throws IllegalStateException if closed
   */
  public ByteBuffer asByteBuffer(long index, int length) {
    checkRange(index, length);
    ViewMemory m = enter();
    try {
      return m.lease(index, length, writable, true);
    } finally {
      m.ref.release();
    }
  }

  /**
   * Changes the view's length. A view mapped with {@link MapOption#RESERVE(long)} grows in place
   * up to its reservation, and buffers handed out stay valid. Otherwise the view may have to move,
   * which, like a shrink, is refused while a ByteBuffer from {@link #asByteBuffer()} is
   * reachable. The typed accessors' own windows do not hold it back, whether or not the GC ran:
   * the view is then mapped anew and the old mapping closed inert (a typed access racing this on
   * another thread reads the file, then zeros; a write there may be lost). A private view whose
   * typed accessors ran on another thread than the one that mapped it (or ran at all, without
   * sun.misc.Unsafe) is refused instead (its changed pages exist only in the old mapping), as
   * is a view whose MappedFile is closed. Calls running on other threads (bulk copies, waits,
   * flushes, the {@code *Safe} atomics) are waited for; a bulk copy of more than 1 MiB holds the
   * view from its first to its last byte, and a move or shrink waits up to about a second for
   * it, then is refused too. Growing a READ_WRITE view past the end of the file grows the file.
   *
   * @param newSize new length in bytes (&gt; 0)
   * @throws IllegalStateException if closed, or buffers or calls in flight prevent the change
   * @throws IndexOutOfBoundsException past the end of a read-only or private file
   * @throws IOException on failure (e.g. disk full)
   */
  public synchronized void resize(long newSize) throws IOException {
    if (newSize <= 0) {
      throw new IllegalArgumentException("size must be positive: " + newSize);
    }
    ViewMemory m = enter();
    long p = m.ref.ptr;
    Raw old = unpublish(); // leased if another thread may use it: the core only grows it then
    try {
      long deadline = System.nanoTime() + RESIZE_WAIT_NANOS;
      for (int attempt = 0; ; attempt++) {
        try {
          NativeCore.mmk_view_resize(p, newSize);
          break;
        } catch (IllegalStateException busy) {
          // The core refuses (EBUSY) while any lease is held: a user's buffer (until the GC
          // takes it), the accessors' windows, or a long bulk copy on another thread.
          boolean windows = m.hasBuffers() && !m.hasUserBuffers();
          if (windows && remap(m, newSize)) {
            return;
          }
          if (m.hasBuffers() || System.nanoTime() - deadline > 0) {
            throw new IllegalStateException("cannot resize " + m.ref.what() + " to " + newSize
                + " bytes while " + (windows ? "its private pages exist only where it is mapped"
                    + " (or its MappedFile is closed)" : "ByteBuffers from asByteBuffer() are"
                    + " reachable or other threads keep using it") + " (map with"
                + " MapOption.RESERVE to grow in place): " + busy.getMessage(), busy);
          }
          if (attempt < 64) {
            Thread.yield();
          } else {
            LockSupport.parkNanos(100_000L);
          }
        }
      }
      size = NativeCore.mmk_view_size(p);
    } finally {
      m.ref.release();
      republish(old); // over mem and size as they are now (remap() may have replaced both)
    }
    win = Windows.NONE; // rebuilt on next access; old windows keep their leases until GC
  }

  /**
   * Moves or shrinks a view whose only leases are the accessors' own windows: maps the range
   * anew and closes the old mapping inert. The view cannot know when other threads are done with
   * its old windows (only the GC does), so it does not wait: a typed access racing this sees the
   * file through the old mapping until it turns inert, then zeros (a write there is lost), never
   * freed memory; the old range is freed when its windows are collected. Calls in flight on the
   * old mapping finish there first (a shared mapping: their writes are in the file).
   *
   * @return false if the view cannot be remapped (private mapping, file gone): refused as before
   */
  private boolean remap(ViewMemory old, long newSize) throws IOException {
    MappedFile f = file.get();
    if (f == null || f.isClosed()
        || NativeCore.mmk_view_mode(old.ref.ptr) == NativeCoreConstants.MMK_COPY) {
      return false; // a copy-on-write view's private pages exist only in the old mapping
    }
    ViewMemory m = new ViewMemory(f.mapNative(offset, newSize, mapBits, 0), old.ref.what());
    Cleaner.Cleanable c = MappedFile.CLEANER.register(this, m::ownerGone);
    Cleaner.Cleanable oldClean = cleanable;
    size = NativeCore.mmk_view_size(m.ref.ptr);
    mem = m; // first: a call turned away by the old memory finds this one (enter())
    cleanable = c;
    win = Windows.NONE;
    old.ref.closeQuietly(); // inert close once the calls in flight on it (ours too) end
    oldClean.clean();
    return true;
  }

  // ---------------------------------------------------------------- close

  /**
   * Unmaps the view now. The file and the address range are released at once; ByteBuffers handed
   * out earlier keep working on inert zero memory that no longer touches the file, until they are
   * collected. Threads still using the view while it closes see its data, zeros or an {@link
   * IllegalStateException}, never a crash. Idempotent.
   */
  @Override
  public void close() {
    Cleaner.Cleanable c;
    synchronized (this) { // after a resize() in progress: it may replace mem
      c = cleanable;
      try {
        unpublish(); // first: leased if another thread may be inside an access through it
        mem.ref.close(); // build() cannot lease any more after this
      } catch (IOException e) {
        throw new UncheckedIOException(e); // not reported by the core's inert close
      } finally {
        win = Windows.NONE; // accessors now take the slow path and see "closed"
      }
    }
    c.clean();
  }

  @Override
  public String toString() {
    return "MappedView[" + name + ", offset " + offset + ", size " + size
        + (isClosed() ? ", closed]" : "]");
  }
}
