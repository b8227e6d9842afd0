"""The gateway app: GraphiQL outside production only; organs and channels from domain data.

Users and sessions live in PostgreSQL (the session's server); the services are stood in
for by fakes.
"""

from __future__ import annotations

import base64

from fastapi.testclient import TestClient

from gateway.app import build
from infra.auth import TokenVerifier, verification_key
from infra.settings import Settings


def graphiql(settings: Settings) -> TestClient:
    return TestClient(build(settings))


def test_graphiql_is_served_in_development_but_not_in_production(gateway_settings):
    development = graphiql(gateway_settings)
    page = development.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()

    production = graphiql(
        gateway_settings.model_copy(
            update={
                "baton_env": "production",
                "baton_service_token_private_key": base64.b64encode(bytes(32)).decode(),
                "baton_identity_key": base64.b64encode(bytes(range(32))).decode(),
            }
        )
    )
    page = production.get("/graphql", headers={"Accept": "text/html"})
    assert "graphiql" not in page.text.lower()


def test_organs_and_channels_come_from_the_domain(gateway_settings, staff):
    client = graphiql(gateway_settings)
    staff.add("clerk.li")
    staff.login(client, "clerk.li")
    body = client.post(
        "/graphql", json={"query": "{ organs { code name level } channels { code labelZh } }"}
    ).json()
    organs = {o["code"]: o for o in body["data"]["organs"]}
    assert organs["62"]["name"] == "甘肃省纪委监委" and organs["62"]["level"] == "province"
    channels = {c["code"]: c["labelZh"] for c in body["data"]["channels"]}
    assert set(channels) == {"letter", "visit", "web", "phone", "body_handover", "upper_handover"}


