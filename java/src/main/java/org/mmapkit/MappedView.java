package org.mmapkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.util.concurrent.locks.LockSupport;
import org.mmapkit.ViewMemory.Raw;
import org.mmapkit.ViewMemory.Window;
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
 * <p>Views are thread-safe in the sense of the JDK's direct buffers: concurrent accesses are
 * memory-safe; order them with the atomic methods ({@link #getLongVolatile(long)}, ...) or other
 * synchronization.
 */
public final class MappedView extends ViewAtomics implements AutoCloseable {

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
          "view of " + s + " bytes does not fit one ByteBuffer; use asByteBuffer(long, int)");
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

  // Typed accessors. With RawAccess (sun.misc.Unsafe, by default up to JDK 23) an access at any
  // position of a view of any size is one range test against the view's Raw window (made at
  // map time: address, size, the thread it is confined to) and one load or store: the same code
  // at 2.5 GiB of a 6 GiB view as at byte 0, no ByteBuffer fields per access, and no first-access
  // branch in the compiled loop. The confinement is what makes that lease-free: the mapping
  // thread cannot be inside an access while it closes or resizes the view, so only another
  // thread's use (ViewCore.current(): shares the Raw), close or resize, or the view collected,
  // leases the view for the Raw (ViewMemory.Raw). Measured (JDK 17, same runs, 2026-12-03):
  // publishing the window at the first access with a compare-and-set left that CAS in every loop
  // compiled after 20,000 map/read/close cycles (0.5-0.6x of MappedByteBuffer at 2.5 GiB);
  // a window leased at map time ran those loops at 1.3x but made every close inert (map+close
  // churn 2.5x -> 1.1x of FileChannel.map). Without RawAccess (JDK 24+, -Dmmapkit.unsafe=false,
  // no Unsafe): the first 2 GiB - 1 bytes are one ByteBuffer (win.first) tested inline,
  // everything else goes through far(); those windows are built, and leased, at first access.
  /**
   * @param index byte index in the view
   * @return the byte there
   */
  public byte get(long index) {
    if (RawAccess.ENABLED) {
      Raw r = raw;
      if (index >= 0 && index < r.size && usable(r)) {
        byte v = RawAccess.getByte(r.address + index);
        Reference.reachabilityFence(r); // a lease for r is taken before any unmap
        return v;
      }
      return (byte) slowGet(index, 1);
    }
    ByteBuffer f = win.first;
    if (index >= 0 && index < f.capacity()) {
      return f.get((int) index);
    }
    Window x = far(index, 1);
    return x.buf.get((int) (index - x.base));
  }

  /**
   * @param index byte index in the view
   * @param value the byte to store
   * @throws ReadOnlyBufferException for a read-only view
   */
  public void put(long index, byte value) {
    if (RawAccess.ENABLED) {
      Raw r = raw;
      if (index >= 0 && index < r.size && writable && usable(r)) {
        RawAccess.putByte(r.address + index, value);
        Reference.reachabilityFence(r);
      } else {
        slowPut(index, 1, value);
      }
      return;
    }
    ByteBuffer f = win.first;
    if (index >= 0 && index < f.capacity() && writable) {
      f.put((int) index, value);
    } else {
      Window x = farWrite(index, 1);
      x.buf.put((int) (index - x.base), value);
    }
  }

  /**
   * @param index byte index in the view
   * @return the short there, native byte order
   */
  public short getShort(long index) {
    if (RawAccess.ENABLED) {
      Raw r = raw;
      if (index >= 0 && index <= r.size - 2 && usable(r)) {
        short v = RawAccess.getShort(r.address + index);
        Reference.reachabilityFence(r); // a lease for r is taken before any unmap
        return v;
      }
      return (short) slowGet(index, 2);
    }
    ByteBuffer f = win.first;
    if (index >= 0 && index <= f.capacity() - 2) {
      return f.getShort((int) index);
    }
    Window x = far(index, 2);
    return x.buf.getShort((int) (index - x.base));
  }

  /**
   * @param index byte index in the view
   * @param value the value, stored in native byte order
   * @throws ReadOnlyBufferException for a read-only view
   */
  public void putShort(long index, short value) {
    if (RawAccess.ENABLED) {
      Raw r = raw;
      if (index >= 0 && index <= r.size - 2 && writable && usable(r)) {
        RawAccess.putShort(r.address + index, value);
        Reference.reachabilityFence(r);
      } else {
        slowPut(index, 2, value);
      }
      return;
    }
    ByteBuffer f = win.first;
    if (index >= 0 && index <= f.capacity() - 2 && writable) {
      f.putShort((int) index, value);
    } else {
      Window x = farWrite(index, 2);
      x.buf.putShort((int) (index - x.base), value);
    }
  }

  /**
   * @param index byte index in the view
   * @return the char there, native byte order
   */
  public char getChar(long index) {
    if (RawAccess.ENABLED) {
      Raw r = raw;
      if (index >= 0 && index <= r.size - 2 && usable(r)) {
        char v = RawAccess.getChar(r.address + index);
        Reference.reachabilityFence(r); // a lease for r is taken before any unmap
        return v;
      }
      return (char) slowGet(index, 2);
    }
    ByteBuffer f = win.first;
    if (index >= 0 && index <= f.capacity() - 2) {
      return f.getChar((int) index);
    }
    Window x = far(index, 2);
    return x.buf.getChar((int) (index - x.base));
  }

  /**
   * @param index byte index in the view
   * @param value the value, stored in native byte order
   * @throws ReadOnlyBufferException for a read-only view
   */
  public void putChar(long index, char value) {
    if (RawAccess.ENABLED) {
      Raw r = raw;
      if (index >= 0 && index <= r.size - 2 && writable && usable(r)) {
        RawAccess.putChar(r.address + index, value);
        Reference.reachabilityFence(r);
      } else {
        slowPut(index, 2, value);
      }
      return;
    }
    ByteBuffer f = win.first;
    if (index >= 0 && index <= f.capacity() - 2 && writable) {
      f.putChar((int) index, value);
    } else {
      Window x = farWrite(index, 2);
      x.buf.putChar((int) (index - x.base), value);
    }
  }

  /**
   * @param index byte index in the view
   * @return the int there, native byte order
   */
  public int getInt(long index) {
    if (RawAccess.ENABLED) {
      Raw r = raw;
      if (index >= 0 && index <= r.size - 4 && usable(r)) {
        int v = RawAccess.getInt(r.address + index);
        Reference.reachabilityFence(r); // a lease for r is taken before any unmap
        return v;
      }
      return (int) slowGet(index, 4);
    }
    ByteBuffer f = win.first;
    if (index >= 0 && index <= f.capacity() - 4) {
      return f.getInt((int) index);
    }
    Window x = far(index, 4);
    return x.buf.getInt((int) (index - x.base));
  }

  /**
   * @param index byte index in the view
   * @param value the value, stored in native byte order
   * @throws ReadOnlyBufferException for a read-only view
   */
  public void putInt(long index, int value) {
    if (RawAccess.ENABLED) {
      Raw r = raw;
      if (index >= 0 && index <= r.size - 4 && writable && usable(r)) {
        RawAccess.putInt(r.address + index, value);
        Reference.reachabilityFence(r);
      } else {
        slowPut(index, 4, value);
      }
      return;
    }
    ByteBuffer f = win.first;
    if (index >= 0 && index <= f.capacity() - 4 && writable) {
      f.putInt((int) index, value);
    } else {
      Window x = farWrite(index, 4);
      x.buf.putInt((int) (index - x.base), value);
    }
  }

  /**
   * @param index byte index in the view
   * @return the long there, native byte order
   */
  public long getLong(long index) {
    if (RawAccess.ENABLED) {
      Raw r = raw;
      if (index >= 0 && index <= r.size - 8 && usable(r)) {
        long v = RawAccess.getLong(r.address + index);
        Reference.reachabilityFence(r); // a lease for r is taken before any unmap
        return v;
      }
      return slowGet(index, 8);
    }
    ByteBuffer f = win.first;
    if (index >= 0 && index <= f.capacity() - 8) {
      return f.getLong((int) index);
    }
    Window x = far(index, 8);
    return x.buf.getLong((int) (index - x.base));
  }

  /**
   * @param index byte index in the view
   * @param value the value, stored in native byte order
   * @throws ReadOnlyBufferException for a read-only view
   */
  public void putLong(long index, long value) {
    if (RawAccess.ENABLED) {
      Raw r = raw;
      if (index >= 0 && index <= r.size - 8 && writable && usable(r)) {
        RawAccess.putLong(r.address + index, value);
        Reference.reachabilityFence(r);
      } else {
        slowPut(index, 8, value);
      }
      return;
    }
    ByteBuffer f = win.first;
    if (index >= 0 && index <= f.capacity() - 8 && writable) {
      f.putLong((int) index, value);
    } else {
      Window x = farWrite(index, 8);
      x.buf.putLong((int) (index - x.base), value);
    }
  }

  /**
   * @param index byte index in the view
   * @return the float there, native byte order
   */
  public float getFloat(long index) {
    if (RawAccess.ENABLED) {
      Raw r = raw;
      if (index >= 0 && index <= r.size - 4 && usable(r)) {
        float v = RawAccess.getFloat(r.address + index);
        Reference.reachabilityFence(r); // a lease for r is taken before any unmap
        return v;
      }
      return Float.intBitsToFloat((int) slowGet(index, 4));
    }
    ByteBuffer f = win.first;
    if (index >= 0 && index <= f.capacity() - 4) {
      return f.getFloat((int) index);
    }
    Window x = far(index, 4);
    return x.buf.getFloat((int) (index - x.base));
  }

  /**
   * @param index byte index in the view
   * @param value the value, stored in native byte order
   * @throws ReadOnlyBufferException for a read-only view
   */
  public void putFloat(long index, float value) {
    if (RawAccess.ENABLED) {
      Raw r = raw;
      if (index >= 0 && index <= r.size - 4 && writable && usable(r)) {
        RawAccess.putFloat(r.address + index, value);
        Reference.reachabilityFence(r);
      } else {
        slowPut(index, 4, Float.floatToRawIntBits(value));
      }
      return;
    }
    ByteBuffer f = win.first;
    if (index >= 0 && index <= f.capacity() - 4 && writable) {
      f.putFloat((int) index, value);
    } else {
      Window x = farWrite(index, 4);
      x.buf.putFloat((int) (index - x.base), value);
    }
  }

  /**
   * @param index byte index in the view
   * @return the double there, native byte order
   */
  public double getDouble(long index) {
    if (RawAccess.ENABLED) {
      Raw r = raw;
      if (index >= 0 && index <= r.size - 8 && usable(r)) {
        double v = RawAccess.getDouble(r.address + index);
        Reference.reachabilityFence(r); // a lease for r is taken before any unmap
        return v;
      }
      return Double.longBitsToDouble(slowGet(index, 8));
    }
    ByteBuffer f = win.first;
    if (index >= 0 && index <= f.capacity() - 8) {
      return f.getDouble((int) index);
    }
    Window x = far(index, 8);
    return x.buf.getDouble((int) (index - x.base));
  }

  /**
   * @param index byte index in the view
   * @param value the value, stored in native byte order
   * @throws ReadOnlyBufferException for a read-only view
   */
  public void putDouble(long index, double value) {
    if (RawAccess.ENABLED) {
      Raw r = raw;
      if (index >= 0 && index <= r.size - 8 && writable && usable(r)) {
        RawAccess.putDouble(r.address + index, value);
        Reference.reachabilityFence(r);
      } else {
        slowPut(index, 8, Double.doubleToRawLongBits(value));
      }
      return;
    }
    ByteBuffer f = win.first;
    if (index >= 0 && index <= f.capacity() - 8 && writable) {
      f.putDouble((int) index, value);
    } else {
      Window x = farWrite(index, 8);
      x.buf.putDouble((int) (index - x.base), value);
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
