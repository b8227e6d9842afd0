"""What `baton up` and `baton users` ask of identity (the command line lives in deploy/)."""

from __future__ import annotations

from typing import Any

from domain.hierarchy import OrgTree
from gateway.identity import IdentityParts, open_identity, totp
from gateway.identity.admin import provision
from gateway.identity.demo import USERS_FILE, load_demo_users
from gateway.identity.store import user_not_found
from gateway.identity.users import User
from infra.auth import signing_key
from infra.datafiles import data_dir, load_yaml
from infra.reference_data import load_org_tree
from infra.settings import Settings


def org_tree() -> OrgTree:
    """The org tree the identity commands check organs against (tests provision with it)."""
    return load_org_tree()


def _open(settings: Settings) -> tuple[OrgTree, IdentityParts]:
    tree = org_tree()
    return tree, open_identity(settings, tree)


def prepare(settings: Settings) -> list[str]:
    """Before any process starts: the service-token key pair (created in development) and,
    outside production, the demo users. The demo usernames added."""
    signing_key(settings)
    if settings.is_production:
        return []
    tree, parts = _open(settings)
    try:
        return load_demo_users(parts.store, tree, parts.identity, load_yaml(USERS_FILE))
    finally:
        parts.close()


def demo_users_path() -> str:
    return str(data_dir() / USERS_FILE)


def add_user(
    settings: Settings, record: dict[str, Any], password: str, *, with_totp: bool = False
) -> tuple[User, str | None]:
    """Add one user; with a TOTP secret when asked (the provisioning URI is returned)."""
    tree, parts = _open(settings)
    try:
        secret = totp.new_secret() if with_totp else None
        user = provision(parts.store, tree, parts.identity, record, password, totp_secret=secret)
        parts.identity.record("change", "users", "allowed", "user_created_from_command_line")
        uri = totp.provisioning_uri(secret, user.username) if secret else None
        return user, uri
    finally:
        parts.close()


def enrol_totp(settings: Settings, username: str) -> str:
    """Give a user a new TOTP secret; the provisioning URI for their authenticator app."""
    _, parts = _open(settings)
    try:
        if parts.store.user_by_username(username) is None:
            raise user_not_found(username)
        secret = totp.new_secret()
        parts.store.set_totp(username, secret)
        return totp.provisioning_uri(secret, username)
    finally:
        parts.close()
