"""Every case of a four-level story (省 → 市 → 区 → 街道 and back up, and over to a stationed
unit) replays, at each step and at the time of each of its events, to the state recorded
at that moment."""

from __future__ import annotations

import pytest

from .replay_story import Story, check_replays

pytestmark = pytest.mark.integration

# The province, 兰州市, 城关区 and a township under it.
CHAIN = ["62", "6201", "620102", "620102001"]
STEPS = list(zip(CHAIN, CHAIN[1:], strict=False))


@pytest.fixture(scope="module")
def stories(clients) -> dict[str, Story]:
    """A province's report sent down three levels, a township's reported up three levels,
    and a county's sent to its stationed unit (派驻机构)."""
    down = Story(clients, "clerk.62", "62")
    for kind, (upper, lower) in zip(
        ["forward_down", "forward_down", "assign_down"], STEPS, strict=True
    ):
        down.move(kind, f"clerk.{upper}", f"leader.{upper}", f"clerk.{lower}", lower)

    up = Story(clients, "clerk.620102001", "620102001")
    for upper, lower in reversed(STEPS):
        up.move("report_up", f"clerk.{lower}", f"leader.{lower}", f"clerk.{upper}", upper)

    stationed = Story(clients, "clerk.620102", "620102")
    stationed.move(
        "to_stationed_unit", "clerk.620102", "leader.620102", "clerk.620102z01", "620102Z01"
    )
    return {"down": down, "up": up, "stationed": stationed}


@pytest.mark.parametrize("name", ["down", "up", "stationed"])
def test_each_case_replays_at_each_step_and_each_event(clients, stories, name):
    story = stories[name]
    events = check_replays(clients("auditor.62"), story)
    received = [e for e in events if e["what"] == "Handling.TransferReceived"]
    steps = len(story.seen) - 2  # registration and acceptance come before any transfer
    assert len(received) == steps, [e["what"] for e in events]
    holders = [shown["holder"][0] for _, shown in story.seen[2:]]
    assert holders == [e["organCode"] for e in received], (holders, received)


def test_the_story_reaches_all_four_levels(stories):
    held = {
        shown["holder"][0]
        for story in stories.values()
        for _, shown in story.seen
        if shown["holder"]
    }
    assert set(CHAIN) | {"620102Z01"} <= held, held
