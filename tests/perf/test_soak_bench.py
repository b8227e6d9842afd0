"""The soak figure of issue 15: the platform's resident memory (PSS, every process, the
database and the broker included) after 20,000 registrations, against 600 MiB.

Too slow for `make bench`: run it with `make bench-soak` (BATON_BENCH_SOAK=1).
"""

from __future__ import annotations

import asyncio
import os
import time

import psycopg
import pytest

from .test_gateway_bench import settle
from .test_speed_bench import (
    assert_all_published,
    descendants,
    load,
    postgres_processes,
    pss_mib,
    rest_rate,
    service_token,
    total_cpu,
)

REGISTRATIONS = int(os.environ.get("BATON_BENCH_SOAK_REGISTRATIONS", "20000"))
CLIENTS = 4
BUDGET_MIB = 600.0


@pytest.mark.integration
@pytest.mark.skipif(os.environ.get("BATON_BENCH_SOAK") != "1", reason="make bench-soak")
def test_bench_memory_after_20000_registrations(quiet_platform, database_admin_url):
    platform = quiet_platform
    settings = platform.settings
    token = service_token(settings)
    pids = descendants(os.getpid()) + postgres_processes(database_admin_url)
    before = pss_mib(pids)
    rate = asyncio.run(
        rest_rate(settings.url_of("intake"), token, CLIENTS, REGISTRATIONS // CLIENTS)
    )
    # The consumers catch up (they yield the CPU to requests while clients register), then
    # the platform idles.
    began = time.monotonic()
    settle(platform, limit=600)
    caught_up = time.monotonic() - began
    assert_all_published(settings, database_admin_url)
    pids = descendants(os.getpid()) + postgres_processes(database_admin_url)
    each = {pid: total_cpu([pid]) for pid in pids}
    time.sleep(60)
    # Only the processes still there: a pool closes idle connections, and a server process
    # gone meanwhile would take all its CPU since it started out of the sum.
    pids = [pid for pid in pids if os.path.exists(f"/proc/{pid}")]
    idle = sum(total_cpu([pid]) - each[pid] for pid in pids) / 60 * 100
    after = pss_mib(pids)
    print(
        f"\n[bench] PSS after {REGISTRATIONS} registrations ({len(pids)} processes)"
        f" {after:8.1f} MiB   budget {BUDGET_MIB:6.1f} MiB   ratio {after / BUDGET_MIB:5.2f}"
        f"   (before {before:.1f} MiB; {rate:.1f} reg/s; caught up {caught_up:.0f} s after;"
        f" idle after {idle:.2f} % of a core)"
        f"  {load()}"
    )
    database = set(postgres_processes(database_admin_url))
    names = {child.pid: name for name, child in platform.children.items()}
    share: dict[str, float] = {}
    spent: dict[str, float] = {}
    for pid in pids:
        name = names.get(pid, "postgres" if pid in database else "broker")
        share[name] = share.get(name, 0.0) + pss_mib([pid])
        spent[name] = spent.get(name, 0.0) + (total_cpu([pid]) - each[pid]) / 60 * 100
    print(
        "[bench] PSS by process (MiB): "
        + ", ".join(f"{name} {mib:.1f}" for name, mib in sorted(share.items()))
    )
    print(
        "[bench] idle CPU after, by process (% of a core, in the minute before the PSS): "
        + ", ".join(f"{name} {cpu:.2f}" for name, cpu in sorted(spent.items()))
    )
    # The database's share by the child each server process serves (PGAPPNAME, deploy/up).
    with psycopg.connect(database_admin_url) as conn:
        backends = conn.execute(
            "SELECT coalesce(nullif(application_name, ''), backend_type), pid"
            " FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
        ).fetchall()
    served: dict[str, list[int]] = {}
    for name, pid in backends:
        served.setdefault(name, []).append(pid)
    print(
        "[bench] PostgreSQL processes by client (count, PSS MiB): "
        + ", ".join(
            f"{name} {len(pids_of)} {pss_mib(pids_of):.1f}"
            for name, pids_of in sorted(served.items())
        )
    )
    assert after > 0
