"""Pure parts of identity: passwords, TOTP, throttling, CSRF, sessions, user validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import DomainError, Forbidden, InvalidInput, TooMany
from domain.hierarchy import OrgTree
from gateway.identity import csrf, passwords, sessions, totp
from gateway.identity.config import IdentityConfig
from gateway.identity.throttle import ThrottlePolicy, locked
from gateway.identity.users import new_user
from infra.datafiles import load_yaml
from infra.settings import Settings

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TREE = OrgTree.from_document(load_yaml("orgs.yaml"))


def test_passwords_are_argon2id_and_verify_only_the_right_one():
    stored = passwords.hash_password("correct horse battery")
    assert stored.startswith("$argon2id$") and "correct" not in stored
    assert passwords.verify_password(stored, "correct horse battery")
    assert not passwords.verify_password(stored, "correct horse batterY")
    assert not passwords.verify_password("not a hash", "x")
    # An unknown user never matches, even with the dummy hash's own password.
    assert not passwords.verify_password(None, "baton-no-such-user")
    assert not passwords.needs_rehash(stored)


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("", "password_required"),
        ("   ", "password_required"),
        (None, "password_required"),
        ("short", "password_too_short"),
        ("x" * 300, "password_too_long"),
    ],
)
def test_weak_passwords_are_refused_with_codes(given, code):
    with pytest.raises(InvalidInput) as refused:
        passwords.check_strength(given, 10)
    assert refused.value.code == code and refused.value.message_zh


def test_totp_codes_match_their_step_once_and_one_step_either_side():
    secret = totp.new_secret()
    code = totp.current_code(secret, NOW)
    step = totp.matching_step(secret, code, NOW, None)
    assert step == int(NOW.timestamp()) // 30
    assert totp.matching_step(secret, code, NOW + timedelta(seconds=30), None) == step
    assert totp.matching_step(secret, code, NOW + timedelta(seconds=90), None) is None
    assert totp.matching_step(secret, code, NOW, last_step=step) is None  # replayed
    assert totp.matching_step(secret, "000000" if code != "000000" else "111111", NOW, None) is None
    assert totp.matching_step(secret, None, NOW, None) is None
    assert totp.matching_step(secret, "abc", NOW, None) is None
    assert totp.provisioning_uri(secret, "leader.62").startswith("otpauth://totp/Baton:leader.62")


def test_throttling_grows_then_refuses_and_the_window_forgets():
    policy = ThrottlePolicy(throttle_after=3, max_delay=timedelta(seconds=60))
    assert policy.delay(2, 3) == timedelta(0)
    assert [policy.delay(n, 3).total_seconds() for n in (3, 4, 5, 10)] == [1, 2, 4, 60]
    failures = [NOW - timedelta(seconds=s) for s in (30, 20, 10, 0)]  # 4 failures: wait 2 s
    with pytest.raises(TooMany) as refused:
        policy.check(failures, NOW + timedelta(seconds=1), policy.throttle_after)
    assert refused.value.code == "login_throttled" and refused.value.details["retry_after"] == 1
    policy.check(failures, NOW + timedelta(seconds=2), policy.throttle_after)
    policy.check(failures[:2], NOW, policy.throttle_after)  # below the threshold
    policy.check(failures, NOW + timedelta(minutes=16), policy.throttle_after)  # forgotten


def test_enough_failures_lock_the_account_for_a_while():
    policy = ThrottlePolicy(lock_after=3, lock_for=timedelta(minutes=15))
    failures = [NOW - timedelta(minutes=m) for m in (20, 2, 1, 0)]
    assert policy.lock_until(failures[:3], NOW) is None  # one is outside the window
    until = policy.lock_until(failures, NOW)
    assert until == NOW + timedelta(minutes=15)
    with pytest.raises(Forbidden) as refused:
        locked(until, NOW + timedelta(minutes=14))
    assert refused.value.code == "account_locked"
    locked(until, until)
    locked(None, NOW)


def test_csrf_tokens_must_be_present_and_equal():
    token = csrf.new_token()
    assert len(token) >= 40 and token != csrf.new_token()
    csrf.check(token, token)
    for given, code in (
        (None, "csrf_missing"),
        ("", "csrf_missing"),
        (token + "x", "csrf_invalid"),
    ):
        with pytest.raises(Forbidden) as refused:
            csrf.check(token, given)
        assert refused.value.code == code


def test_sessions_expire_when_idle_or_old_and_ids_are_stored_hashed():
    sid = sessions.new_session_id()
    assert len(sid) >= 40 and sessions.digest(sid) != sid.encode()
    assert len(sessions.digest(sid)) == 32
    idle, absolute = timedelta(minutes=30), timedelta(hours=12)
    fresh = {"created_at": NOW, "last_seen_at": NOW}
    assert not sessions.expired(fresh, NOW + timedelta(minutes=29), idle, absolute)
    assert sessions.expired(fresh, NOW + timedelta(minutes=30), idle, absolute)
    busy = {"created_at": NOW, "last_seen_at": NOW + timedelta(hours=12)}
    assert sessions.expired(busy, NOW + timedelta(hours=12, minutes=1), idle, absolute)


def test_the_cookie_is_httponly_strict_and_secure_in_production():
    development = sessions.cookie_options(False, timedelta(hours=12))
    assert development == {
        "key": "baton_session",
        "httponly": True,
        "samesite": "strict",
        "path": "/",
        "secure": False,
        "max_age": 43200,
    }
    assert sessions.cookie_options(True, timedelta(hours=1))["secure"] is True


def test_configuration_from_settings_and_totp_roles_in_production():
    config = IdentityConfig.from_settings(
        Settings(
            baton_session_idle_minutes=5, baton_totp_roles=["handler"], baton_login_lock_after=4
        )
    )
    assert config.idle_timeout == timedelta(minutes=5) and config.throttle.lock_after == 4
    assert config.totp_roles == {"handler"}
    production = Settings(baton_env="production", baton_totp_roles=["handler"])
    assert production.totp_roles == {"handler", "leader", "auditor", "administrator"}
    with pytest.raises(ValueError, match="leaders"):
        IdentityConfig.from_settings(Settings(baton_totp_roles=["leaders"]))


GOOD = {
    "username": "clerk.wang",
    "name": "王信访",
    "organ": "620102",
    "office": "petition",
    "roles": ["petition_clerk"],
}


def test_a_valid_user_record():
    user = new_user(TREE, {**GOOD, "roles": ["petition_clerk", "petition_clerk", "leader"]})
    assert (user.username, user.organ_code, user.roles, user.language) == (
        "clerk.wang",
        "620102",
        ("petition_clerk", "leader"),
        "zh-CN",
    )


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"username": "Clerk Wang"}, "username_invalid"),
        ({"username": "x"}, "username_invalid"),
        ({"username": None}, "username_invalid"),
        ({"name": " "}, "user_name_invalid"),
        ({"organ": "999999"}, "user_organ_unknown"),
        ({"organ": None}, "user_organ_unknown"),
        ({"office": "kitchen"}, "user_office_invalid"),
        ({"organ": "620102Z01", "office": "investigation"}, "user_office_not_at_organ"),
        ({"roles": []}, "user_roles_required"),
        ({"roles": "handler"}, "user_roles_required"),
        ({"roles": ["reporter"]}, "user_role_invalid"),
        ({"roles": ["boss"]}, "user_role_invalid"),
        ({"language": "fr"}, "language_invalid"),
    ],
)
def test_bad_user_records_are_refused_with_codes(change, code):
    with pytest.raises(DomainError) as refused:
        new_user(TREE, {**GOOD, **change})
    assert refused.value.code == code
    assert refused.value.message_zh and refused.value.message_en


def test_totp_roles_from_the_environment_as_json_or_commas(monkeypatch):
    monkeypatch.setenv("BATON_TOTP_ROLES", '["leader", "handler"]')
    assert Settings().totp_roles == {"leader", "handler"}
    monkeypatch.setenv("BATON_TOTP_ROLES", "auditor, case_manager")
    assert Settings().totp_roles == {"auditor", "case_manager"}
    monkeypatch.setenv("BATON_TOTP_ROLES", "")
    assert Settings().totp_roles == frozenset()
