"""mmapkit.mmap: a drop-in replacement for the standard library's mmap.mmap.

Same constructor, methods, attribute, exceptions and documented behaviour
on Linux, plus fault safety: every method, indexing, slicing and bytes(m)
go through the core's guarded copies, so a file truncated under the
mapping raises mmapkit.FaultError instead of killing the interpreter with
SIGBUS. The buffer protocol cannot be guarded: memoryview(m), bytearray(m),
hashlib, zlib, struct, re or numpy read the pages directly, and on a
truncated file they die as they do on the standard library's mmap.

It passes CPython's own Lib/test/test_mmap.py (every test that runs on
Linux). Like the standard library's, it refuses an ``offset`` that is not a
multiple of ALLOCATIONGRANULARITY and flush() / madvise() ranges that do
not start on a page (OSError EINVAL); mmapkit.View maps and flushes any
range. On every Python version it has 3.13's additions: ``trackfd=False``
(keyword-only; no descriptor is kept, so size() is OSError(EBADF) and
resize() a ValueError), seekable(), and seek() returning the new position.
Collected unclosed, it gives no ResourceWarning, as the standard library's
gives none (mmapkit.View and MappedFile do, as file objects do: shown
under ``-X dev``).
Deliberate differences:
- madvise() accepts the advice values mmapkit knows (MADV_NORMAL, RANDOM,
  SEQUENTIAL, WILLNEED, DONTNEED, HUGEPAGE); others raise OSError(EINVAL).
- anonymous memory (fileno=-1) is shared with forked children even with
  MAP_PRIVATE (it is a memfd); size() of an anonymous map is its length.
- flags: MAP_SHARED or MAP_PRIVATE, plus MAP_POPULATE (honoured) and
  MAP_ANONYMOUS; any other bit is OSError(EINVAL) instead of being passed
  to mmap(2). prot: PROT_EXEC is ignored (never executable memory) and
  PROT_NONE maps read-only instead of an inaccessible region.
- isinstance(m, mmap.mmap) is False: mmapkit.mmap is its own class (a
  subclass of mmapkit's view type; the standard type cannot be its base).
- What mmapkit's core refuses with its own errno: a descriptor that is not
  a regular file or shared memory (/dev/zero, a pipe, a socket: ENODEV; a
  directory: IsADirectoryError), and resize() of a MAP_PRIVATE map of a
  file (PermissionError: the descriptor is not writable).
- An OSError's strerror names the failing operation ("... [from_fd]").
- It has the view type's extra methods too (read_into, write_from,
  advise, resident, lock_memory...), which the standard library's lacks.
"""
from __future__ import annotations

import errno
import mmap as _std
import os
from typing import TYPE_CHECKING, Any, Optional

from . import _core

__all__ = ["mmap"]

_ADVICE = {
    _std.MADV_NORMAL: _core.MMK_ADVICE_NORMAL,
    _std.MADV_RANDOM: _core.MMK_ADVICE_RANDOM,
    _std.MADV_SEQUENTIAL: _core.MMK_ADVICE_SEQUENTIAL,
    _std.MADV_WILLNEED: _core.MMK_ADVICE_WILLNEED,
    _std.MADV_DONTNEED: _core.MMK_ADVICE_DONTNEED,
}
if hasattr(_std, "MADV_HUGEPAGE"):
    _ADVICE[_std.MADV_HUGEPAGE] = _core.MMK_ADVICE_HUGEPAGE

_ACCESS_NAMES = {_std.ACCESS_DEFAULT: "ACCESS_DEFAULT", _std.ACCESS_READ: "ACCESS_READ",
                 _std.ACCESS_WRITE: "ACCESS_WRITE", _std.ACCESS_COPY: "ACCESS_COPY"}
_SSIZE_MAX = (1 << 63) - 1
_INT_MAX = (1 << 31) - 1
_CLOSED = "mmap closed or invalid"


def _cint(value: Any) -> int:
    """C int conversion as the stdlib's "i" format does it."""
    v = _ssize(value)
    if v > _INT_MAX:
        raise OverflowError("signed integer is greater than maximum")
    if v < -_INT_MAX - 1:
        raise OverflowError("signed integer is less than minimum")
    return v


def _ssize(value: Any) -> int:
    """Py_ssize_t conversion as the stdlib's "n" format does it."""
    try:
        v = value.__index__()
    except AttributeError:
        raise TypeError(f"'{type(value).__name__}' object cannot be interpreted "
                        "as an integer") from None
    if not -_SSIZE_MAX - 1 <= v <= _SSIZE_MAX:
        raise OverflowError("Python int too large to convert to C ssize_t")
    return v


