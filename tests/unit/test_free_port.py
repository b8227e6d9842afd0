"""Ports for the servers tests start: outside the kernel's range for outgoing connections
(a client connection could take such a port before its server binds it), never handed out
twice, and free when handed out."""

from __future__ import annotations

import socket

from infra.embedded import _ephemeral_range, free_port


def test_ports_are_free_distinct_and_outside_the_outgoing_range() -> None:
    low, high = _ephemeral_range()
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)
    assert all(not low <= port <= high for port in ports)
    for port in ports[:5]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_a_port_someone_bound_is_passed_over(monkeypatch) -> None:
    import infra.embedded as embedded

    low, _ = _ephemeral_range()
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        taken = held.getsockname()[1]
        embedded._HANDED_OUT.discard(low - 7)
        offered = iter([taken, taken, low - 7])
        monkeypatch.setattr(embedded.random, "randint", lambda a, b: next(offered))
        monkeypatch.setattr(embedded.random, "choice", lambda ranges: ranges[0])
        assert free_port() == low - 7
