"""Organs 机关 and the domain's enumerations 业务词表."""

from __future__ import annotations

import re

import strawberry
from strawberry.types import Info

from domain import vocabulary
from domain.hierarchy import Organ as DomainOrgan
from domain.vocabulary import Channel, LabelledEnum
from gateway.graphql.context import coded, gateway, session


@strawberry.type
class Organ:
    """An organ of the hierarchy 机关."""

    code: str
    name: str
    level: str
    kind: str
    parent: str | None

    @classmethod
    def of(cls, organ: DomainOrgan) -> Organ:
        return cls(
            code=organ.code,
            name=organ.name,
            level=str(organ.level),
            kind=str(organ.kind),
            parent=organ.parent,
        )


@strawberry.type
class Choice:
    """One value of an enumeration with its labels."""

    code: str
    label_zh: str
    label_en: str


@strawberry.type
class VocabularyTerm:
    """One value of one enumeration of the domain, e.g. kind `channel`, code `letter`."""

    kind: str
    code: str
    label_zh: str
    label_en: str


def _kind(enum_cls: type[LabelledEnum]) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum_cls.__name__).lower()


def enumerations() -> list[type[LabelledEnum]]:
    """Every enumeration `domain.vocabulary` exports."""
    found = (getattr(vocabulary, name) for name in vocabulary.__all__)
    return [
        item
        for item in found
        if isinstance(item, type) and issubclass(item, LabelledEnum) and item is not LabelledEnum
    ]


VOCABULARY = tuple(
    VocabularyTerm(kind=_kind(enum_cls), code=m.code, label_zh=m.label_zh, label_en=m.label_en)
    for enum_cls in enumerations()
    for m in enum_cls
)


@strawberry.type
class OrganQuery:
    @strawberry.field(description="Every organ of the hierarchy")
    async def organs(self, info: Info) -> list[Organ]:
        with coded():
            await session(info)
        return [Organ.of(o) for o in gateway(info).org_tree.organs()]

    @strawberry.field(description="The channels a report can come in by 来源渠道")
    async def channels(self, info: Info) -> list[Choice]:
        with coded():
            await session(info)
        return [Choice(code=c.value, label_zh=c.label_zh, label_en=c.label_en) for c in Channel]

    @strawberry.field(description="Every enumeration of the domain with its labels 业务词表")
    async def vocabulary(self, info: Info) -> list[VocabularyTerm]:
        with coded():
            await session(info)
        return list(VOCABULARY)
