"""The domain's enumerations 业务词表: stable English codes with Chinese and English labels.

Codes are what is stored in events and crosses the wire; they never change. Labels are
for people and may be reworded. The base class and parsing live in
`domain.labels`, the configurable key-field catalogue in `domain.key_fields`; both are
re-exported here, so callers import every term from one place.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.errors import InvalidInput
from domain.key_fields import KeyField, KeyFieldCatalogue, KeyFieldEntry
from domain.labels import E, LabelledEnum, choices, parse

__all__ = [
    "E",
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
        # A lookup, not `list(type(self)).index(self)`: every parsed report sorts by it.
        return _CATEGORY_PRIORITY[self]

    @property
    def is_discipline(self) -> bool:
        """One of the six disciplines 六大纪律."""
        return self in _SIX_DISCIPLINES

    @classmethod
    def primary(cls, categories: Iterable[ProblemCategory]) -> ProblemCategory:
        """The category to record first; `other` when none is given."""
        return min(categories, key=lambda c: c.priority, default=cls.OTHER)


_CATEGORY_PRIORITY = {category: n for n, category in enumerate(ProblemCategory)}
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
