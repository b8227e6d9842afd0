"""A synthetic history 演示数据 for the demo org tree, written in the import format.

Two years of reports up to the day before a given one, through every channel, screening
outcome and conclusion, in proportions guided by the published figures (Gansu 2019: about 38 % of
reports in scope, of those 98.9 % accusations, 79.2 % first and 20.8 % repeat reports;
visits about a tenth, with several visitors at times; the second year about a third
busier than the first). The same seed and end day give the same lines.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from domain.guards import CHINA_TZ
from domain.hierarchy import Organ, OrgTree
from domain.vocabulary import (
    CadreLevel,
    Channel,
    Disposal,
    Level,
    Outcome,
    ProblemCategory,
    ReportType,
    Substantiation,
)

__all__ = ["DEFAULT_CASES", "DEFAULT_SEED", "demo_lines", "demo_reports"]

DEFAULT_SEED = 2019
DEFAULT_CASES = 4000
DAYS = 730

# Weights (out of 100) guided by the seed articles.
_CHANNELS = [
    (Channel.LETTER, 38), (Channel.WEB, 26), (Channel.VISIT, 11), (Channel.PHONE, 12),
    (Channel.UPPER_HANDOVER, 9), (Channel.BODY_HANDOVER, 4),
]
_LEVEL_WEIGHT = {Level.PROVINCE: 6, Level.CITY: 5, Level.COUNTY: 5, Level.TOWNSHIP: 2}
_CADRE_BY_LEVEL = {
    Level.PROVINCE: [CadreLevel.PROVINCE_MANAGED, CadreLevel.CITY_MANAGED],
    Level.CITY: [CadreLevel.CITY_MANAGED, CadreLevel.COUNTY_MANAGED],
    Level.COUNTY: [CadreLevel.COUNTY_MANAGED, CadreLevel.TOWNSHIP_MANAGED,
                   CadreLevel.VILLAGE_CADRE],
    Level.TOWNSHIP: [CadreLevel.TOWNSHIP_MANAGED, CadreLevel.VILLAGE_CADRE,
                     CadreLevel.PARTY_MEMBER],
}
_CATEGORIES = [
    (ProblemCategory.MASS_DISCIPLINE, 24), (ProblemCategory.INTEGRITY_DISCIPLINE, 20),
    (ProblemCategory.EIGHT_POINT_RULES, 14), (ProblemCategory.WORK_DISCIPLINE, 14),
    (ProblemCategory.DUTY_VIOLATION, 10), (ProblemCategory.ORGANISATIONAL_DISCIPLINE, 6),
    (ProblemCategory.LIFE_DISCIPLINE, 4), (ProblemCategory.POLITICAL_DISCIPLINE, 2),
    (ProblemCategory.DUTY_CRIME, 4), (ProblemCategory.OTHER, 2),
]
_PROBLEMS = {
    ProblemCategory.MASS_DISCIPLINE: "在低保评定中优亲厚友",
    ProblemCategory.INTEGRITY_DISCIPLINE: "违规收受管理服务对象礼金",
    ProblemCategory.EIGHT_POINT_RULES: "违规公款吃喝、公车私用",
    ProblemCategory.WORK_DISCIPLINE: "工作推诿扯皮、不作为",
    ProblemCategory.DUTY_VIOLATION: "滥用职权违规审批项目",
    ProblemCategory.ORGANISATIONAL_DISCIPLINE: "在干部选拔中违规操作",
    ProblemCategory.LIFE_DISCIPLINE: "生活作风不检点",
    ProblemCategory.POLITICAL_DISCIPLINE: "对抗组织审查",
    ProblemCategory.DUTY_CRIME: "利用职务便利侵吞集体资金",
    ProblemCategory.OTHER: "存在其他违纪问题",
}
_OUT_OF_SCOPE = [
    ("住房和城乡建设局", "楼房漏水、物业纠纷,不属于纪检监察机关受理范围"),
    ("人力资源和社会保障局", "劳动报酬纠纷,属劳动保障部门职责"),
    ("人民法院", "涉法涉诉问题,应通过诉讼途径解决"),
    ("自然资源局", "征地拆迁补偿争议,属自然资源部门职责"),
    ("信访局", "一般性诉求,转请信访部门处理"),
]
_OUTCOMES = [
    (Outcome.NOT_SUBSTANTIATED, 34), (Outcome.CRITICISM_EDUCATION, 20),
    (Outcome.ADMONISHING_TALK, 12), (Outcome.PARTY_SANCTION, 12), (Outcome.CASE_FILED, 7),
    (Outcome.ADMINISTRATIVE_SANCTION, 6), (Outcome.NAME_CLEARED, 6),
    (Outcome.JUDICIAL_TRANSFER, 2), (Outcome.FALSE_ACCUSATION, 1),
]
_UNTRUE = {Outcome.NOT_SUBSTANTIATED, Outcome.NAME_CLEARED, Outcome.FALSE_ACCUSATION}
_DISPOSALS = [
    (Disposal.INQUIRY, 45), (Disposal.PRELIMINARY_VERIFICATION, 35), (Disposal.CLOSE, 15),
    (Disposal.HOLD, 5),
]
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐"
_GIVEN = "建国志强海燕秀英伟军丽娟明华玉兰永红晓东春梅文斌德胜金花"
_POSITIONS = ["局长", "副局长", "主任", "科长", "村党支部书记", "村委会主任", "站长", "乡长"]
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _pick(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.sample(_GIVEN, rng.choice((1, 2))))


def _id_number(rng: random.Random, organ: str) -> str:
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 50))
    region = "".join(c for c in organ if c.isdigit())
    body = (region + "010200")[:6] + born.strftime("%Y%m%d") + f"{rng.randrange(1000):03d}"
    total = sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True))
    return body + _ID_CHECK[total % 11]


def _organ_weights(tree: OrgTree, root: str) -> list[tuple[Organ, int]]:
    return [(o, _LEVEL_WEIGHT[o.level]) for o in tree.subtree(root)]


def _received(rng: random.Random, until: date) -> datetime:
    """A working-hours moment in the two years before `until`; the later year is busier."""
    second_year = rng.random() < 0.576  # 0.576 / 0.424 ≈ +36 % year on year
    day = until - timedelta(days=1 + rng.randrange(365) + (0 if second_year else 365))
    moment = time(8 + rng.randrange(10), rng.randrange(60))
    return datetime.combine(day, moment, CHINA_TZ)


def demo_reports(
    tree: OrgTree,
    *,
    seed: int = DEFAULT_SEED,
    cases: int = DEFAULT_CASES,
    until: date,
    root: str = "62",
) -> Iterator[dict[str, Any]]:
    """`cases` report lines (dicts), in order of receipt, for the subtree of `root`."""
    rng = random.Random(seed)
    organs = _organ_weights(tree, root)
    moments = sorted(_received(rng, until) for _ in range(cases))
    latest = datetime.combine(until, time(0), CHINA_TZ)  # nothing on or after `until`
    firsts: dict[str, list[str]] = {}  # organ → source ids of accepted reports so far
    for n, received in enumerate(moments, start=1):
        organ: Organ = _pick(rng, organs)
        source_id = f"DEMO-{received:%Y%m%d}-{n:05d}"
        line = _report(rng, organ, source_id, received)
        roll = rng.random()
        earlier = firsts.get(organ.code, [])
        if roll < 0.62:  # out of scope 业务范围外: diverted
            department, why = rng.choice(_OUT_OF_SCOPE)
            line["screening"] = {"outcome": "diverted", "department": department,
                                 "explanation": why}
        elif roll < 0.62 + 0.38 * 0.208 and earlier:  # repeat 重复举报
            line["screening"] = {"outcome": "repeat", "first": rng.choice(earlier[-40:])}
        elif roll < 0.62 + 0.38 * 0.24:  # no substance 不予受理
            line["screening"] = {"outcome": "not_accepted", "reason": "反映内容笼统,无实质内容"}
        else:
            kind = ReportType.ACCUSATION if rng.random() < 0.989 else _pick(
                rng, [(ReportType.CRITICISM_SUGGESTION, 6), (ReportType.APPEAL, 3),
                      (ReportType.OTHER, 1)])
            line["screening"] = {"outcome": "accepted", "type": kind.value}
            earlier.append(source_id)
            firsts[organ.code] = earlier
            conclusion = _conclusion(rng, received, latest)
            if conclusion is not None:
                line["conclusion"] = conclusion
        yield line


def _report(rng: random.Random, organ: Organ, source_id: str, received: datetime) -> dict[str, Any]:
    channel = _pick(rng, _CHANNELS)
    category: ProblemCategory = _pick(rng, _CATEGORIES)
    person = _name(rng)
    position = rng.choice(_POSITIONS)
    unit = organ.name.replace("纪委监委", "").replace("纪工委", "") or organ.name
    real_name = rng.random() < 0.35
    line: dict[str, Any] = {
        "source_id": source_id,
        "organ": organ.code,
        "channel": channel.value,
        "received_at": received.isoformat(),
        "visitors": rng.choice((1, 1, 1, 2, 3, 5)) if channel == Channel.VISIT else 1,
        "real_name": real_name,
        "reported_persons": [{
            "name": person, "unit": unit, "position": position,
            "cadre_level": rng.choice(_CADRE_BY_LEVEL[organ.level]).value,
        }],
        "categories": [category.value],
        "key_fields": [],
        "summary": f"反映{unit}{position}{person}{_PROBLEMS[category]}",
    }
    if rng.random() < 0.07:
        line["key_fields"] = [rng.choice(
            ["poverty_alleviation", "subsidy_card", "finance", "education", "medical_care",
             "organised_crime", "formalism_bureaucratism", "village_assets"])]
    if real_name:
        line["reporter"] = {
            "name": _name(rng),
            "id_number": _id_number(rng, organ.code),
            "phone": f"139{rng.randrange(10**8):08d}",
        }
    return line


def _conclusion(rng: random.Random, received: datetime, latest: datetime) -> dict[str, Any] | None:
    """Most cases older than three months are concluded; a few recent ones too."""
    days = 15 + int(rng.expovariate(1 / 45))
    concluded = received + timedelta(days=days)
    if concluded > latest:
        return None
    outcome: Outcome = _pick(rng, _OUTCOMES)
    if outcome in _UNTRUE:
        truth = Substantiation.UNTRUE
    else:
        truth = rng.choice((Substantiation.TRUE, Substantiation.PARTLY_TRUE))
    return {
        "disposal": _pick(rng, _DISPOSALS).value,
        "outcome": outcome.value,
        "substantiation": truth.value,
        "concluded_at": concluded.isoformat(),
    }


def demo_lines(tree: OrgTree, **options: Any) -> Iterator[str]:
    """The demo history as import lines (JSON, one report per line)."""
    for report in demo_reports(tree, **options):
        yield json.dumps(report, ensure_ascii=False)
