"""caseStatistics and subordinateStatus through GraphQL on the running platform, and the
Excel export of the same answers (gateway → stats, the user's token, stats' scope).

The platform is shared by the session's tests, so figures are checked as what these
registrations add to the figures before them.
"""

from __future__ import annotations

import datetime as dt
import io
import time

import httpx
import openpyxl
import pytest

from domain.guards import CHINA_TZ

from .casework import REGISTER, ok, registration
from .logged_in import StaffClient

pytestmark = pytest.mark.integration

STATISTICS = """query Statistics($organ: String!, $from: Date!, $to: Date!,
    $groupBy: [StatisticsDimension!]!) {
  caseStatistics(organ: $organ, from: $from, to: $to, groupBy: $groupBy) {
    organ from to previousFrom previousTo groupBy
    total visitors previousTotal changePercent
    groups { keys count visitors previousCount changePercent }
    rates { inScopeShare { numerator denominator percent } repeatShare { percent }
            closure { percent } substantiation { percent } sanction { percent }
            satisfaction { percent } onTime { numerator denominator percent } } } }"""

STATUS = """query Status($organ: String!) {
  subordinateStatus(organ: $organ) {
    organ from to
    units { organ name level kind own hasChildren holding overdue yellow red
            received concluded closureRate repeatRate } } }"""

TODAY = dt.datetime.now(CHINA_TZ).date()


def day(value: dt.date) -> str:
    return value.isoformat()


def statistics(client: StaffClient, organ: str, *group_by: str, **dates: str) -> dict:
    body = client.post(
        STATISTICS,
        organ=organ,
        groupBy=list(group_by),
        **{"from": dates.get("start", day(TODAY)), "to": dates.get("end", day(TODAY))},
    )
    return ok(body)["caseStatistics"]


def by_keys(answer: dict) -> dict[tuple[str, ...], dict]:
    return {tuple(group["keys"]): group for group in answer["groups"]}


def count(answer: dict, *keys: str) -> int:
    group = by_keys(answer).get(keys)
    return group["count"] if group else 0


def refusal(body: dict) -> dict:
    assert body.get("data") is None, body
    [error] = body["errors"]
    extensions = error["extensions"]
    assert extensions["message_zh"] and extensions["message_en"], body
    assert extensions["code"] not in ("internal_error", "service_failed"), body
    return extensions


def register(url: str, organ: str, channel: str, visitors: int = 1) -> str:
    clerk = StaffClient(url, f"clerk.{organ.lower()}")
    try:
        extra = {"channel": channel, "visitors": visitors if channel == "visit" else 1}
        body = clerk.post(REGISTER, input=registration(organ, **extra))
        return str(ok(body)["registerPetition"]["caseId"])
    finally:
        clerk.close()


@pytest.fixture(scope="module")
def leader(platform):
    client = StaffClient(platform.gateway_url, "leader.62")
    yield client
    client.close()


@pytest.fixture(scope="module")
def township(platform):
    client = StaffClient(platform.gateway_url, "leader.620102001")
    yield client
    client.close()


@pytest.fixture(scope="module")
def registered(platform, leader):
    """Four reports registered today: two by a township, one by its district, one by
    another district; returns the leader's figures before and after they were counted."""
    before = {
        "province": statistics(leader, "62", "SUBORDINATE"),
        "district": statistics(leader, "620102", "SUBORDINATE", "CHANNEL"),
    }
    url = platform.gateway_url
    register(url, "620102001", "visit", visitors=3)
    register(url, "620102001", "web")
    register(url, "620102", "letter")
    register(url, "620103", "visit", visitors=2)
    deadline = time.monotonic() + 90  # Kafka to stats on a busy machine
    while True:
        after = statistics(leader, "62", "SUBORDINATE")
        if after["total"] >= before["province"]["total"] + 4 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    return before, after


