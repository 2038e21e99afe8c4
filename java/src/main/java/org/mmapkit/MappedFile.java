package org.mmapkit;

import java.io.IOException;
import java.lang.ref.Cleaner;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.util.Objects;
import org.mmapkit.internal.NativeCore;

/**
 * Something that can be mapped: a regular file, a named shared-memory object or anonymous memory.
 * It knows its size, can grow or shrink, takes byte-range locks and creates {@link MappedView}s.
 *
 * <pre>{@code
 * try (MappedFile f = MappedFile.open(Path.of("data.bin"), MapMode.READ_ONLY);
 *      MappedView v = f.map()) {
 *   long x = v.getLong(5_000_000_000L);
 * }
 * }</pre>
 *
 * <p>Closing a MappedFile does not invalidate the views made from it (the mapping outlives the
 * descriptor), but it releases the byte-range locks this handle holds. Instances are thread-safe.
 * An instance that becomes unreachable without {@link #close()} is closed by a cleaner; do not
 * rely on that.
 */
public final class MappedFile implements AutoCloseable {
  static final Cleaner CLEANER = Cleaner.create();

  private final NativeRef ref;
  private final Cleaner.Cleanable cleanable;
  private final MapMode mode;
  private final String name;

  private MappedFile(long ptr, MapMode mode, String name, String what) {
    this.ref = new NativeRef(ptr, what, NativeCore::mmk_file_close);
    this.mode = mode;
    this.name = name;
    NativeRef r = ref;
    this.cleanable = CLEANER.register(this, r::closeQuietly);
  }

  // ---------------------------------------------------------------- factories

  /**
   * Opens an existing regular file.
   *
   * @param path the file
   * @param mode READ_ONLY, READ_WRITE or PRIVATE (copy-on-write)
   * @return the open file
   * @throws java.nio.file.NoSuchFileException if it does not exist
   * @throws java.nio.file.AccessDeniedException if the mode is not permitted
   * @throws IOException on any other failure (directory, FIFO, ...)
   */
  public static MappedFile open(Path path, MapMode mode) throws IOException {
    Objects.requireNonNull(mode, "mode");
    return openFile(path, mode.code, 0, 0, mode);
  }

  /**
   * Opens a file read-write, creating it if missing and growing it to at least {@code size}
   * bytes (never shrinking it). The new blocks are reserved, so a full disk fails here rather
   * than as a fault later.
   *
   * @param path the file
   * @param mode must be {@link MapMode#READ_WRITE}
   * @param size minimum size in bytes (&gt;= 0)
   * @return the open file
   * @throws IllegalArgumentException for another mode or a negative size
   * @throws IOException if the file cannot be opened, created or grown
   */
  public static MappedFile open(Path path, MapMode mode, long size) throws IOException {
    Objects.requireNonNull(mode, "mode");
    if (mode != MapMode.READ_WRITE) {
      throw new IllegalArgumentException("a size is only valid with MapMode.READ_WRITE, not " + mode);
    }
    checkSize(size);
    return openFile(path, mode.code, NativeCore.MMK_CREATE, size, mode);
  }

  /**
   * Creates the file, or truncates an existing one, and sizes it to exactly {@code size} bytes
   * (blocks reserved). Opened read-write.
   *
   * @param path the file
   * @param size size in bytes (&gt;= 0)
   * @return the open file
   * @throws IOException if it cannot be created or sized
   */
  public static MappedFile create(Path path, long size) throws IOException {
    checkSize(size);
    return openFile(
        path,
        MapMode.READ_WRITE.code,
        NativeCore.MMK_CREATE | NativeCore.MMK_TRUNCATE,
        size,
        MapMode.READ_WRITE);
  }

  /**
   * Creates or opens a named shared-memory object, grown to at least {@code size} bytes. The same
   * name means the same memory in C, Python, Java and .NET on this machine. New objects are
   * readable and writable by their owner only.
   *
   * @param name 1-200 characters of {@code [A-Za-z0-9._-]}, not starting with '.'
   * @param size minimum size in bytes (&gt;= 0)
   * @return the open object, read-write
   * @throws IllegalArgumentException for a bad name or size
   * @throws IOException on failure
   */
  public static MappedFile sharedMemory(String name, long size) throws IOException {
    checkSize(size);
    return openShm(name, MapMode.READ_WRITE, NativeCore.MMK_CREATE, size);
  }

  /**
   * Opens an existing named shared-memory object read-write.
   *
   * @param name the name
   * @return the open object
   * @throws java.nio.file.NoSuchFileException if it does not exist
   * @throws IOException on failure
   */
  public static MappedFile openSharedMemory(String name) throws IOException {
    return openShm(name, MapMode.READ_WRITE, 0, 0);
  }

