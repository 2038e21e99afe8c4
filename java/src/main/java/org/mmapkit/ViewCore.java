package org.mmapkit;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.lang.ref.WeakReference;
import java.nio.ReadOnlyBufferException;
import org.mmapkit.ViewMemory.Raw;
import org.mmapkit.ViewMemory.Window;
import org.mmapkit.ViewMemory.Windows;
import org.mmapkit.internal.NativeCore;

/**
 * The state of a {@link MappedView} and what every one of its calls needs: the current memory
 * and how a call registers on it ({@link #enter()}), the typed accessors' paths past their
 * inline test (the Raw window's sharing, leases and slow path; the ByteBuffer windows' lookup),
 * and the checks and messages of refused calls. First of the package-private chain ViewCore,
 * ViewBulk, ViewAtomics, ViewTyped, MappedView: each reads in one sitting, and the typed
 * accessors in ViewTyped pay nothing for it (fields and final methods only).
 */
abstract class ViewCore {
  /** The native view and its leases; replaced when resize() moves the view by remapping. */
  volatile ViewMemory mem;
  /** Closes {@code mem} when the view is closed or collected (guarded by this). */
  Cleaner.Cleanable cleanable;
  /** Where resize() maps the view anew; weak: a view does not keep its file open. */
  final WeakReference<MappedFile> file;
  final int mapBits;
  final long offset;
  final boolean writable;
  final String name;
  volatile long size;
  /** The current windows; NONE before the first typed access, after resize() and close(). */
  Windows win = Windows.NONE;
  /**
   * The typed accessors' RawAccess window (see ViewMemory.Raw): confined to the thread that
   * mapped the view until another thread uses it, NONE after close(), during resize() and
   * without RawAccess. Written under this lock; read plainly (its fields are final).
   */
  Raw raw;

  ViewCore(long ptr, String name, MappedFile file, int mapBits) {
    this.file = new WeakReference<>(file);
    this.mapBits = mapBits;
    this.mem = new ViewMemory(ptr, "view of " + (name.isEmpty() ? "anonymous memory" : name));
    this.offset = NativeCore.mmk_view_offset(ptr);
    this.size = NativeCore.mmk_view_size(ptr);
    this.writable = NativeCore.mmk_view_writable(ptr) != 0;
    this.name = name;
    ViewMemory m = mem;
    this.raw = m.confined(size, writable, Thread.currentThread());
    this.cleanable = MappedFile.CLEANER.register(this, m::ownerGone);
  }

  /** Whether this thread may use {@code r}: shared, or confined to it. */
  static boolean usable(Raw r) {
    Thread t = r.thread;
    return t == null || t == Thread.currentThread();
  }

  /**
   * Takes the window away from the accessors (close, resize; under this lock). Leased first if
   * a thread other than this one may be inside an access through it: the one it is confined to
   * (a shared Raw is leased already).
   */
  final Raw unpublish() {
    Raw old = raw;
    raw = Raw.NONE;
    if (old.thread != null && old.thread != Thread.currentThread()) {
      mem.pin(old);
    }
    return old;
  }

  /** After a resize: a Raw over mem and size as they are now, confined as {@code old} was. */
  final void republish(Raw old) {
    if (!mem.ref.isClosed()) {
      Thread t = old.thread != null ? old.thread : Thread.currentThread();
      raw = mem.confined(size, writable, t);
    }
  }

  /** The window holding {@code [index, index + width)}; the part of an access past 2 GiB. */
  final Window far(long index, int width) {
    Window w = win.find(index, width);
    return w != null ? w : callSlow(index, width);
  }

  /** far() for the put accessors, which a read-only view refuses. */
  final Window farWrite(long index, int width) {
    if (!writable) {
      checkOpen();
      throw readOnly(index, width);
    }
    return far(index, width);
  }

  /**
   * A RawAccess get past the accessors' inline test (a thread's first use of a window confined
   * to another, out of range, closed, resizing): the value's bits, zero-extended (the accessors
   * narrow them). All of it behind one method handle the JIT cannot inline (see callSlow()),
   * returned from directly: measured (JDK 17, a scan compiled after 20,000 first reads, so C2
   * compiled the miss path into the loop), an accessor that merged the window from its miss
   * path back into its inline load ran the scan 25-30% slower.
   */
  final long slowGet(long index, int width) {
    try {
      return (long) rawGetPath.invokeExact(this, index, width);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new AssertionError(t); // rawGet() throws nothing checked
    }
  }

