"""The platform as `baton up` runs it, for tests that need one of their own: free ports, a
namespace of their own (schemas and topics), and no demo history."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def platform_of_its_own(
    database_url: str,
    bootstrap: str,
    data_dir: Path,
    prefix: str,
    env: Mapping[str, str] | None = None,
    without: tuple[str, ...] = (),
) -> Any:
    """An unstarted `Platform`; `env` adds to (and `without` removes from) its children's
    environment, which is otherwise this process's."""
    from deploy.up import PROCESSES, Platform
    from infra.embedded import free_port
    from infra.settings import Settings

    ports = {f"{name}_port": free_port() for name in PROCESSES}
    settings = Settings(
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        baton_data_dir=data_dir,
        baton_namespace=f"{prefix}{uuid.uuid4().hex[:6]}_",
        baton_demo_history=False,  # tests start empty: no demo history (keeps them fast)
        **ports,
    )
    children = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "BATON_NAMESPACE": settings.baton_namespace,
        "BATON_DEMO_HISTORY": "0",
        **{key.upper(): str(value) for key, value in ports.items()},
        **(env or {}),
    }
    for name in without:
        children.pop(name, None)
    return Platform(settings, env=children)


@contextmanager
def started(platform: Any, timeout: float = 90) -> Iterator[Any]:
    """`platform` (from `platform_of_its_own`) started, and stopped when the block ends."""
    platform.start(timeout=timeout)
    try:
        yield platform
    finally:
        platform.stop()
