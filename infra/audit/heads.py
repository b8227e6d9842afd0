"""Chain heads 链头 kept at hand: the (sequence, hash) each case's chain ends at, for the
most recently used cases, read from a table when one is not at hand. The relay keeps the
heads of what it published, a consumer's inbound guard those of what it applied; kept
whole, every case ever seen stayed in memory (about 6 MiB per relay at 20,000 cases)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable

from domain.contracts import GENESIS_HASH

Head = tuple[int, str]


class ChainHeads:
    """The heads of the `size` most recently used cases; `load` reads the stored heads of
    the cases it is given (a case it does not return has none: sequence 0, genesis hash)."""

    def __init__(self, load: Callable[[list[str]], dict[str, Head]], size: int) -> None:
        self.load = load
        self.size = size
        self._heads: OrderedDict[str, Head] = OrderedDict()

    def prefetch(self, case_ids: Iterable[str]) -> None:
        """Make sure these cases' heads are at hand, reading the missing ones at once."""
        missing = list(dict.fromkeys(c for c in case_ids if c not in self._heads))
        if missing:
            found = self.load(missing)
            self.update({c: found.get(c, (0, GENESIS_HASH)) for c in missing})

    def head(self, case_id: str) -> Head:
        """The case's head, read if it is not at hand."""
        if case_id in self._heads:
            self._heads.move_to_end(case_id)
        else:
            self.prefetch([case_id])
        return self._heads[case_id]

    def get(self, case_id: str) -> Head | None:
        """The case's head if it is at hand."""
        return self._heads.get(case_id)

    def update(self, heads: dict[str, Head]) -> None:
        for case_id, head in heads.items():
            self._heads[case_id] = head
            self._heads.move_to_end(case_id)
        while len(self._heads) > self.size:
            self._heads.popitem(last=False)

    def clear(self) -> None:
        self._heads.clear()

    def __contains__(self, case_id: object) -> bool:
        return case_id in self._heads

    def __len__(self) -> int:
        return len(self._heads)
