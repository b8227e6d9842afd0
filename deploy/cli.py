"""The `baton` command."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="baton", description="Baton 信访举报协同平台")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="run the whole platform on this machine")
    rebuild = commands.add_parser("rebuild", help="rebuild read models from the event stores")
    rebuild.add_argument("model", choices=["stats"], help="which read models")
    args = parser.parse_args(argv)
    if args.command == "up":
        from deploy.up import up

        return up()
    if args.command == "rebuild":
        return _rebuild_stats()
    return 2


def _rebuild_stats() -> int:
    """Rebuild the stats read models where `baton up` keeps them (or at DATABASE_URL)."""
    from infra.embedded import EmbeddedPostgres
    from infra.settings import get_settings
    from services.stats.rebuild import rebuild_from_settings

    settings = get_settings()
    server = None
    if not settings.database_url:
        server = EmbeddedPostgres(
            settings.baton_data_dir / "postgres", settings.embedded_postgres_port
        )
        started_here = not server._is_running()
        server.start()
        settings = settings.model_copy(update={"database_url": server.url})
    try:
        report = rebuild_from_settings(settings)
    finally:
        if server is not None and started_here:
            server.stop()
    print(
        f"stats rebuilt: {report.events} events, {report.cases} cases, {report.rate:,.0f} events/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
