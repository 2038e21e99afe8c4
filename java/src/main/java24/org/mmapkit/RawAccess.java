package org.mmapkit;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * RawAccess on JDK 24 and later (the jar's META-INF/versions/24 copy of the class; the base
 * one reaches sun.misc.Unsafe, whose memory access warns from JDK 24 on): plain loads and
 * stores at native addresses through one MemorySegment that spans the address space, the
 * same methods with the same contract. Its loads and stores are the JIT's own intrinsics
 * (the segment is global: no liveness check; its bound is the address space).
 *
 * <p>Making that segment is a restricted method: on only where the JVM grants this module
 * native access ({@code --enable-native-access=ALL-UNNAMED} or the module's name), which
 * JDK 24+ asks for the jar's System.load anyway; elsewhere, and with {@code
 * -Dmmapkit.unsafe=false}, {@link #ENABLED} is false and the accessors use their ByteBuffer
 * windows, as the base class does when Unsafe is off.
 *
 * <p>Only addresses of a view's memory while a lease holds it mapped (ViewMemory's windows) may
 * be passed here: a closed view's range is then inert zero memory, never unmapped under a load.
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

  static byte getByte(long address) {
    return ALL.get(ValueLayout.JAVA_BYTE, address);
  }

  static void putByte(long address, byte v) {
    ALL.set(ValueLayout.JAVA_BYTE, address, v);
  }

  static short getShort(long address) {
    return ALL.get(SHORT, address);
  }

  static void putShort(long address, short v) {
    ALL.set(SHORT, address, v);
  }

  static char getChar(long address) {
    return ALL.get(CHAR, address);
  }

  static void putChar(long address, char v) {
    ALL.set(CHAR, address, v);
  }

  static int getInt(long address) {
    return ALL.get(INT, address);
  }

  static void putInt(long address, int v) {
    ALL.set(INT, address, v);
  }

  static long getLong(long address) {
    return ALL.get(LONG, address);
  }

  static void putLong(long address, long v) {
    ALL.set(LONG, address, v);
  }

  static float getFloat(long address) {
    return ALL.get(FLOAT, address);
  }

  static void putFloat(long address, float v) {
    ALL.set(FLOAT, address, v);
  }

  static double getDouble(long address) {
    return ALL.get(DOUBLE, address);
  }

  static void putDouble(long address, double v) {
    ALL.set(DOUBLE, address, v);
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