class mmap(_core.View):
    """mmap(fileno, length[, flags[, prot[, access[, offset]]]])

    Maps ``length`` bytes of the file behind ``fileno`` (0: the whole file;
    -1 as fileno: anonymous memory). See the standard library's mmap.mmap.

    read, read_byte, readline, write, write_byte, seek, tell, find, rfind,
    len(), indexing, slicing and the buffer protocol are the C methods and
    slots of mmapkit's view type (inherited); the rest is here.
    """

    _h = None  # set by __init__ once it holds a handle (close() reads it)

    # mmap(fileno, length, flags=MAP_SHARED, prot=PROT_WRITE|PROT_READ,
    #      access=ACCESS_DEFAULT, offset=0, *, trackfd=True): the standard library's
    # constructor, written in C and run by __new__ as the standard
    # library's is (a subclass may override __new__); no Python frame on
    # the open+map+close path. It sets _h (the handle of the duplicated
    # descriptor or of the anonymous memory; None with trackfd=False, 3.13's
    # keyword, accepted on every version), _anon and _access; __init__
    # does nothing.
    if TYPE_CHECKING:
        def __new__(cls, fileno: int, length: int, flags: int = _std.MAP_SHARED,
                    prot: int = _std.PROT_WRITE | _std.PROT_READ,
                    access: int = _std.ACCESS_DEFAULT, offset: int = 0, *,
                    trackfd: bool = True) -> "mmap": ...

        def close(self) -> None: ...
    else:
        __init__ = _core._mmap_init

    # -- helpers ------------------------------------------------------------
    def _valid(self) -> None:
        if _core.View._closed(self):
            raise ValueError(_CLOSED)

    def _writable_check(self) -> None:
        if not _core.View._writable(self):
            raise TypeError("mmap can't modify a readonly memory map.")

    # -- methods ------------------------------------------------------------
    # close(): the view, then the duplicated descriptor (C, no frame);
    # BufferError while exported.
    # resize(newsize): the map and the file to offset + newsize, in C so
    # that every refusal (BufferError while exported or while another
    # thread copies without the GIL, TypeError, ValueError) comes before
    # any change: a refused resize leaves the file and the map as they were.
    if TYPE_CHECKING:
        def resize(self, newsize: int) -> None: ...
    else:
        close = _core._mmap_close
        resize = _core._mmap_resize

    @property
    def closed(self) -> bool:
        return bool(_core.View._closed(self))

    def __enter__(self) -> "mmap":
        self._valid()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def flush(self, offset: int = 0, size: Optional[int] = None) -> None:
        """Writes changes back to the file (msync, without the GIL)."""
        self._valid()
        total = len(self)
        offset = _ssize(offset)
        size = total - offset if size is None else _ssize(size)
        if size < 0 or offset < 0 or total - offset < size:
            raise ValueError("flush values out of range")
        if self._access in (_std.ACCESS_READ, _std.ACCESS_COPY):
            return None
        if offset % _std.PAGESIZE:  # msync(2) wants a page-aligned start
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        if size == 0:
            return None
        _core.View.flush(self, offset, size, _core.MMK_FLUSH_SYNC)
        return None

    def madvise(self, option: int, start: int = 0, length: Optional[int] = None) -> None:
        """madvise(option[, start[, length]])."""
        self._valid()
        option = _cint(option)
        total = len(self)
        start = _ssize(start)
        length = total if length is None else _ssize(length)
        if start < 0 or start >= total:
            raise ValueError("madvise start out of bounds")
        if length < 0:
            raise ValueError("madvise length invalid")
        if _SSIZE_MAX - start < length:
            raise OverflowError("madvise length too large")
        if start + length > total:
            length = total - start
        if start % _std.PAGESIZE:  # madvise(2) wants a page-aligned start
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        advice = _ADVICE.get(option)
        if advice is None:
            raise OSError(errno.EINVAL, "mmapkit.mmap.madvise supports only "
                          "MADV_NORMAL/RANDOM/SEQUENTIAL/WILLNEED/DONTNEED/HUGEPAGE")
        if length == 0:
            return None
        _core.View.advise(self, start, length, advice)
        return None

    def move(self, dest: int, src: int, count: int) -> None:
        """memmove(dest, src, count) inside the map."""
        self._valid()
        dest, src, count = _ssize(dest), _ssize(src), _ssize(count)
        self._writable_check()
        total = len(self)
        if (dest < 0 or src < 0 or count < 0
                or total - dest < count or total - src < count):
            raise ValueError("source, destination, or count out of range")
        _core.View.move(self, dest, src, count)

    def size(self) -> int:
        """Size of the underlying file (anonymous: of the map)."""
        self._valid()
        if self._h is None:  # trackfd=False: no descriptor, as 3.13's
            raise OSError(errno.EBADF, os.strerror(errno.EBADF))
        if self._anon:
            return len(self)
        # Through the handle, not os.fstat(fileno()): a close() in another
        # thread between the two would leave a stale descriptor number.
        try:
            return _core.File.size(self._h)
        except ValueError:
            raise ValueError(_CLOSED) from None

    def seekable(self) -> bool:
        """True, also once closed (3.13's seekable())."""
        return True

    def __iter__(self):
        """1-byte bytes objects, as the standard library's iteration gives
        (its sq_item); m[i] is an int."""
        i = 0
        while i < len(self):
            yield self[i:i + 1]
            i += 1

    def __bytes__(self) -> bytes:
        """bytes(m), through the fault-safe copy (the buffer protocol is
        not: see the module docstring)."""
        return self[:]

    def __reduce__(self):
        raise TypeError("cannot pickle 'mmapkit.mmap' object")

    def __repr__(self) -> str:
        # The standard library's words; its class prints as "mmap.mmap"
        # (a subclass as its own name, as the type's tp_name gives).
        cls = "mmap.mmap" if type(self) is mmap else type(self).__name__
        if self.closed:
            return f"<{cls} closed=True>"
        return (f"<{cls} closed=False, access={_ACCESS_NAMES[self._access]}, "
                f"length={len(self)}, pos={self.tell()}, "
                f"offset={_core.View._offset(self)}>")


_core._register_mmap_class(mmap)  # its tp_new runs the constructor
