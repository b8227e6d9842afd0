"""The service app factory's conventions: health, coded errors, body-size limit."""

from __future__ import annotations

from eventsourcing.persistence import IntegrityError
from fastapi import Body
from fastapi.testclient import TestClient

from domain.errors import Conflict
from infra.web import create_service_app


def make_client(**kwargs) -> TestClient:
    app = create_service_app("demo", **kwargs)

    @app.post("/echo")
    def echo(value: dict = Body(...)) -> dict:
        return value

    @app.post("/refuse")
    def refuse() -> None:
        raise Conflict("already_done", "已经办理", "Already done", case="c1")

    @app.post("/race")
    def race() -> None:
        raise IntegrityError("duplicate key value violates unique constraint")

    @app.post("/upload")
    async def upload(
        request_body: bytes = Body(b"", media_type="application/octet-stream"),
    ) -> dict:
        return {"size": len(request_body)}

    return TestClient(app)


def test_health_and_readiness_report_their_checks():
    def database() -> None:
        raise OSError("down")

    client = make_client(readiness=[database])
    assert client.get("/healthz").json() == {"status": "ok", "service": "demo"}
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json()["error"]["details"] == {"check": "database"}
    assert make_client().get("/readyz").json()["status"] == "ready"


def test_domain_errors_keep_their_code_and_status():
    response = make_client().post("/refuse")
    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "already_done",
            "message_zh": "已经办理",
            "message_en": "Already done",
            "details": {"case": "c1"},
        }
    }


def test_invalid_and_malformed_bodies_get_stable_codes_without_echoing_input():
    client = make_client()
    invalid = client.post("/echo", content=b"[1, 2]", headers={"content-type": "application/json"})
    assert invalid.status_code == 422
    assert invalid.json()["error"]["code"] == "request_invalid"
    assert "1, 2" not in invalid.text
    broken = client.post("/echo", content=b"{oops", headers={"content-type": "application/json"})
    assert broken.status_code in (400, 422)
    assert broken.json()["error"]["code"] in ("request_malformed", "request_invalid")
    assert client.get("/nowhere").json()["error"]["code"] == "not_found"
    assert client.get("/echo").json()["error"]["code"] == "method_not_allowed"


def test_bodies_over_the_limit_are_refused_declared_or_streamed():
    client = make_client(max_body_bytes=1000)
    assert client.post("/upload", content=b"x" * 1000).json() == {"size": 1000}
    declared = client.post("/upload", content=b"x" * 1001)
    assert declared.status_code == 413
    assert declared.json()["error"]["code"] == "request_too_large"

    def chunks():
        for _ in range(5):
            yield b"x" * 400

    streamed = client.post("/upload", content=chunks())
    assert streamed.status_code == 413
    assert streamed.json()["error"]["code"] == "request_too_large"


def test_readiness_checks_follow_what_the_service_is_configured_with():
    from infra.settings import Settings
    from infra.web import readiness_checks

    assert readiness_checks(Settings(database_url=None, kafka_bootstrap_servers=None)) == []
    both = readiness_checks(
        Settings(database_url="postgresql://x@127.0.0.1:1/x", kafka_bootstrap_servers="127.0.0.1:1")
    )
    assert [check.__name__ for check in both] == ["database", "broker"]


def test_a_lost_race_in_the_store_is_409_concurrent_update_in_every_service():
    answer = make_client().post("/race")
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "concurrent_update"
    assert error["message_zh"] and error["message_en"]
    assert "duplicate key" not in answer.text


def test_error_details_may_use_any_name_even_status():
    from infra.web import error_json

    answer = error_json(409, "state_wrong", "状态不符", "Wrong state", status="closed", code2="x")
    assert answer.status_code == 409
    assert b'"status":"closed"' in answer.body


def test_a_worker_that_dies_is_started_again_until_the_process_stops() -> None:
    import threading

    from infra.service import Workers

    calls: list[int] = []
    second = threading.Event()

    def flaky(stop: threading.Event) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("the database went away")
        second.set()
        stop.wait()

    workers = Workers([("flaky", flaky)]).start()
    try:
        assert second.wait(10), "the worker was not started again"
    finally:
        workers.join()
    assert len(calls) == 2


def test_a_database_gone_under_a_request_is_a_coded_503():
    import psycopg
    from eventsourcing.persistence import OperationalError

    app = create_service_app("demo")
    raised = {
        "shutdown": psycopg.errors.AdminShutdown("terminating connection"),
        "broken": psycopg.InterfaceError("the connection is closed"),
        "store": OperationalError("server closed the connection unexpectedly"),
    }

    @app.post("/db/{kind}")
    def database(kind: str) -> None:
        raise raised[kind]

    client = TestClient(app, raise_server_exceptions=False)
    for kind in raised:
        response = client.post(f"/db/{kind}")
        assert response.status_code == 503, kind
        error = response.json()["error"]
        assert error["code"] == "database_unavailable"
        assert error["message_zh"] and error["message_en"]
