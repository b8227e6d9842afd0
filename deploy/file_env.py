"""The container's entrypoint: for each `NAME_FILE` in the environment, set `NAME` to that
file's content (a mounted secret), then run the command. Secrets thus stay files on the
host and in compose, and the processes keep reading plain environment variables."""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from pathlib import Path

SUFFIX = "_FILE"
# Read by libraries from a file themselves; left alone.
KEPT = frozenset({"KAFKA_SASL_PASSWORD_FILE", "PGPASSFILE"})


def load_files(env: MutableMapping[str, str]) -> list[str]:
    """Replace every `NAME_FILE` by `NAME`; returns the names set."""
    loaded = []
    for key in sorted(k for k in env if k.endswith(SUFFIX) and k not in KEPT):
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
