"""`baton calendar publish YEAR FILE.yaml` against a running supervision API."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from deploy.cli import main
from infra.embedded import free_port
from infra.settings import get_settings
from services.supervision.application import SupervisionApplication
from services.supervision.main import create_app
from tests.service_tokens import KEY, VERIFIER
from tests.unit.routing.orgs import org_tree


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, SupervisionApplication]]:
    # The command signs with the platform's private key: the tests' key here.
    raw = KEY.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    monkeypatch.setenv("BATON_SERVICE_TOKEN_PRIVATE_KEY", base64.b64encode(raw).decode())
    get_settings.cache_clear()
    app = SupervisionApplication(org_tree())
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(app, verifier=VERIFIER), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(5)
        get_settings.cache_clear()


def test_publish_sends_the_file_and_reports_the_new_calendar(
    served: tuple[str, SupervisionApplication], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    url, app = served
    schedule = tmp_path / "2027.yaml"
    schedule.write_text("year: 2027\nsource: 国办发明电〔2026〕1号\n"
                        "holidays: [2027-01-01, 2027-10-01]\nworkdays: [2027-02-06]\n",
                        encoding="utf-8")
    assert main(["calendar", "publish", "2027", str(schedule), "--url", url]) == 0
    assert '"year": 2027' in capsys.readouterr().out
    assert 2027 in app.calendar.known_years()
    assert main(["calendar", "publish", "2027", str(schedule), "--url", url]) == 1
    assert "calendar_year_known" in capsys.readouterr().out
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("- not a schedule\n", encoding="utf-8")
    assert main(["calendar", "publish", "2027", str(wrong), "--url", url]) == 2
