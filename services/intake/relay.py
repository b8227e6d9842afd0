"""Intake's relay 转发 in a process of its own (`baton up`'s `intake-relay`).

Registrations are what people wait for: publishing them to the topic (decode, sign,
send) moved out of the interpreter that answers them, which then runs with
`BATON_RELAY_APART=1`. The relay's store lock keeps one publisher per store, so a relay
left beside a service started without that setting only waits.
"""

from __future__ import annotations

from infra.service import relay_worker, run_workers
from infra.settings import get_settings
from infra.telemetry import configure_logging, setup_telemetry
from services.intake.main import IntakeSettings, application


def main() -> None:
    configure_logging()
    settings = get_settings()
    setup_telemetry("intake-relay")
    intake = application(settings, IntakeSettings())
    run_workers([relay_worker(intake, settings)])


if __name__ == "__main__":
    main()
