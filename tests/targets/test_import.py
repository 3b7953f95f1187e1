"""Import of observations: every bad input gets its message and writes nothing; re-import is
idempotent; a changed value becomes version 2; units convert when compared."""

import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chainwatch.accounts.models import Profile, Role
from chainwatch.core.models import AuditEntry
from chainwatch.targets import reporting
from chainwatch.targets.imports import MAX_BYTES, import_observations
from chainwatch.targets.models import Observation, Submission, ValidationRule

pytestmark = pytest.mark.django_db

HEADER = "indicator_code,region_code,sector_code,period,value,unit,source\n"


def csv_file(tmp_path, *lines, name="obs.csv"):
    path = tmp_path / name
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def user(django_user_model, username, role, region=None):
    from factories import region as get_region

    account = django_user_model.objects.create(username=username)
    Profile.objects.create(user=account, role=role, region=get_region(region) if region else None)
    return account


@pytest.fixture
def form():
    return reporting.create_form(
        actor=None, code="T.AGRI", name_zh="测试农牧业年报",
        items=[("XL.CATTLE_STOCK", "XL.I.BEEF"), ("XL.DAIRY_COW_STOCK", None), ("XL.MILK_OUTPUT", None)],
        region_codes=["152502", "152522", "152500"],
    )


def problems(report):
    return [(p.row, p.column) for p in report.errors]


def test_text_in_a_number_cell(tmp_path):
    before = Observation.objects.count()
    report = import_observations(csv_file(tmp_path, "XL.MILK_OUTPUT,152502,,2024,约12,万吨,"), actor=None)
    assert problems(report) == [(2, "value")]
    assert "数值单元格中是文本“约12”" in report.errors[0].message and "number cell" in report.errors[0].message
    assert Observation.objects.count() == before


def test_a_negative_stock_but_not_a_negative_flow(tmp_path):
    report = import_observations(csv_file(
        tmp_path, "XL.DAIRY_COW_STOCK,152502,,2024,-1,万头,", "XL.MILK_OUTPUT,152502,,2024,-1,万吨,",
    ), actor=None)
    assert problems(report) == [(2, "value")]
    assert "存量指标“奶牛存栏”不能为负数" in report.errors[0].message


def test_duplicate_rows_in_one_file(tmp_path):
    report = import_observations(csv_file(
        tmp_path, "XL.MILK_OUTPUT,152502,,2024,1,万吨,", "XL.MILK_OUTPUT,152522,,2024,1,万吨,",
        "XL.MILK_OUTPUT,152502,,2024,2,万吨,",
    ), actor=None)
    assert problems(report) == [(4, None)]
    assert "与第 2 行重复" in report.errors[0].message
    assert not Observation.objects.filter(indicator__code="XL.MILK_OUTPUT", region__code="152502").exists()


def test_unknown_codes_every_problem_reported(tmp_path):
    report = import_observations(csv_file(
        tmp_path, "XL.NOPE,152502,,2024,1,万吨,", "XL.MILK_OUTPUT,999999,,2024,1,万吨,",
        "XL.MILK_OUTPUT,152502,XL.I.NOPE,2024,1,万吨,", "XL.MILK_OUTPUT,152502,,2024-13,1,万吨,",
    ), actor=None)
    assert problems(report) == [(2, "indicator_code"), (3, "region_code"), (4, "sector_code"), (5, "period")]
    assert "指标代码“XL.NOPE”不存在" in report.errors[0].message
    assert "地区代码“999999”不存在" in report.errors[1].message


def test_periods_outside_the_forms_period_type(tmp_path, form):
    report = import_observations(
        csv_file(tmp_path, "XL.MILK_OUTPUT,152502,,2024Q3,1,万吨,"), actor=None, form=form,
        reporter=reporting.resolve_reporter(form, "152502"),
    )
    assert problems(report) == [(2, "period")]
    assert "不是报表 T.AGRI 的年报期间" in report.errors[0].message


