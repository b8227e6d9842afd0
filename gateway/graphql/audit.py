"""The auditor's verification 审计校验: `verifyAudit` starts a job over one store or all,
`auditVerification(id)` polls its progress and result, `auditStores` lists the stores.

Only auditors (domain.vocabulary.Role.AUDITOR) may; anyone else is refused and logged.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from enum import Enum

import strawberry
from strawberry.types import Info

from domain.errors import Forbidden, InvalidInput, NotFound
from domain.vocabulary import Role
from gateway.audit import AuditVerifier, StoreProgress
from gateway.clients import ServiceUnavailable
from gateway.graphql.context import coded, gateway, session
from gateway.identity.service import CurrentSession


async def auditor(info: Info, *, mutation: bool = False, case_id: str | None = None
                  ) -> CurrentSession:
    """The session of an auditor; anyone else is refused (403) and the refusal logged."""
    current = await session(info, mutation=mutation)
    if Role.AUDITOR.value not in current.user.roles:
        await asyncio.to_thread(
            gateway(info).identity.identity.record,
            info.field_name, "audit", "refused", "auditor_only", current.user, case_id,
        )
        raise Forbidden("forbidden", "仅审计人员可以执行此操作", "Only auditors may do this",
                        reason="auditor_only")
    return current


def verifier(info: Info) -> AuditVerifier:
    found = gateway(info).audit
    if found is None:
        raise ServiceUnavailable(
            "audit_unavailable", "审计校验需要数据库", "Audit verification needs the database"
        )
    return found


@strawberry.type
class AuditBrokenLink:
    """The first place where a store and its evidence disagree."""

    service: str
    store: str
    sequence: int | None
    case_id: str | None
    event_type: str | None
    what: str


@strawberry.type
class AuditCheckpoint:
    """A store's signed checkpoint 签名检查点 and whether its signature holds."""

    service: str
    store: str
    size: int
    root: str
    head: str
    at: str
    signature: str
    signature_ok: bool | None


@strawberry.type
class AuditStoreResult:
    """One store of a verification: progress, then what was found."""

    service: str
    total: int
    checked: int
    done: bool
    ok: bool | None
    events: int
    checkpoints: int
    witnessed: int
    broken: AuditBrokenLink | None
    latest_checkpoint: AuditCheckpoint | None

    @classmethod
    def of(cls, store: StoreProgress) -> AuditStoreResult:
        report, cp = store.report, store.checkpoint
        broken = report.broken if report else None
        return cls(
            service=store.service,
            total=store.total,
            checked=min(store.checked, store.total) if report is None else store.checked,
            done=report is not None,
            ok=None if report is None else report.ok,
            events=report.events if report else 0,
            checkpoints=report.checkpoints if report else 0,
            witnessed=report.witnessed if report else 0,
            broken=None if broken is None else AuditBrokenLink(**vars(broken)),
            latest_checkpoint=None
            if cp is None
            else AuditCheckpoint(
                service=cp.service, store=cp.store, size=cp.size, root=cp.root, head=cp.head,
                at=cp.at, signature=cp.signature, signature_ok=store.signature_ok,
            ),
        )


@strawberry.enum
class AuditVerificationState(Enum):
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"


@strawberry.type
class AuditVerification:
    """A verification job: running with progress, then passed or failed."""

    id: strawberry.ID
    state: AuditVerificationState
    started_at: dt.datetime
    finished_at: dt.datetime | None
    total: int
    checked: int
    stores: list[AuditStoreResult]

    @classmethod
    def of(cls, snapshot: dict[str, object]) -> AuditVerification:
        stores = [AuditStoreResult.of(s) for s in snapshot["stores"]]  # type: ignore[attr-defined]
        return cls(
            id=strawberry.ID(str(snapshot["id"])),
            state=AuditVerificationState(snapshot["state"]),
            started_at=snapshot["started_at"],  # type: ignore[arg-type]
            finished_at=snapshot["finished_at"],  # type: ignore[arg-type]
            total=sum(s.total for s in stores),
            checked=sum(s.checked for s in stores),
            stores=stores,
        )


@strawberry.type
class AuditQuery:
    @strawberry.field(description="The services whose event stores are audited (auditors)")
    async def audit_stores(self, info: Info) -> list[str]:
        with coded():
            await auditor(info)
            return await asyncio.to_thread(verifier(info).services)

    @strawberry.field(description="A verification job started by the caller: progress, result")
    async def audit_verification(self, info: Info, id: strawberry.ID) -> AuditVerification:
        with coded():
            current = await auditor(info)
            job = verifier(info).get(str(id), current.user.id)
            if job is None:
                raise NotFound(
                    "audit_verification_unknown", "没有该校验任务", "No such verification job"
                )
            return AuditVerification.of(job.snapshot())


@strawberry.type
class AuditMutation:
    @strawberry.mutation(
        description="Verify one service's event store, or all: a job to poll (auditors)"
    )
    async def verify_audit(self, info: Info, service: str | None = None) -> AuditVerification:
        with coded():
            current = await auditor(info, mutation=True)
            if service is not None and not service.replace("_", "").isalnum():
                raise InvalidInput(
                    "audit_store_unknown", "没有该服务的审计存储",
                    "No audited store belongs to this service", field="service",
                )
            job = await asyncio.to_thread(verifier(info).start, current.user.id, service)
            await asyncio.to_thread(
                gateway(info).identity.identity.record,
                "verify", "audit", "allowed", f"verify_audit:{service or 'all'}", current.user,
            )
            return AuditVerification.of(job.snapshot())
