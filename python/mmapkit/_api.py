"""MappedFile, View, Lock and the module-level constructors.

Everything here is a thin layer over the C extension ``mmapkit._core``:
argument parsing and naming live in Python, the bytes move in C. View is a
subclass of the C type so that len(), indexing, slicing, slice assignment
and the buffer protocol are C slots (no Python frame per access).
"""
from __future__ import annotations

import enum
import os
from typing import TYPE_CHECKING, Any, Optional, Protocol, Union

from . import _core

__all__ = [
    "Advice", "FaultError", "Lock", "MappedFile", "View", "anonymous",
    "open", "shared_memory", "unlink_shared_memory",
]

FaultError = _core.FaultError

_PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


class _HasFileno(Protocol):
    def fileno(self) -> int: ...


_Buffer = Any  # any object with the buffer protocol

_KIND_PATH, _KIND_SHM, _KIND_ANON, _KIND_FD = 0, 1, 2, 3

# Python mode string -> (core mode, core open flags)
_MODES = {
    "r": (_core.MMK_READ, 0),
    "r+": (_core.MMK_WRITE, 0),
    "w+": (_core.MMK_WRITE, _core.MMK_CREATE | _core.MMK_TRUNCATE),
    "x+": (_core.MMK_WRITE, _core.MMK_CREATE | _core.MMK_EXCLUSIVE),
    "c": (_core.MMK_COPY, 0),
}
_MODE_NAMES = {_core.MMK_READ: "r", _core.MMK_WRITE: "r+", _core.MMK_COPY: "c"}
_KIND_NAMES = {_core.MMK_KIND_FILE: "file", _core.MMK_KIND_SHM: "shm",
               _core.MMK_KIND_ANON: "anonymous"}
_File_size = _core.File.size

_FLUSH = {"async": _core.MMK_FLUSH_ASYNC, "sync": _core.MMK_FLUSH_SYNC,
          "full": _core.MMK_FLUSH_FULL}


class Advice(enum.IntEnum):
    """Access-pattern hints for :meth:`View.advise` (madvise)."""
    NORMAL = _core.MMK_ADVICE_NORMAL
    SEQUENTIAL = _core.MMK_ADVICE_SEQUENTIAL
    RANDOM = _core.MMK_ADVICE_RANDOM
    WILLNEED = _core.MMK_ADVICE_WILLNEED
    DONTNEED = _core.MMK_ADVICE_DONTNEED
    HUGEPAGE = _core.MMK_ADVICE_HUGEPAGE


def _index(value: Any, what: str) -> int:
    try:
        return value.__index__()
    except AttributeError:
        raise TypeError(f"{what} must be an integer, not {type(value).__name__}") from None


def _length(value: Optional[int], what: str = "length") -> int:
    """None -> 0 (the core's "to the end")."""
    if value is None:
        return 0
    n = _index(value, what)
    if n < 0:
        raise ValueError(f"{what} must be >= 0, got {n}")
    return n


class Lock:
    """A byte-range lock held by a MappedFile handle (Linux OFD lock).

    Taken when created; ``release()`` (or leaving the ``with`` block) drops
    it. Unlocking is by range, as POSIX does: releasing a lock also drops
    overlapping parts of other locks of the same handle.
    """

    __slots__ = ("_file", "offset", "length", "shared", "_held")

    def __init__(self, file: "MappedFile", offset: int, length: int, shared: bool):
        self._file = file
        self.offset = offset
        self.length = length
        self.shared = shared
        self._held = True

    @property
    def held(self) -> bool:
        return self._held

    def release(self) -> None:
        """Releases the range; a second call does nothing."""
        if self._held:
            self._held = False
            if not self._file.closed:  # closing the file dropped it already
                _core.File.unlock(self._file, self.offset, self.length)

    def __enter__(self) -> "Lock":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        kind = "shared" if self.shared else "exclusive"
        state = "held" if self._held else "released"
        return f"<mmapkit.Lock {kind} [{self.offset}, +{self.length or 'end'}) {state}>"


