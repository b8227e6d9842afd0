"""The key-field catalogue 重点问题目录: which fields a province watches varies by province and
year, so it is data (`KeyFieldCatalogue`), with `KeyField` as its default content."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from domain.errors import InvalidInput, NotFound
from domain.labels import LabelledEnum

__all__ = ["KeyField", "KeyFieldCatalogue", "KeyFieldEntry"]


class KeyField(LabelledEnum):
    """The default key fields 重点领域; the live list is a `KeyFieldCatalogue`."""

    POVERTY_ALLEVIATION = "poverty_alleviation", "扶贫领域", "Poverty alleviation"
    SUBSIDY_CARD = "subsidy_card", "惠民惠农财政补贴“一卡通”", "Subsidy cards"
    FINANCE = "finance", "金融领域", "Finance"
    EDUCATION = "education", "教育领域", "Education"
    MEDICAL_CARE = "medical_care", "医疗领域", "Medical care"
    ORGANISED_CRIME = "organised_crime", "涉黑涉恶", "Organised crime and its protectors"
    FORMALISM_BUREAUCRATISM = (
        "formalism_bureaucratism",
        "形式主义官僚主义",
        "Formalism and bureaucratism",
    )
    VILLAGE_ASSETS = "village_assets", "村级“三资”管理", "Village collective assets"


@dataclass(frozen=True)
class KeyFieldEntry:
    """One entry of the key-field catalogue."""

    code: str
    label_zh: str
    label_en: str

    def choice(self) -> dict[str, str]:
        return {"code": self.code, "zh": self.label_zh, "en": self.label_en}


class KeyFieldCatalogue:
    """The configurable key-field catalogue 重点问题目录, in display order."""

    def __init__(self, entries: Iterable[KeyFieldEntry]) -> None:
        self._entries: dict[str, KeyFieldEntry] = {}
        for entry in entries:
            if entry.code in self._entries:
                raise InvalidInput(
                    "key_field_duplicate_code",
                    f"重点领域代码“{entry.code}”重复",
                    f"Key field code {entry.code!r} appears twice",
                    key_field=entry.code,
                )
            self._entries[entry.code] = entry

    @classmethod
    def default(cls) -> KeyFieldCatalogue:
        return cls(KeyFieldEntry(f.code, f.label_zh, f.label_en) for f in KeyField)

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]]) -> KeyFieldCatalogue:
        """Build from `{code, zh, en}` records (e.g. parsed from YAML)."""
        entries = []
        for index, record in enumerate(records):
            fields = ("code", "zh", "en")
            values = [record.get(k) if isinstance(record, Mapping) else None for k in fields]
            code, zh, en = values
            if not all(isinstance(v, str) and v.strip() for v in values) or not _is_code(code):
                raise InvalidInput(
                    "key_field_invalid_record",
                    f"重点领域目录第{index + 1}项无效:需要 code(小写英文)、zh、en",
                    f"Key-field entry {index + 1} is invalid: needs a snake_case code, zh and en",
                    index=index,
                )
            assert isinstance(code, str) and isinstance(zh, str) and isinstance(en, str)
            entries.append(KeyFieldEntry(code, zh, en))
        return cls(entries)

    def __contains__(self, code: object) -> bool:
        return code in self._entries

    def __iter__(self) -> Iterator[KeyFieldEntry]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def codes(self) -> list[str]:
        return list(self._entries)

    def get(self, code: str) -> KeyFieldEntry:
        try:
            return self._entries[code]
        except KeyError:
            raise NotFound(
                "key_field_unknown",
                f"重点领域“{code}”不在目录中",
                f"Key field {code!r} is not in the catalogue",
                key_field=code,
            ) from None

    def choices(self) -> list[dict[str, str]]:
        return [entry.choice() for entry in self]


def _is_code(value: Any) -> bool:
    return (
        isinstance(value, str)
        and value[:1].isascii()
        and value[:1].isalpha()
        and all(c.isascii() and (c.islower() or c.isdigit() or c == "_") for c in value)
    )