  /** As slowGet(), for the put accessors (a read-only view refuses them); bits in the low end. */
  final void slowPut(long index, int width, long bits) {
    try {
      rawPutPath.invokeExact(this, index, width, bits);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /**
   * The part of a RawAccess get past the accessors' inline test: closed (IllegalStateException),
   * out of range (IndexOutOfBoundsException), or a close or resize in progress (waited for: they
   * hold this lock).
   */
  private long rawGet(long index, int width) {
    Raw r = current(index, width);
    long v;
    switch (width) {
      case 1: v = RawAccess.getByte(r, index) & 0xFFL; break;
      case 2: v = RawAccess.getShort(r, index) & 0xFFFFL; break;
      case 4: v = RawAccess.getInt(r, index) & 0xFFFF_FFFFL; break;
      default: v = RawAccess.getLong(r, index); break;
    }
    Reference.reachabilityFence(r);
    return v;
  }

  private void rawPut(long index, int width, long bits) {
    checkWritable(index, width);
    Raw r = current(index, width);
    switch (width) {
      case 1: RawAccess.putByte(r, index, (byte) bits); break;
      case 2: RawAccess.putShort(r, index, (short) bits); break;
      case 4: RawAccess.putInt(r, index, (int) bits); break;
      default: RawAccess.putLong(r, index, bits); break;
    }
    Reference.reachabilityFence(r);
  }

  /** The window, usable by this thread, that holds {@code [index, index + width)}. */
  final synchronized Raw current(long index, int width) {
    checkOpen();
    Raw r = raw;
    if (r.thread != null && r.thread != Thread.currentThread()) {
      raw = r = mem.share(r); // a second thread: lease for the confined one, then share
    }
    if (index < 0 || index > r.size - width) {
      throw outside(index, width);
    }
    return r;
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
  /** As slowPath, for rawGet() and rawPut(). */
  private static MethodHandle rawGetPath;
  private static MethodHandle rawPutPath;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      slowPath = l.findVirtual(ViewCore.class, "slow",
          MethodType.methodType(Window.class, long.class, int.class));
      rawGetPath = l.findVirtual(ViewCore.class, "rawGet",
          MethodType.methodType(long.class, long.class, int.class));
      rawPutPath = l.findVirtual(ViewCore.class, "rawPut",
          MethodType.methodType(void.class, long.class, int.class, long.class));
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

  // ---------------------------------------------------------------- helpers

  final void checkRange(long index, long length) {
    long s = size;
    if (index < 0 || length < 0 || index > s || length > s - index) {
      checkOpen();
      throw new IndexOutOfBoundsException("range [" + index + ", " + index + " + " + length
          + ") outside " + mem.ref.what() + " of " + s + " bytes");
    }
  }

  /**
   * The array side of a bulk copy at {@code index}: {@code [off, off + length)} inside an array
   * of {@code arrayLength} (Objects.checkFromIndexSize, with the view in the message).
   */
  final void checkArray(int off, int length, int arrayLength, long index) {
    if ((off | length) < 0 || length > arrayLength - off) {
      throw new IndexOutOfBoundsException("array range [" + off + ", " + off + " + " + length
          + ") outside byte[" + arrayLength + "] for the copy at index " + index + " of "
          + mem.ref.what() + " (" + size + " bytes)");
    }
  }

  /** An access of {@code width} bytes at {@code index} outside the view (or closed: ISE). */
  final IndexOutOfBoundsException outside(long index, int width) {
    checkOpen();
    return new IndexOutOfBoundsException("index " + index + " (" + width + " bytes) outside "
        + mem.ref.what() + " of " + size + " bytes");
  }

  /** For a write of {@code length} bytes at {@code index}: refused by a read-only view. */
  final void checkWritable(long index, long length) {
    if (!writable) {
      checkOpen();
      throw readOnly(index, length);
    }
  }

  /** The refusal of a write of {@code width} bytes at {@code index} (a read-only view). */
  final ReadOnlyBufferException readOnly(long index, long width) {
    return new ReadOnlyViewException("write of " + width + " bytes at index " + index
        + " refused: " + mem.ref.what() + " (" + size + " bytes) is read-only");
  }

  /** A native call on the view's memory; {@code view} is the native view. */
  interface Call<X extends Exception> {
    long on(long view) throws X;
  }

  /** As Call, with no result. */
  interface Run<X extends Exception> {
    void on(long view) throws X;
  }

  /** Runs {@code c} under the view's lease: a close or resize on another thread waits for it. */
  final <X extends Exception> long call(Call<X> c) throws X {
    ViewMemory m = enter();
    try {
      return c.on(m.ref.ptr);
    } finally {
      m.ref.release();
    }
  }

  /** As call(), with no result. */
  final <X extends Exception> void run(Run<X> r) throws X {
    ViewMemory m = enter();
    try {
      r.on(m.ref.ptr);
    } finally {
      m.ref.release();
    }
  }

  /**
   * The current memory, with this call registered on it (the caller releases m.ref). A resize
   * that remapped the view publishes the new memory before it closes the old one, so a call
   * turned away by the old one finds the new one here.
   */
  final ViewMemory enter() {
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

  final void checkOpen() {
    if (mem.ref.isClosed()) {
      throw closed();
    }
  }

  final IllegalStateException closed() {
    return new IllegalStateException(mem.ref.what() + " is closed");
  }
}
