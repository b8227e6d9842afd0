"""Snapshots of long-lived aggregates: the state every `interval` events, so loading a
case with hundreds of events reads one snapshot and the events after it.

A snapshot is the aggregate's attributes through the store's JSON transcoder, which
needs a transcoding for each value type the domain keeps in its attributes (frozen
dataclasses such as custody links); `DataclassAsDict` is that transcoding. Snapshots are
a cache: they live in their own table, outside the audited event log, and can be dropped.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import EventStore, Transcoding
from eventsourcing.postgres import PostgresFactory

from infra import dbroles


class DataclassAsDict(Transcoding):
    """A dataclass as its fields (values transcoded in turn), rebuilt by its constructor."""

    def __init__(self, kind: type) -> None:
        assert dataclasses.is_dataclass(kind), kind
        self.type = kind
        self.name = f"{kind.__module__}.{kind.__qualname__}"
        self._fields = [f.name for f in dataclasses.fields(kind)]

    def encode(self, obj: Any) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in self._fields}

    def decode(self, data: Any) -> Any:
        return self.type(**data)


class SnapshotRecorder(dbroles.OwnerDeclaredRecorder):
    """The snapshots table, declared as the owner (the runtime role may not create it)."""


def snapshot_store(app: Application[Any]) -> EventStore[Any]:
    """The application's snapshot store, its table declared as the owner on PostgreSQL."""
    factory = app.factory
    if not isinstance(factory, PostgresFactory):
        return factory.event_store(
            mapper=app.mapper, recorder=factory.aggregate_recorder(purpose="snapshots")
        )
    recorder = SnapshotRecorder(
        datastore=factory.datastore, events_table_name=f"{app.name.lower()}_snapshots"
    )
    if factory.env_create_table():
        recorder.create_table()
    return factory.event_store(mapper=app.mapper, recorder=recorder)
