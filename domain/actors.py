"""The person acting: a named staff member at an office of an organ, holding roles.

Shared by every aggregate, so that a sign-off in intake and one in routing check the same
facts. Services build it only from the verified service token (`services/auth.py`); events
record the `username`, which never changes, rather than the display name.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import InvalidInput
from domain.vocabulary import Office, Role, parse

__all__ = ["Actor"]


@dataclass(frozen=True)
class Actor:
    """A named staff member at an office of an organ, acting in one or more roles."""

    user_id: str
    username: str
    name: str
    organ_code: str
    office: str
    roles: tuple[str, ...] = (Role.HANDLER.value,)

    def __post_init__(self) -> None:
        if not self.username.strip():
            raise InvalidInput(
                "actor_name_required", "必须写明经办人姓名", "The actor must be named"
            )
        if not self.organ_code.strip():
            raise InvalidInput(
                "actor_organ_required", "必须写明经办人所在机关", "The actor's organ is required"
            )
        parse(Office, self.office)
        for role in self.roles:
            parse(Role, role)
        object.__setattr__(self, "roles", tuple(self.roles))

    def at(self, organ_code: str | None, office: str | None) -> bool:
        """Whether the actor works at this office of this organ."""
        return self.organ_code == organ_code and self.office == office

    def has_role(self, role: Role | str) -> bool:
        """Whether the actor holds this role."""
        return str(getattr(role, "value", role)) in self.roles

    @property
    def is_leader(self) -> bool:
        """A leader in charge 分管领导, who signs off transfers and non-acceptance."""
        return self.has_role(Role.LEADER)
