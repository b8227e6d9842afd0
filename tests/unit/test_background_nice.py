"""Relays, consumers and witnesses run at a lower CPU priority than the threads that answer."""

from __future__ import annotations

import os
import threading

import pytest

from infra.service import (
    BACKGROUND_NICE_ENV,
    DEFAULT_BACKGROUND_NICE,
    background_nice,
    yield_to_requests,
)


def nice_in_thread(name: str) -> tuple[int, int]:
    """(the thread's nice after `yield_to_requests(name)`, the process's)."""
    seen: list[int] = []

    def run() -> None:
        yield_to_requests(name)
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return seen[0], os.getpriority(os.PRIO_PROCESS, os.getpid())


def test_a_consumer_and_a_witness_yield_but_not_the_process(monkeypatch) -> None:
    monkeypatch.delenv(BACKGROUND_NICE_ENV, raising=False)
    own = os.getpriority(os.PRIO_PROCESS, os.getpid())
    assert nice_in_thread("stats-follows-intake") == (min(19, own + DEFAULT_BACKGROUND_NICE), own)
    assert nice_in_thread("stats-witness") == (min(19, own + DEFAULT_BACKGROUND_NICE), own)


def test_a_relay_yields_too_but_not_the_index_or_the_server(monkeypatch) -> None:
    monkeypatch.delenv(BACKGROUND_NICE_ENV, raising=False)
    own = os.getpriority(os.PRIO_PROCESS, os.getpid())
    assert nice_in_thread("intake-relay") == (min(19, own + DEFAULT_BACKGROUND_NICE), own)
    assert nice_in_thread("intake-index") == (own, own)
    assert nice_in_thread("MainThread") == (own, own)


def test_zero_turns_it_off_and_a_bad_value_is_refused(monkeypatch) -> None:
    monkeypatch.setenv(BACKGROUND_NICE_ENV, "0")
    own = os.getpriority(os.PRIO_PROCESS, os.getpid())
    assert nice_in_thread("stats-follows-intake") == (own, own)
    monkeypatch.setenv(BACKGROUND_NICE_ENV, "40")
    assert background_nice() == 19
    monkeypatch.setenv(BACKGROUND_NICE_ENV, "high")
    with pytest.raises(ValueError, match=BACKGROUND_NICE_ENV):
        background_nice()
