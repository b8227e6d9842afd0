"""Values of a petition: ID card numbers, reporter identity, reported persons, case ids."""

from __future__ import annotations

import pytest

from domain.errors import DomainError, InvalidInput
from domain.petition import (
    ReportedPerson,
    ReporterIdentity,
    check_id_card_number,
)

ID_NUMBER = "620102198001011239"


def codes(error: pytest.ExceptionInfo[DomainError]) -> str:
    return error.value.code


def test_id_card_numbers_follow_gb_11643() -> None:
    assert check_id_card_number(" 11010519491231002x ") == "11010519491231002X"
    assert check_id_card_number(ID_NUMBER) == ID_NUMBER
    bad = {
        "12345": "reporter_id_number_malformed",
        "010105194912310021": "reporter_id_number_malformed",
        "110105194913310021": "reporter_id_number_bad_birth_date",
        "110105194912310021": "reporter_id_number_bad_check_digit",
    }
    for number, code in bad.items():
        with pytest.raises(InvalidInput) as error:
            check_id_card_number(number)
        assert codes(error) == code
        assert number not in str(error.value) and number not in repr(error.value.as_dict())


def test_reporter_identity_validates_and_never_prints_itself() -> None:
    identity = ReporterIdentity.create(" 张三 ", ID_NUMBER, "139-0000-0000", " 兰州市城关区 ")
    assert identity.name == "张三" and identity.address == "兰州市城关区"
    assert "张三" not in repr(identity) and ID_NUMBER not in str(identity)
    assert ReporterIdentity.from_dict(identity.to_dict()) == identity
    refusals = [
        (("", ID_NUMBER, "13900000000"), "reporter_name_invalid"),
        (("张三", ID_NUMBER, "phone"), "reporter_phone_invalid"),
        (("张三", ID_NUMBER, "13900000000", "x" * 201), "reporter_address_too_long"),
        (("张三", "1", "13900000000"), "reporter_id_number_malformed"),
    ]
    for args, code in refusals:
        with pytest.raises(InvalidInput) as error:
            ReporterIdentity.create(*args)
        assert codes(error) == code
        assert "张三" not in str(error.value.as_dict())


def test_reported_persons_are_checked() -> None:
    person = ReportedPerson.create(" 王某 ", " 某局 ", " 局长 ", "county_managed")
    assert person == ReportedPerson("王某", "某局", "局长", "county_managed")
    assert ReportedPerson.from_dict({"name": "王某", "unit": None}) == ReportedPerson("王某")
    for args, code in [
        (("",), "reported_person_name_invalid"),
        (("王某", "x" * 201), "reported_person_text_too_long"),
        (("王某", "", "", "emperor"), "vocabulary_unknown_code"),
    ]:
        with pytest.raises(InvalidInput) as error:
            ReportedPerson.create(*args)
        assert codes(error) == code
