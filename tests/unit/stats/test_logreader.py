"""The rebuild's decoding of stored event state: the JSON-safe form of every value is what
the relay's `envelope_for` makes of the transcoder's objects."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from eventsourcing.persistence import JSONTranscoder

from infra.eventstore import ServiceApplication
from infra.jsonsafe import to_json_safe
from services.stats import logreader


@pytest.fixture(scope="module")
def transcoder() -> JSONTranscoder:
    app = ServiceApplication("intake")
    inner = app.mapper.transcoder.inner  # type: ignore[attr-defined]
    assert isinstance(inner, JSONTranscoder)
    return inner


CHINA = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2025, 2, 28, 23, 59, 59, 123456, tzinfo=CHINA),
        dt.datetime(2024, 2, 29, 9, 0, tzinfo=dt.UTC),
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        Decimal("1.10"),
        [{"name": "某", "at": dt.datetime(2025, 1, 1, tzinfo=CHINA)}, "x", 3, None, True],
        {"nested": {"when": dt.datetime(2025, 5, 1, 8, 30, tzinfo=CHINA), "n": 2.5}},
        "plain 文本",
    ],
)
def test_each_value_decodes_to_what_the_relay_publishes(transcoder, value):
    stored = transcoder.encode({"value": value, "other": 1})
    fast = logreader._decode(stored.decode())
    assert fast == to_json_safe(transcoder.decode(stored))
    assert fast["value"] == to_json_safe(value)


def test_a_value_of_another_type_is_left_to_the_transcoder():
    with pytest.raises(logreader._OtherType):
        logreader._decode('{"v": {"_type_": "dataclass_as_dict", "_data_": {"a": 1}}}')
    # A dict that merely has other keys besides _type_ is plain data.
    plain = '{"v": {"_type_": "x", "_data_": 1, "more": 2}}'
    assert logreader._decode(plain) == {"v": {"_type_": "x", "_data_": 1, "more": 2}}


def test_a_case_s_share_is_the_last_byte_of_its_id():
    case_id = "12345678-1234-5678-1234-5678123456ff"
    assert logreader.share_of(case_id, 2) == 0xFF % 2
    assert logreader.share_of(case_id, 3) == 0xFF % 3
    assert uuid.UUID(case_id).bytes[15] == 0xFF
