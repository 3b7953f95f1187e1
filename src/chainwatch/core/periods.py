"""Reporting periods as ISO-like strings: 2024 (year), 2024Q3 (quarter), 2024-06 (month)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_PATTERNS = [
    ("year", re.compile(r"^(?P<year>\d{4})$")),
    ("quarter", re.compile(r"^(?P<year>\d{4})[Qq](?P<sub>[1-4])$")),
    ("month", re.compile(r"^(?P<year>\d{4})-(?P<sub>0[1-9]|1[0-2])$")),
]


class PeriodError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date
    kind: str
    label: str

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def decimal_year(self) -> float:
        """The period end as a decimal year (2024 -> 2025.0 for the year's end, 2024-06 -> 2024.5)."""
        return self.end.year + (self.end.timetuple().tm_yday) / (366 if calendar.isleap(self.end.year) else 365)


def parse_period(text: str) -> Period:
    """Parse 2024 | 2024Q3 | 2024-06; a clear PeriodError otherwise."""
    value = str(text).strip()
    for kind, pattern in _PATTERNS:
        match = pattern.match(value)
        if not match:
            continue
        year = int(match.group("year"))
        if not 1949 <= year <= 2100:
            raise PeriodError(f"期间“{value}”年份超出范围 / year out of range")
        if kind == "year":
            return Period(date(year, 1, 1), date(year, 12, 31), kind, value)
        sub = int(match.group("sub"))
        if kind == "quarter":
            first_month = 3 * (sub - 1) + 1
            last_month = first_month + 2
            return Period(
                date(year, first_month, 1),
                date(year, last_month, calendar.monthrange(year, last_month)[1]),
                kind,
                f"{year}Q{sub}",
            )
        return Period(date(year, sub, 1), date(year, sub, calendar.monthrange(year, sub)[1]), kind, value)
    raise PeriodError(
        f"无法识别的期间“{value}”：应为 2024、2024Q3 或 2024-06 / period must be 2024, 2024Q3 or 2024-06"
    )
