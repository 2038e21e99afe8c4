package org.mmapkit;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;
import org.mmapkit.ViewMemory.Raw;

/**
 * Plain loads and stores at native addresses, the typed accessors' fast path: {@code
 * sun.misc.Unsafe}'s absolute-address methods, reached by reflection into {@code static final}
 * method handles, which C2 treats as constants and inlines down to the intrinsic (one load, one
 * store). No compile-time reference: the build's {@code -Xlint:all -Werror} rejects the
 * "internal proprietary API" warning such a reference gives, and it cannot be suppressed.
 *
 * <p>Off ({@link #ENABLED} false; the accessors then use their ByteBuffer windows) where Unsafe
 * is absent or does not behave as checked here, on JDK 24 and later (which warn, then refuse, at
 * run time on Unsafe's memory access, JEP 471/498) unless the JVM runs with {@code
 * --sun-misc-unsafe-memory-access=allow}, and with {@code -Dmmapkit.unsafe=false}.
 *
 * <p>Only a view's Raw windows (ViewMemory.Raw), and addresses inside them, may be passed here,
 * used as Raw's rules allow (its confined thread, or a lease): a closed view's range is then
 * inert zero memory, never unmapped under a load.
 */
final class RawAccess {
  /** The system property that turns the Unsafe path off when set to "false". */
  static final String PROPERTY = "mmapkit.unsafe";
  /** True when the accessors load and store through Unsafe. */
  static final boolean ENABLED;
  /** Why the Unsafe path is off (null when on): for tests and bug reports. */
  static final String OFF_BECAUSE;
  /** What this path goes through (META-INF/versions/24 has the MemorySegment one). */
  static final String KIND = "sun.misc.Unsafe";

  private static final MethodHandle GET_BYTE;
  private static final MethodHandle PUT_BYTE;
  private static final MethodHandle GET_SHORT;
  private static final MethodHandle PUT_SHORT;
  private static final MethodHandle GET_CHAR;
  private static final MethodHandle PUT_CHAR;
  private static final MethodHandle GET_INT;
  private static final MethodHandle PUT_INT;
  private static final MethodHandle GET_LONG;
  private static final MethodHandle PUT_LONG;
  private static final MethodHandle GET_FLOAT;
  private static final MethodHandle PUT_FLOAT;
  private static final MethodHandle GET_DOUBLE;
  private static final MethodHandle PUT_DOUBLE;

  // Volatile loads and stores, getAndAdd and compare-and-set: Unsafe's (Object, offset) forms
  // with a null object, where the offset is an absolute address. Same ordering as the
  // VarHandle forms the ByteBuffer windows use (volatile; getAndAdd and CAS are full fences).
  private static final MethodHandle GET_INT_VOLATILE;
  private static final MethodHandle PUT_INT_VOLATILE;
  private static final MethodHandle GET_AND_ADD_INT;
  private static final MethodHandle CAS_INT;
  private static final MethodHandle GET_LONG_VOLATILE;
  private static final MethodHandle PUT_LONG_VOLATILE;
  private static final MethodHandle GET_AND_ADD_LONG;
  private static final MethodHandle CAS_LONG;

  /** The atomics' Unsafe methods (first argument Object), in the order of ATOMIC_TYPES. */
  private static final String[] ATOMICS = {
    "getIntVolatile", "putIntVolatile", "getAndAddInt", "compareAndSwapInt",
    "getLongVolatile", "putLongVolatile", "getAndAddLong", "compareAndSwapLong"
  };
  /** Their types after the object: (address, operands) -> result. */
  private static final MethodType[] ATOMIC_TYPES = {
    MethodType.methodType(int.class, long.class),
    MethodType.methodType(void.class, long.class, int.class),
    MethodType.methodType(int.class, long.class, int.class),
    MethodType.methodType(boolean.class, long.class, int.class, int.class),
    MethodType.methodType(long.class, long.class),
    MethodType.methodType(void.class, long.class, long.class),
    MethodType.methodType(long.class, long.class, long.class),
    MethodType.methodType(boolean.class, long.class, long.class, long.class)
  };

  private static final Class<?>[] TYPES = {
    byte.class, short.class, char.class, int.class, long.class, float.class, double.class
  };

