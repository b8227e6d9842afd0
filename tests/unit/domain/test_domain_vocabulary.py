"""Vocabulary: codes are fixed, labels exist in both languages, the catalogue is data."""

from __future__ import annotations

import pytest

from domain import vocabulary as v
from domain.errors import InvalidInput, NotFound

EXPECTED_CODES = {
    v.Channel: ["letter", "visit", "web", "phone", "body_handover", "upper_handover"],
    v.Scope: ["in_scope", "out_of_scope"],
    v.ReportType: ["accusation", "criticism_suggestion", "appeal", "other"],
    v.ProblemCategory: [
        "eight_point_rules",
        "political_discipline",
        "organisational_discipline",
        "integrity_discipline",
        "mass_discipline",
        "work_discipline",
        "life_discipline",
        "duty_violation",
        "duty_crime",
        "other",
    ],
    v.KeyField: [
        "poverty_alleviation",
        "subsidy_card",
        "finance",
        "education",
        "medical_care",
        "organised_crime",
        "formalism_bureaucratism",
        "village_assets",
    ],
    v.CadreLevel: [
        "province_managed",
        "city_managed",
        "county_managed",
        "township_managed",
        "village_cadre",
        "party_member",
        "supervision_object",
    ],
    v.Disposal: ["inquiry", "preliminary_verification", "hold", "close"],
    v.Outcome: [
        "case_filed",
        "party_sanction",
        "administrative_sanction",
        "admonishing_talk",
        "criticism_education",
        "judicial_transfer",
        "not_substantiated",
        "name_cleared",
        "false_accusation",
    ],
    v.Substantiation: ["true", "partly_true", "untrue"],
    v.Satisfaction: ["satisfied", "basically_satisfied", "dissatisfied"],
    v.NotificationMethod: ["sms", "phone", "letter", "in_person"],
    v.RealNameCheck: ["by_phone", "in_person"],
    v.TransferKind: [
        "internal_transfer",
        "return_to_petition",
        "forward_down",
        "assign_down",
        "supervise_down",
        "report_up",
        "to_stationed_unit",
        "from_stationed_unit",
        "hand_over_outward",
    ],
    v.Level: ["province", "city", "county", "township"],
    v.OrganKind: ["commission", "stationed_unit", "enterprise_commission"],
    v.Office: ["petition", "supervision", "investigation", "case_management"],
}

ALL_ENUMS = [
    obj
    for obj in vars(v).values()
    if isinstance(obj, type) and issubclass(obj, v.LabelledEnum) and obj is not v.LabelledEnum
]


@pytest.mark.parametrize("enum_cls", list(EXPECTED_CODES), ids=lambda c: c.__name__)
def test_codes_are_exactly_the_agreed_ones(enum_cls: type[v.LabelledEnum]) -> None:
    assert [m.value for m in enum_cls] == EXPECTED_CODES[enum_cls]


@pytest.mark.parametrize("enum_cls", ALL_ENUMS, ids=lambda c: c.__name__)
def test_every_member_has_both_labels_and_a_snake_case_code(
    enum_cls: type[v.LabelledEnum],
) -> None:
    zh_labels = set()
    for member in enum_cls:
        assert member.label_zh and member.label_en
        assert any("\u4e00" <= c <= "\u9fff" for c in member.label_zh)
        assert member.code == member.value == str(member)
        assert member.code.replace("_", "").isalnum() and member.code.islower()
        zh_labels.add(member.label_zh)
    assert len(zh_labels) == len(enum_cls)


def test_choices_gives_code_zh_en_in_order() -> None:
    assert v.choices(v.Satisfaction) == [
        {"code": "satisfied", "zh": "满意", "en": "Satisfied"},
        {"code": "basically_satisfied", "zh": "基本满意", "en": "Basically satisfied"},
        {"code": "dissatisfied", "zh": "不满意", "en": "Dissatisfied"},
    ]


