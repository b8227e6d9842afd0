"""The running platform, as `baton up` starts it with the runtime role: checkpoints are
signed and witnessed, `baton verify` passes, and an outside auditor's script checks the
evidence with hashlib and cryptography alone."""

from __future__ import annotations

import ast
import base64
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from deploy import audit_cli
from deploy.cli import main as baton
from infra.audit.keys import public_bytes
from infra.settings import Settings

from ..platform.logged_in import StaffClient

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "deploy" / "verify_checkpoint.py"
PRIVILEGES = (
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "TRUNCATE",
    "MAINTAIN",
    "REFERENCES",
    "TRIGGER",
)
REGISTER = """
mutation Register($input: RegisterPetitionInput!) {
  registerPetition(input: $input) { caseId registrationNumber }
}"""


def register(url: str) -> None:
    variables = {
        "input": {
            "organCode": "620102",
            "channel": "web",
            "summary": "网络举报某局长违规收受礼金",
            "receivedAt": dt.datetime.now(dt.UTC).isoformat(),
        }
    }
    clerk = StaffClient(url)  # the county clerk of the demo users
    try:
        body = clerk.post(REGISTER, **variables)
    finally:
        clerk.close()
    assert "errors" not in body, body


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"not within {timeout} s")


def witnessed_copies(owner_url: str, namespace: str) -> int:
    with psycopg.connect(owner_url) as conn:
        total = 0
        for name in ("stats", "routing", "supervision", "gateway"):
            row = conn.execute(
                "SELECT to_regclass(%s)", (f'"{namespace}{name}".audit_witness',)
            ).fetchone()
            if row and row[0]:
                total += conn.execute(
                    f'SELECT count(*) FROM "{namespace}{name}".audit_witness WHERE store = %s',
                    (f"{namespace}intake",),
                ).fetchone()[0]
        return total


@pytest.fixture
def settings(platform, database_url: str) -> Settings:
    return Settings(database_url=database_url, baton_namespace=platform.settings.baton_namespace)


def test_the_platform_signs_witnesses_and_verifies(platform, settings, database_owner_url, capsys):
    url = platform.gateway_url
    register(url)
    register(url)
    namespace = settings.baton_namespace
    # Every other process keeps intake's checkpoints.
    wait_for(lambda: witnessed_copies(database_owner_url, namespace) >= 4)
    assert baton(["verify", "--namespace", namespace, "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "ok intake: " in out and "ok routing: " in out
    intake_line = next(line for line in out.splitlines() if line.startswith("ok intake"))
    assert " 0 witnessed" not in intake_line


def test_the_outside_auditors_script_checks_platform_evidence(platform, settings, tmp_path, capsys):
    register(platform.gateway_url)

    def proved() -> bool:
        capsys.readouterr()
        return audit_cli.prove(settings, "intake", 1) == 0

    wait_for(proved)
    evidence = json.loads(capsys.readouterr().out)
    assert evidence["inclusion"]["sequence"] == 1
    (tmp_path / "evidence.json").write_text(json.dumps(evidence))
    key = base64.b64encode(public_bytes(settings.audit_keys().public_key("intake"))).decode()
    # Outside Baton: a copy of the script in an empty directory, Python in isolated mode.
    alone = tmp_path / "auditor"
    alone.mkdir()
    shutil.copy(SCRIPT, alone / "verify_checkpoint.py")

    def check(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-I", "verify_checkpoint.py", str(path), "--public-key", key],
            cwd=alone,
            capture_output=True,
            text=True,
            env={"PATH": os.environ.get("PATH", "")},
        )

    good = check(tmp_path / "evidence.json")
    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.startswith("OK: checkpoint and event 1 of intake")

    state = bytearray(base64.b64decode(evidence["inclusion"]["event"]["state_b64"]))
    state[5] ^= 1
    evidence["inclusion"]["event"]["state_b64"] = base64.b64encode(bytes(state)).decode()
    evidence["checkpoint"]["size"] += 1
    (tmp_path / "tampered.json").write_text(json.dumps(evidence))
    bad = check(tmp_path / "tampered.json")
    assert bad.returncode == 1
    assert "signature does not hold" in bad.stdout
    assert "do not give the leaf" in bad.stdout


def test_the_auditors_script_imports_nothing_but_cryptography_and_the_standard_library():
    tree = ast.parse(SCRIPT.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= {
        "__future__",
        "argparse",
        "base64",
        "hashlib",
        "json",
        "struct",
        "sys",
        "cryptography",
    }


def test_the_runtime_role_holds_exactly_its_grants_on_every_platform_table(
    platform, settings, database_owner_url
):
    from infra.dbroles import privileges_for

    namespace = settings.baton_namespace
    with psycopg.connect(database_owner_url) as conn:
        tables = conn.execute(
            "SELECT schemaname, tablename FROM pg_tables WHERE schemaname LIKE %s",
            (namespace.replace("_", r"\_") + "%",),
        ).fetchall()
        granted: dict[tuple[str, str], set[str]] = {}
        for schema, table in tables:
            granted[(schema, table)] = {
                privilege
                for privilege in PRIVILEGES
                if conn.execute(
                    "SELECT has_table_privilege('baton_runtime', %s, %s)",
                    (f'"{schema}"."{table}"', privilege),
                ).fetchone()[0]
            }
        owners = {
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname LIKE %s",
                (namespace.replace("_", r"\_") + "%",),
            )
        }
    names = {table for _, table in tables}
    assert {"intakeapplication_events", "intakeapplication_audit", "audit_checkpoints"} <= names
    assert {"audit_witness", "quarantine", "inbox_chain", "case_fact", "users"} <= names
    assert owners == {"baton_owner"}
    for schema, table in tables:
        expected = set(privileges_for(table))
        assert granted[(schema, table)] == expected, (schema, table)
        if table.endswith(("_events", "_audit")):
            assert not {"UPDATE", "DELETE", "TRUNCATE"} & granted[(schema, table)]


def test_baton_checkpoint_signs_every_store_on_demand(platform, settings, capsys):
    register(platform.gateway_url)
    assert audit_cli.checkpoint(settings) == 0
    out = capsys.readouterr().out
    assert "intake: size " in out
