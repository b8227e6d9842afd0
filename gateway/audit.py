"""Verification jobs 审计校验任务: `verifyAudit` starts `infra.audit.platform.verify_all` in a
worker thread and the auditor's page polls the job for its progress and result.

Jobs live in the gateway's memory: they are re-runnable checks, not records (the
access log records who started one). One job runs at a time; the last few are kept.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg

from domain.errors import Conflict, InvalidInput
from infra.audit.checkpoints import Checkpoint
from infra.audit.keys import AuditKeys
from infra.audit.platform import audited_stores, latest_checkpoint, verify_all
from infra.audit.verify import StoreReport

__all__ = ["AuditVerifier", "StoreProgress", "VerificationJob"]

KEPT_JOBS = 20
log = logging.getLogger(__name__)


@dataclass
class StoreProgress:
    """One store of a job: how far the walk got, and what it found."""

    service: str
    total: int
    checked: int = 0
    report: StoreReport | None = None
    checkpoint: Checkpoint | None = None
    signature_ok: bool | None = None


@dataclass
class VerificationJob:
    """A verification of one store or of all, started by one auditor."""

    id: str
    started_by: str
    started_at: datetime
    only: list[str] | None
    state: str = "running"  # running, passed, failed (a broken link), error
    stores: dict[str, StoreProgress] = field(default_factory=dict)
    finished_at: datetime | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def snapshot(self) -> dict[str, Any]:
        """A consistent copy for the resolver, taken while the worker may be running."""
        with self.lock:
            return {
                "id": self.id,
                "state": self.state,
                "started_at": self.started_at,
                "finished_at": self.finished_at,
                "stores": [StoreProgress(**vars(s)) for s in self.stores.values()],
            }


class AuditVerifier:
    """Starts verification jobs over the platform's stores and keeps the last few."""

    def __init__(self, database_url: str, keys: AuditKeys, namespace: str = "") -> None:
        self.database_url = database_url
        self.keys = keys
        self.namespace = namespace
        self.jobs: OrderedDict[str, VerificationJob] = OrderedDict()
        self.lock = threading.Lock()

    def services(self) -> list[str]:
        """The services whose audited stores this platform holds."""
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return [service for service, _ in audited_stores(conn, self.namespace)]

    def start(self, user_id: str, service: str | None) -> VerificationJob:
        """Start verifying `service`'s store (or every store); refuses while one runs."""
        known = self.services()
        if service is not None and service not in known:
            raise InvalidInput(
                "audit_store_unknown",
                "没有该服务的审计存储",
                "No audited store belongs to this service",
                field="service",
                known=known,
            )
        with self.lock:
            if any(job.state == "running" for job in self.jobs.values()):
                raise Conflict(
                    "audit_verification_running",
                    "已有校验正在进行，请稍后再试",
                    "A verification is already running: wait for it to finish",
                )
            job = VerificationJob(
                uuid.uuid4().hex, user_id, datetime.now(UTC), [service] if service else None
            )
            self.jobs[job.id] = job
            while len(self.jobs) > KEPT_JOBS:
                self.jobs.popitem(last=False)
        threading.Thread(target=self._run, args=(job,), daemon=True, name="verify").start()
        return job

    def get(self, job_id: str, user_id: str) -> VerificationJob | None:
        """The job, if this user started it."""
        with self.lock:
            job = self.jobs.get(job_id)
        return job if job is not None and job.started_by == user_id else None

    def _run(self, job: VerificationJob) -> None:
        def progress_for(service: str, total: int) -> Any:
            with job.lock:
                job.stores[service] = StoreProgress(service, total)

            def advance(done: int) -> None:
                with job.lock:
                    job.stores[service].checked += done

            return advance

        try:
            reports = verify_all(
                self.database_url, self.keys, self.namespace, job.only, progress_for
            )
            latest = self._checkpoints(reports)
        except Exception:  # noqa: BLE001 - the page shows the job failed; the log says why
            log.exception("audit verification failed")
            with job.lock:
                job.state, job.finished_at = "error", datetime.now(UTC)
            return
        with job.lock:
            for report in reports:
                store = job.stores.setdefault(report.service, StoreProgress(report.service, 0))
                store.report = report
                store.checked = report.events
                store.checkpoint, store.signature_ok = latest.get(report.service, (None, None))
            job.state = "passed" if reports and all(r.ok for r in reports) else "failed"
            job.finished_at = datetime.now(UTC)

    def _checkpoints(
        self, reports: list[StoreReport]
    ) -> dict[str, tuple[Checkpoint | None, bool | None]]:
        out: dict[str, tuple[Checkpoint | None, bool | None]] = {}
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            for report in reports:
                checkpoint = latest_checkpoint(conn, report.store)
                holds = None
                if checkpoint is not None:
                    holds = checkpoint.signature_holds(self.keys.public_key(report.service))
                out[report.service] = (checkpoint, holds)
        return out
