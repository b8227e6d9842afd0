"""The petition's refusals 信访件拒绝清单: every coded, bilingual error intake's domain gives.

One function per refusal, so a code and its two messages are written once and registration,
correction and screening give the same answer for the same rule. Identity never enters a
message or a detail.
"""

from __future__ import annotations

from typing import Any

from domain.errors import Conflict, Forbidden, InvalidInput
from domain.guards import invalid

MAX_SUMMARY = 500
MAX_FULL_TEXT = 100_000
MAX_PERSONS = 50
MAX_KEYWORDS = 20
MAX_KEYWORD = 30
MAX_NAME = 50
MAX_TEXT = 200
MAX_VISITORS = 10_000
MAX_ATTACHMENTS = 100

# --- reporter identity 举报人身份 ----------------------------------------------------------


def id_number_malformed() -> InvalidInput:
    return invalid(
        "reporter_id_number_malformed",
        "身份证号码应为18位:17位数字加1位校验码(数字或X)",
        "The ID card number must be 17 digits and a check character (digit or X)",
        field="reporter.id_number",
    )


def id_number_bad_birth_date() -> InvalidInput:
    return invalid(
        "reporter_id_number_bad_birth_date",
        "身份证号码中的出生日期无效",
        "The date of birth inside the ID card number is not a valid date",
        field="reporter.id_number",
    )


def id_number_bad_check_digit() -> InvalidInput:
    return invalid(
        "reporter_id_number_bad_check_digit",
        "身份证号码校验码不正确(GB 11643)",
        "The ID card number's check character is wrong (GB 11643)",
        field="reporter.id_number",
    )


def reporter_name_invalid() -> InvalidInput:
    return invalid(
        "reporter_name_invalid",
        f"实名举报人姓名不能为空且不超过{MAX_NAME}个字",
        f"A real-name reporter's name must be 1 to {MAX_NAME} characters",
        field="reporter.name",
    )


def reporter_phone_invalid() -> InvalidInput:
    return invalid(
        "reporter_phone_invalid",
        "联系电话格式不正确",
        "The phone number is not valid",
        field="reporter.phone",
    )


def reporter_address_too_long() -> InvalidInput:
    return invalid(
        "reporter_address_too_long",
        f"地址不能超过{MAX_TEXT}个字",
        f"The address must be at most {MAX_TEXT} characters",
        field="reporter.address",
    )


# --- what the report says 举报内容 ---------------------------------------------------------


def reported_person_name_invalid() -> InvalidInput:
    return invalid(
        "reported_person_name_invalid",
        f"被反映人姓名不能为空且不超过{MAX_NAME}个字",
        f"A reported person's name must be 1 to {MAX_NAME} characters",
        field="reported_persons.name",
    )


def reported_person_text_too_long() -> InvalidInput:
    return invalid(
        "reported_person_text_too_long",
        f"被反映人单位和职务不能超过{MAX_TEXT}个字",
        f"A reported person's unit and position must be at most {MAX_TEXT} characters",
        field="reported_persons",
    )


def attachment_metadata_invalid() -> InvalidInput:
    return invalid(
        "attachment_metadata_invalid",
        "附件元数据无效",
        "The attachment metadata is invalid",
        field="attachments",
    )


def attachment_kind_unknown(allowed: list[str]) -> InvalidInput:
    return invalid(
        "attachment_kind_unknown",
        "附件类型无效",
        "Unknown attachment kind",
        field="attachments.kind",
        allowed=allowed,
    )


def attachments_too_many_given() -> InvalidInput:
    return invalid(
        "attachments_too_many",
        f"附件不能超过{MAX_ATTACHMENTS}个",
        f"At most {MAX_ATTACHMENTS} attachments",
        field="attachments",
    )


def attachments_too_many_held() -> Conflict:
    return Conflict(
        "attachments_too_many",
        f"附件不能超过{MAX_ATTACHMENTS}个",
        f"At most {MAX_ATTACHMENTS} attachments",
    )


def received_after_registered() -> InvalidInput:
    return invalid(
        "received_after_registered",
        "收到时间不能晚于登记时间",
        "The received time cannot be later than the registration time",
        field="received_at",
    )


def visitors_out_of_range() -> InvalidInput:
    return invalid(
        "visitors_out_of_range",
        f"来访人次应在1到{MAX_VISITORS}之间",
        f"The number of visitors must be between 1 and {MAX_VISITORS}",
        field="visitors",
    )


def visitors_only_for_visits() -> InvalidInput:
    return invalid(
        "visitors_only_for_visits",
        "只有来访可以登记多人次",
        "Only a visit can have more than one person",
        field="visitors",
    )


def handover_fields_without_handover() -> InvalidInput:
    return invalid(
        "handover_fields_without_handover",
        "只有移交或转交办件可以填写移交单位和文号",
        "Only a handed-over report can name the body that handed it over",
        field="handed_over_from",
    )


def summary_invalid() -> InvalidInput:
    return invalid(
        "summary_invalid",
        f"问题摘要不能为空且不超过{MAX_SUMMARY}个字",
        f"The problem summary must be 1 to {MAX_SUMMARY} characters",
        field="summary",
    )


