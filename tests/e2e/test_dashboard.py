"""The dashboard and the subordinate status in a real browser against the running platform:
a province leader sees this year's figures, drills down to a township and exports a table
and a chart; a township leader sees only its own subtree."""

from __future__ import annotations

import datetime as dt
import io
import time

import openpyxl
import pytest
from playwright.sync_api import Download, Page, expect

from domain.guards import CHINA_TZ
from tests.e2e.shell import demo_user, login, menu_entries, province_leader
from tests.integration.platform.casework import REGISTER, ok, registration
from tests.integration.platform.logged_in import StaffClient

pytestmark = pytest.mark.e2e

SHOTS = "/tmp/baton-dashboard"
TODAY = dt.datetime.now(CHINA_TZ).date()
YEAR = (TODAY.replace(month=1, day=1).isoformat(), TODAY.isoformat())
TOTAL = """query($organ: String!, $from: Date!, $to: Date!) {
  caseStatistics(organ: $organ, from: $from, to: $to, groupBy: []) { total } }"""


def _base(platform) -> str:
    return platform.gateway_url.rstrip("/")


@pytest.fixture(scope="module")
def cases(platform) -> int:
    """Three reports registered today in two townships, counted by stats; the township
    620102001's total this year afterwards."""
    url = platform.gateway_url
    leader = StaffClient(url, "leader.62")
    try:
        variables = {"organ": "620102001", "from": YEAR[0], "to": YEAR[1]}
        before = ok(leader.post(TOTAL, **variables))["caseStatistics"]["total"]
        for organ, channel in (
            ("620102001", "visit"),
            ("620102001", "web"),
            ("620102002", "letter"),
        ):
            clerk = StaffClient(url, f"clerk.{organ}")
            ok(
                clerk.post(
                    REGISTER,
                    input=registration(
                        organ, channel=channel, visitors=3 if channel == "visit" else 1
                    ),
                )
            )
            clerk.close()
        deadline = time.monotonic() + 90  # through Kafka to stats on a busy machine
        while time.monotonic() < deadline:
            total = ok(leader.post(TOTAL, **variables))["caseStatistics"]["total"]
            if total >= before + 2:
                return int(total)
            time.sleep(0.5)
        raise AssertionError("stats did not count the registrations within 90 s")
    finally:
        leader.close()


def workbook(download: Download) -> openpyxl.Workbook:
    """The downloaded file opened with openpyxl (Playwright saves it without a suffix)."""
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    with open(download.path(), "rb") as saved:
        return openpyxl.load_workbook(io.BytesIO(saved.read()))


def expand(page: Page, unit: str) -> None:
    """Opens a unit's row of the tree table (its children are asked for on demand)."""
    row = page.locator("tr", has=page.get_by_test_id(f"unit-{unit}"))
    row.locator(".el-table__expand-icon").click()


def test_a_province_leader_drills_down_to_a_township_and_exports(platform, page, cases):
    base = _base(platform)
    # Two cores shared with the platform and other sessions: generous waits.
    page.set_default_timeout(30_000)
    expect.set_options(timeout=20_000)
    try:
        login(page, base, province_leader(), path="/dashboard")
        assert {"dashboard", "subordinates", "stats"} <= menu_entries(page)
        dashboard = page.get_by_test_id("page-dashboard")
        expect(dashboard).to_have_attribute("data-state", "ready", timeout=60_000)
        assert int(page.get_by_test_id("headline-total").inner_text()) >= cases
        # Each breakdown is an ECharts canvas beside its table.
        expect(page.get_by_test_id("breakdown-CHANNEL").locator("canvas").first).to_be_visible()
        expect(page.get_by_test_id("breakdown-MONTH")).not_to_have_attribute("data-rows", "0")

        # The tree: province → city → district → township, each level asked on demand.
        tree = page.get_by_test_id("subordinate-tree")
        expect(tree.get_by_test_id("unit-own-62")).to_be_visible()
        expand(page, "6201")
        expand(page, "620102")
        township = tree.get_by_test_id("unit-620102001")
        expect(township).to_be_visible()
        expect(township).to_have_attribute("data-received", str(cases))
        page.screenshot(path=f"{SHOTS}-leader.png", full_page=True)

        # The tree's table as Excel: the same numbers as the page.
        with page.expect_download() as download_info:
            tree.get_by_test_id("xlsx-subordinates").click()
        sheet = workbook(download_info.value).worksheets[0]
        assert sheet.freeze_panes == "C4"
        rows = {row[0]: row for row in sheet.iter_rows(min_row=4, values_only=True)}
        shown = int(tree.get_by_test_id("received-6201").inner_text())
        assert rows["6201"][6] == shown and isinstance(rows["6201"][6], int)

        # A breakdown as Excel (its total is the headline's) and its chart as a picture.
        with page.expect_download() as download_info:
            page.get_by_test_id("xlsx-CHANNEL").click()
        channels = workbook(download_info.value).worksheets[0]
        last = list(channels.iter_rows(min_row=4, values_only=True))[-1]
        assert last[1] == int(page.get_by_test_id("headline-total").inner_text())
        with page.expect_download() as download_info:
            page.get_by_test_id("png-CHANNEL").click()
        assert download_info.value.suggested_filename.endswith(".png")
        with open(download_info.value.path(), "rb") as picture:
            assert picture.read(8) == b"\x89PNG\r\n\x1a\n"

        # From the status page to the cases of one township.
        page.get_by_test_id("menu-subordinates").click()
        status = page.get_by_test_id("page-subordinates")
        expect(status).to_be_visible()
        expand(page, "6201")
        expand(page, "620102")
        status.get_by_test_id("cases-620102001").click()
        expect(page.get_by_test_id("page-search")).to_be_visible()
        expect(page).to_have_url(f"{base}/cases?organ=620102001")
        expect(page.get_by_test_id("search-results")).not_to_have_attribute("data-rows", "0")
    finally:
        expect.set_options(timeout=5_000)


def test_a_township_leader_sees_only_its_own_subtree(platform, page, cases):
    base = _base(platform)
    user = demo_user(lambda u: u.username == "leader.620102001", "township leader")
    page.set_default_timeout(30_000)
    expect.set_options(timeout=20_000)
    try:
        login(page, base, user, path="/subordinates")
        tree = page.get_by_test_id("subordinate-tree")
        expect(tree.get_by_test_id("unit-own-620102001")).to_be_visible()
        expect(tree.get_by_test_id("received-620102001:own")).to_have_text(str(cases))
        expect(tree.locator('[data-testid^="unit-"]')).to_have_count(1)

        page.get_by_test_id("menu-dashboard").click()
        # Eight questions to stats at once: under load they may take a while.
        expect(page.get_by_test_id("page-dashboard")).to_have_attribute(
            "data-state", "ready", timeout=60_000
        )
        expect(page.get_by_test_id("headline-total")).to_have_text(str(cases))
        # The organ picker offers nothing above the township.
        page.get_by_test_id("dashboard-organ").click()
        options = page.locator(".el-select-dropdown__item:visible")
        expect(options.first).to_be_visible()
        assert all("620102001" in text for text in options.all_inner_texts())

        # Asking for the province anyway, with the session: refused by stats' scope.
        export = page.request.get(
            f"{base}/exports/statistics.xlsx",
            params={"organ": "62", "from": YEAR[0], "to": YEAR[1]},
        )
        assert export.status == 403 and export.json()["error"]["code"] == "forbidden"
    finally:
        expect.set_options(timeout=5_000)
