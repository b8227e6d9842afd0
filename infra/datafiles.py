"""Shipped data files (deploy/data): org tree, rules, key fields, holiday overrides.

Returns plain data; building domain objects from it is the caller's job, so infra stays
free of business rules. `BATON_DATA_FILES` points at another directory with the same
layout (e.g. a province's own configuration).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

__all__ = ["DATA_ENV", "data_dir", "load_yaml", "load_calendar_overrides"]

DATA_ENV = "BATON_DATA_FILES"


def data_dir() -> Path:
    """The data directory: $BATON_DATA_FILES, else deploy/data beside this package."""
    configured = os.environ.get(DATA_ENV)
    if configured:
        return Path(configured).expanduser().resolve()
    # infra/ and deploy/ are siblings both in the repository and when installed.
    return (Path(__file__).resolve().parent.parent / "deploy" / "data").resolve()


def _path(name: str) -> Path:
    base = data_dir()
    relative = name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"
    path = (base / relative).resolve()
    if not path.is_relative_to(base):
        raise ValueError(f"data file {name!r} is outside the data directory {base}")
    return path


def load_yaml(name: str) -> Any:
    """Parse one data file, e.g. `load_yaml("orgs.yaml")` or `load_yaml("calendar/2027")`."""
    path = _path(name)
    if not path.is_file():
        raise FileNotFoundError(f"data file {name!r} not found in {data_dir()}")
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def load_calendar_overrides() -> dict[int, Any]:
    """Every calendar/<year>.yaml, keyed by year; empty when there are none."""
    folder = data_dir() / "calendar"
    if not folder.is_dir():
        return {}
    overrides: dict[int, Any] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.stem.isdigit():
            overrides[int(path.stem)] = load_yaml(f"calendar/{path.name}")
    return overrides
