"""Values a petition is built from: the reporter's identity, reported persons, attachments,
and the registration number 编号."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from domain.petition import refusals
from domain.petition.refusals import MAX_NAME, MAX_TEXT
from domain.vocabulary import CadreLevel, parse

__all__ = [
    "Attachment",
    "AttachmentKind",
    "ReportedPerson",
    "ReporterIdentity",
    "check_id_card_number",
    "registration_number",
]

# GB 11643-1999 citizen identity number: 17 digits and a check character.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_PATTERN = re.compile(r"^[1-9]\d{16}[\dX]$")
_PHONE_PATTERN = re.compile(r"^\+?\d[\d\- ]{5,22}\d$")
_SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
_MEDIA_TYPE_PATTERN = re.compile(r"^[a-z]+/[a-z0-9.+\-]+$")


def registration_number(organ_code: str, year: int, n: int) -> str:
    """The running registration number 编号 of the n-th petition of an organ in a year."""
    return f"{organ_code}-{year}-{n:06d}"


def check_id_card_number(number: str) -> str:
    """The ID card number 身份证号 normalised, or InvalidInput if it fails GB 11643.

    Checks the form, the date of birth and the check character. The number itself is
    never put in the error.
    """
    normalised = number.strip().upper()
    if not _ID_PATTERN.match(normalised):
        raise refusals.id_number_malformed()
    try:
        date(int(normalised[6:10]), int(normalised[10:12]), int(normalised[12:14]))
    except ValueError:
        raise refusals.id_number_bad_birth_date() from None
    total = sum(int(d) * w for d, w in zip(normalised[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != normalised[17]:
        raise refusals.id_number_bad_check_digit()
    return normalised


@dataclass(frozen=True)
class ReporterIdentity:
    """A real-name reporter's identity 实名举报人身份, held in clear only until sealed."""

    name: str
    id_number: str
    phone: str
    address: str = ""

    @classmethod
    def create(cls, name: str, id_number: str, phone: str, address: str = "") -> ReporterIdentity:
        """A validated, normalised identity; refusals never echo the values."""
        name = name.strip()
        if not name or len(name) > MAX_NAME:
            raise refusals.reporter_name_invalid()
        phone = phone.strip()
        if not _PHONE_PATTERN.match(phone):
            raise refusals.reporter_phone_invalid()
        address = address.strip()
        if len(address) > MAX_TEXT:
            raise refusals.reporter_address_too_long()
        return cls(name, check_id_card_number(id_number), phone, address)

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReporterIdentity:
        return cls(
            str(data["name"]),
            str(data["id_number"]),
            str(data["phone"]),
            str(data.get("address", "")),
        )

    def __repr__(self) -> str:  # never print identity by accident
        return "ReporterIdentity(<sealed>)"

    __str__ = __repr__


@dataclass(frozen=True)
class ReportedPerson:
    """A reported person 被反映人: name, unit, position and cadre management level."""

    name: str
    unit: str = ""
    position: str = ""
    cadre_level: str | None = None

    @classmethod
    def create(
        cls, name: str, unit: str = "", position: str = "", cadre_level: str | None = None
    ) -> ReportedPerson:
        name, unit, position = name.strip(), unit.strip(), position.strip()
        if not name or len(name) > MAX_NAME:
            raise refusals.reported_person_name_invalid()
        if len(unit) > MAX_TEXT or len(position) > MAX_TEXT:
            raise refusals.reported_person_text_too_long()
        level = None if cadre_level is None else parse(CadreLevel, cadre_level).value
        return cls(name, unit, position, level)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReportedPerson:
        return cls.create(
            str(data.get("name", "")),
            str(data.get("unit") or ""),
            str(data.get("position") or ""),
            data.get("cadre_level"),
        )


class AttachmentKind:
    """Kinds of attachment 附件类型 (plain codes)."""

    LETTER_SCAN = "letter_scan"
    PHOTO = "photo"
    RECORDING = "recording"
    DOCUMENT = "document"
    ALL = (LETTER_SCAN, PHOTO, RECORDING, DOCUMENT)


@dataclass(frozen=True)
class Attachment:
    """Metadata of a stored attachment 附件; the content is addressed by its sha256."""

    sha256: str
    size: int
    media_type: str
    kind: str

    @classmethod
    def create(cls, sha256: str, size: int, media_type: str, kind: str) -> Attachment:
        if (
            not _SHA256_PATTERN.match(sha256)
            or size < 1
            or not _MEDIA_TYPE_PATTERN.match(media_type)
        ):
            raise refusals.attachment_metadata_invalid()
        if kind not in AttachmentKind.ALL:
            raise refusals.attachment_kind_unknown(list(AttachmentKind.ALL))
        return cls(sha256, size, media_type, kind)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Attachment:
        """An attachment as recorded on an event (checked when it was recorded)."""
        return cls(
            str(data["sha256"]), int(data["size"]), str(data["media_type"]), str(data["kind"])
        )
