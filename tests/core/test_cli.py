import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db

REQUIRED = {"id", "indicator", "indicator_code", "sector", "sector_code", "region_code", "region", "year",
            "value", "unit", "comparator", "document", "clause", "span"}


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_targets_jsonl_carries_provenance():
    rows = [json.loads(line) for line in run("targets", "--format", "jsonl").splitlines()]
    assert len(rows) >= 150
    assert all(row.keys() >= REQUIRED and row["span"] for row in rows)
    lfp = next(r for r in rows if r["key"] == "im-li-cap-lfp-2025")
    assert (lfp["sector_code"], lfp["value"], lfp["unit"], lfp["clause"]) == ("LI.CATHODE_LFP", 52, "万吨/年", "二(二)")


def test_targets_filters_by_region_subtree_document_and_year():
    rows = [json.loads(line) for line in run("targets", "--format", "jsonl", "--region", "152500", "--year", "2027").splitlines()]
    assert rows and {r["region_code"] for r in rows} == {"152500"} and {r["year"] for r in rows} == {2027}
    province = [json.loads(line) for line in run("targets", "--format", "jsonl", "--region", "150000").splitlines()]
    assert {"150000", "152500"} <= {r["region_code"] for r in province}
    guizhou = run("targets", "--format", "csv", "--document", "gz-lithium-2021").splitlines()
    assert guizhou[0].startswith("id,key,indicator") and len(guizhou) == 9


def test_unknown_region_is_a_clear_error():
    with pytest.raises(CommandError, match="地区代码“999999”不存在"):
        run("targets", "--region", "999999")


def test_indicators_table():
    text = run("indicators")
    assert "OUTPUT" in text and "XL.CATTLE_STOCK" in text


def test_console_script_runs_on_its_own_database(tmp_path):
    env = {**os.environ, "CHAINWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    subprocess.run([sys.executable, "-m", "chainwatch.cli", "migrate", "-v", "0"], env=env, check=True)
    out = subprocess.run([sys.executable, "-m", "chainwatch.cli", "indicators", "--format", "csv"],
                         env=env, check=True, capture_output=True, text=True).stdout
    assert out.strip() == "code,name_zh,name_en,unit,kind,aggregation,direction,cycle,definition,targets"
    assert (tmp_path / "cli.sqlite3").exists()


@pytest.mark.parametrize(
    "args",
    [
        ("progress", "--as-of", "2025-02-30"),
        ("refresh_progress", "--as-of", ""),
        ("audit", "export", "--since", "yesterday", "--format", "csv"),
        ("rules", "evaluate", "--jurisdiction", "360000", "--rule", "subsidy", "--input", "{}", "--on", "2024/05/11"),
    ],
)
def test_every_date_option_is_refused_the_same_clear_way(args):
    with pytest.raises(CommandError, match="无效，应为 YYYY-MM-DD"):
        run(*args)
