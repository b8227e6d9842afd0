"""The domain's enumerations 业务词表: stable English codes with Chinese and English labels.

Codes are what is stored in events and crosses the wire; they never change. Labels are
for people and may be reworded. The key-field catalogue 重点问题目录 varies by province
and year, so it is data (`KeyFieldCatalogue`), with `KeyField` as its default content.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from domain.errors import InvalidInput, NotFound

__all__ = [
    "LabelledEnum",
    "choices",
    "parse",
    "Level",
    "OrganKind",
    "Office",
    "Channel",
    "Scope",
    "ReportType",
    "ProblemCategory",
    "KeyField",
    "KeyFieldEntry",
    "KeyFieldCatalogue",
    "CadreLevel",
    "Disposal",
    "Outcome",
    "Substantiation",
    "Satisfaction",
    "NotificationMethod",
    "RealNameCheck",
    "TransferKind",
    "Identity",
    "RepeatStatus",
    "ConductPeriod",
    "WarningLevel",
    "OrderLevel",
    "EvaluationDimension",
    "EvaluationGrade",
    "FiveInPlace",
    "Role",
]


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


# --- organs --------------------------------------------------------------------------


class Level(LabelledEnum):
    """Administrative level of an organ 层级; `rank` 1 is the top."""

    PROVINCE = "province", "省级", "Province"
    CITY = "city", "市级", "City"
    COUNTY = "county", "县级", "County"
    TOWNSHIP = "township", "乡镇级", "Township"

    @property
    def rank(self) -> int:
        return _LEVEL_RANKS[self.value]

    @classmethod
    def from_rank(cls, rank: int) -> Level:
        for level in cls:
            if level.rank == rank:
                return level
        raise InvalidInput(
            "level_unknown_rank", f"层级序号{rank}无效", f"No level has rank {rank}", rank=rank
        )


_LEVEL_RANKS = {"province": 1, "city": 2, "county": 3, "township": 4}


class OrganKind(LabelledEnum):
    """What kind of organ 机关类型."""

    COMMISSION = "commission", "纪委监委", "Discipline inspection and supervision commission"
    STATIONED_UNIT = "stationed_unit", "派驻纪检监察组", "Stationed unit"
    ENTERPRISE_COMMISSION = (
        "enterprise_commission",
        "省属企业纪委",
        "Provincial state-owned enterprise commission",
    )


class Office(LabelledEnum):
    """An office inside a commission 内设机构."""

    PETITION = "petition", "信访室", "Petition office"
    SUPERVISION = "supervision", "监督检查室", "Supervision and inspection office"
    INVESTIGATION = "investigation", "审查调查室", "Review and investigation office"
    CASE_MANAGEMENT = "case_management", "案件监督管理室", "Case supervision and management office"


# --- what comes in -------------------------------------------------------------------


class Channel(LabelledEnum):
    """How a report arrived 来源渠道 (信、访、网、电 and hand-overs)."""

    LETTER = "letter", "来信", "Letter"
    VISIT = "visit", "来访", "Visit"
    WEB = "web", "网络举报", "Online"
    PHONE = "phone", "电话举报", "Phone (12388)"
    BODY_HANDOVER = "body_handover", "有关单位移交", "Handed over by another body"
    UPPER_HANDOVER = "upper_handover", "上级转交办", "Forwarded or assigned from above"


class Identity(LabelledEnum):
    """Whether the reporter gave their name 实名/匿名."""

    REAL_NAME = "real_name", "实名", "Real-name"
    ANONYMOUS = "anonymous", "匿名", "Anonymous"


class Scope(LabelledEnum):
    """Within the commission's business scope or not 业务范围."""

    IN_SCOPE = "in_scope", "业务范围内", "In scope"
    OUT_OF_SCOPE = "out_of_scope", "业务范围外", "Out of scope"


class ReportType(LabelledEnum):
    """Type of an in-scope report 信访举报类型."""

    ACCUSATION = "accusation", "检举控告", "Accusation or complaint"
    CRITICISM_SUGGESTION = "criticism_suggestion", "批评建议", "Criticism or suggestion"
    APPEAL = "appeal", "申诉", "Appeal"
    OTHER = "other", "其他", "Other"


