"""The container's entrypoint: for each of Baton's `NAME_FILE` variables, set `NAME` to that
file's content (a mounted secret), then run the command. Secrets thus stay files on the
host, in compose and in Kubernetes, and the processes keep reading plain variables.

Only Baton's own names (`BATON_*`, `DATABASE_*`) and libpq's `PGPASSWORD` are read: other
`*_FILE` variables (`SSL_CERT_FILE`, ...) name files their programs open themselves."""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from pathlib import Path

SUFFIX = "_FILE"
PREFIXES = ("BATON_", "DATABASE_")
NAMES = frozenset({"PGPASSWORD"})


def _ours(key: str) -> bool:
    name = key[: -len(SUFFIX)]
    return key.endswith(SUFFIX) and (name.startswith(PREFIXES) or name in NAMES)


def load_files(env: MutableMapping[str, str]) -> list[str]:
    """Replace every `NAME_FILE` by `NAME`; returns the names set."""
    loaded = []
    for key in sorted(k for k in env if _ours(k)):
        name = key[: -len(SUFFIX)]
        if name in env:
            raise SystemExit(f"both {name} and {key} are set; keep one")
        env[name] = Path(env.pop(key)).read_text(encoding="utf-8").strip()
        loaded.append(name)
    return loaded


def main() -> None:
    command = sys.argv[1:] or ["python", "-m", "gateway.main"]
    load_files(os.environ)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
