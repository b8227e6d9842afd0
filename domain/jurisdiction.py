"""Jurisdiction 管辖: which organ and office handle a case, and how it gets there.

分级负责、归口办理: a cadre managed by the party committee at level L is handled by the
commission at level L; a person in a department that a stationed unit supervises is
handled by that stationed unit; village cadres and ordinary party members go to the
township (or, failing that, the county) commission. When a report names several people,
the one managed highest decides, and people under different commissions of that level go
to their nearest common ancestor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.errors import InvalidInput
from domain.hierarchy import Organ, OrgTree
from domain.vocabulary import CadreLevel, Level, Office, OrganKind, TransferKind

__all__ = ["ReportedPerson", "JurisdictionDecision", "decide_jurisdiction", "first_hop"]


@dataclass(frozen=True)
class ReportedPerson:
    """What jurisdiction needs to know about one reported person 被反映人."""

    name: str
    cadre_level: CadreLevel
    # Organ code of the region whose party committee manages the person, when known.
    managed_by: str | None = None
    unit: str = ""
    # Organ code of the region the person's unit sits in; defaults to the registering organ.
    unit_region: str | None = None
    # Code of the stationed unit known to supervise the unit, if the clerk knows it.
    supervised_by: str | None = None


@dataclass(frozen=True)
class JurisdictionDecision:
    """Who should handle a case, how it gets there from the registering organ, and why."""

    organ: Organ
    office: Office
    action: TransferKind
    next_hop: str | None
    reason_zh: str
    reason_en: str
    deciding_person: str
    # True when the data did not say precisely enough and a clerk should look again.
    needs_review: bool = False

    @property
    def stays_here(self) -> bool:
        return self.action is TransferKind.INTERNAL_TRANSFER


@dataclass(frozen=True)
class _Handler:
    organ: Organ
    person: ReportedPerson
    why_zh: str
    why_en: str
    needs_review: bool


def decide_jurisdiction(
    tree: OrgTree, registering: str, persons: Sequence[ReportedPerson]
) -> JurisdictionDecision:
    """The handling organ and office for a report registered at `registering`."""
    here = tree.get(registering)
    if not persons:
        raise InvalidInput(
            "jurisdiction_no_person",
            "未填写被反映人,无法确定管辖",
            "No reported person is given, so jurisdiction cannot be decided",
        )
    handlers = [_handler_for(tree, here, person) for person in persons]
    top_rank = min(h.organ.level.rank for h in handlers)
    top = [h for h in handlers if h.organ.level.rank == top_rank]
    chosen = top[0]
    organ = chosen.organ
    why_zh, why_en = chosen.why_zh, chosen.why_en
    distinct = {h.organ.code for h in top}
    if len(distinct) > 1:
        common = _common_commission(tree, [h.organ.code for h in top])
        if common is not None:
            organ = common
            why_zh += f";被反映人分属多个同级机关管辖,由共同上级{common.name}办理"
            why_en += (
                f"; the reported persons fall under several organs of the same level, "
                f"so their common superior {common.name} handles it"
            )
    if len(persons) > 1 and len(distinct) == 1:
        why_zh += "(以管理层级最高的被反映人确定管辖)"
        why_en += " (the person managed highest decides)"
    action, hop = first_hop(tree, here.code, organ.code)
    zh, en = _route_text(here, organ, action, hop, tree)
    return JurisdictionDecision(
        organ=organ,
        office=Office.SUPERVISION,
        action=action,
        next_hop=hop,
        reason_zh=f"{why_zh}。{zh}",
        reason_en=f"{why_en}. {en}",
        deciding_person=chosen.person.name,
        needs_review=any(h.needs_review for h in handlers),
    )


def first_hop(tree: OrgTree, source: str, target: str) -> tuple[TransferKind, str | None]:
    """The routing action moving a case one step towards `target`; it passes check_route."""
    src = tree.get(source)
    dst = tree.get(target)
    if dst.code == src.code:
        return TransferKind.INTERNAL_TRANSFER, src.code
    if src.kind is OrganKind.STATIONED_UNIT:
        return TransferKind.FROM_STATIONED_UNIT, src.parent
    dst_commission = tree.commission_of(dst.code)
    if dst_commission.code == src.code:
        return TransferKind.TO_STATIONED_UNIT, dst.code
    if dst_commission.code.startswith(src.code):
        # An upper commission may forward straight to any commission below it.
        return TransferKind.FORWARD_DOWN, dst_commission.code
    common = tree.common_ancestor(src.code, dst_commission.code)
    if common is None:
        return TransferKind.HAND_OVER_OUTWARD, None
    return TransferKind.REPORT_UP, common.code


def _common_commission(tree: OrgTree, codes: list[str]) -> Organ | None:
    common: Organ | None = tree.get(codes[0])
    for code in codes[1:]:
        if common is None:
            return None
        common = tree.common_ancestor(common.code, code)
    return tree.commission_of(common.code) if common is not None else None


def _chain(tree: OrgTree, code: str) -> list[Organ]:
    return [tree.get(code), *tree.ancestors(code)]


def _handler_for(tree: OrgTree, here: Organ, person: ReportedPerson) -> _Handler:
    level = person.cadre_level
    label_zh = f"被反映人{person.name}为{level.label_zh}"
    label_en = f"{person.name} is a {level.label_en.lower()}"
    if person.supervised_by is not None:
        unit = tree.get(person.supervised_by)
        if unit.kind is not OrganKind.STATIONED_UNIT:
            raise InvalidInput(
                "jurisdiction_not_stationed_unit",
                f"{unit.name}不是派驻机构",
                f"{unit.name} is not a stationed unit",
                organ=unit.code,
            )
        return _Handler(
            unit,
            person,
            f"{label_zh},所在单位{person.unit or ''}由{unit.name}监督",
            f"{label_en} in {person.unit or 'a unit'} supervised by {unit.name}",
            False,
        )
    if person.managed_by is not None:
        commission = tree.commission_of(person.managed_by)
        why_zh = f"{label_zh},由{commission.name}对应的党委管理"
        why_en = f"{label_en}, managed by the party committee of {commission.name}"
        review = False
    else:
        region = tree.commission_of(person.unit_region or here.code)
        commission, review = _commission_at_level(tree, region, level)
        why_zh = f"{label_zh},按干部管理权限由{commission.name}管辖"
        why_en = f"{label_en}; by cadre management authority {commission.name} has jurisdiction"
        if review:
            why_zh += "(所在地区信息不足,需人工核定)"
            why_en += " (the region is not precise enough; a clerk should confirm)"
    if person.unit and commission.kind is OrganKind.COMMISSION:
        stationed = tree.stationed_unit_for(commission.code, person.unit)
        if stationed is not None:
            return _Handler(
                stationed,
                person,
                f"{why_zh};所在单位{person.unit}由{stationed.name}监督",
                f"{why_en}; the unit {person.unit} is supervised by {stationed.name}",
                review,
            )
    return _Handler(commission, person, why_zh, why_en, review)


def _commission_at_level(tree: OrgTree, region: Organ, level: CadreLevel) -> tuple[Organ, bool]:
    """The commission of `region`'s chain that manages people of `level`; review flag."""
    wanted = level.managing_level
    chain = [o for o in _chain(tree, region.code) if o.kind is not OrganKind.STATIONED_UNIT]
    if wanted is None:
        # A supervision object is handled where their unit sits.
        return region, False
    for organ in chain:
        if organ.level is wanted:
            return organ, False
    if region.level.rank > wanted.rank:
        # The chain skips the wanted level (e.g. a county directly under a province):
        # the nearest commission above is the best we can say.
        above = next((o for o in chain if o.level.rank < wanted.rank), chain[-1])
        return above, True
    if wanted is Level.TOWNSHIP and region.level is Level.COUNTY:
        # 村干部、一般党员: the township, or the county when no township is named.
        return region, level not in (CadreLevel.VILLAGE_CADRE, CadreLevel.PARTY_MEMBER)
    return region, True


def _route_text(
    here: Organ, organ: Organ, action: TransferKind, hop: str | None, tree: OrgTree
) -> tuple[str, str]:
    if action is TransferKind.INTERNAL_TRANSFER:
        return (
            f"由本机关({here.name})信访室移送监督检查室办理",
            f"{here.name} handles it: the petition office transfers it to the supervision office",
        )
    hop_name = tree.get(hop).name if hop is not None else "系统外单位"
    hop_name_en = tree.get(hop).name if hop is not None else "a body outside the system"
    further_zh = "" if hop == organ.code else f",再由其转至{organ.name}"
    further_en = "" if hop == organ.code else f", which passes it on to {organ.name}"
    return (
        f"本机关({here.name})应{action.label_zh}至{hop_name}{further_zh}",
        f"{here.name} should {action.label_en.lower()} to {hop_name_en}{further_en}",
    )
