"""Trusted documents 可信操作清单: in production only the operations the web build sends.

The web build writes `dist/trusted-documents.json` (`scripts/trusted-documents.mjs`): the
SHA-256 of each operation document exactly as `@urql/core` prints it onto the wire. A
document whose hash is not there is refused with `operation_not_trusted` before it is
parsed, so an attacker cannot run hand-written queries against production.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

log = logging.getLogger("gateway.graphql")

NOT_TRUSTED = {
    "code": "operation_not_trusted",
    "message_zh": "该操作不在本系统前端的操作清单中",
    "message_en": "This operation is not one the web front end was built with",
}


def digest(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def load_manifest(path: Path) -> frozenset[str]:
    """The hashes in a manifest: `{"documents": {sha256: document}}` or a list of hashes.

    A missing or unreadable manifest trusts nothing (production fails closed).
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.error("trusted documents: no readable manifest at %s; refusing every operation", path)
        return frozenset()
    hashes = data.get("documents", data) if isinstance(data, dict) else data
    return frozenset(str(h).lower() for h in hashes)


class TrustedDocuments(SchemaExtension):
    """Refuses any operation whose document is not in the manifest."""

    def __init__(self, trusted: frozenset[str]) -> None:
        self.trusted = trusted

    def on_operation(self) -> Iterator[None]:
        query = self.execution_context.query or ""
        if digest(query) not in self.trusted:
            raise GraphQLError(NOT_TRUSTED["message_en"], extensions=dict(NOT_TRUSTED))
        yield
