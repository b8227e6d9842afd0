"""What /graphql refuses at the HTTP level, each with a code and one log line: a body over
its cap (413, before it is read whole), operations over GET (a link or an image tag could
run them, and they land in proxy logs) and array batches (one request must be one
operation, so the limits hold per request)."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.web import BodySizeLimit, error_json

log = logging.getLogger("gateway.graphql")

GET_REFUSED = (
    "graphql_get_refused",
    "不接受以GET方式提交的查询",
    "Operations over GET are refused",
)
BATCH_REFUSED = ("batching_refused", "不接受批量请求", "Batched operations are refused")


class GraphQLHttpGuard:
    """On `path`: bodies over `max_body_bytes` (413), GET operations (405) and JSON array
    batches (400) are refused. Other paths (attachment uploads) keep the app's own cap."""

    def __init__(self, app: ASGIApp, path: str = "/graphql", max_body_bytes: int = 1 << 20):
        self.app = app
        self.path = path
        self.capped = BodySizeLimit(self._checked, max_body_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") != self.path:
            await self.app(scope, receive, send)
            return
        await self.capped(scope, receive, send)

    async def _checked(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        if method == "GET":
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            if "query" in query:
                await self._refuse(scope, receive, send, 405, GET_REFUSED)
                return
        if method == "POST":
            first = await receive()
            body = first.get("body", b"") if first["type"] == "http.request" else b""
            if body.lstrip()[:1] == b"[":
                await self._refuse(scope, receive, send, 400, BATCH_REFUSED)
                return
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return first
                return await receive()

            await self.app(scope, replay, send)
            return
        await self.app(scope, receive, send)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, status: int, refusal: tuple[str, str, str]
    ) -> None:
        code, zh, en = refusal
        log.info("graphql refused operation=- code=%s method=%s", code, scope["method"])
        response = error_json(status, code, zh, en)
        if status == 405:
            response.headers["Allow"] = "POST"
        await response(scope, receive, send)
