"""Dead letters 死信 for administrators: `deadLetters` lists the records consumers could
not apply, `retryDeadLetter(id)` has the owning consumer re-apply one and waits for the
outcome, `discardDeadLetter(id)` gives one up. Anyone else is refused and logged."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from enum import Enum

import strawberry
from strawberry.types import Info

from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from domain.vocabulary import Role
from gateway.clients import ServiceUnavailable
from gateway.graphql.context import coded, gateway, session
from infra.deadletter import DeadLetter as Letter
from infra.deadletter import DeadLetters

RETRY_WAIT_SECONDS = 10.0


@strawberry.enum
class DeadLetterStatus(Enum):
    DEAD = "dead"
    RETRY = "retry"
    RETRIED = "retried"
    DISCARDED = "discarded"


@strawberry.type
class DeadLetter:
    """A record a consumer could not apply, and what became of it."""

    id: strawberry.ID
    consumer: str
    service: str
    topic: str
    partition: int
    offset: int
    reason_code: str
    reason: str
    status: DeadLetterStatus
    attempts: int
    at: dt.datetime
    changed_at: dt.datetime

    @classmethod
    def of(cls, letter: Letter) -> DeadLetter:
        return cls(
            id=strawberry.ID(str(letter.id)),
            consumer=letter.consumer,
            service=letter.service,
            topic=letter.record.topic,
            partition=letter.record.partition,
            offset=letter.record.offset,
            reason_code=letter.reason_code,
            reason=letter.reason,
            status=DeadLetterStatus(letter.status),
            attempts=letter.attempts,
            at=letter.at,
            changed_at=letter.changed_at,
        )


async def administrator(info: Info, *, mutation: bool = False) -> DeadLetters:
    """The dead letters, for an administrator; anyone else is refused (403) and logged."""
    current = await session(info, mutation=mutation)
    if Role.ADMINISTRATOR.value not in current.user.roles:
        await asyncio.to_thread(
            gateway(info).identity.identity.record,
            info.field_name, "dead_letters", "refused", "administrator_only", current.user, None,
        )
        raise Forbidden("forbidden", "仅系统管理员可以执行此操作",
                        "Only administrators may do this", reason="administrator_only")
    store = gateway(info).dead_letters
    if store is None:
        raise ServiceUnavailable(
            "dead_letters_unavailable", "死信需要数据库", "Dead letters need the database"
        )
    return store


def _id(raw: strawberry.ID) -> int:
    text = str(raw)
    if not text.isdigit() or not 0 < int(text) < 2**63:
        raise InvalidInput("dead_letter_id_invalid", "死信编号无效", "Not a dead letter id",
                           field="id")
    return int(text)


def _existing(store: DeadLetters, letter_id: int, allowed: tuple[str, ...]) -> Letter:
    letter = store.get(letter_id)
    if letter is None:
        raise NotFound("dead_letter_unknown", "无此死信", "No such dead letter", field="id")
    if letter.status not in allowed:
        raise Conflict("dead_letter_settled", f"该死信已是{letter.status}状态",
                       f"The dead letter is already {letter.status}", status=letter.status)
    return letter


def _retried(store: DeadLetters, letter_id: int) -> Letter:
    store.request_retry(letter_id)
    deadline = time.monotonic() + RETRY_WAIT_SECONDS
    letter = store.get(letter_id)
    while letter is not None and letter.status == "retry" and time.monotonic() < deadline:
        time.sleep(0.2)
        letter = store.get(letter_id)
    assert letter is not None
    return letter


@strawberry.type
class DeadLetterQuery:
    @strawberry.field(description="Records consumers could not apply 死信, newest first "
                                  "(administrators)")
    async def dead_letters(
        self, info: Info, status: DeadLetterStatus | None = None
    ) -> list[DeadLetter]:
        with coded():
            store = await administrator(info)
            rows = await asyncio.to_thread(store.list, None if status is None else status.value)
            return [DeadLetter.of(row) for row in rows]


@strawberry.type
class DeadLetterMutation:
    @strawberry.mutation(description="Have the consumer re-apply a dead letter; answers its "
                                     "state after the try, or `retry` if none ran yet "
                                     "(administrators)")
    async def retry_dead_letter(self, info: Info, id: strawberry.ID) -> DeadLetter:
        with coded():
            store = await administrator(info, mutation=True)
            letter_id = _id(id)
            await asyncio.to_thread(_existing, store, letter_id, ("dead",))
            return DeadLetter.of(await asyncio.to_thread(_retried, store, letter_id))

    @strawberry.mutation(description="Give a dead letter up; it stays listed (administrators)")
    async def discard_dead_letter(self, info: Info, id: strawberry.ID) -> DeadLetter:
        with coded():
            store = await administrator(info, mutation=True)
            letter_id = _id(id)
            await asyncio.to_thread(_existing, store, letter_id, ("dead", "retry"))
            letter = await asyncio.to_thread(store.discard, letter_id)
            assert letter is not None
            return DeadLetter.of(letter)
