"""Sessions and users 会话与用户: login, logout, me, language, and user management."""

from __future__ import annotations

import asyncio

import strawberry
from strawberry.types import Info

from gateway.graphql.context import client_address, coded, gateway, session
from gateway.graphql.organs import Organ
from gateway.identity import sessions
from gateway.identity.service import CurrentSession
from gateway.identity.users import User as StoredUser


@strawberry.type
class User:
    """A person who logs in: where they work and in which roles."""

    id: strawberry.ID
    username: str
    name: str
    organ: Organ
    office: str
    roles: list[str]
    language: str
    enabled: bool


@strawberry.type
class Session:
    """The logged-in user and the token every mutation must carry in X-CSRF-Token."""

    user: User
    csrf_token: str


@strawberry.input
class CreateUserInput:
    """A new user; roles are codes of the domain's staff roles."""

    username: str
    password: str
    name: str
    organ: str
    office: str
    roles: list[str]
    language: str = "zh-CN"


def user_of(info: Info, user: StoredUser) -> User:
    tree = gateway(info).org_tree
    return User(
        id=strawberry.ID(user.id),
        username=user.username,
        name=user.name,
        organ=Organ.of(tree.get(user.organ_code)),
        office=user.office,
        roles=list(user.roles),
        language=user.language,
        enabled=user.enabled,
    )


def session_of(info: Info, current: CurrentSession) -> Session:
    return Session(user=user_of(info, current.user), csrf_token=current.csrf_token)


@strawberry.type
class IdentityQuery:
    @strawberry.field(description="The current session 当前会话")
    async def me(self, info: Info) -> Session:
        with coded():
            return session_of(info, await session(info))

    @strawberry.field(description="Users of an organ's subtree (administrators)")
    async def users(self, info: Info, organ: str | None = None) -> list[User]:
        with coded():
            current = await session(info)
            found = await asyncio.to_thread(gateway(info).identity.admin.list, current.user, organ)
            return [user_of(info, user) for user in found]


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(description="Log in 登录; sets the session cookie")
    async def login(
        self, info: Info, username: str, password: str, totp_code: str | None = None
    ) -> Session:
        parts = gateway(info).identity
        with coded():
            # Argon2 is slow on purpose: hash off the event loop so others are not held up.
            session_id, current = await asyncio.to_thread(
                parts.identity.login, username, password, totp_code, client_address(info)
            )
        await asyncio.to_thread(
            parts.identity.forget, info.context["request"].cookies.get(sessions.COOKIE)
        )
        config = parts.identity.config
        info.context["response"].set_cookie(
            value=session_id, **sessions.cookie_options(config.production, config.absolute_timeout)
        )
        info.context["session"] = current
        return session_of(info, current)

    @strawberry.mutation(description="Log out 退出; ends the session")
    async def logout(self, info: Info) -> bool:
        with coded():
            current = await session(info, mutation=True)
            await asyncio.to_thread(gateway(info).identity.identity.logout, current)
        config = gateway(info).identity.identity.config
        options = sessions.cookie_options(config.production, config.absolute_timeout)
        info.context["response"].delete_cookie(
            key=options["key"],
            path=options["path"],
            secure=options["secure"],
            httponly=True,
            samesite="strict",
        )
        info.context.pop("session", None)
        return True

    @strawberry.mutation(description="Set the interface language: zh-CN or en")
    async def set_language(self, info: Info, language: str) -> Session:
        with coded():
            current = await session(info, mutation=True)
            identity = gateway(info).identity.identity
            changed = await asyncio.to_thread(identity.set_language, current, language)
            return session_of(info, changed)

    @strawberry.mutation(description="Create a user (administrators, in their subtree)")
    async def create_user(self, info: Info, input: CreateUserInput) -> User:
        with coded():
            current = await session(info, mutation=True)
            record = {
                "username": input.username,
                "name": input.name,
                "organ": input.organ,
                "office": input.office,
                "roles": input.roles,
                "language": input.language,
            }
            admin = gateway(info).identity.admin
            created = await asyncio.to_thread(admin.create, current.user, record, input.password)
            return user_of(info, created)

    @strawberry.mutation(description="Enable or disable a user (administrators)")
    async def set_user_enabled(self, info: Info, username: str, enabled: bool) -> User:
        with coded():
            current = await session(info, mutation=True)
            admin = gateway(info).identity.admin
            user = await asyncio.to_thread(admin.set_enabled, current.user, username, enabled)
            return user_of(info, user)

    @strawberry.mutation(description="Set a user's password (administrators)")
    async def reset_password(self, info: Info, username: str, password: str) -> User:
        with coded():
            current = await session(info, mutation=True)
            admin = gateway(info).identity.admin
            user = await asyncio.to_thread(admin.reset_password, current.user, username, password)
            return user_of(info, user)
