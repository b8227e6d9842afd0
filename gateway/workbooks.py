"""Excel workbooks 报表 of the statistics answers, written with XlsxWriter.

Numbers are written as numbers (percentages as their value with one decimal, as the page
shows them), the headers have two levels (a band over its columns, then each column) and
stay frozen while scrolling. Group codes are shown by their vocabulary label.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import xlsxwriter

from domain import vocabulary as v
from domain.hierarchy import OrgTree

LANGUAGES = ("zh-CN", "en")

# Which vocabulary names each dimension's codes; others fall back to any enumeration's.
_DIMENSION_ENUMS: dict[str, type[v.LabelledEnum]] = {
    "CHANNEL": v.Channel,
    "SCOPE": v.Scope,
    "REPORT_TYPE": v.ReportType,
    "REAL_NAME": v.Identity,
    "CATEGORY": v.ProblemCategory,
    "KEY_FIELD": v.KeyField,
    "CADRE_LEVEL": v.CadreLevel,
    "OUTCOME": v.Outcome,
    "SUBSTANTIATION": v.Substantiation,
    "CONDUCT_PERIOD": v.ConductPeriod,
    "DISPOSAL": v.Disposal,
    "SATISFACTION": v.Satisfaction,
    "WARNING": v.WarningLevel,
}

# (zh, en) of every word a workbook uses.
_WORDS: dict[str, tuple[str, str]] = {
    "title": ("综合统计", "Case statistics"),
    "group": ("分组", "Group"),
    "period": ("本期", "This period"),
    "previous": ("去年同期", "A year earlier"),
    "change": ("同比(%)", "Change (%)"),
    "count": ("件数", "Reports"),
    "visitors": ("人次", "Visitors"),
    "all": ("全部", "All"),
    "total": ("合计", "Total"),
    "rates": ("比率", "Rates"),
    "rate": ("比率", "Rate"),
    "numerator": ("分子", "Numerator"),
    "denominator": ("分母", "Denominator"),
    "percent": ("百分比(%)", "Percent"),
    "status": ("下级办理情况", "Subordinate handling status"),
    "unit": ("单位", "Unit"),
    "code": ("代码", "Code"),
    "name": ("名称", "Name"),
    "held": ("在办", "Held now"),
    "holding": ("在办件", "Holding"),
    "overdue": ("超期", "Overdue"),
    "yellow": ("黄色预警", "Yellow"),
    "red": ("红色预警", "Red"),
    "received": ("收件", "Received"),
    "concluded": ("办结", "Concluded"),
    "closureRate": ("办结率(%)", "Closure (%)"),
    "repeatRate": ("重复率(%)", "Repeat (%)"),
    "own": ("本级", "own"),
    "none": ("未知", "Not known"),
    "unscreened": ("未甄别", "Not screened"),
    "first": ("初信初访", "First"),
    "repeat": ("重复", "Repeat"),
    "CHANNEL": ("来源渠道", "Channel"),
    "SCOPE": ("业务范围", "Scope"),
    "REPORT_TYPE": ("举报类型", "Report type"),
    "FIRST_OR_REPEAT": ("初重", "First or repeat"),
    "REAL_NAME": ("实名/匿名", "Real name"),
    "CATEGORY": ("问题类别", "Category"),
    "KEY_FIELD": ("重点领域", "Key field"),
    "CADRE_LEVEL": ("干部层级", "Cadre level"),
    "OUTCOME": ("处理结果", "Outcome"),
    "SUBSTANTIATION": ("属实情况", "Substantiation"),
    "SUBORDINATE": ("下级单位", "Subordinate"),
    "MONTH": ("月份", "Month"),
    "ORIGIN": ("来源", "Origin"),
    "CONDUCT_PERIOD": ("问题发生时段", "Conduct period"),
    "DISPOSAL": ("处置方式", "Disposal"),
    "STAGE": ("阶段", "Stage"),
    "SATISFACTION": ("满意度", "Satisfaction"),
    "WARNING": ("预警", "Warning"),
    "inScopeShare": ("业务范围内占比", "In-scope share"),
    "repeatShare": ("重复举报占比", "Repeat share"),
    "closure": ("办结率", "Closure"),
    "substantiation": ("属实率", "Substantiation"),
    "sanction": ("处理处分率", "Sanction"),
    "satisfaction": ("满意率", "Satisfaction"),
    "onTime": ("按期办结率", "On time"),
}

STATUS_FIGURES = (
    "holding",
    "overdue",
    "yellow",
    "red",
    "received",
    "concluded",
    "closureRate",
    "repeatRate",
)


class _Words:
    def __init__(self, language: str) -> None:
        self.index = 1 if language == "en" else 0

    def __call__(self, key: str) -> str:
        pair = _WORDS.get(key)
        return pair[self.index] if pair else key


def _labeller(tree: OrgTree, words: _Words) -> Callable[[str, str], str]:
    def label(dimension: str, code: str) -> str:
        if dimension == "SUBORDINATE" and code in tree:
            return tree.get(code).name
        if dimension == "MONTH":
            return code
        enum = _DIMENSION_ENUMS.get(dimension)
        if enum is not None and code in enum._value2member_map_:
            member = enum(code)
            return member.label_en if words.index else member.label_zh
        return words(code)

    return label


class _Book:
    """An in-memory workbook with the formats every sheet shares."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.book = xlsxwriter.Workbook(self.buffer, {"in_memory": True})
        self.title = self.book.add_format({"bold": True, "font_size": 13})
        self.head = self.book.add_format(
            {
                "bold": True,
                "align": "center",
                "valign": "vcenter",
                "border": 1,
                "bg_color": "#E8EEF7",
            }
        )
        self.text = self.book.add_format({"border": 1})
        self.integer = self.book.add_format({"border": 1, "num_format": "#,##0"})
        self.decimal = self.book.add_format({"border": 1, "num_format": "0.0"})
        self.bold_text = self.book.add_format({"border": 1, "bold": True})

    def number(self, sheet: Any, row: int, col: int, value: Any, decimal: bool = False) -> None:
        if value is None:
            sheet.write_blank(row, col, None, self.decimal if decimal else self.integer)
        else:
            sheet.write_number(row, col, value, self.decimal if decimal else self.integer)

    def band(self, sheet: Any, row: int, first: int, last: int, text: str) -> None:
        """A header cell over columns first..last (merged when it spans more than one)."""
        if last > first:
            sheet.merge_range(row, first, row, last, text, self.head)
        else:
            sheet.write_string(row, first, text, self.head)

    def close(self) -> bytes:
        self.book.close()
        return self.buffer.getvalue()