class MappedFile(_core.File):
    """Something that can be mapped: a regular file, a named shared-memory
    object or anonymous memory. Create with :func:`open`,
    :func:`shared_memory` or :func:`anonymous`.

    Closing it does not invalidate views already made from it.
    ``close()``, ``resize(n)`` and ``fileno()`` are the C methods of the
    handle type (no Python frame on the open+map+close path).
    """

    # -- properties ---------------------------------------------------------
    @property
    def size(self) -> int:
        """Current size in bytes."""
        return _File_size(self)

    @property
    def name(self) -> str:
        """The path, the shared-memory name, "" for anonymous memory; for a
        descriptor what the system tells when first asked while open ("fd
        N (no path)" if nothing, or if first asked after close), for
        reading, not for opening again."""
        return _core.File._name(self)

    @property
    def kind(self) -> str:
        """"file", "shm" or "anonymous"."""
        return _KIND_NAMES.get(_core.File._kind(self), "file")

    @property
    def mode(self) -> str:
        """"r", "r+" or "c" (as opened; "w+"/"x+" open as "r+")."""
        return _MODE_NAMES[_core.File.mode(self)]

    @property
    def closed(self) -> bool:
        return bool(_core.File._closed(self))

    @property
    def created(self) -> bool:
        """True if the call that returned this handle created the file or
        shared-memory object (anonymous memory: True), False if it opened
        an existing one. Stays available after close."""
        return bool(_core.File._created(self))

    # -- operations ---------------------------------------------------------
    # map(offset=0, length=None, *, populate=False, reserve=None,
    #     readonly=False, hugepage=False) -> View: maps [offset,
    # offset+length) (length=None: to the end). Any offset works. In a
    # writable mode a range past the end grows the file first; in "r"/"c"
    # it is a ValueError. ``reserve`` reserves address space so that
    # View.resize can grow the view in place up to that many bytes.
    # Written in C: no Python frame on the open+map+close path.
    if TYPE_CHECKING:
        def map(self, offset: int = 0, length: Optional[int] = None, *,
                populate: bool = False, reserve: Optional[int] = None,
                readonly: bool = False, hugepage: bool = False) -> "View": ...
    else:
        map = _core._file_map

    def lock(self, offset: int = 0, length: Optional[int] = None, *,
             shared: bool = False, blocking: bool = True) -> Lock:
        """Takes a byte-range lock (``length=None``: to any end of file).

        Blocks (without holding the GIL) until granted; a signal runs its
        Python handler meanwhile (PEP 475), so Ctrl-C raises
        KeyboardInterrupt with nothing locked. With ``blocking=False`` a
        conflicting lock raises BlockingIOError.
        """
        off = _index(offset, "offset")
        n = _length(length)
        kind = _core.MMK_LOCK_SHARED if shared else _core.MMK_LOCK_EXCLUSIVE
        _core.File.lock(self, off, n, kind, 1 if blocking else 0)
        return Lock(self, off, n, bool(shared))

    def __enter__(self) -> "MappedFile":
        if self.closed:
            raise ValueError("I/O operation on closed file")
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __reduce__(self):
        raise TypeError("cannot pickle 'mmapkit.MappedFile' object")

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"mode={self.mode!r}"
        return f"<mmapkit.MappedFile {self.kind} {self.name!r} {state}>"


