"""The integration-event envelope: identity, hashing, chain checks, versions."""

from __future__ import annotations

import dataclasses
import json

import pytest

from domain.contracts import (
    GENESIS_HASH,
    SCHEMA_VERSION,
    UPCASTERS,
    Envelope,
    event_id_for,
    first_broken_link,
    topic_for,
)
from domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, TooMany


def envelope(case_id: str = "c1", sequence: int = 1, **payload) -> Envelope:
    return Envelope(
        event_id=event_id_for("intake", case_id, sequence),
        type="Petition.Registered",
        case_id=case_id,
        sequence=sequence,
        organ_code="620102",
        actor="clerk",
        occurred_at="2026-11-02T09:30:00+08:00",
        source="intake",
        payload=payload or {"channel": "letter"},
        notification_id=sequence,
    )


def chain(*envelopes: Envelope) -> list[Envelope]:
    heads: dict[str, str] = {}
    out = []
    for e in envelopes:
        sealed = e.sealed(heads.get(e.case_id, GENESIS_HASH))
        heads[e.case_id] = sealed.hash
        out.append(sealed)
    return out


def test_topic_and_event_ids_are_stable():
    assert topic_for("intake") == "intake.events"
    assert event_id_for("intake", "c1", 1) == event_id_for("intake", "c1", 1)
    assert event_id_for("intake", "c1", 1) != event_id_for("intake", "c1", 2)


def test_a_round_trip_keeps_everything_and_the_hash_holds():
    sealed = envelope(summary="反映问题").sealed(GENESIS_HASH)
    again = Envelope.from_json(sealed.to_json())
    assert again == sealed
    assert again.hash == again.compute_hash()
    assert again.schema_version == SCHEMA_VERSION


def test_the_notification_id_is_not_part_of_the_hash():
    sealed = envelope().sealed(GENESIS_HASH)
    moved = dataclasses.replace(sealed, notification_id=99)
    assert moved.compute_hash() == sealed.hash


def test_an_intact_chain_has_no_broken_link_and_cases_chain_separately():
    events = chain(envelope("a", 1), envelope("b", 1), envelope("a", 2), envelope("b", 2))
    assert first_broken_link(events) is None
    assert events[2].prev_hash == events[0].hash


@pytest.mark.parametrize(
    "tamper",
    [
        lambda es: [es[0], dataclasses.replace(es[1], payload={"channel": "web"}), es[2]],
        lambda es: [es[0], es[2]],
        lambda es: [es[1], es[0], es[2]],
        lambda es: [es[0], dataclasses.replace(es[1], prev_hash=GENESIS_HASH), es[2]],
    ],
    ids=["altered", "missing", "reordered", "relinked"],
)
def test_a_tampered_chain_names_its_first_broken_link(tamper):
    events = chain(envelope("a", 1), envelope("a", 2), envelope("a", 3))
    broken = first_broken_link(tamper(events))
    assert broken is not None and broken <= 1


def test_malformed_and_unknown_versions_are_refused_loudly():
    with pytest.raises(InvalidInput) as bad_json:
        Envelope.from_json(b"{not json")
    assert bad_json.value.code == "envelope_malformed"
    with pytest.raises(InvalidInput) as not_object:
        Envelope.from_json(b"[1, 2]")
    assert not_object.value.code == "envelope_malformed"
    data = json.loads(envelope().sealed(GENESIS_HASH).to_json())
    with pytest.raises(InvalidInput) as future:
        Envelope.from_json(json.dumps({**data, "schema_version": 99}))
    assert future.value.code == "envelope_unknown_version"
    assert future.value.details == {"schema_version": 99}
    with pytest.raises(InvalidInput) as extra:
        Envelope.from_json(json.dumps({**data, "unexpected": 1}))
    assert extra.value.code == "envelope_malformed"


def test_older_versions_are_upcast(monkeypatch):
    data = json.loads(envelope().sealed(GENESIS_HASH).to_json())
    data["schema_version"] = 0
    data["payload"] = {"old_channel": "letter"}

    def v0_to_v1(old):
        payload = {"channel": old["payload"]["old_channel"]}
        return {**old, "payload": payload, "schema_version": 1}

    monkeypatch.setitem(UPCASTERS, 0, v0_to_v1)
    assert Envelope.from_json(json.dumps(data)).payload == {"channel": "letter"}


@pytest.mark.parametrize(
    ("cls", "kind"),
    [
        (InvalidInput, "invalid"),
        (NotFound, "not_found"),
        (Conflict, "conflict"),
        (Forbidden, "forbidden"),
        (TooMany, "too_many"),
    ],
)
def test_domain_errors_carry_a_code_two_languages_and_a_kind(cls, kind):
    error = cls("some_code", "中文说明", "English text", field="x")
    assert isinstance(error, DomainError)
    assert error.kind == kind
    assert error.as_dict() == {
        "code": "some_code",
        "message_zh": "中文说明",
        "message_en": "English text",
        "details": {"field": "x"},
    }
    assert "some_code" in str(error)


# --- The published event catalogue --------------------------------------------------

_BOOKKEEPING = {"originator_id", "originator_version", "timestamp", "originator_topic"}


def _published_events(aggregate: type) -> dict[str, set[str]]:
    """Every event class an aggregate stores, with the attributes a consumer receives."""
    events: dict[str, set[str]] = {}
    for name, cls in vars(aggregate).items():
        if not (isinstance(cls, type) and issubclass(cls, aggregate.Event)):  # type: ignore[attr-defined]
            continue
        if name in {"Event", "Created"}:
            continue
        annotations: dict[str, object] = {}
        for klass in reversed(cls.__mro__):
            annotations.update(getattr(klass, "__annotations__", {}))
        events[f"{aggregate.__name__}.{name}"] = {
            key
            for key in annotations
            if key not in _BOOKKEEPING
            and key != "originator_id_type"
            and not key.startswith("sealed_")
        }
    return events


def _stored_event_types() -> dict[str, set[str]]:
    from domain.handling import Handling
    from domain.petition import Petition
    from domain.supervision.calendar_years import PublishedYears
    from domain.supervision.casefile import SupervisedCase
    from domain.supervision.deadline import CaseDeadline
    from domain.supervision.evaluation import MonthlyEvaluation
    from domain.supervision.keyfield import KeyFieldLoop
    from domain.supervision.order import SupervisionOrder

    aggregates = (Petition, Handling, CaseDeadline, SupervisionOrder, MonthlyEvaluation,
                  KeyFieldLoop, SupervisedCase, PublishedYears)
    return {name: fields for a in aggregates for name, fields in _published_events(a).items()}


def test_every_stored_event_type_is_declared_with_its_payload_fields() -> None:
    from domain.contracts import PUBLISHED

    stored = _stored_event_types()
    assert set(stored) == set(PUBLISHED), "declare every published event type, and only those"
    for event_type, fields in stored.items():
        assert PUBLISHED[event_type].fields == frozenset(fields), event_type


def test_event_type_constants_are_the_catalogue() -> None:
    from domain.contracts import (
        PUBLISHED,
        HandlingEvents,
        PetitionEvents,
        SupervisionEvents,
        topic_for,
    )

    constants = {
        value
        for holder in (PetitionEvents, HandlingEvents, SupervisionEvents)
        for key, value in vars(holder).items()
        if key.isupper()
    }
    assert constants == set(PUBLISHED)
    assert {c.topic for c in PUBLISHED.values()} == {
        topic_for("intake"),
        topic_for("routing"),
        topic_for("supervision"),
    }
    assert all(c.schema_version == SCHEMA_VERSION for c in PUBLISHED.values())
