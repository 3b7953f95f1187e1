"""`chainwatch progress`: JSON lines with every field, filters, clear errors."""

from __future__ import annotations

import datetime
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from chainwatch.targets.models import Indicator, Target
from factories import ObservationFactory, region

pytestmark = pytest.mark.django_db

FIELDS = {
    "target_id", "status", "light", "latest_value", "latest_period", "baseline_value", "baseline_period",
    "observed_cagr", "required_cagr", "ratio", "share_achieved", "share_elapsed", "projected_value", "reason",
    "key", "indicator", "region_code", "year", "value", "unit", "comparator", "clause",
}


def run(*args) -> str:
    out = StringIO()
    call_command("progress", *args, stdout=out)
    return out.getvalue()


def jsonl(*args) -> list[dict]:
    return [json.loads(line) for line in run("--format", "jsonl", *args).splitlines()]


def test_every_accepted_target_gets_a_row_with_all_fields():
    rows = jsonl("--as-of", "2025-06-30")
    assert len(rows) == Target.objects.exclude(review=Target.Review.REJECTED).count()
    assert all(row.keys() >= FIELDS for row in rows)
    assert all(row["reason"] and "\n" not in row["reason"] for row in rows)
    assert {row["light"] for row in rows} <= {"green", "yellow", "red", "grey"}


def test_jsonl_row_for_the_lithium_output_target():
    ObservationFactory(
        indicator=Indicator.objects.get(code="OUTPUT"), region=region("150000"), period="2024",
        period_start=datetime.date(2024, 1, 1), period_end=datetime.date(2024, 12, 31), value=330, unit="亿元",
    )
    rows = {row["key"]: row for row in jsonl("--as-of", "2025-06-30", "--region", "150000")}
    row = rows["im-li-output-2025"]
    assert (row["status"], row["light"], row["latest_period"], row["baseline_period"]) == ("moderate", "yellow", "2024", "2023")
    assert row["ratio"] == pytest.approx(0.943650, abs=1e-6)
    assert (row["region_code"], row["year"], row["value"], row["unit"], row["clause"]) == ("150000", 2025, 700, "亿元", "二(二)")


def test_region_filter_takes_the_subtree_and_document_filter_narrows():
    province = jsonl("--region", "150000")
    assert {"150000", "152500"} <= {r["region_code"] for r in province}
    xilingol = jsonl("--region", "152500", "--document", "xl-clusters-2025")
    assert xilingol and {r["region_code"] for r in xilingol} == {"152500"}
    assert len(xilingol) == Target.objects.filter(document__code="xl-clusters-2025").count()


def test_table_format_is_readable_chinese():
    text = run("--region", "152500", "--as-of", "2025-06-30")
    assert text.splitlines()[0].split()[:3] == ["target_id", "region", "indicator"]
    assert "灰色（无法评价）" in text and "无观测数据" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--region", "999999"], "地区代码“999999”不存在"),
        (["--document", "nope"], "政策文件“nope”不存在"),
        (["--as-of", "2025-13-01"], "日期“2025-13-01”无效"),
    ],
)
def test_bad_input_is_a_clear_error(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
