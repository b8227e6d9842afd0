"""Chinese working days 工作日: public holidays off, adjusted working weekends 调休 on.

Counting convention (计算期限的约定): the day an event happens — receipt, conclusion,
hand-over — does not count. Counting starts the next day, and the deadline is the n-th
working day after it: `add_working_days(start, n)`. `working_days_between(a, b)` is its
inverse: the number of working days d with a < d <= b.

Holiday data comes from the `chinesecalendar` package, plus per-year overrides for years
the package does not know (or gets wrong). A year with neither is counted with weekends
only and every date that depends on it is marked provisional; it never raises. The
calendar's `version` names the package version and a digest of the overrides, so a
deadline records exactly what it was computed under and can be recomputed later.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import chinese_calendar
from chinese_calendar import constants as _cc

from domain.errors import InvalidInput

__all__ = ["Deadline", "WorkingCalendar", "YearOverride", "parse_override"]

_ONE_DAY = timedelta(days=1)
_Date = date  # Deadline has a field named `date`


@dataclass(frozen=True)
class Deadline:
    """A date computed in working days, with the calendar version it was computed under."""

    date: _Date
    provisional: bool
    calendar_version: str
    start: _Date | None = None
    working_days: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "provisional": self.provisional,
            "calendar_version": self.calendar_version,
            "start": self.start.isoformat() if self.start else None,
            "working_days": self.working_days,
        }


@dataclass(frozen=True)
class YearOverride:
    """One year's official schedule: days off on weekdays and working weekends."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]

    def digest_source(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "holidays": sorted(d.isoformat() for d in self.holidays),
            "workdays": sorted(d.isoformat() for d in self.workdays),
        }


def _override_error(year: Any, zh: str, en: str) -> InvalidInput:
    return InvalidInput(
        "calendar_override_invalid",
        f"{year}年节假日安排无效:{zh}",
        f"The holiday schedule for {year} is invalid: {en}",
        year=str(year),
    )


def _as_date(year: int, value: Any) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise _override_error(year, f"“{value}”不是日期", f"{value!r} is not a date") from None
    if not isinstance(value, date):
        raise _override_error(year, f"“{value}”不是日期", f"{value!r} is not a date")
    if value.year != year:
        raise _override_error(
            year, f"{value.isoformat()} 不属于该年", f"{value.isoformat()} is not in that year"
        )
    return value


def _date_list(year: int, data: Mapping[str, Any], key: str) -> frozenset[date]:
    values = data.get(key) or []
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise _override_error(year, f"{key} 必须是日期列表", f"{key} must be a list of dates")
    return frozenset(_as_date(year, v) for v in values)


def parse_override(year: Any, data: Any) -> YearOverride:
    """Validate one year's plain-data schedule: `{holidays: [...], workdays: [...]}`."""
    if isinstance(year, str) and year.isdigit():
        year = int(year)
    if not isinstance(year, int) or isinstance(year, bool) or not 1949 < year < 10000:
        raise _override_error(year, "年份无效", "the year is not valid")
    if not isinstance(data, Mapping):
        raise _override_error(year, "内容必须是键值结构", "it must be a mapping")
    if "year" in data and data["year"] != year:
        raise _override_error(
            year, f"文件中的年份为 {data['year']}", f"the data says year {data['year']}"
        )
    holidays = _date_list(year, data, "holidays")
    workdays = _date_list(year, data, "workdays")
    both = sorted(holidays & workdays)
    if both:
        raise _override_error(
            year,
            f"{both[0].isoformat()} 同时是假日和工作日",
            f"{both[0].isoformat()} is both a holiday and a workday",
        )
    return YearOverride(year, holidays, workdays)


