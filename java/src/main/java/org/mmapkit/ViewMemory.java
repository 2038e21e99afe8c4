package org.mmapkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.mmapkit.internal.NativeCore;

/**
 * The memory behind a {@link MappedView}: the native view, the leases of the direct ByteBuffers
 * over it and the geometry of the internal windows the typed accessors read through.
 *
 * <p>It never references the MappedView nor any of its buffers, so a cleaner can hold it while
 * both are collected. Every ByteBuffer over the view (a user's from asByteBuffer, or an internal
 * window) holds one core lease until it is unreachable: only then can no thread be inside it, so
 * only then may the range be unmapped. A close while leases are held is an inert close (the range
 * turns into zero memory that no longer touches the file); the last lease frees it.
 */
final class ViewMemory {
  static final int SHIFT = 30;
  static final long CHUNK = 1L << SHIFT;
  /** Each chunk window runs this far into the next chunk so that an 8-byte value never splits. */
  static final int SLACK = 7;
  private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

  /** A buffer over the view's bytes {@code [base, base + buf.capacity())}. */
  static final class Window {
    final ByteBuffer buf;
    final long base;

    Window(ByteBuffer buf, long base) {
      this.buf = buf;
      this.base = base;
    }
  }

  /**
   * One immutable set of windows over the view as it was when they were built. {@code first}
   * covers the first 2 GiB - 1 bytes: the accessors' inline path, so that every access to a view
   * of up to 2 GiB compiles like a MappedByteBuffer access. {@code tail} covers the last 2 GiB - 1
   * bytes: a fixed buffer whose loads the JIT hoists out of a far loop. {@code chunks[i]} covers
   * chunk i (1 GiB + SLACK): the middle of views over 4 GiB.
   */
  static final class Windows {
    static final Windows NONE;

    static {
      ByteBuffer none = ByteBuffer.allocateDirect(0);
      Window w = new Window(none, 0);
      NONE = new Windows(w, w, new Window[0], 0);
    }

    final ByteBuffer first;
    final Window head;
    final Window tail;
    final Window[] chunks;
    /** The view's size when these windows were built. */
    final long size;

    private Windows(Window head, Window tail, Window[] chunks, long size) {
      this.size = size;
      this.first = head.buf;
      this.head = head;
      this.tail = tail;
      this.chunks = chunks;
    }

    /** The window holding {@code [index, index + width)}, or null (not built, out of range). */
    Window find(long index, int width) {
      Window t = tail;
      long r = index - t.base;
      if (r >= 0 && r <= t.buf.capacity() - width) {
        return t;
      }
      Window[] c = chunks;
      long i = index >>> SHIFT; // a negative index is huge: one compare covers both ends
      // Inside the view, chunk i holds the value whole: it runs SLACK bytes into chunk i + 1.
      if (i < c.length && index <= size - width) {
        return c[(int) i];
      }
      Window h = head; // the accessors test it inline; the atomics come here
      return index >= 0 && index <= h.buf.capacity() - width ? h : null;
    }
  }

  /**
   * The typed accessors' window for RawAccess: the view's address and size as they were when it
   * was made, at map time, with no lease. It is confined to the thread that mapped the view
   * (the accessors test {@code thread}): that thread cannot be inside an access while it closes
   * or resizes the view, so a view mapped, read and closed on one thread never leases and its
   * close is a plain unmap. Any other thread's first access shares it (slow path): the view is
   * leased for it then, until the confined Raw is collected, and the shared Raw references it;
   * so does a close or resize from another thread, or the view collected while the Raw is still
   * reachable. A Raw in use by a thread is reachable (the accessors' reachability fence), so a
   * leased range is inert zero memory after a close, never unmapped under a load.
   */
  static final class Raw {
    /** No window: every access misses (after close, during resize, without RawAccess). */
    static final Raw NONE = new Raw(0, 0, 0, null, null);

    final long address;
    /** Bytes the accessors may reach (0 for NONE). */
    final long size;
    /** Bytes the writing accessors may reach: size, or 0 for a read-only view (one test). */
    final long writeSize;
    /**
     * The only thread that may use this Raw, or null for a shared one. Held strongly: a view
     * outliving the thread that mapped it keeps that Thread object (not its stack) reachable.
     * A thread id would not do on JDK 17 (Thread.getId() is overridable) and a weak reference
     * would cost a load in every access.
     */
    final Thread thread;
    /** For a shared Raw: the confined one whose lease covers both. */
    final Raw confined;
    /** RawAccess's objects over size and writeSize bytes (JDK 24+: segments; else null). */
    final Object segment;
    final Object writeSegment;

    private Raw(long address, long size, long writeSize, Thread thread, Raw confined) {
      this.address = address;
      this.size = size;
      this.writeSize = writeSize;
      this.thread = thread;
      this.confined = confined;
      this.segment = confined != null ? confined.segment : RawAccess.segment(address, size);
      this.writeSegment = confined != null ? confined.writeSegment
          : writeSize == size ? segment : RawAccess.segment(address, writeSize);
    }
  }

  /** The confined Raw over the current range and whether it is leased; weak: ownerGone(). */
  private WeakReference<Raw> candidate;
  private boolean candidatePinned;