def test_rows_outside_the_form_or_the_reporter(tmp_path, form):
    report = import_observations(
        csv_file(tmp_path, "XL.COAL_OUTPUT,152502,,2024,1,亿吨,", "XL.MILK_OUTPUT,152522,,2024,1,万吨,"),
        actor=None, form=form, reporter=reporting.resolve_reporter(form, "152502"),
    )
    assert problems(report) == [(2, "indicator_code"), (3, "region_code")]
    assert "报表 T.AGRI 不含指标“XL.COAL_OUTPUT”" in report.errors[0].message


def test_a_file_over_50_mb_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("wb") as handle:  # sparse: nothing to read even if we tried
        handle.truncate(MAX_BYTES + 1)
    report = import_observations(path, actor=None)
    assert problems(report) == [(None, None)]
    assert "超过 50 MB 上限，未读取" in report.errors[0].message


def test_a_png_renamed_xlsx_is_not_a_spreadsheet(tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    report = import_observations(path, actor=None)
    assert "“data.xlsx”不是表格文件（内容是PNG 图片）" in report.errors[0].message


def test_a_zip_that_is_not_a_workbook(tmp_path):
    import zipfile

    path = tmp_path / "data.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    report = import_observations(path, actor=None)
    assert "不是有效的 Excel（.xlsx）文件" in report.errors[0].message


def test_missing_columns_are_named(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("indicator,region\nXL.MILK_OUTPUT,152502\n", encoding="utf-8")
    report = import_observations(path, actor=None)
    assert "表头缺少列：period, value" in report.errors[0].message


def test_tonnes_into_a_10k_tonne_indicator_are_stored_as_entered_and_compared_converted(tmp_path):
    ValidationRule.objects.create(code="T.MILK_MAX", name_zh="奶产量上限", kind="range", indicator_id=_id("XL.MILK_OUTPUT"), max_value=1)
    report = import_observations(csv_file(tmp_path, "XL.MILK_OUTPUT,152502,,2024,5000,吨,统计年报"), actor=None)
    assert report.ok and report.created == 1
    assert report.converted[2] == pytest.approx(0.5)  # 5000 吨 = 0.5 万吨
    obs = Observation.objects.get(indicator__code="XL.MILK_OUTPUT", region__code="152502", period="2024")
    assert (obs.value, obs.unit, obs.source) == (Decimal("5000"), "吨", "统计年报")
    # 20000 吨 = 2 万吨 breaks the 1 万吨 maximum: the comparison happens in the indicator's unit
    report = import_observations(csv_file(tmp_path, "XL.MILK_OUTPUT,152502,,2024,20000,吨,"), actor=None)
    assert problems(report) == [(2, "value")] and "2 高于上限 1" in report.errors[0].message


def _id(code):
    from chainwatch.targets.models import Indicator

    return Indicator.objects.get(code=code).pk


def test_money_into_a_head_count_is_refused(tmp_path):
    report = import_observations(csv_file(tmp_path, "XL.DAIRY_COW_STOCK,152502,,2024,3,亿元,"), actor=None)
    assert problems(report) == [(2, "unit")]
    assert "单位“亿元”与指标“奶牛存栏”的单位“万头”量纲不同，不能换算" in report.errors[0].message


def test_unknown_unit(tmp_path):
    report = import_observations(csv_file(tmp_path, "XL.DAIRY_COW_STOCK,152502,,2024,3,斤斤,"), actor=None)
    assert problems(report) == [(2, "unit")] and "无法识别的单位“斤斤”" in report.errors[0].message


def test_one_bad_row_writes_nothing(tmp_path):
    before, audits = Observation.objects.count(), AuditEntry.objects.count()
    report = import_observations(csv_file(
        tmp_path, "XL.MILK_OUTPUT,152502,,2024,1,万吨,", "XL.DAIRY_COW_STOCK,152502,,2024,abc,万头,",
    ), actor=None)
    assert not report.ok and not report.committed
    assert (Observation.objects.count(), AuditEntry.objects.count()) == (before, audits)


def test_reimport_changes_nothing_and_a_changed_value_creates_version_2(tmp_path):
    lines = ["XL.MILK_OUTPUT,152502,,2024,12.5,万吨,年报", "XL.DAIRY_COW_STOCK,152502,,2024,3,万头,年报"]
    first = import_observations(csv_file(tmp_path, *lines), actor=None)
    assert (first.created, first.versioned, first.unchanged) == (2, 0, 0)
    count, audits = Observation.objects.count(), AuditEntry.objects.count()
    again = import_observations(csv_file(tmp_path, *lines), actor=None)
    assert (again.created, again.versioned, again.unchanged) == (0, 0, 2)
    assert (Observation.objects.count(), AuditEntry.objects.count()) == (count, audits)

    changed = import_observations(csv_file(tmp_path, "XL.MILK_OUTPUT,152502,,2024,13,万吨,更正"), actor=None)
    assert (changed.created, changed.versioned) == (0, 1)
    versions = list(Observation.objects.filter(indicator__code="XL.MILK_OUTPUT", region__code="152502", period="2024")
                    .order_by("version").values_list("version", "value", "is_current"))
    assert versions == [(1, Decimal("12.5"), False), (2, Decimal("13"), True)]
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT).first()
    assert entry.before["value"] == "12.5" and entry.after["value"] == "13" and entry.after["version"] == 2


def test_dry_run_writes_nothing_and_says_what_would_change(tmp_path):
    before = Observation.objects.count()
    report = import_observations(csv_file(tmp_path, "XL.MILK_OUTPUT,152502,,2024,12.5,万吨,"), actor=None, dry_run=True)
    assert report.ok and report.created == 1 and not report.committed
    assert "将新增 1 条" in report.summary() and "dry run" in report.summary()
    assert report.changes[0]["new"] == "12.5 万吨"
    assert Observation.objects.count() == before


def test_json_and_chinese_headers(tmp_path):
    path = tmp_path / "obs.json"
    path.write_text(json.dumps({"observations": [
        {"指标代码": "XL.MILK_OUTPUT", "地区代码": "152502", "期间": "2024", "数值": 12.5, "单位": "万吨"},
        {"indicator_code": "XL.CATTLE_STOCK", "region_code": "152502", "sector_code": "XL.I.BEEF", "period": "2024", "value": "1,250.5"},
    ]}, ensure_ascii=False), encoding="utf-8")
    report = import_observations(path, actor=None)
    assert report.ok and report.created == 2 and report.file_type == "json"
    cattle = Observation.objects.get(indicator__code="XL.CATTLE_STOCK", region__code="152502", period="2024")
    assert (cattle.value, cattle.unit, cattle.sector.code) == (Decimal("1250.5"), "万头", "XL.I.BEEF")


def test_malformed_json_names_the_line(tmp_path):
    path = tmp_path / "obs.json"
    path.write_text('[{"indicator_code": "X",\n "value": }]', encoding="utf-8")
    report = import_observations(path, actor=None)
    assert "JSON 格式错误（第 2 行" in report.errors[0].message


def test_an_error_rule_blocks_and_a_warning_rule_does_not(tmp_path):
    ValidationRule.objects.create(code="T.DAIRY_LE", name_zh="奶牛不多于肉牛加100", kind="compare", importance="error",
                                  left_expression="XL.DAIRY_COW_STOCK", operator="<=", right_expression="XL.CATTLE_STOCK + 100")
    ValidationRule.objects.create(code="T.MILK_CHANGE", name_zh="奶产量变化", kind="change", importance="warning",
                                  indicator_id=_id("XL.MILK_OUTPUT"), max_change_percent=50)
    report = import_observations(csv_file(
        tmp_path, "XL.MILK_OUTPUT,152502,,2023,10,万吨,", "XL.MILK_OUTPUT,152502,,2024,16,万吨,",
        "XL.DAIRY_COW_STOCK,152502,,2024,120,万头,", "XL.CATTLE_STOCK,152502,XL.I.BEEF,2024,10,万头,",
    ), actor=None)
    assert problems(report) == [(4, "value")]
    assert "XL.CATTLE_STOCK + 100 = 110" in report.errors[0].message and "另见第 5 行" in report.errors[0].message
    assert [(w.row, w.column) for w in report.warnings] == [(3, "value")]  # +60 % against 2023 in the same file
    report = import_observations(csv_file(tmp_path, "XL.MILK_OUTPUT,152502,,2023,10,万吨,", "XL.MILK_OUTPUT,152502,,2024,16,万吨,"), actor=None)
    assert report.ok and report.committed and len(report.warnings) == 1


def test_a_submitted_report_is_locked(tmp_path, form):
    reporter = reporting.resolve_reporter(form, "152502")
    submission = reporting.ensure_submission(form, reporter, "2024", actor=None)
    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.SUBMITTED)
    report = import_observations(csv_file(tmp_path, "XL.MILK_OUTPUT,152502,,2024,1,万吨,"), actor=None, form=form, reporter=reporter)
    assert problems(report) == [(None, "period")] and "已提交待审核" in report.errors[0].message