class WorkingCalendar:
    """Which days are working days, and deadlines counted in them."""

    def __init__(
        self,
        holidays: Iterable[date],
        workdays: Iterable[date],
        known_years: Iterable[int],
        version: str,
    ) -> None:
        self._holidays = frozenset(holidays)
        self._workdays = frozenset(workdays)
        self._known_years = frozenset(known_years)
        self.version = version
        # Only exceptions to the weekday rule matter for counting.
        self._off_weekdays = sorted(d for d in self._holidays if d.weekday() < 5)
        self._on_weekends = sorted(d for d in self._workdays if d.weekday() >= 5)

    @classmethod
    def default(cls, overrides: Mapping[int, Mapping[str, Any]] | None = None) -> WorkingCalendar:
        """The `chinesecalendar` data, with each overridden year replaced by its override."""
        parsed = [parse_override(year, data) for year, data in (overrides or {}).items()]
        by_year = {o.year: o for o in parsed}
        years = {d.year for d in _cc.holidays}
        package_years = set(range(min(years), max(years) + 1))
        holidays = {d for d in _cc.holidays if d.year not in by_year}
        workdays = {d for d in _cc.workdays if d.year not in by_year}
        for override in by_year.values():
            holidays |= override.holidays
            workdays |= override.workdays
        version = f"chinesecalendar-{chinese_calendar.__version__}"
        if by_year:
            source = [by_year[y].digest_source() for y in sorted(by_year)]
            digest = hashlib.sha256(json.dumps(source, sort_keys=True).encode()).hexdigest()
            version += f"+overrides-{'.'.join(map(str, sorted(by_year)))}-{digest[:12]}"
        return cls(holidays, workdays, package_years | set(by_year), version)

    @classmethod
    def weekends_only(cls) -> WorkingCalendar:
        """A calendar that knows no year: Monday to Friday, every date provisional."""
        return cls((), (), (), "weekends-only")

    def is_known_year(self, year: int) -> bool:
        return year in self._known_years

    def known_years(self) -> list[int]:
        return sorted(self._known_years)

    def is_working_day(self, d: date) -> bool:
        if d in self._workdays:
            return True
        if d in self._holidays:
            return False
        return d.weekday() < 5

    def is_provisional(self, start: date, end: date) -> bool:
        """Whether any year of the days after `start` up to `end` lacks holiday data."""
        if end <= start:
            return False
        first = (start + _ONE_DAY).year
        return not all(self.is_known_year(y) for y in range(first, end.year + 1))

    def add_working_days(self, start: date, n: int) -> Deadline:
        """The n-th working day after `start` (the start day itself never counts)."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise InvalidInput(
                "working_days_invalid",
                f"工作日数必须是非负整数,收到 {n!r}",
                f"The number of working days must be a non-negative integer, got {n!r}",
                working_days=str(n),
            )
        start = start.date() if isinstance(start, datetime) else start
        current = start
        remaining = n
        while remaining > 10:
            # Seven days hold at most seven working days, so a jump never overshoots.
            jump = current + timedelta(weeks=(remaining - 1) // 7)
            remaining -= self.working_days_between(current, jump)
            current = jump
        while remaining > 0:
            current += _ONE_DAY
            if self.is_working_day(current):
                remaining -= 1
        return Deadline(
            date=current,
            provisional=self.is_provisional(start, current),
            calendar_version=self.version,
            start=start,
            working_days=n,
        )

    def working_days_between(self, a: date, b: date) -> int:
        """Working days d with a < d <= b; negative when b is before a."""
        if b < a:
            return -self.working_days_between(b, a)
        return (
            _weekdays_through(b)
            - _weekdays_through(a)
            - _count_in(self._off_weekdays, a, b)
            + _count_in(self._on_weekends, a, b)
        )

    def recompute(self, deadline: Deadline) -> Deadline:
        """The same deadline under this calendar (e.g. once a year's schedule is loaded)."""
        if deadline.start is None or deadline.working_days is None:
            raise InvalidInput(
                "deadline_not_recomputable",
                "该期限未记录起算日和工作日数,无法重新计算",
                "This deadline does not record its start and length, so it cannot be recomputed",
            )
        return self.add_working_days(deadline.start, deadline.working_days)


def _weekdays_through(d: date) -> int:
    """Monday-to-Friday days from a fixed Monday epoch up to and including d."""
    weeks, rest = divmod(d.toordinal(), 7)  # day 1, date(1, 1, 1), is a Monday
    return weeks * 5 + min(rest, 5)


def _count_in(sorted_days: list[date], a: date, b: date) -> int:
    """How many of sorted_days fall in (a, b]."""
    return bisect.bisect_right(sorted_days, b) - bisect.bisect_right(sorted_days, a)
