"""Issue 11's case evaluation 一案一评 in a real browser: an evaluator draws a month's sample
(the seed shown), scores a case at 67, the county rectifies one item and the evaluator
accepts it; another item, not put right, is escalated once its deadline has passed
(supervision's test clock moved forward, its scheduler run)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Browser, expect

from domain.guards import CHINA_TZ
from tests.e2e.casework import people, shot
from tests.e2e.supervision_steps import (
    answer_prompt,
    concluded_county_case,
    digits,
    fill,
    shift_supervision_clock,
)

pytestmark = pytest.mark.e2e

LOST = {"facts_verified": 15, "evidence_complete": 10, "time_limits_kept": 8}  # 100 - 33


def test_an_evaluator_scores_67_one_item_is_rectified_another_escalated(
    platform, browser: Browser
) -> None:
    base = platform.gateway_url.rstrip("/")
    case_id = concluded_county_case(base)
    month = dt.datetime.now(CHINA_TZ).strftime("%Y-%m")
    try:
        with people(browser, base) as crowd:
            evaluator = crowd.page("evaluator.6201")
            evaluator.goto(f"{base}/supervision/evaluation")
            fill(evaluator, "draw-month", month)
            evaluator.keyboard.press("Enter")
            evaluator.get_by_test_id("draw-organs").click()
            evaluator.keyboard.type("620102")
            evaluator.locator(".el-select-dropdown__item:visible",
                              has_text=re.compile(r"620102$")).first.click()
            evaluator.keyboard.press("Escape")
            fill(evaluator, "draw-size", "200")
            fill(evaluator, "draw-seed", "e2e-seed-11")
            evaluator.get_by_test_id("draw-submit").click()
            expect(evaluator).to_have_url(re.compile(r"[?&]id=[0-9a-f-]{36}"))
            evaluation_id = evaluator.url.split("id=")[1].split("&")[0]
            # The draw is recorded with its seed and its population.
            expect(evaluator.get_by_test_id("evaluation-seed")).to_have_text("e2e-seed-11")
            assert digits(evaluator.get_by_test_id("evaluation-population").inner_text()) >= 1

            evaluator.get_by_test_id(f"score-{case_id}").click()
            for item, points in LOST.items():
                fill(evaluator, f"score-lost-{item}", str(points))
                evaluator.keyboard.press("Tab")
            expect(evaluator.get_by_test_id("score-total")).to_have_text("67")
            evaluator.get_by_test_id("score-submit").click()
            expect(evaluator.get_by_test_id(f"sample-score-{case_id}")).to_have_text("67")
            # 67 fails (< 70): the case is on the bulletin; each lost point is an item.
            expect(evaluator.get_by_test_id("evaluation-bulletin")).to_contain_text(case_id)
            for item in LOST:
                expect(evaluator.get_by_test_id(f"item-status-{item}")).to_have_attribute(
                    "data-status", "open")
            shot(evaluator, "supervision-2-scored")

            county = crowd.page("handler.620102")
            county.goto(f"{base}/supervision/evaluation?id={evaluation_id}")
            expect(county.get_by_test_id("draw-submit")).to_have_count(0)  # no evaluator
            county.get_by_test_id("rectify-facts_verified").click()
            answer_prompt(county, "已补充调查核实材料，询问笔录三份")
            expect(county.get_by_test_id("item-status-facts_verified")).to_have_attribute(
                "data-status", "submitted")

            evaluator.reload()
            evaluator.get_by_test_id("accept-facts_verified").click()
            expect(evaluator.get_by_test_id("item-status-facts_verified")).to_have_attribute(
                "data-status", "rectified")

            # Sixteen days on, the items not put right are past their 15-day deadline.
            ticked = shift_supervision_clock(platform, 16)
            assert f"{case_id}:evidence_complete" in ticked["escalations"]
            evaluator.reload()
            for item in ("evidence_complete", "time_limits_kept"):
                expect(evaluator.get_by_test_id(f"item-status-{item}")).to_have_attribute(
                    "data-status", "escalated")
            expect(evaluator.get_by_test_id("item-status-facts_verified")).to_have_attribute(
                "data-status", "rectified")
            expect(county.get_by_test_id("rectify-evidence_complete")).to_have_count(1)
            county.reload()
            expect(county.get_by_test_id("rectify-evidence_complete")).to_have_count(0)
            shot(evaluator, "supervision-2-escalated")
    finally:
        shift_supervision_clock(platform, 0)
