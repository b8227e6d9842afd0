"""The `baton` command."""

from __future__ import annotations

import argparse
import sys

from deploy import calendar_cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="baton", description="Baton 信访举报协同平台")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="run the whole platform on this machine")
    calendar_cli.add_parser(commands)
    args = parser.parse_args(argv)
    if args.command == "up":
        from deploy.up import up

        return up()
    if args.command == "calendar":
        return calendar_cli.run(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
