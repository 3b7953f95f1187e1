"""chainwatch progress: 目标进度（时序进度、复合增速比、三色预警）as a table or JSON lines."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from chainwatch.core.output import parse_date_option, write_rows
from chainwatch.geo.models import Region
from chainwatch.policy.models import PolicyDocument
from chainwatch.targets.models import Target
from chainwatch.targets.services import LIGHT_ZH, evaluate_targets

FIELDS = [
    "target_id", "key", "indicator", "indicator_code", "region_code", "region", "sector_code", "year",
    "comparator", "value", "unit", "clause", "document", "status", "light", "latest_value",
    "latest_period", "baseline_value", "baseline_period", "observed_cagr", "required_cagr", "ratio",
    "share_achieved", "share_elapsed", "pace_gap", "projected_value", "value_unit", "restates",
    "sample", "reason",
]
TABLE_FIELDS = [
    "target_id", "region", "indicator", "year", "target", "latest", "status", "light", "pace", "reason",
]



def _fmt(value, digits: int = 4) -> str:
    if value is None:
        return ""
    return f"{value:.{digits}g}"


def table_row(row: dict) -> dict:
    comparator = {"=": "", "~": "约"}.get(row["comparator"], row["comparator"])
    pace = ""
    if row["share_achieved"] is not None and row["share_elapsed"] is not None:
        pace = f"{row['share_achieved']:.0%}/{row['share_elapsed']:.0%}"
    latest = ""
    if row["latest_value"] is not None:
        latest = f"{_fmt(row['latest_value'], 6)}（{row['latest_period']}）"
    return {
        **row,
        "target": f"{comparator}{row['value']}{row['unit']}",
        "latest": latest + ("【示例】" if row["sample"] else ""),
        "light": LIGHT_ZH.get(row["light"], row["light"]),
        "pace": pace,
    }


class Command(BaseCommand):
    help = "目标进度与三色预警 / progress of every target against its observations."

    def add_arguments(self, parser):
        parser.add_argument("--region", help="地区代码（含下级） / region code, subtree included")
        parser.add_argument("--document", help="政策文件代码 / document code")
        parser.add_argument("--as-of", dest="as_of", help="评估日期 YYYY-MM-DD（默认今天） / evaluation date")
        parser.add_argument("--format", choices=("table", "jsonl"), default="table")

    def handle(self, *args, region=None, document=None, as_of=None, format="table", **options):
        as_of_date = parse_date_option(as_of) or date.today()
        targets = Target.objects.exclude(review=Target.Review.REJECTED)
        if region:
            found = Region.objects.filter(code=region, valid_to__isnull=True).first()
            if found is None:
                raise CommandError(f"地区代码“{region}”不存在 / unknown region code {region!r}")
            targets = targets.filter(region__path__startswith=found.path)
        if document:
            if not PolicyDocument.objects.filter(code=document).exists():
                raise CommandError(f"政策文件“{document}”不存在 / unknown document {document!r}")
            targets = targets.filter(document__code=document)
        targets = targets.order_by("document__code", "span_start", "id")
        rows = [result.row() for result in evaluate_targets(targets, as_of=as_of_date)]
        if format == "table":
            rows = [table_row(row) for row in rows]
        write_rows(rows, FIELDS, format, self.stdout, table_fields=TABLE_FIELDS)