def test_without_a_form_only_administrators_import(tmp_path, django_user_model):
    county = user(django_user_model, "county", Role.COUNTY, "152502")
    report = import_observations(csv_file(tmp_path, "XL.MILK_OUTPUT,152502,,2024,1,万吨,"), actor=county)
    assert "只有管理员可以导入" in report.errors[0].message


def test_import_queries_do_not_grow_with_rows(tmp_path, form):
    """Lookups are one query per code kind; each table gets one executemany INSERT."""
    reporter = reporting.resolve_reporter(form, "152502")
    counts = []
    for period, n in (("2021", 1), ("2022", 1), ("2023", 3)):  # 2021 warms the content-type cache
        lines = [f"XL.CATTLE_STOCK,152502,XL.I.BEEF,{period},{n},万头,", f"XL.MILK_OUTPUT,152502,,{period},{n},万吨,",
                 f"XL.DAIRY_COW_STOCK,152502,,{period},{n},万头,"][:n]
        with CaptureQueriesContext(connection) as ctx:
            report = import_observations(csv_file(tmp_path, *lines), actor=None, form=form, reporter=reporter)
        assert report.committed
        counts.append(len(ctx.captured_queries))
    assert counts[1] == counts[2] <= 14


def test_bulk_import_query_count_is_flat_for_a_form_less_file(tmp_path, django_assert_max_num_queries):
    regions = ["152501", "152502", "152522", "152523", "152524", "152525", "152526", "152527", "152528", "152529"]
    lines = [f"XL.MILK_OUTPUT,{r},,{y},{i + 1},万吨," for i, (r, y) in enumerate((r, y) for r in regions for y in (2021, 2022))]
    with CaptureQueriesContext(connection) as small:
        import_observations(csv_file(tmp_path, *lines[:2]), actor=None, dry_run=True)
    with CaptureQueriesContext(connection) as large:
        import_observations(csv_file(tmp_path, *lines), actor=None, dry_run=True)
    assert len(small.captured_queries) == len(large.captured_queries)
    with django_assert_max_num_queries(15):
        assert import_observations(csv_file(tmp_path, *lines), actor=None).created == 20


def test_cli_import_exit_code_and_dry_run(tmp_path, capsys):
    bad = csv_file(tmp_path, "XL.MILK_OUTPUT,152502,,2024,abc,万吨,")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as info:
        call_command("observations", "import", str(bad))
    assert info.value.returncode == 1
    out = capsys.readouterr().out
    assert "错误 第 2 行 [value] 数值单元格中是文本“abc”" in out
    good = csv_file(tmp_path, "XL.MILK_OUTPUT,152502,,2024,12,万吨,", name="good.csv")
    call_command("observations", "import", str(good), "--dry-run")
    out = capsys.readouterr().out
    assert "新增 第 2 行 XL.MILK_OUTPUT 152502" in out and "将新增 1 条" in out
    assert not Observation.objects.filter(indicator__code="XL.MILK_OUTPUT", region__code="152502").exists()
    call_command("observations", "import", str(good))
    assert Observation.objects.get(indicator__code="XL.MILK_OUTPUT", region__code="152502").value == 12
