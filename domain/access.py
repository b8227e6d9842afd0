"""The access policy 访问控制: who may do what to which object, as one table.

A reader checks `RULES` against the domain page ("Who uses it", "Confidentiality"):
each rule grants one role one action on one kind of object when the user's organ stands
in one of the listed relations to the object's organ, optionally only from certain
offices. Anything no rule grants is refused. Conditions that are not about organs (a
stated purpose for a reveal, never approving one's own proposal) are checked after.

Relations are from the user's side. For a case, the object's organs are every organ that
holds or has held it; "change", "approve" and "reveal" look at the current holder only.
A subtree is a code prefix, so a stationed unit (commission code + Znn) sits in its
commission's subtree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "ACTIONS",
    "OBJECTS",
    "RELATIONS",
    "ROLES",
    "RULES",
    "Action",
    "Decision",
    "Facts",
    "Object",
    "Principal",
    "Relation",
    "Rule",
    "allowed_cells",
    "decide",
    "organ_parent",
    "relation",
]


class Relation(StrEnum):
    """Where the object's organ stands from the user's organ."""

    OWN = "own"  # the same organ
    CHILD = "child"  # below the user's organ (in its subtree)
    PARENT = "parent"  # above the user's organ (the user is in its subtree)
    SIBLING = "sibling"  # another organ under the same parent
    UNRELATED = "unrelated"


class Action(StrEnum):
    READ = "read"
    LIST = "list"
    CHANGE = "change"
    APPROVE = "approve"
    REVEAL = "reveal"
    EXPORT = "export"


class Object(StrEnum):
    CASE = "case"
    REPORTER_IDENTITY = "reporter_identity"
    ATTACHMENT = "attachment"
    TRANSFER = "transfer"
    INBOX = "inbox"
    STATISTICS = "statistics"
    ACCESS_LOG = "access_log"
    USERS = "users"


# Codes of domain.vocabulary.Role; kept as text so the table reads as the domain page does.
ROLES = (
    "petition_clerk",
    "handler",
    "leader",
    "case_manager",
    "evaluator",
    "auditor",
    "administrator",
    "reporter",
)
RELATIONS = tuple(Relation)
ACTIONS = tuple(Action)
OBJECTS = tuple(Object)

OWN = frozenset({Relation.OWN})
SUBTREE = frozenset({Relation.OWN, Relation.CHILD})
ANY_OFFICE: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Rule:
    """One grant: `role` may `action` an `object` whose organ is in `relations`."""

    role: str
    object: Object
    action: Action
    relations: frozenset[Relation]
    offices: frozenset[str] = ANY_OFFICE  # empty: from any office
    reason: str = ""


def _grant(
    role: str,
    objects: Iterable[Object],
    actions: Iterable[Action],
    relations: frozenset[Relation],
    reason: str,
    offices: frozenset[str] = ANY_OFFICE,
) -> list[Rule]:
    return [
        Rule(role, obj, action, relations, offices, reason) for obj in objects for action in actions
    ]


_R, _L, _C = Action.READ, Action.LIST, Action.CHANGE
_CASE_WORK = (Object.CASE, Object.ATTACHMENT, Object.TRANSFER)
_PETITION = frozenset({"petition"})

RULES: tuple[Rule, ...] = tuple(
    [
        # Staff who work cases see what their subtree holds or has held, and work on
        # what their own organ holds now.
        *_grant("petition_clerk", _CASE_WORK, (_R, _L), SUBTREE, "subtree_reads_cases"),
        *_grant("petition_clerk", _CASE_WORK, (_C,), OWN, "holder_works_case"),
        *_grant("petition_clerk", (Object.INBOX,), (_R, _L), OWN, "own_inbox"),
        *_grant("petition_clerk", (Object.STATISTICS,), (_R,), SUBTREE, "subtree_statistics"),
        # Only the petition office of the current holder reveals a reporter, with a purpose.
        *_grant(
            "petition_clerk",
            (Object.REPORTER_IDENTITY,),
            (Action.REVEAL,),
            OWN,
            "petition_office_of_holder_reveals",
            _PETITION,
        ),
        *_grant("handler", _CASE_WORK, (_R, _L), SUBTREE, "subtree_reads_cases"),
        *_grant("handler", _CASE_WORK, (_C,), OWN, "holder_works_case"),
        *_grant("handler", (Object.INBOX,), (_R, _L), OWN, "own_inbox"),
        *_grant("handler", (Object.STATISTICS,), (_R,), SUBTREE, "subtree_statistics"),
        # A leader in charge signs off for their own organ only (一签批一移交).
        *_grant("leader", _CASE_WORK, (_R, _L), SUBTREE, "subtree_reads_cases"),
        *_grant(
            "leader",
            (Object.CASE, Object.TRANSFER),
            (Action.APPROVE,),
            OWN,
            "leader_approves_for_own_organ",
        ),
        *_grant("leader", (Object.INBOX,), (_R, _L), OWN, "own_inbox"),
        *_grant("leader", (Object.STATISTICS,), (_R, Action.EXPORT), SUBTREE, "subtree_statistics"),
        *_grant("leader", (Object.CASE,), (Action.EXPORT,), SUBTREE, "subtree_export"),
        # Case management 案管 monitors the subtree's handling; it changes nothing.
        *_grant(
            "case_manager",
            (Object.CASE, Object.TRANSFER, Object.INBOX),
            (_R, _L),
            SUBTREE,
            "case_management_monitors",
        ),
        *_grant(
            "case_manager", (Object.STATISTICS,), (_R, Action.EXPORT), SUBTREE, "subtree_statistics"
        ),
        *_grant("case_manager", (Object.CASE,), (Action.EXPORT,), SUBTREE, "subtree_export"),
        # The 一案一评 panel samples and reads the subtree's cases.
        *_grant(
            "evaluator", (Object.CASE, Object.TRANSFER), (_R, _L), SUBTREE, "evaluation_panel_reads"
        ),
        *_grant("evaluator", (Object.STATISTICS,), (_R,), SUBTREE, "subtree_statistics"),
        # An auditor reads cases, their history and the access log; changes nothing. No
        # attachment contents: letters may name the reporter.
        *_grant(
            "auditor", (Object.CASE, Object.TRANSFER), (_R, _L), SUBTREE, "auditor_replays_history"
        ),
        *_grant("auditor", (Object.ATTACHMENT,), (_L,), SUBTREE, "auditor_replays_history"),
        *_grant(
            "auditor",
            (Object.ACCESS_LOG,),
            (_R, _L, Action.EXPORT),
            SUBTREE,
            "auditor_reads_access_log",
        ),
        *_grant("auditor", (Object.STATISTICS,), (_R,), SUBTREE, "subtree_statistics"),
        # An administrator manages the users of their subtree and reads no case content.
        *_grant(
            "administrator", (Object.USERS,), (_R, _L, _C), SUBTREE, "administrator_manages_users"
        ),
        # Reporters: no rule. They reach only the public progress query, outside this table.
    ]
)

_INDEX: dict[tuple[str, Object, Action], list[Rule]] = {}
for _rule in RULES:
    _INDEX.setdefault((_rule.role, _rule.object, _rule.action), []).append(_rule)

# The actions that act on a case as it is now, so only its current holder counts.
_CURRENT_HOLDER_ACTIONS = frozenset({Action.CHANGE, Action.APPROVE, Action.REVEAL})


@dataclass(frozen=True)
class Principal:
    """The user asking: their id, organ, office and roles (from the verified session)."""

    user_id: str
    organ_code: str
    office: str
    roles: frozenset[str]


@dataclass(frozen=True)
class Facts:
    """What the decision needs of the object.

    `object` is what is acted on; `organ` the organ it belongs to now (a case's current
    holder, an inbox's or a statistic's organ, a user's organ); `held_by` every organ that
    has held it.
    """

    object: Object
    organ: str
    held_by: tuple[str, ...] = ()
    proposed_by: str | None = None  # user id of whoever proposed what is being approved
    purpose: str | None = None  # the stated purpose of a reveal


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def organ_parent(code: str) -> str | None:
    """The parent of an organ by its code's shape (Znn/Enn units, then 9→6→4→2 digits)."""
    if len(code) > 3 and code[-3] in "ZE":
        return code[:-3]
    return {9: code[:6], 6: code[:4], 4: code[:2]}.get(len(code))


def relation(user_organ: str, object_organ: str) -> Relation:
    """Where `object_organ` stands from `user_organ`."""
    if user_organ == object_organ:
        return Relation.OWN
    if object_organ.startswith(user_organ):
        return Relation.CHILD
    if user_organ.startswith(object_organ):
        return Relation.PARENT
    parent = organ_parent(user_organ)
    if parent is not None and parent == organ_parent(object_organ):
        return Relation.SIBLING
    return Relation.UNRELATED


_CLOSENESS = (Relation.OWN, Relation.CHILD, Relation.PARENT, Relation.SIBLING, Relation.UNRELATED)


def _relations(user_organ: str, action: Action, facts: Facts) -> list[Relation]:
    organs = [facts.organ]
    if action not in _CURRENT_HOLDER_ACTIONS:
        organs += [organ for organ in facts.held_by if organ != facts.organ]
    return sorted({relation(user_organ, organ) for organ in organs}, key=_CLOSENESS.index)


def decide(actor: Principal, action: Action | str, facts: Facts) -> Decision:
    """Allowed or refused, and why (a stable reason code for the access log)."""
    action, obj = Action(action), Object(facts.object)
    relations = _relations(actor.organ_code, action, facts)
    granted = next(
        (
            rule
            for role in sorted(actor.roles)
            for rule in _INDEX.get((role, obj, action), ())
            if any(r in rule.relations for r in relations)
            and (not rule.offices or actor.office in rule.offices)
        ),
        None,
    )
    if granted is None:
        if "reporter" in actor.roles and len(actor.roles) == 1:
            return Decision(False, "reporter_reaches_progress_only")
        return Decision(False, f"no_rule_grants_{action.value}_{obj.value}")
    if action is Action.REVEAL and not (facts.purpose and facts.purpose.strip()):
        return Decision(False, "reveal_needs_purpose")
    if action is Action.APPROVE and facts.proposed_by == actor.user_id:
        return Decision(False, "approver_proposed_it")
    return Decision(True, granted.reason)


@dataclass(frozen=True)
class Cell:
    """One cell of the authorisation matrix: whether the table grants it."""

    role: str
    object: Object
    action: Action
    relation: Relation
    office: str
    allowed: bool = field(default=False)


OFFICES = ("petition", "supervision", "investigation", "case_management")


def allowed_cells() -> list[Cell]:
    """Every cell of roles × objects × actions × relations × offices with the table's answer,
    for matrix tests to drive through the APIs."""
    cells = []
    for role in ROLES:
        for obj in OBJECTS:
            for action in ACTIONS:
                rules = _INDEX.get((role, obj, action), ())
                for rel in RELATIONS:
                    for office in OFFICES:
                        allowed = any(
                            rel in rule.relations and (not rule.offices or office in rule.offices)
                            for rule in rules
                        )
                        cells.append(Cell(role, obj, action, rel, office, allowed))
    return cells
