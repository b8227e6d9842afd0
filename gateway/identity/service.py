"""Logging in and out, the current session, and changing one's own preferences."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.access import Action, Facts, Principal, decide
from domain.errors import DomainError, Forbidden, Unauthenticated
from gateway.identity import csrf, passwords, sessions, totp
from gateway.identity.config import IdentityConfig
from gateway.identity.store import IdentityStore
from gateway.identity.throttle import locked
from gateway.identity.users import USERNAME, User, check_language
from infra.access_log import AccessEntry, AccessLog

Clock = Callable[[], datetime]
TOUCH_EVERY = timedelta(seconds=30)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CurrentSession:
    """A valid session: whose it is and the CSRF token its mutations must carry."""

    user: User
    csrf_token: str
    id_hash: bytes


def principal(user: User) -> Principal:
    return Principal(user.id, user.organ_code, user.office, frozenset(user.roles))


def login_failed() -> Unauthenticated:
    # The same answer for an unknown user, a wrong password and a disabled account.
    return Unauthenticated("login_failed", "用户名或口令不正确", "Wrong username or password")


def _key(kind: str, value: str) -> bytes:
    return hashlib.sha256(f"{kind}:{value}".encode()).digest()


class Identity:
    """Sessions for users: login with throttling and a second factor, lookup, logout."""

    def __init__(
        self,
        store: IdentityStore,
        log: AccessLog,
        config: IdentityConfig,
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.log = log
        self.config = config
        self.clock = clock

    # --- the access log ------------------------------------------------------------------

    def record(
        self,
        action: str,
        obj: str,
        outcome: str,
        reason: str,
        user: User | None = None,
        case_id: str | None = None,
    ) -> None:
        self.log.record(
            AccessEntry(
                at=self.clock(),
                action=action,
                object=obj,
                outcome="allowed" if outcome == "allowed" else "refused",
                reason=reason,
                user_id=user.id if user else None,
                username=user.username if user else None,
                organ=user.organ_code if user else None,
                case_id=case_id,
            )
        )

    def authorize(
        self, user: User, action: Action, facts: Facts, case_id: str | None = None
    ) -> None:
        """Refuse with `forbidden` (and log it) unless the policy allows this."""
        decision = decide(principal(user), action, facts)
        if not decision.allowed:
            self.record(action.value, facts.object.value, "refused", decision.reason, user, case_id)
            raise Forbidden(
                "forbidden", "无权进行此操作", "You may not do this", reason=decision.reason
            )

    def _refuse_login(self, error: DomainError, reason: str, user: User | None) -> DomainError:
        self.record("login", "session", "refused", reason, user)
        return error

    # --- login ---------------------------------------------------------------------------

    def needs_second_factor(self, user: User) -> bool:
        return user.totp_secret is not None or bool(set(user.roles) & self.config.totp_roles)

    def login(
        self, username: str, password: str, totp_code: str | None, address: str | None
    ) -> tuple[str, CurrentSession]:
        """A new session id (for the cookie only) and the session; or a coded refusal."""
        now = self.clock()
        policy = self.config.throttle
        user_key = _key("user", username.strip().lower())
        address_key = _key("address", address or "unknown")
        since = now - policy.window
        user = self.store.user_by_username(username) if USERNAME.match(username) else None
        try:
            policy.check(
                self.store.failures(address_key, since), now, policy.address_throttle_after
            )
            policy.check(self.store.failures(user_key, since), now, policy.throttle_after)
            if user is not None:
                locked(user.locked_until, now)
        except DomainError as error:
            raise self._refuse_login(error, error.code, user) from None
        if (
            not passwords.verify_password(user.password_hash if user else None, password)
            or user is None
            or not user.enabled
        ):
            reason = (
                "unknown_user"
                if user is None
                else ("account_disabled" if not user.enabled else "wrong_password")
            )
            self._count_failure(user, user_key, address_key, now)
            raise self._refuse_login(login_failed(), reason, user)
        if self.needs_second_factor(user):
            self._second_factor(user, totp_code, user_key, address_key, now)
        self.store.clear_failures(user_key)
        if passwords.needs_rehash(user.password_hash):
            self.store.set_password(user.username, passwords.hash_password(password))
        # Expired sessions are kept a day, so their owners hear `session_expired`.
        grace = now - timedelta(days=1)
        self.store.purge(
            grace - self.config.idle_timeout, grace - self.config.absolute_timeout, since
        )
        session_id = sessions.new_session_id()
        token = csrf.new_token()
        self.store.add_session(sessions.digest(session_id), user.id, token, now)
        self.record("login", "session", "allowed", "logged_in", user)
        return session_id, CurrentSession(user, token, sessions.digest(session_id))

    def _count_failure(
        self, user: User | None, user_key: bytes, address_key: bytes, now: datetime
    ) -> None:
        self.store.add_failure([user_key, address_key], now)
        if user is not None:
            until = self.config.throttle.lock_until(
                self.store.failures(user_key, now - self.config.throttle.window), now
            )
            if until is not None:
                self.store.lock(user.username, until)
                self.record("lock", "users", "allowed", "repeated_login_failures", user)

    def _second_factor(
        self, user: User, code: str | None, user_key: bytes, address_key: bytes, now: datetime
    ) -> None:
        if user.totp_secret is None:
            raise self._refuse_login(
                Forbidden(
                    "totp_not_enrolled",
                    "该角色须使用动态口令登录,但账号尚未绑定,请联系管理员",
                    "This role needs a one-time code but the account has none enrolled; "
                    "ask an administrator",
                ),
                "totp_not_enrolled",
                user,
            )
        if not code:
            raise self._refuse_login(
                Unauthenticated(
                    "totp_required", "请输入动态口令", "Enter the one-time code from your app"
                ),
                "totp_required",
                user,
            )
        # An unreadable secret (the key changed) reads as "": no code matches it.
        step = (
            totp.matching_step(user.totp_secret, code, now, user.totp_last_step)
            if user.totp_secret
            else None
        )
        if step is None or not self.store.use_totp_step(user.id, step):
            self._count_failure(user, user_key, address_key, now)
            raise self._refuse_login(
                Unauthenticated(
                    "totp_invalid", "动态口令不正确或已使用", "The one-time code is wrong or used"
                ),
                "totp_invalid",
                user,
            )

    # --- the current session -------------------------------------------------------------

    def current(self, session_id: str | None) -> CurrentSession:
        """The valid session with this id; `unauthenticated` or `session_expired` if none."""
        if not session_id:
            raise sessions.unauthenticated()
        id_hash = sessions.digest(session_id)
        found = self.store.session_with_user(id_hash)
        if found is None:
            raise sessions.unauthenticated()
        row, user = found
        now = self.clock()
        if sessions.expired(row, now, self.config.idle_timeout, self.config.absolute_timeout):
            self.store.drop_session(id_hash)
            raise sessions.session_expired()
        if not user.enabled:
            self.store.drop_session(id_hash)
            raise sessions.unauthenticated()
        # A write per request would cost every request a commit; the idle clock only needs
        # to move about once a minute (30 s is nothing against a 30-minute idle timeout).
        if now - row["last_seen_at"] >= TOUCH_EVERY:
            self.store.touch_session(id_hash, now)
        return CurrentSession(user, row["csrf_token"], id_hash)

    def current_cached(self, session_id: str | None) -> CurrentSession | None:
        """`current` from the store's few-second cache without the database, when that
        gives the same answer; None when `current` must decide (a refusal, an expiry, a
        touch of the idle clock, or nothing cached)."""
        if not session_id:
            return None
        id_hash = sessions.digest(session_id)
        found = self.store.cached_session_with_user(id_hash)
        if found is None:
            return None
        row, user = found
        now = self.clock()
        if (
            not user.enabled
            or sessions.expired(row, now, self.config.idle_timeout, self.config.absolute_timeout)
            or now - row["last_seen_at"] >= TOUCH_EVERY
        ):
            return None
        return CurrentSession(user, row["csrf_token"], id_hash)

    def forget(self, session_id: str | None) -> None:
        """Drop a session the client held before logging in again (no fixation, no leftovers)."""
        if session_id:
            self.store.drop_session(sessions.digest(session_id))

    def logout(self, session: CurrentSession) -> None:
        self.store.drop_session(session.id_hash)
        self.record("logout", "session", "allowed", "logged_out", session.user)

    def set_language(self, session: CurrentSession, language: str) -> CurrentSession:
        user = self.store.set_language(session.user.username, check_language(language))
        return CurrentSession(user, session.csrf_token, session.id_hash)