class View(_core.View):
    """One mapped region of a MappedFile; the zero-copy object.

    Supports the buffer protocol (read-only for "r"), ``len()``, and
    indexing, slicing and slice assignment like ``bytearray``.
    Closing while a buffer export (memoryview, numpy array...) is alive
    raises BufferError and leaves the view usable.

    Fault safety: the view's own methods and slots (indexing, slicing,
    slice assignment, ``bytes(v)``, tobytes, read_into, write_from, read,
    readline, write, find, the atomics, wait/wake, flush) copy through the
    core's guard: a file truncated under the view raises
    :class:`FaultError`. Anything that reads the memory through the buffer
    protocol does not: memoryview(v)[i], bytearray(v), hashlib, zlib,
    struct.unpack_from, re, numpy and every other consumer read the
    mapping directly, and a truncated file kills the process with SIGBUS,
    as it would with the standard library's mmap. Use buffer consumers only
    on files nobody truncates (or that you lock); copy out with the view's
    methods otherwise.
    """

    def __init__(self, file: MappedFile, offset: int = 0,
                 length: Optional[int] = None, *, populate: bool = False,
                 reserve: Optional[int] = None, readonly: bool = False,
                 hugepage: bool = False):
        if _core.View._initialized(self):
            raise TypeError("View.__init__ called twice")
        if not isinstance(file, MappedFile):
            raise TypeError(f"file must be a MappedFile, not {type(file).__name__}")
        off = _index(offset, "offset")
        n = _length(length)
        res = _length(reserve, "reserve")
        opts = ((_core.MMK_MAP_POPULATE if populate else 0)
                | (_core.MMK_MAP_READONLY if readonly else 0)
                | (_core.MMK_MAP_HUGEPAGE if hugepage else 0))
        _core.View.__init__(self, file, off, n, res, opts, 0)

    # -- properties ---------------------------------------------------------
    @property
    def offset(self) -> int:
        """Where the view starts in the file."""
        return _core.View._offset(self)

    @property
    def size(self) -> int:
        """Length in bytes (same as len())."""
        return _core.View._size(self)

    @property
    def reserved(self) -> int:
        """Reserved address space (0 without a reservation)."""
        return _core.View._reserved(self)

    @property
    def readonly(self) -> bool:
        return not _core.View._writable(self)

    @property
    def closed(self) -> bool:
        return bool(_core.View._closed(self))

    # -- operations ---------------------------------------------------------
    def flush(self, offset: int = 0, length: Optional[int] = None, *,
              mode: str = "sync") -> None:
        """Writes changes in ``[offset, offset+length)`` back to the file.

        mode: "async" (schedule write-back), "sync" (on the device before
        return), "full" (sync plus metadata and the drive cache). Runs
        without the GIL. A no-op for read-only, private and anonymous
        views. ``length=0`` flushes nothing.
        """
        try:
            how = _FLUSH[mode]
        except (KeyError, TypeError):
            raise ValueError(f"mode must be 'async', 'sync' or 'full', not {mode!r}") from None
        off = _index(offset, "offset")
        if length is not None and _length(length) == 0:
            if off < 0 or off > len(self):
                raise IndexError("flush range out of the view")
            return
        _core.View.flush(self, off, _length(length), how)

    def advise(self, advice: Union[Advice, int], offset: int = 0,
               length: Optional[int] = None) -> None:
        """madvise over a range of the view (``length=None``: to the end)."""
        _core.View.advise(self, _index(offset, "offset"), _length(length),
                          int(Advice(advice)))

    def resident(self, offset: int = 0, length: Optional[int] = None) -> int:
        """Bytes of the range that are in RAM now (mincore)."""
        return _core.View.resident(self, _index(offset, "offset"), _length(length))

    def lock_memory(self) -> None:
        """mlock the view (runs without the GIL)."""
        _core.View.lock_memory(self)

    def unlock_memory(self) -> None:
        """munlock the view."""
        _core.View.unlock_memory(self)

    def resize(self, length: int) -> None:
        """Grows or shrinks the view; in place within its reservation.
        Refused with BufferError while buffers are exported or another
        thread runs a call without the GIL on it (large copy, flush,
        wait); a refused or failed resize leaves the view as it was."""
        _core.View.resize(self, _index(length, "length"))

    def read_into(self, buf: _Buffer, offset: int = 0) -> int:
        """Copies up to len(buf) bytes starting at ``offset`` into ``buf``;
        returns how many (short at the end of the view)."""
        return _core.View.read_into(self, buf, _index(offset, "offset"))

    def write_from(self, data: _Buffer, offset: int = 0) -> int:
        """Copies all of ``data`` to ``offset``; IndexError if it does not
        fit, TypeError on a read-only view. Returns len(data)."""
        return _core.View.write_from(self, data, _index(offset, "offset"))

    def tobytes(self) -> bytes:
        """A fault-safe copy of the whole view."""
        return self[:]

    # bytes(v) takes this (fault-safe) before the buffer protocol.
    __bytes__ = tobytes

    # -- atomics and wait/wake on shared memory -----------------------------
    # atomic_load(offset, size=8) -> int: acquire load of the aligned 4- or
    # 8-byte word at offset. atomic_store(offset, value, size=8): release
    # store (negative values wrap). These are C methods (no Python frame),
    # as are the others below.
    atomic_load = _core._view_atomic_load
    atomic_store = _core._view_atomic_store

    # atomic_add(offset, delta, size=8) -> int: sequentially consistent
    # fetch-add (wrapping), returns the old value. atomic_cas(offset,
    # expected, desired, size=8) -> (swapped, value found).
    atomic_add = _core._view_atomic_add
    atomic_cas = _core._view_atomic_cas

    # wait(offset, expected, timeout=None) -> bool: sleeps, without the
    # GIL, while the 32-bit word at offset equals expected (a futex shared
    # across processes); True once it differs, False when timeout seconds
    # pass first. Signal handlers run meanwhile (Ctrl-C raises
    # KeyboardInterrupt, PEP 475); close() from another thread ends it
    # with ValueError. wake(offset, count=1) -> int: wakes up to count waiters
    # (count <= 0: all); returns how many were woken.
    wait = _core._view_wait
    wake = _core._view_wake

    # -- protocol -----------------------------------------------------------
    # close() is _core.View.close itself (no Python frame): unmaps;
    # idempotent; BufferError while exported buffers are alive (the view
    # stays usable); while another thread copies or flushes without the
    # GIL, the unmap waits for the end of that call (waits are ended).

    def __enter__(self) -> "View":
        if self.closed:
            raise ValueError("I/O operation on closed view")
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __reduce__(self):
        raise TypeError(f"cannot pickle {type(self).__name__!r} object")

    def __repr__(self) -> str:
        if self.closed:
            return "<mmapkit.View closed>"
        ro = " readonly" if self.readonly else ""
        return f"<mmapkit.View offset={self.offset} size={self.size}{ro}>"