class ProblemCategory(LabelledEnum):
    """Problem category 问题类别, declared in the order of recording priority."""

    EIGHT_POINT_RULES = (
        "eight_point_rules",
        "违反中央八项规定精神",
        "Violation of the central eight-point rules",
    )
    POLITICAL_DISCIPLINE = "political_discipline", "违反政治纪律", "Political discipline"
    ORGANISATIONAL_DISCIPLINE = (
        "organisational_discipline",
        "违反组织纪律",
        "Organisational discipline",
    )
    INTEGRITY_DISCIPLINE = "integrity_discipline", "违反廉洁纪律", "Integrity discipline"
    MASS_DISCIPLINE = "mass_discipline", "违反群众纪律", "Mass discipline"
    WORK_DISCIPLINE = "work_discipline", "违反工作纪律", "Work discipline"
    LIFE_DISCIPLINE = "life_discipline", "违反生活纪律", "Life discipline"
    DUTY_VIOLATION = "duty_violation", "职务违法", "Duty violation"
    DUTY_CRIME = "duty_crime", "职务犯罪", "Duty crime"
    OTHER = "other", "其他", "Other"

    @property
    def priority(self) -> int:
        """0 is recorded first when a report raises several problems."""
        return list(type(self)).index(self)

    @property
    def is_discipline(self) -> bool:
        """One of the six disciplines 六大纪律."""
        return self in _SIX_DISCIPLINES

    @classmethod
    def primary(cls, categories: Iterable[ProblemCategory]) -> ProblemCategory:
        """The category to record first; `other` when none is given."""
        return min(categories, key=lambda c: c.priority, default=cls.OTHER)


_SIX_DISCIPLINES = frozenset(
    {
        ProblemCategory.POLITICAL_DISCIPLINE,
        ProblemCategory.ORGANISATIONAL_DISCIPLINE,
        ProblemCategory.INTEGRITY_DISCIPLINE,
        ProblemCategory.MASS_DISCIPLINE,
        ProblemCategory.WORK_DISCIPLINE,
        ProblemCategory.LIFE_DISCIPLINE,
    }
)


class ConductPeriod(LabelledEnum):
    """Whether the conduct happened before or after the configured cut-off date."""

    BEFORE_CUTOFF = "before_cutoff", "截止日期前", "Before the cut-off date"
    AFTER_CUTOFF = "after_cutoff", "截止日期后", "After the cut-off date"
    UNKNOWN = "unknown", "不详", "Unknown"


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


class CadreLevel(LabelledEnum):
    """Management level of a reported person 干部管理权限."""

    PROVINCE_MANAGED = "province_managed", "省管干部", "Province-managed cadre"
    CITY_MANAGED = "city_managed", "市管干部", "City-managed cadre"
    COUNTY_MANAGED = "county_managed", "县管干部", "County-managed cadre"
    TOWNSHIP_MANAGED = "township_managed", "乡科级及以下干部", "Township-managed cadre"
    VILLAGE_CADRE = "village_cadre", "村(社区)干部", "Village cadre"
    PARTY_MEMBER = "party_member", "一般党员", "Ordinary party member"
    SUPERVISION_OBJECT = "supervision_object", "其他监察对象", "Other supervision object"

    @property
    def managing_level(self) -> Level | None:
        """The level of the party committee that manages such a person, if fixed by level."""
        return _CADRE_MANAGING_LEVEL.get(self.value)


_CADRE_MANAGING_LEVEL = {
    "province_managed": Level.PROVINCE,
    "city_managed": Level.CITY,
    "county_managed": Level.COUNTY,
    "township_managed": Level.TOWNSHIP,
    "village_cadre": Level.TOWNSHIP,
    "party_member": Level.TOWNSHIP,
}


class RepeatStatus(LabelledEnum):
    """First report or repeat 初次/重复."""

    FIRST = "first", "初信初访", "First report"
    REPEAT = "repeat", "重复举报", "Repeat report"


class RealNameCheck(LabelledEnum):
    """How a real-name report was confirmed 实名核实方式."""

    BY_PHONE = "by_phone", "电话核实", "By phone"
    IN_PERSON = "in_person", "当面核实", "In person"


# --- routing -------------------------------------------------------------------------


class TransferKind(LabelledEnum):
    """A routing action 流转方式; each is an event in the custody chain."""

    INTERNAL_TRANSFER = "internal_transfer", "移送", "Internal transfer"
    RETURN_TO_PETITION = "return_to_petition", "回退", "Return to the petition office"
    FORWARD_DOWN = "forward_down", "转送", "Forward down"
    ASSIGN_DOWN = "assign_down", "交办", "Assign down"
    SUPERVISE_DOWN = "supervise_down", "督办", "Supervise down"
    REPORT_UP = "report_up", "报送", "Report up"
    TO_STATIONED_UNIT = "to_stationed_unit", "转派驻机构", "To a stationed unit"
    FROM_STATIONED_UNIT = "from_stationed_unit", "派驻机构转回", "Back from a stationed unit"
    HAND_OVER_OUTWARD = "hand_over_outward", "移交", "Hand over outward"

    @property
    def goes_down(self) -> bool:
        return self in _DOWNWARD

    @property
    def needs_report_back(self) -> bool:
        """Assigned and supervised cases must report their result back 报结."""
        return self in (TransferKind.ASSIGN_DOWN, TransferKind.SUPERVISE_DOWN)


_DOWNWARD = frozenset(
    {TransferKind.FORWARD_DOWN, TransferKind.ASSIGN_DOWN, TransferKind.SUPERVISE_DOWN}
)


