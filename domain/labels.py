"""The base of every enumeration of the domain: stable English codes with Chinese and English
labels, and the one way to parse a code (a coded refusal when it is unknown)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from domain.errors import InvalidInput

__all__ = ["E", "LabelledEnum", "choices", "parse"]


class LabelledEnum(StrEnum):
    """A string enumeration whose members carry a Chinese and an English label."""

    _label_zh: str
    _label_en: str

    def __new__(cls, code: str, label_zh: str = "", label_en: str = "") -> LabelledEnum:
        member = str.__new__(cls, code)
        member._value_ = code
        member._label_zh = label_zh
        member._label_en = label_en
        return member

    @property
    def code(self) -> str:
        return str(self.value)

    @property
    def label_zh(self) -> str:
        return self._label_zh

    @property
    def label_en(self) -> str:
        return self._label_en

    def choice(self) -> dict[str, str]:
        """This member as a `{code, zh, en}` record for forms and APIs."""
        return {"code": self.code, "zh": self.label_zh, "en": self.label_en}


E = TypeVar("E", bound=LabelledEnum)


def choices(enum_cls: type[LabelledEnum]) -> list[dict[str, str]]:
    """Every member of an enumeration as `{code, zh, en}`, in declaration order."""
    return [member.choice() for member in enum_cls]


def parse(enum_cls: type[E], value: Any) -> E:
    """The member with this code, or InvalidInput `vocabulary_unknown_code`."""
    try:
        return enum_cls(value)
    except ValueError:
        raise InvalidInput(
            "vocabulary_unknown_code",
            f"“{value}”不是有效的{enum_cls.__name__}代码",
            f"{value!r} is not a valid {enum_cls.__name__} code",
            vocabulary=enum_cls.__name__,
            value=str(value),
            allowed=[m.value for m in enum_cls],
        ) from None
