"""The gateway app: GraphiQL outside production only; organs and channels from domain data."""

from __future__ import annotations

from fastapi.testclient import TestClient

from gateway.app import build
from infra.settings import Settings


def graphiql(settings: Settings) -> TestClient:
    return TestClient(build(settings))


def test_graphiql_is_served_in_development_but_not_in_production(tmp_path):
    development = graphiql(Settings(baton_data_dir=tmp_path))
    page = development.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()

    production = graphiql(Settings(baton_env="production", baton_data_dir=tmp_path))
    page = production.get("/graphql", headers={"Accept": "text/html"})
    assert "graphiql" not in page.text.lower()


def test_organs_and_channels_come_from_the_domain(tmp_path):
    client = graphiql(Settings(baton_data_dir=tmp_path))
    body = client.post(
        "/graphql", json={"query": "{ organs { code name level } channels { code labelZh } }"}
    ).json()
    organs = {o["code"]: o for o in body["data"]["organs"]}
    assert organs["62"]["name"] == "甘肃省纪委监委" and organs["62"]["level"] == "province"
    channels = {c["code"]: c["labelZh"] for c in body["data"]["channels"]}
    assert set(channels) == {"letter", "visit", "web", "phone", "body_handover", "upper_handover"}


def test_an_unreachable_service_is_a_coded_error_not_a_crash(tmp_path):
    client = graphiql(Settings(baton_data_dir=tmp_path, stats_port=1))
    body = client.post(
        "/graphql",
        json={
            "query": '{ organStats(organ: "62", from: "2026-01-01", to: "2026-01-31") { total } }'
        },
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "service_unavailable"
    assert body["errors"][0]["extensions"]["message_zh"]