def test_an_unreachable_service_is_a_coded_error_not_a_crash(gateway_settings, staff):
    client = graphiql(gateway_settings.model_copy(update={"stats_port": 1}))
    staff.add("clerk.li")
    staff.login(client, "clerk.li")
    body = client.post(
        "/graphql",
        json={
            "query": '{ organStats(organ: "62", from: "2026-01-01", to: "2026-01-31") { total } }'
        },
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "service_unavailable"
    assert body["errors"][0]["extensions"]["message_zh"]


class FakeIntake:
    """Stands in for the intake client: records calls, answers or refuses."""

    def __init__(self, answer=None, error=None):
        self.calls = []
        self.answer, self.error = answer, error

    async def request(self, method, path, **kwargs):
        self.calls.append((method, path, kwargs))
        if self.error is not None:
            raise self.error
        return self.answer


PROGRESS = '{ progress(code: "ABCD-EFGH-JKMN") { stage messageZh messageEn receivedOn resultZh } }'


def with_intake(settings, fake):
    app = build(settings)
    app.state.gateway.intake = fake
    return TestClient(app)


def test_progress_posts_the_code_in_the_body_and_forwards_the_callers_address(
    gateway_settings,
):
    fake = FakeIntake(
        answer={
            "stage": "accepted",
            "message_zh": "已受理",
            "message_en": "Accepted for handling",
            "received_on": "2026-01-02",
            "diverted_to": None,
            "explanation": None,
            "reason": None,
            "result_zh": None,
            "result_en": None,
        }
    )
    # Anonymous: a reporter needs no login.
    body = with_intake(gateway_settings, fake).post("/graphql", json={"query": PROGRESS}).json()
    assert body["data"]["progress"] == {
        "stage": "accepted",
        "messageZh": "已受理",
        "messageEn": "Accepted for handling",
        "receivedOn": "2026-01-02",
        "resultZh": None,
    }
    [(method, path, kwargs)] = fake.calls
    assert (method, path) == ("POST", "/public/progress")
    assert kwargs["json"] == {"receipt_code": "ABCD-EFGH-JKMN"}
    assert kwargs["headers"] == {"X-Forwarded-For": "testclient"}  # TestClient's host


def test_progress_refusals_are_coded_bilingual_graphql_errors(gateway_settings):
    from gateway.clients import ServiceError

    refused = ServiceError("receipt_code_unknown", "查询码不存在", "No report has this code")
    body = (
        with_intake(gateway_settings, FakeIntake(error=refused))
        .post("/graphql", json={"query": PROGRESS})
        .json()
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {
        "code": "receipt_code_unknown",
        "message_zh": "查询码不存在",
        "message_en": "No report has this code",
    }


def test_register_acts_as_the_logged_in_user_with_a_signed_token(gateway_settings, staff):
    fake = FakeIntake(answer={"case_id": "c", "registration_number": "n", "receipt_code": None})
    client = with_intake(gateway_settings, fake)
    mutation = """mutation($input: RegisterPetitionInput!) {
      registerPetition(input: $input) { caseId } }"""
    given = {
        "organCode": "62",
        "channel": "letter",
        "summary": "s",
        "receivedAt": "2026-01-02T09:00:00+08:00",
    }
    staff.add("clerk.li", organ="62")
    csrf = staff.login(client, "clerk.li")
    body = client.post(
        "/graphql",
        json={"query": mutation, "variables": {"input": given}},
        headers={"X-CSRF-Token": csrf},
    ).json()
    assert body["data"]["registerPetition"]["caseId"] == "c"
    [(_, _, kwargs)] = fake.calls
    assert kwargs["headers"] == {"X-Baton-Actor": "clerk.li"}
    identity = TokenVerifier(verification_key(gateway_settings)).verify(kwargs["token"])
    assert (identity.username, identity.organ_code, identity.roles) == (
        "clerk.li",
        "62",
        ("petition_clerk",),
    )
    # The actor is no longer the client's to choose.
    body = client.post(
        "/graphql",
        json={"query": mutation, "variables": {"input": {**given, "actor": "someone.else"}}},
        headers={"X-CSRF-Token": csrf},
    ).json()
    assert body["data"] is None and len(fake.calls) == 1


def test_up_trusts_the_gateway_as_intakes_proxy(tmp_path, monkeypatch):
    import json
    import subprocess

    from deploy import up

    started = {}

    class Child:
        pid = 4242

        def __init__(self, args, env, **kwargs):
            started[args[2]] = env  # python -m <module> <name>

        def poll(self):
            return None

    monkeypatch.setattr(up.Platform, "prepare_identity", lambda self, env: None)
    monkeypatch.setattr(up.Platform, "prepare_roles", lambda self, env: env)
    platform = up.Platform(
        Settings(
            baton_data_dir=tmp_path,
            database_url="postgresql://x/y",
            kafka_bootstrap_servers="127.0.0.1:1",
            baton_demo_history=False,
        ),
        # Spawned, not forked: the stand-in Popen records each child's environment.
        env={"BATON_UP_FORKSERVER": "0"},
    )
    monkeypatch.setattr(subprocess, "Popen", Child)
    monkeypatch.setattr(platform, "wait_healthy", lambda timeout: None)
    platform.start()
    for log in platform._logs.values():
        log.close()
    env = started["services.intake.main"]
    assert json.loads(env["INTAKE_TRUSTED_PROXIES"]) == ["127.0.0.1"]
    from services.intake.main import IntakeSettings

    monkeypatch.setenv("INTAKE_TRUSTED_PROXIES", env["INTAKE_TRUSTED_PROXIES"])
    assert IntakeSettings().trusted_proxies == ["127.0.0.1"]


def test_vocabulary_holds_every_enumeration_of_the_domain(gateway_settings, staff):
    from domain import vocabulary

    client = graphiql(gateway_settings)
    staff.add("clerk.li")
    staff.login(client, "clerk.li")
    body = client.post("/graphql", json={"query": "{ vocabulary { kind code labelZh labelEn } }"})
    terms = body.json()["data"]["vocabulary"]
    kinds = {t["kind"] for t in terms}
    assert {
        "channel",
        "role",
        "office",
        "problem_category",
        "transfer_kind",
        "cadre_level",
    } <= kinds
    assert {
        "kind": "role",
        "code": "leader",
        "labelZh": "分管领导",
        "labelEn": "Leader in charge",
    } in terms
    assert len(terms) == sum(
        len(list(getattr(vocabulary, name)))
        for name in vocabulary.__all__
        if isinstance(getattr(vocabulary, name), type)
        and issubclass(getattr(vocabulary, name), vocabulary.LabelledEnum)
        and getattr(vocabulary, name) is not vocabulary.LabelledEnum
    )
    assert all(t["labelZh"] and t["labelEn"] for t in terms)