  /**
   * Opens an existing named shared-memory object with the given mode.
   *
   * @param name the name
   * @param mode READ_ONLY, READ_WRITE or PRIVATE
   * @return the open object
   * @throws java.nio.file.NoSuchFileException if it does not exist
   * @throws IOException on failure
   */
  public static MappedFile openSharedMemory(String name, MapMode mode) throws IOException {
    Objects.requireNonNull(mode, "mode");
    return openShm(name, mode, 0, 0);
  }

  /**
   * Creates a new named shared-memory object of {@code size} bytes; fails if it exists.
   *
   * @param name the name
   * @param size size in bytes (&gt;= 0)
   * @return the open object, read-write
   * @throws java.nio.file.FileAlreadyExistsException if the name is taken
   * @throws IOException on failure
   */
  public static MappedFile createSharedMemory(String name, long size) throws IOException {
    checkSize(size);
    return openShm(
        name, MapMode.READ_WRITE, NativeCore.MMK_CREATE | NativeCore.MMK_EXCLUSIVE, size);
  }

  /**
   * Removes a named shared-memory object. Open handles and views keep the memory.
   *
   * @param name the name
   * @throws java.nio.file.NoSuchFileException if it does not exist
   * @throws IOException on failure
   */
  public static void unlinkSharedMemory(String name) throws IOException {
    Objects.requireNonNull(name, "name");
    NativeCore.mmk_shm_unlink(name);
  }

  /**
   * Creates anonymous read-write memory of {@code size} bytes. Views of it share memory with
   * each other; it can be resized.
   *
   * @param size size in bytes (&gt; 0)
   * @return the memory
   * @throws IOException on failure
   */
  public static MappedFile anonymous(long size) throws IOException {
    if (size <= 0) {
      throw new IllegalArgumentException("size must be positive: " + size);
    }
    long[] out = new long[1];
    NativeCore.mmk_anon_create(size, out);
    return new MappedFile(out[0], MapMode.READ_WRITE, "", "anonymous memory");
  }

  private static MappedFile openFile(Path path, int mode, int flags, long size, MapMode m)
      throws IOException {
    Objects.requireNonNull(path, "path");
    if (path.getFileSystem() != FileSystems.getDefault()) {
      throw new IllegalArgumentException("not a file of the default file system: " + path.toUri());
    }
    String p = path.toString();
    long[] out = new long[1];
    NativeCore.mmk_file_open(p, mode, flags, size, out);
    return new MappedFile(out[0], m, p, "file " + p);
  }

  private static MappedFile openShm(String name, MapMode mode, int flags, long size)
      throws IOException {
    Objects.requireNonNull(name, "name");
    long[] out = new long[1];
    NativeCore.mmk_shm_open(name, mode.code, flags, size, out);
    return new MappedFile(out[0], mode, name, "shared memory " + name);
  }

  private static void checkSize(long size) {
    if (size < 0) {
      throw new IllegalArgumentException("size must not be negative: " + size);
    }
  }

  // ---------------------------------------------------------------- queries

  /**
   * The current size in bytes.
   *
   * @return the size
   * @throws IllegalStateException if closed
   * @throws IOException on failure
   */
  public long size() throws IOException {
    long p = ref.acquire();
    try {
      long[] out = new long[1];
      NativeCore.mmk_file_size(p, out);
      return out[0];
    } finally {
      ref.release();
    }
  }

  /**
   * Grows or shrinks the file. Growing reserves the new blocks. Shrinking under live views makes
   * the cut-off part fault: bulk copies there throw {@link FaultException}, direct buffer access
   * throws {@link InternalError}, as with MappedByteBuffer.
   *
   * @param newSize the new size in bytes (&gt;= 0)
   * @throws java.nio.file.AccessDeniedException if opened read-only
   * @throws IOException on failure (e.g. disk full)
   */
  public void resize(long newSize) throws IOException {
    checkSize(newSize);
    long p = ref.acquire();
    try {
      NativeCore.mmk_file_resize(p, newSize);
    } finally {
      ref.release();
    }
  }

  /** @return the mode this file was opened with */
  public MapMode mode() {
    return mode;
  }

  /** @return the path, the shared-memory name, or "" for anonymous memory */
  public String name() {
    return name;
  }

  /** @return true once {@link #close()} was called */
  public boolean isClosed() {
    return ref.isClosed();
  }

  // ---------------------------------------------------------------- views

  /**
   * Maps the whole file.
   *
   * @return the view (empty for an empty file)
   * @throws IOException on failure
   */
  public MappedView map() throws IOException {
    return map(0, 0);
  }

