"""`baton rebuild stats|intake|supervision`: read models rebuilt from the event stores.

Each uses `DATABASE_URL` and `BATON_NAMESPACE`, or the embedded PostgreSQL of `baton up`
(started for the command and stopped after, when `baton up` is not running).
"""

from __future__ import annotations

from collections.abc import Callable

from infra.settings import Settings

MODELS = ("stats", "intake", "supervision")


def run(model: str, settings: Settings) -> int:
    commands: dict[str, Callable[[Settings], int]] = {
        "stats": _stats,
        "intake": _intake,
        "supervision": _supervision,
    }
    return commands[model](settings)


def _stats(settings: Settings) -> int:
    from services.stats.rebuild import rebuild_from_settings

    report = rebuild_from_settings(settings)
    print(
        f"stats rebuilt: {report.events} events, {report.cases} cases, {report.rate:,.0f} events/s"
    )
    return 0


def _intake(settings: Settings) -> int:
    from services.intake.rebuild import rebuild

    assert settings.database_url, "DATABASE_URL is needed to rebuild intake"
    report = rebuild(
        settings.database_url, settings.schema_of("intake"), settings.schema_of("routing")
    )
    print(
        f"intake rebuilt (petition_index, handling_view, case_holders): {report.events} events, "
        f"{report.cases} cases, {report.rate:,.0f} events/s"
    )
    return 0


def _supervision(settings: Settings) -> int:
    from services.supervision.rebuild import compare

    assert settings.database_url, "DATABASE_URL is needed to rebuild supervision"
    found = compare(settings.database_url, settings.schema_of("supervision"))
    # Supervision keeps its read model in memory and builds it on every start; the
    # command rebuilds it from each aggregate's stream and checks the log-following one.
    for kind, digest in found.replayed.items():
        same = "equal" if found.followed.get(kind) == digest else "DIFFERENT"
        print(f"  {kind}: {digest} ({same})")
    verdict = "equal to" if found.equal else "DIFFERENT from"
    print(
        f"supervision index rebuilt: {found.aggregates} aggregates in {found.seconds:.1f} s, "
        f"{verdict} the index followed along the log"
    )
    return 0 if found.equal else 1
