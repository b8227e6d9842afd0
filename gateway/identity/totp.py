"""The second factor 动态口令: TOTP (RFC 6238, pyotp), each code accepted once."""

from __future__ import annotations

from datetime import datetime

import pyotp

STEP_SECONDS = 30
ISSUER = "Baton"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    """What an authenticator app scans to enrol."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def current_code(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def matching_step(secret: str, code: str | None, at: datetime, last_step: int | None) -> int | None:
    """The time step the code belongs to (now, or one step either side), if it was not used
    before; None when it does not match or was already used."""
    if not code or not code.strip().isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(at.timestamp()) // STEP_SECONDS
    for step in (now_step, now_step - 1, now_step + 1):
        if last_step is not None and step <= last_step:
            continue
        if pyotp.utils.strings_equal(totp.generate_otp(step), code.strip()):
            return step
    return None