def test_members_are_plain_strings() -> None:
    assert v.Channel.WEB == "web"
    assert v.Channel("web") is v.Channel.WEB
    assert f"{v.Disposal.HOLD}" == "hold"


def test_parse_refuses_unknown_codes() -> None:
    assert v.parse(v.Channel, "phone") is v.Channel.PHONE
    with pytest.raises(InvalidInput) as err:
        v.parse(v.Channel, "fax")
    assert err.value.code == "vocabulary_unknown_code"
    assert "letter" in err.value.details["allowed"]


def test_level_ranks() -> None:
    assert [level.rank for level in v.Level] == [1, 2, 3, 4]
    assert v.Level.from_rank(3) is v.Level.COUNTY
    with pytest.raises(InvalidInput):
        v.Level.from_rank(5)


def test_problem_category_priority_and_disciplines() -> None:
    cats = list(v.ProblemCategory)
    assert [c.priority for c in cats] == list(range(len(cats)))
    assert sum(c.is_discipline for c in cats) == 6
    assert not v.ProblemCategory.EIGHT_POINT_RULES.is_discipline
    assert (
        v.ProblemCategory.primary([v.ProblemCategory.DUTY_CRIME, v.ProblemCategory.LIFE_DISCIPLINE])
        is v.ProblemCategory.LIFE_DISCIPLINE
    )
    assert v.ProblemCategory.primary([]) is v.ProblemCategory.OTHER


def test_cadre_level_managing_level() -> None:
    assert v.CadreLevel.CITY_MANAGED.managing_level is v.Level.CITY
    assert v.CadreLevel.VILLAGE_CADRE.managing_level is v.Level.TOWNSHIP
    assert v.CadreLevel.SUPERVISION_OBJECT.managing_level is None


def test_transfer_kind_properties() -> None:
    down = {k for k in v.TransferKind if k.goes_down}
    assert down == {
        v.TransferKind.FORWARD_DOWN,
        v.TransferKind.ASSIGN_DOWN,
        v.TransferKind.SUPERVISE_DOWN,
    }
    assert v.TransferKind.ASSIGN_DOWN.needs_report_back
    assert not v.TransferKind.FORWARD_DOWN.needs_report_back


def test_key_field_catalogue_default_is_the_enum() -> None:
    catalogue = v.KeyFieldCatalogue.default()
    assert catalogue.codes() == [f.value for f in v.KeyField]
    assert len(catalogue) == 8
    assert "finance" in catalogue and "space" not in catalogue
    assert catalogue.get("village_assets").label_zh == "村级“三资”管理"
    assert catalogue.choices()[0] == v.KeyField.POVERTY_ALLEVIATION.choice()
    with pytest.raises(NotFound) as err:
        catalogue.get("space")
    assert err.value.code == "key_field_unknown"


def test_key_field_catalogue_from_records() -> None:
    catalogue = v.KeyFieldCatalogue.from_records(
        [
            {"code": "ecology", "zh": "生态环保", "en": "Ecology"},
            {"code": "grain_purchase", "zh": "粮食购销", "en": "Grain purchase"},
        ]
    )
    assert [e.code for e in catalogue] == ["ecology", "grain_purchase"]


@pytest.mark.parametrize(
    "records, code",
    [
        (
            [{"code": "a", "zh": "甲", "en": "A"}, {"code": "a", "zh": "乙", "en": "B"}],
            "key_field_duplicate_code",
        ),
        ([{"code": "Bad Code", "zh": "甲", "en": "A"}], "key_field_invalid_record"),
        ([{"code": "ok", "zh": "", "en": "A"}], "key_field_invalid_record"),
        ([{"code": "ok", "zh": "甲"}], "key_field_invalid_record"),
        (["not a mapping"], "key_field_invalid_record"),
        ([{"code": "1st", "zh": "甲", "en": "A"}], "key_field_invalid_record"),
    ],
)
def test_key_field_catalogue_refuses_bad_records(records: list, code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        v.KeyFieldCatalogue.from_records(records)
    assert err.value.code == code