_core._register_view_class(View)  # what MappedFile.map returns

# -- module-level constructors ----------------------------------------------
_fspath = os.fspath


def open(file: Union[_PathLike, int, _HasFileno], mode: str = "r",
         size: Optional[int] = None) -> MappedFile:
    """Opens a file for mapping: a path, or a file already open.

    mode: "r" read-only, "r+" read-write (file must exist), "w+" create or
    truncate, "x+" create exclusively, "c" copy-on-write. ``size`` (writable
    modes only) grows the file to at least that many bytes, reserving the
    blocks so a full disk fails here rather than faulting later.

    ``file`` may also be an open descriptor (an int, as the built-in open()
    takes) or an object with ``fileno()`` (a file object, tempfile,
    socket...), in mode "r", "r+" or "c" and without ``size``. mmapkit
    duplicates the descriptor and keeps only its duplicate: the caller may
    close theirs at once, and MappedFile.close() never closes it. A file
    object's buffered writes are flushed first (they must be in the file to
    be seen through the map). The mode must fit how the descriptor was
    opened ("r+" needs read and write: PermissionError otherwise). What is
    not a regular file is refused at once, never waited on: a directory is
    IsADirectoryError, a pipe, socket or device OSError(ENODEV). ``name``
    and error messages carry what the system tells about the descriptor
    (its /proc/self/fd link, e.g. "/tmp/x (deleted)"), or "fd N (no path)".
    """
    try:
        core_mode, flags = _MODES[mode]
    except (KeyError, TypeError):
        raise ValueError(f"invalid mode {mode!r} (expected 'r', 'r+', 'w+', 'x+' or 'c')") from None
    try:
        path = _fspath(file)
    except TypeError:  # not a path: a descriptor, or what has one
        return _open_descriptor(file, mode, core_mode, flags, size)
    n = 0 if size is None else _length(size, "size")
    if n and core_mode != _core.MMK_WRITE:
        raise ValueError(f"size is only valid with a writable mode, not {mode!r}")
    return MappedFile(_KIND_PATH, path, core_mode, flags, n, -1)


