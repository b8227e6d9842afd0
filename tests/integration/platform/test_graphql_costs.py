"""What a page costs and where parameters go: a page of 50 cases is a bounded number of
service calls (DataLoaders), and a path parameter cannot reach another route."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from gateway.app import build

from .casework import REGISTER, ok, registration
from .logged_in import DEMO_PASSWORD, StaffClient

pytestmark = pytest.mark.integration

# What the search page and more ask of each case: the search row's fields, intake's facts
# (not in the search row: one petition each, unless batched) and routing's handling.
PAGE = """query($n: Int!, $f: CaseFilter) { cases(first: $n, filter: $f) { edges { node {
  id registrationNumber stage summary registeredAt channel
  organ { code } reportedPersons { name }
  facts { channel receivedAt visitors summary reportedPersons { name } }
  substanceHint { messageZh } attachments { sha256 }
  holder { organCode office }
  status
  handling { version fiveInPlaceMissing }
  transfers { id state target { code } }
  repeats { id holder { organCode } }
  deadlines { id kind due provisional level }
} } pageInfo { hasNextPage } } }"""


@pytest.fixture(scope="module")
def in_process(platform) -> Iterator[TestClient]:
    """A gateway in this process on the platform's services, so its calls can be counted."""
    app = build(platform.settings)
    # One event loop for the whole module: the service clients' connections belong to it.
    with TestClient(app) as client:
        body = client.post(
            "/graphql",
            json={
                "query": "mutation($u: String!, $p: String!) { login(username: $u, password: $p) "
                "{ csrfToken } }",
                "variables": {"u": "clerk.620102", "p": DEMO_PASSWORD},
            },
        ).json()
        client.headers["X-CSRF-Token"] = body["data"]["login"]["csrfToken"]
        yield client
    app.state.gateway.identity.close()


def test_a_page_of_50_cases_costs_a_bounded_number_of_service_calls(platform, in_process):
    clerk = StaffClient(platform.gateway_url, "clerk.620102")
    try:
        for _ in range(50):
            ok(clerk.post(REGISTER, input=registration("620102")))
    finally:
        clerk.close()
    gateway = in_process.app.state.gateway  # type: ignore[attr-defined]

    def cost(first: int) -> dict[str, int]:
        """HTTP requests the gateway sent to each service for one page of `first` cases."""
        before = {c.name: c.calls for c in gateway.services}
        body = in_process.post(
            "/graphql", json={"query": PAGE, "variables": {"n": first, "f": {"organ": "620102"}}}
        ).json()
        page = ok(body)["cases"]["edges"]
        assert len(page) == first
        assert all(edge["node"]["registrationNumber"].startswith("620102") for edge in page)
        assert all(edge["node"]["facts"]["visitors"] == 3 for edge in page)
        assert all(isinstance(edge["node"]["deadlines"], list) for edge in page)
        return {c.name: c.calls - before[c.name] for c in gateway.services}

    # One search and one batch read in intake, one batch read in routing (repeats
    # included) and one in supervision (each case's deadlines), whatever the page's size.
    expected = {"intake": 2, "routing": 1, "stats": 0, "supervision": 1}
    assert cost(50) == expected
    assert cost(5) == expected


def test_a_path_parameter_stays_one_segment(in_process):
    query = """query($o: String!) { organStats(organ: $o, from: "2026-01-01", to: "2026-01-31")
      { organ total } }"""
    for organ in ("../healthz#", "../../readyz?x=", "62/../../healthz"):
        body = in_process.post("/graphql", json={"query": query, "variables": {"o": organ}})
        error = body.json()["errors"][0]["extensions"]
        # Had it reached /healthz, the answer would lack `organ` and fail as internal_error.
        assert error["code"] not in ("internal_error", "service_failed"), (organ, error)
        assert error["message_zh"] and error["message_en"]