def statistics_workbook(data: dict[str, Any], tree: OrgTree, language: str = "zh-CN") -> bytes:
    """A caseStatistics answer: its groups with the year-earlier figures, then its rates."""
    words = _Words(language)
    label = _labeller(tree, words)
    dims: list[str] = list(data["groupBy"])
    book = _Book()
    sheet = book.book.add_worksheet(words("title"))
    organ = tree.get(data["organ"]).name if data["organ"] in tree else data["organ"]
    sheet.write_string(0, 0, f"{organ} {words('title')} {data['from']} – {data['to']}", book.title)
    keys = max(len(dims), 1)
    # Two header rows: the bands, then each column; the change spans both.
    book.band(sheet, 1, 0, keys - 1, words("group"))
    book.band(sheet, 1, keys, keys + 1, f"{words('period')} {data['from']} – {data['to']}")
    previous = f"{words('previous')} {data['previousFrom']} – {data['previousTo']}"
    book.band(sheet, 1, keys + 2, keys + 2, previous)
    sheet.merge_range(1, keys + 3, 2, keys + 3, words("change"), book.head)
    for col, dim in enumerate(dims or ["all"]):
        sheet.write_string(2, col, words(dim if dims else "group"), book.head)
    for col, name in enumerate(("count", "visitors", "count"), start=keys):
        sheet.write_string(2, col, words(name), book.head)
    row = 3
    for group in data["groups"]:
        for col, (dim, code) in enumerate(zip(dims, group["keys"], strict=True)):
            sheet.write_string(row, col, label(dim, code), book.text)
        if not dims:
            sheet.write_string(row, 0, words("all"), book.text)
        book.number(sheet, row, keys, group["count"])
        book.number(sheet, row, keys + 1, group["visitors"])
        book.number(sheet, row, keys + 2, group["previousCount"])
        book.number(sheet, row, keys + 3, group["changePercent"], decimal=True)
        row += 1
    sheet.write_string(row, 0, words("total"), book.bold_text)
    for col in range(1, keys):
        sheet.write_blank(row, col, None, book.text)
    book.number(sheet, row, keys, data["total"])
    book.number(sheet, row, keys + 1, data["visitors"])
    book.number(sheet, row, keys + 2, data["previousTotal"])
    book.number(sheet, row, keys + 3, data["changePercent"], decimal=True)
    sheet.freeze_panes(3, keys)
    sheet.set_column(0, keys - 1, 18)
    sheet.set_column(keys, keys + 3, 14)
    _rates_sheet(book, words, data["rates"])
    return book.close()


def _rates_sheet(book: _Book, words: _Words, rates: dict[str, Any]) -> None:
    sheet = book.book.add_worksheet(words("rates"))
    book.band(sheet, 0, 0, 0, words("rate"))
    book.band(sheet, 0, 1, 3, words("rates"))
    sheet.write_string(1, 0, "", book.head)
    for col, name in enumerate(("numerator", "denominator", "percent"), start=1):
        sheet.write_string(1, col, words(name), book.head)
    for row, (name, rate) in enumerate(rates.items(), start=2):
        sheet.write_string(row, 0, words(name), book.text)
        book.number(sheet, row, 1, rate["numerator"])
        book.number(sheet, row, 2, rate["denominator"])
        book.number(sheet, row, 3, rate["percent"], decimal=True)
    sheet.freeze_panes(2, 1)
    sheet.set_column(0, 0, 18)
    sheet.set_column(1, 3, 14)


def status_workbook(data: dict[str, Any], language: str = "zh-CN") -> bytes:
    """A subordinateStatus answer: each unit's code and name, what it holds, its period."""
    words = _Words(language)
    book = _Book()
    sheet = book.book.add_worksheet(words("status"))
    organ = next((u["name"] for u in data["units"] if u["own"]), data["organ"])
    sheet.write_string(0, 0, f"{organ} {words('status')} {data['from']} – {data['to']}", book.title)
    book.band(sheet, 1, 0, 1, words("unit"))
    book.band(sheet, 1, 2, 5, words("held"))
    book.band(sheet, 1, 6, 9, f"{words('period')} {data['from']} – {data['to']}")
    for col, name in enumerate(("code", "name", *STATUS_FIGURES)):
        sheet.write_string(2, col, words(name), book.head)
    for row, unit in enumerate(data["units"], start=3):
        sheet.write_string(row, 0, unit["organ"], book.text)
        name = f"{unit['name']} ({words('own')})" if unit["own"] else unit["name"]
        sheet.write_string(row, 1, name, book.text)
        for col, figure in enumerate(STATUS_FIGURES, start=2):
            book.number(sheet, row, col, unit[figure], decimal=figure.endswith("Rate"))
    sheet.freeze_panes(3, 2)
    sheet.set_column(0, 0, 12)
    sheet.set_column(1, 1, 28)
    sheet.set_column(2, 9, 12)
    return book.close()