def test_case_statistics_counts_the_new_reports_in_every_subtree(leader, registered):
    before, after = registered
    assert after["total"] == before["province"]["total"] + 4
    assert after["visitors"] == before["province"]["visitors"] + 5  # 3 + 2 persons, visits only
    assert after["groupBy"] == ["SUBORDINATE"] and after["from"] == day(TODAY)
    assert count(after, "6201") == count(before["province"], "6201") + 4
    assert sum(group["count"] for group in after["groups"]) == after["total"]

    district = statistics(leader, "620102", "SUBORDINATE", "CHANNEL")
    old = before["district"]
    assert count(district, "620102001", "visit") == count(old, "620102001", "visit") + 1
    assert count(district, "620102001", "web") == count(old, "620102001", "web") + 1
    assert count(district, "620102", "letter") == count(old, "620102", "letter") + 1
    assert district["total"] == old["total"] + 3
    # A year earlier nothing was registered on this platform: no change to compute.
    assert district["previousTotal"] == 0 and district["changePercent"] is None
    rates = district["rates"]
    assert rates["inScopeShare"]["denominator"] == district["total"]
    assert rates["onTime"]["numerator"] <= rates["onTime"]["denominator"]


def test_subordinate_status_drills_down_to_the_township(leader, registered):
    city = ok(leader.post(STATUS, organ="6201"))["subordinateStatus"]
    units = {unit["organ"]: unit for unit in city["units"]}
    assert units["6201"]["own"] is True and units["6201"]["hasChildren"] is False
    assert units["620102"]["hasChildren"] is True and units["620102"]["received"] >= 3
    assert city["from"] == day(TODAY.replace(month=1, day=1)) and city["to"] == day(TODAY)

    district = ok(leader.post(STATUS, organ="620102"))["subordinateStatus"]
    townships = {unit["organ"]: unit for unit in district["units"]}
    assert townships["620102001"]["received"] >= 2
    assert townships["620102001"]["holding"] >= 2  # registered, not screened yet
    assert townships["620102001"]["level"] and townships["620102001"]["name"]


def test_a_township_sees_only_its_own_subtree(township, registered):
    own = statistics(township, "620102001", "CHANNEL")
    assert own["total"] >= 2
    for organ in ("62", "620102", "620102002"):
        refused = refusal(
            township.post(
                STATISTICS, organ=organ, groupBy=[], **{"from": day(TODAY), "to": day(TODAY)}
            )
        )
        assert refused["code"] == "forbidden", refused
        assert refusal(township.post(STATUS, organ=organ))["code"] == "forbidden"


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"from": "2026-03-01", "to": "2026-01-01", "groupBy": []}, "date_range_invalid"),
        ({"from": "1900-01-01", "to": "2026-01-01", "groupBy": []}, "date_range_too_long"),
        (
            {
                "from": "2026-01-01",
                "to": "2026-01-31",
                "groupBy": ["CHANNEL", "SCOPE", "MONTH", "CATEGORY", "OUTCOME"],
            },
            "statistics_dimensions_too_many",
        ),
        (
            {"from": "2026-01-01", "to": "2026-01-31", "groupBy": ["CHANNEL", "CHANNEL"]},
            "statistics_dimension_repeated",
        ),
        (
            {"from": "2026-01-01", "to": "2026-01-31", "groupBy": ["COLOUR"]},
            "statistics_dimension_unknown",
        ),
        ({"from": "2026-13-01", "to": "2026-01-31", "groupBy": []}, "date_invalid"),
        ({"from": "yesterday", "to": "2026-01-31", "groupBy": []}, "date_invalid"),
    ],
)
def test_bad_input_gets_a_coded_bilingual_refusal(leader, variables, code):
    assert refusal(leader.post(STATISTICS, organ="62", **variables))["code"] == code


def test_bad_organs_are_refused_with_their_codes(leader):
    dates = {"from": "2026-01-01", "to": "2026-01-31", "groupBy": []}
    assert refusal(leader.post(STATISTICS, organ="6x!", **dates))["code"] == "organ_code_invalid"
    assert refusal(leader.post(STATISTICS, organ="6299", **dates))["code"] == "organ_unknown"
    assert refusal(leader.post(STATUS, organ="6x!"))["code"] == "organ_code_invalid"
    literal = leader.post(
        '{ caseStatistics(organ: "62", from: "2026-01-01", to: "2026-01-31", groupBy: [COLOUR])'
        " { total } }"
    )
    assert refusal(literal)["code"] == "statistics_dimension_unknown"


