"""`make chaos`: thousands of cases driven through the platform while its processes are
killed, the broker is restarted empty and PostgreSQL restarted; then, Jepsen-style, the
clients' record of acknowledged writes and the event stores are held against the platform.

Sizes come from the environment: CHAOS_CASES (10,000), CHAOS_CLIENTS (8), CHAOS_KILLS (20),
CHAOS_BROKER_RESTARTS (2), CHAOS_POSTGRES_RESTARTS (1), CHAOS_SEED, and CHAOS_REPLICAS (1):
replicas of each consuming service (`baton up`'s BATON_UP_REPLICAS), among which the kills
pick too. The figures are printed and written to var/chaos-figures.json (CHAOS_FIGURES).
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path
from typing import Any

import pytest

from .checks import (
    against_ledger,
    baton,
    checksums,
    differences,
    other_read_models,
    quarantined,
    stats_rows,
    wait_caught_up,
)
from .driver import Driver
from .platform_process import BatonUp, process_names

pytestmark = pytest.mark.chaos

CASES = int(os.environ.get("CHAOS_CASES", "10000"))
CLIENTS = int(os.environ.get("CHAOS_CLIENTS", "8"))
KILLS = int(os.environ.get("CHAOS_KILLS", "20"))
BROKER_RESTARTS = int(os.environ.get("CHAOS_BROKER_RESTARTS", "2"))
POSTGRES_RESTARTS = int(os.environ.get("CHAOS_POSTGRES_RESTARTS", "1"))
SEED = int(os.environ.get("CHAOS_SEED", "20261204"))
REPLICAS = int(os.environ.get("CHAOS_REPLICAS", "1"))


def faults(rng: random.Random) -> list[str]:
    """The faults in a random order, spread over the run."""
    names = process_names(REPLICAS)
    plan = [rng.choice(names) for _ in range(KILLS)]
    plan += ["broker"] * BROKER_RESTARTS + ["postgres"] * POSTGRES_RESTARTS
    rng.shuffle(plan)
    return plan


def test_the_platform_loses_nothing_through_crashes_and_restarts(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    extra = {"BATON_UP_REPLICAS": str(REPLICAS)} if REPLICAS > 1 else {}
    platform = BatonUp(tmp_path, extra_env=extra).start()
    expected = set(process_names(REPLICAS))
    deadline = time.monotonic() + 120  # a child may still be (re)starting when it says up
    while not expected <= set(running := sorted(platform.pids())):
        assert time.monotonic() < deadline, running
        time.sleep(0.5)
    figures: dict[str, object] = {
        "cases": CASES,
        "clients": CLIENTS,
        "seed": SEED,
        "replicas": REPLICAS,
        "processes": running,
    }
    back_within: list[tuple[str, float]] = []
    try:
        driver = Driver(platform.url("gateway"), CASES, CLIENTS, seed=SEED)
        started = time.monotonic()
        driver.start()
        plan = faults(rng)
        for n, fault in enumerate(plan):
            last = n == len(plan) - 1
            if last:  # the last fault comes after the clients are done: recovery is timed
                driver.join()
            else:  # the others spread over the run
                target = int(CASES * (n + 1) / len(plan))
                while driver.done < target and any(t.is_alive() for t in driver.threads):
                    time.sleep(0.2)
                time.sleep(rng.uniform(0, 2))
            if fault == "broker":
                platform.restart_broker_empty()
            elif fault == "postgres":
                platform.restart_postgres()
            else:
                pid = platform.kill(fault)
                back_within.append((fault, platform.wait_ready(fault, pid, timeout=30)))
            print(f"fault {n + 1}/{len(plan)}: {fault} at case {driver.done}", flush=True)
        driver.join()
        last_fault = time.monotonic()
        drove = last_fault - started
        assert not driver.failures, driver.failures[:3]
        caught_up, behind = wait_caught_up(platform.database_url, timeout=300)
        recovery = time.monotonic() - last_fault
        ledger = driver.ledger
        verdict = against_ledger(platform.database_url, ledger)
        env = {
            **platform.env,
            "DATABASE_URL": platform.database_url,
            "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{platform.broker_port}",
        }
        before = stats_rows(platform.database_url)
        rebuilt = baton(env, "rebuild", "stats")
        after = stats_rows(platform.database_url)
        verified = baton(env, "verify", "--quiet")
        try:  # intake's and supervision's read models beside their rebuilds
            others: dict[str, Any] = dict(other_read_models(platform.database_url))
        except Exception as exc:  # recorded with the figures, and fails the run below
            others = {"error": f"{type(exc).__name__}: {exc}"}
        others_equal = {
            model: sides["live"] == sides["rebuilt"]
            for model, sides in others.items()
            if isinstance(sides, dict)
        }
        figures.update(
            {
                "registered_acknowledged": len(ledger.registered),
                "registered_in_store": verdict.registered_in_store,
                "unacknowledged": dict(ledger.unacknowledged),
                "transfers_acknowledged": len(ledger.received),
                "retries": dict(ledger.retries),
                "acknowledged_by_reading": dict(ledger.acknowledged_by_reading),
                "errors_seen_by_clients": dict(ledger.errors.most_common(12)),
                "statistics_reads": ledger.reads["statistics"],
                "faults": len(plan),
                "kills": len(back_within),
                "slowest_restart_s": round(max((s for _, s in back_within), default=0), 2),
                "restarts_s": [(name, round(s, 1)) for name, s in back_within],
                "quarantined": [list(map(str, row)) for row in quarantined(platform.database_url)],
                "driving_s": round(drove, 1),
                "caught_up_after_last_fault_s": round(recovery, 1),
                "lost": len(verdict.lost),
                "applied_twice": len(verdict.duplicated),
                "transfers_lost": len(verdict.transfers_lost),
                "transfers_twice": len(verdict.transfers_twice),
                "behind_at_end": {k: v for k, v in behind.items() if v},
                "stats_equal_to_rebuild": before == after,
                "stats_checksums": checksums(after),
                "stats_differences": differences(before, after),
                "verify_exit": verified.returncode,
                "read_models_equal_to_rebuild": others_equal,
                "read_model_differences": {
                    model: sorted(
                        t
                        for t in set(sides["live"]) | set(sides["rebuilt"])
                        if sides["live"].get(t) != sides["rebuilt"].get(t)
                    )
                    for model, sides in others.items()
                    if isinstance(sides, dict)
                },
                "read_model_digests": {
                    model: sides["rebuilt"] if isinstance(sides, dict) else sides
                    for model, sides in others.items()
                },
            }
        )
        print(json.dumps(figures, ensure_ascii=False, indent=2), flush=True)
        (tmp_path / "chaos-figures.json").write_text(json.dumps(figures, ensure_ascii=False))
        out = Path(os.environ.get("CHAOS_FIGURES", "var/chaos-figures.json"))
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(figures, ensure_ascii=False, indent=2))

        assert all(s <= 10 for _, s in back_within), back_within
        assert caught_up != float("inf"), behind
        assert recovery < 60, figures
        assert not verdict.lost, verdict.lost[:5]
        assert not verdict.duplicated, verdict.duplicated[:5]
        assert not verdict.transfers_lost and not verdict.transfers_twice, verdict
        assert all(v == 0 for k, v in behind.items()), behind
        assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
        assert before == after, figures["stats_differences"]
        assert others_equal and all(others_equal.values()), others
        assert verified.returncode == 0, verified.stdout[-2000:] + verified.stderr[-2000:]
    finally:
        stopped = platform.stop()
        print(f"Ctrl-C stopped everything in {stopped:.1f} s", flush=True)
    assert stopped <= 10, stopped
