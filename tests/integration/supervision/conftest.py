"""Supervision's integration tests reuse routing's fixtures (org tree, a real intake)."""

from tests.integration.routing.conftest import intake, org_tree  # noqa: F401
