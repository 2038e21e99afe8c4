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

  // Typed accessors. With RawAccess (sun.misc.Unsafe up to JDK 23, a MemorySegment per window
  // on JDK 24+) an access at any position of a view of any size is one range test against the
  // view's Raw window (made at map time: address, size, the thread it is confined to) and one
  // load or store: the same code at 2.5 GiB of a 6 GiB view as at byte 0, no ByteBuffer fields
  // per access, and no first-access branch in the compiled loop. The range test is RawAccess's
  // (Objects.checkIndex, or the segment's bound), a range check C2 hoists out of loops; its
  // IndexOutOfBoundsException is the accessor's miss. Measured (same runs, 2026-12-04) against
  // the accessor's own compare before the load: JDK 17 near scan 1.25x -> 1.32x of
  // MappedByteBuffer, random getLong 1.12x -> 1.54x; JDK 25 near scan 0.87x -> 0.99x.
  // The confinement is what makes that lease-free: the mapping
  // thread cannot be inside an access while it closes or resizes the view, so only another
  // thread's use (ViewCore.current(): shares the Raw), close or resize, or the view collected,
  // leases the view for the Raw (ViewMemory.Raw). Measured (JDK 17, same runs, 2026-12-03):
  // publishing the window at the first access with a compare-and-set left that CAS in every loop
  // compiled after 20,000 map/read/close cycles (0.5-0.6x of MappedByteBuffer at 2.5 GiB);
  // a window leased at map time ran those loops at 1.3x but made every close inert (map+close
  // churn 2.5x -> 1.1x of FileChannel.map). Without RawAccess (JDK 24+ without native access,
  // -Dmmapkit.unsafe=false, no Unsafe): the first 2 GiB - 1 bytes are one ByteBuffer
  // (win.first) tested inline, everything else goes through far(); those windows are built,
  // and leased, at first access.
  /**
   * @param index byte index in the view
   * @return the byte there
   */
  public byte get(long index) {
    if (RawAccess.ENABLED) {
      Raw r = raw;
      if (usable(r)) {
        try {
          byte v = RawAccess.getByte(r, index);
          Reference.reachabilityFence(r); // a lease for r is taken before any unmap
          return v;
        } catch (IndexOutOfBoundsException outsideWindow) {
          // out of range, closed, resizing: the slow path says which
        }
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
      if (usable(r)) {
        try {
          RawAccess.putByte(r, index, value);
          Reference.reachabilityFence(r);
          return;
        } catch (IndexOutOfBoundsException outsideWindow) {
          // out of range, read-only, closed, resizing: the slow path says which
        }
      }
      slowPut(index, 1, value);
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
      if (usable(r)) {
        try {
          short v = RawAccess.getShort(r, index);
          Reference.reachabilityFence(r); // a lease for r is taken before any unmap
          return v;
        } catch (IndexOutOfBoundsException outsideWindow) {
          // out of range, closed, resizing: the slow path says which
        }
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
      if (usable(r)) {
        try {
          RawAccess.putShort(r, index, value);
          Reference.reachabilityFence(r);
          return;
        } catch (IndexOutOfBoundsException outsideWindow) {
          // out of range, read-only, closed, resizing: the slow path says which
        }
      }
      slowPut(index, 2, value);
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
      if (usable(r)) {
        try {
          char v = RawAccess.getChar(r, index);
          Reference.reachabilityFence(r); // a lease for r is taken before any unmap
          return v;
        } catch (IndexOutOfBoundsException outsideWindow) {
          // out of range, closed, resizing: the slow path says which
        }
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
      if (usable(r)) {
        try {
          RawAccess.putChar(r, index, value);
          Reference.reachabilityFence(r);
          return;
        } catch (IndexOutOfBoundsException outsideWindow) {
          // out of range, read-only, closed, resizing: the slow path says which
        }
      }
      slowPut(index, 2, value);
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
      if (usable(r)) {
        try {
          int v = RawAccess.getInt(r, index);
          Reference.reachabilityFence(r); // a lease for r is taken before any unmap
          return v;
        } catch (IndexOutOfBoundsException outsideWindow) {
          // out of range, closed, resizing: the slow path says which
        }
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
      if (usable(r)) {
        try {
          RawAccess.putInt(r, index, value);
          Reference.reachabilityFence(r);
          return;
        } catch (IndexOutOfBoundsException outsideWindow) {
          // out of range, read-only, closed, resizing: the slow path says which
        }
      }
      slowPut(index, 4, value);
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
      if (usable(r)) {
        try {
          long v = RawAccess.getLong(r, index);
          Reference.reachabilityFence(r); // a lease for r is taken before any unmap
          return v;
        } catch (IndexOutOfBoundsException outsideWindow) {
          // out of range, closed, resizing: the slow path says which
        }
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
      if (usable(r)) {
        try {
          RawAccess.putLong(r, index, value);
          Reference.reachabilityFence(r);
          return;
        } catch (IndexOutOfBoundsException outsideWindow) {
          // out of range, read-only, closed, resizing: the slow path says which
        }
      }
      slowPut(index, 8, value);
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
      if (usable(r)) {
        try {
          float v = RawAccess.getFloat(r, index);
          Reference.reachabilityFence(r); // a lease for r is taken before any unmap
          return v;
        } catch (IndexOutOfBoundsException outsideWindow) {
          // out of range, closed, resizing: the slow path says which
        }
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
      if (usable(r)) {
        try {
          RawAccess.putFloat(r, index, value);
          Reference.reachabilityFence(r);
          return;
        } catch (IndexOutOfBoundsException outsideWindow) {
          // out of range, read-only, closed, resizing: the slow path says which
        }
      }
      slowPut(index, 4, Float.floatToRawIntBits(value));
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
      if (usable(r)) {
        try {
          double v = RawAccess.getDouble(r, index);
          Reference.reachabilityFence(r); // a lease for r is taken before any unmap
          return v;
        } catch (IndexOutOfBoundsException outsideWindow) {
          // out of range, closed, resizing: the slow path says which
        }
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
      if (usable(r)) {
        try {
          RawAccess.putDouble(r, index, value);
          Reference.reachabilityFence(r);
          return;
        } catch (IndexOutOfBoundsException outsideWindow) {
          // out of range, read-only, closed, resizing: the slow path says which
        }
      }
      slowPut(index, 8, Double.doubleToRawLongBits(value));
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
