"""The Petition aggregate 信访件: registration, screening, corrections, progress."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain.errors import Conflict, DomainError, Forbidden, InvalidInput
from domain.petition import (
    MAX_ATTACHMENTS,
    Attachment,
    Petition,
    ReportDescription,
    ReportedPerson,
    Stage,
    registration_number,
)
from tests.actors import staff

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
SEALED = "v1.c2VhbGVkLWlkZW50aXR5"  # stands in for AES-GCM ciphertext
ID_NUMBER = "620102198001011239"
SHA = "a" * 64


def register(**overrides: Any) -> Petition:
    given: dict[str, Any] = {
        "organ_code": "6201",
        "actor": "clerk-li",
        "channel": "letter",
        "registration_number": registration_number("6201", 2024, 1),
        "received_at": T0 - timedelta(days=3),
        "registered_at": T0,
        "summary": "反映某村支书挪用扶贫资金",
    }
    given.update(overrides)
    described = {k: given.pop(k) for k in list(given) if k in _DESCRIBED}
    description = ReportDescription.create(registered_at=given["registered_at"], **described)
    return Petition.register(description=description, **given)


_DESCRIBED = {f.name for f in fields(ReportDescription)}


def codes(error: pytest.ExceptionInfo[DomainError]) -> str:
    return error.value.code


def replay(petition: Petition) -> Petition:
    """The aggregate rebuilt from its own events, as the repository would."""
    events = petition.collect_events()
    copy: Petition | None = None
    for e in events:
        copy = e.mutate(copy)  # type: ignore[arg-type]
    assert isinstance(copy, Petition)
    return copy


# --- stories ---------------------------------------------------------------------------


def test_a_real_name_letter_is_registered_accepted_notified_handled_and_concluded() -> None:
    petition = register(
        sealed_reporter=SEALED,
        full_text="全文……",
        reported_persons=[ReportedPerson.create("王某", "某村委会", "支书", "village_cadre")],
        categories=["duty_violation", "eight_point_rules", "integrity_discipline"],
        key_fields=["poverty_alleviation"],
        keywords=["扶贫", "挪用", "扶贫", " "],
        conduct_period="after_cutoff",
        conduct_date=date(2023, 5, 1),
        attachments=[Attachment.create(SHA, 20 * 2**20, "application/pdf", "letter_scan")],
        receipt_code_hash="h" * 64,
    )
    assert petition.real_name and petition.sealed_reporter == SEALED
    assert petition.registration_number == "6201-2024-000001"
    assert petition.received_at < petition.registered_at
    # Recorded in the order of priority; the primary first.
    assert petition.categories == ["eight_point_rules", "integrity_discipline", "duty_violation"]
    assert petition.primary_category == "eight_point_rules"
    assert petition.keywords == ["扶贫", "挪用"]
    assert petition.conduct_date == "2023-05-01"
    assert petition.stage == Stage.RECEIVED

    petition.verify_real_name("by_phone", actor="clerk-li", at=T0 + timedelta(hours=1))
    petition.accept("accusation", actor="clerk-li", at=T0 + timedelta(days=1))
    assert (petition.stage, petition.report_type) == (Stage.ACCEPTED, "accusation")
    assert petition.screened_by == "clerk-li"
    petition.notify_acceptance(
        "sms", T0 + timedelta(days=2), actor="clerk-li", at=T0 + timedelta(days=2)
    )
    assert petition.notified is not None and petition.notified["method"] == "sms"
    assert petition.note_handling_started(actor="routing", at=T0 + timedelta(days=3))
    assert not petition.note_handling_started(actor="routing", at=T0 + timedelta(days=4))
    petition.publish_result("经查,反映问题部分属实", "Partly substantiated", actor="h", at=T0)
    assert petition.stage == Stage.CONCLUDED
    assert not petition.note_handling_started(actor="routing", at=T0 + timedelta(days=9))
    petition.publish_result("重办后:属实", "Redone: true", actor="h", at=T0)  # after 退回重办
    assert petition.public_result_en == "Redone: true"

    copy = replay(petition)
    assert copy.stage == Stage.CONCLUDED and copy.real_name_check == "by_phone"
    assert copy.categories == petition.categories and copy.version == petition.version


def test_events_carry_organ_actor_and_plain_values_only() -> None:
    petition = register(sealed_reporter=SEALED)
    petition.accept("appeal", actor="clerk-zhao", at=T0)
    events = petition.collect_events()
    assert [type(e).__qualname__ for e in events] == ["Petition.Registered", "Petition.Accepted"]
    for e in events:
        assert e.organ_code == "6201"  # type: ignore[attr-defined]
        assert e.actor in ("clerk-li", "clerk-zhao")  # type: ignore[attr-defined]
        for name, value in vars(e).items():
            if isinstance(value, str) and value == SEALED:
                assert name.startswith("sealed_")
    registered = events[0]
    assert registered.real_name is True  # type: ignore[attr-defined]
    assert registered.channel == "letter"  # type: ignore[attr-defined]


def test_accepted_carries_the_reported_persons_as_corrected_never_the_reporter() -> None:
    petition = register(
        sealed_reporter=SEALED,
        reported_persons=[ReportedPerson.create("王某", "某县财政局", "局长")],
    )
    petition.correct(
        "补录干部管理权限",
        {
            "reported_persons": [
                ReportedPerson.create("王某", "某县财政局", "局长", "county_managed"),
                ReportedPerson.create("李某"),
            ]
        },
        actor="clerk-li",
        at=T0,
    )
    petition.accept("accusation", actor="clerk-zhao", at=T0)
    events = petition.collect_events()
    accepted = events[-1]
    assert type(accepted).__qualname__ == "Petition.Accepted"
    assert accepted.reported_persons == [  # type: ignore[attr-defined]
        {"name": "王某", "unit": "某县财政局", "position": "局长", "cadre_level": "county_managed"},
        {"name": "李某", "unit": "", "position": "", "cadre_level": None},
    ]
    assert SEALED not in str(vars(accepted)) and ID_NUMBER not in str(vars(accepted))
    assert not any(name.startswith("sealed_") for name in vars(accepted))

    # An Accepted event stored before it carried the persons still replays.
    object.__delattr__(accepted, "reported_persons")
    copy: Petition | None = None
    for e in events:
        copy = e.mutate(copy)  # type: ignore[arg-type]
    assert isinstance(copy, Petition) and copy.stage == Stage.ACCEPTED
    assert copy.reported_persons == petition.reported_persons


def test_an_anonymous_web_report_is_diverted_with_where_to_go() -> None:
    petition = register(channel="web", received_at=T0, receipt_code_hash="c" * 64)
    assert not petition.real_name and petition.sealed_reporter is None
    petition.divert("区住建局", "房屋漏水属于物业纠纷,请向住建部门反映", actor="clerk", at=T0)
    assert petition.stage == Stage.DIVERTED
    assert petition.diverted_to == "区住建局"
    with pytest.raises(Conflict) as error:
        petition.accept("accusation", actor="clerk", at=T0)
    assert codes(error) == "petition_already_screened"
    with pytest.raises(Conflict) as error:
        petition.note_handling_started(actor="routing", at=T0)
    assert codes(error) == "petition_not_accepted"
    with pytest.raises(Conflict) as error:
        petition.verify_real_name("in_person", actor="clerk", at=T0)
    assert codes(error) == "petition_anonymous"


CLERK = staff("clerk-li", "6201", "petition", "petition_clerk")
LEADER = staff("leader-zhang", "6201", "supervision", "leader")


def test_not_accepting_is_proposed_by_a_clerk_and_approved_by_a_leader_of_the_organ() -> None:
    petition = register(channel="phone")
    petition.propose_not_accept("仅列举违纪行为名称,无实质内容", actor=CLERK, at=T0)
    assert petition.stage == Stage.RECEIVED  # not decided yet
    assert petition.not_accept_proposal is not None
    for screen in (
        lambda: petition.accept("accusation", actor="clerk-li", at=T0),
        lambda: petition.divert("法院", "诉讼", actor="clerk-li", at=T0),
        lambda: petition.link_as_repeat(register(), "同一问题", actor="clerk-li", at=T0),
        lambda: petition.propose_not_accept("again", actor=CLERK, at=T0),
    ):
        with pytest.raises(Conflict) as pending:
            screen()
        assert codes(pending) == "not_accept_pending"
    refusals = [
        (staff("leader-wang", "620102", "petition", "leader"), "leader_of_organ_required"),
        (staff("clerk-zhao", "6201", "petition", "petition_clerk"), "leader_of_organ_required"),
        (staff("clerk-li", "6201", "petition", "leader"), "proposer_cannot_decide"),
    ]
    for actor, code in refusals:
        with pytest.raises(Forbidden) as forbidden:
            petition.approve_not_accept(actor=actor, at=T0)
        assert codes(forbidden) == code
    petition.approve_not_accept(actor=LEADER, at=T0 + timedelta(hours=2))
    assert petition.stage == Stage.NOT_ACCEPTED
    assert (petition.proposed_by, petition.approved_by) == ("clerk-li", "leader-zhang")
    assert petition.screened_at == T0 + timedelta(hours=2)
    decided = petition.collect_events()[-1]
    assert type(decided).__qualname__ == "Petition.NotAccepted"
    assert vars(decided)["proposed_by"] == "clerk-li"
    assert vars(decided)["approved_by"] == "leader-zhang"
    assert vars(decided)["decided_at"] == T0 + timedelta(hours=2)
    with pytest.raises(Conflict) as conflict:
        petition.publish_result("结果", "Result", actor="h", at=T0)
    assert codes(conflict) == "petition_not_in_handling"
    with pytest.raises(Conflict) as conflict:
        petition.approve_not_accept(actor=LEADER, at=T0)
    assert codes(conflict) == "not_accept_not_proposed"


def test_a_rejected_proposal_leaves_the_petition_to_be_screened_normally() -> None:
    petition = register()
    with pytest.raises(Conflict) as nothing:
        petition.reject_not_accept("有具体事实", actor=LEADER, at=T0)
    assert codes(nothing) == "not_accept_not_proposed"
    for actor in (
        staff("clerk-li", "620102", "petition", "petition_clerk"),
        staff("handler-wu", "6201", "supervision", "handler"),
        staff("clerk-li", "6201", "petition", "handler"),
    ):
        with pytest.raises(Forbidden) as forbidden:
            petition.propose_not_accept("无实质内容", actor=actor, at=T0)
        assert codes(forbidden) == "petition_clerk_required"
    with pytest.raises(InvalidInput) as blank:
        petition.propose_not_accept(" ", actor=CLERK, at=T0)
    assert codes(blank) == "reason_invalid"
    petition.propose_not_accept("无实质内容", actor=CLERK, at=T0)
    with pytest.raises(Forbidden) as own:
        petition.reject_not_accept(
            "r", actor=staff("clerk-li", "6201", "petition", "leader"), at=T0
        )
    assert codes(own) == "proposer_cannot_decide"
    petition.reject_not_accept("举报有具体时间地点", actor=LEADER, at=T0)
    assert petition.not_accept_proposal is None and petition.stage == Stage.RECEIVED
    petition.accept("accusation", actor="clerk-li", at=T0)
    events = petition.collect_events()
    assert [type(e).__qualname__ for e in events][1:] == [
        "Petition.NotAcceptProposed",
        "Petition.NotAcceptRejected",
        "Petition.Accepted",
    ]
    copy: Petition | None = None
    for e in events:
        copy = e.mutate(copy)  # type: ignore[arg-type]
    assert isinstance(copy, Petition)
    assert copy.stage == Stage.ACCEPTED and copy.not_accept_proposal is None


def test_a_not_accepted_event_stored_before_the_leaders_step_still_replays() -> None:
    petition = register(channel="phone")
    petition.propose_not_accept("仅列举违纪行为名称", actor=CLERK, at=T0)
    petition.approve_not_accept(actor=LEADER, at=T0)
    registered, _, decided = petition.collect_events()
    # The old free-text path stored no proposal: the clerk as actor, the approver's name.
    object.__delattr__(decided, "proposed_by")
    object.__setattr__(decided, "actor", "clerk-li")
    object.__setattr__(decided, "originator_version", 2)
    copy = decided.mutate(registered.mutate(None))  # type: ignore[arg-type]
    assert isinstance(copy, Petition)
    assert copy.stage == Stage.NOT_ACCEPTED and copy.approved_by == "leader-zhang"
    assert copy.proposed_by == "clerk-li" and copy.screened_by == "clerk-li"


def test_a_group_visit_counts_its_persons() -> None:
    petition = register(channel="visit", visitors=12, received_at=T0)
    assert petition.visitors == 12
    with pytest.raises(InvalidInput) as error:
        register(channel="letter", visitors=2)
    assert codes(error) == "visitors_only_for_visits"
    with pytest.raises(InvalidInput) as error:
        register(channel="visit", visitors=0)
    assert codes(error) == "visitors_out_of_range"


def test_a_hand_over_names_the_body_and_its_reference() -> None:
    petition = register(
        channel="upper_handover", handed_over_from="62", handover_reference="甘纪信转〔2024〕3号"
    )
    assert petition.handed_over_from == "62"
    register(channel="body_handover", handed_over_from="区检察院")
    with pytest.raises(InvalidInput) as error:
        register(channel="letter", handed_over_from="62")
    assert codes(error) == "handover_fields_without_handover"
    with pytest.raises(InvalidInput) as error:
        register(channel="body_handover", handover_reference=" ")
    assert codes(error) == "handover_reference_invalid"


def test_a_repeat_is_linked_to_the_first_case_and_chains_collapse() -> None:
    first = register()
    first.accept("accusation", actor="clerk", at=T0)
    second = register()
    assert second.link_as_repeat(first, "同一人同一问题", actor="clerk", at=T0) == str(first.id)
    assert (second.stage, second.first_case_id) == (Stage.REPEAT, str(first.id))
    third = register()
    assert third.link_as_repeat(second, "again", actor="clerk", at=T0) == str(first.id)

    with pytest.raises(Conflict) as error:
        register().link_as_repeat(register(), "r", actor="clerk", at=T0)
    assert codes(error) == "repeat_first_not_accepted"
    lone = register()
    with pytest.raises(Conflict) as error:
        lone.link_as_repeat(lone, "self", actor="clerk", at=T0)
    assert codes(error) == "repeat_of_itself"


def test_corrections_carry_reason_and_changed_fields_and_never_edit() -> None:
    petition = register(channel="visit", sealed_reporter=SEALED, categories=["other"])
    petition.accept("accusation", actor="clerk", at=T0)
    changed = petition.correct(
        "登记时漏填被反映人",
        {
            "reported_persons": [ReportedPerson.create("李某", "乡政府", "副乡长")],
            "categories": ["other", "work_discipline"],
            "summary": "反映某村支书挪用扶贫资金",  # unchanged: not listed
            "received_at": T0 - timedelta(days=5),
            "visitors": 3,
            "report_type": "appeal",
            "conduct_date": date(2017, 1, 1),
        },
        actor="clerk-wang",
        at=T0 + timedelta(days=1),
        sealed_reporter="v1.bmV3",
    )
    assert changed == [
        "categories",
        "conduct_date",
        "received_at",
        "report_type",
        "reported_persons",
        "visitors",
        "reporter",
    ]
    assert petition.categories == ["work_discipline", "other"]
    assert petition.reported_persons[0]["name"] == "李某"
    assert petition.sealed_reporter == "v1.bmV3" and petition.corrections == 1
    corrected = petition.collect_events()[-1]
    assert type(corrected).__qualname__ == "Petition.Corrected"
    assert corrected.sealed_reporter == "v1.bmV3"  # type: ignore[attr-defined]
    assert "sealed_reporter" not in corrected.changes  # type: ignore[attr-defined]
    assert petition.conduct_date == "2017-01-01"

    # The same identity again is not a change.
    with pytest.raises(InvalidInput) as error:
        petition.correct("again", {}, actor="c", at=T0, sealed_reporter="v1.bmV3")
    assert codes(error) == "correction_changes_nothing"


def test_corrections_are_refused_when_incoherent() -> None:
    petition = register()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"registration_number": "x"}, "correction_field_unknown"),
        ({"received_at": T0 + timedelta(days=1)}, "received_after_registered"),
        ({"received_at": "2024-01-01"}, "received_after_registered"),
        # The same code as registration gives (it used to say visitors_out_of_range).
        ({"visitors": 2}, "visitors_only_for_visits"),
        ({"visitors": "2"}, "visitors_out_of_range"),
        ({"summary": ""}, "summary_invalid"),
        ({"categories": ["nonsense"]}, "vocabulary_unknown_code"),
    ]
    for changes, code in cases:
        with pytest.raises(InvalidInput) as error:
            petition.correct("fix", changes, actor="c", at=T0)
        assert codes(error) == code, changes
    with pytest.raises(Conflict) as conflict:
        petition.correct("fix", {"report_type": "appeal"}, actor="c", at=T0)
    assert codes(conflict) == "report_type_before_acceptance"
    with pytest.raises(Conflict) as conflict:
        petition.correct("fix", {}, actor="c", at=T0, sealed_reporter=SEALED)
    assert codes(conflict) == "petition_anonymous"
    with pytest.raises(InvalidInput) as error:
        petition.correct(" ", {"summary": "new"}, actor="c", at=T0)
    assert codes(error) == "reason_invalid"
    assert petition.correct("fix", {"summary": "新摘要"}, actor="c", at=T0) == ["summary"]


def test_attachments_are_added_once_per_content() -> None:
    petition = register()
    attachment = Attachment.create(SHA, 10, "image/jpeg", "photo")
    assert petition.add_attachment(attachment, actor="clerk", at=T0)
    assert not petition.add_attachment(attachment, actor="clerk", at=T0)
    assert petition.attachment_hashes == [SHA]
    for n in range(1, MAX_ATTACHMENTS):
        petition.add_attachment(
            Attachment.create(f"{n:064x}", 1, "image/png", "photo"), actor="c", at=T0
        )
    with pytest.raises(Conflict) as error:
        petition.add_attachment(
            Attachment.create("f" * 64, 1, "image/png", "photo"), actor="c", at=T0
        )
    assert codes(error) == "attachments_too_many"
    many = [Attachment.create(f"{n:064x}", 1, "image/png", "photo") for n in range(101)]
    with pytest.raises(InvalidInput) as error2:
        register(attachments=many)
    assert codes(error2) == "attachments_too_many"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("xyz", 1, "image/png", "photo"), "attachment_metadata_invalid"),
        ((SHA, 0, "image/png", "photo"), "attachment_metadata_invalid"),
        ((SHA, 1, "not a type", "photo"), "attachment_metadata_invalid"),
        ((SHA, 1, "image/png", "video"), "attachment_kind_unknown"),
    ],
)
def test_attachment_metadata_is_checked(args: tuple[Any, ...], code: str) -> None:
    with pytest.raises(InvalidInput) as error:
        Attachment.create(*args)
    assert codes(error) == code


def test_real_name_verification_and_notification_rules() -> None:
    petition = register(sealed_reporter=SEALED)
    with pytest.raises(Conflict) as error:
        petition.notify_acceptance("sms", T0, actor="c", at=T0)
    assert codes(error) == "petition_not_screened"
    petition.verify_real_name("in_person", actor="c", at=T0)
    with pytest.raises(Conflict) as error:
        petition.verify_real_name("by_phone", actor="c", at=T0)
    assert codes(error) == "real_name_already_verified"
    petition.divert("法院", "诉讼事项请向法院反映", actor="c", at=T0)
    with pytest.raises(InvalidInput) as error2:
        petition.notify_acceptance("letter", T0 + timedelta(days=1), actor="c", at=T0)
    assert codes(error2) == "notified_at_out_of_range"
    with pytest.raises(InvalidInput) as error2:
        petition.notify_acceptance("letter", T0 - timedelta(days=30), actor="c", at=T0)
    assert codes(error2) == "notified_at_out_of_range"
    with pytest.raises(InvalidInput) as error2:
        petition.notify_acceptance("pigeon", T0, actor="c", at=T0)
    assert codes(error2) == "vocabulary_unknown_code"
    petition.notify_acceptance("letter", T0, actor="c", at=T0)
    assert petition.notified is not None and petition.notified["outcome"] == Stage.DIVERTED
    with pytest.raises(Conflict) as error:
        petition.notify_acceptance("letter", T0, actor="c", at=T0)
    assert codes(error) == "acceptance_already_notified"
    anonymous = register()
    anonymous.accept("accusation", actor="c", at=T0)
    with pytest.raises(Conflict) as error:
        anonymous.notify_acceptance("sms", T0, actor="c", at=T0)
    assert codes(error) == "petition_anonymous"


def test_every_read_of_the_identity_is_recorded() -> None:
    petition = register(sealed_reporter=SEALED)
    assert petition.record_reveal("核实举报内容", actor="clerk", at=T0) == SEALED
    assert petition.reveals == 1
    assert type(petition.collect_events()[-1]).__qualname__ == "Petition.ReporterRevealed"
    with pytest.raises(Conflict):
        register().record_reveal("curious", actor="clerk", at=T0)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"channel": "fax"}, "vocabulary_unknown_code"),
        ({"actor": ""}, "actor_invalid"),
        ({"received_at": T0 + timedelta(seconds=1)}, "received_after_registered"),
        ({"received_at": datetime(2024, 1, 1)}, "datetime_without_timezone"),
        ({"summary": "  "}, "summary_invalid"),
        ({"summary": "x" * 501}, "summary_invalid"),
        ({"full_text": "x" * 100_001}, "full_text_too_long"),
        ({"reported_persons": [ReportedPerson("a")] * 51}, "reported_persons_too_many"),
        ({"categories": ["other", "other"]}, "categories_duplicate"),
        ({"key_fields": ["finance", "finance"]}, "key_fields_invalid"),
        ({"key_fields": [""]}, "key_fields_invalid"),
        ({"keywords": ["k"] * 21}, "keywords_invalid"),
        ({"keywords": ["k" * 31]}, "keywords_invalid"),
        ({"conduct_period": "someday"}, "vocabulary_unknown_code"),
    ],
)
def test_registration_refusals_have_stable_codes(overrides: dict[str, Any], code: str) -> None:
    with pytest.raises(InvalidInput) as error:
        register(**overrides)
    assert codes(error) == code
    assert error.value.message_zh and error.value.message_en


def test_publish_result_needs_both_languages() -> None:
    petition = register()
    petition.accept("accusation", actor="c", at=T0)
    with pytest.raises(InvalidInput) as error:
        petition.publish_result("结果", "", actor="h", at=T0)
    assert codes(error) == "public_result_en_invalid"
    with pytest.raises(InvalidInput) as error:
        register().divert("", "x", actor="c", at=T0)
    assert codes(error) == "department_invalid"


def test_the_caller_may_choose_the_case_id() -> None:
    case_id = uuid4()
    assert register(case_id=case_id).id == case_id
    assert register().id != case_id


def test_a_send_back_withdraws_the_published_result_until_it_is_concluded_again() -> None:
    petition = register()
    with pytest.raises(Conflict) as unscreened:
        petition.resume_handling("退回重办", actor="routing", at=T0)
    assert codes(unscreened) == "petition_not_in_handling"
    petition.accept("accusation", actor="clerk", at=T0)
    assert not petition.resume_handling("退回重办", actor="routing", at=T0)
    petition.publish_result("已办结", "Concluded", actor="routing", at=T0)
    assert petition.resume_handling("事实不清", actor="routing", at=T0 + timedelta(days=1))
    assert (petition.stage, petition.public_result_zh) == (Stage.IN_HANDLING, None)
    resumed = petition.collect_events()[-1]
    assert type(resumed).__qualname__ == "Petition.HandlingResumed"
    assert vars(resumed)["resumed_at"] == T0 + timedelta(days=1)
    assert not petition.resume_handling("again", actor="routing", at=T0)


def test_correcting_the_report_type_to_the_same_type_changes_nothing() -> None:
    petition = register()
    petition.accept("accusation", actor="clerk", at=T0)
    with pytest.raises(InvalidInput) as same:
        petition.correct("r", {"report_type": "accusation"}, actor="clerk", at=T0)
    assert codes(same) == "correction_changes_nothing"
