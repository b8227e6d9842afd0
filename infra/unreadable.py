"""A stored event that no longer decodes, or a case whose events no longer load, is a coded
refusal naming the case (`event_undecodable`, `case_unreadable`; 409), logged once per
event or case, and the service goes on serving every other case.

Only faults of the stored data are turned into these: a database or broker fault still
propagates as itself (the consumers retry those; see infra/deadletter.py).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from eventsourcing.application import Repository
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent

from domain.errors import Conflict, DomainError

log = logging.getLogger(__name__)

# What a stored event of the wrong shape raises while it is decoded, upcast or applied.
DATA_FAULTS = (MapperDeserialisationError, TypeError, KeyError, ValueError, AttributeError)

_reported: set[tuple[str, str]] = set()
_reported_lock = threading.Lock()


def _once(kind: str, key: str, message: str, *args: Any) -> None:
    """Log a broken case the first time this process meets it, not on every request."""
    with _reported_lock:
        if (kind, key) in _reported:
            return
        _reported.add((kind, key))
    log.error(message, *args)


def event_undecodable(case_id: str, version: int) -> Conflict:
    return Conflict(
        "event_undecodable",
        f"案件 {case_id} 的第 {version} 个事件无法解码，请联系系统管理员",
        f"Event {version} of case {case_id} cannot be decoded; ask an administrator",
        case_id=case_id,
        version=version,
    )


def case_unreadable(case_id: str) -> Conflict:
    return Conflict(
        "case_unreadable",
        f"案件 {case_id} 的事件无法加载，请联系系统管理员",
        f"The events of case {case_id} cannot be loaded; ask an administrator",
        case_id=case_id,
    )


class ReportingMapper(Mapper[Any]):
    """A mapper whose decoding failures name the case and the event."""

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        try:
            return super().to_domain_event(stored_event)
        except DATA_FAULTS as exc:
            case_id = str(stored_event.originator_id)
            version = int(stored_event.originator_version)
            _once(
                "event",
                f"{case_id}/{version}",
                "stored event %s of case %s (%s) does not decode: %s",
                version,
                case_id,
                stored_event.topic,
                type(exc).__name__,
            )
            raise event_undecodable(case_id, version) from exc


class ReportingRepository(Repository[Any]):
    """A repository whose cases that do not load are a coded refusal naming the case."""

    def get(self, aggregate_id: Any, **kwargs: Any) -> Any:
        try:
            return super().get(aggregate_id, **kwargs)
        except DomainError:
            raise
        except DATA_FAULTS as exc:
            case_id = str(aggregate_id)
            _once(
                "case",
                case_id,
                "case %s does not load: %s: %s",
                case_id,
                type(exc).__name__,
                exc,
            )
            raise case_unreadable(case_id) from exc
