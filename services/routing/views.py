"""What routing answers about a case: the holder's view of it, and the jurisdiction
suggestion 管辖建议 for where it should go."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from domain.errors import Conflict, InvalidInput, NotFound
from domain.handling import Handling
from domain.hierarchy import OrgTree
from domain.jurisdiction import ReportedPerson, decide_jurisdiction
from domain.vocabulary import CadreLevel
from infra.jsonsafe import to_json_safe


def case_view(h: Handling) -> dict[str, Any]:
    """The case as its holder sees it: holder, status, pending transfer, custody, repeats.

    Moments are ISO strings, taken from the events themselves (custody links included).
    """
    pending = h.pending_transfer
    view = {
        "case_id": str(h.id),
        "version": h.version,
        "registered_organ": h.registered_organ,
        "report_type": h.report_type,
        "status": h.status,
        "holder": h.holder,
        "pending_transfer": pending.as_dict() if pending else None,
        "transfers": [t.as_dict() for t in h.transfers],
        "custody": [link.as_dict() for link in h.custody],
        "assignments": list(h.assignments),
        "disposal": h.disposal,
        "conclusion": h.conclusion,
        "reviews": list(h.reviews),
        "feedback": list(h.feedback),
        "five_in_place": list(h.five_in_place),
        "five_in_place_missing": h.five_in_place_missing,
        "repeats": list(h.repeats),
        "archived_by": h.archived_by,
    }
    result: dict[str, Any] = to_json_safe(view)
    return result


class ViewCache:
    """The last views built, by case id and version (least recently used go first).

    A view is a function of the handling's state, and a handling's state is fixed by its
    id and version (events are never changed), so a view built once answers every later
    read of that version: a long case is not walked again for each GET. The caller adds
    the actor's own part (available actions) to a copy.
    """

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._views: OrderedDict[tuple[str, int], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, h: Handling) -> dict[str, Any]:
        key = (str(h.id), h.version)
        with self._lock:
            view = self._views.get(key)
            if view is not None:
                self._views.move_to_end(key)
                return dict(view)
        view = case_view(h)
        with self._lock:
            self._views[key] = view
            while len(self._views) > self.size:
                self._views.popitem(last=False)
        return dict(view)


def suggestion(org_tree: OrgTree, h: Handling) -> dict[str, Any] | None:
    """Who should handle the case and the first step there from its holder, or None when
    no reported person has a known cadre level."""
    persons = [
        ReportedPerson(name=p["name"], cadre_level=CadreLevel(p["cadre_level"]), unit=p["unit"])
        for p in h.reported_persons
        if p.get("cadre_level") in CadreLevel._value2member_map_
    ]
    if not persons or h.holder_organ is None:
        return None
    decision = decide_jurisdiction(org_tree, h.holder_organ, persons)
    return {
        "organ_code": decision.organ.code,
        "organ_name": decision.organ.name,
        "office": decision.office.value,
        "action": decision.action.value,
        "next_hop": decision.next_hop,
        "reason_zh": decision.reason_zh,
        "reason_en": decision.reason_en,
        "deciding_person": decision.deciding_person,
        "needs_review": decision.needs_review,
    }


def suggestion_or_none(org_tree: OrgTree, h: Handling) -> dict[str, Any] | None:
    """The suggestion recorded beside a proposal: none rather than a refusal."""
    try:
        return suggestion(org_tree, h)
    except (InvalidInput, NotFound, Conflict):
        return None
