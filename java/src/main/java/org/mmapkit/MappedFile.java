package org.mmapkit;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLockInterruptionException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import org.mmapkit.internal.NativeCore;
import org.mmapkit.internal.NativeLoader;

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
  private final boolean created;

  private MappedFile(long ptr, MapMode mode, String name, String what) {
    this.ref = new NativeRef(ptr, what, NativeCore::mmk_file_close);
    this.mode = mode;
    this.name = name;
    this.created = NativeCore.mmk_file_created(ptr) == 1;
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
    return openFile("open", path, mode.code, 0, 0, mode);
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
    return openFile("open", path, mode.code, NativeCore.MMK_CREATE, size, mode);
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
        "create",
        path,
        MapMode.READ_WRITE.code,
        NativeCore.MMK_CREATE | NativeCore.MMK_TRUNCATE,
        size,
        MapMode.READ_WRITE);
  }

  /**
   * Creates or opens a named shared-memory object, grown to at least {@code size} bytes. The same
   * name means the same memory in C, Python, Java and .NET on this machine. New objects are
   * readable and writable by their owner only; {@link #created()} tells whether this call
   * created it. An existing object owned by another user, or open to group or others, is refused
   * unless {@link ShmOption#ALLOW_FOREIGN} is given.
   *
   * @param name 1-200 characters of {@code [A-Za-z0-9._-]}, not starting with '.'
   * @param size minimum size in bytes (&gt;= 0)
   * @return the open object, read-write
   * @throws IllegalArgumentException for a bad name or size
   * @throws java.nio.file.AccessDeniedException for a foreign object (message: owner and mode)
   * @throws IOException on failure
   */
  public static MappedFile sharedMemory(String name, long size) throws IOException {
    return sharedMemory(name, size, new ShmOption[0]);
  }

  /**
   * {@link #sharedMemory(String, long)} with options.
   *
   * @param name the name
   * @param size minimum size in bytes (&gt;= 0)
   * @param options {@link ShmOption#ALLOW_FOREIGN}
   * @return the open object, read-write
   * @throws java.nio.file.AccessDeniedException for a foreign object without ALLOW_FOREIGN
   * @throws IOException on failure
   */
  public static MappedFile sharedMemory(String name, long size, ShmOption... options)
      throws IOException {
    checkSize(size);
    return openShm("sharedMemory", name, MapMode.READ_WRITE, NativeCore.MMK_CREATE, size,
        options);
  }

  /**
   * Opens an existing named shared-memory object read-write.
   *
   * @param name the name
   * @return the open object
   * @throws java.nio.file.NoSuchFileException if it does not exist
   * @throws java.nio.file.AccessDeniedException for a foreign object (see {@link ShmOption})
   * @throws IOException on failure
   */
  public static MappedFile openSharedMemory(String name) throws IOException {
    return openShm("openSharedMemory", name, MapMode.READ_WRITE, 0, 0);
  }

  /**
   * Opens an existing named shared-memory object with the given mode.
   *
   * @param name the name
   * @param mode READ_ONLY, READ_WRITE or PRIVATE
   * @return the open object
   * @throws java.nio.file.NoSuchFileException if it does not exist
   * @throws java.nio.file.AccessDeniedException for a foreign object (see {@link ShmOption})
   * @throws IOException on failure
   */
  public static MappedFile openSharedMemory(String name, MapMode mode) throws IOException {
    return openSharedMemory(name, mode, new ShmOption[0]);
  }

  /**
   * {@link #openSharedMemory(String, MapMode)} with options.
   *
   * @param name the name
   * @param mode READ_ONLY, READ_WRITE or PRIVATE
   * @param options {@link ShmOption#ALLOW_FOREIGN}
   * @return the open object
   * @throws java.nio.file.AccessDeniedException for a foreign object without ALLOW_FOREIGN
   * @throws IOException on failure
   */
  public static MappedFile openSharedMemory(String name, MapMode mode, ShmOption... options)
      throws IOException {
    Objects.requireNonNull(mode, "mode");
    return openShm("openSharedMemory", name, mode, 0, 0, options);
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
    return openShm("createSharedMemory", name, MapMode.READ_WRITE,
        NativeCore.MMK_CREATE | NativeCore.MMK_EXCLUSIVE, size);
  }

  /**
   * Removes a named shared-memory object. Open handles and views keep the memory.
   *
   * @param name the name
   * @throws java.nio.file.NoSuchFileException if it does not exist
   * @throws IOException on failure
   */
  public static void unlinkSharedMemory(String name) throws IOException {
    NativeLoader.load();
    NativeCore.mmk_shm_unlink(checkName("unlinkSharedMemory", name));
  }

  /**
   * Puts mmapkit's SIGBUS handler back on top if a handler was installed since (for example
   * with {@code sun.misc.Signal.handle(new Signal("BUS"), ...)}); that handler then gets every
   * SIGBUS that is not a fault of a mmapkit access. Cheap when nothing changed (one {@code
   * sigaction} query). Mapping a view does it too, and so does mmapkit's background thread
   * ({@code mmk-guard}) within about 20 ms; calling this right after installing such a handler
   * makes a small bulk {@code get}/{@code put} or safe atomic that faults throw {@link
   * FaultException} at once instead of stalling in that handler until the thread's next check.
   *
   * @throws IOException if the handler cannot be installed
   */
  public static void installFaultGuard() throws IOException {
    NativeLoader.load();
    NativeCore.mmk_fault_guard_install();
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
    NativeLoader.load();
    if (size <= 0) {
      throw new IllegalArgumentException("size must be positive: " + size);
    }
    long[] out = new long[1];
    NativeCore.mmk_anon_create(size, out);
    return new MappedFile(out[0], MapMode.READ_WRITE, "", "anonymous memory");
  }

  /**
   * Maps a file through a channel the caller opened (with options mmapkit does not know, a file
   * already unlinked, ...). The channel's descriptor is duplicated: the caller may close the
   * channel at once, even before mapping, and {@link #close()} never closes it. The duplicate
   * shares the channel's position. Its byte-range locks are this handle's, as for any other
   * MappedFile: a {@code channel.lock()} (a process-owned lock) and a {@link #lock} of the same
   * range exclude each other, in one process too.
   *
   * <p>JDK 17 has no public way to reach a channel's descriptor: mmapkit reads it in native code
   * through JNI (no {@code --add-opens} needed), so only the JDK's own file channels
   * ({@code FileChannel.open}, {@code RandomAccessFile.getChannel()}, ...) can be mapped.
   *
   * @param channel an open file channel of the default file system
   * @param mode READ_ONLY or PRIVATE need a readable channel, READ_WRITE a readable and writable
   *     one
   * @return the file; {@link #name()} is what the OS tells about the descriptor (e.g. {@code
   *     "/tmp/x (deleted)"}), for messages only
   * @throws java.nio.channels.ClosedChannelException if the channel is closed (also when another
   *     thread closes it during the call: {@code AsynchronousCloseException})
   * @throws java.nio.file.AccessDeniedException if the channel's access does not allow the mode
   * @throws java.nio.file.FileSystemException for a directory, pipe, socket or device
   * @throws UnsupportedOperationException for a channel that is not the JDK's own
   */
  public static MappedFile of(FileChannel channel, MapMode mode) throws IOException {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(mode, "mode");
    if (!channel.isOpen()) {
      throw new ClosedChannelException();
    }
    return ofNative(channel, mode, "the channel " + channel.getClass().getName());
  }

  /**
   * Maps the file open as {@code fd} (from {@code FileInputStream.getFD()}, {@code
   * RandomAccessFile.getFD()}, ...), with the lifetime rule of {@link #of(FileChannel, MapMode)}:
   * the descriptor is duplicated, the caller keeps and may close theirs.
   *
   * @param fd a valid descriptor of a regular file
   * @param mode READ_ONLY, READ_WRITE or PRIVATE, allowed by how fd was opened
   * @return the file
   * @throws java.nio.file.FileSystemException for an invalid (closed) descriptor, a directory,
   *     pipe, socket or device, naming the descriptor
   * @throws java.nio.file.AccessDeniedException if fd's access does not allow the mode
   */
  public static MappedFile of(FileDescriptor fd, MapMode mode) throws IOException {
    Objects.requireNonNull(fd, "fd");
    Objects.requireNonNull(mode, "mode");
    return ofNative(fd, mode, "the FileDescriptor");
  }

  private static MappedFile ofNative(Object source, MapMode mode, String what)
      throws IOException {
    NativeLoader.load();
    long[] out = new long[1];
    try {
      NativeCore.mmkj_file_from_java(source, mode.code, out);
    } catch (IllegalStateException e) { // MMK_ECLOSED: closed while the call ran
      AsynchronousCloseException ce = new AsynchronousCloseException();
      ce.initCause(e);
      throw ce;
    } catch (FileSystemException e) { // MMK_EBADF "fd -1": closed before the call read it
      if (source instanceof FileChannel && !((FileChannel) source).isOpen()) {
        AsynchronousCloseException ce = new AsynchronousCloseException();
        ce.initCause(e);
        throw ce;
      }
      throw e;
    } catch (UnsupportedOperationException e) {
      throw new UnsupportedOperationException("of: " + what + " has no file descriptor mmapkit"
          + " can reach (only the JDK's own file channels and descriptors)", e);
    }
    String name = NativeCore.mmk_file_path(out[0]);
    return new MappedFile(out[0], mode, name, "file " + name);
  }

  private static MappedFile openFile(
      String call, Path path, int mode, int flags, long size, MapMode m) throws IOException {
    NativeLoader.load(); // before the JNI class: a failure keeps its reason on every call
    Objects.requireNonNull(path, "path");
    if (path.getFileSystem() != FileSystems.getDefault()) {
      throw new IllegalArgumentException(
          call + ": not a file of the default file system: " + path.toUri());
    }
    String p = path.toString();
    if (p.indexOf('\0') >= 0) { // JNI would pass it on as 0xC0 0x80: refuse it here
      throw new IllegalArgumentException(call + ": NUL character in path " + printable(p));
    }
    long[] out = new long[1];
    NativeCore.mmk_file_open(p, mode, flags, size, out);
    return new MappedFile(out[0], m, p, "file " + p);
  }

  private static MappedFile openShm(String call, String name, MapMode mode, int flags,
      long size, ShmOption... options) throws IOException {
    NativeLoader.load();
    checkName(call, name);
    for (ShmOption o : options) {
      if (Objects.requireNonNull(o, "option") == ShmOption.ALLOW_FOREIGN) {
        flags |= NativeCore.MMK_ALLOW_FOREIGN;
      }
    }
    long[] out = new long[1];
    NativeCore.mmk_shm_open(name, mode.code, flags, size, out);
    return new MappedFile(out[0], mode, name, "shared memory " + name);
  }

  /**
   * The shared-memory name rule of docs/API.md, checked before anything reaches the core or the
   * OS. A NUL matters most: JNI hands it to C as the bytes 0xC0 0x80, never as a terminator.
   */
  private static String checkName(String call, String name) {
    Objects.requireNonNull(name, "name");
    String why = null;
    if (name.isEmpty()) {
      why = "it is empty";
    } else if (name.length() > MAX_NAME) {
      why = "it has " + name.length() + " characters, more than " + MAX_NAME;
    } else if (name.charAt(0) == '.') {
      why = "it starts with '.'";
    } else {
      for (int i = 0; i < name.length() && why == null; i++) {
        char c = name.charAt(i);
        if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.'
            || c == '_' || c == '-')) {
          why = (c == 0 ? "NUL" : c == '/' ? "'/'" : printable(String.valueOf(c)))
              + " at index " + i;
        }
      }
    }
    if (why != null) {
      throw new IllegalArgumentException(call + ": invalid shared-memory name "
          + printable(name.length() > 60 ? name.substring(0, 60) + "..." : name) + ": " + why
          + " (a name is 1-" + MAX_NAME + " characters of [A-Za-z0-9._-], not starting with"
          + " '.')");
    }
    return name;
  }

  private static final int MAX_NAME = 200;

  /** The string in quotes, control characters escaped (a NUL shows as \0). */
  private static String printable(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0) {
        b.append("\\0");
      } else if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
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

  /**
   * Whether the call that returned this handle created the file or shared-memory object (true
   * for anonymous memory), rather than opening an existing one. Answers create-or-open calls
   * such as {@link #sharedMemory(String, long, ShmOption...)} exactly, even when another process
   * races to create the same name.
   *
   * @return true if created by this call
   */
  public boolean created() {
    return created;
  }

  /** @return the mode this file was opened with */
  public MapMode mode() {
    return mode;
  }

  /**
   * @return the path, the shared-memory name, "" for anonymous memory, or for {@code of(...)}
   *     what the OS tells about the descriptor
   */
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
    return new MappedView(mapNative(offset, length, bits, reserve), name, this, bits);
  }

  /** A native view of the file (MappedView.resize() maps through here too). */
  long mapNative(long offset, long length, int bits, long reserve) throws IOException {
    long p = ref.acquire();
    try {
      long[] out = new long[1];
      if (reserve != 0) {
        NativeCore.mmk_map_reserve(p, offset, length, reserve, bits, out);
      } else {
        NativeCore.mmk_map(p, offset, length, bits, out);
      }
      return out[0];
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
   * <p>Interruptible like {@link java.nio.channels.FileChannel#lock}: the wait polls (every
   * millisecond at first, backing off to every 10 ms), so {@link Thread#interrupt()} ends it
   * within one poll; the handle is then closed (closed-by-interrupt, as an interruptible channel
   * does), the thread's interrupt status stays set and {@link FileLockInterruptionException} is
   * thrown. A {@link #close()} from another thread ends the wait with {@link
   * AsynchronousCloseException}. A closed handle never acquires a lock. Waiters are not queued:
   * a holder that releases and retakes at once may keep the lock, and deadlocks between
   * processes are not detected.
   *
   * @param offset first byte
   * @param length bytes, 0 for "to any future end of file"
   * @param shared true for a shared (read) lock, false for an exclusive one
   * @return the lock; close it to release
   * @throws FileLockInterruptionException if the thread was interrupted (or already was)
   * @throws AsynchronousCloseException if another thread closed the handle during the wait
   * @throws java.nio.file.AccessDeniedException for an exclusive lock on a read-only handle
   * @throws IllegalStateException if the handle is closed
   * @throws IOException on failure
   */
  public FileRangeLock lock(long offset, long length, boolean shared) throws IOException {
    long pause = 1_000_000L;
    for (boolean first = true; ; first = false) {
      if (Thread.currentThread().isInterrupted()) {
        throw closedByInterrupt();
      }
      FileRangeLock l;
      try {
        l = doLock(offset, length, shared);
      } catch (IllegalStateException closed) {
        if (first) {
          throw closed;
        }
        throw asyncClose();
      }
      if (l != null) {
        if (isClosed()) { // closed while granting: the close dropped it again
          throw asyncClose();
        }
        return l;
      }
      LockSupport.parkNanos(pause);
      pause = Math.min(pause * 2, LOCK_POLL_MAX_NANOS);
    }
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
    return doLock(offset, length, shared);
  }

  /** Longest pause between two attempts of a blocking lock(). */
  private static final long LOCK_POLL_MAX_NANOS = 10_000_000L;

  private FileLockInterruptionException closedByInterrupt() throws IOException {
    close();
    return new FileLockInterruptionException();
  }

  private AsynchronousCloseException asyncClose() {
    AsynchronousCloseException e = new AsynchronousCloseException();
    e.initCause(new IllegalStateException(ref.what() + " was closed while lock() waited"));
    return e;
  }

  private FileRangeLock doLock(long offset, long length, boolean shared) throws IOException {
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException(
          "offset and length must not be negative: offset=" + offset + ", length=" + length);
    }
    long p = ref.acquire();
    try {
      int kind = shared ? NativeCore.MMK_LOCK_SHARED : NativeCore.MMK_LOCK_EXCLUSIVE;
      int r = NativeCore.mmk_file_lock(p, offset, length, kind, 0);
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
   * throw IllegalStateException; a call already running in another thread finishes first, and
   * the descriptor is closed when it returns. A {@link #lock} waiting in another thread ends
   * with {@link AsynchronousCloseException} and acquires nothing.
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
