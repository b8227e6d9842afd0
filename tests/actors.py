"""Staff members for tests, built the way `services.auth.actor_of` builds them from a token."""

from __future__ import annotations

from domain.actors import Actor


def staff(username: str, organ: str, office: str, role: str = "handler", *roles: str) -> Actor:
    """A staff member whose username (what events record) is `username`."""
    return Actor(
        user_id=f"user-{username}",
        username=username,
        name=username,
        organ_code=organ,
        office=office,
        roles=(role, *roles),
    )


# A province case manager: reads every case and inbox of the province (tests' reads).
MONITOR = staff("monitor", "62", "case_management", "case_manager")
