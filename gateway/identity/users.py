"""Users 用户: who may log in, at which office of which organ, in which roles."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.guards import invalid, require_text
from domain.hierarchy import OrgTree
from domain.vocabulary import Office, Role

LANGUAGES = ("zh-CN", "en")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
# Reporters are outside users: they reach only the public progress query, never log in.
STAFF_ROLES = tuple(role.value for role in Role if role is not Role.REPORTER)


@dataclass(frozen=True)
class User:
    """A stored user; the password hash and TOTP secret never leave the identity package."""

    id: str
    username: str
    name: str
    organ_code: str
    office: str
    roles: tuple[str, ...]
    language: str = "zh-CN"
    enabled: bool = True
    password_hash: str = field(default="", repr=False)
    totp_secret: str | None = field(default=None, repr=False)
    totp_last_step: int | None = None
    locked_until: datetime | None = None
    demo: bool = False


@dataclass(frozen=True)
class NewUser:
    """A validated user to be created (without password)."""

    username: str
    name: str
    organ_code: str
    office: str
    roles: tuple[str, ...]
    language: str = "zh-CN"


def check_username(value: Any) -> str:
    if not isinstance(value, str) or not USERNAME.match(value):
        raise invalid(
            "username_invalid",
            "用户名须为2至64位小写字母、数字或 . _ -,以字母或数字开头",
            "A username is 2 to 64 lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            field="username",
        )
    return value


def check_language(value: Any) -> str:
    if value not in LANGUAGES:
        raise invalid(
            "language_invalid",
            "界面语言只能是 zh-CN 或 en",
            "The language must be zh-CN or en",
            field="language",
            allowed=list(LANGUAGES),
        )
    return str(value)


def check_roles(values: Any) -> tuple[str, ...]:
    if isinstance(values, str) or not values:
        raise invalid(
            "user_roles_required", "至少指定一个角色", "Give at least one role", field="roles"
        )
    roles: list[str] = []
    for value in values:
        if value not in STAFF_ROLES:
            raise invalid(
                "user_role_invalid",
                f"“{value}”不是有效的用户角色",
                f"{value!r} is not a staff role",
                field="roles",
                allowed=list(STAFF_ROLES),
            )
        if value not in roles:
            roles.append(str(value))
    return tuple(roles)


def check_placement(tree: OrgTree, organ_code: Any, office: Any) -> tuple[str, str]:
    """The organ (it must exist in the org tree) and an office that organ has."""
    if not isinstance(organ_code, str) or organ_code not in tree:
        raise invalid(
            "user_organ_unknown",
            f"机关 {str(organ_code)[:32]} 不存在",
            f"No organ has code {str(organ_code)[:32]}",
            field="organ",
        )
    if office not in {o.value for o in Office}:
        raise invalid(
            "user_office_invalid",
            f"“{str(office)[:32]}”不是有效的内设机构",
            f"{str(office)[:32]!r} is not an office",
            field="office",
            allowed=[o.value for o in Office],
        )
    organ = tree.get(organ_code)
    if office not in {o.value for o in organ.offices}:
        raise invalid(
            "user_office_not_at_organ",
            f"{organ.name}没有该内设机构",
            f"{organ.name} has no such office",
            field="office",
            allowed=[o.value for o in organ.offices],
        )
    return organ_code, str(office)


def new_user(tree: OrgTree, record: dict[str, Any]) -> NewUser:
    """Validate a user record {username, name, organ, office, roles, language?}."""
    username = check_username(record.get("username"))
    name = require_text(
        record.get("name"),
        "name",
        64,
        code="user_name_invalid",
        message_zh="姓名不能为空且不超过64个字",
        message_en="A name is 1 to 64 characters",
    )
    organ_code, office = check_placement(tree, record.get("organ"), record.get("office"))
    roles = check_roles(record.get("roles"))
    language = check_language(record.get("language") or "zh-CN")
    return NewUser(username, name, organ_code, office, roles, language)
