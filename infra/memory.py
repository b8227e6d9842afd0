"""Freed heap memory given back to the system once a burst is over (glibc `malloc_trim`).

A relay or consumer that caught up on thousands of events freed most of what it used, but
glibc keeps freed pages for reuse: the process stayed at its peak (intake's relay process:
68 to 85 MiB after 20,000 registrations). A background worker that goes idle after work
calls `after_work()`; the trim runs at most once per `INTERVAL` seconds in a process, and
does nothing where the C library has no `malloc_trim`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time
from collections.abc import Callable

INTERVAL = 30.0


def _trimmer() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_TRIM = _trimmer()
_lock = threading.Lock()
_last = -INTERVAL


def after_work() -> bool:
    """Give freed heap pages back now, unless done less than `INTERVAL` s ago; whether it ran."""
    global _last
    if _TRIM is None:
        return False
    with _lock:
        now = time.monotonic()
        if now - _last < INTERVAL:
            return False
        _last = now
    _TRIM(0)
    return True
