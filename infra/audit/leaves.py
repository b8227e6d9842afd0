"""The bytes an audit leaf covers, its RFC 6962 leaf hash and the running hash chain.

A leaf is built from a stored event exactly as stored (originator id, version, topic and
the state bytes, encrypted or not), so verifying needs no decryption key.
"""

from __future__ import annotations

import hashlib
import struct
from uuid import UUID

GENESIS_HEAD = bytes(32)
_LEAF_PREFIX = b"\x00"
_U32 = struct.Struct(">I").pack
_I64 = struct.Struct(">q").pack


def leaf_data(originator_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
    """Length-prefixed fields, so no two different events share their bytes."""
    identity = str(originator_id).encode()
    topic_bytes = topic.encode()
    return b"".join(
        (
            _U32(len(identity)),
            identity,
            _I64(version),
            _U32(len(topic_bytes)),
            topic_bytes,
            _U32(len(state)),
            state,
        )
    )


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 §2.1: SHA-256(0x00 || data)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def next_head(head: bytes, leaf: bytes) -> bytes:
    """The chain head after one more leaf: SHA-256(previous head || leaf hash)."""
    return hashlib.sha256(head + leaf).digest()
