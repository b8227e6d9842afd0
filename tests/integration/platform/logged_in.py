"""A GraphQL client logged in as one of the demo users (deploy/data/users.yaml)."""

from __future__ import annotations

import httpx

DEMO_PASSWORD = "baton-demo-2026"

LOGIN = """mutation($u: String!, $p: String!) {
  login(username: $u, password: $p) { csrfToken user { username organ { code } } } }"""


class StaffClient:
    """Keeps the session cookie and sends the CSRF token with every request."""

    def __init__(self, url: str, username: str = "clerk.620102", **client_options) -> None:
        self.url = url
        self.http = httpx.Client(timeout=20, **client_options)
        body = self.post(LOGIN, u=username, p=DEMO_PASSWORD)
        assert "errors" not in body, body
        self.csrf = body["data"]["login"]["csrfToken"]
        self.http.headers["X-CSRF-Token"] = self.csrf

    def post(self, query: str, **variables) -> dict:
        response = self.http.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables}
        )
        assert response.status_code == 200, response.text
        return response.json()

    def close(self) -> None:
        self.http.close()
