"""`baton calendar publish YEAR FILE.yaml`: send a year's holiday schedule to supervision.

Thin on purpose: the file (the format of deploy/data/calendar/) goes to supervision's REST
API as it is, and supervision validates it, records it and recomputes every provisional
deadline. The command acts as an administrator of the first root organ of the org tree
(or `--organ`), with a service token it signs with the platform's private key (so only
an operator holding that key can run it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import httpx
import yaml


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    calendar = commands.add_parser("calendar", help="the working calendar 工作日历")
    actions = calendar.add_subparsers(dest="action", required=True)
    publish = actions.add_parser("publish", help="publish a year's holiday schedule")
    publish.add_argument("year", type=int)
    publish.add_argument("file", type=Path)
    publish.add_argument("--organ", help="acting organ code (default: the first root organ)")
    publish.add_argument("--name", default="baton-cli", help="acting administrator's name")
    publish.add_argument("--url", help="supervision's base URL (default: from the settings)")


def run(args: argparse.Namespace) -> int:
    import time

    from infra.auth import ServiceIdentity, sign, signing_key
    from infra.reference_data import load_org_tree
    from infra.settings import get_settings

    data = yaml.safe_load(args.file.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        print(f"{args.file}: not a holiday schedule", file=sys.stderr)
        return 2
    organ = args.organ or load_org_tree().roots()[0].code
    operator = ServiceIdentity(
        f"cli:{args.name}", args.name, args.name, organ, "case_management", ("administrator",)
    )
    token = sign(operator, signing_key(get_settings()), time.time())
    body = {
        "holidays": [str(d) for d in data.get("holidays") or []],
        "workdays": [str(d) for d in data.get("workdays") or []],
        "source": str(data.get("source") or ""),
    }
    base = args.url or get_settings().url_of("supervision")
    response = httpx.post(
        f"{base}/calendar/years/{args.year}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    print(json.dumps(response.json(), ensure_ascii=False, indent=2))
    return 0 if response.is_success else 1
