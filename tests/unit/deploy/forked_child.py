"""A stand-in service for the fork server's test: says what it was given, then waits."""

from __future__ import annotations

import json
import os
import sys
import time


def main() -> None:
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    told = {
        "argv": sys.argv,
        "marker": os.environ.get("FORKED_MARKER"),
        "main": spec.name if spec else None,
        "parent": os.getppid(),
    }
    print(json.dumps(told), flush=True)
    time.sleep(60)


if __name__ == "__main__":
    main()
