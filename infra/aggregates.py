"""The get / change / catch-up plumbing every service's application shares.

Loading refuses with the service's own `NotFound` code; saving maps the store's integrity
error (another writer stored the same version first) to `409 concurrent_update`, the same
in every service; catching up walks the notification log after a position in batches.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Notification

from domain.errors import Conflict, NotFound

A = TypeVar("A")
T = TypeVar("T")

CATCH_UP_BATCH = 500


def concurrent_update(case_id: UUID | str | None = None, **details: Any) -> Conflict:
    """The refusal given when someone else changed the case first."""
    if case_id is not None:
        details["case_id"] = str(case_id)
    return Conflict(
        "concurrent_update",
        "案件已被他人同时修改，请刷新后重试",
        "Someone else changed this case at the same time: reload and try again",
        **details,
    )


class _Batch(threading.local):
    """The aggregates a consumer's batch changed and has not stored yet (this thread's)."""

    app: Application[Any] | None = None
    changed: dict[Any, Any] | None = None


_batch = _Batch()


@contextmanager
def batch_of(app: Application[Any], changed: dict[Any, Any]) -> Iterator[None]:
    """While a consumer works out a batch, `find` on this thread answers from `changed`
    (id → aggregate) first, so a later event sees what an earlier one did."""
    _batch.app, _batch.changed = app, changed
    try:
        yield
    finally:
        _batch.app, _batch.changed = None, None


def find(app: Application[Any], kind: type[A], case_id: UUID) -> A | None:
    """The aggregate of this kind with this id, or None."""
    if _batch.app is app and _batch.changed is not None and case_id in _batch.changed:
        pending = _batch.changed[case_id]
        return pending if isinstance(pending, kind) else None
    try:
        aggregate: Any = app.repository.get(case_id)
    except AggregateNotFoundError:
        return None
    return aggregate if isinstance(aggregate, kind) else None


def get(app: Application[Any], kind: type[A], case_id: UUID, not_found: NotFound) -> A:
    """The aggregate of this kind with this id, or the service's own `NotFound`."""
    aggregate = find(app, kind, case_id)
    if aggregate is None:
        raise not_found
    return aggregate


def save(app: Application[Any], *aggregates: Any) -> None:
    """Store the aggregates' new events; a lost race becomes `concurrent_update`."""
    try:
        app.save(*aggregates)
    except IntegrityError:
        ids = [str(a.id) for a in aggregates]
        raise concurrent_update(ids[0] if ids else "", cases=ids) from None


def change(
    app: Application[Any],
    aggregate: A,
    command: Callable[[A], T],
    expected_version: int | None = None,
) -> T:
    """Run a command on a loaded aggregate and store it, refusing a stale version."""
    version = getattr(aggregate, "version", None)
    if expected_version is not None and expected_version != version:
        raise concurrent_update(
            getattr(aggregate, "id", ""), expected_version=expected_version, version=version
        )
    result = command(aggregate)
    save(app, aggregate)
    return result


def catch_up(
    app: Application[Any],
    position: int,
    apply: Callable[[Sequence[Notification]], None],
    batch: int = CATCH_UP_BATCH,
) -> int:
    """Hand every notification after `position` to `apply`, a batch at a time.

    Returns the last position handed over. `apply` records the position itself when it
    must survive a restart (in the same transaction as its effects).
    """
    while True:
        notifications = app.recorder.select_notifications(start=position + 1, limit=batch)
        if notifications:
            apply(notifications)
            position = notifications[-1].id
        if len(notifications) < batch:
            return position
