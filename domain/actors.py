"""The person acting: a named staff member at an office of an organ, in a role.

Shared by every aggregate, so that a sign-off in intake and one in routing check the same
facts. Until the identity issue lands, services build it from what the client sends; after
it, only from the verified token.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import InvalidInput
from domain.vocabulary import Office, Role, parse

__all__ = ["Actor"]


@dataclass(frozen=True)
class Actor:
    """A named staff member at an office of an organ, acting in a role."""

    name: str
    organ_code: str
    office: str
    role: str = Role.HANDLER.value

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidInput(
                "actor_name_required", "必须写明经办人姓名", "The actor must be named"
            )
        if not self.organ_code.strip():
            raise InvalidInput(
                "actor_organ_required", "必须写明经办人所在机关", "The actor's organ is required"
            )
        parse(Office, self.office)
        parse(Role, self.role)

    def at(self, organ_code: str | None, office: str | None) -> bool:
        """Whether the actor works at this office of this organ."""
        return self.organ_code == organ_code and self.office == office

    @property
    def is_leader(self) -> bool:
        """A leader in charge 分管领导, who signs off transfers and non-acceptance."""
        return self.role == Role.LEADER.value
