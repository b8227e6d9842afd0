"""A seeded stream of intake and routing envelopes for many cases, and the deadlines each
case should run against, written down independently of the service for a brute-force
comparison."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from domain.contracts import Envelope, HandlingEvents, PetitionEvents
from domain.guards import CHINA_TZ

COUNTY, TOWN = "620102", "620102001"


@dataclass
class Expected:
    """One deadline as the rules say it should exist: counted from `start`, open from the day
    its opening event arrives until the day its closing event arrives."""

    case_id: str
    kind: str
    ref: str | None
    start: date
    opened: date
    closed: date | None = None


@dataclass
class Scenario:
    envelopes: list[Envelope]
    expected: list[Expected]


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=CHINA_TZ)


def build(cases: int, first: date, last: date, seed: int = 7) -> Scenario:
    rng = random.Random(seed)
    raw: list[tuple[datetime, str, str, str, str, dict]] = []
    expected: list[Expected] = []
    span = (last - first).days

    def emit(source: str, type_: str, case: str, when: datetime, organ: str, **payload) -> None:
        raw.append((when, source, type_, case, organ, payload))

    for n in range(cases):
        case = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        received = first + timedelta(days=rng.randrange(span))
        real_name = rng.random() < 0.6
        emit("intake", PetitionEvents.REGISTERED, case, _at(received, 9), COUNTY,
             received_at=_at(received, 9).isoformat(), real_name=real_name, key_fields=[])
        notice = Expected(case, "acceptance_notice", None, received, received) if real_name \
            else None
        screened = received + timedelta(days=rng.randint(1, 5))
        roll = rng.random()
        if roll > 0.85:
            kind = PetitionEvents.DIVERTED if roll > 0.95 else PetitionEvents.NOT_ACCEPTED
            emit("intake", kind, case, _at(screened, 10), COUNTY)
            if notice:
                notice.closed = screened
                expected.append(notice)
            continue
        emit("intake", PetitionEvents.ACCEPTED, case, _at(screened, 10), COUNTY,
             decided_at=_at(screened, 10).isoformat())
        if notice:
            if rng.random() < 0.9:
                told = received + timedelta(days=rng.randint(3, 30))
                emit("intake", PetitionEvents.ACCEPTANCE_NOTIFIED, case, _at(told, 15), COUNTY,
                     notified_at=_at(told, 15).isoformat())
                notice.closed = told
            expected.append(notice)
        emit("routing", HandlingEvents.OPENED, case, _at(screened, 11), COUNTY)
        concluding, day = COUNTY, screened
        if rng.random() < 0.4:
            tid = f"t{n}"
            proposed = screened + timedelta(days=2)
            emit("routing", HandlingEvents.TRANSFER_PROPOSED, case, _at(proposed, 9), COUNTY,
                 transfer_id=tid, kind="assign_down", from_organ=COUNTY,
                 from_office="supervision", to_organ=TOWN, to_office="supervision")
            dispatched = proposed + timedelta(days=rng.randint(0, 9))
            emit("routing", HandlingEvents.TRANSFER_DISPATCHED, case, _at(dispatched, 10),
                 COUNTY, transfer_id=tid)
            received_down = dispatched + timedelta(days=rng.randint(0, 9))
            emit("routing", HandlingEvents.TRANSFER_RECEIVED, case, _at(received_down, 11),
                 TOWN, transfer_id=tid, received_by="签收人")
            expected += [Expected(case, "level_transfer", f"{tid}:pass", proposed, proposed,
                                  dispatched),
                         Expected(case, "level_transfer", f"{tid}:receive", dispatched,
                                  dispatched, received_down)]
            concluding, day = TOWN, received_down
            handling = Expected(case, "handling", tid, received_down, received_down)
            expected.append(handling)
        concluded = day + timedelta(days=rng.randint(10, 100))
        emit("routing", HandlingEvents.CONCLUDED, case, _at(concluded, 14), concluding)
        if concluding == TOWN:
            emit("routing", HandlingEvents.REPORTED_BACK, case, _at(concluded, 16), TOWN,
                 to_organ=COUNTY, to_office="supervision")
            handling.closed = concluded
        if real_name:
            feedback = Expected(case, "result_feedback", None, concluded, concluded)
            if rng.random() < 0.85:
                feedback.closed = concluded + timedelta(days=rng.randint(1, 30))
                emit("routing", HandlingEvents.FEEDBACK_GIVEN, case, _at(feedback.closed, 10),
                     concluding)
            expected.append(feedback)

    raw.sort(key=lambda r: (r[0], r[1], r[3]))
    counters = {"intake": 0, "routing": 0}
    sequences: dict[tuple[str, str], int] = {}
    envelopes = []
    for when, source, kind, case, organ, payload in raw:
        counters[source] += 1
        key = (source, case)
        sequences[key] = sequences.get(key, 0) + 1
        envelopes.append(Envelope(
            event_id=str(uuid.uuid4()), type=kind, case_id=case, sequence=sequences[key],
            organ_code=organ, actor="clerk", occurred_at=when.isoformat(), source=source,
            payload=payload, notification_id=counters[source]))
    return Scenario(envelopes, expected)
