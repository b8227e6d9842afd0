"""The refusals of routing 办理拒绝: every code `Handling` may answer with, in both languages.

The aggregate raises only what this module builds, so the catalogue of codes a client
may meet is read in one place.
"""

from __future__ import annotations

from typing import Any

from domain.actors import Actor
from domain.errors import Conflict, Forbidden, InvalidInput
from domain.guards import require_text

# Required text: what is missing -> (code, Chinese, English).
_REQUIRED = {
    "organ": ("organ_required", "必须写明登记机关", "The registering organ is required"),
    "reason": ("reason_required", "必须写明理由", "A reason is required"),
    "external_body": (
        "external_body_required",
        "必须写明接收的系统外单位",
        "The outside body receiving the case is required",
    ),
    "to_organ": ("transfer_target_required", "必须写明接收机关", "The target organ is required"),
    "receiver": ("receiver_name_required", "必须写明签收人", "The person receiving must be named"),
    "findings": ("findings_required", "必须写明查核情况", "The findings are required"),
    "summary": ("summary_required", "必须写明报结情况", "A summary of the result is required"),
    "content": (
        "feedback_content_required",
        "必须写明反馈内容",
        "The feedback content is required",
    ),
}


def required(value: str | None, what: str) -> str:
    """The text stripped, or the refusal of `what` being missing."""
    code, zh, en = _REQUIRED[what]
    return require_text(value or "", what, code=code, message_zh=zh, message_en=en)


# --- the case as a whole -------------------------------------------------------------


def case_archived(case_id: Any) -> Conflict:
    return Conflict("case_archived", "案件已归档", "The case is archived", case_id=str(case_id))


def case_handed_over(case_id: Any, external_body: str | None) -> Conflict:
    return Conflict(
        "case_handed_over",
        "案件已移交系统外单位",
        "The case was handed over outside the system",
        case_id=str(case_id),
        external_body=external_body,
    )


def case_under_review() -> Conflict:
    return Conflict(
        "case_under_review", "案件正在审核报结", "The case is under review after report-back"
    )


def case_concluded() -> Conflict:
    return Conflict("case_concluded", "案件已办结", "The case is already concluded")


def not_concluded() -> Conflict:
    return Conflict("not_concluded", "案件尚未办结", "The case is not concluded yet")


def not_holder(holder_organ: str | None, holder_office: str | None, actor: Actor) -> Forbidden:
    return Forbidden(
        "not_holder",
        "只有当前持有案件的机关和部门可以办理",
        "Only the organ and office currently holding the case may do this",
        holder_organ=holder_organ,
        holder_office=holder_office,
        actor_organ=actor.organ_code,
        actor_office=actor.office,
    )


# --- transfers -----------------------------------------------------------------------


def transfer_pending(transfer_id: str, state: str) -> Conflict:
    return Conflict(
        "transfer_pending",
        "案件有尚未办结的流转，请先签收、拒收或撤回",
        "A transfer of this case is pending: receive, refuse or withdraw it first",
        transfer_id=transfer_id,
        transfer_state=state,
    )


def transfer_closed(transfer_id: str) -> Conflict:
    return Conflict(
        "transfer_closed",
        "该流转已经结束",
        "This transfer is already closed",
        transfer_id=transfer_id,
    )


def transfer_unknown(transfer_id: str) -> Conflict:
    return Conflict(
        "transfer_unknown",
        "案件没有这一流转",
        "The case has no such transfer",
        transfer_id=transfer_id,
    )


def outward_names_no_organ() -> InvalidInput:
    return InvalidInput(
        "transfer_target_unexpected",
        "移交系统外单位时不应指定内部机关",
        "A hand-over outward names an outside body, not an organ",
    )


def only_outward_names_a_body() -> InvalidInput:
    return InvalidInput(
        "transfer_target_unexpected",
        "内部流转不应指定系统外单位",
        "Only a hand-over outward names an outside body",
    )


def only_petition_office_transfers(office: str) -> Conflict:
    return Conflict(
        "transfer_wrong_office",
        "只有信访室可以移送",
        "Only the petition office transfers a case internally",
        office=office,
    )


def transfer_goes_to_handling_office(office: str) -> InvalidInput:
    return InvalidInput(
        "transfer_wrong_office",
        "移送的对象应为监督检查室或审查调查室",
        "An internal transfer goes to the supervision or investigation office",
        office=office,
    )


def petition_office_cannot_return(office: str) -> Conflict:
    return Conflict(
        "transfer_wrong_office",
        "信访室不能回退给自己",
        "The petition office cannot return a case to itself",
        office=office,
    )


def return_goes_to_petition_office(office: str) -> InvalidInput:
    return InvalidInput(
        "transfer_wrong_office",
        "回退只能退回信访室",
        "A return goes to the petition office",
        office=office,
    )


