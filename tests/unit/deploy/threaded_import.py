"""A module that starts a thread when imported: the fork server must refuse to fork it."""

from __future__ import annotations

import threading
import time

threading.Thread(target=time.sleep, args=(30,), name="started-on-import", daemon=True).start()


def main() -> None:
    time.sleep(30)
