"""Intake's relay 转发 in a process of its own (`baton up`'s `intake-relay`).

Registrations are what people wait for: publishing them to the topic (decode, sign,
send) moved out of the interpreter that answers them, which then runs with
`BATON_RELAY_APART=1`. The relay's store lock keeps one publisher per store, so a relay
left beside a service started without that setting only waits.
"""

from __future__ import annotations

from infra.eventstore import ServiceApplication
from infra.service import relay_worker, run_workers
from infra.settings import get_settings
from infra.telemetry import configure_logging, setup_telemetry
from services.intake.application import IntakeApplication


class IntakeStore(ServiceApplication):
    """Intake's event store alone: the relay reads and decodes its events and runs no use
    case (no org tree, rules, sealer or text normaliser in this process's memory)."""

    name = IntakeApplication.name  # the library names the store's tables after it


def main() -> None:
    configure_logging()
    settings = get_settings()
    setup_telemetry("intake-relay")
    store = IntakeStore("intake", settings.database_url, settings.schema_of("intake"))
    run_workers([relay_worker(store, settings)])


if __name__ == "__main__":
    main()
