"""Login throttling 登录限制: failures per username and per client address slow the next
try down (2^k seconds, capped) and, per username, lock the account for a while.

Pure: it decides from the failure times kept by the store and the current time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import Forbidden, TooMany


@dataclass(frozen=True)
class ThrottlePolicy:
    """When failures start to slow logins down, and when they lock an account."""

    window: timedelta = timedelta(minutes=15)
    throttle_after: int = 3
    address_throttle_after: int = 20
    max_delay: timedelta = timedelta(seconds=60)
    lock_after: int = 10
    lock_for: timedelta = timedelta(minutes=15)

    def delay(self, failures: int, after: int) -> timedelta:
        """How long to wait after the last of `failures` before trying again."""
        if failures < after:
            return timedelta(0)
        seconds = 2 ** min(failures - after, 30)
        return min(timedelta(seconds=seconds), self.max_delay)

    def check(self, failures: list[datetime], now: datetime, after: int) -> None:
        """Refuse with `login_throttled` while the delay after the last failure runs."""
        recent = [at for at in failures if now - at < self.window]
        if not recent:
            return
        wait = max(recent) + self.delay(len(recent), after) - now
        if wait > timedelta(0):
            seconds = max(1, int(wait.total_seconds() + 0.999))
            raise TooMany(
                "login_throttled",
                f"登录失败次数过多,请{seconds}秒后再试",
                f"Too many failed logins; try again in {seconds} s",
                retry_after=seconds,
            )

    def lock_until(self, failures: list[datetime], now: datetime) -> datetime | None:
        """When the account unlocks, if these failures lock it."""
        recent = [at for at in failures if now - at < self.window]
        return now + self.lock_for if len(recent) >= self.lock_after else None


def locked(until: datetime | None, now: datetime) -> None:
    """Refuse with `account_locked` while a lock runs."""
    if until is not None and now < until:
        minutes = max(1, int((until - now).total_seconds() // 60 + 1))
        raise Forbidden(
            "account_locked",
            f"账号因多次登录失败已锁定,请约{minutes}分钟后再试或联系管理员",
            f"The account is locked after repeated failed logins; try again in about "
            f"{minutes} min or ask an administrator",
            retry_after_minutes=minutes,
        )
