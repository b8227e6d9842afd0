"""`baton verify`, `baton checkpoint` and `baton migrate`: thin commands over infra/audit
and the owner-role migration."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable, Mapping

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from infra.settings import Settings

MIGRATED_PROCESSES = {
    "intake": "services.intake.main",
    "routing": "services.routing.main",
    "supervision": "services.supervision.main",
    "stats": "services.stats.main",
    "gateway": "gateway.main",
}


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    verify = commands.add_parser("verify", help="verify every store's audit trail (审计校验)")
    verify.add_argument("--service", action="append", help="only this service (repeatable)")
    verify.add_argument("--namespace", help="the platform's namespace (BATON_NAMESPACE)")
    verify.add_argument("--quiet", action="store_true", help="no progress bar")
    commands.add_parser("checkpoint", help="sign a checkpoint of every store now")
    prove = commands.add_parser("prove", help="evidence for an outside auditor (JSON)")
    prove.add_argument("--service", required=True, help="whose store, e.g. intake")
    prove.add_argument("--sequence", type=int, help="include this event's inclusion proof")
    commands.add_parser("migrate", help="declare every table as the owner role, grant the rest")
    quarantine = commands.add_parser("quarantine", help="records the consumers refused (隔离)")
    quarantine.add_argument("--namespace", help="the platform's namespace (BATON_NAMESPACE)")


def run(args: argparse.Namespace, settings: Settings | None = None) -> int:
    settings = settings or Settings()
    if args.command == "verify":
        return verify(settings, args.service, args.namespace, quiet=args.quiet)
    if args.command == "checkpoint":
        return checkpoint(settings)
    if args.command == "migrate":
        return migrate(settings)
    if args.command == "prove":
        return prove(settings, args.service, args.sequence)
    if args.command == "quarantine":
        return quarantine(settings, args.namespace)
    return 2


def verify(
    settings: Settings, only: list[str] | None, namespace: str | None, quiet: bool = False
) -> int:
    """Exit 0 if every store verifies, 1 naming the first broken link."""
    from infra.audit.platform import verify_all

    url = settings.database_owner_url or settings.database_url
    if not url:
        print("baton verify: DATABASE_URL is not set", file=sys.stderr)
        return 2
    console = Console(stderr=True, quiet=quiet)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeRemainingColumn(), console=console) as bar:

        def progress_for(service: str, total: int) -> Callable[[int], None]:
            task = bar.add_task(service, total=total)
            return lambda done: bar.advance(task, done)

        reports = verify_all(
            url,
            settings.audit_keys(),
            settings.baton_namespace if namespace is None else namespace,
            only,
            progress_for,
        )
    if not reports:
        print("baton verify: no audited store found", file=sys.stderr)
        return 1
    for report in reports:
        if report.broken is not None:
            print(f"BROKEN {report.broken}")
            return 1
        print(
            f"ok {report.service}: {report.events} events, {report.checkpoints} checkpoints, "
            f"{report.witnessed} witnessed copies"
        )
    return 0


def checkpoint(settings: Settings) -> int:
    """Sign and publish a checkpoint of every store of the platform now."""
    import psycopg

    from infra.audit.platform import audited_stores
    from infra.audit.wiring import checkpointer_for_store

    assert settings.database_url, "DATABASE_URL is needed"
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        stores = audited_stores(conn, settings.baton_namespace)
    for service, schema in stores:
        checkpointer = checkpointer_for_store(settings, service, schema)
        made = checkpointer.checkpoint(force=True)
        if checkpointer.publish is not None:
            checkpointer.publish.close()  # type: ignore[attr-defined]
        if made is not None:
            print(f"{service}: size {made.size} root {made.root}")
    return 0


def prove(settings: Settings, service: str, sequence: int | None) -> int:
    """Print the latest checkpoint (and one event's inclusion proof) as JSON."""
    import json

    import psycopg

    from infra.audit.proofs import evidence

    assert settings.database_url, "DATABASE_URL is needed"
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        try:
            found = evidence(
                conn,
                settings.schema_of(service),
                settings.audit_keys().public_key(service),
                sequence,
            )
        except LookupError as exc:
            print(f"baton prove: {exc}", file=sys.stderr)
            return 1
    print(json.dumps(found, indent=2, sort_keys=True))
    return 0


def quarantine(settings: Settings, namespace: str | None) -> int:
    """Print how many records each consumer quarantined, and why; exit 1 if any."""
    import psycopg

    from infra.audit.platform import quarantine_summary

    url = settings.database_owner_url or settings.database_url
    assert url, "DATABASE_URL is needed"
    with psycopg.connect(url, autocommit=True) as conn:
        rows = quarantine_summary(
            conn, settings.baton_namespace if namespace is None else namespace
        )
    for row in rows:
        print(
            f"{row['count']:6d}  {row['reason']:<14} {row['consumer']} ← {row['topic']}  "
            f"latest {row['latest']:%Y-%m-%d %H:%M:%S}"
        )
    print(f"{sum(r['count'] for r in rows)} quarantined")
    return 1 if rows else 0


def migrate(settings: Settings, env: Mapping[str, str] | None = None) -> int:
    """Run every process's declarations as the owner, then grant the runtime role."""
    owner = settings.database_owner_url
    if not owner:
        print("baton migrate: DATABASE_OWNER_URL is not set", file=sys.stderr)
        return 2
    run_migrations(owner, runtime_role(settings), env if env is not None else os.environ)
    return 0


def runtime_role(settings: Settings) -> str:
    from infra.dbroles import RUNTIME_ROLE, user_of

    return user_of(settings.database_url) if settings.database_url else RUNTIME_ROLE


def run_migrations(
    owner_url: str, runtime: str, env: Mapping[str, str], timeout: float = 180
) -> None:
    """Each process declares its own tables as the owner (`BATON_MIGRATE=1`), in parallel."""
    child_env = {
        **env,
        "DATABASE_URL": owner_url,
        "BATON_MIGRATE": "1",
        "BATON_RUNTIME_ROLE": runtime,
    }
    child_env.pop("DATABASE_OWNER_URL", None)
    children = {
        name: subprocess.Popen(
            [sys.executable, "-m", module],
            env=child_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for name, module in MIGRATED_PROCESSES.items()
    }
    failed = []
    for name, child in children.items():
        output, _ = child.communicate(timeout=timeout)
        if child.returncode != 0:
            failed.append(f"{name}: {output.decode(errors='replace')[-2000:]}")
    if failed:
        raise RuntimeError("migration failed\n" + "\n".join(failed))
