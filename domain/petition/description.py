"""What a report says 举报内容, validated once for registration and correction alike.

`ReportDescription.create` checks every rule on the report's content (channel, visitors,
hand-over, reported persons, categories, key fields, keywords, conduct period and date,
summary, text, attachments, received time) and normalises it; `revised` applies a
correction to a recorded description through the same checks, so both refuse the same
thing with the same code. `event_values` is the plain form events carry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from domain.guards import aware, require_text
from domain.petition import refusals
from domain.petition.refusals import (
    MAX_ATTACHMENTS,
    MAX_FULL_TEXT,
    MAX_KEYWORD,
    MAX_KEYWORDS,
    MAX_PERSONS,
    MAX_SUMMARY,
    MAX_TEXT,
    MAX_VISITORS,
)
from domain.petition.values import Attachment, ReportedPerson
from domain.vocabulary import Channel, ConductPeriod, ProblemCategory, parse

__all__ = ["ReportDescription"]

_HANDOVERS = (Channel.BODY_HANDOVER.value, Channel.UPPER_HANDOVER.value)


@dataclass(frozen=True)
class ReportDescription:
    """One report's content, normalised: only `create` and `revised` build a checked one."""

    channel: str
    received_at: datetime
    summary: str
    full_text: str = ""
    real_name: bool = False
    visitors: int = 1
    handed_over_from: str | None = None
    handover_reference: str | None = None
    reported_persons: tuple[ReportedPerson, ...] = ()
    categories: tuple[str, ...] = ()
    key_fields: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    conduct_period: str = ConductPeriod.UNKNOWN.value
    conduct_date: date | None = None
    attachments: tuple[Attachment, ...] = ()

    @classmethod
    def create(
        cls,
        *,
        channel: str,
        received_at: datetime,
        registered_at: datetime,
        summary: str,
        full_text: str = "",
        real_name: bool = False,
        visitors: Any = 1,
        handed_over_from: str | None = None,
        handover_reference: str | None = None,
        reported_persons: Iterable[ReportedPerson] = (),
        categories: Iterable[str] = (),
        key_fields: Iterable[str] = (),
        keywords: Iterable[str] = (),
        conduct_period: str = ConductPeriod.UNKNOWN.value,
        conduct_date: date | None = None,
        attachments: Iterable[Attachment] = (),
    ) -> ReportDescription:
        """A checked description, or the first rule it breaks as a coded refusal."""
        channel = parse(Channel, channel).value
        if not isinstance(received_at, datetime) or aware(received_at) > aware(registered_at):
            raise refusals.received_after_registered()
        if isinstance(visitors, bool) or not isinstance(visitors, int):
            raise refusals.visitors_out_of_range()
        if not 1 <= visitors <= MAX_VISITORS:
            raise refusals.visitors_out_of_range()
        if visitors > 1 and channel != Channel.VISIT:
            raise refusals.visitors_only_for_visits()
        if channel not in _HANDOVERS and (handed_over_from or handover_reference):
            raise refusals.handover_fields_without_handover()
        if handed_over_from is not None:
            handed_over_from = require_text(handed_over_from, "handed_over_from", MAX_TEXT)
        if handover_reference is not None:
            handover_reference = require_text(handover_reference, "handover_reference", MAX_TEXT)
        attached = tuple(attachments)
        if len(attached) > MAX_ATTACHMENTS:
            raise refusals.attachments_too_many_given()
        summary = summary.strip()
        if not summary or len(summary) > MAX_SUMMARY:
            raise refusals.summary_invalid()
        if len(full_text) > MAX_FULL_TEXT:
            raise refusals.full_text_too_long()
        persons = tuple(reported_persons)
        if len(persons) > MAX_PERSONS:
            raise refusals.reported_persons_too_many()
        parsed = [parse(ProblemCategory, c) for c in categories]
        if len(set(parsed)) != len(parsed):
            raise refusals.categories_duplicate()
        codes = [c.strip() for c in key_fields]
        if any(not c for c in codes) or len(set(codes)) != len(codes):
            raise refusals.codes_invalid("key_fields")
        words = [w.strip() for w in keywords if w.strip()]
        if len(words) > MAX_KEYWORDS or any(len(w) > MAX_KEYWORD for w in words):
            raise refusals.keywords_invalid()
        return cls(
            channel=channel,
            received_at=received_at,
            summary=summary,
            full_text=full_text,
            real_name=real_name,
            visitors=visitors,
            handed_over_from=handed_over_from,
            handover_reference=handover_reference,
            reported_persons=persons,
            # Recorded in the order of priority 按优先顺序记录: the primary comes first.
            categories=tuple(c.value for c in sorted(parsed, key=lambda c: c.priority)),
            key_fields=tuple(codes),
            keywords=tuple(dict.fromkeys(words)),
            conduct_period=parse(ConductPeriod, conduct_period).value,
            conduct_date=conduct_date,
            attachments=attached,
        )

    def revised(self, changes: Mapping[str, Any], *, registered_at: datetime) -> ReportDescription:
        """This description with `changes` applied, checked by the same rules as `create`."""
        current = {f.name: getattr(self, f.name) for f in fields(self)}
        return ReportDescription.create(registered_at=registered_at, **{**current, **changes})

    def changed_values(
        self, changes: Mapping[str, Any], *, registered_at: datetime
    ) -> dict[str, Any]:
        """The event values a correction really changes, after checking the whole result."""
        new = self.revised(changes, registered_at=registered_at).event_values()
        old = self.event_values()
        return {k: new[k] for k in changes if new[k] != old[k]}

    def event_values(self) -> dict[str, Any]:
        """The plain values events carry: persons as dicts, the conduct date as ISO text."""
        return {
            "channel": self.channel,
            "received_at": self.received_at,
            "summary": self.summary,
            "full_text": self.full_text,
            "real_name": self.real_name,
            "visitors": self.visitors,
            "handed_over_from": self.handed_over_from,
            "handover_reference": self.handover_reference,
            "reported_persons": [p.to_dict() for p in self.reported_persons],
            "categories": list(self.categories),
            "key_fields": list(self.key_fields),
            "keywords": list(self.keywords),
            "conduct_period": self.conduct_period,
            "conduct_date": None if self.conduct_date is None else self.conduct_date.isoformat(),
            "attachments": [a.to_dict() for a in self.attachments],
        }

    @classmethod
    def from_event_values(cls, values: Mapping[str, Any]) -> ReportDescription:
        """The description recorded by events (checked when it was recorded)."""
        conduct_date = values.get("conduct_date")
        return cls(
            channel=values["channel"],
            received_at=values["received_at"],
            summary=values["summary"],
            full_text=values.get("full_text", ""),
            real_name=bool(values.get("real_name", False)),
            visitors=values.get("visitors", 1),
            handed_over_from=values.get("handed_over_from"),
            handover_reference=values.get("handover_reference"),
            reported_persons=tuple(
                ReportedPerson.from_dict(p) for p in values.get("reported_persons", ())
            ),
            categories=tuple(values.get("categories", ())),
            key_fields=tuple(values.get("key_fields", ())),
            keywords=tuple(values.get("keywords", ())),
            conduct_period=values.get("conduct_period", ConductPeriod.UNKNOWN.value),
            conduct_date=None if conduct_date is None else date.fromisoformat(conduct_date),
            attachments=tuple(Attachment.from_dict(a) for a in values.get("attachments", ())),
        )
