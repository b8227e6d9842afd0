"""The `baton` command."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from deploy import calendar_cli, import_cli, ops_cli, rebuild_cli
from deploy.audit_cli import add_commands as add_audit_commands
from deploy.audit_cli import run as run_audit_command
from infra.settings import Settings

AUDIT_COMMANDS = ("verify", "checkpoint", "migrate", "prove", "quarantine")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="baton", description="Baton 信访举报协同平台")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="run the whole platform on this machine")
    up.add_argument(
        "--replicas",
        type=int,
        help="replicas of each consuming service (default: BATON_UP_REPLICAS, else 1)",
    )
    users = commands.add_parser("users", help="manage users 用户").add_subparsers(
        dest="users_command", required=True
    )
    add = users.add_parser(
        "add", help="add a user; the password is prompted for or read from --password-file"
    )
    add.add_argument("username")
    add.add_argument("--name", required=True, help="display name 姓名")
    add.add_argument("--organ", required=True, help="organ code, e.g. 620102")
    add.add_argument(
        "--office", required=True, help="petition | supervision | investigation | case_management"
    )
    add.add_argument(
        "--role",
        action="append",
        required=True,
        dest="roles",
        help="a role code; repeat for several",
    )
    add.add_argument("--language", default="zh-CN", help="zh-CN (default) or en")
    add.add_argument(
        "--password-file", type=Path, help="read the password from the first line of this file"
    )
    add.add_argument("--totp", action="store_true", help="enrol a TOTP second factor")
    totp = users.add_parser("totp", help="enrol (or replace) a user's TOTP second factor")
    totp.add_argument("username")
    calendar_cli.add_parser(commands)
    rebuild = commands.add_parser("rebuild", help="rebuild read models from the event stores")
    rebuild_cli.add_arguments(rebuild)
    add_audit_commands(commands)
    import_cli.add_commands(commands)
    ops_cli.add_commands(commands)
    return parser


def _password(path: Path | None) -> str:
    if path is not None:
        return path.read_text(encoding="utf-8").splitlines()[0] if path.stat().st_size else ""
    first = getpass.getpass("Password 口令: ")
    if getpass.getpass("Again 再次输入: ") != first:
        raise SystemExit("The passwords differ 两次输入的口令不一致")
    return first


@contextmanager
def _database(settings: Settings) -> Iterator[Settings]:
    """The settings with a database: DATABASE_URL, else the embedded server of the data
    dir (started for the command and stopped after, unless `baton up` runs it)."""
    if settings.database_url:
        yield settings
        return
    from infra.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(settings.baton_data_dir / "postgres", settings.embedded_postgres_port)
    was_running = server._is_running()
    server.start()
    try:
        yield settings.model_copy(update={"database_url": server.url})
    finally:
        if not was_running:
            server.stop()


def _users(args: argparse.Namespace) -> int:
    from domain.errors import DomainError
    from gateway.identity import commands

    try:
        with _database(Settings()) as settings:
            return _run_users(args, settings, commands)
    except DomainError as error:
        print(f"{error.code}: {error.message_zh} / {error.message_en}", file=sys.stderr)
        return 1


def _run_users(args: argparse.Namespace, settings: Settings, commands: Any) -> int:
    if args.users_command == "add":
        record = {
            "username": args.username,
            "name": args.name,
            "organ": args.organ,
            "office": args.office,
            "roles": args.roles,
            "language": args.language,
        }
        user, uri = commands.add_user(
            settings, record, _password(args.password_file), with_totp=args.totp
        )
        print(f"added {user.username} ({user.organ_code}, {user.office}, {', '.join(user.roles)})")
    else:
        uri = commands.enrol_totp(settings, args.username)
    if uri:
        print(f"TOTP: add this to the user's authenticator app 绑定动态口令: {uri}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "up":
        from deploy.up import up

        return up(args.replicas)
    if args.command == "users":
        return _users(args)
    if args.command == "calendar":
        return calendar_cli.run(args)
    if args.command == "rebuild":
        with _database(Settings()) as settings:
            return rebuild_cli.run(args, settings)
    if args.command == "import":
        return import_cli.run_import(args)
    if args.command == "demo":
        return import_cli.run_demo(args)
    if args.command in ops_cli.COMMANDS:
        return ops_cli.run(args)
    if args.command in AUDIT_COMMANDS:
        return run_audit_command(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
