package org.mmapkit;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import org.mmapkit.ViewMemory.Raw;

/**
 * RawAccess on JDK 24 and later (the jar's META-INF/versions/24 copy of the class; the base
 * one reaches sun.misc.Unsafe, whose memory access warns from JDK 24 on): the same methods with
 * the same contract, through MemorySegments. A Raw window's loads and stores go through its own
 * segment, sliced at map time from one global segment that spans the address space (global
 * scope: no liveness check, the window's lease is the liveness); the atomics through that
 * global segment at the address. All are the JIT's own intrinsics.
 *
 * <p>Making that segment is a restricted method: on only where the JVM grants this module
 * native access ({@code --enable-native-access=ALL-UNNAMED} or the module's name), which
 * JDK 24+ asks for the jar's System.load anyway; elsewhere, and with {@code
 * -Dmmapkit.unsafe=false}, {@link #ENABLED} is false and the accessors use their ByteBuffer
 * windows, as the base class does when Unsafe is off.
 *
 * <p>Only a view's Raw windows (ViewMemory.Raw), and addresses inside them, may be passed here,
 * used as Raw's rules allow (its confined thread, or a lease): a closed view's range is then
 * inert zero memory, never unmapped under a load.
 */
final class RawAccess {
  /** The system property that turns this path off when set to "false". */
  static final String PROPERTY = "mmapkit.unsafe";
  /** True when the accessors load and store through the segment. */
  static final boolean ENABLED;
  /** Why this path is off (null when on): for tests and bug reports. */
  static final String OFF_BECAUSE;
  /** What this path goes through: for tests and bug reports. */
  static final String KIND = "MemorySegment";

  private static final MemorySegment ALL;
  private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
  private static final ValueLayout.OfChar CHAR = ValueLayout.JAVA_CHAR_UNALIGNED;
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
  private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
  private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED;
  // The atomics' handles: aligned layouts (the callers test alignment first), offset 0.
  private static final VarHandle INT_ATOMIC = ValueLayout.JAVA_INT.varHandle();
  private static final VarHandle LONG_ATOMIC = ValueLayout.JAVA_LONG.varHandle();

  static {
    String off = null;
    MemorySegment all = MemorySegment.NULL;
    if ("false".equalsIgnoreCase(System.getProperty(PROPERTY))) {
      off = "-D" + PROPERTY + "=false";
    } else if (!RawAccess.class.getModule().isNativeAccessEnabled()) {
      off = "no native access for " + RawAccess.class.getModule()
          + " (--enable-native-access=ALL-UNNAMED turns this path on)";
    } else {
      all = everything();
    }
    ENABLED = off == null;
    OFF_BECAUSE = off;
    ALL = all;
  }

  private RawAccess() {}

  @SuppressWarnings("restricted") // granted: the static initializer checked native access
  private static MemorySegment everything() {
    return MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
  }

  /**
   * The segment a Raw window loads and stores through: its range of ALL (a slice of a global
   * segment is one, no restricted call per view). Empty for Raw.NONE and while this path is
   * off (ALL is then empty too).
   */
  static Object segment(long address, long size) {
    return size == 0 || !ENABLED ? MemorySegment.NULL : ALL.asSlice(address, size);
  }

  // The accessors' loads and stores: the window's own segment (writeSegment: empty for a
  // read-only view) is the range test, IndexOutOfBoundsException outside it, which the accessor
  // takes as its miss. Measured (JDK 25, same runs): a scan through ALL at r.address + index,
  // behind the accessor's own compare, ran at 0.87x of a MappedByteBuffer; through the window's
  // segment alone, 0.99x (the segment's bound is a range check C2 hoists out of the loop).
  static byte getByte(Raw r, long index) {
    return ((MemorySegment) r.segment).get(ValueLayout.JAVA_BYTE, index);
  }

  static void putByte(Raw r, long index, byte v) {
    ((MemorySegment) r.writeSegment).set(ValueLayout.JAVA_BYTE, index, v);
  }

  static short getShort(Raw r, long index) {
    return ((MemorySegment) r.segment).get(SHORT, index);
  }

  static void putShort(Raw r, long index, short v) {
    ((MemorySegment) r.writeSegment).set(SHORT, index, v);
  }

  static char getChar(Raw r, long index) {
    return ((MemorySegment) r.segment).get(CHAR, index);
  }

  static void putChar(Raw r, long index, char v) {
    ((MemorySegment) r.writeSegment).set(CHAR, index, v);
  }

  static int getInt(Raw r, long index) {
    return ((MemorySegment) r.segment).get(INT, index);
  }

  static void putInt(Raw r, long index, int v) {
    ((MemorySegment) r.writeSegment).set(INT, index, v);
  }

  static long getLong(Raw r, long index) {
    return ((MemorySegment) r.segment).get(LONG, index);
  }

  static void putLong(Raw r, long index, long v) {
    ((MemorySegment) r.writeSegment).set(LONG, index, v);
  }

  static float getFloat(Raw r, long index) {
    return ((MemorySegment) r.segment).get(FLOAT, index);
  }

  static void putFloat(Raw r, long index, float v) {
    ((MemorySegment) r.writeSegment).set(FLOAT, index, v);
  }

  static double getDouble(Raw r, long index) {
    return ((MemorySegment) r.segment).get(DOUBLE, index);
  }

  static void putDouble(Raw r, long index, double v) {
    ((MemorySegment) r.writeSegment).set(DOUBLE, index, v);
  }

  static int getIntVolatile(long address) {
    return (int) INT_ATOMIC.getVolatile(ALL, address);
  }

  static void putIntVolatile(long address, int v) {
    INT_ATOMIC.setVolatile(ALL, address, v);
  }

  static int getAndAddInt(long address, int delta) {
    return (int) INT_ATOMIC.getAndAdd(ALL, address, delta);
  }

  static boolean compareAndSetInt(long address, int expected, int desired) {
    return INT_ATOMIC.compareAndSet(ALL, address, expected, desired);
  }

  static long getLongVolatile(long address) {
    return (long) LONG_ATOMIC.getVolatile(ALL, address);
  }

  static void putLongVolatile(long address, long v) {
    LONG_ATOMIC.setVolatile(ALL, address, v);
  }

  static long getAndAddLong(long address, long delta) {
    return (long) LONG_ATOMIC.getAndAdd(ALL, address, delta);
  }

  static boolean compareAndSetLong(long address, long expected, long desired) {
    return LONG_ATOMIC.compareAndSet(ALL, address, expected, desired);
  }
}
