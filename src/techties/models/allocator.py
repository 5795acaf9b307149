"""Keep freed memory in the process while a large fit runs (glibc only).

A PPML fit on millions of rows allocates and frees arrays of tens to hundreds of megabytes at
every IRLS step: the loop's n-row temporaries and, inside pyfixest's Rust demeaner, its output,
its fixed-effect index and one work buffer per thread. glibc serves requests above its mmap
threshold (at most 32 MiB) with fresh ``mmap`` pages and returns the heap's top to the system
once more than its trim threshold is free, so every step pays the kernel again for zeroed pages:
at 5e6 rows about a million minor page faults and a quarter of the fit's CPU time is system
time. (At 1e6 rows the arrays are 8 MiB, under the threshold, which is one reason 5e6 rows cost
more than five times 1e6.)

:func:`reuse_freed_memory` switches that off for the duration of a block: no ``mmap`` for
allocations (``M_MMAP_MAX = 0``; requests from other threads' arenas fall back to the main
heap) and no trimming (``M_TRIM_THRESHOLD`` at its maximum), so a freed buffer is reused by the
next step without page faults. On leaving the outermost block glibc's settings are put back to
the values its own dynamic rule settles at once a 32 MiB array has been freed (mmap above 32
MiB, trim above 64 MiB; glibc has no call to read the previous values) and ``malloc_trim(0)``
returns the freed memory to the system. The allocator does not change any number computed; on
other C libraries the block does nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import platform
import threading
from collections.abc import Iterator
from typing import Any

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_MMAP_MAX = -4
#: glibc's defaults after its dynamic threshold has reached its ceiling, and its mmap count
SETTLED = ((M_MMAP_MAX, 65536), (M_MMAP_THRESHOLD, 32 << 20), (M_TRIM_THRESHOLD, 64 << 20))
DURING = ((M_MMAP_MAX, 0), (M_TRIM_THRESHOLD, 2**31 - 1))

_LOCK = threading.Lock()
_depth = 0
_libc: Any = None


def glibc() -> Any:
    """The C library when it is glibc with ``mallopt`` and ``malloc_trim``, else None."""
    global _libc
    if _libc is None:
        lib: Any = False
        if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
            with contextlib.suppress(OSError):
                found = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                if hasattr(found, "mallopt") and hasattr(found, "malloc_trim"):
                    lib = found
        _libc = lib
    return _libc or None


def _set(lib: Any, settings: tuple[tuple[int, int], ...]) -> None:
    for param, value in settings:
        lib.mallopt(param, value)


@contextlib.contextmanager
def reuse_freed_memory() -> Iterator[None]:
    """Within the block, freed memory stays in the process for reuse (see the module doc).

    Re-entrant and thread-safe: the settings change when the first block is entered and are
    restored when the last one is left.
    """
    global _depth
    lib = glibc()
    if lib is None:
        yield
        return
    with _LOCK:
        _depth += 1
        if _depth == 1:
            _set(lib, DURING)
    try:
        yield
    finally:
        with _LOCK:
            _depth -= 1
            if _depth == 0:
                _set(lib, SETTLED)
                lib.malloc_trim(0)
