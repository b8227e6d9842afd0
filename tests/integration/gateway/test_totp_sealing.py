"""TOTP secrets are sealed at rest on real PostgreSQL: the row never holds the clear secret,
a row written in clear before sealing still logs in and is sealed when the store opens
next, and a sealed secret moved to another user's row opens for no one (a coded refusal,
never a 500)."""

from __future__ import annotations

import psycopg
import pytest

from gateway.identity import open_identity, totp
from infra.reference_data import load_org_tree

from .conftest import code_of, login

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"


def stored_secret(settings, username: str) -> str:
    with psycopg.connect(settings.database_url) as conn:
        row = conn.execute(
            f"SELECT totp_secret FROM {settings.schema_of('gateway')}.users WHERE username = %s",
            (username,),
        ).fetchone()
    assert row is not None
    return str(row[0])


def store_in_clear(settings, username: str, secret: str) -> None:
    """What a row written before sealing looks like."""
    with psycopg.connect(settings.database_url) as conn:
        conn.execute(
            f"UPDATE {settings.schema_of('gateway')}.users SET totp_secret = %s "
            "WHERE username = %s",
            (secret, username),
        )


def reopen(settings) -> None:
    """Open the identity store as a gateway starting up does."""
    open_identity(settings, load_org_tree()).close()


def test_a_secret_is_stored_sealed_and_still_logs_in(gateway_client, staff, clock,
                                                     gateway_settings):
    client = gateway_client(baton_totp_roles=["leader"])
    secret = totp.new_secret()
    staff.add("leader.sealed", roles=("leader",), totp_secret=secret)
    stored = stored_secret(gateway_settings, "leader.sealed")
    assert stored.startswith("v1.") and secret not in stored
    assert "errors" not in login(client, "leader.sealed", PASSWORD,
                                 totp.current_code(secret, clock()))
    # Re-enrolling seals the new secret too, under a fresh nonce.
    parts = open_identity(gateway_settings, load_org_tree())
    try:
        other = totp.new_secret()
        parts.store.set_totp("leader.sealed", other)
        again = stored_secret(gateway_settings, "leader.sealed")
        assert again.startswith("v1.") and other not in again and again != stored
        assert parts.store.user_by_username("leader.sealed").totp_secret == other
    finally:
        parts.close()


def test_a_clear_row_from_before_sealing_logs_in_and_is_sealed_at_the_next_start(
    gateway_client, staff, clock, gateway_settings
):
    client = gateway_client(baton_totp_roles=["leader"])
    secret = totp.new_secret()
    staff.add("leader.old", roles=("leader",), totp_secret=totp.new_secret())
    store_in_clear(gateway_settings, "leader.old", secret)
    assert stored_secret(gateway_settings, "leader.old") == secret
    assert "errors" not in login(client, "leader.old", PASSWORD,
                                 totp.current_code(secret, clock()))
    reopen(gateway_settings)
    sealed = stored_secret(gateway_settings, "leader.old")
    assert sealed.startswith("v1.") and secret not in sealed
    clock.advance(seconds=30)
    assert "errors" not in login(client, "leader.old", PASSWORD,
                                 totp.current_code(secret, clock()))
    reopen(gateway_settings)
    assert stored_secret(gateway_settings, "leader.old") == sealed  # sealed once only


def test_a_sealed_secret_copied_to_another_user_opens_for_no_one(
    gateway_client, staff, clock, gateway_settings
):
    client = gateway_client(baton_totp_roles=["leader"])
    secret = totp.new_secret()
    staff.add("leader.a", roles=("leader",), totp_secret=secret)
    staff.add("leader.b", roles=("leader",), totp_secret=totp.new_secret())
    store_in_clear(gateway_settings, "leader.b", stored_secret(gateway_settings, "leader.a"))
    code = totp.current_code(secret, clock())
    assert code_of(login(client, "leader.b", PASSWORD, code)) == "totp_invalid"
    assert "errors" not in login(client, "leader.a", PASSWORD, code)