  static {
    // the accessors' get/put pairs, then (for check() alone) a direct buffer's address
    MethodHandle[] h = new MethodHandle[2 * TYPES.length + 1];
    MethodHandle[] a = new MethodHandle[ATOMICS.length];
    String off = null;
    try {
      off = reasonOff();
      if (off == null) {
        find(h, a);
        off = check(h, a);
      }
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      off = "sun.misc.Unsafe not usable: " + e;
    }
    if (off != null) { // inert handles of the same types: never called while ENABLED is false
      for (int i = 0; i < TYPES.length; i++) {
        h[2 * i] = MethodHandles.empty(MethodType.methodType(TYPES[i], long.class));
        h[2 * i + 1] = MethodHandles.empty(MethodType.methodType(void.class, long.class, TYPES[i]));
      }
      for (int i = 0; i < ATOMICS.length; i++) {
        a[i] = MethodHandles.empty(ATOMIC_TYPES[i]);
      }
    }
    ENABLED = off == null;
    OFF_BECAUSE = off;
    GET_BYTE = h[0];
    PUT_BYTE = h[1];
    GET_SHORT = h[2];
    PUT_SHORT = h[3];
    GET_CHAR = h[4];
    PUT_CHAR = h[5];
    GET_INT = h[6];
    PUT_INT = h[7];
    GET_LONG = h[8];
    PUT_LONG = h[9];
    GET_FLOAT = h[10];
    PUT_FLOAT = h[11];
    GET_DOUBLE = h[12];
    PUT_DOUBLE = h[13];
    GET_INT_VOLATILE = a[0];
    PUT_INT_VOLATILE = a[1];
    GET_AND_ADD_INT = a[2];
    CAS_INT = a[3];
    GET_LONG_VOLATILE = a[4];
    PUT_LONG_VOLATILE = a[5];
    GET_AND_ADD_LONG = a[6];
    CAS_LONG = a[7];
  }

  private RawAccess() {}

  /** Why not to use Unsafe here, or null. */
  private static String reasonOff() {
    if ("false".equalsIgnoreCase(System.getProperty(PROPERTY))) {
      return "-D" + PROPERTY + "=false";
    }
    int feature = Runtime.version().feature();
    // JDK 24 on warns at the first Unsafe memory access (JEP 498) unless the JVM was started
    // with --sun-misc-unsafe-memory-access=allow, which the launcher shows as this property.
    if (feature >= 24 && !"allow".equals(System.getProperty("sun.misc.unsafe.memory.access"))) {
      return "JDK " + feature + " warns on sun.misc.Unsafe memory access"
          + " (--sun-misc-unsafe-memory-access=allow turns the warning off and this path on)";
    }
    return null;
  }

  private static void find(MethodHandle[] h, MethodHandle[] a)
      throws ReflectiveOperationException {
    Class<?> u = Class.forName("sun.misc.Unsafe");
    Field f = u.getDeclaredField("theUnsafe");
    f.setAccessible(true); // jdk.unsupported opens sun.misc: no warning, no flag needed
    Object unsafe = f.get(null);
    MethodHandles.Lookup l = MethodHandles.lookup();
    for (int i = 0; i < TYPES.length; i++) {
      Class<?> t = TYPES[i];
      String n = Character.toUpperCase(t.getName().charAt(0)) + t.getName().substring(1);
      h[2 * i] = l.findVirtual(u, "get" + n, MethodType.methodType(t, long.class)).bindTo(unsafe);
      h[2 * i + 1] = l.findVirtual(u, "put" + n, MethodType.methodType(void.class, long.class, t))
          .bindTo(unsafe);
    }
    for (int i = 0; i < ATOMICS.length; i++) {
      MethodHandle m = l.findVirtual(u, ATOMICS[i], ATOMIC_TYPES[i].insertParameterTypes(0,
          Object.class)).bindTo(unsafe);
      a[i] = MethodHandles.insertArguments(m, 0, (Object) null);
    }
    long addressOffset = (Long) u.getMethod("objectFieldOffset", Field.class)
        .invoke(unsafe, Buffer.class.getDeclaredField("address"));
    MethodHandle getLongAt = l.findVirtual(u, "getLong",
        MethodType.methodType(long.class, Object.class, long.class)).bindTo(unsafe);
    h[2 * TYPES.length] = MethodHandles.insertArguments(getLongAt, 1, addressOffset);
  }

  /** Reads and writes a direct buffer both ways; null if Unsafe agreed with it. */
  private static String check(MethodHandle[] h, MethodHandle[] at) {
    ByteBuffer b = ByteBuffer.allocateDirect(64).order(ByteOrder.nativeOrder());
    try {
      long a = (long) h[2 * TYPES.length].invokeExact((Object) b);
      b.putLong(8, 0x0102030405060708L);
      long got = (long) h[8].invokeExact(a + 8);
      h[9].invokeExact(a + 17, 0x1112131415161718L); // unaligned, as the accessors allow
      long old = (long) at[6].invokeExact(a + 8, 2L); // getAndAddLong
      boolean swapped = (boolean) at[3].invokeExact(a + 32, 0, 7); // compareAndSwapInt
      if (got != 0x0102030405060708L || b.getLong(17) != 0x1112131415161718L
          || old != got || b.getLong(8) != got + 2 || !swapped || b.getInt(32) != 7) {
        return "sun.misc.Unsafe disagrees with a direct ByteBuffer";
      }
      return null;
    } catch (Throwable t) {
      return "sun.misc.Unsafe not usable: " + t;
    }
  }

