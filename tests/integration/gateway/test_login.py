"""Logging in and out on real PostgreSQL: sessions, cookies, CSRF, throttling, lockout, TOTP.

Every refusal is a coded bilingual GraphQL error, never a 500.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os

import psycopg
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.identity import totp

from .conftest import LOGIN, code_of, gql, login

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
ME = "{ me { csrfToken user { username language organ { code } } } }"
LOGOUT = "mutation { logout }"
SET_LANGUAGE = "mutation($l: String!) { setLanguage(language: $l) { user { language } } }"


def test_login_me_set_language_and_logout(gateway_client, staff, gateway_settings):
    client = gateway_client()
    staff.add("clerk.wang", organ="620102")
    body = login(client, "clerk.wang", PASSWORD)
    session = body["data"]["login"]
    assert session["user"]["username"] == "clerk.wang"
    assert session["user"]["organ"] == {"code": "620102", "name": "城关区纪委监委"}
    assert session["user"]["roles"] == ["petition_clerk"] and session["user"]["enabled"]
    csrf = session["csrfToken"]

    me = gql(client, ME)["data"]["me"]
    assert me["csrfToken"] == csrf and me["user"]["language"] == "zh-CN"
    assert gql(client, SET_LANGUAGE, csrf, l="en")["data"]["setLanguage"]["user"] == {
        "language": "en"
    }
    # The session was read (and is remembered for a few seconds): the change shows at once.
    assert gql(client, ME)["data"]["me"]["user"]["language"] == "en"
    assert code_of(gql(client, SET_LANGUAGE, csrf, l="fr")) == "language_invalid"
    # Remembered per user: a new session starts in English.
    other = gateway_client()
    assert login(other, "clerk.wang", PASSWORD)["data"]["login"]["user"]["language"] == "en"

    assert gql(client, LOGOUT, csrf)["data"]["logout"] is True
    assert code_of(gql(client, ME)) == "unauthenticated"
    assert gql(other, ME)["data"]["me"]["user"]["username"] == "clerk.wang"  # still in

    # Logging in again replaces the session the client had: the old id is dead.
    old_id = other.cookies["baton_session"]
    login(other, "clerk.wang", PASSWORD)
    assert other.cookies["baton_session"] != old_id
    stale = gateway_client()
    stale.cookies.set("baton_session", old_id)
    assert code_of(gql(stale, ME)) == "unauthenticated"


def test_the_cookie_is_httponly_strict_and_only_a_hash_is_stored(
    gateway_client, staff, gateway_settings
):
    client = gateway_client()
    staff.add("clerk.wang")
    response = client.post("/graphql", json={"query": LOGIN_Q, "variables": CREDS})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("baton_session=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # development over plain HTTP
    session_id = client.cookies["baton_session"]
    with psycopg.connect(gateway_settings.database_url) as conn:
        stored = [
            row[0]
            for row in conn.execute(
                f'SELECT id_hash FROM "{gateway_settings.schema_of("gateway")}".sessions'
            )
        ]
    assert stored == [hashlib.sha256(session_id.encode()).digest()]


LOGIN_Q = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { csrfToken } }"
CREDS = {"u": "clerk.wang", "p": PASSWORD}


def production_keys() -> dict[str, str]:
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return {
        "baton_env": "production",
        "baton_service_token_private_key": base64.b64encode(raw).decode(),
        # TOTP secrets are sealed under a key derived from it.
        "baton_identity_key": base64.b64encode(os.urandom(32)).decode(),
    }


def test_the_cookie_is_secure_in_production(gateway_client, staff):
    client = gateway_client(trusted=(LOGIN_Q, LOGIN), **production_keys())
    staff.add("clerk.wang")
    response = client.post("/graphql", json={"query": LOGIN_Q, "variables": CREDS})
    assert "errors" not in response.json()
    assert "Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize(
    "operation",
    [
        ME,
        "{ vocabulary { code } }",
        "{ organs { code } }",
        "{ channels { code } }",
        "{ users { username } }",
        "{ accessLog { id } }",
        '{ organStats(organ: "62", from: "2026-01-01", to: "2026-01-02") { total } }',
        LOGOUT,
        'mutation { setLanguage(language: "en") { csrfToken } }',
        'mutation { registerPetition(input: {organCode: "62", channel: "letter", summary: "s",'
        ' receivedAt: "2026-01-02T09:00:00+08:00"}) { caseId } }',
    ],
)
def test_anonymous_calls_are_unauthenticated(gateway_client, operation):
    assert code_of(gql(gateway_client(), operation)) == "unauthenticated"


def test_bad_logins_get_one_answer_for_unknown_users_wrong_passwords_and_disabled_accounts(
    gateway_client, staff, gateway_settings
):
    client = gateway_client()
    staff.add("clerk.wang")
    staff.add("clerk.gone")
    admin = gateway_client()
    staff.add("admin.62", roles=("administrator",), office="case_management")
    csrf = login(admin, "admin.62", PASSWORD)["data"]["login"]["csrfToken"]
    disable = "mutation($u: String!) { setUserEnabled(username: $u, enabled: false) { enabled } }"
    assert gql(admin, disable, csrf, u="clerk.gone")["data"]["setUserEnabled"]["enabled"] is False

    answers = [
        login(client, "nobody", PASSWORD)["errors"][0]["extensions"],
        login(client, "clerk.wang", "wrong password")["errors"][0]["extensions"],
        login(client, "clerk.gone", PASSWORD)["errors"][0]["extensions"],
        login(client, "Not A Username!", PASSWORD)["errors"][0]["extensions"],
    ]
    assert all(answer == answers[0] for answer in answers)
    assert answers[0]["code"] == "login_failed"
    assert "wrong password" not in str(answers)


def test_failures_slow_down_then_pass_after_the_delay(gateway_client, staff, clock):
    client = gateway_client(baton_login_throttle_after=2, baton_login_lock_after=100)
    staff.add("clerk.wang")
    assert code_of(login(client, "clerk.wang", "nope-1")) == "login_failed"
    assert code_of(login(client, "clerk.wang", "nope-2")) == "login_failed"
    # Two failures: the next try waits 1 s, the one after 2 s.
    assert code_of(login(client, "clerk.wang", PASSWORD)) == "login_throttled"
    clock.advance(seconds=1)
    assert code_of(login(client, "clerk.wang", "nope-3")) == "login_failed"
    clock.advance(seconds=1)
    assert code_of(login(client, "clerk.wang", PASSWORD)) == "login_throttled"
    clock.advance(seconds=1)
    assert "errors" not in login(client, "clerk.wang", PASSWORD)
    # Success forgets the username's failures.
    assert code_of(login(client, "clerk.wang", "nope-4")) == "login_failed"
    assert code_of(login(client, "clerk.wang", "nope-5")) == "login_failed"


def test_failures_from_one_address_slow_down_every_username(gateway_client, staff, clock):
    client = gateway_client(baton_login_address_throttle_after=3, baton_login_lock_after=100)
    staff.add("clerk.wang")
    for name in ("a.one", "a.two", "a.three"):
        assert code_of(login(client, name, "guess")) == "login_failed"
    assert code_of(login(client, "clerk.wang", PASSWORD)) == "login_throttled"
    clock.advance(seconds=2)
    assert "errors" not in login(client, "clerk.wang", PASSWORD)


def test_repeated_failures_lock_the_account_for_a_while(gateway_client, staff, clock):
    client = gateway_client(
        baton_login_throttle_after=100, baton_login_lock_after=3, baton_login_lock_minutes=15
    )
    staff.add("clerk.wang")
    for attempt in range(3):
        assert code_of(login(client, "clerk.wang", f"guess-{attempt}")) == "login_failed"
    assert code_of(login(client, "clerk.wang", PASSWORD)) == "account_locked"
    clock.advance(minutes=14)
    assert code_of(login(client, "clerk.wang", PASSWORD)) == "account_locked"
    clock.advance(minutes=2)
    assert "errors" not in login(client, "clerk.wang", PASSWORD)


def test_sessions_expire_when_idle_and_after_their_absolute_lifetime(gateway_client, staff, clock):
    client = gateway_client()
    staff.add("clerk.wang")
    login(client, "clerk.wang", PASSWORD)
    clock.advance(minutes=29)
    assert "errors" not in gql(client, ME)
    clock.advance(minutes=30)
    assert code_of(gql(client, ME)) == "session_expired"
    assert code_of(gql(client, ME)) == "unauthenticated"  # and it is gone

    login(client, "clerk.wang", PASSWORD)
    for _ in range(35):  # busy all day, every 20 minutes (11 h 40 min)
        clock.advance(minutes=20)
        assert "errors" not in gql(client, ME)
    clock.advance(minutes=20)
    assert code_of(gql(client, ME)) == "session_expired"


def test_mutations_need_the_sessions_csrf_token(gateway_client, staff):
    client = gateway_client()
    staff.add("clerk.wang")
    csrf = login(client, "clerk.wang", PASSWORD)["data"]["login"]["csrfToken"]
    assert code_of(gql(client, SET_LANGUAGE, l="en")) == "csrf_missing"
    assert code_of(gql(client, SET_LANGUAGE, "x" + csrf, l="en")) == "csrf_invalid"
    assert code_of(gql(client, LOGOUT, "x" + csrf)) == "csrf_invalid"
    # Another session's token does not do either.
    other = gateway_client()
    other_csrf = login(other, "clerk.wang", PASSWORD)["data"]["login"]["csrfToken"]
    assert code_of(gql(client, SET_LANGUAGE, other_csrf, l="en")) == "csrf_invalid"
    assert gql(client, ME)["data"]["me"]["user"]["language"] == "zh-CN"
    assert gql(client, LOGOUT, csrf)["data"]["logout"] is True


def test_a_second_factor_for_configured_roles(gateway_client, staff, clock):
    client = gateway_client(baton_totp_roles=["leader"])
    secret = totp.new_secret()
    staff.add("leader.zhang", roles=("leader",), totp_secret=secret)
    staff.add("leader.new", roles=("leader",))
    staff.add("handler.li", office="supervision", roles=("handler",))

    assert "errors" not in login(client, "handler.li", PASSWORD)  # not a TOTP role
    assert code_of(login(client, "leader.new", PASSWORD)) == "totp_not_enrolled"
    assert code_of(login(client, "leader.zhang", PASSWORD)) == "totp_required"
    assert code_of(login(client, "leader.zhang", PASSWORD, "000000")) in {"totp_invalid"}
    code = totp.current_code(secret, clock())
    assert "errors" not in login(client, "leader.zhang", PASSWORD, code)
    assert code_of(login(client, "leader.zhang", PASSWORD, code)) == "totp_invalid"  # replay
    clock.advance(seconds=30)
    fresh = totp.current_code(secret, clock())
    assert "errors" not in login(client, "leader.zhang", PASSWORD, fresh)
    # The right code never rescues a wrong password.
    clock.advance(seconds=30)
    assert (
        code_of(login(client, "leader.zhang", "wrong", totp.current_code(secret, clock())))
        == "login_failed"
    )


def test_production_asks_leaders_auditors_and_administrators_for_a_second_factor(
    gateway_client, staff
):
    client = gateway_client(trusted=(LOGIN_Q, LOGIN), **production_keys())
    for username, role in (
        ("leader.a", "leader"),
        ("auditor.a", "auditor"),
        ("admin.a", "administrator"),
    ):
        staff.add(username, roles=(role,), office="case_management", totp_secret=totp.new_secret())
        assert code_of(login(client, username, PASSWORD)) == "totp_required"
    staff.add("clerk.a")
    assert "errors" not in login(client, "clerk.a", PASSWORD)


def test_no_password_session_id_csrf_or_token_is_logged(
    gateway_client, staff, gateway_settings, caplog
):
    caplog.set_level(logging.DEBUG)
    client = gateway_client()
    staff.add("clerk.wang")
    login(client, "clerk.wang", "a-wrong-secret-guess")
    csrf = login(client, "clerk.wang", PASSWORD)["data"]["login"]["csrfToken"]
    session_id = client.cookies["baton_session"]
    gql(client, SET_LANGUAGE, "bad-token-value", l="en")
    gql(client, LOGOUT, csrf)
    with psycopg.connect(gateway_settings.database_url) as conn:
        rows = conn.execute(
            f'SELECT * FROM "{gateway_settings.schema_of("access")}".access_log'
        ).fetchall()
    logged = caplog.text + repr(rows)
    assert len(rows) >= 4
    for secret in (PASSWORD, "a-wrong-secret-guess", csrf, session_id, "bad-token-value"):
        assert secret not in logged


def test_logins_forget_sessions_long_expired_and_failures_outside_the_window(
    gateway_client, staff, gateway_settings, clock
):
    client = gateway_client()
    staff.add("clerk.wang")
    login(client, "clerk.wang", PASSWORD)
    login(client, "clerk.wang", "wrong password")
    schema = gateway_settings.schema_of("gateway")

    def counts() -> tuple[int, int]:
        with psycopg.connect(gateway_settings.database_url) as conn:
            sessions = conn.execute(f'SELECT count(*) FROM "{schema}".sessions').fetchone()
            failures = conn.execute(f'SELECT count(*) FROM "{schema}".login_failures').fetchone()
        return sessions[0], failures[0]

    assert counts() == (1, 2)  # one per username, one per address
    clock.advance(hours=2)
    login(gateway_client(), "clerk.wang", PASSWORD)
    assert counts() == (2, 0)  # the expired session is kept a day to say session_expired
    assert code_of(gql(client, ME)) == "session_expired"
    clock.advance(days=2)
    login(gateway_client(), "clerk.wang", PASSWORD)
    assert counts() == (1, 0)