  /**
   * A new Raw over the view's current range ({@code size} bytes), confined to {@code t}, or NONE
   * without RawAccess. A previous Raw another thread may use must have been pinned.
   */
  synchronized Raw confined(long size, boolean writable, Thread t) {
    if (!RawAccess.ENABLED) {
      return Raw.NONE;
    }
    Raw w = new Raw(NativeCore.mmkj_view_address(ref.ptr), size, writable ? size : 0, t,
        null);
    candidate = new WeakReference<>(w);
    candidatePinned = false;
    return w;
  }

  /** The shared twin of {@code c} (confined): leases the view for both first. */
  Raw share(Raw c) {
    pin(c);
    return new Raw(c.address, c.size, c.writeSize, null, c);
  }

  /**
   * Leases the view for {@code r} (confined) before another thread may touch it while the range
   * is unmapped, moved or shrunk: the lease is given back when {@code r} is collected. Once per
   * Raw; nothing if the view is closed already (that close pinned what it had to).
   */
  void pin(Raw r) {
    if (ref.isClosed()) {
      return; // closed before (every close() comes here through ownerGone): that close pinned
    }
    synchronized (this) {
      WeakReference<Raw> c = candidate;
      if (c != null && c.get() == r) {
        if (candidatePinned) {
          return;
        }
        candidatePinned = true;
      }
    }
    long p;
    try {
      p = ref.acquire();
    } catch (IllegalStateException closed) {
      return; // closed meanwhile
    }
    try {
      NativeCore.mmk_view_lease(p);
      synchronized (this) {
        buffers++;
      }
      MappedFile.CLEANER.register(r, this::bufferGone);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // not while acquired: the core refuses only a closed view
    } finally {
      ref.release();
    }
  }

  final NativeRef ref;
  private int buffers;
  private int userBuffers;
  private boolean ownerGone;

  ViewMemory(long ptr, String what) {
    this.ref = new NativeRef(ptr, what, NativeCore::mmk_view_close_inert);
  }

  /**
   * A new direct buffer over [offset, offset+length) in native order, holding one core lease.
   *
   * @param user true for a buffer handed to the user, false for an internal window
   */
  ByteBuffer lease(long offset, int length, boolean writable, boolean user) {
    long p = ref.acquire();
    try {
      ByteBuffer b = NativeCore.mmkj_view_window(p, offset, length);
      synchronized (this) {
        buffers++;
        userBuffers += user ? 1 : 0;
      }
      MappedFile.CLEANER.register(b, user ? this::userBufferGone : this::bufferGone);
      return (writable ? b : b.asReadOnlyBuffer()).order(NATIVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      ref.release();
    }
  }

  /** The windows over a view of {@code size} bytes, each leased. */
  Windows build(long size, boolean writable) {
    if (size <= Integer.MAX_VALUE) { // one buffer is first and tail
      Window all = new Window(lease(0, (int) size, writable, false), 0);
      return new Windows(all, all, new Window[0], size);
    }
    long tailStart = size - Integer.MAX_VALUE;
    return new Windows(new Window(lease(0, Integer.MAX_VALUE, writable, false), 0),
        new Window(lease(tailStart, Integer.MAX_VALUE, writable, false), tailStart),
        // first and tail overlap enough for every 8-byte value up to this size
        size <= 2L * Integer.MAX_VALUE - SLACK ? new Window[0] : chunks(size, writable), size);
  }

  private Window[] chunks(long size, boolean writable) {
    int n = (int) ((size + CHUNK - 1) >>> SHIFT);
    Window[] c = new Window[n];
    for (int i = 0; i < n; i++) {
      long start = (long) i << SHIFT;
      int length = (int) Math.min(CHUNK + SLACK, size - start);
      c[i] = new Window(lease(start, length, writable, false), start);
    }
    return c;
  }

  private void userBufferGone() {
    synchronized (this) {
      userBuffers--;
    }
    bufferGone();
  }

  /** Cleaner of a buffer: give its lease back (after an inert close the last one frees). */
  private void bufferGone() {
    boolean closeNow;
    synchronized (this) {
      closeNow = --buffers == 0 && ownerGone;
    }
    NativeCore.mmk_view_release(ref.ptr);
    if (closeNow) {
      ref.closeQuietly();
    }
  }

  /** True while a ByteBuffer over the view (a user's or an internal window) is reachable. */
  synchronized boolean hasBuffers() {
    return buffers > 0;
  }

  /** True while a ByteBuffer handed to the user (asByteBuffer) is reachable. */
  synchronized boolean hasUserBuffers() {
    return userBuffers > 0;
  }

  /** The MappedView is closed or unreachable: unmap now if no buffer is left, else later. */
  void ownerGone() {
    Raw r;
    synchronized (this) {
      r = candidate != null && !candidatePinned ? candidate.get() : null;
    }
    if (r != null) {
      pin(r); // still reachable: a thread may be inside an access through it
    }
    synchronized (this) {
      ownerGone = true;
      if (buffers > 0) {
        return;
      }
    }
    ref.closeQuietly();
  }
}
