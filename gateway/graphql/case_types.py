"""The values a case is made of in GraphQL: holder, transfers, custody, timeline, facts."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway.graphql.context import gateway
from gateway.graphql.organs import Organ


def organ_of(info: Info, code: str | None) -> Organ | None:
    """An organ of the tree by code (never a case: no path out of scope through it)."""
    if not code:
        return None
    tree = gateway(info).org_tree
    try:
        return Organ.of(tree.get(code))
    except Exception:  # an organ no longer in the tree: show its code alone
        return Organ(code=code, name=code, level="", kind="", parent=None)


@strawberry.type
class Holder:
    """Who holds the case now 当前持有: organ, office (or an outside body), since when."""

    organ_code: str | None
    office: str | None
    external_body: str | None
    since: str | None

    @strawberry.field
    def organ(self, info: Info) -> Organ | None:
        return organ_of(info, self.organ_code)


@strawberry.type
class JurisdictionSuggestion:
    """Who should handle the case and why 管辖建议, shown before a transfer is proposed."""

    organ_code: str
    organ_name: str
    office: str
    action: str
    next_hop: str | None
    reason_zh: str
    reason_en: str
    deciding_person: str
    needs_review: bool


@strawberry.type
class Transfer:
    """One hand-over 移交/转办/交办/报送 from proposal to receipt or refusal."""

    id: strawberry.ID
    kind: str
    state: str
    from_organ_code: str
    from_office: str
    to_organ_code: str | None
    to_office: str | None
    external_body: str | None
    reason: str
    proposed_by: str
    suggestion: JurisdictionSuggestion | None
    approved_by: str | None
    dispatched_by: str | None
    received_by: str | None
    refused_by: str | None
    refusal_reason: str | None
    withdrawn_by: str | None
    withdrawal_reason: str | None
    proposed_at: str | None
    approved_at: str | None
    dispatched_at: str | None
    closed_at: str | None

    @strawberry.field(
        deprecation_reason="A client no longer types a transfer's deadline: supervision "
        "computes it from the rules and the calendar (Case.deadlines)"
    )
    def deadline(self) -> str | None:
        return None

    @strawberry.field(description="The organ the transfer goes to (an organ, never a case)")
    def target(self, info: Info) -> Organ | None:
        return organ_of(info, self.to_organ_code)

    @classmethod
    def of(cls, row: dict[str, Any]) -> Transfer:
        suggestion = row.get("suggestion")
        return cls(
            id=strawberry.ID(str(row["id"])),
            kind=row["kind"],
            state=row["state"],
            from_organ_code=row["from_organ"],
            from_office=row["from_office"],
            to_organ_code=row.get("to_organ"),
            to_office=row.get("to_office"),
            external_body=row.get("external_body"),
            reason=row["reason"],
            proposed_by=_who(row.get("proposed_by")) or "",
            suggestion=suggestion_of(suggestion),
            **{k: _who(row.get(k)) for k in _BY},
            refusal_reason=row.get("refusal_reason"),
            withdrawal_reason=row.get("withdrawal_reason"),
            **{k: row.get(k) for k in _AT},
        )


_BY = ("approved_by", "dispatched_by", "received_by", "refused_by", "withdrawn_by")
_AT = ("proposed_at", "approved_at", "dispatched_at", "closed_at")


def _who(value: Any) -> str | None:
    """A person as the services record them: a name, or an actor object."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("name") or value.get("username") or "")
    return str(value)


def suggestion_of(row: dict[str, Any] | None) -> JurisdictionSuggestion | None:
    if not row:
        return None
    fields = JurisdictionSuggestion.__annotations__
    return JurisdictionSuggestion(**{k: row.get(k) for k in fields})  # type: ignore[arg-type]


@strawberry.type
class CustodyLink:
    """One link of the custody chain 流转记录: who took the case from whom, how, when."""

    version: int
    kind: str
    from_organ_code: str | None
    from_office: str | None
    to_organ_code: str | None
    to_office: str | None
    external_body: str | None
    by: str
    transfer_id: str | None
    at: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> CustodyLink:
        return cls(
            version=row["version"],
            kind=row["kind"],
            from_organ_code=row.get("from_organ"),
            from_office=row.get("from_office"),
            to_organ_code=row.get("to_organ"),
            to_office=row.get("to_office"),
            external_body=row.get("external_body"),
            by=_who(row.get("by")) or "",
            transfer_id=row.get("transfer_id"),
            at=row["at"],
        )


@strawberry.type
class TimelineEntry:
    """One event of intake, routing or supervision, in order: what, who, organ, office, when."""

    what: str
    who: str | None
    organ_code: str | None
    office: str | None
    at: str
    source: str
    detail: JSON | None = None


@strawberry.type
class ReportedPerson:
    """A reported person 被反映人."""

    name: str
    unit: str
    position: str
    cadre_level: str | None


@strawberry.type
class Attachment:
    """A scanned letter, photo or recording; its content is downloaded by an authorised,
    recorded route (`/attachments/{caseId}/{sha256}`)."""

    sha256: str
    size: int
    media_type: str
    kind: str


@strawberry.type
class SubstanceHint:
    """The report names a person or an act but no fact 无实质内容提示 (a hint only)."""

    message_zh: str
    message_en: str
    missing: list[str]


@strawberry.type
class RepeatCandidate:
    """An earlier case this report may repeat 疑似重复件, with the reason and its holder."""

    case_id: str
    registration_number: str
    organ_code: str
    summary: str
    stage: str
    score: float
    reason_zh: str
    reason_en: str
    holder_organ_code: str | None
    holder_office: str | None


def candidate_of(r: dict[str, Any]) -> RepeatCandidate:
    """A repeat candidate as intake answers it (`CandidateOut`)."""
    holder = r.get("holder") or {}
    return RepeatCandidate(
        **{
            k: r[k]
            for k in (
                "case_id",
                "registration_number",
                "organ_code",
                "summary",
                "stage",
                "score",
                "reason_zh",
                "reason_en",
            )
        },
        holder_organ_code=holder.get("organ_code"),
        holder_office=holder.get("office"),
    )


@strawberry.type
class AcceptanceNotice:
    """How a real-name reporter was told of acceptance 受理告知."""

    method: str
    notified_at: str
    outcome: str


@strawberry.type
class NotAcceptProposal:
    """A pending proposal not to accept 不予受理 (waits for the leader)."""

    reason: str
    proposed_by: str
    proposed_at: str
