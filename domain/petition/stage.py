"""Where a petition is 办理进度, the words a reporter sees, and what a correction may change."""

from __future__ import annotations

__all__ = ["CORRECTABLE", "Stage"]


class Stage:
    """Where a petition is, as the reporter may see it 办理进度."""

    RECEIVED = "received"
    ACCEPTED = "accepted"
    DIVERTED = "diverted"
    NOT_ACCEPTED = "not_accepted"
    REPEAT = "repeat"
    IN_HANDLING = "in_handling"
    CONCLUDED = "concluded"

    SCREENED = (ACCEPTED, DIVERTED, NOT_ACCEPTED, REPEAT)
    # Stages of a case whose handling has begun or may begin: a first case for repeats.
    HANDLED = (ACCEPTED, IN_HANDLING, CONCLUDED)

    # What a reporter is told of each stage, in Chinese and English.
    LABELS = {
        RECEIVED: ("已收到,正在甄别", "Received and being screened"),
        ACCEPTED: ("已受理", "Accepted for handling"),
        DIVERTED: (
            "不属于纪检监察机关受理范围,已告知向有关部门反映",
            "Outside the commission's scope; please turn to the department named",
        ),
        NOT_ACCEPTED: ("不予受理", "Not accepted"),
        REPEAT: (
            "已受理,与此前反映的同一问题合并办理",
            "Accepted and handled together with an earlier report of the same matter",
        ),
        IN_HANDLING: ("正在办理", "Being handled"),
        CONCLUDED: ("已办结", "Concluded"),
    }

    @classmethod
    def label(cls, stage: str) -> tuple[str, str]:
        """The Chinese and English words a reporter sees for a stage."""
        return cls.LABELS[stage]


# Fields a correction may change, other than the sealed reporter identity.
CORRECTABLE = (
    "summary",
    "full_text",
    "reported_persons",
    "categories",
    "key_fields",
    "keywords",
    "conduct_period",
    "conduct_date",
    "received_at",
    "visitors",
    "report_type",
)
