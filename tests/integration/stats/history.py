"""A random history of cases across the demo tree, as the envelopes intake and routing
publish, with what each case is at any moment kept beside it for a brute-force recount."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from domain.contracts import Envelope, HandlingEvents, PetitionEvents
from domain.hierarchy import OrgTree
from domain.vocabulary import CadreLevel, Channel, KeyField, ProblemCategory, ReportType

CHINA = dt.timezone(dt.timedelta(hours=8))
FOREVER = dt.datetime.max.replace(tzinfo=dt.UTC)
SANCTIONS = (
    "party_sanction",
    "administrative_sanction",
    "admonishing_talk",
    "criticism_education",
    "judicial_transfer",
)
_CONCLUSIONS = [
    ("case_filed", "true"),
    ("party_sanction", "true"),
    ("administrative_sanction", "partly_true"),
    ("admonishing_talk", "partly_true"),
    ("criticism_education", "true"),
    ("judicial_transfer", "true"),
    ("not_substantiated", "untrue"),
    ("name_cleared", "untrue"),
    ("false_accusation", "untrue"),
]
_CADRE_ORDER = [level.value for level in CadreLevel]


@dataclass
class Case:
    """One synthetic case: its facts over time and its events."""

    case_id: str
    organ: str
    path: list[str]
    channel: str
    visitors: int
    real_name: bool
    received_at: dt.datetime
    registered_at: dt.datetime
    categories: list[str]
    cadre_levels: list[str]
    conduct_period: str
    key_fields: list[tuple[dt.datetime, list[str]]] = field(default_factory=list)
    screening: str | None = None
    screened_at: dt.datetime = FOREVER
    report_type: str | None = None
    # (from when, {holder, disposal, outcome, substantiation, satisfaction, status})
    routing: list[tuple[dt.datetime, dict[str, Any]]] = field(default_factory=list)
    events: list[Envelope] = field(default_factory=list)

    def view(self, as_of: dt.datetime | None = None) -> dict[str, Any] | None:
        """What the case was at `as_of` (now when None); None before it was registered."""
        moment = as_of or FOREVER
        if self.registered_at > moment:
            return None
        screened = self.screened_at <= moment
        screening = self.screening if screened else None
        key_fields = [kf for at, kf in self.key_fields if at <= moment][-1]
        routing: dict[str, Any] = {}
        for at, state in self.routing:
            if at <= moment:
                routing = state
        return {
            "organ": self.organ,
            "path": self.path,
            "channel": self.channel,
            "visitors": self.visitors if self.channel == "visit" else 0,
            "received_on": self.received_at.astimezone(CHINA).date(),
            "real_name": self.real_name,
            "category": self.categories[0] if self.categories else "other",
            "key_fields": key_fields,
            "cadre_level": min(self.cadre_levels, key=_CADRE_ORDER.index, default=None),
            "conduct_period": self.conduct_period,
            "screening": screening,
            "scope": None
            if screening is None
            else ("out_of_scope" if screening == "diverted" else "in_scope"),
            "report_type": self.report_type if screening == "accepted" else None,
            "holder": routing.get("holder"),
            "status": routing.get("status"),
            "disposal": routing.get("disposal"),
            "outcome": routing.get("outcome"),
            "substantiation": routing.get("substantiation"),
            "satisfaction": routing.get("satisfaction"),
        }


class HistoryBuilder:
    """Builds cases at random, with increasing notification ids per topic."""

    def __init__(self, tree: OrgTree, seed: int = 12) -> None:
        self.tree = tree
        self.random = random.Random(seed)
        self.organs = [organ.code for organ in tree.organs()]
        self.ids = {"intake": 0, "routing": 0}
        self.accepted: list[Case] = []

    def _path(self, code: str) -> list[str]:
        return [o.code for o in reversed(self.tree.ancestors(code))] + [code]

    def _emit(
        self, case: Case, source: str, event_type: str, at: dt.datetime, **payload: Any
    ) -> None:
        self.ids[source] += 1
        sequence = 1 + sum(1 for e in case.events if e.source == source)
        case.events.append(
            Envelope(
                event_id=str(uuid.uuid4()),
                type=event_type,
                case_id=case.case_id,
                sequence=sequence,
                organ_code=payload.pop("organ", case.organ),
                actor="clerk",
                occurred_at=at.isoformat(),
                source=source,
                payload=payload,
                notification_id=self.ids[source],
            )
        )

    def case(self, start: dt.datetime, days: int) -> Case:
        r = self.random
        received = start + dt.timedelta(minutes=r.randrange(days * 24 * 60))
        channel = r.choice([c.value for c in Channel])
        categories = sorted(
            r.sample([c.value for c in ProblemCategory], r.choice([0, 1, 1, 2])),
            key=lambda c: ProblemCategory(c).priority,
        )
        levels = r.sample(_CADRE_ORDER, r.choice([0, 1, 1, 2]))
        organ = r.choice(self.organs)
        case = Case(
            case_id=str(uuid.uuid4()),
            organ=organ,
            path=self._path(organ),
            channel=channel,
            visitors=r.randint(1, 6) if channel == "visit" else 1,
            real_name=r.random() < 0.4,
            received_at=received,
            registered_at=received + dt.timedelta(hours=r.randint(0, 30)),
            categories=categories,
            cadre_levels=levels,
            conduct_period=r.choice(["before_cutoff", "after_cutoff", "unknown"]),
        )
        key_fields = r.sample([k.value for k in KeyField], r.choice([0, 0, 1, 2]))
        case.key_fields.append((case.registered_at, key_fields))
        self._emit(
            case,
            "intake",
            PetitionEvents.REGISTERED,
            case.registered_at,
            registration_number=f"{organ}-{received.year}-{self.ids['intake']:06d}",
            registered_at=case.registered_at.isoformat(),
            received_at=received.isoformat(),
            channel=channel,
            visitors=case.visitors,
            real_name=case.real_name,
            reported_persons=[{"name": "某", "cadre_level": level} for level in levels],
            categories=categories,
            conduct_period=case.conduct_period,
            key_fields=key_fields,
        )
        self._screen(case)
        if r.random() < 0.1:
            # Events of one case come in time order, as the aggregates record them.
            after = case.screened_at if case.screening else case.registered_at
            at = after + dt.timedelta(hours=r.randint(1, 400))
            changed = r.sample([k.value for k in KeyField], r.choice([0, 1, 3]))
            case.key_fields.append((at, changed))
            self._emit(
                case,
                "intake",
                PetitionEvents.CORRECTED,
                at,
                reason="更正",
                changed_fields=["key_fields"],
                changes={"key_fields": changed},
                corrected_at=at.isoformat(),
            )
        if case.screening == "accepted":
            self._handle(case)
            self.accepted.append(case)
        return case

    def _screen(self, case: Case) -> None:
        r = self.random
        roll = r.random()
        if roll < 0.08:
            return
        at = case.registered_at + dt.timedelta(hours=r.randint(1, 240))
        case.screened_at = at
        if roll < 0.45:
            case.screening = "diverted"
            self._emit(
                case,
                "intake",
                PetitionEvents.DIVERTED,
                at,
                department="人社局",
                explanation="劳动争议",
                decided_at=at.isoformat(),
            )
        elif roll < 0.52:
            case.screening = "not_accepted"
            self._emit(
                case,
                "intake",
                PetitionEvents.NOT_ACCEPTED,
                at,
                reason="无实质内容",
                approved_by="leader",
                decided_at=at.isoformat(),
            )
        elif roll < 0.65 and self.accepted:
            case.screening = "repeat"
            first = r.choice(self.accepted[-50:])
            self._emit(
                case,
                "intake",
                PetitionEvents.LINKED_AS_REPEAT,
                at,
                first_case_id=first.case_id,
                reason="同一问题",
                decided_at=at.isoformat(),
            )
        else:
            case.screening = "accepted"
            case.report_type = r.choice([t.value for t in ReportType])
            self._emit(
                case,
                "intake",
                PetitionEvents.ACCEPTED,
                at,
                report_type=case.report_type,
                reported_persons=[],
                decided_at=at.isoformat(),
            )

    def _handle(self, case: Case) -> None:
        r = self.random
        at = case.screened_at + dt.timedelta(minutes=30)
        state: dict[str, Any] = {"holder": case.organ, "status": "open"}
        case.routing.append((at, dict(state)))
        self._emit(case, "routing", HandlingEvents.OPENED, at, report_type=case.report_type)
        children = self.tree.children(case.organ)
        if children and r.random() < 0.3:
            target = r.choice(children).code
            at += dt.timedelta(days=1)
            self._emit(
                case,
                "routing",
                HandlingEvents.TRANSFER_PROPOSED,
                at,
                transfer_id="t1",
                kind="forward_down",
                from_organ=case.organ,
                from_office="petition",
                to_organ=target,
                to_office="petition",
                external_body=None,
                reason="属地",
                deadline=None,
                suggestion=None,
            )
            at += dt.timedelta(days=2)
            state = {**state, "holder": target}
            case.routing.append((at, dict(state)))
            self._emit(
                case,
                "routing",
                HandlingEvents.TRANSFER_RECEIVED,
                at,
                organ=target,
                transfer_id="t1",
                received_by="clerk",
            )
        if r.random() < 0.2:
            return
        at += dt.timedelta(days=r.randint(1, 20))
        state = {**state, "disposal": r.choice(["inquiry", "preliminary_verification", "close"])}
        case.routing.append((at, dict(state)))
        self._emit(
            case,
            "routing",
            HandlingEvents.DISPOSAL_DECIDED,
            at,
            mode=state["disposal"],
            reason="依规",
        )
        if r.random() < 0.25:
            return
        self._conclude(case, state, at + dt.timedelta(days=r.randint(1, 90)))

    def _conclude(self, case: Case, state: dict[str, Any], at: dt.datetime) -> None:
        r = self.random
        outcome, substantiation = r.choice(_CONCLUSIONS)
        state = {
            **state,
            "outcome": outcome,
            "substantiation": substantiation,
            "status": "concluded",
        }
        case.routing.append((at, dict(state)))
        self._emit(
            case,
            "routing",
            HandlingEvents.CONCLUDED,
            at,
            outcome=outcome,
            substantiation=substantiation,
            findings="查明",
        )
        roll = r.random()
        if roll < 0.1:
            at += dt.timedelta(days=r.randint(1, 30))
            state = {**state, "outcome": None, "substantiation": None, "status": "open"}
            case.routing.append((at, dict(state)))
            self._emit(case, "routing", HandlingEvents.SENT_BACK, at, reason="重办")
        elif roll < 0.6:
            at += dt.timedelta(days=r.randint(1, 15))
            satisfaction = r.choice(["satisfied", "basically_satisfied", "dissatisfied"])
            state = {**state, "satisfaction": satisfaction}
            case.routing.append((at, dict(state)))
            self._emit(
                case,
                "routing",
                HandlingEvents.FEEDBACK_GIVEN,
                at,
                method="phone",
                content="已告知",
                satisfaction=satisfaction,
            )


def build_history(
    tree: OrgTree, count: int, start: dt.datetime, days: int, seed: int = 12
) -> list[Case]:
    """`count` cases received over `days` days from `start`, in order of reception."""
    builder = HistoryBuilder(tree, seed)
    starts = sorted(builder.random.randrange(days) for _ in range(count))
    return [builder.case(start + dt.timedelta(days=day), 1) for day in starts]
