"""Repeat-report matching 重复举报识别: candidates for the clerk, never an automatic merge.

A repeat is the same reported person and the same problem, by any channel. Names and
units are compared after normalisation (full/half width, traditional→simplified,
spaces and separators); the score weighs name, unit and problem category, and every
candidate carries a readable reason. The traditional→simplified table is injected (the
full one is built outside `domain/` from OpenCC's data); a small built-in table covers
common surnames and unit words.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from domain.vocabulary import ProblemCategory

__all__ = [
    "DEFAULT_CHAR_MAP",
    "TextNormaliser",
    "PersonKey",
    "RepeatProbe",
    "RepeatCandidate",
    "find_repeat_candidates",
    "score_pair",
]

_PAIRS = (
    "張张劉刘陳陈黃黄趙赵鄭郑楊杨吳吴孫孙馬马許许鄧邓馮冯葉叶蘇苏盧卢蔣蒋韓韩羅罗謝谢"
    "顧顾萬万賈贾魯鲁閻阎溫温譚谭陸陆賀贺鍾钟鄒邹錢钱湯汤龍龙雲云風风華华東东齊齐莊庄"
    "區区縣县鎮镇鄉乡會会長长書书記记財财務务廳厅醫医學学農农業业發发開开國国資资衛卫"
    "關关辦办處处經经濟济礦矿電电鐵铁銀银價价眾众黨党紀纪監监檢检審审計计貧贫補补貼贴"
    "門门員员領领導导幹干隊队組组織织產产傳传蘭兰涼凉隴陇場场灣湾橋桥環环園园鋼钢團团"
    "寶宝義义興兴剛刚軍军紅红偉伟勝胜強强麗丽鵬鹏濤涛亞亚傑杰輝辉進进運运達达遠远廣广"
    "慶庆應应營营區区氣气維维護护獎奖權权錄录訪访舉举報报話话號号鄰邻樓楼鳳凤麥麦"
)
DEFAULT_CHAR_MAP: Mapping[str, str] = {_PAIRS[i]: _PAIRS[i + 1] for i in range(0, len(_PAIRS), 2)}

# Separators people put inside names and units: middle dots, dashes, brackets vary.
_DROPPED = frozenset("·•・‧･．.-—_、,,;;'\"“”‘’()()[]【】〔〕")


class TextNormaliser:
    """Normalise names and units: NFKC width folding, traditional→simplified, no spaces."""

    def __init__(self, char_map: Mapping[str, str] | None = None) -> None:
        table = dict(DEFAULT_CHAR_MAP if char_map is None else char_map)
        self._table = str.maketrans({k: v for k, v in table.items() if len(k) == 1})

    def normalise(self, text: str) -> str:
        folded = unicodedata.normalize("NFKC", text).translate(self._table)
        return "".join(c for c in folded if not c.isspace() and c not in _DROPPED).lower()


@dataclass(frozen=True)
class PersonKey:
    """A reported person as far as matching cares: name and unit."""

    name: str
    unit: str = ""


@dataclass(frozen=True)
class RepeatProbe:
    """One report (new or on file) reduced to what repeat matching compares."""

    case_id: str
    persons: tuple[PersonKey, ...]
    categories: frozenset[ProblemCategory] = field(default_factory=frozenset)


@dataclass(frozen=True)
class RepeatCandidate:
    """An earlier case that may be the same report, for the clerk to confirm."""

    case_id: str
    score: float
    reason_zh: str
    reason_en: str
    person: str


# Name is required; unit and category decide how sure we are.
_NAME_WEIGHT = 0.5
_UNIT_SAME, _UNIT_CLOSE, _UNIT_UNKNOWN = 0.3, 0.2, 0.1
_CATEGORY_SAME, _CATEGORY_UNKNOWN = 0.2, 0.05
_UNIT_SIMILARITY = 0.8


def score_pair(
    new: PersonKey,
    old: PersonKey,
    new_categories: frozenset[ProblemCategory],
    old_categories: frozenset[ProblemCategory],
    normaliser: TextNormaliser,
) -> tuple[float, list[str], list[str]] | None:
    """Score one person pair in [0, 1], with reason parts; None when the names differ."""
    name = normaliser.normalise(new.name)
    if not name or name != normaliser.normalise(old.name):
        return None
    zh = [f"被反映人姓名相同({new.name})"]
    en = [f"same reported person ({new.name})"]
    score = _NAME_WEIGHT
    unit_new, unit_old = normaliser.normalise(new.unit), normaliser.normalise(old.unit)
    if not unit_new or not unit_old:
        score += _UNIT_UNKNOWN
        zh.append("单位信息不全")
        en.append("unit not known on both sides")
    elif unit_new == unit_old:
        score += _UNIT_SAME
        zh.append(f"工作单位相同({new.unit})")
        en.append(f"same unit ({new.unit})")
    elif (
        unit_new in unit_old
        or unit_old in unit_new
        or difflib.SequenceMatcher(None, unit_new, unit_old).ratio() >= _UNIT_SIMILARITY
    ):
        score += _UNIT_CLOSE
        zh.append(f"工作单位相近({new.unit} / {old.unit})")
        en.append(f"similar unit ({new.unit} / {old.unit})")
    else:
        zh.append(f"工作单位不同({new.unit} / {old.unit})")
        en.append(f"different unit ({new.unit} / {old.unit})")
    shared = new_categories & old_categories
    if shared:
        score += _CATEGORY_SAME
        first = ProblemCategory.primary(shared)
        zh.append(f"问题类别相同({first.label_zh})")
        en.append(f"same problem category ({first.label_en.lower()})")
    elif not new_categories or not old_categories:
        score += _CATEGORY_UNKNOWN
        zh.append("问题类别未定")
        en.append("problem category not yet set on both sides")
    else:
        zh.append("问题类别不同")
        en.append("different problem category")
    return round(score, 4), zh, en


def find_repeat_candidates(
    new: RepeatProbe,
    existing: Iterable[RepeatProbe],
    normaliser: TextNormaliser | None = None,
    min_score: float = 0.5,
) -> list[RepeatCandidate]:
    """Earlier cases that may be repeats of `new`, best first; the clerk decides."""
    normaliser = normaliser or TextNormaliser()
    found: list[RepeatCandidate] = []
    for old in existing:
        if old.case_id == new.case_id:
            continue
        best: tuple[float, list[str], list[str], str] | None = None
        for person in new.persons:
            for other in old.persons:
                result = score_pair(person, other, new.categories, old.categories, normaliser)
                if result is not None and (best is None or result[0] > best[0]):
                    best = (*result, person.name)
        if best is not None and best[0] >= min_score:
            score, zh, en, name = best
            found.append(
                RepeatCandidate(
                    case_id=old.case_id,
                    score=score,
                    reason_zh="疑似重复举报:" + ";".join(zh),
                    reason_en="Possible repeat: " + "; ".join(en),
                    person=name,
                )
            )
    found.sort(key=lambda c: (-c.score, c.case_id))
    return found


def probe(
    case_id: str,
    persons: Sequence[tuple[str, str]],
    categories: Iterable[ProblemCategory] = (),
) -> RepeatProbe:
    """Convenience constructor from `(name, unit)` pairs."""
    return RepeatProbe(case_id, tuple(PersonKey(n, u) for n, u in persons), frozenset(categories))
