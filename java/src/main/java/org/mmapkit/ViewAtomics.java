package org.mmapkit;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;
import java.nio.ByteOrder;
import java.time.Duration;
import org.mmapkit.ViewMemory.Raw;
import org.mmapkit.ViewMemory.Window;
import org.mmapkit.internal.NativeCore;

/**
 * A {@link MappedView}'s atomics: plain forms (as the typed accessors: one range and alignment
 * test, then RawAccess on the view's Raw window, or a VarHandle over the ByteBuffer windows
 * without RawAccess), fault-safe forms through the core's guarded atomics, and the
 * cross-process wait and wake on a word.
 */
abstract class ViewAtomics extends ViewBulk {
  private static final VarHandle INT =
      MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());
  private static final VarHandle LONG =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
  /** Longest single native wait, so close() and interrupts are seen promptly. */
  private static final long WAIT_SLICE_NANOS = 50_000_000L;

  ViewAtomics(long ptr, String name, MappedFile file, int mapBits) {
    super(ptr, name, file, mapBits);
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
    if (RawAccess.ENABLED) {
      Raw r = raw;
      long a = r.address + index;
      if (direct(r, index, r.size, 4)) {
        int v = RawAccess.getIntVolatile(a);
        Reference.reachabilityFence(r);
        return v;
      }
      return (int) rawAtomic(NativeCore.MMKJ_LOAD, 4, index, 0, 0);
    }
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
    if (RawAccess.ENABLED) {
      Raw r = raw;
      long a = r.address + index;
      if (direct(r, index, r.writeSize, 4)) {
        RawAccess.putIntVolatile(a, value);
        Reference.reachabilityFence(r);
      } else {
        rawAtomic(NativeCore.MMKJ_STORE, 4, index, value, 0);
      }
      return;
    }
    Window w = atomicWrite(index, 4);
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
    if (RawAccess.ENABLED) {
      Raw r = raw;
      long a = r.address + index;
      if (direct(r, index, r.writeSize, 4)) {
        int v = RawAccess.getAndAddInt(a, delta);
        Reference.reachabilityFence(r);
        return v;
      }
      return (int) rawAtomic(NativeCore.MMKJ_ADD, 4, index, delta, 0);
    }
    Window w = atomicWrite(index, 4);
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
    if (RawAccess.ENABLED) {
      Raw r = raw;
      long a = r.address + index;
      if (direct(r, index, r.writeSize, 4)) {
        boolean v = RawAccess.compareAndSetInt(a, expected, desired);
        Reference.reachabilityFence(r);
        return v;
      }
      return rawAtomic(NativeCore.MMKJ_CAS, 4, index, expected, desired) != 0;
    }
    Window w = atomicWrite(index, 4);
    return INT.compareAndSet(w.buf, (int) (index - w.base), expected, desired);
  }

  /**
   * Reads the aligned 64-bit word at {@code index} (volatile).
   *
   * @param index byte index, 8-byte aligned in memory
   * @return the value
   */
  public long getLongVolatile(long index) {
    if (RawAccess.ENABLED) {
      Raw r = raw;
      long a = r.address + index;
      if (direct(r, index, r.size, 8)) {
        long v = RawAccess.getLongVolatile(a);
        Reference.reachabilityFence(r);
        return v;
      }
      return rawAtomic(NativeCore.MMKJ_LOAD, 8, index, 0, 0);
    }
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
    if (RawAccess.ENABLED) {
      Raw r = raw;
      long a = r.address + index;
      if (direct(r, index, r.writeSize, 8)) {
        RawAccess.putLongVolatile(a, value);
        Reference.reachabilityFence(r);
      } else {
        rawAtomic(NativeCore.MMKJ_STORE, 8, index, value, 0);
      }
      return;
    }
    Window w = atomicWrite(index, 8);
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
    if (RawAccess.ENABLED) {
      Raw r = raw;
      long a = r.address + index;
      if (direct(r, index, r.writeSize, 8)) {
        long v = RawAccess.getAndAddLong(a, delta);
        Reference.reachabilityFence(r);
        return v;
      }
      return rawAtomic(NativeCore.MMKJ_ADD, 8, index, delta, 0);
    }
    Window w = atomicWrite(index, 8);
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
    if (RawAccess.ENABLED) {
      Raw r = raw;
      long a = r.address + index;
      if (direct(r, index, r.writeSize, 8)) {
        boolean v = RawAccess.compareAndSetLong(a, expected, desired);
        Reference.reachabilityFence(r);
        return v;
      }
      return rawAtomic(NativeCore.MMKJ_CAS, 8, index, expected, desired) != 0;
    }
    Window w = atomicWrite(index, 8);
    return LONG.compareAndSet(w.buf, (int) (index - w.base), expected, desired);
  }

  // Fault-safe atomics: one native call each, through the core's guarded atomics (in-flight
  // calls that close and resize wait for). A fault (the file was truncated under the view) is
  // a FaultException from the call, never a dead JVM; after close they throw
  // IllegalStateException, never touch inert memory.

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
    if (op != NativeCore.MMKJ_LOAD) {
      checkWritable(index, bits / 8); // the core's refusal has no message
    }
    // call()'s body, without the lambda: capturing five values cost 2 ns of a 12 ns call
    ViewMemory m = enter();
    try {
      return NativeCore.mmkj_atomic(m.ref.ptr, op, bits, index, a, b);
    } finally {
      m.ref.release();
    }
  }

  /**
   * Whether a plain atomic of {@code n} bytes at {@code index} goes straight to {@code r}: inside
   * {@code bound} (the Raw's size, or its writeSize for the forms that write), n-byte aligned in
   * memory, and {@code r} usable by this thread. Everything else takes rawAtomic().
   */
  private static boolean direct(Raw r, long index, long bound, int n) {
    return index >= 0 && index <= bound - n && ((r.address + index) & (n - 1)) == 0 && usable(r);
  }

  /**
   * A plain atomic past its inline test (another thread's first use of the Raw, misaligned, out
   * of range, read-only, closed, resizing): the checks with their messages, then the operation
   * on the Raw that current() makes usable here. CAS answers 1 or 0; results zero-extended.
   */
  private long rawAtomic(int op, int n, long index, long x, long y) {
    checkWord(index, n);
    if (op != NativeCore.MMKJ_LOAD) {
      checkWritable(index, n);
    }
    Raw r = current(index, n);
    long a = r.address + index;
    long v;
    if (n == 4) {
      switch (op) {
        case NativeCore.MMKJ_LOAD: v = RawAccess.getIntVolatile(a); break;
        case NativeCore.MMKJ_STORE: RawAccess.putIntVolatile(a, (int) x); v = 0; break;
        case NativeCore.MMKJ_ADD: v = RawAccess.getAndAddInt(a, (int) x); break;
        default: v = RawAccess.compareAndSetInt(a, (int) x, (int) y) ? 1 : 0; break;
      }
    } else {
      switch (op) {
        case NativeCore.MMKJ_LOAD: v = RawAccess.getLongVolatile(a); break;
        case NativeCore.MMKJ_STORE: RawAccess.putLongVolatile(a, x); v = 0; break;
        case NativeCore.MMKJ_ADD: v = RawAccess.getAndAddLong(a, x); break;
        default: v = RawAccess.compareAndSetLong(a, x, y) ? 1 : 0; break;
      }
    }
    Reference.reachabilityFence(r);
    return v;
  }

  /** atomic() for the forms that write: a read-only view's windows are read-only buffers. */
  private Window atomicWrite(long index, int n) {
    checkWord(index, n);
    checkWritable(index, n); // the JDK's ReadOnlyBufferException would have no message
    return window(index, n);
  }

  private Window atomic(long index, int n) {
    checkWord(index, n);
    return window(index, n);
  }

  private Window window(long index, int n) {
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
          "index " + index + " is not " + n + "-byte aligned in memory (" + mem.ref.what()
              + " starts at file offset " + offset + ")");
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
  public boolean await(long index, int expected, Duration timeout)
      throws InterruptedException {
    checkWord(index, 4); // the core checks again under the lease
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
      long s = slice;
      if (call(p -> NativeCore.mmk_wait_u32(p, index, exp, s)) == 0) {
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
    checkWord(index, 4); // the core checks again under the lease
    return (int) call(p -> NativeCore.mmk_wake(p, index, count));
  }
}
