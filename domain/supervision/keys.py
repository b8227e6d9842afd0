"""Derived aggregate ids: the same upstream event always addresses the same aggregate."""

from __future__ import annotations

import uuid
from uuid import UUID

__all__ = ["case_record_id", "deadline_id", "evaluation_id", "loop_id", "order_id"]

_NAMESPACE = uuid.UUID("3b2f8a57-7d1e-4f0b-9c33-5c1f0e7a2d90")


def _derive(*parts: object) -> UUID:
    return uuid.uuid5(_NAMESPACE, "/".join(str(p) for p in parts))


def deadline_id(case_id: UUID | str, kind: str, ref: str | None = None) -> UUID:
    """The deadline of this kind (and reference, e.g. a transfer id) on this case."""
    return _derive("deadline", case_id, kind, ref or "")


def order_id(case_id: UUID | str, ref: str) -> UUID:
    """A supervision order on a case: `ref` is the transfer id, or a fresh one by hand."""
    return _derive("order", case_id, ref)


def evaluation_id(evaluator_organ: str, month: str) -> UUID:
    """One evaluator organ's evaluation 一案一评 of one month (YYYY-MM)."""
    return _derive("evaluation", evaluator_organ, month)


def loop_id(case_id: UUID | str, key_field: str) -> UUID:
    """The key-field closed loop of one case and one field."""
    return _derive("loop", case_id, key_field)


def case_record_id(case_id: UUID | str) -> UUID:
    """Supervision's own record of a case (facts the later events do not repeat)."""
    return _derive("case", case_id)
