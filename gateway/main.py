"""Composition root of the gateway."""

from __future__ import annotations

import gc
import logging

from gateway.app import build
from infra.service import serve
from infra.settings import get_settings
from infra.telemetry import configure_logging, setup_telemetry


def main() -> None:
    configure_logging()
    # uvicorn logs each request already; a line per service call would double the log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = get_settings()
    setup_telemetry("gateway")
    app = build(settings)
    # The schema, the app and the libraries are built now and live as long as the process:
    # out of the collector's sight, a full collection no longer walks them every time.
    gc.freeze()
    serve(app, settings.baton_host, settings.gateway_port, request_lines=True)


if __name__ == "__main__":
    main()
