"""`baton status` and `baton deadletters`: what an operator looks at and acts on."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from infra.settings import Settings

COMMANDS = ("status", "deadletters")


def add_commands(commands: Any) -> None:
    status = commands.add_parser("status", help="processes, lag, backlog, dead letters 运行状态")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument("--namespace", help="the platform's namespace (BATON_NAMESPACE)")
    letters = commands.add_parser("deadletters", help="records consumers could not apply 死信")
    letters.add_argument("action", nargs="?", default="list", choices=["list", "retry", "discard"])
    letters.add_argument("id", nargs="?", type=int, help="the dead letter's id (retry, discard)")
    letters.add_argument("--namespace", help="the platform's namespace (BATON_NAMESPACE)")
    letters.add_argument("--json", action="store_true", help="machine-readable output")
    letters.add_argument(
        "--wait", type=float, default=15.0, help="seconds to wait for a retry's outcome"
    )


def run(args: argparse.Namespace) -> int:
    if args.command == "status":
        return status(args)
    return deadletters(args)


def _running_database(settings: Settings) -> str | None:
    """DATABASE_URL, or the embedded server of the data dir if it is running."""
    if settings.database_url:
        return settings.database_url
    from infra.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(settings.baton_data_dir / "postgres", settings.embedded_postgres_port)
    return server.url if server._is_running() else None


def status(args: argparse.Namespace) -> int:
    """Print the platform's status; exit 1 when `baton up` is not running."""
    from deploy.status import collect, render

    settings = Settings()
    namespace = args.namespace if args.namespace is not None else settings.baton_namespace or None
    report = collect(
        settings.baton_data_dir.resolve(),
        _running_database(settings),
        settings.kafka_bootstrap_servers,
        namespace,
    )
    print(json.dumps(report, indent=2, default=str) if args.json else render(report))
    return 0 if report["running"] else 1


@contextmanager
def _letters(args: argparse.Namespace) -> Iterator[Any]:
    from deploy.cli import _database
    from infra.deadletter import DeadLetters, schema_of

    base = Settings()
    namespace = args.namespace if args.namespace is not None else base.baton_namespace
    with _database(base) as settings:
        assert settings.database_url
        store = DeadLetters(settings.database_url, schema_of(namespace))
        try:
            yield store
        finally:
            store.close()


def deadletters(args: argparse.Namespace) -> int:
    """List, retry or discard dead letters."""
    if args.action != "list" and args.id is None:
        print(f"baton deadletters {args.action} needs an ID", file=sys.stderr)
        return 2
    with _letters(args) as store:
        if args.action == "list":
            rows = [letter.summary() for letter in store.list()]
            if args.json:
                print(json.dumps(rows, indent=2))
            for row in [] if args.json else rows:
                print(
                    f"{row['id']:>6}  {row['status']:<9} {row['consumer']} ← {row['topic']}"
                    f"[{row['partition']}]@{row['offset']}  {row['reason_code']}: {row['reason']}"
                )
            if not args.json:
                print(f"{len(rows)} dead letters 死信")
            return 0
        if args.action == "discard":
            letter = store.discard(args.id)
            return _outcome(letter, args.id, "discarded")
        letter = store.request_retry(args.id)
        deadline = time.monotonic() + args.wait
        while letter is not None and letter.status == "retry" and time.monotonic() < deadline:
            time.sleep(0.2)
            letter = store.get(args.id)
        if letter is not None and letter.status == "retry":
            print(f"dead letter {args.id} is marked for retry; its consumer is not running")
            return 1
        return _outcome(letter, args.id, "retried")


def _outcome(letter: Any, letter_id: int, wanted: str) -> int:
    if letter is None:
        print(f"no dead letter {letter_id} 无此死信", file=sys.stderr)
        return 1
    print(f"dead letter {letter.id}: {letter.status} ({letter.reason_code}: {letter.reason})")
    return 0 if letter.status == wanted else 1
