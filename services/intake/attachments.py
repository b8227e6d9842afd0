"""Attachment storage 附件存储: content-addressed by sha256, encrypted at rest.

An upload is read into memory (it is at most `max_bytes`) while it is hashed and measured;
only content within the size limit and of an allowed type is encrypted and written, to a
temporary file moved into place (`<root>/<aa>/<bb>/<sha256>`). A refused file leaves
nothing behind, and no plaintext ever reaches the disk.

Encryption: AES-256-GCM under a key derived (HKDF, its own label) from the identity key,
in 1 MiB chunks, each with a fresh nonce and bound (associated data) to the content
address, its index and whether it is the last, so a file moved to another address, a
chunk reordered or a truncated file fails to open. The address is the sha256 of the
*plaintext*: the events already name it, the same scan uploaded twice is stored once
(ciphertexts differ by nonce, so their hashes could not deduplicate), and a download can
be checked against the address. The cost: whoever holds a candidate file can confirm that
it is stored, which the events (sha256 in the case history) would tell them anyway.
Files written before encryption (no magic header) are still served as they are.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from domain.errors import Conflict, InvalidInput, NotFound

CHUNK = 1 << 20
MAGIC = b"BATONAT1"
_NONCE = 12
_LENGTH = struct.Struct(">I")

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
        *,
        key: bytes,
        max_bytes: int = DEFAULT_MAX_BYTES,
        allowed_types: Iterable[str] = ALLOWED_TYPES,
    ) -> None:
        if len(key) != 32:
            raise ValueError("the identity key must be 32 bytes")
        self.root = root
        self.max_bytes = max_bytes
        self.allowed_types = tuple(allowed_types)
        self._aead = AESGCM(
            HKDF(
                algorithm=hashes.SHA256(), length=32, salt=None, info=b"baton/intake/attachment"
            ).derive(key)
        )

    def __repr__(self) -> str:
        return f"AttachmentStore({self.root!s}, <key>)"

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, source: BinaryIO, declared_type: str) -> StoredFile:
        """Store the content if allowed; refuse it, storing nothing, otherwise."""
        declared = declared_type.split(";")[0].strip().lower()
        if declared not in self.allowed_types:
            raise _type_refused(declared, self.allowed_types)
        plain = bytearray()
        while chunk := source.read(CHUNK):
            plain += chunk
            if len(plain) > self.max_bytes:
                raise InvalidInput(
                    "attachment_too_large",
                    f"附件不能超过{self.max_bytes // (1024 * 1024)}MB",
                    f"An attachment must be at most {self.max_bytes // (1024 * 1024)} MB",
                    max_bytes=self.max_bytes,
                )
        if not plain:
            raise InvalidInput("attachment_empty", "附件内容为空", "The attachment is empty")
        if not _matches(bytes(plain[:16]), declared):
            raise InvalidInput(
                "attachment_content_mismatch",
                "附件内容与声明的类型不符",
                "The attachment's content does not match its declared type",
                declared_type=declared,
            )
        sha = hashlib.sha256(plain).hexdigest()
        final = self.path_of(sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=final.parent, prefix=".upload-")
        temp = Path(name)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(MAGIC)
                for piece in self._seal(sha, memoryview(plain)):
                    handle.write(piece)
            os.replace(temp, final)  # the same content twice lands on the same path
            return StoredFile(sha, len(plain), declared)
        finally:
            temp.unlink(missing_ok=True)

    def open(self, sha256: str) -> BinaryIO:
        """The plaintext content stored under this address, as a readable stream."""
        path = self.path_of(sha256)
        if len(sha256) != 64 or not path.is_file():
            raise NotFound("attachment_unknown", "附件不存在", "No such attachment")
        handle = path.open("rb")
        if handle.read(len(MAGIC)) != MAGIC:
            handle.seek(0)  # stored before encryption at rest
            return handle
        return cast(BinaryIO, _Opened(self._open(sha256, handle)))

    def _seal(self, sha: str, plain: memoryview) -> Iterator[bytes]:
        count = max(1, -(-len(plain) // CHUNK))
        for index in range(count):
            nonce = os.urandom(_NONCE)
            piece = plain[index * CHUNK : (index + 1) * CHUNK]
            sealed = self._aead.encrypt(nonce, bytes(piece), _aad(sha, index, index == count - 1))
            yield _LENGTH.pack(len(sealed)) + nonce + sealed

    def _open(self, sha: str, handle: BinaryIO) -> Iterator[bytes]:
        with handle:
            index, last = 0, False
            while header := handle.read(_LENGTH.size):
                if last or len(header) != _LENGTH.size:
                    raise _unreadable()
                nonce, sealed = handle.read(_NONCE), handle.read(_LENGTH.unpack(header)[0])
                for final in (False, True):
                    try:
                        plain = self._aead.decrypt(nonce, sealed, _aad(sha, index, final))
                    except InvalidTag:
                        continue
                    last = final
                    break
                else:
                    raise _unreadable()
                index += 1
                yield plain
            if not last:
                raise _unreadable()


class _Opened(io.RawIOBase):
    """A read-only stream over decrypted chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            nxt = next(self._chunks, None)
            if nxt is None:
                break
            self._buffer += nxt
        if size < 0:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()
        super().close()


def _aad(sha: str, index: int, last: bool) -> bytes:
    return f"baton/intake/attachment/{sha}/{index}/{int(last)}".encode()


def _unreadable() -> Conflict:
    return Conflict(
        "attachment_unreadable",
        "附件无法解密(密钥不符或文件受损)",
        "The attachment cannot be opened with the configured key, or it is damaged",
    )


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
