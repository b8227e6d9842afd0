"""Supervision's own record of a case 督查台账: the upstream facts later events do not repeat.

`Handling.TransferReceived` names only its transfer, `Handling.Concluded` does not say
whether the reporter gave their name, and a draw needs every first conclusion of a month:
so supervision notes what it needs, once, as its own events, and reads it back from here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.guards import aware
from domain.supervision.keys import case_record_id

__all__ = ["SupervisedCase"]


class SupervisedCase(Aggregate):
    """What supervision knows of one case: reporter kind, transfers, holder, conclusions."""

    # Opened from the registration itself, the record carries its facts in the one event
    # (a registration cost supervision two events, each stored, signed, published and
    # checked by every consumer); opened by a later event, they come with `note_registration`.
    # Stored before they existed, an Opened event has none of the three: the defaults
    # (the library asks every keyword-only argument of a new event, defaults or not).
    @event("Opened")
    def __init__(self, *, id: UUID, case_id: str, registered_organ: str,  # noqa: A002
                 at: datetime, organ_code: str, actor: str, received_on: str | None = None,
                 real_name: bool | None = None, key_fields: list[str] | None = None) -> None:
        self.case_id = case_id
        self.registered_organ = registered_organ
        self.received_on: date | None = date.fromisoformat(received_on) if received_on else None
        self.real_name: bool | None = real_name
        self.key_fields: list[str] = list(key_fields or [])
        self.holder_organ: str | None = registered_organ
        self.holder_office: str | None = "petition"
        # Every organ that has held the case: the scope of its supervision records.
        self.holders: list[str] = [registered_organ]
        self.transfers: dict[str, dict[str, Any]] = {}
        self.reported_from: list[dict[str, str | None]] = []
        self.conclusions: list[dict[str, str]] = []

    @classmethod
    def open(cls, case_id: UUID | str, organ: str, *, at: datetime, actor: str,
             registration: tuple[date, bool, list[str]] | None = None) -> SupervisedCase:
        """`registration` (received on, real name, key fields): opened by the registration
        itself, its facts noted in the same event."""
        received_on, real_name, key_fields = registration or (None, None, None)
        return cls(id=case_record_id(case_id), case_id=str(case_id), registered_organ=organ,
                   at=aware(at), organ_code=organ, actor=actor,
                   received_on=received_on.isoformat() if received_on else None,
                   real_name=None if real_name is None else bool(real_name),
                   key_fields=None if key_fields is None else [str(k) for k in key_fields])

    # --- commands: each returns False when it would record nothing new ---------------

    def note_registration(self, received_on: date, real_name: bool, key_fields: list[str],
                          *, at: datetime, actor: str) -> bool:
        if self.received_on is not None:
            return False
        self._registration_noted(received_on=received_on.isoformat(), real_name=bool(real_name),
                                 key_fields=[str(k) for k in key_fields], at=aware(at),
                                 organ_code=self.registered_organ, actor=actor)
        return True

    def note_transfer(self, transfer_id: str, kind: str, from_organ: str | None,
                      to_organ: str | None, to_office: str | None, *, at: datetime,
                      actor: str) -> bool:
        if transfer_id in self.transfers:
            return False
        self._transfer_noted(transfer_id=transfer_id, kind=kind, from_organ=from_organ,
                             to_organ=to_organ, to_office=to_office, at=aware(at),
                             organ_code=from_organ or self.registered_organ, actor=actor)
        return True

    def note_holder(self, organ: str | None, office: str | None, via: str, *, at: datetime,
                    actor: str) -> bool:
        if (organ, office) == (self.holder_organ, self.holder_office):
            return False
        self._holder_changed(holder_organ=organ, holder_office=office, via=via, at=aware(at),
                             organ_code=organ or self.registered_organ, actor=actor)
        return True

    def note_conclusion(self, organ: str, on: date, *, at: datetime, actor: str) -> None:
        self._conclusion_noted(concluded_by=organ, concluded_on=on.isoformat(),
                               first=not self.conclusions, at=aware(at), organ_code=organ,
                               actor=actor)

    # --- reading ---------------------------------------------------------------------

    @property
    def first_conclusion(self) -> dict[str, str] | None:
        return self.conclusions[0] if self.conclusions else None

    def transfer(self, transfer_id: str) -> dict[str, Any] | None:
        return self.transfers.get(transfer_id)

    # --- events ----------------------------------------------------------------------

    @event("RegistrationNoted")
    def _registration_noted(self, received_on: str, real_name: bool, key_fields: list[str],
                            at: datetime, organ_code: str, actor: str) -> None:
        self.received_on = date.fromisoformat(received_on)
        self.real_name = real_name
        self.key_fields = list(key_fields)

    @event("TransferNoted")
    def _transfer_noted(self, transfer_id: str, kind: str, from_organ: str | None,
                        to_organ: str | None, to_office: str | None, at: datetime,
                        organ_code: str, actor: str) -> None:
        self.transfers[transfer_id] = {"kind": kind, "from_organ": from_organ,
                                       "to_organ": to_organ, "to_office": to_office}

    @event("HolderChanged")
    def _holder_changed(self, holder_organ: str | None, holder_office: str | None, via: str,
                        at: datetime, organ_code: str, actor: str) -> None:
        if via == "report_back":
            self.reported_from.append({"organ": self.holder_organ, "office": self.holder_office})
        elif via == "send_back" and self.reported_from:
            self.reported_from.pop()
        self.holder_organ, self.holder_office = holder_organ, holder_office
        if holder_organ and holder_organ not in self.holders:
            self.holders.append(holder_organ)

    @event("ConclusionNoted")
    def _conclusion_noted(self, concluded_by: str, concluded_on: str, first: bool,
                          at: datetime, organ_code: str, actor: str) -> None:
        self.conclusions.append({"organ": concluded_by, "on": concluded_on})
