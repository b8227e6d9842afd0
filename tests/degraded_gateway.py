"""A second gateway process of a running test platform, for which one service is down.

It runs exactly as `baton up` runs the gateway (same environment: database, namespace,
keys), but the address it has for `service` is a port nothing listens on: every call to
that service fails to connect, as when its process has died. The platform's own
processes are left alone (other tests share them, and a supervisor would restart a
killed one).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from infra.embedded import free_port


@contextmanager
def gateway_without(platform: object, service: str, timeout: float = 60) -> Iterator[str]:
    """The URL of a gateway that cannot reach `service`; stopped at the end."""
    port, dead = free_port(), free_port()
    env = {
        **platform.env,  # type: ignore[attr-defined]
        "GATEWAY_PORT": str(port),
        f"{service.upper()}_PORT": str(dead),
    }
    log_path = platform.log_dir / f"gateway-without-{service}.log"  # type: ignore[attr-defined]
    with open(log_path, "ab") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "gateway.main"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(child, url, timeout)
            yield url
        finally:
            child.terminate()
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def _wait_healthy(child: subprocess.Popen[bytes], url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"gateway exited with {child.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"gateway not healthy after {timeout} s")