def office_not_at_organ(organ: str, office: str) -> InvalidInput:
    return InvalidInput(
        "office_not_at_organ",
        "接收机关没有该部门",
        "The target organ has no such office",
        organ_code=organ,
        office=office,
    )


def transfer_to_self(organ: str) -> Conflict:
    return Conflict(
        "transfer_to_self",
        "不能流转给本机关",
        "A case cannot be routed to the organ that holds it",
        organ_code=organ,
    )


def not_leader_of_holder(holder_organ: str | None, actor: Actor) -> Forbidden:
    return Forbidden(
        "not_holder",
        "只有持有案件机关的领导可以签批",
        "Only a leader of the organ holding the case signs transfers off",
        holder_organ=holder_organ,
        actor_organ=actor.organ_code,
    )


def leader_required() -> Forbidden:
    return Forbidden(
        "leader_required", "流转须经分管领导签批", "A transfer is signed off by a leader"
    )


def proposer_cannot_approve() -> Forbidden:
    return Forbidden(
        "proposer_cannot_approve",
        "提出流转的人不能自行签批",
        "Whoever proposed a transfer cannot sign it off",
    )


def transfer_already_approved(transfer_id: str) -> Conflict:
    return Conflict(
        "transfer_already_approved",
        "该流转已经签批",
        "This transfer is already signed off",
        transfer_id=transfer_id,
    )


def transfer_not_approved(transfer_id: str) -> Conflict:
    return Conflict(
        "transfer_not_approved",
        "流转尚未经领导签批，不能发出",
        "The transfer has not been signed off by a leader",
        transfer_id=transfer_id,
    )


def transfer_already_dispatched(transfer_id: str) -> Conflict:
    return Conflict(
        "transfer_already_dispatched",
        "该流转已经发出",
        "This transfer was already dispatched",
        transfer_id=transfer_id,
    )


def dispatched_cannot_be_withdrawn(transfer_id: str) -> Conflict:
    return Conflict(
        "transfer_already_dispatched",
        "流转已经发出，只能由接收方签收或拒收",
        "The transfer was dispatched: the target receives or refuses it",
        transfer_id=transfer_id,
    )


def transfer_not_dispatched(transfer_id: str) -> Conflict:
    return Conflict(
        "transfer_not_dispatched",
        "流转尚未发出",
        "The transfer has not been dispatched",
        transfer_id=transfer_id,
    )


def not_target(organ: str | None, office: str | None, actor: Actor) -> Forbidden:
    return Forbidden(
        "not_target",
        "只有接收机关的接收部门可以签收或拒收",
        "Only the receiving office of the target organ may receive or refuse",
        target_organ=organ,
        target_office=office,
        actor_organ=actor.organ_code,
        actor_office=actor.office,
    )


# --- handling ------------------------------------------------------------------------


def outcome_means_untrue(outcome: str, substantiation: str) -> InvalidInput:
    return InvalidInput(
        "conclusion_inconsistent",
        "查否、澄清正名或诬告陷害的结论应认定反映问题不属实",
        "This outcome means the problem was found untrue",
        outcome=outcome,
        substantiation=substantiation,
    )


def sanction_needs_truth(outcome: str, substantiation: str) -> InvalidInput:
    return InvalidInput(
        "conclusion_inconsistent",
        "反映问题不属实，不能作出处理处分",
        "A sanction needs the problem found at least partly true",
        outcome=outcome,
        substantiation=substantiation,
    )


def disposal_missing() -> Conflict:
    return Conflict(
        "disposal_missing", "尚未确定线索处置方式", "Choose a disposal mode before concluding"
    )


def no_assignment() -> Conflict:
    return Conflict(
        "no_assignment",
        "本案不是上级交办或督办案件，无需报结",
        "The case was not assigned from above: there is nothing to report back",
    )


def not_under_review() -> Conflict:
    return Conflict("not_under_review", "案件不在报结审核中", "The case is not awaiting review")


def five_in_place_empty() -> InvalidInput:
    return InvalidInput("five_in_place_empty", "请至少确认一项", "Confirm at least one of the five")


def report_back_required(assigned_by: str) -> Conflict:
    return Conflict(
        "report_back_required",
        "交办案件须先报结并经审核通过",
        "An assigned case is reported back and accepted before it is archived",
        assigned_by=assigned_by,
    )


def five_in_place_incomplete(missing: list[str]) -> Conflict:
    return Conflict(
        "five_in_place_incomplete",
        "“五个到位”尚未全部确认",
        "The five-in-place checks are not all confirmed",
        missing=missing,
    )


def repeat_self() -> InvalidInput:
    return InvalidInput("repeat_self", "案件不能是自己的重复举报", "A case cannot repeat itself")