  /**
   * Maps from {@code offset} to the end of the file.
   *
   * @param offset any byte offset (no alignment needed)
   * @return the view
   * @throws IndexOutOfBoundsException past the end of the file
   * @throws IOException on failure
   */
  public MappedView map(long offset) throws IOException {
    return map(offset, 0);
  }

  /**
   * Maps {@code [offset, offset+length)}. Length 0 means "to the end of the file", as in the C
   * core. In READ_WRITE mode a range past the end grows the file to exactly {@code
   * offset+length} first (blocks reserved); in READ_ONLY and PRIVATE mode it is an {@link
   * IndexOutOfBoundsException}.
   *
   * @param offset any byte offset &gt;= 0 (no alignment needed)
   * @param length bytes, or 0 for "to the end"
   * @param options {@link MapOption#POPULATE}, {@link MapOption#RESERVE(long)}, ...
   * @return the view
   * @throws IllegalArgumentException for negative arguments
   * @throws IndexOutOfBoundsException for a range past the end of a read-only or private file
   * @throws IOException on failure (e.g. disk full when growing)
   */
  public MappedView map(long offset, long length, MapOption... options) throws IOException {
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException(
          "offset and length must not be negative: offset=" + offset + ", length=" + length);
    }
    int bits = 0;
    long reserve = 0;
    for (MapOption o : options) {
      Objects.requireNonNull(o, "option");
      bits |= o.bits;
      if (o.reserve != 0) {
        reserve = o.reserve;
      }
    }
    long p = ref.acquire();
    try {
      long[] out = new long[1];
      if (reserve != 0) {
        NativeCore.mmk_map_reserve(p, offset, length, reserve, bits, out);
      } else {
        NativeCore.mmk_map(p, offset, length, bits, out);
      }
      return new MappedView(out[0], name);
    } finally {
      ref.release();
    }
  }

  // ---------------------------------------------------------------- locks

  /**
   * Takes a byte-range lock, waiting until it is granted. Locks belong to this handle (Linux OFD
   * locks): two handles conflict even in one process, and closing another handle to the same
   * file does not drop them.
   *
   * @param offset first byte
   * @param length bytes, 0 for "to any future end of file"
   * @param shared true for a shared (read) lock, false for an exclusive one
   * @return the lock; close it to release
   * @throws java.nio.file.AccessDeniedException for an exclusive lock on a read-only handle
   * @throws IOException on failure (e.g. deadlock detected)
   */
  public FileRangeLock lock(long offset, long length, boolean shared) throws IOException {
    return doLock(offset, length, shared, true);
  }

  /**
   * Tries to take a byte-range lock without waiting.
   *
   * @param offset first byte
   * @param length bytes, 0 for "to any future end of file"
   * @param shared true for a shared lock
   * @return the lock, or null when another holder has a conflicting one
   * @throws IOException on failure
   */
  public FileRangeLock tryLock(long offset, long length, boolean shared) throws IOException {
    return doLock(offset, length, shared, false);
  }

  private FileRangeLock doLock(long offset, long length, boolean shared, boolean wait)
      throws IOException {
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException(
          "offset and length must not be negative: offset=" + offset + ", length=" + length);
    }
    long p = ref.acquire();
    try {
      int kind = shared ? NativeCore.MMK_LOCK_SHARED : NativeCore.MMK_LOCK_EXCLUSIVE;
      int r = NativeCore.mmk_file_lock(p, offset, length, kind, wait ? 1 : 0);
      if (r == NativeCore.MMK_EAGAIN) {
        return null;
      }
      return new FileRangeLock(this, offset, length, shared);
    } finally {
      ref.release();
    }
  }

  /** Releases a range; a closed handle has no locks left to release. */
  void unlock(long offset, long length) throws IOException {
    long p;
    try {
      p = ref.acquire();
    } catch (IllegalStateException closed) {
      return;
    }
    try {
      NativeCore.mmk_file_unlock(p, offset, length);
    } finally {
      ref.release();
    }
  }

  /**
   * Closes the handle and releases its locks. Views stay valid. Idempotent. Calls made after it
   * throw IllegalStateException; a call already running in another thread (say a blocking {@link
   * #lock}) finishes first, and the descriptor is closed when it returns.
   *
   * @throws IOException if the system reported an error while closing (the handle is freed
   *     anyway)
   */
  @Override
  public void close() throws IOException {
    try {
      ref.close();
    } finally {
      cleanable.clean();
    }
  }

  @Override
  public String toString() {
    return "MappedFile[" + ref.what() + ", " + mode + (isClosed() ? ", closed]" : "]");
  }
}
