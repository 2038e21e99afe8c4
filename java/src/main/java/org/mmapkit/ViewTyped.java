package org.mmapkit;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import org.mmapkit.ViewMemory.Raw;
import org.mmapkit.ViewMemory.Window;

/**
 * A {@link MappedView}'s typed accessors, native byte order, long indexes: last of the
 * package-private chain ViewCore, ViewBulk, ViewAtomics, ViewTyped before MappedView. Each reads
 * only fields and final methods, so that it compiles to one range test and one load or store.
 */
abstract class ViewTyped extends ViewAtomics {
  ViewTyped(long ptr, String name, MappedFile file, int mapBits) {
    super(ptr, name, file, mapBits);
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
      if (index >= 0 && index < r.writeSize && usable(r)) {
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
      if (index >= 0 && index <= r.writeSize - 2 && usable(r)) {
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
      if (index >= 0 && index <= r.writeSize - 2 && usable(r)) {
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
      if (index >= 0 && index <= r.writeSize - 4 && usable(r)) {
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
      if (index >= 0 && index <= r.writeSize - 8 && usable(r)) {
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
      if (index >= 0 && index <= r.writeSize - 4 && usable(r)) {
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
      if (index >= 0 && index <= r.writeSize - 8 && usable(r)) {
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
}
