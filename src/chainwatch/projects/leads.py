"""Investment leads (招商线索): response clocks and the de-duplication key. Pure: no ORM.

Clocks count calendar days from the date the lead was received (respond, assess) or last
reported (report). A step is overdue when it has not happened and ``as_of`` is past its due day;
closed leads (转项目 / 放弃) carry no flags.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from chainwatch.core.codes import normalize_enterprise_name

DEFAULT_CLOCKS: dict[str, int] = {"respond": 1, "assess": 3, "report": 7}
STAGES = ("clue", "contact", "visit", "signed", "converted", "abandoned")
OPEN_STAGES = frozenset({"clue", "contact", "visit", "signed"})


@dataclass(frozen=True)
class LeadFlags:
    respond_due: date
    assess_due: date
    report_due: date | None
    respond_overdue: bool
    assess_overdue: bool
    report_overdue: bool

    @property
    def overdue(self) -> bool:
        return self.respond_overdue or self.assess_overdue or self.report_overdue

    def as_dict(self) -> dict:
        return {
            "respond_due": self.respond_due.isoformat(),
            "assess_due": self.assess_due.isoformat(),
            "report_due": self.report_due.isoformat() if self.report_due else None,
            "respond_overdue": self.respond_overdue,
            "assess_overdue": self.assess_overdue,
            "report_overdue": self.report_overdue,
            "overdue": self.overdue,
        }


def lead_flags(
    *,
    stage: str,
    received_on: date,
    responded_on: date | None,
    assessed_on: date | None,
    last_reported_on: date | None,
    as_of: date,
    clocks: Mapping[str, int] | None = None,
) -> LeadFlags:
    clock = {**DEFAULT_CLOCKS, **(clocks or {})}
    respond_due = received_on + timedelta(days=clock["respond"])
    assess_due = received_on + timedelta(days=clock["assess"])
    is_open = stage in OPEN_STAGES
    report_due = (last_reported_on or received_on) + timedelta(days=clock["report"]) if is_open else None
    return LeadFlags(
        respond_due=respond_due,
        assess_due=assess_due,
        report_due=report_due,
        respond_overdue=is_open and responded_on is None and as_of > respond_due,
        assess_overdue=is_open and assessed_on is None and as_of > assess_due,
        report_overdue=is_open and report_due is not None and as_of > report_due,
    )


def dedup_key(*, uscc: str | None, enterprise_name: str, node_code: str | None, region_code: str) -> str:
    """One lead = one (enterprise, target chain node, landing region)."""
    who = f"USCC:{uscc.strip().upper()}" if uscc and uscc.strip() else f"NAME:{normalize_enterprise_name(enterprise_name)}"
    return f"{who}|{node_code or ''}|{region_code}"
