"""The Excel workbooks of the statistics answers, read back with openpyxl."""

from __future__ import annotations

import io

import openpyxl

from gateway.workbooks import statistics_workbook, status_workbook
from infra.reference_data import load_org_tree

TREE = load_org_tree()
RATE = {"numerator": 1, "denominator": 4, "percent": 25.0}
ANSWER = {
    "organ": "620102",
    "from": "2025-02-01",
    "to": "2025-02-28",
    "previousFrom": "2024-02-01",
    "previousTo": "2024-02-29",
    "groupBy": ["SUBORDINATE", "CHANNEL"],
    "total": 7,
    "visitors": 5,
    "previousTotal": 4,
    "previousVisitors": 2,
    "changePercent": 75.0,
    "groups": [
        {"keys": ["620102", "letter"], "count": 3, "visitors": 0, "previousCount": 0,
         "changePercent": None},
        {"keys": ["620102001", "visit"], "count": 4, "visitors": 5, "previousCount": 4,
         "changePercent": 0.0},
    ],
    "rates": {name: RATE for name in ("inScopeShare", "repeatShare", "closure", "substantiation",
                                      "sanction", "satisfaction", "onTime")},
}  # fmt: skip


def opened(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def test_groups_and_totals_are_numbers_under_two_frozen_header_rows():
    book = opened(statistics_workbook(ANSWER, TREE))
    sheet = book.worksheets[0]
    assert sheet.freeze_panes == "C4"
    merged = {str(cells) for cells in sheet.merged_cells.ranges}
    assert {"A2:B2", "C2:D2", "F2:F3"} <= merged
    assert [sheet.cell(3, col).value for col in range(1, 6)] == [
        "下级单位", "来源渠道", "件数", "人次", "件数"
    ]  # fmt: skip
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert rows[0] == (TREE.get("620102").name, "来信", 3, 0, 0, None)
    assert rows[1] == (TREE.get("620102001").name, "来访", 4, 5, 4, 0.0)
    assert rows[2] == ("合计", None, 7, 5, 4, 75.0)
    rates = book.worksheets[1]
    assert rates.freeze_panes == "B3"
    assert rates["A9"].value == "按期办结率" and rates["B9"].value == 1 and rates["D9"].value == 25


def test_english_headers_and_the_status_table():
    sheet = opened(statistics_workbook({**ANSWER, "groupBy": [], "groups": [
        {"keys": [], "count": 7, "visitors": 5, "previousCount": 4, "changePercent": 75.0}
    ]}, TREE, "en")).worksheets[0]  # fmt: skip
    assert sheet.freeze_panes == "B4" and sheet["B3"].value == "Reports"
    assert [c.value for c in sheet[4]] == ["All", 7, 5, 4, 75.0]
    unit = {
        "organ": "620102001",
        "name": "街道",
        "level": "township",
        "kind": "commission",
        "own": False,
        "hasChildren": False,
        "holding": 2,
        "overdue": 1,
        "yellow": 0,
        "red": 1,
        "received": 9,
        "concluded": 3,
        "closureRate": 33.3,
        "repeatRate": None,
    }
    status = {"organ": "620102", "from": "2025-01-01", "to": "2025-03-01", "units": [unit]}
    sheet = opened(status_workbook(status, "zh-CN")).worksheets[0]
    assert sheet.freeze_panes == "C4" and sheet["C2"].value == "在办"
    assert [c.value for c in sheet[4]] == ["620102001", "街道", 2, 1, 0, 1, 9, 3, 33.3, None]
