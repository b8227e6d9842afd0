"""Key-field closed loop, the supervision case record and published calendar years."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from domain.errors import Conflict, Forbidden, InvalidInput
from domain.guards import CHINA_TZ
from domain.supervision.calendar_years import PUBLISHED_YEARS_ID, PublishedYears
from domain.supervision.casefile import SupervisedCase
from domain.supervision.keyfield import KeyFieldLoop, months_between, quarter_bulletin
from domain.supervision.keys import case_record_id, loop_id
from tests.actors import staff

AT = datetime(2026, 12, 10, 9, tzinfo=CHINA_TZ)
CASE = "6f0c2d2e-0000-4000-8000-000000000003"
HOLDER = staff("王承办", "620102001", "supervision")
ADMIN = staff("管理员", "62", "case_management", "administrator")


def loop(opened: date = date(2026, 9, 15), due: date = date(2026, 12, 11)) -> KeyFieldLoop:
    return KeyFieldLoop.open(CASE, "poverty_alleviation", "620102001", opened, due, at=AT,
                             actor="s")


def test_months_between() -> None:
    assert months_between(date(2026, 11, 30), date(2027, 2, 1)) == [
        "2026-11", "2026-12", "2027-01", "2027-02"]


def test_monthly_feedback_missing_months_and_closure() -> None:
    lp = loop()
    assert lp.id == loop_id(CASE, "poverty_alleviation")
    assert lp.months_missing(date(2026, 12, 10)) == ["2026-09", "2026-10", "2026-11"]
    lp.give_feedback(HOLDER, "2026-09", "已入户核查", at=AT)
    lp.give_feedback(HOLDER, "2026-10", "已追回资金", at=AT)
    assert lp.months_missing(date(2026, 12, 10)) == ["2026-11"]
    assert lp.is_overdue(date(2026, 12, 10))
    for month, error in (("2026-10", Conflict), ("2026-08", InvalidInput),
                         ("2027-01", InvalidInput), ("11/2026", InvalidInput)):
        with pytest.raises(error):
            lp.give_feedback(HOLDER, month, "x", at=AT)
    with pytest.raises(Forbidden):
        lp.give_feedback(staff("x", "620102002", "supervision"), "2026-11", "x", at=AT)
    lp.give_feedback(HOLDER, "2026-11", "已整改", at=AT)
    assert not lp.is_overdue(date(2026, 12, 10))
    assert lp.is_overdue(date(2026, 12, 12))  # past the closure deadline
    assert lp.close(date(2026, 12, 10), at=AT, actor="s") and not lp.close(
        date(2026, 12, 11), at=AT, actor="s")
    assert not lp.is_overdue(date(2027, 3, 1))
    with pytest.raises(Conflict):
        lp.give_feedback(HOLDER, "2026-12", "x", at=AT)
    assert lp.as_dict(date(2027, 1, 5))["closed_on"] == "2026-12-10"


def test_the_holder_moves_and_a_cancelled_loop_is_left_out() -> None:
    lp = loop()
    assert lp.move_to("620102", at=AT, actor="s") and not lp.move_to("620102", at=AT, actor="s")
    assert lp.cancel("转走", at=AT, actor="s") and not lp.cancel("again", at=AT, actor="s")
    assert not lp.move_to("6201", at=AT, actor="s")
    assert quarter_bulletin([lp], 2026, 4, "62") == []


def test_the_quarterly_bulletin_counts_open_closed_and_overdue() -> None:
    fresh = loop(date(2026, 12, 1), date(2027, 3, 1))
    late = loop(date(2026, 10, 1))
    done = KeyFieldLoop.open("other", "poverty_alleviation", "620102002", date(2026, 10, 8),
                             date(2026, 12, 30), at=AT, actor="s")
    done.close(date(2026, 11, 20), at=AT, actor="s")
    later = loop(date(2027, 1, 5))
    rows = quarter_bulletin([fresh, late, done, later], 2026, 4, "620102")
    assert rows == [
        {"organ": "620102001", "open": 2, "closed": 0, "overdue": 2},
        {"organ": "620102002", "open": 0, "closed": 1, "overdue": 0},
    ]
    assert quarter_bulletin([fresh], 2026, 3, "62") == []
    with pytest.raises(InvalidInput):
        quarter_bulletin([], 2026, 5, "62")


def test_the_case_record_notes_facts_once() -> None:
    r = SupervisedCase.open(CASE, "620102", at=AT, actor="s")
    assert r.id == case_record_id(CASE)
    assert r.note_registration(date(2026, 9, 1), True, ["finance"], at=AT, actor="s")
    assert not r.note_registration(date(2026, 9, 2), False, [], at=AT, actor="s")
    assert r.note_transfer("t1", "assign_down", "620102", "620102001", "supervision", at=AT,
                           actor="s")
    assert not r.note_transfer("t1", "assign_down", "620102", "620102001", None, at=AT,
                               actor="s")
    assert r.transfer("t1")["kind"] == "assign_down" and r.transfer("t2") is None
    assert r.note_holder("620102001", "supervision", "transfer", at=AT, actor="s")
    assert not r.note_holder("620102001", "supervision", "transfer", at=AT, actor="s")
    r.note_holder("620102", "supervision", "report_back", at=AT, actor="s")
    r.note_holder("620102001", "supervision", "send_back", at=AT, actor="s")
    assert r.reported_from == []
    assert r.first_conclusion is None
    r.note_conclusion("620102001", date(2026, 11, 5), at=AT, actor="s")
    r.note_conclusion("620102001", date(2026, 11, 25), at=AT, actor="s")
    assert r.first_conclusion == {"organ": "620102001", "on": "2026-11-05"}


def test_a_record_opened_by_the_registration_notes_it_in_the_one_event() -> None:
    r = SupervisedCase.open(CASE, "620102", at=AT, actor="s",
                            registration=(date(2026, 9, 1), True, ["finance"]))
    assert (r.received_on, r.real_name, r.key_fields) == (date(2026, 9, 1), True, ["finance"])
    assert not r.note_registration(date(2026, 9, 2), False, [], at=AT, actor="s")
    (opened,) = r.collect_events()
    assert opened.mutate(None).__dict__ == r.__dict__


def test_an_opened_event_stored_before_it_carried_the_registration_still_replays() -> None:
    (opened,) = SupervisedCase.open(CASE, "620102", at=AT, actor="s").collect_events()
    for field in ("received_on", "real_name", "key_fields"):
        del opened.__dict__[field]  # as stored before these fields existed
    old = opened.mutate(None)
    assert (old.received_on, old.real_name, old.key_fields) == (None, None, [])
    assert old.note_registration(date(2026, 9, 1), False, [], at=AT, actor="s")


def test_publishing_a_year_needs_an_administrator_and_happens_once() -> None:
    years = PublishedYears.start(at=AT, organ_code="62", actor="管理员")
    assert years.id == PUBLISHED_YEARS_ID
    data = {"holidays": ["2027-01-01"], "workdays": []}
    with pytest.raises(Forbidden):
        years.publish(2027, data, HOLDER, at=AT, known=False)
    with pytest.raises(InvalidInput):
        years.publish(2027, {"holidays": ["2028-01-01"]}, ADMIN, at=AT, known=False)
    with pytest.raises(Conflict):
        years.publish(2026, data | {"holidays": []}, ADMIN, at=AT, known=True)
    assert years.publish("2027", data, ADMIN, at=AT, known=False) == 2027
    with pytest.raises(Conflict):
        years.publish(2027, data, ADMIN, at=AT, known=False)
    assert years.overrides()[2027]["holidays"] == ["2027-01-01"]
