"""Pure helpers of infra: JSON-safe payloads and settings."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import enum
import uuid

import pytest

from infra.jsonsafe import to_json_safe
from infra.settings import Settings


class Colour(enum.Enum):
    RED = "red"


class Thing:
    def __init__(self) -> None:
        self.a = 1
        self._hidden = 2


def test_values_become_plain_json():
    moment = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)
    value = {
        "when": moment,
        "day": dt.date(2026, 11, 2),
        "id": uuid.UUID(int=1),
        "amount": decimal.Decimal("1.50"),
        "colour": Colour.RED,
        "items": (1, "a"),
        "tags": {"b", "a"},
        "thing": Thing(),
        "nothing": None,
        "other": complex(1, 2),
    }
    assert to_json_safe(value) == {
        "when": "2026-11-02T09:30:00+00:00",
        "day": "2026-11-02",
        "id": "00000000-0000-0000-0000-000000000001",
        "amount": "1.50",
        "colour": "red",
        "items": [1, "a"],
        "tags": ["a", "b"],
        "thing": {"a": 1},
        "nothing": None,
        "other": "(1+2j)",
    }


def test_names_ports_and_namespaces(tmp_path):
    settings = Settings(baton_namespace="p1_", baton_data_dir=tmp_path, intake_port=9001)
    assert settings.schema_of("intake") == "p1_intake"
    assert settings.topic_of("intake") == "p1_intake.events"
    assert settings.url_of("intake") == "http://127.0.0.1:9001"


def test_identity_key_comes_from_settings_or_a_kept_development_key(tmp_path):
    key = base64.b64encode(bytes(range(32))).decode()
    assert Settings(baton_identity_key=key).identity_key() == bytes(range(32))
    development = Settings(baton_data_dir=tmp_path)
    assert development.identity_key() == development.identity_key()
    assert len(development.identity_key()) == 32
    with pytest.raises(ValueError):
        Settings(baton_identity_key="not base64!").identity_key()
    with pytest.raises(ValueError):
        Settings(baton_identity_key=base64.b64encode(b"short").decode()).identity_key()
    with pytest.raises(ValueError):
        Settings(baton_env="production", baton_data_dir=tmp_path).identity_key()