def full_text_too_long() -> InvalidInput:
    return invalid(
        "full_text_too_long",
        f"全文不能超过{MAX_FULL_TEXT}个字",
        f"The full text must be at most {MAX_FULL_TEXT} characters",
        field="full_text",
    )


def reported_persons_too_many() -> InvalidInput:
    return invalid(
        "reported_persons_too_many",
        f"被反映人不能超过{MAX_PERSONS}人",
        f"At most {MAX_PERSONS} reported persons",
        field="reported_persons",
    )


def categories_duplicate() -> InvalidInput:
    return invalid(
        "categories_duplicate",
        "问题类别重复",
        "A problem category is given twice",
        field="categories",
    )


def codes_invalid(field: str) -> InvalidInput:
    return invalid(
        f"{field}_invalid", "代码为空或重复", "A code is empty or given twice", field=field
    )


def keywords_invalid() -> InvalidInput:
    return invalid(
        "keywords_invalid",
        f"关键词不超过{MAX_KEYWORDS}个,每个不超过{MAX_KEYWORD}个字",
        f"At most {MAX_KEYWORDS} keywords of at most {MAX_KEYWORD} characters each",
        field="keywords",
    )


# --- corrections 更正 --------------------------------------------------------------------


def correction_field_unknown(unknown: list[str], allowed: list[str]) -> InvalidInput:
    return invalid(
        "correction_field_unknown",
        "更正包含不可更正的字段",
        "The correction names fields that cannot be corrected",
        fields=unknown,
        allowed=allowed,
    )


def correction_changes_nothing() -> InvalidInput:
    return invalid(
        "correction_changes_nothing", "更正没有改变任何内容", "The correction changes nothing"
    )


def report_type_before_acceptance() -> Conflict:
    return Conflict(
        "report_type_before_acceptance",
        "未受理的件没有举报类型可更正",
        "Only an accepted petition has a report type to correct",
    )


# --- screening 甄别 ----------------------------------------------------------------------


def already_screened(stage: str) -> Conflict:
    return Conflict(
        "petition_already_screened",
        "该件已经甄别",
        "This petition has already been screened",
        stage=stage,
    )


def not_accept_pending() -> Conflict:
    return Conflict(
        "not_accept_pending",
        "不予受理意见正在等待领导审批,不能另作甄别",
        "A proposal not to accept awaits a leader's decision; screen it otherwise later",
    )


def not_accept_not_proposed() -> Conflict:
    return Conflict(
        "not_accept_not_proposed",
        "没有待审批的不予受理意见",
        "No proposal not to accept is waiting for a decision",
    )


def petition_clerk_required(**details: Any) -> Forbidden:
    return Forbidden(
        "petition_clerk_required",
        "不予受理意见须由本机关信访室的信访干部提出",
        "Only a petition clerk of this organ's petition office proposes not to accept",
        **details,
    )


def leader_of_organ_required(**details: Any) -> Forbidden:
    return Forbidden(
        "leader_of_organ_required",
        "不予受理须经本机关分管领导审批",
        "Not accepting is decided by a leader in charge of this organ",
        **details,
    )


def proposer_cannot_decide() -> Forbidden:
    return Forbidden(
        "proposer_cannot_decide",
        "提出不予受理意见的人不能自行审批",
        "Whoever proposed not to accept cannot decide on the proposal",
    )


def repeat_of_itself() -> Conflict:
    return Conflict(
        "repeat_of_itself",
        "不能将信访件关联为自身的重复件",
        "A petition cannot be a repeat of itself",
    )


def repeat_first_not_accepted(first_case_id: str) -> Conflict:
    return Conflict(
        "repeat_first_not_accepted",
        "首件尚未受理,不能关联为重复件",
        "The first case has not been accepted, so nothing can be a repeat of it",
        first_case_id=first_case_id,
    )


# --- real name, notification, progress 实名、告知、进度 -------------------------------------


def real_name_already_verified() -> Conflict:
    return Conflict(
        "real_name_already_verified", "实名已经核实", "The real name has already been verified"
    )


def petition_anonymous() -> Conflict:
    return Conflict(
        "petition_anonymous",
        "匿名件没有举报人身份",
        "An anonymous petition has no reporter identity",
    )


def petition_not_screened() -> Conflict:
    return Conflict(
        "petition_not_screened",
        "该件尚未甄别,无可告知",
        "This petition has not been screened yet, so there is nothing to tell",
    )


def acceptance_already_notified() -> Conflict:
    return Conflict(
        "acceptance_already_notified", "受理情况已经告知", "The reporter has already been told"
    )


def notified_at_out_of_range() -> InvalidInput:
    return invalid(
        "notified_at_out_of_range",
        "告知时间应在收到时间之后、当前时间之前",
        "The notification time must be after receipt and not in the future",
        field="notified_at",
    )


def petition_not_accepted(stage: str) -> Conflict:
    return Conflict(
        "petition_not_accepted",
        "该件未受理,不进入办理",
        "This petition was not accepted, so it is not handled",
        stage=stage,
    )


def petition_not_in_handling(stage: str) -> Conflict:
    return Conflict(
        "petition_not_in_handling",
        "该件不在办理中,不能办结",
        "This petition is not being handled, so it cannot be concluded",
        stage=stage,
    )
