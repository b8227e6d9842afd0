"""Freed heap memory goes back to the system after work, at most once per interval."""

from __future__ import annotations

import pytest

from infra import memory


def test_memory_goes_back_once_per_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    clock = [1000.0]
    monkeypatch.setattr(memory, "_TRIM", lambda pad: calls.append(pad) or 1)
    monkeypatch.setattr(memory, "_last", -memory.INTERVAL)
    monkeypatch.setattr(memory.time, "monotonic", lambda: clock[0])

    assert memory.after_work() is True
    clock[0] += memory.INTERVAL - 1
    assert memory.after_work() is False  # too soon: the caller keeps its "worked" flag
    clock[0] += 1
    assert memory.after_work() is True
    assert calls == [0, 0]


def test_nothing_happens_without_malloc_trim(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "_TRIM", None)
    assert memory.after_work() is False


def test_this_c_library_has_it() -> None:
    # glibc (the images and this machine): the real call returns whether it released any.
    assert memory._TRIM is not None
    assert memory._TRIM(0) in (0, 1)