# --- handling and closing ------------------------------------------------------------


class Disposal(LabelledEnum):
    """Disposal mode of a lead 线索处置方式."""

    INQUIRY = "inquiry", "谈话函询", "Talk or letter of inquiry"
    PRELIMINARY_VERIFICATION = "preliminary_verification", "初步核实", "Preliminary verification"
    HOLD = "hold", "暂存待查", "Hold for later"
    CLOSE = "close", "予以了结", "Close"


class Outcome(LabelledEnum):
    """Outcome of handling 处理结果."""

    CASE_FILED = "case_filed", "立案审查调查", "Case filed"
    PARTY_SANCTION = "party_sanction", "党纪处分", "Party sanction"
    ADMINISTRATIVE_SANCTION = "administrative_sanction", "政务处分", "Administrative sanction"
    ADMONISHING_TALK = "admonishing_talk", "诫勉谈话", "Admonishing talk"
    CRITICISM_EDUCATION = "criticism_education", "批评教育", "Criticism and education"
    JUDICIAL_TRANSFER = "judicial_transfer", "移送司法机关", "Transferred to judicial organs"
    NOT_SUBSTANTIATED = "not_substantiated", "查否", "Not substantiated"
    NAME_CLEARED = "name_cleared", "澄清正名", "Name cleared"
    FALSE_ACCUSATION = "false_accusation", "诬告陷害", "False accusation found"


class Substantiation(LabelledEnum):
    """Whether the reported problem proved true 反映问题属实情况."""

    TRUE = "true", "属实", "True"
    PARTLY_TRUE = "partly_true", "部分属实", "Partly true"
    UNTRUE = "untrue", "不属实", "Untrue"


class Satisfaction(LabelledEnum):
    """Reporter satisfaction on follow-up 回访满意度."""

    SATISFIED = "satisfied", "满意", "Satisfied"
    BASICALLY_SATISFIED = "basically_satisfied", "基本满意", "Basically satisfied"
    DISSATISFIED = "dissatisfied", "不满意", "Dissatisfied"


class NotificationMethod(LabelledEnum):
    """How the reporter was told 告知方式."""

    SMS = "sms", "短信", "SMS"
    PHONE = "phone", "电话", "Phone"
    LETTER = "letter", "书面", "Letter"
    IN_PERSON = "in_person", "当面", "In person"


class FiveInPlace(LabelledEnum):
    """The "five in place" checks before archiving 五个到位."""

    INVESTIGATION = "investigation", "调查到位", "Investigation"
    HANDLING = "handling", "处理到位", "Handling"
    FEEDBACK = "feedback", "反馈到位", "Feedback"
    ARCHIVING = "archiving", "归档到位", "Archiving"
    EDUCATION = "education", "教育到位", "Education"


# --- supervision ---------------------------------------------------------------------


class WarningLevel(LabelledEnum):
    """Deadline warning colour 预警等级."""

    GREEN = "green", "正常", "On time"
    YELLOW = "yellow", "黄色预警", "Yellow warning"
    RED = "red", "红色预警(超期)", "Red: overdue"


class OrderLevel(LabelledEnum):
    """Level of a supervision order 督办等级."""

    ORDINARY = "ordinary", "一般督办", "Ordinary"
    YELLOW_CARD = "yellow_card", "黄牌督办", "Yellow card"
    RED_CARD = "red_card", "红牌督办", "Red card"


class EvaluationDimension(LabelledEnum):
    """Scoring dimensions of case-quality evaluation 一案一评."""

    RESPONSIBILITY = "responsibility", "责任落实", "Responsibility"
    PROCEDURE = "procedure", "办理程序", "Procedure"
    INVESTIGATION = "investigation", "实施调查", "Investigation"
    DISPOSAL = "disposal", "处理处置", "Disposal"
    REPLY_FEEDBACK = "reply_feedback", "答复反馈", "Reply and feedback"


class EvaluationGrade(LabelledEnum):
    """Grade of an evaluated case 评定等次."""

    EXCELLENT = "excellent", "优秀", "Excellent"
    PASS = "pass", "合格", "Pass"
    FAIL = "fail", "不合格", "Fail"


class Role(LabelledEnum):
    """Roles of people using the platform 用户角色."""

    PETITION_CLERK = "petition_clerk", "信访干部", "Petition clerk"
    HANDLER = "handler", "承办人", "Handler"
    LEADER = "leader", "分管领导", "Leader in charge"
    CASE_MANAGER = "case_manager", "案管人员", "Case manager"
    EVALUATOR = "evaluator", "评查人员", "Evaluator"
    AUDITOR = "auditor", "审计人员", "Auditor"
    ADMINISTRATOR = "administrator", "系统管理员", "Administrator"
    REPORTER = "reporter", "信访举报人", "Reporter"
