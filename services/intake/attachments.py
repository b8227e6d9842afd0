"""Attachment storage 附件存储: content-addressed by sha256 under the data directory.

A file is streamed to a temporary file beside the store while it is hashed and measured;
only a file within the size limit whose content is of an allowed type is moved into place
(`<root>/<aa>/<bb>/<sha256>`). A refused file leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from domain.errors import InvalidInput, NotFound

CHUNK = 1 << 20

# Allowed types and how to recognise their content 内容识别 (declared types are not trusted).
_SIGNATURES: dict[str, tuple[tuple[int, bytes], ...]] = {
    "application/pdf": ((0, b"%PDF-"),),
    "image/jpeg": ((0, b"\xff\xd8\xff"),),
    "image/png": ((0, b"\x89PNG\r\n\x1a\n"),),
    "image/tiff": ((0, b"II*\x00"), (0, b"MM\x00*")),
    "audio/mpeg": ((0, b"ID3"), (0, b"\xff\xfb"), (0, b"\xff\xf3"), (0, b"\xff\xf2")),
    "audio/wav": ((0, b"RIFF"),),
    "audio/amr": ((0, b"#!AMR"),),
    "audio/mp4": ((4, b"ftyp"),),
}
ALLOWED_TYPES = tuple(_SIGNATURES)
DEFAULT_MAX_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True)
class StoredFile:
    """What the store knows about one stored content."""

    sha256: str
    size: int
    media_type: str


class AttachmentStore:
    """Content-addressed files with a size limit and a list of allowed types."""

    def __init__(
        self,
        root: Path,
        max_bytes: int = DEFAULT_MAX_BYTES,
        allowed_types: Iterable[str] = ALLOWED_TYPES,
    ) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.allowed_types = tuple(allowed_types)

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, source: BinaryIO, declared_type: str) -> StoredFile:
        """Store the content if allowed; refuse it, storing nothing, otherwise."""
        declared = declared_type.split(";")[0].strip().lower()
        if declared not in self.allowed_types:
            raise _type_refused(declared, self.allowed_types)
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        head = b""
        fd, name = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        temp = Path(name)
        try:
            with os.fdopen(fd, "wb") as handle:
                while chunk := source.read(CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise InvalidInput(
                            "attachment_too_large",
                            f"附件不能超过{self.max_bytes // (1024 * 1024)}MB",
                            f"An attachment must be at most {self.max_bytes // (1024 * 1024)} MB",
                            max_bytes=self.max_bytes,
                        )
                    if len(head) < 16:
                        head += chunk[: 16 - len(head)]
                    digest.update(chunk)
                    handle.write(chunk)
            if size == 0:
                raise InvalidInput("attachment_empty", "附件内容为空", "The attachment is empty")
            if not _matches(head, declared):
                raise InvalidInput(
                    "attachment_content_mismatch",
                    "附件内容与声明的类型不符",
                    "The attachment's content does not match its declared type",
                    declared_type=declared,
                )
            sha = digest.hexdigest()
            final = self.path_of(sha)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp, final)  # the same content twice lands on the same path
            return StoredFile(sha, size, declared)
        finally:
            temp.unlink(missing_ok=True)

    def open(self, sha256: str) -> BinaryIO:
        path = self.path_of(sha256)
        if len(sha256) != 64 or not path.is_file():
            raise NotFound("attachment_unknown", "附件不存在", "No such attachment")
        return path.open("rb")


def _matches(head: bytes, media_type: str) -> bool:
    return any(head[offset:].startswith(magic) for offset, magic in _SIGNATURES[media_type])


def _type_refused(declared: str, allowed: tuple[str, ...]) -> InvalidInput:
    return InvalidInput(
        "attachment_type_refused",
        "附件类型不允许:仅接受PDF、图片(JPEG/PNG/TIFF)和录音(MP3/WAV/AMR/M4A)",
        "This file type is not allowed: only PDF, images (JPEG/PNG/TIFF) and recordings "
        "(MP3/WAV/AMR/M4A)",
        declared_type=declared[:100],
        allowed=list(allowed),
    )
