"""The petition 信访件: what intake registers and screens, one module per concern.

`values` (identity, reported persons, attachments, registration number), `description`
(what the report says, checked once), `stage` (where it is, as the reporter sees it),
`aggregate` (`Petition`) and `refusals` (its bilingual error catalogue).
"""

from domain.petition.aggregate import Petition
from domain.petition.description import ReportDescription
from domain.petition.refusals import (
    MAX_ATTACHMENTS,
    MAX_FULL_TEXT,
    MAX_KEYWORD,
    MAX_KEYWORDS,
    MAX_NAME,
    MAX_PERSONS,
    MAX_SUMMARY,
    MAX_TEXT,
    MAX_VISITORS,
)
from domain.petition.stage import CORRECTABLE, Stage
from domain.petition.values import (
    Attachment,
    AttachmentKind,
    ReportedPerson,
    ReporterIdentity,
    check_id_card_number,
    registration_number,
)

__all__ = [
    "CORRECTABLE",
    "MAX_ATTACHMENTS",
    "MAX_FULL_TEXT",
    "MAX_KEYWORD",
    "MAX_KEYWORDS",
    "MAX_NAME",
    "MAX_PERSONS",
    "MAX_SUMMARY",
    "MAX_TEXT",
    "MAX_VISITORS",
    "Attachment",
    "AttachmentKind",
    "Petition",
    "ReportDescription",
    "ReportedPerson",
    "ReporterIdentity",
    "Stage",
    "check_id_card_number",
    "registration_number",
]
