"""The platform the benches measure: as `baton up` runs it in production."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ..platforms import platform_of_its_own, started


@pytest.fixture(scope="session")
def quiet_platform(database_url: str, kafka_bootstrap: str, tmp_path_factory) -> Iterator[Any]:
    """The platform as `baton up` runs it, with the default audit checkpoint period.

    The shared test platform signs a checkpoint every second (so the audit tests need not
    wait), and every process's witness checks them all: a cost by the second that a slower
    run pays more of per registration. Production checkpoints once a minute."""
    platform = platform_of_its_own(
        database_url,
        kafka_bootstrap,
        tmp_path_factory.mktemp("bench-platform"),
        "b",
        without=("AUDIT_CHECKPOINT_SECONDS",),
    )
    with started(platform) as running:
        yield running
