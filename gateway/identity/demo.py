"""Demo users 演示账号 (deploy/data/users.yaml): loaded by `baton up` in development only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.errors import Forbidden
from domain.guards import invalid
from domain.hierarchy import OrgTree
from gateway.identity.admin import provision
from gateway.identity.service import Identity
from gateway.identity.store import IdentityStore

USERS_FILE = "users.yaml"


def demo_records(document: Any, production: bool) -> list[dict[str, Any]]:
    """The records of a demo users document; refused in production, checked for shape."""
    if not isinstance(document, Mapping) or not isinstance(document.get("users"), list):
        raise invalid(
            "users_document_invalid",
            "用户文件应包含用户列表 users",
            "The users document must hold a list of users",
        )
    if document.get("demo") is not True:
        raise invalid(
            "users_document_not_demo",
            "用户文件未标记为演示数据(demo: true)",
            "The users document is not marked demo (demo: true)",
        )
    if production:
        raise Forbidden(
            "demo_users_in_production",
            "生产环境不得加载演示账号",
            "Demo users are refused in production",
        )
    records = document["users"]
    for index, record in enumerate(records):
        if not isinstance(record, Mapping) or not isinstance(record.get("password"), str):
            raise invalid(
                "users_record_invalid",
                f"第{index + 1}条用户记录格式错误",
                f"User record {index + 1} is malformed",
                index=index,
            )
    return [dict(record) for record in records]


def load_demo_users(
    store: IdentityStore, tree: OrgTree, identity: Identity, document: Any
) -> list[str]:
    """Add the demo users not there yet (idempotent); the usernames added."""
    added = []
    for record in demo_records(document, identity.config.production):
        if store.user_by_username(str(record.get("username"))) is None:
            provision(store, tree, identity, record, record["password"], demo=True)
            added.append(str(record["username"]))
    return added
