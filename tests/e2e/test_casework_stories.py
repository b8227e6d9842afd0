"""Issue 10's stories in a real browser: each person logs in with their own demo account and
plays their part through the pages (registration, case page, approvals, inbox, search,
the public progress page). One platform serves every story (session fixture)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from domain.contracts import HandlingEvents as H
from domain.contracts import PetitionEvents as P
from tests.e2e.casework import (
    act,
    approve,
    expect_holder,
    from_inbox,
    open_case,
    people,
    shot,
    until_visible,
)
from tests.e2e.chain import routing_chain_is_intact
from tests.e2e.registration_steps import close_receipt, register, unique_name

pytestmark = pytest.mark.e2e

TOWNSHIP = "620102001"  # 酒泉路街道
OTHER_TOWNSHIP = "620102002"  # 张掖路街道
COUNTY = "620102"  # 城关区
STATIONED = "620102Z01"  # 派驻区法院纪检监察组


def _base(platform) -> str:
    return platform.gateway_url.rstrip("/")


def _progress(page: Page, base: str, code: str) -> Page:
    """The reporter's view: the public progress page, no login."""
    page.goto(f"{base}/progress")
    page.get_by_test_id("progress-code").fill(code)
    page.get_by_test_id("progress-submit").click()
    expect(page.get_by_test_id("progress-result")).to_be_visible()
    return page


def _reporter_sees(page: Page, base: str, code: str, stage: str, result: bool) -> None:
    _progress(page, base, code)
    result_box = page.get_by_test_id("progress-result")
    expect(result_box).to_have_attribute("data-stage", re.compile(stage))
    expect(page.get_by_test_id("progress-outcome")).to_have_count(1 if result else 0)
    # Nothing about staff or other people: no names of the demo staff on the page.
    text = page.get_by_test_id("page-progress").inner_text()
    for staff in ("冯街信", "褚街领", "周区信", "郑区领", "许街信", "何街办"):
        assert staff not in text


