"""`baton demo`: a deterministic synthetic history in the import format that imports
without a refused line, in the proportions of the seed articles; `baton up` loads it into
empty stores once, in development only, unless switched off."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from pathlib import Path

import pytest

from deploy.import_cli import import_file, load_demo_once, open_importer, write_demo
from domain.vocabulary import Channel
from infra.settings import Settings

pytestmark = pytest.mark.integration

UNTIL = "2026-03-01"


def fresh(database_url: str, tmp_path: Path, **extra: object) -> Settings:
    return Settings(
        database_url=database_url,
        baton_data_dir=tmp_path,
        baton_namespace=f"d{uuid.uuid4().hex[:8]}_",
        **extra,  # type: ignore[arg-type]
    )


def test_the_demo_history_is_deterministic_varied_and_imports_whole(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, again, other = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    assert write_demo(first, seed=11, cases=1500, until=UNTIL) == 1500
    write_demo(again, seed=11, cases=1500, until=UNTIL)
    write_demo(other, seed=12, cases=1500, until=UNTIL)
    assert first.read_bytes() == again.read_bytes()
    assert first.read_bytes() != other.read_bytes()

    lines = [json.loads(text) for text in first.read_text(encoding="utf-8").splitlines()]
    outcomes = Counter(line["screening"]["outcome"] for line in lines)
    assert set(outcomes) == {"accepted", "diverted", "not_accepted", "repeat"}
    assert {line["channel"] for line in lines} == {c.value for c in Channel}
    in_scope = len(lines) - outcomes["diverted"]
    assert 0.30 < in_scope / len(lines) < 0.46  # Gansu 2019: 38 %
    assert 0.12 < outcomes["repeat"] / in_scope < 0.28  # 20.8 % of accusations
    assert all(line["received_at"] < UNTIL for line in lines)
    years = Counter(line["received_at"][:7] >= "2025-03" for line in lines)
    assert years[True] > 1.15 * years[False]  # the later year is busier
    concluded = [line for line in lines if "conclusion" in line]
    assert len({c["conclusion"]["outcome"] for c in concluded}) >= 7
    assert any(line["visitors"] > 1 for line in lines)
    assert any(line.get("reporter") for line in lines)

    settings = fresh(database_url, tmp_path)
    assert import_file(settings, first, quiet=True) == 0
    assert "1500 lines: 1500 imported, 0 already there, 0 refused" in capsys.readouterr().out


def test_baton_up_loads_the_demo_into_empty_stores_once_in_development_only(
    database_url: str, tmp_path: Path
) -> None:
    assert not load_demo_once(fresh(database_url, tmp_path, baton_demo_history=False), 50)
    production = fresh(database_url, tmp_path, baton_env="production",
                       baton_identity_key="A" * 43 + "=")
    assert not load_demo_once(production, 50)

    settings = fresh(database_url, tmp_path)
    with open_importer(settings) as importer:
        assert not importer.has_history()
    assert load_demo_once(settings, 50)
    with open_importer(settings) as importer:
        assert importer.has_history()
        stored = importer.intake.recorder.max_notification_id()
    assert not load_demo_once(settings, 50)  # not twice
    with open_importer(settings) as importer:
        assert importer.intake.recorder.max_notification_id() == stored
