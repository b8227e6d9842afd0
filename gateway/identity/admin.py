"""Managing users 用户管理: by an administrator for their subtree, or from the command line."""

from __future__ import annotations

from typing import Any

from domain.access import Action, Facts, Object
from domain.hierarchy import OrgTree
from gateway.identity import passwords
from gateway.identity.service import Identity
from gateway.identity.store import IdentityStore, user_not_found
from gateway.identity.users import User, new_user


def provision(
    store: IdentityStore,
    tree: OrgTree,
    identity: Identity,
    record: dict[str, Any],
    password: str,
    *,
    totp_secret: str | None = None,
    demo: bool = False,
) -> User:
    """Validate and add one user (no caller: the command line and demo data use this)."""
    user = new_user(tree, record)
    passwords.check_strength(password, identity.config.password_min_length)
    return store.add_user(
        user,
        passwords.hash_password(password),
        identity.clock(),
        totp_secret=totp_secret,
        demo=demo,
    )


class UserAdmin:
    """What an administrator may do to the users of their subtree."""

    def __init__(self, store: IdentityStore, tree: OrgTree, identity: Identity) -> None:
        self.store = store
        self.tree = tree
        self.identity = identity

    def _target(self, actor: User, username: str) -> User:
        user = self.store.user_by_username(username)
        if user is None:
            raise user_not_found(username)
        # Outside the administrator's subtree the user might as well not exist.
        self.identity.authorize(actor, Action.CHANGE, Facts(Object.USERS, user.organ_code))
        return user

    def list(self, actor: User, organ: str | None) -> list[User]:
        root = organ or actor.organ_code
        self.identity.authorize(actor, Action.LIST, Facts(Object.USERS, root))
        return self.store.users_under(root)

    def create(self, actor: User, record: dict[str, Any], password: str) -> User:
        organ = record.get("organ")
        target = organ if isinstance(organ, str) and organ else actor.organ_code
        self.identity.authorize(actor, Action.CHANGE, Facts(Object.USERS, target))
        user = provision(self.store, self.tree, self.identity, record, password)
        self.identity.record("change", "users", "allowed", "user_created", actor)
        return user

    def set_enabled(self, actor: User, username: str, enabled: bool) -> User:
        target = self._target(actor, username)
        user = self.store.set_enabled(target.username, enabled)
        if not enabled:
            self.store.drop_sessions_of(user.id)
        self.identity.record(
            "change", "users", "allowed", "user_enabled" if enabled else "user_disabled", actor
        )
        return user

    def reset_password(self, actor: User, username: str, password: str) -> User:
        target = self._target(actor, username)
        passwords.check_strength(password, self.identity.config.password_min_length)
        user = self.store.set_password(target.username, passwords.hash_password(password))
        self.store.drop_sessions_of(user.id)
        self.identity.record("change", "users", "allowed", "password_reset", actor)
        return user