def _open_descriptor(file: Any, mode: str, core_mode: int, flags: int,
                     size: Optional[int]) -> MappedFile:
    if isinstance(file, bool):
        raise TypeError("file must be a path, a descriptor or have fileno(), not bool")
    if isinstance(file, int):
        fd = file
    else:
        fileno = getattr(file, "fileno", None)
        if fileno is None:
            raise TypeError("file must be a path, a descriptor or have fileno(), "
                            f"not {type(file).__name__}")
        fd = fileno()
        if not isinstance(fd, int) or isinstance(fd, bool):
            raise TypeError(f"fileno() returned {type(fd).__name__}, not int")
        flush = getattr(file, "flush", None)
        if flush is not None:
            flush()
    if flags:
        raise ValueError(f"mode {mode!r} creates or truncates a path; a descriptor "
                         "maps with 'r', 'r+' or 'c'")
    if size is not None:
        raise ValueError("size is only valid when opening a path "
                         "(grow an open file with MappedFile.resize)")
    if not -(1 << 31) <= fd < (1 << 31):
        raise OverflowError(f"descriptor {fd} out of range")
    return MappedFile(_KIND_FD, None, core_mode, 0, 0, fd)


def shared_memory(name: str, size: Optional[int] = None, *,
                  exclusive: bool = False, readonly: bool = False,
                  allow_foreign: bool = False) -> MappedFile:
    """Opens named shared memory (the same name in C, Java and .NET is the
    same memory). With ``size`` it is created if missing and grown to at
    least ``size``; without, it must exist (FileNotFoundError).
    ``exclusive=True`` makes an existing object a FileExistsError;
    ``.created`` on the result tells whether this call created it.

    An existing object owned by another user, or that group or others may
    access, is refused with PermissionError naming it (another user may
    have created the name first to read what this process writes), before
    anything is truncated or grown; ``allow_foreign=True`` opens it anyway,
    for memory shared between users on purpose.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be str, not {type(name).__name__}")
    n = _length(size, "size")
    if size is None:
        if exclusive:
            raise ValueError("exclusive=True needs a size (it creates the object)")
        mode, flags = (_core.MMK_READ if readonly else _core.MMK_WRITE), 0
    else:
        if readonly:
            raise ValueError("readonly=True cannot create or grow (omit size)")
        mode = _core.MMK_WRITE
        flags = _core.MMK_CREATE | (_core.MMK_EXCLUSIVE if exclusive else 0)
    if allow_foreign:
        flags |= _core.MMK_ALLOW_FOREIGN
    return MappedFile(_KIND_SHM, name, mode, flags, n, -1)


def unlink_shared_memory(name: str) -> None:
    """Removes the name; existing handles and views keep the memory. A name
    the contract forbids (NUL, '/', a leading '.', over 200 characters) is
    a ValueError before anything reaches the system."""
    if not isinstance(name, str):
        raise TypeError(f"name must be str, not {type(name).__name__}")
    _core.shm_unlink(name)


def fault_guard_install() -> None:
    """Puts mmapkit's SIGBUS handler back on top if a handler was installed
    since (``signal.signal(signal.SIGBUS, ...)``, ``faulthandler.enable()``);
    that handler then gets every SIGBUS that is not a fault of a mmapkit
    access. Cheap when nothing changed (one ``sigaction`` query). Mapping a
    view does it too, and so does a background thread (``mmk-guard``)
    within about 20 ms; calling it right after installing such a handler
    makes a small access that faults raise FaultError at once instead of
    stalling its thread in that handler until the thread's next check."""
    _core.fault_guard_install()


def anonymous(size: int) -> MappedFile:
    """Anonymous read-write memory of ``size`` bytes (> 0); views of it share
    memory with each other and with forked children."""
    n = _index(size, "size")
    if n <= 0:
        raise ValueError(f"size must be > 0, got {n}")
    return MappedFile(_KIND_ANON, None, _core.MMK_WRITE, 0, n, -1)
