"""Intake's reads 受理查询: a case, its timeline, repeat candidates, search, attachments,
the reporter's identity (a recorded reveal) and the public progress.

Mixed into `IntakeApplication`; every read of a case goes through `_authorised`, so the
policy is applied where the petition is loaded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, BinaryIO
from uuid import UUID

from domain.access import Action, Object
from domain.actors import Actor
from domain.errors import Conflict, NotFound
from domain.hierarchy import OrgTree
from domain.petition import Petition, ReporterIdentity
from domain.repeats import TextNormaliser
from domain.rules import Rules
from domain.vocabulary import Office
from infra import aggregates
from infra.eventstore import ServiceApplication
from services.guard import CaseScope, Guard
from services.history import not_yet_registered, replay, with_proofs
from services.intake import repeats
from services.intake.attachments import AttachmentStore
from services.intake.index import catch_up_index
from services.intake.progress import progress_by_receipt
from services.intake.sealing import SealedDataUnreadable, Sealer
from services.intake.search import PAGE_MAX, SearchQuery, encode_cursor
from services.intake.sidestore import SideStore
from services.intake.timeline import timeline_of
from services.intake.views import hint_for, staff_view

__all__ = ["IntakeReading"]


class IntakeReading(ServiceApplication):
    """The read use cases of intake (a mixin of `IntakeApplication`)."""

    sealer: Sealer
    org_tree: OrgTree
    attachments: AttachmentStore
    rules: Rules
    normaliser: TextNormaliser
    side: SideStore
    guard: Guard
    min_answer_seconds: float
    now: Callable[[], datetime]

    def _authorised(
        self,
        case_id: UUID,
        actor: Actor,
        action: Action,
        obj: Object,
        *,
        purpose: str | None = None,
        record: bool = True,
    ) -> Petition:
        raise NotImplementedError

    def scope_of(self, petition: Petition) -> CaseScope:
        raise NotImplementedError

    def _get(self, case_id: UUID, code: str = "petition_unknown") -> Petition:
        raise NotImplementedError

    def _save(self, petition: Petition) -> None:
        raise NotImplementedError

    def repeat_candidates(self, case_id: UUID, actor: Actor) -> list[repeats.Candidate]:
        """Earlier cases anywhere in the province this one may repeat, best first.

        A repeat may come in at any level (ancestors, siblings and their subtrees, stationed
        units and enterprise commissions), so the whole province is searched: every organ
        code starts with its province's two digits.
        """
        self._authorised(case_id, actor, Action.READ, Object.CASE)
        catch_up_index(self, self.side)
        with self.side.index_batch() as batch:
            row = batch.get(str(case_id))
        if row is None:  # pragma: no cover - the index caught up above
            return []
        province = row["organ_code"][:2]
        found = repeats.candidates(
            row, self.side.index_rows(province), self.rules.repeat_min_score, self.normaliser
        )
        held = self.side.handling_of([UUID(c.case_id) for c in found])
        return [self._with_holder(c, held.get(c.case_id, {})) for c in found]

    def draft_hints(
        self,
        persons: Sequence[Mapping[str, str]],
        categories: Sequence[str],
        summary: str,
        full_text: str,
        actor: Actor,
    ) -> dict[str, Any]:
        """Before saving 登记前提示: the substance hint of a draft and the earlier cases it
        may repeat, only those the clerk may see (a draft must not fish for others' cases).
        Nothing is stored; whoever may register for their organ may ask."""
        self.guard.organ(actor, Action.CHANGE, Object.CASE, actor.organ_code)
        names = [p["name"] for p in persons if p.get("name")]
        hint = hint_for(summary, full_text, names)
        if not names:
            return {"substance_hint": hint, "candidates": []}
        catch_up_index(self, self.side)
        draft = {
            "case_id": "",
            "persons": [{"name": p["name"], "unit": p.get("unit") or ""} for p in persons],
            "categories": list(categories),
            "registered_at": self.now().astimezone(UTC).isoformat(),
        }
        found = repeats.candidates(
            draft,
            self.side.index_rows(actor.organ_code[:2]),
            self.rules.repeat_min_score,
            self.normaliser,
        )
        visible = [c for c in found if self._visible(UUID(c.case_id), actor)]
        held = self.side.handling_of([UUID(c.case_id) for c in visible])
        shown = [self._with_holder(c, held.get(c.case_id, {})) for c in visible]
        return {"substance_hint": hint, "candidates": shown}

    def _visible(self, case_id: UUID, actor: Actor) -> bool:
        petition = aggregates.find(self, Petition, case_id)
        return petition is not None and self.guard.visible(actor, self.scope_of(petition))

    def _with_holder(self, candidate: repeats.Candidate, view: Mapping[str, Any]) -> Any:
        # Until routing says otherwise, the registering organ's petition office holds it.
        organ = view.get("holder_organ") or candidate.organ_code
        office = view.get("holder_office") or Office.PETITION.value
        name = self.org_tree.get(organ).name if organ in self.org_tree else ""
        return replace(candidate, holder_organ=organ, holder_organ_name=name, holder_office=office)

    def open_attachment(self, case_id: UUID, sha256: str, actor: Actor) -> tuple[BinaryIO, str]:
        """The content and type of an attachment of this case; every download is logged."""
        petition = self._authorised(case_id, actor, Action.READ, Object.ATTACHMENT)
        for attachment in petition.attachments:
            if attachment["sha256"] == sha256:
                return self.attachments.open(sha256), attachment["media_type"]
        raise NotFound("attachment_unknown", "附件不存在", "No such attachment")

    def petition(self, case_id: UUID, actor: Actor) -> dict[str, Any]:
        """The case as staff see it, without the reporter's identity."""
        return staff_view(self._authorised(case_id, actor, Action.READ, Object.CASE))

    def petitions(self, case_ids: Sequence[UUID], actor: Actor) -> dict[str, Any]:
        """Several cases at once as staff see them, in the order asked; unknown ones and
        ones outside the caller's scope are listed as `missing` alike (each refusal is
        logged), so a page of cases costs the gateway one call."""
        found, missing = [], []
        for case_id in dict.fromkeys(case_ids):
            try:
                found.append(self.petition(case_id, actor))
            except NotFound:
                missing.append(str(case_id))
        return {"petitions": found, "missing": missing}

    def timeline(self, case_id: UUID, actor: Actor) -> list[dict[str, Any]]:
        """Every intake event of the case, oldest first: what, who, organ, office, when."""
        self._authorised(case_id, actor, Action.READ, Object.CASE)
        return timeline_of(self.repository.event_store.get(case_id))

    def history(self, case_id: UUID, as_of: datetime, actor: Actor) -> dict[str, Any]:
        """The petition as it stood at `as_of`, for an auditor of its subtree (logged)."""
        petition = self._get(case_id)
        unknown = NotFound(
            "petition_unknown", "信访件不存在", "No petition has this case id", case_id=str(case_id)
        )
        self.guard.replay(actor, self.scope_of(petition), lambda: unknown)
        past, events = replay(self, case_id, as_of, timeline_of)
        if past is None:
            raise not_yet_registered(case_id)
        checkpoint, events = with_proofs(self, events)
        return {"state": staff_view(past), "events": events, "checkpoint": checkpoint}

    def reveal_reporter(self, case_id: UUID, purpose: str, *, actor: Actor) -> ReporterIdentity:
        """Open the sealed identity for the petition office of the holder; the read is
        recorded in the case (an event) and in the access log."""
        petition = self._authorised(
            case_id, actor, Action.REVEAL, Object.REPORTER_IDENTITY, purpose=purpose, record=False
        )
        sealed = petition.record_reveal(purpose, actor=actor.username, at=self.now())
        try:
            identity = self.sealer.open(sealed, petition.id)
        except SealedDataUnreadable:
            raise Conflict(
                "reporter_identity_unreadable",
                "举报人身份无法解密(密钥不符)",
                "The reporter's identity cannot be opened with the configured key",
            ) from None
        self._save(petition)
        scope = self.scope_of(petition)
        self.guard.record_allowed(
            actor, Action.REVEAL, Object.REPORTER_IDENTITY, scope, "reporter_revealed"
        )
        return identity

    def progress(self, receipt_code: str) -> dict[str, Any]:
        """What a reporter may see, by receipt code; takes the same time for any code."""
        started = time.monotonic()
        try:
            return progress_by_receipt(
                receipt_code,
                self.sealer,
                self.side,
                lambda case_id: aggregates.find(self, Petition, case_id),
            )
        finally:
            remaining = self.min_answer_seconds - (time.monotonic() - started)
            if remaining > 0:
                time.sleep(remaining)

    def search(self, query: SearchQuery, actor: Actor) -> dict[str, Any]:
        """A page of the cases the caller may see that match, newest first, and the cursor
        of the next page (None on the last). Scoped in the query: `query.scopes` is
        replaced by the caller's subtree."""
        self.guard.organ(actor, Action.LIST, Object.CASE, actor.organ_code)
        catch_up_index(self, self.side)
        first = max(1, min(query.first, PAGE_MAX))
        rows = self.side.search(replace(query, scopes=(actor.organ_code,), first=first))
        page = rows[:first]
        items = [_summary(row, view) for row, view in page]
        return {
            "items": items,
            "next_cursor": encode_cursor(page[-1][0]) if len(rows) > first else None,
        }


def _summary(row: Mapping[str, Any], view: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "case_id": row["case_id"],
        "registration_number": row["registration_number"],
        "organ_code": row["organ_code"],
        "channel": row.get("channel"),
        "stage": row["stage"],
        "summary": row["summary"],
        "registered_at": row["registered_at"],
        "reported_persons": row.get("persons") or [],
        "holder_organ": view.get("holder_organ") or row["organ_code"],
        "holder_office": view.get("holder_office") or Office.PETITION.value,
    }
