"""The `baton` command."""

from __future__ import annotations

import argparse
import sys

from deploy.audit_cli import add_commands as add_audit_commands
from deploy.audit_cli import run as run_audit_command

AUDIT_COMMANDS = ("verify", "checkpoint", "migrate", "prove", "quarantine")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="baton", description="Baton 信访举报协同平台")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="run the whole platform on this machine")
    add_audit_commands(commands)
    args = parser.parse_args(argv)
    if args.command == "up":
        from deploy.up import up

        return up()
    if args.command in AUDIT_COMMANDS:
        return run_audit_command(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
