"""`baton import` against the running platform, with the environment `baton up` gives the
services: the imported history reaches stats through the relays, counted on its own
historical days, and the consumers add nothing to cases imported whole."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg

from services.importing.building import case_id_of

from .logged_in import StaffClient

STATS = """
query Stats($organ: String!, $from: Date!, $to: Date!) {
  organStats(organ: $organ, from: $from, to: $to) { total byChannel { channel count } }
}"""
ORGAN = "620102"


def report(n: int, channel: str, screening: dict, **fields: object) -> str:
    return json.dumps({
        "source_id": f"LIVE-{n}", "organ": ORGAN, "channel": channel,
        # 2024-02-29 09:00 in Beijing is still the 29th: the leap day counts.
        "received_at": f"2024-02-{27 + n % 3:02d}T09:00:00+08:00", "visitors": 1,
        "real_name": False, "reported_persons": [], "categories": ["mass_discipline"],
        "key_fields": [], "summary": f"反映历史问题{n}", "screening": screening, **fields,
    }, ensure_ascii=False)


def baton_import(env: dict[str, str], path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deploy.cli", "import", str(path)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )


def test_history_imported_while_the_platform_runs_shows_in_its_statistics(
    platform, tmp_path: Path
) -> None:
    accepted = {"outcome": "accepted", "type": "accusation"}
    conclusion = {"disposal": "inquiry", "outcome": "not_substantiated",
                  "substantiation": "untrue", "concluded_at": "2024-04-01T10:00:00+08:00"}
    lines = [
        report(0, "letter", accepted, conclusion=conclusion),
        report(1, "web", {"outcome": "diverted", "department": "人社局"}),
        report(2, "letter", {"outcome": "repeat", "first": "LIVE-0"}),
        report(3, "phone", {"outcome": "not_accepted", "reason": "无实质内容"}),
        report(4, "fax", accepted),  # refused: line 5
    ]
    path = tmp_path / f"live-{uuid.uuid4().hex[:6]}.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    clerk = StaffClient(platform.gateway_url, f"clerk.{ORGAN}")
    window = {"organ": ORGAN, "from": "2024-02-01", "to": "2024-02-29"}
    assert clerk.post(STATS, **window)["data"]["organStats"]["total"] == 0

    done = baton_import(platform.env, path)
    assert done.returncode == 1, done.stderr
    assert "line 5: vocabulary_unknown_code:" in done.stderr
    assert "5 lines: 4 imported, 0 already there, 1 refused" in done.stdout

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        counts = clerk.post(STATS, **window)["data"]["organStats"]
        if counts["total"] == 4:
            break
        time.sleep(0.5)
    assert counts["total"] == 4
    assert {c["channel"]: c["count"] for c in counts["byChannel"]} == {
        "letter": 2, "web": 1, "phone": 1}

    # Routing found the handling open and intake found the result published: after the
    # consumers had their turn, the concluded case holds exactly the imported events.
    time.sleep(3)
    first = case_id_of(ORGAN, "LIVE-0")
    namespace = platform.settings.baton_namespace
    with psycopg.connect(platform.env["DATABASE_URL"]) as conn:
        intake = conn.execute(
            f'SELECT count(*) FROM "{namespace}intake".intakeapplication_events '
            "WHERE originator_id = %s", (first,)).fetchone()
        routing = conn.execute(
            f'SELECT count(*) FROM "{namespace}routing".routingapplication_events '
            "WHERE originator_id = %s", (first,)).fetchone()
    assert intake is not None and routing is not None
    assert intake[0] == 4  # Registered, Accepted, HandlingStarted, ResultPublished
    assert routing[0] == 4  # Opened, DisposalDecided, Concluded, RepeatLinked

    again = baton_import(platform.env, path)
    assert "5 lines: 0 imported, 4 already there, 1 refused" in again.stdout