def test_story_1_visit_up_to_the_county_down_to_another_township_and_archived(
    platform, browser: Browser, database_url: str
) -> None:
    base = _base(platform)
    with people(browser, base) as crowd:
        reporter_view = crowd.new_context().new_page()
        clerk = crowd.page("clerk.620102001")
        suspect = unique_name()
        unit = "酒泉路街道某社区居委会"
        # An earlier, accepted report about the same person: the new one may repeat it.
        earlier = register(
            clerk, base, channel="来信", summary=f"反映{suspect}在社区工作中优亲厚友",
            persons=[(suspect, unit, "主任")], category="违反群众纪律",
        )
        open_case(clerk, base, earlier.case_id)
        act(clerk, "acceptPetition", choices={"reportType": "检举控告"})

        def hinted_before_saving(page: Page) -> None:
            # The substance hint and the repeat candidate, while the form is still unsaved.
            expect(page.get_by_test_id("draft-substance-hint")).to_be_visible()
            repeat = page.get_by_test_id("draft-repeat").filter(has_text=earlier.number)
            expect(repeat).to_be_visible()
            expect(page.get_by_test_id("registration-number")).to_have_count(0)
            shot(page, "1-hints-before-saving")

        first = register(
            clerk, base, channel="来访", visitors=3,
            reporter=("李举报", "620102198001011239", "13900001111"),
            persons=[(suspect, unit, "主任"), (unique_name("张"), unit, "会计")],
            category="违反群众纪律",
            summary=f"反映{suspect}等人有问题",
            before_saving=hinted_before_saving,
        )
        assert first.receipt_code
        shot(clerk, "1-registered")
        # And still shown once it is saved, now the registered case's own.
        expect(clerk.get_by_test_id("draft-substance-hint")).to_be_visible()
        close_receipt(clerk)
        expect(clerk.get_by_test_id("draft-repeat").first).to_be_visible()
        _reporter_sees(reporter_view, base, first.receipt_code, "^received$", result=False)

        open_case(clerk, base, first.case_id)
        expect(clerk.get_by_test_id("case-visitors")).to_have_attribute("data-visitors", "3")
        expect(clerk.get_by_test_id("reported-persons").locator("tbody tr")).to_have_count(2)
        expect(clerk.get_by_test_id("substance-hint")).to_be_visible()
        expect(clerk.get_by_test_id("repeat-candidate").first).to_be_visible()
        expect(clerk.get_by_test_id("reporter-sealed")).to_be_visible()
        act(clerk, "acceptPetition", choices={"reportType": "检举控告"})
        shot(clerk, "1-accepted")
        # Accepted, and at once in handling once routing has opened it.
        _reporter_sees(reporter_view, base, first.receipt_code, "^(accepted|in_handling)$",
                       result=False)

        # Reported up to the county: proposed by the clerk, signed off, dispatched.
        act(clerk, "proposeTransfer", choices={"kind": "报送", "toOffice": "信访室"},
            organs={"toOrgan": COUNTY}, fill={"reason": "涉及社区主任，按干部管理权限报区纪委监委"})
        approve(crowd.page("leader.620102001"), base, first.number)
        open_case(clerk, base, first.case_id)
        act(clerk, "dispatchTransfer")

        # The county clerk signs for it from the inbox, and assigns it down to another
        # township's supervision office; the county leader signs that off.
        county = crowd.page("clerk.620102")
        from_inbox(county, base, "incoming", first.case_id)
        act(county, "receiveTransfer")
        expect_holder(county, COUNTY)
        act(county, "proposeTransfer", choices={"kind": "交办", "toOffice": "监督检查室"},
            organs={"toOrgan": OTHER_TOWNSHIP}, fill={"reason": "交张掖路街道纪工委核查"})
        approve(crowd.page("leader.620102"), base, first.number)
        open_case(county, base, first.case_id)
        act(county, "dispatchTransfer")

        # The other township handles it, concludes and reports back.
        handler = crowd.page("handler.620102002")
        from_inbox(handler, base, "incoming", first.case_id)
        act(handler, "receiveTransfer")
        expect_holder(handler, OTHER_TOWNSHIP)
        act(handler, "decideDisposal", choices={"mode": "初步核实"},
            fill={"reason": "问题线索具体，可查性强"})
        act(handler, "concludeCase", choices={"outcome": "批评教育", "substantiation": "部分属实"},
            fill={"findings": "经核查，反映的优亲厚友问题部分属实"})
        act(handler, "reportBack", fill={"summary": "已核查完毕，对其批评教育"})
        _reporter_sees(reporter_view, base, first.receipt_code, "^in_handling$", result=False)

        # The county sends it back to be redone, then accepts the second report.
        from_inbox(county, base, "held", first.case_id)
        act(county, "reviewResult", choices={}, fill={"reason": "核查不够深入，请补充走访记录"},
            verdict="send_back")
        from_inbox(handler, base, "held", first.case_id)
        act(handler, "concludeCase", choices={"outcome": "批评教育", "substantiation": "部分属实"},
            fill={"findings": "补充走访群众五人，问题部分属实"})
        act(handler, "reportBack", fill={"summary": "已补充核查并报结"})
        _reporter_sees(reporter_view, base, first.receipt_code, "^in_handling$", result=False)
        from_inbox(county, base, "held", first.case_id)
        act(county, "reviewResult", verdict="accept")
        _reporter_sees(reporter_view, base, first.receipt_code, "^concluded$", result=True)

        # Feedback with satisfaction, five in place, archived.
        act(county, "recordFeedback", choices={"method": "电话", "satisfaction": "满意"},
            fill={"content": "电话告知举报人核查结果"})
        act(county, "confirmFiveInPlace",
            many={"items": ["调查到位", "处理到位", "反馈到位", "归档到位", "教育到位"]})
        act(county, "archiveCase")
        expect(county.get_by_test_id("case-status")).to_have_attribute("data-status", "archived")
        expect(county.get_by_test_id("no-actions")).to_be_visible()
        shot(county, "1-archived")

        # Every step in order, with who did it at which organ.
        whats = county.get_by_test_id("timeline-what").evaluate_all(
            "els => els.map(e => e.dataset.what)")
        # `what` is the event's type, as intake and routing store it (domain.contracts).
        for step in (P.REGISTERED, H.TRANSFER_PROPOSED, H.TRANSFER_APPROVED,
                     H.TRANSFER_DISPATCHED, H.TRANSFER_RECEIVED, H.DISPOSAL_DECIDED,
                     H.CONCLUDED, H.SENT_BACK, H.RESULT_ACCEPTED, H.FEEDBACK_GIVEN):
            assert step in whats, (step, whats)
        assert whats.index(P.REGISTERED) < whats.index(H.TRANSFER_PROPOSED)
        assert whats.index(H.SENT_BACK) < whats.index(H.RESULT_ACCEPTED)
        links = county.get_by_test_id("custody-link")
        organs = links.evaluate_all("els => els.map(e => e.dataset.organ)")
        assert organs[0] == TOWNSHIP and COUNTY in organs and organs[-1] in (OTHER_TOWNSHIP, COUNTY)
        # Who did each step, at which organ: the clerk registered at the township, the
        # county received, the other township concluded, the county archived.
        rows = county.get_by_test_id("timeline").locator("tbody tr")
        steps = rows.evaluate_all(
            "rows => rows.map(r => [r.querySelector('[data-what]')?.dataset.what,"
            " r.querySelector('[data-organ]')?.dataset.organ])")
        done_at = {what: organ for what, organ in steps}
        assert done_at[P.REGISTERED] == TOWNSHIP
        assert done_at[H.TRANSFER_RECEIVED] in (COUNTY, OTHER_TOWNSHIP)
        assert done_at[H.CONCLUDED] == OTHER_TOWNSHIP
        assert done_at[H.RESULT_ACCEPTED] == COUNTY
        # The case's hash chain on routing.events reached every consumer whole.
        length = routing_chain_is_intact(
            database_url, platform.settings.baton_namespace, first.case_id)
        assert length >= 12

        # A user of a sibling county sees none of it: not in search, inbox or by URL.
        def search(page: Page, rows: str) -> None:
            page.goto(f"{base}/cases")
            page.get_by_test_id("filter-number").fill(first.number)
            page.get_by_test_id("search-submit").click()
            results = page.get_by_test_id("search-results")
            expect(results).to_have_attribute("data-loading", "false")
            expect(results).to_have_attribute("data-rows", rows)

        search(county, "1")  # the same search finds it inside the county's subtree
        sibling = crowd.page("clerk.620103")
        search(sibling, "0")
        sibling.goto(f"{base}/")
        expect(sibling.get_by_test_id("inbox")).to_be_visible()
        expect(sibling.locator(f'[data-case="{first.case_id}"]')).to_have_count(0)
        sibling.goto(f"{base}/cases/{first.case_id}")
        expect(sibling.get_by_test_id("case-not-found")).to_be_visible()
        expect(sibling.get_by_test_id("case-facts")).to_have_count(0)


