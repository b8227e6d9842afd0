"""Integration events: the versioned envelope that crosses Kafka, and its hash chain.

Every event a service stores is published on `<service>.events` as one `Envelope`, keyed
by its case id. Within a topic, the envelopes of one case form a chain: each carries the
hash of the previous envelope of the same case (`prev_hash`) and its own `hash`, so a
consumer or an auditor can tell a missing, reordered or altered event.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from domain.errors import InvalidInput

SCHEMA_VERSION = 1
GENESIS_HASH = "0" * 64
_EVENT_ID_NAMESPACE = uuid.UUID("6f1d1b1e-4d0e-4c57-9a43-62c0baf0a11d")

SERVICES = ("intake", "routing", "supervision", "stats")


def topic_for(service: str) -> str:
    """The topic a service publishes its events on."""
    return f"{service}.events"


def event_id_for(source: str, case_id: str, sequence: int) -> str:
    """A deterministic event id, so that a republished event keeps its identity."""
    return str(uuid.uuid5(_EVENT_ID_NAMESPACE, f"{source}/{case_id}/{sequence}"))


def canonical_json(value: Any) -> bytes:
    """Stable bytes for hashing: sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Envelope:
    """One integration event as it crosses the broker."""

    event_id: str
    type: str
    case_id: str
    sequence: int
    organ_code: str
    actor: str
    occurred_at: str
    source: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION
    prev_hash: str = GENESIS_HASH
    hash: str = ""
    # The upstream store's notification id: what consumers track. Not hashed, because
    # it says where the event sits in one store, not what happened to the case.
    notification_id: int = 0

    def hashed_fields(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("hash")
        data.pop("notification_id")
        data["payload"] = dict(self.payload)
        return data

    def compute_hash(self) -> str:
        return hashlib.sha256(canonical_json(self.hashed_fields())).hexdigest()

    def sealed(self, prev_hash: str) -> Envelope:
        """This envelope chained after `prev_hash`, with its own hash filled in."""
        chained = Envelope(**{**asdict(self), "prev_hash": prev_hash, "hash": ""})
        return Envelope(**{**asdict(chained), "hash": chained.compute_hash()})

    def to_json(self) -> bytes:
        return canonical_json(asdict(self))

    @classmethod
    def from_json(cls, raw: bytes | str) -> Envelope:
        """Parse, upcast older schema versions, and refuse unknown ones loudly."""
        try:
            data = json.loads(raw)
        except (ValueError, TypeError) as exc:
            raise InvalidInput(
                "envelope_malformed", "集成事件格式错误", "The integration event is not valid JSON"
            ) from exc
        if not isinstance(data, dict):
            raise InvalidInput(
                "envelope_malformed", "集成事件格式错误", "The integration event is not an object"
            )
        version = data.get("schema_version")
        while version in UPCASTERS:
            data = UPCASTERS[version](data)
            version = data["schema_version"]
        if version != SCHEMA_VERSION:
            raise InvalidInput(
                "envelope_unknown_version",
                f"未知的集成事件版本：{version}",
                f"Unknown integration event schema version: {version}",
                schema_version=version,
            )
        try:
            return cls(**data)
        except TypeError as exc:
            raise InvalidInput(
                "envelope_malformed", "集成事件字段不符", "The integration event has wrong fields"
            ) from exc


# version -> function returning the data at the next version. Empty while only v1 exists;
# the loop in `from_json` is where an old event is lifted when v2 arrives.
UPCASTERS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def first_broken_link(envelopes: Iterable[Envelope]) -> int | None:
    """Index of the first envelope whose chain does not hold (per case), or None."""
    heads: dict[str, tuple[int, str]] = {}
    for index, envelope in enumerate(envelopes):
        last_sequence, last_hash = heads.get(envelope.case_id, (0, GENESIS_HASH))
        if (
            envelope.prev_hash != last_hash
            or envelope.hash != envelope.compute_hash()
            or envelope.sequence != last_sequence + 1
        ):
            return index
        heads[envelope.case_id] = (envelope.sequence, envelope.hash)
    return None
