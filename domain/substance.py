"""Substance hints 实质内容提示: does a report give any concrete fact?

The 2020 rules let a commission decline a report that "仅列举出违纪人员或者职务违法、职务犯罪
行为名称但无实质内容": it names a person or an act but no fact. This module only looks for
the signs of facts (time, place, amount, concrete act) and tells the clerk what it did not
find. It is a hint, never a decision: declining needs a person and a leader's approval.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from domain.vocabulary import LabelledEnum

__all__ = ["FactKind", "SubstanceAssessment", "assess_substance"]


class FactKind(LabelledEnum):
    """A kind of concrete fact a report can give 具体事实要素."""

    TIME = "time", "时间", "time"
    PLACE = "place", "地点", "place"
    AMOUNT = "amount", "金额或数量", "amount"
    ACT = "act", "具体行为", "concrete act"


_CN_NUM = "[零〇一二两三四五六七八九十百千万几]"
_PATTERNS: dict[FactKind, re.Pattern[str]] = {
    FactKind.TIME: re.compile(
        r"\d{2,4}\s*年|\d{1,2}\s*月|\d{1,2}\s*[日号]|\d{4}[-/.]\d{1,2}"
        rf"|{_CN_NUM}+月|{_CN_NUM}+[日号]|{_CN_NUM}+年"
        r"|去年|今年|前年|上个?月|本月|上周|昨天|前天|当天|那天|年初|年底|年末|月初|月底"
        r"|春节|元旦|清明|五一|端午|中秋|国庆|期间|上午|下午|晚上|夜里"
    ),
    FactKind.PLACE: re.compile(
        r"酒店|饭店|宾馆|会所|农家乐|KTV|ktv|餐厅|食堂|茶楼|办公室|会议室|家中|家里|住所"
        r"|村委|村部|工地|小区|广场|学校|医院|银行|门市|厂区|停车场"
        r"|在[\u4e00-\u9fff]{1,12}(村|镇|乡|街道|社区|县|区|市|路|街)"
        r"|[\u4e00-\u9fff]{1,8}(路|街)\d+号"
    ),
    FactKind.AMOUNT: re.compile(
        r"\d+(\.\d+)?\s*(多)?\s*(元|块|万|千|百|亿|亩|平方米|平米|套|辆|次|箱|瓶|条|户|人|张)"
        rf"|{_CN_NUM}+(多)?(元|块|万元|万|千元|亩|套|辆|次|箱|瓶|条|户|张)"
        r"|[¥￥$]\s*\d"
    ),
    FactKind.ACT: re.compile(
        r"收受|收取|索要|索取|挪用|侵占|截留|冒领|虚报|套取|骗取|克扣|私分|报销|吃喝|宴请|赌博"
        r"|打麻将|送礼|收礼|红包|礼金|购物卡|消费卡|公车私用|私用公车|违规发放|强拆|殴打|辱骂"
        r"|优亲厚友|吃拿卡要|出租|转包|插手|打招呼|违规审批|虚开|借款不还|超标准"
    ),
}

# Words that name a kind of wrongdoing without saying what happened.
_ACT_NAMES = re.compile(
    r"贪污|腐败|受贿|行贿|以权谋私|违纪|违法|违规|不作为|乱作为|作风|滥用职权|玩忽职守|渎职"
    r"|官僚主义|形式主义|黑恶|保护伞|徇私|舞弊|权钱交易|利益输送|挥霍|铺张浪费|失职|搞特权"
)
# Titles and "某" names point at a person even when the reported-person list is empty.
_PERSON_WORDS = re.compile(
    r"书记|主任|村长|镇长|乡长|县长|区长|市长|局长|科长|所长|校长|院长|经理|队长|组长|站长"
    r"|会计|出纳|主席|部长|厅长|处长|委员|干部|领导|[\u4e00-\u9fff]某"
)


@dataclass(frozen=True)
class SubstanceAssessment:
    """What the text gives and lacks, and a hint for the clerk when it lacks every fact."""

    names_person: bool
    names_act: bool
    found: tuple[FactKind, ...]
    missing: tuple[FactKind, ...]
    flagged: bool
    hint_zh: str | None
    hint_en: str | None


def assess_substance(text: str, reported_names: Sequence[str] = ()) -> SubstanceAssessment:
    """Flag a report naming a person or an act but no concrete fact; a hint, not a decision."""
    body = text or ""
    names_person = any(name and name in body for name in reported_names) or bool(
        _PERSON_WORDS.search(body)
    )
    names_act = bool(_ACT_NAMES.search(body))
    found = tuple(kind for kind, pattern in _PATTERNS.items() if pattern.search(body))
    missing = tuple(kind for kind in FactKind if kind not in found)
    if not body.strip():
        return SubstanceAssessment(
            names_person,
            names_act,
            found,
            missing,
            True,
            "反映内容为空,请补充具体事实后再判断是否受理。",
            "The report has no text; ask for concrete facts before deciding on acceptance.",
        )
    flagged = (names_person or names_act or bool(reported_names)) and not found
    if not flagged:
        return SubstanceAssessment(names_person, names_act, found, missing, False, None, None)
    return SubstanceAssessment(
        names_person,
        names_act,
        found,
        missing,
        True,
        "提示:本件只列举了人员或行为名称,未见时间、地点、金额或具体行为等实质内容,"
        "请核实是否属于“无实质内容”;是否不予受理须经领导审批。",
        "Hint: this report names a person or an act but gives no time, place, amount or "
        "concrete act. Check whether it lacks substance; declining it needs a leader's approval.",
    )