def test_story_2_a_court_officer_goes_to_the_stationed_unit_and_is_handled_there(
    platform, browser: Browser
) -> None:
    base = _base(platform)
    with people(browser, base) as crowd:
        clerk = crowd.page("clerk.620102")
        judge = unique_name("赵")
        case = register(
            clerk, base, channel="来信",
            persons=[(judge, "城关区人民法院", "审判员", "乡科级及以下干部")],
            category="违反廉洁纪律",
            summary=f"反映{judge}2026年3月在某酒店收受当事人礼金二万元",
        )
        open_case(clerk, base, case.case_id)
        act(clerk, "acceptPetition", choices={"reportType": "检举控告"})
        # The jurisdiction suggestion and its reason come first in the transfer dialog.
        button = clerk.get_by_test_id("action-proposeTransfer")
        until_visible(clerk, button, clerk.reload)
        button.click()
        suggestion = clerk.get_by_test_id("jurisdiction-suggestion")
        expect(suggestion).to_contain_text("派驻区人民法院纪检监察组")
        expect(clerk.get_by_test_id("jurisdiction-reason")).not_to_be_empty()
        shot(clerk, "2-suggestion")
        clerk.get_by_test_id("action-cancel").click()
        act(clerk, "proposeTransfer", choices={"kind": "转派驻机构", "toOffice": "监督检查室"},
            organs={"toOrgan": STATIONED},
            fill={"reason": "被反映人系区法院干部，由派驻纪检监察组办理"})
        approve(crowd.page("leader.620102"), base, case.number)
        open_case(clerk, base, case.case_id)
        act(clerk, "dispatchTransfer")

        handler = crowd.page("handler.620102z01")
        from_inbox(handler, base, "incoming", case.case_id)
        act(handler, "receiveTransfer")
        expect_holder(handler, STATIONED)
        act(handler, "decideDisposal", choices={"mode": "初步核实"}, fill={"reason": "线索具体"})
        act(handler, "concludeCase", choices={"outcome": "党纪处分", "substantiation": "属实"},
            fill={"findings": "经初核，收受礼金问题属实"})
        expect(handler.get_by_test_id("case-status")).to_have_attribute(
            "data-status", re.compile("^(concluded|under_review)$"))
        whats = handler.get_by_test_id("timeline-what").evaluate_all(
            "els => els.map(e => e.dataset.what)")
        assert H.TRANSFER_RECEIVED in whats and H.CONCLUDED in whats
        shot(handler, "2-stationed")


def test_story_3_a_rejected_not_accept_proposal_is_then_accepted(
    platform, browser: Browser
) -> None:
    base = _base(platform)
    with people(browser, base) as crowd:
        clerk = crowd.page("clerk.620102001")
        case = register(
            clerk, base, channel="来信", persons=[(unique_name("孙"), "某街道办事处", "干部")],
            summary="反映某干部有问题",
        )
        open_case(clerk, base, case.case_id)
        act(clerk, "proposeNotAccept", fill={"reason": "仅列举人员，无实质内容"})
        leader = crowd.page("leader.620102001")
        approve(leader, base, case.number, reject_with="反映对象明确，应予受理后核实")
        shot(leader, "3-rejected")
        # Screening goes on: the report is still being screened and may now be accepted.
        open_case(clerk, base, case.case_id)
        expect(clerk.get_by_test_id("case-stage")).to_have_attribute("data-stage", "received")
        act(clerk, "acceptPetition", choices={"reportType": "检举控告"})
        expect(clerk.get_by_test_id("case-stage")).to_have_attribute(
            "data-stage", re.compile("^(accepted|in_handling)$"))
