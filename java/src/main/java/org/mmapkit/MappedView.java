package org.mmapkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.lang.ref.Cleaner;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
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
 * <p>Typed accesses in the first 2 GiB of a view compile to the same code as MappedByteBuffer
 * accesses; past them each access takes one more path that finds its window (in the last 2 GiB
 * a fixed one, in the middle of a view over 4 GiB its 1 GiB chunk): measured at 0.2x to 0.6x of
 * a MappedByteBuffer at the same spot in a tight loop, so for hot loops there, iterate over
 * {@link #asByteBuffer(long, int)} windows instead.
 *
 * <p>Views are thread-safe in the sense of the JDK's direct buffers: concurrent accesses are
 * memory-safe; order them with the atomic methods ({@link #getLongVolatile(long)}, ...) or other
 * synchronization.
 */
public final class MappedView implements AutoCloseable {

  private static final VarHandle INT =
      MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());
  private static final VarHandle LONG =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
  /** Longest single native wait, so close() and interrupts are seen promptly. */
  private static final long WAIT_SLICE_NANOS = 50_000_000L;
  /** How long resize() waits for other threads' calls in flight to let go of the view. */
  private static final long RESIZE_WAIT_NANOS = 1_000_000_000L;

  /** The native view and its leases; replaced when resize() moves the view by remapping. */
  private volatile ViewMemory mem;
  /** Closes {@code mem} when the view is closed or collected (guarded by this). */
  private Cleaner.Cleanable cleanable;
  /** Where resize() maps the view anew; weak: a view does not keep its file open. */
  private final WeakReference<MappedFile> file;
  private final int mapBits;
  private final long offset;
  private final boolean writable;
  private final String name;
  private volatile long size;
  /** The current windows; NONE before the first typed access, after resize() and close(). */
  private Windows win = Windows.NONE;

  MappedView(long ptr, String name, MappedFile file, int mapBits) {
    this.file = new WeakReference<>(file);
    this.mapBits = mapBits;
    this.mem = new ViewMemory(ptr, "view of " + (name.isEmpty() ? "anonymous memory" : name));
    this.offset = NativeCore.mmk_view_offset(ptr);
    this.size = NativeCore.mmk_view_size(ptr);
    this.writable = NativeCore.mmk_view_writable(ptr) != 0;
    this.name = name;
    ViewMemory m = mem;
    this.cleanable = MappedFile.CLEANER.register(this, m::ownerGone);
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

  // Typed accessors: the first 2 GiB - 1 bytes are one buffer (win.first) tested inline, so
  // that a loop over it compiles like a loop over a MappedByteBuffer; everything else goes
  // through far(), which returns a prebuilt window. The windows are built at the first access
  // (slow(), kept out of the accessors' compiled code: see there), not at map time. Measured
  // both ways (JDK 17, same runs): built at map time, every close is an inert close and
  // map+close churn took 49 instead of 24 us; built at the first access, that access leaves a
  // taken far() branch in getLong's profile, and scans compiled afterwards run at about 0.5x of
  // MappedByteBuffer instead of 0.9x. Churn keeps the lazy build; the cost is documented.

  /** The window holding {@code [index, index + width)}; the part of an access past 2 GiB. */
  private Window far(long index, int width) {
    Window w = win.find(index, width);
    return w != null ? w : callSlow(index, width);
  }

  /** far() for the put accessors, which a read-only view refuses. */
  private Window farWrite(long index, int width) {
    if (!writable) {
      checkOpen();
      throw readOnly(index);
    }
    return far(index, width);
  }

  /**
   * slow() through a method handle the JIT cannot see through (the field is not final, so never
   * a constant). When a process maps and first-reads thousands of views, slow() is hot: called
   * directly, C2 inlined it with all of build() into getLong(), and that compiled getLong was
   * then too big to be inlined into any loop ("already compiled into a big method"), leaving
   * every later scan at 0.14x to 0.4x of MappedByteBuffer's speed (measured, JDK 17).
   */
  private Window callSlow(long index, int width) {
    try {
      return (Window) slowPath.invokeExact(this, index, width);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new AssertionError(t); // slow() throws nothing checked
    }
  }

  /** Deliberately not final: a final handle is a constant, and the JIT inlines through it. */
  private static MethodHandle slowPath;

  static {
    try {
      slowPath = MethodHandles.lookup().findVirtual(MappedView.class, "slow",
          MethodType.methodType(Window.class, long.class, int.class));
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** The windows are not built yet, or the access is out of range or after close. */
  private Window slow(long index, int width) {
    Window w = build().find(index, width);
    if (w == null) {
      throw outside(index, width);
    }
    return w;
  }

  private synchronized Windows build() {
    checkOpen(); // under the lock: close() cannot have let go of the windows meanwhile
    Windows v = win;
    if (v == Windows.NONE) {
      v = win = mem.build(size, writable); // mem cannot change: resize() holds this lock
    }
    return v;
  }

  /**
   * @param index byte index in the view
   * @return the byte there
   */
  public byte get(long index) {
    ByteBuffer f = win.first;
    if (index >= 0 && index < f.capacity()) {
      return f.get((int) index);
    }
    Window w = far(index, 1);
    return w.buf.get((int) (index - w.base));
  }

  /**
   * @param index byte index in the view
   * @param value the byte to store
   * @throws ReadOnlyBufferException for a read-only view
   */
  public void put(long index, byte value) {
    ByteBuffer f = win.first;
    if (index >= 0 && index < f.capacity() && writable) {
      f.put((int) index, value);
    } else {
      Window w = farWrite(index, 1);
      w.buf.put((int) (index - w.base), value);
    }
  }

  /**
   * @param index byte index in the view
   * @return the short there, native byte order
   */
  public short getShort(long index) {
    ByteBuffer f = win.first;
    if (index >= 0 && index <= f.capacity() - 2) {
      return f.getShort((int) index);
    }
    Window w = far(index, 2);
    return w.buf.getShort((int) (index - w.base));
  }

  /**
   * @param index byte index in the view
   * @param value the value, stored in native byte order
   * @throws ReadOnlyBufferException for a read-only view
   */
  public void putShort(long index, short value) {
    ByteBuffer f = win.first;
    if (index >= 0 && index <= f.capacity() - 2 && writable) {
      f.putShort((int) index, value);
    } else {
      Window w = farWrite(index, 2);
      w.buf.putShort((int) (index - w.base), value);
    }
  }

  /**
   * @param index byte index in the view
   * @return the char there, native byte order
   */
  public char getChar(long index) {
    ByteBuffer f = win.first;
    if (index >= 0 && index <= f.capacity() - 2) {
      return f.getChar((int) index);
    }
    Window w = far(index, 2);
    return w.buf.getChar((int) (index - w.base));
  }

  /**
   * @param index byte index in the view
   * @param value the value, stored in native byte order
   * @throws ReadOnlyBufferException for a read-only view
   */
  public void putChar(long index, char value) {
    ByteBuffer f = win.first;
    if (index >= 0 && index <= f.capacity() - 2 && writable) {
      f.putChar((int) index, value);
    } else {
      Window w = farWrite(index, 2);
      w.buf.putChar((int) (index - w.base), value);
    }
  }

  /**
   * @param index byte index in the view
   * @return the int there, native byte order
   */
  public int getInt(long index) {
    ByteBuffer f = win.first;
    if (index >= 0 && index <= f.capacity() - 4) {
      return f.getInt((int) index);
    }
    Window w = far(index, 4);
    return w.buf.getInt((int) (index - w.base));
  }

  /**
   * @param index byte index in the view
   * @param value the value, stored in native byte order
   * @throws ReadOnlyBufferException for a read-only view
   */
  public void putInt(long index, int value) {
    ByteBuffer f = win.first;
    if (index >= 0 && index <= f.capacity() - 4 && writable) {
      f.putInt((int) index, value);
    } else {
      Window w = farWrite(index, 4);
      w.buf.putInt((int) (index - w.base), value);
    }
  }

  /**
   * @param index byte index in the view
   * @return the long there, native byte order
   */
  public long getLong(long index) {
    ByteBuffer f = win.first;
    if (index >= 0 && index <= f.capacity() - 8) {
      return f.getLong((int) index);
    }
    Window w = far(index, 8);
    return w.buf.getLong((int) (index - w.base));
  }

  /**
   * @param index byte index in the view
   * @param value the value, stored in native byte order
   * @throws ReadOnlyBufferException for a read-only view
   */
  public void putLong(long index, long value) {
    ByteBuffer f = win.first;
    if (index >= 0 && index <= f.capacity() - 8 && writable) {
      f.putLong((int) index, value);
    } else {
      Window w = farWrite(index, 8);
      w.buf.putLong((int) (index - w.base), value);
    }
  }

  /**
   * @param index byte index in the view
   * @return the float there, native byte order
   */
  public float getFloat(long index) {
    ByteBuffer f = win.first;
    if (index >= 0 && index <= f.capacity() - 4) {
      return f.getFloat((int) index);
    }
    Window w = far(index, 4);
    return w.buf.getFloat((int) (index - w.base));
  }

  /**
   * @param index byte index in the view
   * @param value the value, stored in native byte order
   * @throws ReadOnlyBufferException for a read-only view
   */
  public void putFloat(long index, float value) {
    ByteBuffer f = win.first;
    if (index >= 0 && index <= f.capacity() - 4 && writable) {
      f.putFloat((int) index, value);
    } else {
      Window w = farWrite(index, 4);
      w.buf.putFloat((int) (index - w.base), value);
    }
  }

  /**
   * @param index byte index in the view
   * @return the double there, native byte order
   */
  public double getDouble(long index) {
    ByteBuffer f = win.first;
    if (index >= 0 && index <= f.capacity() - 8) {
      return f.getDouble((int) index);
    }
    Window w = far(index, 8);
    return w.buf.getDouble((int) (index - w.base));
  }

  /**
   * @param index byte index in the view
   * @param value the value, stored in native byte order
   * @throws ReadOnlyBufferException for a read-only view
   */
  public void putDouble(long index, double value) {
    ByteBuffer f = win.first;
    if (index >= 0 && index <= f.capacity() - 8 && writable) {
      f.putDouble((int) index, value);
    } else {
      Window w = farWrite(index, 8);
      w.buf.putDouble((int) (index - w.base), value);
    }
  }

  // ---------------------------------------------------------------- bulk, fault-safe

  /**
   * Copies {@code length} bytes at {@code index} into {@code dst[off..off+length)} through the
   * core's fault-safe copy.
   *
   * @param index first byte in the view
   * @param dst destination
   * @param off first index in dst
   * @param length bytes to copy
   * @throws IndexOutOfBoundsException if either range is out of bounds
   * @throws FaultException if mapped memory faults (e.g. the file was truncated)
   * @throws IllegalStateException if closed
   */
  public void get(long index, byte[] dst, int off, int length) {
    Objects.checkFromIndexSize(off, length, dst.length);
    checkRange(index, length);
    ViewMemory m = enter();
    long p = m.ref.ptr;
    try {
      NativeCore.mmkj_view_read(p, index, dst, off, length);
    } finally {
      m.ref.release();
    }
  }

  /**
   * Same as {@code get(index, dst, 0, dst.length)}.
   *
   * @param index first byte in the view
   * @param dst destination, filled completely
   */
  public void get(long index, byte[] dst) {
    get(index, dst, 0, dst.length);
  }

  /**
   * Copies {@code src[off..off+length)} to the view at {@code index} through the core's
   * fault-safe copy.
   *
   * @param index first byte in the view
   * @param src source
   * @param off first index in src
   * @param length bytes to copy
   * @throws ReadOnlyBufferException for a read-only view
   * @throws IndexOutOfBoundsException if either range is out of bounds
   * @throws FaultException if mapped memory faults
   */
  public void put(long index, byte[] src, int off, int length) {
    Objects.checkFromIndexSize(off, length, src.length);
    checkWritable();
    checkRange(index, length);
    ViewMemory m = enter();
    long p = m.ref.ptr;
    try {
      NativeCore.mmkj_view_write(p, index, src, off, length);
    } finally {
      m.ref.release();
    }
  }

  /**
   * Same as {@code put(index, src, 0, src.length)}.
   *
   * @param index first byte in the view
   * @param src source, copied completely
   */
  public void put(long index, byte[] src) {
    put(index, src, 0, src.length);
  }

  /**
   * Fills {@code dst}'s remaining bytes from the view at {@code index} (fault-safe) and advances
   * its position.
   *
   * @param index first byte in the view
   * @param dst destination buffer (direct or heap)
   * @throws FaultException if mapped memory faults
   */
  public void get(long index, ByteBuffer dst) {
    int n = dst.remaining();
    if (dst.isReadOnly()) {
      throw new ReadOnly("the destination buffer is read-only");
    }
    if (!dst.isDirect()) {
      get(index, dst.array(), dst.arrayOffset() + dst.position(), n);
    } else {
      checkRange(index, n);
      ViewMemory m = enter();
      long p = m.ref.ptr;
      try {
        NativeCore.mmkj_view_read_buffer(p, index, dst, dst.position(), n);
      } finally {
        m.ref.release();
      }
    }
    dst.position(dst.position() + n);
  }

  /**
   * Writes {@code src}'s remaining bytes to the view at {@code index} (fault-safe) and advances
   * its position.
   *
   * @param index first byte in the view
   * @param src source buffer (direct or heap)
   * @throws FaultException if mapped memory faults
   */
  public void put(long index, ByteBuffer src) {
    int n = src.remaining();
    if (!src.isDirect() && src.hasArray()) {
      put(index, src.array(), src.arrayOffset() + src.position(), n);
    } else if (!src.isDirect()) { // read-only heap buffer: no array access
      byte[] tmp = new byte[n];
      src.duplicate().get(tmp);
      put(index, tmp, 0, n);
    } else {
      checkWritable();
      checkRange(index, n);
      ViewMemory m = enter();
      long p = m.ref.ptr;
      try {
        NativeCore.mmkj_view_write_buffer(p, index, src, src.position(), n);
      } finally {
        m.ref.release();
      }
    }
    src.position(src.position() + n);
  }

  // ---------------------------------------------------------------- durability and paging

  /**
   * Writes all changes back to the file and waits for the device ({@link FlushMode#SYNC}). A
   * no-op for read-only, private and anonymous views.
   *
   * @throws IOException if the write-back fails
   */
  public void force() throws IOException {
    ViewMemory m = enter();
    long p = m.ref.ptr;
    try {
      NativeCore.mmk_view_flush(p, 0, 0, FlushMode.SYNC.code);
    } finally {
      m.ref.release();
    }
  }

  /**
   * Writes changes in {@code [index, index+length)} back ({@link FlushMode#SYNC}); any range
   * works, it is widened to pages inside.
   *
   * @param index first byte in the view
   * @param length bytes (0: nothing to do)
   * @throws IOException if the write-back fails
   */
  public void force(long index, long length) throws IOException {
    force(index, length, FlushMode.SYNC);
  }

  /**
   * Writes changes in {@code [index, index+length)} back with the given durability.
   *
   * @param index first byte in the view
   * @param length bytes (0: nothing to do)
   * @param mode ASYNC, SYNC or FULL
   * @throws IOException if the write-back fails
   */
  public void force(long index, long length, FlushMode mode) throws IOException {
    Objects.requireNonNull(mode, "mode");
    checkRange(index, length);
    if (length == 0) {
      checkOpen();
      return;
    }
    ViewMemory m = enter();
    long p = m.ref.ptr;
    try {
      NativeCore.mmk_view_flush(p, index, length, mode.code);
    } finally {
      m.ref.release();
    }
  }

  /**
   * Gives the kernel advice about {@code [index, index+length)}.
   *
   * @param advice the advice
   * @param index first byte in the view
   * @param length bytes (0: nothing to do)
   * @throws UnsupportedOperationException if the system lacks it (HUGEPAGE)
   * @throws IOException on failure
   */
  public void advise(Advice advice, long index, long length) throws IOException {
    Objects.requireNonNull(advice, "advice");
    checkRange(index, length);
    if (length == 0) {
      checkOpen();
      return;
    }
    ViewMemory m = enter();
    long p = m.ref.ptr;
    try {
      NativeCore.mmk_view_advise(p, index, length, advice.code);
    } finally {
      m.ref.release();
    }
  }

  /**
   * Gives the kernel advice about the whole view.
   *
   * @param advice the advice
   * @throws IOException on failure
   */
  public void advise(Advice advice) throws IOException {
    advise(advice, 0, size);
  }

  /**
   * Loads the view's content into memory (as {@code MappedByteBuffer.load()}): asks for
   * read-ahead, then touches every page.
   */
  public void load() {
    long s = size;
    try {
      advise(Advice.WILLNEED, 0, s);
    } catch (IOException e) {
      // Advice only: the touch loop below does the work anyway.
    }
    long page = NativeCore.mmk_page_size();
    // The first page may start inside a system page: touch page-aligned file offsets.
    long first = (page - (offset % page)) % page;
    int x = s > 0 ? get(0) : 0;
    for (long i = first; i < s; i += page) {
      x += get(i);
    }
    sink = x;
  }

  @SuppressWarnings("unused")
  private static volatile int sink;

  /**
   * Whether the whole view is resident in memory now ({@code mincore}).
   *
   * @return true if every page is resident
   */
  public boolean isLoaded() {
    return resident() == size;
  }

  /**
   * Bytes of the view resident in memory now.
   *
   * @return 0 to size
   */
  public long resident() {
    ViewMemory m = enter();
    long p = m.ref.ptr;
    try {
      long[] out = new long[1];
      NativeCore.mmk_view_resident(p, 0, 0, out);
      return out[0];
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      m.ref.release();
    }
  }

  /**
   * Locks the view's pages in RAM ({@code mlock}).
   *
   * @throws IOException e.g. when RLIMIT_MEMLOCK is exceeded
   */
  public void lockMemory() throws IOException {
    ViewMemory m = enter();
    long p = m.ref.ptr;
    try {
      NativeCore.mmk_view_lock_memory(p);
    } finally {
      m.ref.release();
    }
  }

  /**
   * Undoes {@link #lockMemory()}.
   *
   * @throws IOException on failure
   */
  public void unlockMemory() throws IOException {
    ViewMemory m = enter();
    long p = m.ref.ptr;
    try {
      NativeCore.mmk_view_unlock_memory(p);
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
   * typed accessors ran is refused instead (its changed pages exist only in the old mapping), as
   * is a view whose MappedFile is closed. Calls running on other threads (bulk copies, waits, flushes, the {@code *Safe}
   * atomics) are waited for; a bulk copy of more than 1 MiB holds the view from its first to its
   * last byte, and a move or shrink waits up to about a second for it, then is refused too.
   * Growing a READ_WRITE view past the end of the file grows the file.
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

  // ---------------------------------------------------------------- atomics

  /**
   * Reads the aligned 32-bit word at {@code index} with acquire semantics (and more: volatile).
   *
   * @param index byte index, 4-byte aligned in memory
   * @return the value
   * @throws IllegalArgumentException if not aligned
   */
  public int getIntVolatile(long index) {
    Window w = atomic(index, 4);
    return (int) INT.getVolatile(w.buf, (int) (index - w.base));
  }

  /**
   * Stores the aligned 32-bit word at {@code index} (volatile).
   *
   * @param index byte index, 4-byte aligned
   * @param value the value
   */
  public void putIntVolatile(long index, int value) {
    Window w = atomic(index, 4);
    INT.setVolatile(w.buf, (int) (index - w.base), value);
  }

  /**
   * Adds to the aligned 32-bit word at {@code index} atomically.
   *
   * @param index byte index, 4-byte aligned
   * @param delta what to add (wrapping)
   * @return the value before the addition
   */
  public int getAndAddInt(long index, int delta) {
    Window w = atomic(index, 4);
    return (int) INT.getAndAdd(w.buf, (int) (index - w.base), delta);
  }

  /**
   * Sets the aligned 32-bit word to {@code desired} if it equals {@code expected}, atomically.
   *
   * @param index byte index, 4-byte aligned
   * @param expected the expected value
   * @param desired the new value
   * @return true if the swap happened
   */
  public boolean compareAndSetInt(long index, int expected, int desired) {
    Window w = atomic(index, 4);
    return INT.compareAndSet(w.buf, (int) (index - w.base), expected, desired);
  }

  /**
   * Reads the aligned 64-bit word at {@code index} (volatile).
   *
   * @param index byte index, 8-byte aligned in memory
   * @return the value
   */
  public long getLongVolatile(long index) {
    Window w = atomic(index, 8);
    return (long) LONG.getVolatile(w.buf, (int) (index - w.base));
  }

  /**
   * Stores the aligned 64-bit word at {@code index} (volatile).
   *
   * @param index byte index, 8-byte aligned
   * @param value the value
   */
  public void putLongVolatile(long index, long value) {
    Window w = atomic(index, 8);
    LONG.setVolatile(w.buf, (int) (index - w.base), value);
  }

  /**
   * Adds to the aligned 64-bit word at {@code index} atomically.
   *
   * @param index byte index, 8-byte aligned
   * @param delta what to add (wrapping)
   * @return the value before the addition
   */
  public long getAndAddLong(long index, long delta) {
    Window w = atomic(index, 8);
    return (long) LONG.getAndAdd(w.buf, (int) (index - w.base), delta);
  }

  /**
   * Sets the aligned 64-bit word to {@code desired} if it equals {@code expected}, atomically.
   *
   * @param index byte index, 8-byte aligned
   * @param expected the expected value
   * @param desired the new value
   * @return true if the swap happened
   */
  public boolean compareAndSetLong(long index, long expected, long desired) {
    Window w = atomic(index, 8);
    return LONG.compareAndSet(w.buf, (int) (index - w.base), expected, desired);
  }

  // Fault-safe atomics: one native call each, through the core's guarded atomics (in-flight
  // calls that close and resize wait for). A fault (the file was truncated under the view) is a FaultException from the call,
  // never a dead JVM; after close they throw IllegalStateException, never touch inert memory.

  /**
   * As {@link #getIntVolatile(long)}, through the core: a fault is a {@link FaultException}.
   *
   * @param index byte index, 4-byte aligned in memory
   * @return the value
   * @throws FaultException if the word is no longer backed by the file
   */
  public int getIntVolatileSafe(long index) {
    return (int) safe(NativeCore.MMKJ_LOAD, 32, index, 0, 0);
  }

  /**
   * As {@link #putIntVolatile(long, int)}, through the core: a fault is a {@link FaultException}.
   *
   * @param index byte index, 4-byte aligned
   * @param value the value
   */
  public void putIntVolatileSafe(long index, int value) {
    safe(NativeCore.MMKJ_STORE, 32, index, value, 0);
  }

  /**
   * As {@link #getAndAddInt(long, int)}, through the core: a fault is a {@link FaultException}.
   *
   * @param index byte index, 4-byte aligned
   * @param delta what to add (wrapping)
   * @return the value before the addition
   */
  public int getAndAddIntSafe(long index, int delta) {
    return (int) safe(NativeCore.MMKJ_ADD, 32, index, delta, 0);
  }

  /**
   * As {@link #compareAndSetInt(long, int, int)}, through the core: a fault is a {@link
   * FaultException}.
   *
   * @param index byte index, 4-byte aligned
   * @param expected the expected value
   * @param desired the new value
   * @return true if the swap happened
   */
  public boolean compareAndSetIntSafe(long index, int expected, int desired) {
    return (int) safe(NativeCore.MMKJ_CAS, 32, index, expected, desired) == expected;
  }

  /**
   * As {@link #getLongVolatile(long)}, through the core: a fault is a {@link FaultException}.
   *
   * @param index byte index, 8-byte aligned in memory
   * @return the value
   */
  public long getLongVolatileSafe(long index) {
    return safe(NativeCore.MMKJ_LOAD, 64, index, 0, 0);
  }

  /**
   * As {@link #putLongVolatile(long, long)}, through the core: a fault is a {@link
   * FaultException}.
   *
   * @param index byte index, 8-byte aligned
   * @param value the value
   */
  public void putLongVolatileSafe(long index, long value) {
    safe(NativeCore.MMKJ_STORE, 64, index, value, 0);
  }

  /**
   * As {@link #getAndAddLong(long, long)}, through the core: a fault is a {@link
   * FaultException}.
   *
   * @param index byte index, 8-byte aligned
   * @param delta what to add (wrapping)
   * @return the value before the addition
   */
  public long getAndAddLongSafe(long index, long delta) {
    return safe(NativeCore.MMKJ_ADD, 64, index, delta, 0);
  }

  /**
   * As {@link #compareAndSetLong(long, long, long)}, through the core: a fault is a {@link
   * FaultException}.
   *
   * @param index byte index, 8-byte aligned
   * @param expected the expected value
   * @param desired the new value
   * @return true if the swap happened
   */
  public boolean compareAndSetLongSafe(long index, long expected, long desired) {
    return safe(NativeCore.MMKJ_CAS, 64, index, expected, desired) == expected;
  }

  /** One fault-safe atomic: the checks of atomic(), then the core under the view's lease. */
  private long safe(int op, int bits, long index, long a, long b) {
    checkWord(index, bits / 8);
    ViewMemory m = enter();
    long p = m.ref.ptr;
    try {
      return NativeCore.mmkj_atomic(p, op, bits, index, a, b);
    } finally {
      m.ref.release();
    }
  }

  private Window atomic(long index, int n) {
    checkWord(index, n);
    Window h = win.head; // the first 2 GiB inline, as in the typed accessors
    return index <= h.buf.capacity() - n ? h : far(index, n);
  }

  private void checkWord(long index, int n) {
    if (index < 0 || index > size - n) {
      checkOpen();
      throw outside(index, n);
    }
    if (((offset + index) & (n - 1)) != 0) {
      throw new IllegalArgumentException(
          "index " + index + " is not " + n + "-byte aligned in memory (view offset " + offset
              + ")");
    }
  }

  /**
   * Sleeps while the aligned 32-bit word at {@code index} equals {@code expected} (a futex:
   * works across processes and languages). Returns as soon as it differs.
   *
   * @param index byte index, 4-byte aligned
   * @param expected the value to wait on
   * @param timeout how long at most; null waits forever; zero just checks
   * @return true if the word differs, false on timeout
   * @throws InterruptedException if the thread is interrupted while waiting
   * @throws IllegalStateException if the view is closed (also while waiting)
   */
  public boolean await(long index, int expected, Duration timeout) throws InterruptedException {
    atomic(index, 4);
    long deadline = 0;
    boolean forever = timeout == null;
    if (!forever) {
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("negative timeout: " + timeout);
      }
      long t;
      try {
        t = timeout.toNanos();
      } catch (ArithmeticException tooLong) {
        t = Long.MAX_VALUE;
      }
      deadline = System.nanoTime() + Math.min(t, Long.MAX_VALUE / 2);
      forever = t >= Long.MAX_VALUE / 2;
    }
    long exp = expected & 0xFFFFFFFFL;
    for (; ; ) {
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
      long slice = WAIT_SLICE_NANOS;
      if (!forever) {
        long left = deadline - System.nanoTime();
        slice = Math.max(0, Math.min(slice, left));
      }
      ViewMemory m = enter();
      long p = m.ref.ptr;
      int r;
      try {
        r = NativeCore.mmk_wait_u32(p, index, exp, slice);
      } finally {
        m.ref.release();
      }
      if (r == 0) {
        return true;
      }
      if (!forever && deadline - System.nanoTime() <= 0) {
        return false;
      }
    }
  }

  /**
   * Wakes up to {@code count} threads (in any process) sleeping in {@code await} (or the core's
   * wait) on the word at {@code index}.
   *
   * @param index byte index, 4-byte aligned
   * @param count how many; 0 or less, or Integer.MAX_VALUE, wakes all
   * @return the number woken
   */
  public int wake(long index, int count) {
    atomic(index, 4);
    ViewMemory m = enter();
    long p = m.ref.ptr;
    try {
      return NativeCore.mmk_wake(p, index, count);
    } finally {
      m.ref.release();
    }
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
        mem.ref.close(); // first: build() cannot lease any more after this
      } catch (IOException e) {
        throw new UncheckedIOException(e); // not reported by the core's inert close
      } finally {
        win = Windows.NONE; // accessors now take the slow path and see "closed"
      }
    }
    c.clean();
  }

  // ---------------------------------------------------------------- helpers

  private void checkRange(long index, long length) {
    long s = size;
    if (index < 0 || length < 0 || index > s || length > s - index) {
      checkOpen();
      throw new IndexOutOfBoundsException("range [" + index + ", " + index + " + " + length
          + ") outside " + mem.ref.what() + " of " + s + " bytes");
    }
  }

  private IndexOutOfBoundsException outside(long index, int width) {
    checkOpen();
    return new IndexOutOfBoundsException("index " + index + " (" + width + " bytes) outside "
        + mem.ref.what() + " of " + size + " bytes");
  }

  private void checkWritable() {
    if (!writable) {
      checkOpen();
      throw readOnly(-1);
    }
  }

  /** @param index where the write was, or -1 for a bulk write */
  private ReadOnlyBufferException readOnly(long index) {
    return new ReadOnly((index < 0 ? "write to " : "write at index " + index + " of ")
        + "read-only " + mem.ref.what() + " (" + size + " bytes)");
  }

  /** ReadOnlyBufferException has no message of its own: this one says where. */
  private static final class ReadOnly extends ReadOnlyBufferException {
    private static final long serialVersionUID = 1L;
    private final String message;

    ReadOnly(String message) {
      this.message = message;
    }

    @Override
    public String getMessage() {
      return message;
    }
  }

  /**
   * The current memory, with this call registered on it (the caller releases m.ref). A resize
   * that remapped the view publishes the new memory before it closes the old one, so a call
   * turned away by the old one finds the new one here.
   */
  private ViewMemory enter() {
    for (; ; ) {
      ViewMemory m = mem;
      try {
        m.ref.acquire();
        return m;
      } catch (IllegalStateException closed) {
        if (m == mem) {
          throw closed;
        }
      }
    }
  }

  private void checkOpen() {
    if (mem.ref.isClosed()) {
      throw closed();
    }
  }

  private IllegalStateException closed() {
    return new IllegalStateException(mem.ref.what() + " is closed");
  }

  @Override
  public String toString() {
    return "MappedView[" + name + ", offset " + offset + ", size " + size
        + (isClosed() ? ", closed]" : "]");
  }
}
