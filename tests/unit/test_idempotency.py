"""The pure parts of idempotency keys: which keys are accepted, what makes two requests
the same, and the in-memory store's replay and refusal."""

from __future__ import annotations

import threading

import pytest

from domain.errors import Conflict
from infra.idempotency import Claim, MalformedKey, MemoryIdempotency, check_key, fingerprint


@pytest.mark.parametrize("key", ["a", "x" * 128, "550e8400-e29b-41d4-a716-446655440000", "!~"])
def test_visible_ascii_keys_up_to_128_are_accepted(key: str) -> None:
    assert check_key(key) == key


@pytest.mark.parametrize("key", ["", "x" * 129, "a b", "tab\t", "键", "\x7f", "a\nb"])
def test_other_keys_are_malformed(key: str) -> None:
    with pytest.raises(MalformedKey) as refused:
        check_key(key)
    assert refused.value.code == "idempotency_key_invalid" and refused.value.kind == "malformed"


def test_no_key_is_no_key() -> None:
    assert check_key(None) is None


def test_the_fingerprint_ignores_json_layout_but_not_content_or_route() -> None:
    one = fingerprint("POST", "/petitions", b'{"a": 1, "b": [1, 2]}')
    assert one == fingerprint("POST", "/petitions", b'{"b":[1,2],"a":1}')
    assert one != fingerprint("POST", "/petitions", b'{"a": 2, "b": [1, 2]}')
    assert one != fingerprint("POST", "/orders", b'{"a": 1, "b": [1, 2]}')


def test_memory_store_replays_refuses_reuse_and_runs_concurrent_duplicates_once() -> None:
    store = MemoryIdempotency()
    runs: list[int] = []
    lock = threading.Lock()

    def work() -> dict[str, int]:
        with lock:
            runs.append(1)
            return {"n": len(runs)}

    claim = Claim("clerk", "k", "f1")
    answers: list[tuple[object, bool]] = []
    threads = [
        threading.Thread(target=lambda: answers.append(store.run(claim, work))) for _ in range(10)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(runs) == 1
    assert {str(a) for a, _ in answers} == {"{'n': 1}"}
    assert sorted(replayed for _, replayed in answers) == [False] + [True] * 9

    with pytest.raises(Conflict) as reused:
        store.run(Claim("clerk", "k", "f2"), work)
    assert reused.value.code == "idempotency_key_reused"
    assert store.run(Claim("other", "k", "f2"), work) == ({"n": 2}, False)


def test_a_retried_insert_carries_the_claim_again_until_one_commits() -> None:
    """The library retries an insert whose transaction failed; each try must write the
    claim, and only after one committed do the use case's later saves leave it out."""
    from infra import idempotency

    class Recording:
        def __init__(self) -> None:
            self.statements: list[tuple[str, tuple[str, ...]]] = []

        def execute(self, statement: str, params: tuple[str, ...]) -> None:
            self.statements.append((statement, params))

    claim = Claim("clerk", "key-1", "print")
    token = idempotency._PENDING.set(idempotency._Pending("intake", claim))
    try:
        first_try, retry, later_save = Recording(), Recording(), Recording()
        idempotency.write_claim(first_try, "intake")  # type: ignore[arg-type]
        idempotency.write_claim(retry, "intake")  # type: ignore[arg-type]
        idempotency.claim_stored("routing")  # another store's commit
        idempotency.claim_stored("intake")
        idempotency.write_claim(later_save, "intake")  # type: ignore[arg-type]
    finally:
        idempotency._PENDING.reset(token)
    assert [p for _, p in first_try.statements] == [("clerk", "key-1", "print")]
    assert [p for _, p in retry.statements] == [("clerk", "key-1", "print")]
    assert later_save.statements == []
