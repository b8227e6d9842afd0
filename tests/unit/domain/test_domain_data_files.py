"""Shipped data files load through infra and build valid domain objects."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from domain.calendar import WorkingCalendar
from domain.hierarchy import Level, OrganKind, OrgTree
from domain.rules import Rules
from domain.vocabulary import KeyFieldCatalogue
from infra import chinese_text, datafiles


def test_demo_org_tree() -> None:
    data = datafiles.load_yaml("orgs.yaml")
    assert data["demo"] is True
    text = (datafiles.data_dir() / "orgs.yaml").read_text(encoding="utf-8")
    assert text.startswith("# DEMO DATA")
    tree = OrgTree.from_records(data["organs"])
    names = {o.name for o in tree.organs()}
    assert {
        "甘肃省纪委监委",
        "兰州市纪委监委",
        "天水市纪委监委",
        "平凉市纪委监委",
        "陇南市纪委监委",
        "金昌市纪委监委",
    } <= names
    assert {c.code for c in tree.children("62") if c.level is Level.CITY} >= {
        "6201",
        "6203",
        "6205",
        "6208",
        "6212",
    }
    assert len([c for c in tree.children("6201") if c.level is Level.COUNTY]) >= 2
    assert len([c for c in tree.children("620102") if c.level is Level.TOWNSHIP]) >= 2
    court = tree.get("150403Z01")
    assert court.kind is OrganKind.STATIONED_UNIT and "元宝山区人民法院" in court.supervises
    assert [o.code for o in tree.ancestors("150403")] == ["1504", "15"]
    shengzhou = [c for c in tree.children("330683") if c.level is Level.TOWNSHIP]
    assert len(shengzhou) == 15
    assert any(o.kind is OrganKind.ENTERPRISE_COMMISSION for o in tree.organs())


def test_rules_and_key_fields_files() -> None:
    rules = Rules.from_mapping(datafiles.load_yaml("rules"))
    assert rules.acceptance_notice_days == 15 and rules.level_transfer_days == 5
    assert rules.conduct_cutoff == date(2017, 10, 18)
    assert rules.to_mapping() | {"version": Rules.default().version} == Rules.default().to_mapping()
    catalogue = KeyFieldCatalogue.from_records(datafiles.load_yaml("key_fields.yaml")["key_fields"])
    assert catalogue.choices() == KeyFieldCatalogue.default().choices()


def test_shipped_calendar_overrides_build_a_calendar() -> None:
    overrides = datafiles.load_calendar_overrides()
    calendar = WorkingCalendar.default(overrides)
    assert calendar.add_working_days(date(2026, 9, 18), 15).date == date(2026, 10, 15)


def test_data_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "calendar").mkdir()
    (tmp_path / "calendar" / "2027.yaml").write_text("holidays: [2027-01-01]\n")
    (tmp_path / "calendar" / "notes.yaml").write_text("x: 1\n")
    (tmp_path / "orgs.yaml").write_text("organs: []\n")
    monkeypatch.setenv(datafiles.DATA_ENV, str(tmp_path))
    assert datafiles.data_dir() == tmp_path.resolve()
    assert datafiles.load_yaml("orgs") == {"organs": []}
    overrides = datafiles.load_calendar_overrides()
    assert overrides == {2027: {"holidays": [date(2027, 1, 1)]}}
    loaded = WorkingCalendar.default(overrides)
    assert loaded.is_known_year(2027) and "2027" in loaded.version
    with pytest.raises(FileNotFoundError):
        datafiles.load_yaml("rules.yaml")
    with pytest.raises(ValueError):
        datafiles.load_yaml("../outside.yaml")
    monkeypatch.setenv(datafiles.DATA_ENV, str(tmp_path / "missing"))
    assert datafiles.load_calendar_overrides() == {}


def test_opencc_map(monkeypatch: pytest.MonkeyPatch) -> None:
    mapping = chinese_text.traditional_to_simplified_map()
    assert len(mapping) > 3000
    assert mapping["張"] == "张" and mapping["縣"] == "县" and "张" not in mapping
    mapping["張"] = "x"
    assert chinese_text.traditional_to_simplified_map()["張"] == "张"
    assert chinese_text.parse_dictionary("乾\t干 乾\n頭髮\t头发\n\n錯\t") == {"乾": "干"}
    monkeypatch.setattr(chinese_text.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(RuntimeError):
        chinese_text.opencc_dictionary_dir()


def test_opencc_map_without_variant_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "TSCharacters.txt").write_text("張\t张\n乾\t乾\n", encoding="utf-8")
    monkeypatch.setattr(chinese_text, "opencc_dictionary_dir", lambda: tmp_path)
    chinese_text._build.cache_clear()
    try:
        assert chinese_text.traditional_to_simplified_map() == {"張": "张"}
    finally:
        chinese_text._build.cache_clear()


def test_opencc_dictionary_dir_needs_the_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = chinese_text.importlib.util.spec_from_file_location(
        "opencc", tmp_path / "__init__.py", submodule_search_locations=[str(tmp_path)]
    )
    monkeypatch.setattr(chinese_text.importlib.util, "find_spec", lambda name: spec)
    with pytest.raises(RuntimeError, match="not found"):
        chinese_text.opencc_dictionary_dir()