def test_the_excel_export_holds_the_numbers_of_the_answer(leader, registered):
    answer = statistics(leader, "620102", "SUBORDINATE", "CHANNEL")
    response = leader.http.get(
        f"{leader.url}/exports/statistics.xlsx",
        params={
            "organ": "620102",
            "from": day(TODAY),
            "to": day(TODAY),
            "groupBy": ["SUBORDINATE", "CHANNEL"],
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    assert sheet.freeze_panes == "C4"  # two header rows under the title, two key columns
    merged = {str(cells) for cells in sheet.merged_cells.ranges}
    assert "A2:B2" in merged and "C2:D2" in merged and "F2:F3" in merged
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    groups, total = rows[:-1], rows[-1]
    assert len(groups) == len(answer["groups"])
    for row, group in zip(groups, answer["groups"], strict=True):
        assert row[2:5] == (group["count"], group["visitors"], group["previousCount"])
        assert all(isinstance(value, int) for value in row[2:5])
        assert row[5] == group["changePercent"]
    assert total[2:5] == (answer["total"], answer["visitors"], answer["previousTotal"])
    township = next(
        row
        for row, g in zip(groups, answer["groups"], strict=True)
        if g["keys"] == ["620102001", "web"]
    )
    assert township[1] == "网络举报"
    rates = {row[0]: row[1:] for row in book.worksheets[1].iter_rows(min_row=3, values_only=True)}
    on_time = answer["rates"]["onTime"]
    assert rates["按期办结率"][:2] == (on_time["numerator"], on_time["denominator"])
    assert rates["业务范围内占比"][0] == answer["rates"]["inScopeShare"]["numerator"]


def test_the_status_export_and_its_refusals(leader, township, registered):
    status = ok(leader.post(STATUS, organ="620102"))["subordinateStatus"]
    response = leader.http.get(
        f"{leader.url}/exports/subordinate-status.xlsx",
        params={"organ": "620102", "from": status["from"], "to": status["to"], "lang": "en"},
    )
    assert response.status_code == 200, response.text
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet.freeze_panes == "C4" and sheet["C3"].value == "Holding"
    rows = {row[0]: row for row in sheet.iter_rows(min_row=4, values_only=True)}
    for unit in status["units"]:
        assert rows[unit["organ"]][2:8] == (
            unit["holding"],
            unit["overdue"],
            unit["yellow"],
            unit["red"],
            unit["received"],
            unit["concluded"],
        )

    params = {"organ": "62", "from": day(TODAY), "to": day(TODAY)}
    outside = township.http.get(f"{township.url}/exports/statistics.xlsx", params=params)
    assert outside.status_code == 403 and outside.json()["error"]["code"] == "forbidden"
    with httpx.Client(timeout=20) as stranger:
        refused = stranger.get(f"{leader.url}/exports/statistics.xlsx", params=params)
    assert refused.status_code == 401, refused.text
    bad = leader.http.get(
        f"{leader.url}/exports/statistics.xlsx",
        params={**params, "from": "2026-13-01"},
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "request_invalid"


def test_exports_are_in_the_access_log(platform, leader, registered):
    leader.http.get(
        f"{leader.url}/exports/statistics.xlsx",
        params={"organ": "6201", "from": day(TODAY), "to": day(TODAY), "groupBy": "CHANNEL"},
    ).raise_for_status()
    auditor = StaffClient(platform.gateway_url, "auditor.62")
    try:
        entries = ok(
            auditor.post(
                'query { accessLog(user: "leader.62", first: 50) { action object outcome reason } }'
            )
        )["accessLog"]
    finally:
        auditor.close()
    exports = [e for e in entries if e["action"] == "export" and e["object"] == "statistics"]
    assert exports and exports[0]["outcome"] == "ALLOWED"
    assert exports[0]["reason"] == f"organ=6201 from={day(TODAY)} to={day(TODAY)} groupBy=CHANNEL"
