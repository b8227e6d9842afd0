"""The access policy over its whole table: every role × object × action × relation × office
cell, checked against the rules of the domain page rather than against the table itself."""

from __future__ import annotations

import pytest

from domain.access import (
    ACTIONS,
    OBJECTS,
    RELATIONS,
    ROLES,
    RULES,
    Action,
    Facts,
    Object,
    Principal,
    Relation,
    allowed_cells,
    decide,
    organ_parent,
    relation,
)
from domain.vocabulary import Office, Role

USER_ORGAN = "620102"
# One object organ per relation, seen from 城关区 (620102).
ORGAN_AT = {
    Relation.OWN: "620102",
    Relation.CHILD: "620102001",
    Relation.PARENT: "6201",
    Relation.SIBLING: "620103",
    Relation.UNRELATED: "330683",
}
CELLS = allowed_cells()
CASE_CONTENT = {
    Object.CASE,
    Object.REPORTER_IDENTITY,
    Object.ATTACHMENT,
    Object.TRANSFER,
    Object.INBOX,
}


def ask(cell, *, purpose="核实举报人身份以便反馈", proposed_by="someone-else"):
    actor = Principal("me", USER_ORGAN, cell.office, frozenset({cell.role}))
    facts = Facts(cell.object, ORGAN_AT[cell.relation], purpose=purpose, proposed_by=proposed_by)
    return decide(actor, cell.action, facts)


def test_the_table_covers_every_role_object_action_relation_and_office():
    assert set(ROLES) == {role.value for role in Role}
    assert len(CELLS) == len(ROLES) * len(OBJECTS) * len(ACTIONS) * len(RELATIONS) * len(Office)
    assert {rule.role for rule in RULES} <= set(ROLES)


@pytest.mark.parametrize("relation_", list(Relation))
def test_relations_from_the_users_organ(relation_):
    assert relation(USER_ORGAN, ORGAN_AT[relation_]) is relation_


def test_a_stationed_unit_is_in_its_commissions_subtree():
    assert relation("620102", "620102Z01") is Relation.CHILD
    assert relation("620102Z01", "620102") is Relation.PARENT
    assert relation("620102Z01", "620102001") is Relation.SIBLING
    assert relation("62", "62E01") is Relation.CHILD
    assert organ_parent("62Z01") == "62" and organ_parent("62") is None


def test_decide_answers_every_cell_as_the_exported_table_says():
    for cell in CELLS:
        decision = ask(cell)
        assert decision.allowed is cell.allowed, cell
        assert decision.reason


def test_nothing_outside_the_subtree_is_ever_allowed():
    outside = {Relation.PARENT, Relation.SIBLING, Relation.UNRELATED}
    assert not [c for c in CELLS if c.relation in outside and c.allowed]


def test_change_approve_and_reveal_are_for_the_own_organ_only():
    acting = {Action.CHANGE, Action.APPROVE, Action.REVEAL}
    wider = [
        c
        for c in CELLS
        if c.action in acting
        and c.allowed
        and c.relation is not Relation.OWN
        and c.object is not Object.USERS
    ]
    assert wider == []


def test_only_the_petition_office_reveals_a_reporter_and_only_with_a_purpose():
    reveals = [c for c in CELLS if c.object is Object.REPORTER_IDENTITY and c.allowed]
    assert reveals and {(c.action, c.relation, c.office) for c in reveals} == {
        (Action.REVEAL, Relation.OWN, "petition")
    }
    cell = reveals[0]
    assert ask(cell, purpose=None).reason == "reveal_needs_purpose"
    assert not ask(cell, purpose="  ").allowed
    # Someone who held the case before, or holds a child, may not reveal.
    clerk = Principal("me", USER_ORGAN, "petition", frozenset({"petition_clerk"}))
    facts = Facts(Object.REPORTER_IDENTITY, "620102001", held_by=("620102",), purpose="p")
    assert not decide(clerk, Action.REVEAL, facts).allowed


def test_a_leader_approves_for_their_own_organ_and_never_their_own_proposal():
    approvals = [c for c in CELLS if c.action is Action.APPROVE and c.allowed]
    assert {c.role for c in approvals} == {"leader"}
    assert {c.relation for c in approvals} == {Relation.OWN}
    assert not ask(approvals[0], proposed_by="me").allowed
    assert ask(approvals[0], proposed_by="me").reason == "approver_proposed_it"
    assert all(
        not c.allowed for c in CELLS if c.role == "petition_clerk" and c.action is Action.APPROVE
    )


def test_an_auditor_reads_and_changes_nothing():
    auditor = [c for c in CELLS if c.role == "auditor" and c.allowed]
    assert {c.action for c in auditor} <= {Action.READ, Action.LIST, Action.EXPORT}
    assert {(c.object, c.action) for c in auditor} >= {
        (Object.CASE, Action.READ),
        (Object.TRANSFER, Action.LIST),
        (Object.ACCESS_LOG, Action.LIST),
    }
    assert not [c for c in auditor if c.object in {Object.REPORTER_IDENTITY, Object.USERS}]


def test_only_auditors_read_the_access_log():
    assert {c.role for c in CELLS if c.object is Object.ACCESS_LOG and c.allowed} == {"auditor"}


def test_an_administrator_manages_users_and_reads_no_case_content():
    admin = [c for c in CELLS if c.role == "administrator" and c.allowed]
    assert {c.object for c in admin} == {Object.USERS}
    assert {c.relation for c in admin} == {Relation.OWN, Relation.CHILD}
    assert {c.role for c in CELLS if c.object is Object.USERS and c.allowed} == {"administrator"}
    assert not [c for c in admin if c.object in CASE_CONTENT]


def test_a_reporter_reaches_nothing_in_the_table():
    reporter = [c for c in CELLS if c.role == "reporter"]
    assert reporter and not [c for c in reporter if c.allowed]
    assert ask(reporter[0]).reason == "reporter_reaches_progress_only"


def test_a_case_held_before_by_the_subtree_stays_readable_but_not_changeable():
    handler = Principal("me", USER_ORGAN, "supervision", frozenset({"handler"}))
    moved_up = Facts(Object.CASE, "6201", held_by=("620102001", "620102", "6201"))
    assert decide(handler, Action.READ, moved_up).allowed
    assert not decide(handler, Action.CHANGE, moved_up).allowed
    never = Facts(Object.CASE, "6201", held_by=("6201", "620103"))
    assert not decide(handler, "read", never).allowed
    assert decide(handler, "read", never).reason == "no_rule_grants_read_case"


def test_any_of_several_roles_may_grant():
    both = Principal("me", USER_ORGAN, "petition", frozenset({"auditor", "petition_clerk"}))
    assert decide(both, Action.CHANGE, Facts(Object.CASE, USER_ORGAN)).allowed
    assert decide(both, Action.LIST, Facts(Object.ACCESS_LOG, USER_ORGAN)).allowed


def test_unknown_actions_and_objects_are_refused_loudly():
    clerk = Principal("me", USER_ORGAN, "petition", frozenset({"petition_clerk"}))
    with pytest.raises(ValueError):
        decide(clerk, "delete", Facts(Object.CASE, USER_ORGAN))
    with pytest.raises(ValueError):
        decide(clerk, "read", Facts("minutes", USER_ORGAN))  # type: ignore[arg-type]
