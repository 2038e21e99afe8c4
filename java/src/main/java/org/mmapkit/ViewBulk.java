package org.mmapkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.util.Objects;
import org.mmapkit.internal.NativeCore;

/**
 * A {@link MappedView}'s calls into the core that do not move it: bulk fault-safe copies,
 * durability, kernel advice, paging and memory locking. Each holds the view's lease for the
 * duration of its native call, so close() and resize() on another thread wait for it.
 */
abstract class ViewBulk extends ViewCore {
  ViewBulk(long ptr, String name, MappedFile file, int mapBits) {
    super(ptr, name, file, mapBits);
  }

  /** MappedView's typed byte read: load() touches the pages with it. */
  abstract byte get(long index);

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
    checkArray(off, length, dst.length, index);
    checkRange(index, length);
    run(p -> NativeCore.mmkj_view_read(p, index, dst, off, length));
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
    checkArray(off, length, src.length, index);
    checkWritable(index, length);
    checkRange(index, length);
    run(p -> NativeCore.mmkj_view_write(p, index, src, off, length));
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
      throw new ReadOnlyViewException("the destination buffer of a read of " + n
          + " bytes at index " + index + " of " + mem.ref.what() + " is read-only");
    }
    if (!dst.isDirect()) {
      get(index, dst.array(), dst.arrayOffset() + dst.position(), n);
    } else {
      checkRange(index, n);
      run(p -> NativeCore.mmkj_view_read_buffer(p, index, dst, dst.position(), n));
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
      checkWritable(index, n);
      checkRange(index, n);
      run(p -> NativeCore.mmkj_view_write_buffer(p, index, src, src.position(), n));
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
    run(p -> NativeCore.mmk_view_flush(p, 0, 0, FlushMode.SYNC.code));
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
    run(p -> NativeCore.mmk_view_flush(p, index, length, mode.code));
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
    run(p -> NativeCore.mmk_view_advise(p, index, length, advice.code));
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
    long[] out = new long[1];
    try {
      run(p -> NativeCore.mmk_view_resident(p, 0, 0, out));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out[0];
  }

  /**
   * Locks the view's pages in RAM ({@code mlock}).
   *
   * @throws IOException e.g. past RLIMIT_MEMLOCK (without CAP_IPC_LOCK): a {@link
   *     java.nio.file.FileSystemException} for the view's file whose message names mlock and
   *     MMK_ENOMEM; nothing stays locked then
   */
  public void lockMemory() throws IOException {
    run(p -> NativeCore.mmk_view_lock_memory(p));
  }

  /**
   * Undoes {@link #lockMemory()}.
   *
   * @throws IOException on failure
   */
  public void unlockMemory() throws IOException {
    run(p -> NativeCore.mmk_view_unlock_memory(p));
  }
}