  /**
   * What a handle threw, as is when unchecked: the InternalError the JVM raises for a load or
   * store that faults (a truncated file), as it does for a MappedByteBuffer.
   */
  private static AssertionError rethrow(Throwable t) {
    if (t instanceof RuntimeException) {
      throw (RuntimeException) t;
    }
    if (t instanceof Error) {
      throw (Error) t;
    }
    return new AssertionError(t); // the Unsafe methods declare nothing checked
  }

  /** Raw's per-window object for the MemorySegment version (a segment); none needed here. */
  static Object segment(long address, long size) {
    return null;
  }

  // The accessors' loads and stores: [index, index + width) inside r (writeSize for a store),
  // else IndexOutOfBoundsException, which the accessor takes as its miss (its slow path says
  // what it was). The test is Objects.checkIndex, a range check C2 can hoist out of a loop,
  // where a plain compare stays in it: measured in the accessors (JDK 17, same runs), see
  // ViewTyped.

  static byte getByte(Raw r, long index) {
    Objects.checkIndex(index, r.size);
    try {
      return (byte) GET_BYTE.invokeExact(r.address + index);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static void putByte(Raw r, long index, byte v) {
    Objects.checkIndex(index, r.writeSize);
    try {
      PUT_BYTE.invokeExact(r.address + index, v);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static short getShort(Raw r, long index) {
    Objects.checkIndex(index, r.size - 1);
    try {
      return (short) GET_SHORT.invokeExact(r.address + index);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static void putShort(Raw r, long index, short v) {
    Objects.checkIndex(index, r.writeSize - 1);
    try {
      PUT_SHORT.invokeExact(r.address + index, v);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static char getChar(Raw r, long index) {
    Objects.checkIndex(index, r.size - 1);
    try {
      return (char) GET_CHAR.invokeExact(r.address + index);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static void putChar(Raw r, long index, char v) {
    Objects.checkIndex(index, r.writeSize - 1);
    try {
      PUT_CHAR.invokeExact(r.address + index, v);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static int getInt(Raw r, long index) {
    Objects.checkIndex(index, r.size - 3);
    try {
      return (int) GET_INT.invokeExact(r.address + index);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static void putInt(Raw r, long index, int v) {
    Objects.checkIndex(index, r.writeSize - 3);
    try {
      PUT_INT.invokeExact(r.address + index, v);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static long getLong(Raw r, long index) {
    Objects.checkIndex(index, r.size - 7);
    try {
      return (long) GET_LONG.invokeExact(r.address + index);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static void putLong(Raw r, long index, long v) {
    Objects.checkIndex(index, r.writeSize - 7);
    try {
      PUT_LONG.invokeExact(r.address + index, v);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static float getFloat(Raw r, long index) {
    Objects.checkIndex(index, r.size - 3);
    try {
      return (float) GET_FLOAT.invokeExact(r.address + index);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static void putFloat(Raw r, long index, float v) {
    Objects.checkIndex(index, r.writeSize - 3);
    try {
      PUT_FLOAT.invokeExact(r.address + index, v);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static double getDouble(Raw r, long index) {
    Objects.checkIndex(index, r.size - 7);
    try {
      return (double) GET_DOUBLE.invokeExact(r.address + index);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static void putDouble(Raw r, long index, double v) {
    Objects.checkIndex(index, r.writeSize - 7);
    try {
      PUT_DOUBLE.invokeExact(r.address + index, v);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static int getIntVolatile(long address) {
    try {
      return (int) GET_INT_VOLATILE.invokeExact(address);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static void putIntVolatile(long address, int v) {
    try {
      PUT_INT_VOLATILE.invokeExact(address, v);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static int getAndAddInt(long address, int delta) {
    try {
      return (int) GET_AND_ADD_INT.invokeExact(address, delta);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static boolean compareAndSetInt(long address, int expected, int desired) {
    try {
      return (boolean) CAS_INT.invokeExact(address, expected, desired);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static long getLongVolatile(long address) {
    try {
      return (long) GET_LONG_VOLATILE.invokeExact(address);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static void putLongVolatile(long address, long v) {
    try {
      PUT_LONG_VOLATILE.invokeExact(address, v);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static long getAndAddLong(long address, long delta) {
    try {
      return (long) GET_AND_ADD_LONG.invokeExact(address, delta);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static boolean compareAndSetLong(long address, long expected, long desired) {
    try {
      return (boolean) CAS_LONG.invokeExact(address, expected, desired);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }
}
