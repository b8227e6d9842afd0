"""Fixtures shared by the integration tests that act through the running platform."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.integration.platform.logged_in import StaffClient


@pytest.fixture(scope="module")
def clients(platform) -> Iterator[Callable[[str], StaffClient]]:
    """`clients(username)`: that demo user logged in to the platform's gateway, once per
    module; logged out at its end."""
    made: dict[str, StaffClient] = {}

    def get(username: str) -> StaffClient:
        if username not in made:
            made[username] = StaffClient(platform.gateway_url, username)
        return made[username]

    yield get
    for client in made.values():
        client.close()
