"""A store's notification log read straight into projection input, for the rebuild.

The projection's input is the envelope as the relay publishes it (`envelope_for`, less the
event id no handler reads): what the live consumer gets from the broker. Building it
through eventsourcing costs a `Notification` per row, decoding every stored datetime, UUID
and decimal into an object, and turning each back into text for the envelope, which the
handlers then parse again. Here one query per store reads only the columns and the event
types stats handles, and the stored JSON is decoded with the JSON-safe form of each typed
value made at once: the stored text of a datetime *is* its `isoformat()`. A value of any
other registered type makes that one event go the relay's own way (`decode_stored`,
`envelope_for`). `test_rebuild` checks both ways agree event by event.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import Notification
from psycopg.sql import SQL, Identifier

from domain.contracts import Envelope
from infra.eventstore import TRACE_KEY, ServiceApplication
from infra.relay import _NOT_PUBLISHED, SEALED_PREFIX, decode_stored, envelope_for

__all__ = ["read_log", "share_of"]

FETCH = 5000


class _OtherType(Exception):
    """A stored value of a type without a JSON-safe shortcut here."""


# The stored `_data_` of each default transcoding, as `to_json_safe` would give the value.
_JSON_SAFE: dict[str, Callable[[Any], Any]] = {
    "datetime_iso": lambda data: data,
    "uuid_hex": lambda data: str(UUID(data)),
    "decimal_str": lambda data: str(Decimal(data)),
}


def _json_safe_object(d: dict[str, Any]) -> Any:
    if len(d) == 2 and "_type_" in d and "_data_" in d:
        convert = _JSON_SAFE.get(d["_type_"])
        if convert is None:
            raise _OtherType(d["_type_"])
        return convert(d["_data_"])
    return d


_decode = json.JSONDecoder(object_hook=_json_safe_object).decode


def share_of(case_id: str, shares: int) -> int:
    """Which of `shares` a case falls in: its id's last byte, as `_SHARE` says in SQL."""
    return int(case_id[-2:], 16) % shares


_SHARE = SQL(" AND get_byte(uuid_send(originator_id), 15) %% %s = %s")


def read_log(
    app: ServiceApplication,
    types: Iterable[str],
    last: int,
    progress: Callable[[int], None],
    share: tuple[int, int] | None = None,
) -> Iterator[Envelope]:
    """The events of `app` of these types up to notification `last`, as relayed, in order;
    `progress(notification id)` after each batch. With `share` (k, n), only the events of
    aggregates whose id falls in share k of n."""
    assert app.database_url is not None
    table = Identifier(app.schema, app.recorder.events_table_name)  # type: ignore[attr-defined]
    query = SQL(
        "SELECT notification_id, originator_id::text, originator_version, topic, state "
        "FROM {} WHERE notification_id <= %s AND split_part(topic, ':', 2) = ANY(%s){} "
        "ORDER BY notification_id"
    ).format(table, _SHARE if share else SQL(""))
    params: tuple[Any, ...] = (last, list(types))
    if share:
        params += (share[1], share[0])
    fast = app.mapper.cipher is None and app.mapper.compressor is None
    with (
        psycopg.connect(app.database_url) as conn,
        conn.cursor(name="stats_rebuild", binary=True) as cursor,
    ):
        cursor.itersize = FETCH
        cursor.execute(query, params)
        while rows := cursor.fetchmany(FETCH):
            for row in rows:
                yield (fast and _fast(app.service, row)) or _as_relayed(app, row)
            progress(rows[-1][0])


def _fast(source: str, row: tuple[Any, ...]) -> Envelope | None:
    notification_id, case_id, version, topic, state = row
    try:
        decoded = _decode(state.decode())
    except _OtherType:
        return None
    return _envelope(source, notification_id, case_id, version, topic, decoded)


def _as_relayed(app: ServiceApplication, row: tuple[Any, ...]) -> Envelope:
    notification_id, case_id, version, topic, state = row
    stored = Notification(
        id=notification_id,
        originator_id=UUID(case_id),
        originator_version=version,
        topic=topic,
        state=bytes(state),
    )
    decoded, _ = decode_stored(app, stored)
    return envelope_for(app.service, stored, decoded, with_event_id=False)


def _envelope(
    source: str,
    notification_id: int,
    case_id: str,
    version: int,
    topic: str,
    state: dict[str, Any],
) -> Envelope:
    timestamp = state.get("timestamp")
    for key in _unpublished(tuple(state)):
        del state[key]
    return Envelope(
        event_id="",
        type=topic.rpartition(":")[2],
        case_id=case_id,
        sequence=version,
        organ_code=str(state.get("organ_code") or ""),
        actor=str(state.get("actor") or ""),
        occurred_at=timestamp if timestamp is not None else "",
        source=source,
        payload=state,
        notification_id=notification_id,
    )


_UNPUBLISHED: dict[tuple[str, ...], tuple[str, ...]] = {}


def _unpublished(keys: tuple[str, ...]) -> tuple[str, ...]:
    """The keys of a state the relay leaves out of the payload; events of one type mostly
    share their keys, so this is worked out once per set of keys."""
    found = _UNPUBLISHED.get(keys)
    if found is None:
        found = _UNPUBLISHED[keys] = tuple(
            key
            for key in keys
            if key in _NOT_PUBLISHED or key.startswith(SEALED_PREFIX) or key == TRACE_KEY
        )
    return found
