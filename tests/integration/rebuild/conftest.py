"""Fixtures for the read-model rebuild tests."""

from __future__ import annotations

import pytest

from domain.hierarchy import OrgTree
from infra.reference_data import load_org_tree


@pytest.fixture(scope="session")
def org_tree() -> OrgTree:
    return load_org_tree()
