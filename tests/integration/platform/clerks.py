"""Clerks registering through the gateway as fast as they can while a test breaks things,
keeping the case ids that were acknowledged: what must be found afterwards."""

from __future__ import annotations

import datetime as dt
import threading
import time

import httpx

from .logged_in import StaffClient

REGISTER = """mutation Register($input: RegisterPetitionInput!) {
  registerPetition(input: $input) { caseId registrationNumber } }"""


class Clerks:
    """`threads` clerks of 620102, each logged in on its own client, until the block ends."""

    def __init__(self, url: str, threads: int = 3) -> None:
        self.url = url
        self.acknowledged: list[str] = []
        self.refused = 0
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._work, daemon=True) for _ in range(threads)]

    def __enter__(self) -> Clerks:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(30)

    def wait_for(self, more: int, timeout: float = 30) -> None:
        """Until `more` registrations beyond those so far are acknowledged, or `timeout`."""
        target = len(self.acknowledged) + more
        deadline = time.monotonic() + timeout
        while len(self.acknowledged) < target and time.monotonic() < deadline:
            time.sleep(0.1)

    def _work(self) -> None:
        client = StaffClient(self.url, "clerk.620102")
        try:
            while not self.stop.is_set():
                variables = {
                    "organCode": "620102",
                    "channel": "visit",
                    "summary": "来访反映某社区违规发放低保，已登记待核实",
                    "receivedAt": dt.datetime.now(dt.UTC).isoformat(),
                }
                try:
                    body = client.post(REGISTER, input=variables)
                except (httpx.HTTPError, AssertionError):
                    body = {}  # the gateway itself down: not acknowledged
                data = (body.get("data") or {}).get("registerPetition")
                with self._lock:
                    if data:
                        self.acknowledged.append(data["caseId"])
                    else:
                        self.refused += 1
                if not data:
                    time.sleep(0.1)
        finally:
            client.close()
