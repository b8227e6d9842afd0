"""`baton rebuild stats|intake|supervision`: read models rebuilt from the event stores.

Each uses `DATABASE_URL` and `BATON_NAMESPACE`, or the embedded PostgreSQL of `baton up`
(started for the command and stopped after, when `baton up` is not running).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from infra.settings import Settings

MODELS = ("stats", "intake", "supervision")


def add_arguments(rebuild: argparse.ArgumentParser) -> None:
    rebuild.add_argument("model", choices=MODELS, help="which read models")
    rebuild.add_argument(
        "--workers",
        type=int,
        default=1,
        help="stats: fold the cases in this many forked processes (for idle cores)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    commands: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
        "stats": _stats,
        "intake": _intake,
        "supervision": _supervision,
    }
    return commands[args.model](args, settings)


def _stats(args: argparse.Namespace, settings: Settings) -> int:
    from services.stats.rebuild import rebuild_from_settings

    report = rebuild_from_settings(settings, workers=max(1, args.workers))
    print(
        f"stats rebuilt: {report.events} events, {report.cases} cases, {report.rate:,.0f} events/s"
    )
    return 0


def _intake(args: argparse.Namespace, settings: Settings) -> int:
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


def _supervision(args: argparse.Namespace, settings: Settings) -> int:
    from services.supervision.rebuild import compare

    assert settings.database_url, "DATABASE_URL is needed to rebuild supervision"
    found = compare(settings.database_url, settings.schema_of("supervision"))
    # Supervision keeps its read model in memory and builds it on every start; the
    # command replays it from each aggregate's stream, checks the log-following one, and
    # has a running supervision replace its own index with a replay.
    live = _rebuild_running_supervision(settings)
    for kind, digest in found.replayed.items():
        same = "equal" if found.followed.get(kind) == digest else "DIFFERENT"
        print(f"  {kind}: {digest} ({same})")
    verdict = "equal to" if found.equal else "DIFFERENT from"
    print(
        f"supervision index rebuilt: {found.aggregates} aggregates in {found.seconds:.1f} s, "
        f"{verdict} the index followed along the log"
    )
    if live is None:
        print("supervision is not running here: it builds its index from the store on start")
        return 0 if found.equal else 1
    before, after = live
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    print(
        "running supervision's index replaced by a replay: "
        + (f"it differed in {', '.join(changed)}" if changed else "it was equal")
    )
    return 0 if found.equal else 1


def _rebuild_running_supervision(
    settings: Settings,
) -> tuple[dict[str, str], dict[str, str]] | None:
    """The running supervision's index digests before and after it replaced its index with
    a replay (as an administrator, with a token signed by the platform's key), or None
    when no supervision answers."""
    import time

    import httpx

    from infra.auth import ServiceIdentity, sign, signing_key
    from infra.reference_data import load_org_tree

    base = settings.url_of("supervision")
    try:
        httpx.get(f"{base}/healthz", timeout=5).raise_for_status()
    except httpx.HTTPError:
        return None
    organ = load_org_tree().roots()[0].code
    operator = ServiceIdentity(
        "cli:rebuild", "rebuild", "rebuild", organ, "case_management", ("administrator",)
    )
    headers = {"Authorization": f"Bearer {sign(operator, signing_key(settings), time.time())}"}
    before = httpx.get(f"{base}/read-models/digests", headers=headers, timeout=60)
    before.raise_for_status()
    after = httpx.post(f"{base}/read-models/rebuild", headers=headers, timeout=600)
    after.raise_for_status()
    return before.json()["digests"], after.json()["digests"]
