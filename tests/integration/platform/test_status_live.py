"""`baton status` on the running platform after a registration: the intake relay has
published what its store holds, and the store's last signed checkpoint covers it."""

from __future__ import annotations

import time

import pytest

from deploy.status import collect

from .casework import REGISTER, ok, registration

pytestmark = pytest.mark.integration


def test_status_shows_relay_backlog_and_checkpoints_after_a_registration(platform, clients) -> None:
    ok(clients("clerk.620102").post(REGISTER, input=registration("620102")))
    ns = platform.settings.baton_namespace
    deadline = time.monotonic() + 30
    while True:
        status = collect(
            platform.data_dir,
            platform.env["DATABASE_URL"],
            platform.env["KAFKA_BOOTSTRAP_SERVERS"],
            ns,
        )
        intake = next(r for r in status["relays"] if r["relay"] == "intake")
        signed = {c["store"]: c for c in status["checkpoints"]}
        if intake["backlog"] == 0 and signed.get("intake", {}).get("size", 0) >= intake["stored"]:
            break
        assert time.monotonic() < deadline, status
        time.sleep(0.5)
    assert intake["stored"] >= 1 and intake["published"] == intake["stored"]
    intake_lag = [row for row in status["consumers"] if row["topic"] == f"{ns}intake.events"]
    assert {row["consumer"] for row in intake_lag} >= {f"{ns}routing", f"{ns}stats"}
    assert sum(row["end"] for row in intake_lag) >= 1
