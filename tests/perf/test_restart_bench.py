"""Issue 14's restart figure: how long a service killed with `kill -9` takes to answer
/readyz again under `baton up`, each child spawned as a new interpreter (the baseline,
BATON_UP_FORKSERVER=0) against forked by the fork server, measured in the same run; with
the CPU seconds the new process spent until ready, the platform's start, and the PSS of
`baton up`'s children (issue 15's budget)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from deploy.up import PROCESSES, Platform

from ..platforms import platform_of_its_own
from .test_speed_bench import descendants, load, pss_mib

ROUNDS = int(os.environ.get("BATON_BENCH_RESTART_ROUNDS", "2"))
# BATON_UP_REPLICAS of each consuming service (the PSS then counts every replica).
REPLICAS = os.environ.get("BATON_BENCH_RESTART_REPLICAS", "1")


def _platform(database_url: str, bootstrap: str, data_dir: Path, forkserver: bool) -> Platform:
    return platform_of_its_own(
        database_url,
        bootstrap,
        data_dir,
        "b",
        env={"BATON_UP_FORKSERVER": "1" if forkserver else "0", "BATON_UP_REPLICAS": REPLICAS},
    )


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _restart(platform: Platform, name: str) -> tuple[float, float]:
    """Seconds from kill -9 to /readyz of the new process, and its CPU seconds by then."""
    old = platform.children[name].pid
    os.kill(old, signal.SIGKILL)
    killed = time.monotonic()
    url = platform.url_of(name) + "/readyz"
    while time.monotonic() - killed < 120:
        child = platform.children.get(name)
        if child is not None and child.pid != old:
            try:
                if httpx.get(url, timeout=2.0).status_code == 200:
                    return time.monotonic() - killed, _cpu_seconds(child.pid)
            except (httpx.HTTPError, OSError):
                pass
        time.sleep(0.05)
    raise AssertionError(f"{name} not back within 120 s")


def _measure(platform: Platform) -> dict[str, object]:
    started = time.monotonic()
    platform.start(timeout=300)
    figures: dict[str, object] = {"start_s": time.monotonic() - started, "start_load": load()}
    try:
        time.sleep(5)  # settled: consumers caught up, pools filled
        pids = [pid for c in platform.children.values() for pid in [c.pid, *descendants(c.pid)]]
        figures["pss_mib"] = pss_mib(pids)
        figures["processes"] = len(pids)
        restarts: dict[str, list[tuple[float, float, str]]] = {}
        for _ in range(ROUNDS):
            for name in PROCESSES:
                took, cpu = _restart(platform, name)
                restarts.setdefault(name, []).append((took, cpu, load()))
                time.sleep(1)
        figures["restarts"] = restarts
    finally:
        stopping = time.monotonic()
        platform.stop()
        figures["stop_s"] = time.monotonic() - stopping
    return figures


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


@pytest.mark.integration
def test_bench_restart_spawned_against_forked(database_url, kafka_bootstrap, tmp_path):
    spawned = _measure(_platform(database_url, kafka_bootstrap, tmp_path / "spawned", False))
    forked = _measure(_platform(database_url, kafka_bootstrap, tmp_path / "forked", True))
    print(f"\n{REPLICAS} replica(s) of each consuming service")
    for label, figures in (("spawned", spawned), ("forked", forked)):
        print(
            f"{label:>8}: start {figures['start_s']:.1f} s ({figures['start_load']}), "
            f"PSS {figures['pss_mib']:.0f} MiB over {figures['processes']} processes, "
            f"Ctrl-C-like stop {figures['stop_s']:.1f} s"
        )
    ratios = []
    for name in PROCESSES:
        plain = spawned["restarts"][name]  # type: ignore[index]
        fork = forked["restarts"][name]  # type: ignore[index]
        plain_s, fork_s = _mean([r[0] for r in plain]), _mean([r[0] for r in fork])
        plain_cpu, fork_cpu = _mean([r[1] for r in plain]), _mean([r[1] for r in fork])
        ratios.append(plain_s / fork_s)
        print(
            f"{name:>12}: restart to /readyz {plain_s:.2f} s spawned, {fork_s:.2f} s forked "
            f"(x{plain_s / fork_s:.1f}); CPU until ready {plain_cpu:.2f} s, {fork_cpu:.2f} s "
            f"(x{plain_cpu / max(fork_cpu, 0.01):.1f}); {plain[-1][2]} / {fork[-1][2]}"
        )
    print(f"restart, mean ratio spawned/forked: x{_mean(ratios):.1f}")
    print(f"PSS ratio forked/spawned: {forked['pss_mib'] / spawned['pss_mib']:.2f}")  # type: ignore[operator]
    # Correctness only (timings are figures): every restart came back in both modes.
    assert all(len(forked["restarts"][n]) == ROUNDS for n in PROCESSES)  # type: ignore[index]
