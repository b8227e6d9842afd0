"""Users: an administrator in GraphQL (their subtree only), `baton users add`, demo users."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from domain.errors import Forbidden, InvalidInput
from gateway.identity import open_identity
from gateway.identity.commands import prepare
from gateway.identity.demo import demo_records, load_demo_users
from infra.datafiles import load_yaml
from infra.reference_data import load_org_tree

from .conftest import code_of, gql, login

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
CREATE = """mutation($input: CreateUserInput!) {
  createUser(input: $input) { username name office roles language enabled organ { code } } }"""
USERS = "query($organ: String) { users(organ: $organ) { username organ { code } } }"
GOOD = {
    "username": "clerk.new",
    "password": "a long enough secret",
    "name": "新信访",
    "organ": "620102",
    "office": "petition",
    "roles": ["petition_clerk"],
}


@pytest.fixture
def admin(gateway_client, staff):
    """A client logged in as the administrator of 兰州市 (6201) and its CSRF token."""
    client = gateway_client()
    staff.add("admin.6201", organ="6201", office="case_management", roles=("administrator",))
    csrf = login(client, "admin.6201", PASSWORD)["data"]["login"]["csrfToken"]
    return client, csrf


def test_an_administrator_creates_lists_disables_and_resets_users_in_their_subtree(
    admin, gateway_client
):
    client, csrf = admin
    created = gql(client, CREATE, csrf, input=GOOD)["data"]["createUser"]
    assert created == {
        "username": "clerk.new",
        "name": "新信访",
        "office": "petition",
        "roles": ["petition_clerk"],
        "language": "zh-CN",
        "enabled": True,
        "organ": {"code": "620102"},
    }
    listed = {u["username"] for u in gql(client, USERS)["data"]["users"]}
    assert listed == {"admin.6201", "clerk.new"}
    assert [u["username"] for u in gql(client, USERS, organ="620102")["data"]["users"]] == [
        "clerk.new"
    ]

    newcomer = TestClient(client.app)  # the same gateway (see the test of two below)
    assert "errors" not in login(newcomer, "clerk.new", GOOD["password"])
    reset = (
        "mutation($u: String!, $p: String!) {"
        " resetPassword(username: $u, password: $p) { username } }"
    )
    assert code_of(gql(client, reset, csrf, u="clerk.new", p="short")) == "password_too_short"
    # The gateway remembers a session for a few seconds once it was used: a reset and a
    # disable must still end it at once.
    assert "errors" not in gql(newcomer, "{ me { csrfToken } }")
    assert "errors" not in gql(client, reset, csrf, u="clerk.new", p="another long secret")
    # A reset ends the user's sessions.
    assert code_of(gql(newcomer, "{ me { csrfToken } }")) == "unauthenticated"
    assert code_of(login(newcomer, "clerk.new", GOOD["password"])) == "login_failed"
    assert "errors" not in login(newcomer, "clerk.new", "another long secret")

    disable = (
        "mutation($u: String!, $e: Boolean!) {"
        " setUserEnabled(username: $u, enabled: $e) { enabled } }"
    )
    assert "errors" not in gql(newcomer, "{ me { csrfToken } }")
    assert gql(client, disable, csrf, u="clerk.new", e=False)["data"]["setUserEnabled"] == {
        "enabled": False
    }
    assert code_of(gql(newcomer, "{ me { csrfToken } }")) == "unauthenticated"
    assert code_of(login(newcomer, "clerk.new", "another long secret")) == "login_failed"
    assert "errors" not in gql(client, disable, csrf, u="clerk.new", e=True)
    assert "errors" not in login(newcomer, "clerk.new", "another long secret")
    assert code_of(gql(client, disable, csrf, u="nobody.here", e=True)) == "user_not_found"


def test_with_two_gateways_and_no_session_cache_a_disable_ends_the_session_on_both(
    admin, gateway_client, staff
):
    """Several replicas run with GATEWAY_SESSION_CACHE_SECONDS=0: each reads every session."""
    client, csrf = admin
    staff.add("clerk.other", organ="620102")
    other = gateway_client(session_cache_seconds=0)
    assert "errors" not in login(other, "clerk.other", PASSWORD)
    assert "errors" not in gql(other, "{ me { csrfToken } }")
    disable = "mutation($u: String!) { setUserEnabled(username: $u, enabled: false) { enabled } }"
    assert "errors" not in gql(client, disable, csrf, u="clerk.other")
    assert code_of(gql(other, "{ me { csrfToken } }")) == "unauthenticated"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"username": "Bad Name"}, "username_invalid"),
        ({"name": ""}, "user_name_invalid"),
        ({"organ": "620199"}, "user_organ_unknown"),  # under 6201 by its code, but no organ
        ({"office": "canteen"}, "user_office_invalid"),
        ({"organ": "620102Z01", "office": "case_management"}, "user_office_not_at_organ"),
        ({"roles": []}, "user_roles_required"),
        ({"roles": ["reporter"]}, "user_role_invalid"),
        ({"roles": ["emperor"]}, "user_role_invalid"),
        ({"language": "de"}, "language_invalid"),
        ({"password": "short"}, "password_too_short"),
        ({"password": "          "}, "password_required"),
        ({"username": "admin.6201"}, "username_taken"),
        ({"organ": "62"}, "forbidden"),  # above the administrator
        ({"organ": "330683"}, "forbidden"),  # elsewhere
    ],
)
def test_create_user_refuses_bad_input_with_codes(admin, change, code):
    client, csrf = admin
    assert code_of(gql(client, CREATE, csrf, input={**GOOD, **change})) == code
    assert "clerk.new" not in str(gql(client, USERS)["data"]["users"])


def test_create_user_needs_csrf_a_session_and_the_administrator_role(admin, gateway_client, staff):
    client, csrf = admin
    assert code_of(gql(client, CREATE, input=GOOD)) == "csrf_missing"
    assert code_of(gql(gateway_client(), CREATE, "x", input=GOOD)) == "unauthenticated"
    clerk = gateway_client()
    staff.add("clerk.wang", organ="6201")
    clerk_csrf = login(clerk, "clerk.wang", PASSWORD)["data"]["login"]["csrfToken"]
    assert code_of(gql(clerk, CREATE, clerk_csrf, input=GOOD)) == "forbidden"
    assert code_of(gql(clerk, USERS)) == "forbidden"


def test_administrators_reach_only_their_subtrees_users(admin, staff):
    client, csrf = admin
    staff.add("clerk.sz", organ="330683")
    staff.add("clerk.province", organ="62")
    assert code_of(gql(client, USERS, organ="62")) == "forbidden"
    assert code_of(gql(client, USERS, organ="330683")) == "forbidden"
    disable = "mutation($u: String!) { setUserEnabled(username: $u, enabled: false) { enabled } }"
    assert code_of(gql(client, disable, csrf, u="clerk.sz")) == "forbidden"
    assert code_of(gql(client, disable, csrf, u="clerk.province")) == "forbidden"


def test_demo_users_load_once_and_are_refused_in_production(gateway_settings):
    document = load_yaml("users.yaml")
    assert document["demo"] is True
    added = prepare(gateway_settings)
    assert len(added) == len(document["users"]) >= 19
    assert prepare(gateway_settings) == []  # idempotent
    organs = {(r["organ"], r["roles"][0]) for r in document["users"]}
    for organ in ("62", "6201", "620102", "620102001", "620102Z01"):
        assert {(organ, "petition_clerk"), (organ, "handler"), (organ, "leader")} <= organs
    assert {("330683", "evaluator"), ("330683", "case_manager"), ("62", "auditor")} <= organs
    assert "administrator" in {r["roles"][0] for r in document["users"]}

    production = gateway_settings.model_copy(
        update={
            "baton_env": "production",
            "baton_service_token_private_key": "A" * 43 + "=",
            "baton_identity_key": "B" * 43 + "=",
        }
    )
    with pytest.raises(Forbidden) as refused:
        demo_records(document, production=True)
    assert refused.value.code == "demo_users_in_production"
    assert prepare(production) == []  # `baton up` in production loads none
    tree = load_org_tree()
    parts = open_identity(production, tree)
    try:
        with pytest.raises(Forbidden):
            load_demo_users(parts.store, tree, parts.identity, document)
    finally:
        parts.close()
    with pytest.raises(InvalidInput) as refused:
        demo_records({**document, "demo": False}, production=False)
    assert refused.value.code == "users_document_not_demo"
    with pytest.raises(InvalidInput):
        demo_records({"demo": True, "users": [{"username": "x"}]}, production=False)


def run_cli(settings, tmp_path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {
        "DATABASE_URL": settings.database_url,
        "BATON_NAMESPACE": settings.baton_namespace,
        "BATON_DATA_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        # As in a real deployment, the schema is declared by the owner role.
        "DATABASE_OWNER_URL": os.environ.get("DATABASE_OWNER_URL", ""),
    }
    return subprocess.run(
        [sys.executable, "-m", "deploy.cli", "users", *args],
        env=env,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
    )


def test_baton_users_add_from_a_password_file(gateway_settings, gateway_client, tmp_path):
    secret = tmp_path / "password"
    secret.write_text("a long enough secret\n")
    done = run_cli(
        gateway_settings,
        tmp_path,
        "add",
        "handler.li",
        "--name",
        "李承办",
        "--organ",
        "620102",
        "--office",
        "supervision",
        "--role",
        "handler",
        "--password-file",
        str(secret),
    )
    assert done.returncode == 0, done.stderr
    assert "added handler.li (620102, supervision, handler)" in done.stdout
    assert "a long enough secret" not in done.stdout + done.stderr
    assert "errors" not in login(gateway_client(), "handler.li", "a long enough secret")

    again = run_cli(
        gateway_settings,
        tmp_path,
        "add",
        "handler.li",
        "--name",
        "李承办",
        "--organ",
        "620102",
        "--office",
        "supervision",
        "--role",
        "handler",
        "--password-file",
        str(secret),
    )
    assert again.returncode == 1 and again.stderr.startswith("username_taken:")
    bad = run_cli(
        gateway_settings,
        tmp_path,
        "add",
        "handler.wu",
        "--name",
        "吴",
        "--organ",
        "999999",
        "--office",
        "supervision",
        "--role",
        "handler",
        "--password-file",
        str(secret),
    )
    assert bad.returncode == 1 and bad.stderr.startswith("user_organ_unknown:")

    with_totp = run_cli(
        gateway_settings,
        tmp_path,
        "add",
        "leader.li",
        "--name",
        "李领导",
        "--organ",
        "620102",
        "--office",
        "petition",
        "--role",
        "leader",
        "--password-file",
        str(secret),
        "--totp",
    )
    assert with_totp.returncode == 0, with_totp.stderr
    assert "otpauth://totp/Baton:leader.li" in with_totp.stdout
    enrol = run_cli(gateway_settings, tmp_path, "totp", "leader.li")
    assert enrol.returncode == 0 and "otpauth://" in enrol.stdout
    assert run_cli(gateway_settings, tmp_path, "totp", "nobody").returncode == 1


def test_the_password_is_never_an_argument():
    done = subprocess.run(
        [sys.executable, "-m", "deploy.cli", "users", "add", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "--password-file" in done.stdout and "--password " not in done.stdout
